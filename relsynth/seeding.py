"""A plausible database from SQLAlchemy models alone: ``relsynth seed --metadata pkg.module:Base``.

No source and no model: the MetaData's tables become relsynth's Schema records
(:func:`relsynth.schema.reflect.schema_from_metadata`, each column's kind from its type and
name), and each column is drawn from what it declares: e-mails, names, phones, cities ... from
the format generators of :mod:`relsynth.privacy.fakes` (example.com mailboxes, Faker's public
name lists), numbers within the type's precision and a range its name suggests (``quantity``,
``age``, ``price``), enum values, recent dates. Keys are fresh, every foreign key points at a
generated parent row (one parent per child for a unique foreign key), unique columns hold
distinct values and rows that break a check constraint are drawn again; the rows are then
written by :func:`relsynth.write.target.write_database`, all or nothing, and every constraint
is verified in the target.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd
import sqlalchemy as sa

from relsynth.errors import ConfigError, RelsynthError
from relsynth.schema.kinds import Kind
from relsynth.schema.model import Column, ForeignKey, Schema, Table

DEFAULT_ROWS = 100
NULL_SHARE = 0.1            # of a nullable column's values (never a key's or a unique column's)
CHECK_ROUNDS = 5            # redraws of the rows a check constraint refuses
_EPOCH_DAYS = 3 * 365       # dates and datetimes: the last three years
_NOW = np.datetime64("2026-01-01T00:00:00", "s")   # fixed, so the same seed gives the same rows any day


class MetadataError(ConfigError):
    hint = "give MODULE:ATTRIBUTE, e.g. --metadata myapp.models:Base (a declarative Base or a MetaData)"


def load_metadata(reference: str | sa.MetaData | object) -> sa.MetaData:
    """The MetaData that ``pkg.module:Base`` names (a declarative Base, a MetaData, or anything with
    a ``metadata``); the current directory is on the import path, as for ``python -m``."""
    if isinstance(reference, sa.MetaData):
        return reference
    if not isinstance(reference, str):
        found = getattr(reference, "metadata", None)
        if isinstance(found, sa.MetaData):
            return found
        raise MetadataError(f"{reference!r} is neither a MetaData nor a declarative Base")
    module_name, sep, attribute = reference.partition(":")
    if not sep or not module_name or not attribute:
        raise MetadataError(f"--metadata {reference!r} is not MODULE:ATTRIBUTE")
    if str(Path.cwd()) not in sys.path and "" not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise MetadataError(f"cannot import {module_name}: {exc}",
                            hint="run from the folder that holds the package, or set PYTHONPATH") from None
    target: object = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise MetadataError(f"{module_name} has no attribute {attribute}")
        target = getattr(target, part)
    return load_metadata(target if isinstance(target, sa.MetaData) else _metadata_of(target, reference))


def _metadata_of(value: object, reference: str) -> sa.MetaData:
    found = getattr(value, "metadata", None)
    if not isinstance(found, sa.MetaData):
        raise MetadataError(f"{reference} is neither a MetaData nor a declarative Base")
    return found


def row_counts(schema: Schema, rows: int | Mapping[str, int] | None) -> dict[str, int]:
    """Rows per table: ``rows`` for every table (an int), or per table (a mapping, where ``"*"``
    counts for the tables it does not name; else ``DEFAULT_ROWS``)."""
    if rows is None or isinstance(rows, int):
        rows = {"*": DEFAULT_ROWS if rows is None else int(rows)}
    unknown = sorted(set(rows) - {t.name for t in schema} - {"*"})
    if unknown:
        raise ConfigError(f"--rows names unknown tables: {', '.join(unknown)}",
                          hint=f"tables are: {', '.join(t.name for t in schema)}")
    return {t.name: int(rows.get(t.name, rows.get("*", DEFAULT_ROWS))) for t in schema}


def seed_frames(schema: Schema, order: list[str], counts: Mapping[str, int], *, seed: int | None = 0,
                locale: str | None = None) -> dict[str, pd.DataFrame]:
    """One frame per table of ``order`` (parents first): ``counts[table]`` rows, fewer only where a
    unique foreign key runs out of parents."""
    rng = np.random.default_rng(seed)
    frames: dict[str, pd.DataFrame] = {}
    for name in order:
        frames[name] = _table_frame(schema[name], counts[name], frames, rng, locale)
    return frames


def _table_frame(table: Table, n: int, frames: Mapping[str, pd.DataFrame], rng: np.random.Generator,
                 locale: str | None) -> pd.DataFrame:
    n = _rows_parents_allow(table, n, frames)
    out: dict[str, object] = {}
    keyed = {c for fk in table.foreign_keys for c in fk.columns}
    own = [c for c in table.primary_key if c not in keyed]
    for name in own:       # own keys first: a self-reference draws from them
        # a composite key is unique by its last own column; the others take a few values each
        out[name] = _own_key(table, table.column(name), n, rng, unique=name == own[-1])
    for fk in table.foreign_keys:
        parent = pd.DataFrame(out) if fk.parent == table.name else frames.get(fk.parent)
        out.update(_references(table, fk, parent, n, rng))
    unique = {u[0] for u in table.unique_sets() if len(u) == 1}
    formats = {c.name: _format(c, c.name in unique, locale) for c in table.columns
               if c.name not in out and _format(c, False, locale) is not None}
    if formats:       # one fake person and one place per row: its name, e-mail and city agree
        from relsynth.privacy.personas import generate_columns

        out.update(generate_columns(formats, n, rng, unique=table.unique_sets()))
    for column in table.columns:
        if column.name not in out:
            out[column.name] = _values(table, column, n, rng, unique=column.name in unique, locale=locale)
    frame = pd.DataFrame({c.name: out[c.name] for c in table.columns})
    frame = _number_within_parents(table, frame)
    return _meet_checks(table, frame, rng, locale)


def _rows_parents_allow(table: Table, n: int, frames: Mapping[str, pd.DataFrame]) -> int:
    """A foreign key that is unique on its own (one-to-one) takes each parent once at most."""
    for fk in table.foreign_keys:
        if fk.columns in table.unique_sets() and fk.parent != table.name and fk.parent in frames:
            available = len(frames[fk.parent])
            if n > available and not fk.nullable:
                warnings.warn(f"{table.name}: {n} rows asked, but its unique foreign key {fk.label} has "
                              f"{available} parents: {available} rows", stacklevel=4)
                n = available
    return n


def _own_key(table: Table, column: Column, n: int, rng: np.random.Generator, *, unique: bool) -> object:
    """Keys 1, 2, 3 ... (``unique``), else from a few values (a composite key's leading columns);
    a string key as digits, or letters and digits where its length holds too few numbers."""
    generic = column.type.get("generic")
    numbers = np.arange(1, n + 1, dtype=np.int64) if unique else rng.integers(1, max(int(np.sqrt(n)), 2) + 1, n)
    if generic in ("integer", "bigint", "smallint", "decimal"):
        return numbers
    if generic == "uuid":
        return _values(table, column, n, rng, unique=True, kind=Kind.UUID)
    length = column.type.get("length")
    if length is None or n < 10 ** min(int(length), 18):
        return numbers.astype(str).astype(object)
    width, out, rest = int(length), np.full(n, "", dtype=object), numbers.copy()
    for _ in range(width):              # base 36, most significant digit first
        out = np.asarray(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"), dtype=object)[rest % 36] + out
        rest //= 36
    return out


def _references(table: Table, fk: ForeignKey, parent: pd.DataFrame | None, n: int,
                rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The foreign key's columns: each row a random parent row's key (every parent once at most
    when the key is unique on its own), NULL for some rows of a nullable key."""
    if parent is None or parent.empty:
        if fk.nullable:
            return {c: np.full(n, None, dtype=object) for c in fk.columns}
        raise RelsynthError(f"{table.name}: foreign key {fk.label} needs rows of {fk.parent}",
                            hint=f"give {fk.parent} rows: --rows {fk.parent}=N")
    one_each = fk.columns in table.unique_sets()
    if one_each:
        picks = rng.permutation(len(parent))[:n]
        picks = np.concatenate([picks, np.full(n - len(picks), -1)]) if len(picks) < n else picks
    else:
        picks = rng.integers(0, len(parent), n)
    if fk.nullable:
        picks = np.where(rng.random(n) < NULL_SHARE, -1, picks)
    out = {}
    for child, key in zip(fk.columns, fk.parent_columns):
        values = parent[key].to_numpy(object)[np.maximum(picks, 0)]
        values[picks < 0] = None
        out[child] = values
    return out


def _number_within_parents(table: Table, frame: pd.DataFrame) -> pd.DataFrame:
    """An integer primary-key column beside foreign-key ones (``order_items(order_id, line_no)``)
    numbers the rows of each parent 1, 2, 3 ..., so the composite key is unique."""
    keyed = [c for c in table.primary_key if any(c in fk.columns for fk in table.foreign_keys)]
    rest = [c for c in table.primary_key if c not in keyed]
    if not keyed or not rest:
        return frame
    numbered = frame.groupby(keyed, dropna=False, sort=False).cumcount().to_numpy() + 1
    for column in rest:
        if table.column(column).type.get("generic") in ("integer", "bigint", "smallint"):
            frame[column] = numbered
    return frame


def _meet_checks(table: Table, frame: pd.DataFrame, rng: np.random.Generator, locale: str | None) -> pd.DataFrame:
    """Rows a check constraint refuses get their non-key values drawn again (a few rounds), then
    are dropped; as are rows that repeat a unique column set."""
    from relsynth.relational.checks import violations

    named = " ".join(c.sqltext for c in table.checks)    # only the columns a check names are drawn again
    free = [c for c in table.columns if c.name not in table.key_columns and c.name in named]
    unique = {u[0] for u in table.unique_sets() if len(u) == 1}
    for _ in range(CHECK_ROUNDS if table.checks else 0):
        bad = np.zeros(len(frame), dtype=bool)
        for check in table.checks:
            found = violations(frame, check.sqltext, label=f"{table.name}: {check.name or check.sqltext}")
            if found is not None:
                bad |= found
        if not bad.any():
            break
        rows = np.flatnonzero(bad)
        for column in free:
            fresh = _values(table, column, len(rows), rng, unique=column.name in unique, locale=locale)
            values = frame[column.name].to_numpy(dtype=object, copy=True)
            values[rows] = pd.Series(list(fresh), dtype=object).to_numpy()   # JSON lists stay whole
            frame[column.name] = pd.Series(values, index=frame.index, dtype=object).infer_objects()
    else:
        if table.checks and bad.any():
            warnings.warn(f"{table.name}: {int(bad.sum())} rows left out: no draw met its check constraints",
                          stacklevel=4)
            frame = frame[~bad]
    for columns in table.unique_sets():
        frame = frame[~(frame[list(columns)].duplicated(keep="first") & frame[list(columns)].notna().all(axis=1))]
    return _self_references_kept(table, frame.reset_index(drop=True), rng)


def _self_references_kept(table: Table, frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """A row left out above may be another row's parent in the same table (``manager_id``):
    such a reference points at a remaining row instead (NULL if none remains)."""
    for fk in (f for f in table.foreign_keys if f.parent == table.name):
        keys = frame[list(fk.parent_columns)]
        refs = frame[list(fk.columns)]
        present = pd.MultiIndex.from_frame(keys.astype(object))
        dangling = refs.notna().all(axis=1).to_numpy() & ~pd.MultiIndex.from_frame(refs.astype(object)).isin(present)
        if not dangling.any():
            continue
        picks = rng.integers(0, len(frame), int(dangling.sum())) if len(frame) else np.zeros(0, dtype=np.int64)
        for child, key in zip(fk.columns, fk.parent_columns):
            values = frame[child].to_numpy(dtype=object, copy=True)
            values[dangling] = keys[key].to_numpy(dtype=object)[picks]
            frame[child] = values
    return frame


# --------------------------------------------------------------------------- one column

_RANGES = (  # name words -> (low, high) of a plausible integer or amount
    (("quantity", "qty", "count", "number_of", "items"), (1, 10)),
    (("age",), (18, 90)),
    (("year",), (1960, 2025)),
    (("rating", "stars", "score", "rank"), (1, 5)),
    (("percent", "pct", "discount"), (0, 100)),
    (("price", "amount", "total", "cost", "salary", "balance", "fee", "revenue"), (1, 1000)),
)


def _range(name: str) -> tuple[int, int] | None:
    lowered = name.lower()
    for words, bounds in _RANGES:
        if any(w in lowered for w in words):
            return bounds
    return None


def _values(table: Table, column: Column, n: int, rng: np.random.Generator, *, unique: bool = False,
            kind: Kind | None = None, locale: str | None = None) -> object:
    kind = kind or column.kind
    spec = column.type
    nulls = column.nullable and not unique
    if kind is Kind.TEXT and (spec.get("length") or 255) <= 24:     # a short string: a code
        return _codes(n, int(spec.get("length") or 12), rng, nulls, unique)
    fmt = _format(column, unique, locale, kind)
    if fmt is not None:
        from relsynth.privacy import fakes

        return fakes.generate(fmt, n, rng, unique=unique).to_numpy(object)
    values = _typed(column, n, rng, unique)
    if nulls and n:
        values = pd.Series(values).astype(object).where(rng.random(n) >= NULL_SHARE, None).to_numpy(object)
    return values


def _format(column: Column, unique: bool, locale: str | None, kind: Kind | None = None) -> dict | None:
    """The format the fakes generate an identifying column in (as if learned from no rows), or
    None for a column of another kind (or a short code, made by :func:`_codes`)."""
    kind = kind or column.kind
    spec = column.type
    if kind in (Kind.KEY, Kind.LABEL) or not kind.identifying or (kind is Kind.TEXT and (spec.get("length") or 255) <= 24):
        return None
    from relsynth.privacy import fakes

    fmt = fakes.learn_format(kind, pd.Series([], dtype=object), max_length=spec.get("length"), spec=spec)
    if column.nullable and not unique:
        fmt["null_share"] = NULL_SHARE
    if locale:
        fmt["locale"] = locale
    return fmt


def _typed(column: Column, n: int, rng: np.random.Generator, unique: bool) -> object:
    """Values of a column relsynth would model, from its type, length and name."""
    spec, generic = column.type, column.type.get("generic")
    if spec.get("values"):                                   # an enum
        return np.asarray(spec["values"], dtype=object)[rng.integers(0, len(spec["values"]), n)]
    if generic == "boolean":
        return rng.random(n) < 0.7
    if generic in ("integer", "bigint", "smallint"):
        if unique:
            return rng.permutation(n) + 1
        low, high = _range(column.name) or (0, 1000)
        return rng.integers(low, high + 1, n)
    if generic in ("decimal", "float"):
        low, high = _range(column.name) or (0, 1000)
        scale = spec.get("scale")
        digits = spec.get("precision")
        if digits is not None and scale is not None:
            high = min(high, 10 ** (int(digits) - int(scale)) - 1)
        values = np.exp(rng.uniform(np.log(max(low, 0.01)), np.log(max(high, 0.02)), n))
        return np.round(values, int(scale) if scale is not None else 2)
    if generic == "datetime":
        return _NOW - rng.integers(0, _EPOCH_DAYS * 86_400, n).astype("timedelta64[s]")
    if generic == "date":
        days = rng.integers(0, _EPOCH_DAYS, n)
        if _range(column.name) is None and "birth" in column.name.lower():
            days = rng.integers(18 * 365, 80 * 365, n)
        return (_NOW.astype("datetime64[D]") - days.astype("timedelta64[D]")).astype("datetime64[s]")
    if generic == "time":
        return pd.to_timedelta(rng.integers(0, 86_400, n), unit="s").to_numpy()
    from relsynth.privacy import fakes   # a categorical string: a few words, as a status column has

    words = fakes._pool(fakes.DEFAULT_LOCALE, "word")[:8]
    length = spec.get("length")
    picked = words[rng.integers(0, len(words), n)]
    return np.asarray([w[:length] for w in picked], dtype=object) if length else picked


def _codes(n: int, length: int, rng: np.random.Generator, nulls: bool, unique: bool) -> np.ndarray:
    """Short codes such as ``QX-48213``: two letters, a dash and digits, within the column's length."""
    digits = max(min(length - 3, 8), 1)
    letters = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ"))
    head = np.char.add(letters[rng.integers(0, len(letters), n)], letters[rng.integers(0, len(letters), n)])
    numbers = rng.permutation(10 ** digits)[:n] if unique and n <= 10 ** digits else rng.integers(0, 10 ** digits, n)
    codes = np.char.add(np.char.add(head, "-"), np.char.zfill(numbers.astype(str), digits)) if length >= 4 \
        else np.char.zfill(numbers.astype(str), length)
    out = codes.astype(object)
    if nulls:
        out[rng.random(n) < NULL_SHARE] = None
    return out


def seed(metadata: str | sa.MetaData | object, target: str | sa.URL, *, rows: int | Mapping[str, int] | None = None,
         seed: int | None = 0, replace: bool = False, schema: str | None = None, locale: str | None = None,
         reporter=None):
    """Generate a database from SQLAlchemy models alone and write it into ``target``; the
    :class:`~relsynth.api.CloneResult` (rows per table, the constraint checks run there).
    ``metadata``: ``"pkg.module:Base"``, a declarative Base or a MetaData. ``rows``: per table,
    or one count for all (default 100). ``schema``: a schema of the target (see ``generate``)."""
    from dataclasses import replace as with_fields

    from relsynth.api import _url, _write, shown_in
    from relsynth.graph import plan as make_plan
    from relsynth.progress import Reporter
    from relsynth.schema.reflect import schema_from_metadata
    from relsynth.urls import target_url
    from relsynth.write.target import in_schema, open_engine

    reporter = reporter or Reporter()
    url = target_url(_url(target))
    engine = open_engine(url)     # never connected: the types are described for the target's dialect
    engine.dispose()
    built = schema_from_metadata(load_metadata(metadata), engine.dialect)
    the_plan = make_plan(built)
    counts = row_counts(built, rows)
    if schema:
        url = in_schema(url, schema)
    with reporter.task("generating rows"):
        frames = seed_frames(built, list(the_plan.order), counts, seed=seed, locale=locale)
    result = _write(built, the_plan, frames, url, replace=replace, reporter=reporter)
    return with_fields(result, target=shown_in(url, schema, result.target), source_rows={}, expected=dict(counts))
