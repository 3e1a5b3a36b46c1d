"""Replace the identifying columns of real rows by their pseudonyms, table by table.

Used by ``relsynth mask`` (every row real, every identifier replaced) and for retained columns of
a clone. A column is masked as its *identity kind*:

* an identifying column (e-mail, name, phone, address, ids, cards, IPs, UUIDs, codes) as its kind;
  free text and JSON keep their words, with the personal data inside replaced in place;
* a string key holding an identity (an e-mail as primary key) as the kind its values show;
* a foreign key as the column it points at, so a join on a natural key still matches: the
  parent's ``ann@corp.net`` and the child's reference to it become the same fake;
* everything else (numbers, dates, categories, integer keys) is kept as it is.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping

import numpy as np
import pandas as pd

from relsynth.privacy import protect
from relsynth.privacy.pseudonyms import Pseudonyms
from relsynth.privacy.scrub import Names, kinds_inside, scrub
from relsynth.schema.detect import detect_kind, is_free_text
from relsynth.schema.kinds import Kind
from relsynth.schema.model import Table

SCRUB = "scrub"            # free text and JSON: personal data inside replaced, the rest kept
SAMPLE_TEXTS = 2_000       # texts searched for personal data by relsynth inspect
Identities = MutableMapping[tuple[str, str], "Kind | str | None"]


def identity_kinds(table: Table, frame: pd.DataFrame, known: Identities) -> dict[str, Kind | str | None]:
    """How each column of ``frame`` is masked (None: kept). ``known`` holds the tables already
    decided, (table, column) -> kind, and gets this one's: a foreign key reads its parent's there."""
    out: dict[str, Kind | str | None] = {}
    references = {c: (fk.parent, fk.parent_columns[fk.columns.index(c)])
                  for fk in table.foreign_keys for c in fk.columns}
    for col in table.columns:            # own columns first: a self-reference reads them
        if col.name in frame.columns and col.name not in references:
            out[col.name] = _own_kind(table, col, frame[col.name])
            known[(table.name, col.name)] = out[col.name]
    for column, target in references.items():
        if column in frame.columns:    # a parent not seen yet (a cycle, one table alone): its values tell
            out[column] = known[target] if target in known else key_identity(table, table.column(column),
                                                                             frame[column])
            known[(table.name, column)] = out[column]
    return out


def _own_kind(table: Table, col, values: pd.Series) -> Kind | str | None:
    if col.kind == Kind.KEY:
        return key_identity(table, col, values)
    if col.kind == Kind.JSON:
        return SCRUB
    if col.kind == Kind.TEXT:
        return SCRUB if is_free_text(values) else Kind.TEXT
    return col.kind if col.kind.identifying else None


def key_identity(table: Table, col, values: pd.Series) -> Kind | None:
    """A string key that holds an identity (an e-mail, a phone) is masked as one; codes are not."""
    if col.type.get("generic") not in ("string", "text", "other", "uuid"):
        return None
    kind = detect_kind(table=table.name, column=col.name, generic=col.type.get("generic", "other"),
                       values=values.dropna().head(10_000), unique=True)
    return kind if kind.identifying and kind not in (Kind.TEXT, Kind.UUID) else None


def mask_frame(table: Table, frame: pd.DataFrame, pseudonyms: Pseudonyms, known: Identities,
               names: Names | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with every identifying column replaced by its pseudonyms. ``names``
    collects the real names of the tables masked so far: text finds them (this table's too)."""
    names = names if names is not None else Names()
    kinds = identity_kinds(table, frame, known)
    for column, kind in kinds.items():
        if kind in (Kind.PERSON_NAME, Kind.FIRST_NAME, Kind.LAST_NAME):
            names.add(kind, frame[column])
    out = frame.copy()
    for column, kind in kinds.items():
        if kind is None:
            continue
        if kind == SCRUB and table.column(column).kind == Kind.JSON:
            out[column] = _scrub_json(frame[column], pseudonyms, names)
        elif kind == SCRUB:
            out[column] = scrub(frame[column], pseudonyms, names)[0]
        else:
            out[column] = pseudonyms.replace(kind, frame[column], max_length=table.column(column).type.get("length"))
    return out


def _scrub_json(values: pd.Series, pseudonyms: Pseudonyms, names: Names) -> pd.Series:
    """JSON documents (read back as dicts and lists: scrubbed as JSON text, then parsed again)."""
    structured = values.map(lambda v: isinstance(v, (dict, list))).to_numpy(dtype=bool)
    text = values.astype(object).copy()
    text[structured] = [json.dumps(v, ensure_ascii=False) for v in values[structured]]
    clean = scrub(text, pseudonyms, names)[0].to_numpy(dtype=object, copy=True)
    clean[structured] = [json.loads(v) for v in clean[structured]]
    return pd.Series(clean, index=values.index, name=values.name, dtype=object)


def personal_data(table: Table, sample: pd.DataFrame, names: Names | None = None) -> dict[str, str]:
    """What each column of ``table`` tells about a person, read from a sample of its rows:
    ``identifier`` (generated or masked), ``key: email`` (a string key holding identities),
    ``inside: email, person_name`` (free text), ``quasi-identifier`` (birth date, zip, gender...)."""
    names = names if names is not None else Names()
    kinds = identity_kinds(table, sample, {})
    for column, kind in kinds.items():
        if kind in (Kind.PERSON_NAME, Kind.FIRST_NAME, Kind.LAST_NAME):
            names.add(kind, sample[column])
    quasi = set(protect.quasi_identifiers({c.name: c.kind for c in table.columns}))
    out = {}
    for col in table.columns:
        kind = kinds.get(col.name)
        if kind == SCRUB or (col.kind == Kind.TEXT and col.name in sample.columns):
            inside = kinds_inside(sample[col.name].head(SAMPLE_TEXTS), names)
            out[col.name] = "inside: " + ", ".join(k.value for k in inside) if inside else ""
        elif kind is not None and col.kind == Kind.KEY:
            out[col.name] = f"key: {Kind(kind).value}"
        elif kind is not None:
            out[col.name] = "identifier"
        else:
            out[col.name] = "quasi-identifier" if col.name in quasi else ""
    return out


__all__ = ["identity_kinds", "key_identity", "mask_frame", "personal_data", "SCRUB"]
