"""Read the source's tables as frames, inside read-only transactions, in chunks."""

from __future__ import annotations

from typing import Callable

import decimal

import numpy as np
import pandas as pd
import sqlalchemy as sa

from relsynth.schema.sqltypes import classify_quietly

CHUNK_ROWS = 200_000


def read_table(engine: sa.Engine, sa_table: sa.Table, *, columns: list[str] | None = None,
               progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """The whole table (or some columns), typed by SQLAlchemy: dates come back as dates, not text."""
    cols = [sa_table.c[c] for c in columns] if columns is not None else list(sa_table.columns)
    names = [c.name for c in cols]
    # SQLite keeps timestamps as text, which SQLAlchemy parses one value at a time: read the text
    # and let pandas parse the whole column at once.
    as_text = {c.name for c in cols if engine.dialect.name == "sqlite"
               and isinstance(c.type, (sa.DateTime, sa.Date)) and not isinstance(c.type, sa.Time)}
    # MySQL SET: the comma-joined text the server stores (labels in their declared order), one
    # category per combination, rather than the Python sets SQLAlchemy makes of it
    sets = {c.name for c in cols if getattr(c.type, "__visit_name__", "") == "SET"}
    cols = [sa.type_coerce(c, sa.String).label(c.name) if c.name in as_text | sets else c for c in cols]
    if engine.dialect.name == "postgresql":
        cols = [_postgres_readable(c) for c in cols]
    elif engine.dialect.name in ("mysql", "mariadb"):
        cols = [_spatial_readable(c) for c in cols]
    exact = {c.name for c in cols if _needs_decimals(c.type)}
    if not cols:
        count = _count(engine, sa_table)
        return pd.DataFrame(index=pd.RangeIndex(count))
    chunks: list[pd.DataFrame] = []
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=CHUNK_ROWS).execute(sa.select(*cols))
        for part in result.partitions(CHUNK_ROWS):
            columns = list(zip(*part))  # column-wise in C: far faster than from_records on Row objects
            chunks.append(pd.DataFrame({n: _column(values, exact=n in exact) for n, values in zip(names, columns)}))
            if progress:
                progress(len(part))
    if not chunks:
        return pd.DataFrame({n: pd.Series(dtype=object) for n in names})
    frame = pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]
    for name in as_text - sets:
        frame[name] = _parse_timestamps(frame[name], date_only=not isinstance(sa_table.c[name].type, sa.DateTime))
    return frame


def _postgres_readable(column: sa.ColumnElement) -> sa.ColumnElement:
    """PostgreSQL values read in the form relsynth learns: an interval as seconds (a number the
    model learns), money as numeric (its text carries the locale's currency sign), and types
    with their own syntax (inet, ranges, geometry, bits, xml, hstore) as their text output."""
    spec = classify_quietly(column.type)
    if spec["generic"] == "interval":
        return sa.func.extract("epoch", column).label(column.name)
    if spec.get("money"):
        return sa.cast(column, sa.Numeric(19, 2)).label(column.name)
    if spec.get("special"):
        return sa.type_coerce(sa.cast(column, sa.Text), sa.Text).label(column.name)
    return column


def _spatial_readable(column: sa.ColumnElement) -> sa.ColumnElement:
    """A MySQL spatial value as ``SRID=n;WKT`` text (NULL stays NULL): its kind, reference system
    and coordinates, in the form relsynth.privacy.wkt learns."""
    if classify_quietly(column.type).get("special") != "wkt":
        return column
    text = sa.func.concat("SRID=", sa.func.ST_SRID(column), ";", sa.func.ST_AsText(column))
    return sa.type_coerce(text, sa.Text).label(column.name)


def _parse_timestamps(text: pd.Series, *, date_only: bool) -> pd.Series:
    stamps = pd.to_datetime(text, format="ISO8601", errors="coerce")
    if date_only:  # dates as datetime.date, as the other dialects' drivers return them
        return pd.Series(stamps.dt.date.where(stamps.notna(), None), dtype=object)
    return stamps


EXACT_DIGITS = 15   # float64 spells any decimal of at most this many significant digits


def _needs_decimals(type_: sa.types.TypeEngine) -> bool:
    """A NUMERIC / DECIMAL that may hold more digits than float64 keeps (or any number of them)."""
    return (isinstance(type_, sa.Numeric) and not isinstance(type_, sa.Float | sa.Integer)
            and (type_.precision is None or type_.precision > EXACT_DIGITS))


def _column(values: tuple, *, exact: bool = False) -> pd.Series:
    """One column of a chunk. Decimals of a wide NUMERIC stay Decimal objects (exact); narrower
    ones become floats. A float NaN or Infinity the database holds as a value is kept apart from
    NULL: the column is then a masked Float64 (NULL is NA, NaN a value)."""
    series = pd.Series(values, dtype=object)
    if exact:
        return series
    inferred = series.infer_objects()
    if inferred.dtype == object and len(series) and any(isinstance(v, decimal.Decimal) for v in values[:1000]):
        inferred = pd.to_numeric(series, errors="coerce")  # Decimal objects: floats for the model
    if inferred.dtype.kind == "f":
        floats = inferred.to_numpy(dtype=np.float64)
        nan = np.isnan(floats)
        if nan.any():
            nulls = np.equal(series.to_numpy(dtype=object), None)
            if (nan & ~nulls).any():
                return pd.Series(pd.arrays.FloatingArray(floats, nulls))
    return inferred


def _count(engine: sa.Engine, sa_table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(sa_table)).scalar_one())
