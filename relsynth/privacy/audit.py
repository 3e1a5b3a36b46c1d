"""What a model directory holds, and whether a real value that few rows share is in it.

``relsynth inspect-model DIR --source URL`` runs this before a model is shared. Every file of the
directory is read with the untrusting readers of :mod:`relsynth.workspace`: every string and
number of every JSON file (the schema and the plan aside: they are the database's structure, not
its rows), every number of every float array (families store values as float codes; integer and
boolean arrays are tree pointers, counts and indices; the numbers of a generated column's format are
lengths and shares of its shapes; a tree's split points lie strictly between two neighbouring
training values, never on one, and its smoothing widths are distances), and every digest array. Against them, per
non-key column of the source:

* **values**: each real value fewer than ``k`` rows share: text (case-folded) against the strings,
  numbers as the code a model stores (days for dates, microseconds for timestamps) against the
  floats of the table's own files and of the tables below it (a child's model carries its
  parents' values; a number in an unrelated table's files is a coincidence, not a copy). JSON integers, like integer arrays, are structure (indices, counts, lengths): families
  store values as floats. Not leaks: a value that ``k`` or more rows of some column share (the
  database's vocabulary, and so is a word that ``k`` rows of some column use), and the clip
  bounds of the number columns, its ``k``-th smallest and largest
  value (the ``k`` - 1 values beyond are pulled in to them, so ``k`` rows share each);
* **digests**: each real value and each whole modeled row, hashed under every key the directory
  holds (any 16-character string of its JSON, and the all-zero key): a digest stored next to its
  key is the value itself.

Retained columns are the user's explicit choice: they are reported as held, not as leaks; so are a
lookup table's labels (kind ``label``: category names many rows point at, kept as vocabulary).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from relsynth import workspace
from relsynth.extract import read_table
from relsynth.graph import Plan
from relsynth.models import encoding
from relsynth.schema.detect import holds_binary
from relsynth.schema.kinds import Kind
from relsynth.schema.model import Schema, Table
from relsynth.schema.reflect import reflect_metadata

_NUMBERS = frozenset({Kind.INTEGER, Kind.FLOAT, Kind.DECIMAL, Kind.DATETIME, Kind.DATE, Kind.TIME})
_STRUCTURE = frozenset({"schema", "plan", "copied", "retain"})   # manifest sections naming tables and columns, not rows
_ZERO_KEY = "0" * 16
_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]*")   # a JSON key spelled like this is a field, not a value
# a tree's split points (strictly between two neighbouring training values, never one) and its
# smoothing widths (half the gaps between them): distances, not values
_SPLITS = (".threshold", ".down", ".up")
_FORMATS = "formats"   # generated columns' formats: their numbers are lengths and shares, their strings are scanned


@dataclass
class Holdings:
    """Everything a model directory stores, flattened; numbers by the table whose files hold them
    ("" for the manifest's other parts)."""

    files: list[tuple[str, int]] = field(default_factory=list)     # name, bytes
    strings: set[str] = field(default_factory=set)                 # case-folded
    numbers: dict[str, np.ndarray] = field(default_factory=dict)
    digests: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    keys: set[str] = field(default_factory=set)                    # strings that could be a hash key
    structure_values: int = 0                                      # integers and booleans of arrays

    @property
    def number_count(self) -> int:
        return int(sum(v.size for v in self.numbers.values()))

    def numbers_of(self, tables: set[str]) -> np.ndarray:
        parts = [v for name, v in self.numbers.items() if name in tables or name == ""]
        return np.unique(np.concatenate(parts)) if parts else np.zeros(0)


@dataclass(frozen=True)
class Leak:
    table: str
    column: str
    how: str                  # "value" or "digest" or "row digest"
    count: int
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Audit:
    directory: str
    k: int
    holdings: Holdings
    tables: dict[str, dict]           # per table: family, modeled, generated, retained
    checked: int                      # rare real values (and rows) looked for
    leaks: tuple[Leak, ...]

    @property
    def clean(self) -> bool:
        return not self.leaks


def holdings(directory: Path) -> Holdings:
    """Read every file of a model directory (only the files its format names are trusted to parse)."""
    directory = Path(directory)
    held = Holdings()
    numbers: dict[str, list] = {}
    digests = []
    order = _plan_order(workspace.read_json(directory / workspace.MANIFEST))
    for path in sorted(directory.iterdir()):
        if not path.is_file():
            continue
        held.files.append((path.name, path.stat().st_size))
        position = path.name[1:4]
        owner = order[int(position)] if path.name.startswith("t") and position.isdigit() \
            and int(position) < len(order) else ""
        if path.suffix == ".json":
            document = workspace.read_json(path)
            parts = [(owner, document)]
            if path.name == workspace.MANIFEST and isinstance(document, dict):
                tables = document.get("tables") if isinstance(document.get("tables"), dict) else {}
                parts = [("", {k: v for k, v in document.items() if k not in _STRUCTURE | {"tables"}})]
                parts += [(str(name), entry) for name, entry in tables.items()]
            for name, part in parts:
                for value in _leaves(part, skip_numbers=_FORMATS):
                    if isinstance(value, str):
                        held.strings.add(value.casefold())
                        if len(value) == 16:
                            held.keys.add(value)
                    elif isinstance(value, float):
                        numbers.setdefault(name, []).append(np.array([value]))
        elif path.suffix == ".npz":
            for name, array in workspace.read_arrays(path).items():
                if array.dtype.kind == "f" and not name.endswith(_SPLITS):
                    numbers.setdefault(owner, []).append(array.ravel().astype(np.float64))
                elif array.dtype == np.uint64:
                    digests.append(array.ravel())
                else:
                    held.structure_values += array.size
    held.numbers = {name: np.unique(np.concatenate(parts)) for name, parts in numbers.items()}
    held.digests = np.unique(np.concatenate(digests)) if digests else np.zeros(0, dtype=np.uint64)
    return held


def _plan_order(manifest: Any) -> list[str]:
    """Table names by plan position (file ``t003.*`` is the table at position 3)."""
    try:
        return list(Plan.from_dict(manifest["plan"]).order)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise workspace.DamagedModel("model", "its manifest has no readable plan") from None


def _leaves(value: Any, *, skip_numbers: str) -> Iterator[Any]:
    """Every scalar of a JSON document, dictionary keys included (a category can be a key) but for
    lower-case field names; under a key named ``skip_numbers``, only the strings."""
    stack = [(value, False)]
    while stack:
        item, shape_only = stack.pop()
        if isinstance(item, dict):   # field names of our own formats ("max", "family") are structure
            stack.extend((key, shape_only) for key in item if not _FIELD_NAME.fullmatch(str(key)))
            stack.extend((v, shape_only or key == skip_numbers) for key, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, shape_only) for v in item)
        elif item is not None and not (shape_only and isinstance(item, (int, float))):
            yield item


def audit_model(directory: str | Path, engine: sa.Engine, *, k: int = 5) -> Audit:
    """Scan ``directory`` for the real values of the source behind ``engine`` (see the module doc)."""
    directory = Path(directory)
    manifest = workspace.read_json(directory / workspace.MANIFEST)
    if not isinstance(manifest, dict) or "schema" not in manifest:
        raise workspace.DamagedModel(directory, f"{workspace.MANIFEST} is not a manifest")
    schema = Schema.from_dict(manifest["schema"])
    entries = manifest.get("tables") if isinstance(manifest.get("tables"), dict) else {}
    order = _plan_order(manifest)
    held = holdings(directory)
    metadata = reflect_metadata(engine, schema_name=schema.name, only=[t.name for t in schema])
    frames = {t.name: read_table(engine, metadata.tables[f"{schema.name}.{t.name}" if schema.name else t.name])
              for t in schema}
    columns = {t.name: _value_columns(t) for t in schema}
    common_strings, common_numbers = _common(frames, columns, schema, k)
    carriers = {t.name: _descendants(schema, t.name) for t in schema}
    leaks, checked = [], 0
    for table in schema:
        frame = frames[table.name]
        retained = _retained(directory, entries, table.name, order.index(table.name)) if table.name in order else set()
        if table.name in (manifest.get("copied") or ()):   # copied whole on purpose: named, not scanned
            retained = set(table.column_names)
        for column in columns[table.name]:
            if column.name in retained:
                continue
            strings, numbers = rare_values(frame[column.name], column.kind, k)
            checked += len(strings) + len(numbers)
            found_strings = [s for s in strings if s.casefold() in held.strings
                             and s.casefold() not in common_strings]
            found_numbers = numbers[np.isin(numbers, held.numbers_of(carriers[table.name]))
                                    & ~np.isin(numbers, common_numbers)]
            count = len(found_strings) + int(found_numbers.size)
            if count:
                examples = tuple(found_strings[:3]) + tuple(_shown(found_numbers[:3], column.kind))
                leaks.append(Leak(table.name, column.name, "value", count, examples[:3]))
        leaks.extend(_digest_leaks(table, frame, columns[table.name], held))
    return Audit(str(directory), k, held, _summaries(schema, entries), checked, tuple(leaks))


def _descendants(schema: Schema, name: str) -> set[str]:
    """The table and every table below it: a child's model carries its parents' values."""
    found, frontier = {name}, [name]
    while frontier:
        parent = frontier.pop()
        for table in schema:
            if table.name not in found and any(fk.parent == parent for fk in table.foreign_keys):
                found.add(table.name)
                frontier.append(table.name)
    return found


def _value_columns(table: Table) -> list:
    """The columns whose rare values are looked for: not keys, and not a lookup table's labels
    (``label``: the database's vocabulary, each name the category of many rows, kept on purpose)."""
    return [c for c in table.columns if c.kind not in (Kind.KEY, Kind.LABEL) and c.name not in table.fk_columns]


def _retained(directory: Path, entries: dict, name: str, position: int) -> set[str]:
    """The columns kept with their real values at the user's request (named, not scanned)."""
    entry = entries.get(name)
    if not isinstance(entry, dict) or entry.get("retained") is not True:
        return set()
    document = workspace.read_json(directory / workspace.file_name(position, "retained", "json"))
    columns = document.get("columns") if isinstance(document, dict) else None
    return {str(c) for c in columns} if isinstance(columns, list) else set()


def _strings(values: pd.Series) -> pd.Series:
    present = values.dropna()
    if holds_binary(present):
        return pd.Series([], dtype=object)
    return present.astype(str)


def _codes(values: pd.Series, kind: Kind) -> np.ndarray:
    present = values.dropna().reset_index(drop=True)
    if present.empty:
        return np.zeros(0)
    codes = encoding.encode(present, encoding.analyze(present, kind))
    return codes[np.isfinite(codes)]


def rare_values(values: pd.Series, kind: Kind, k: int) -> tuple[list[str], np.ndarray]:
    """Real values fewer than ``k`` rows share: as text, and as the codes a model stores."""
    if kind not in _NUMBERS:
        text = _strings(values)
        counts = text.str.casefold().value_counts()
        rare_folded = set(counts.index[counts < k])
        return sorted({s for s in text.unique() if s.casefold() in rare_folded}), np.zeros(0)
    found, n = np.unique(_codes(values, kind), return_counts=True)
    return [], found[n < k]


def _common(frames: dict[str, pd.DataFrame], columns: dict[str, list], schema: Schema,
            k: int) -> tuple[set[str], np.ndarray]:
    """Values that ``k`` or more rows of some column share: the database's vocabulary."""
    strings: set[str] = set()
    numbers = [np.zeros(0)]
    for table in schema:
        for column in columns[table.name]:
            text = _strings(frames[table.name][column.name]).str.casefold()
            counts = text.value_counts()
            strings.update(counts.index[counts >= k])
            words = text.str.findall(r"\w+").explode().dropna()   # a word k rows use is vocabulary
            rows = words.groupby(level=0).unique().explode().value_counts() if len(words) else words
            strings.update(rows.index[rows >= k])
            if column.kind in _NUMBERS:
                codes = np.sort(_codes(frames[table.name][column.name], column.kind))
                found, n = np.unique(codes, return_counts=True)
                numbers.append(found[n >= k])
                if codes.size >= 2 * k:  # the clip bounds (see the module doc)
                    numbers.append(codes[[k - 1, -k]])
    return strings, np.unique(np.concatenate(numbers))


def _shown(codes: np.ndarray, kind: Kind) -> list[str]:
    if kind == Kind.DATE:
        return [str(pd.Timestamp(0) + pd.Timedelta(days=float(c)))[:10] for c in codes]
    return [f"{c:g}" for c in codes]


def _digest_leaks(table: Table, frame: pd.DataFrame, columns: list, held: Holdings) -> list[Leak]:
    """Real values and whole rows whose digest under a key the directory holds is stored."""
    if not held.digests.size:
        return []
    out = []
    names = [c.name for c in columns if c.name in frame.columns]
    for key in sorted(held.keys | {_ZERO_KEY}):
        for name in names:
            text = _strings(frame[name]).drop_duplicates()
            if text.empty:
                continue
            digests = pd.util.hash_pandas_object(text, index=False, hash_key=key).to_numpy()
            found = int(np.isin(digests, held.digests).sum())
            if found:
                out.append(Leak(table.name, name, "digest", found, ()))
        modeled = [c.name for c in columns if c.kind.modeled and c.name in frame.columns]
        if len(modeled) >= 2:
            rows = frame[modeled].astype(str).fillna("\x00null")
            found = int(np.isin(pd.util.hash_pandas_object(rows, index=False, hash_key=key).to_numpy(),
                                held.digests).sum())
            if found:
                out.append(Leak(table.name, "(whole rows)", "row digest", found, ()))
    return out


def _summaries(schema: Schema, entries: dict) -> dict[str, dict]:
    out = {}
    for table in schema:
        entry = entries.get(table.name) if isinstance(entries, dict) else None
        entry = entry if isinstance(entry, dict) else {}
        modeled = entry.get("modeled") if isinstance(entry.get("modeled"), dict) else {}
        formats = entry.get("formats") if isinstance(entry.get("formats"), dict) else {}
        out[table.name] = {"family": str(entry.get("family", "?")), "modeled": sorted(map(str, modeled)),
                           "generated": sorted(map(str, formats)), "retained": entry.get("retained") is True}
    return out


__all__ = ["Audit", "Leak", "Holdings", "holdings", "audit_model", "rare_values"]
