"""Frame columns turned into what a target driver takes, one whole column at a time.

``to_text`` gives PostgreSQL COPY input: every value as its text form, None for NULL.
``to_python`` gives DBAPI parameters for SQLite and MySQL: int, float, str, bytes or None.
A column is converted by its portable type (``generic``), whatever pandas dtype holds it;
NaN, None, NA and NaT all mean NULL.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from relsynth.privacy import wkt

_TRUE = frozenset({"true", "t", "1", "yes", "y", "on"})


class Target:
    """What a conversion needs to know about one target column."""

    def __init__(self, spec: dict[str, Any], column: sa.Column, dialect: sa.engine.Dialect) -> None:
        self.generic = spec.get("generic", "other")
        self.scale = spec.get("scale")
        self.array = bool(spec.get("array"))
        self.dialect = dialect.name
        type_ = column.type
        # SQLAlchemy's portable Uuid is CHAR(32) of hex digits where the database has no UUID type
        self.uuid_hex = self.generic == "uuid" and "(32)" in type_.compile(dialect=dialect)
        # an interval off PostgreSQL is SQLAlchemy's emulation: epoch + delta as a DATETIME
        self.interval_as_datetime = self.generic == "interval" and isinstance(type_, sa.Interval) \
            and dialect.name != "postgresql"
        # an interval off PostgreSQL is a number of seconds (a DOUBLE)
        self.interval_seconds = self.generic == "interval" and isinstance(type_, sa.Float)
        # a MySQL BIT(n) column takes its bits as an integer
        self.bits_as_int = spec.get("special") == "bit" and "BIT" in type_.compile(dialect=dialect).upper() \
            and dialect.name in ("mysql", "mariadb")
        # a MySQL spatial value (SRID=n;WKT): WKB with its SRID into a spatial column, WKT text elsewhere
        self.wkt = spec.get("special") == "wkt"
        self.wkb = self.wkt and dialect.name in ("mysql", "mariadb") and not isinstance(type_, (sa.String, sa.Text))
        self.pg_array = self.array and dialect.name == "postgresql" and not isinstance(type_, sa.JSON)
        self.specials = _held_specials(self.generic, dialect)
        self.text = self.generic in _TEXT_GENERICS and not self.array
        self.tsvector = dialect.name == "postgresql" and (
            bool(spec.get("tsvector")) or str(spec.get("native", "")).upper() == "TSVECTOR")


_TEXT_GENERICS = frozenset({"string", "text", "enum", "other"})
_NUL, NUL_REPLACEMENT = "\x00", "\ufffd"


def _held_specials(generic: str, dialect: sa.engine.Dialect) -> frozenset[str]:
    """The non-finite numbers a column of this type holds on the target: PostgreSQL floats hold
    NaN and both infinities, its NUMERIC NaN (and the infinities from version 14); SQLite REAL
    holds the infinities (a NaN is stored as NULL); MySQL / MariaDB hold none."""
    if dialect.name == "postgresql":
        if generic == "float":
            return frozenset({"nan", "inf", "-inf"})
        if generic == "decimal":
            version = dialect.server_version_info or (0,)
            return frozenset({"nan", "inf", "-inf"} if version >= (14,) else {"nan"})
    if dialect.name == "sqlite" and generic == "float":
        return frozenset({"inf", "-inf"})
    return frozenset()


def special_values(series: pd.Series) -> dict[str, np.ndarray]:
    """Where a numeric column holds NaN, +Infinity or -Infinity as values (NULL is not one):
    a masked Float64 column's NaN, a float's infinities, Decimal('NaN') / Decimal('Infinity')."""
    if series.dtype == object:
        nulls = series.isna().to_numpy(dtype=bool, copy=True)   # pandas counts Decimal('NaN') as missing: it is a value
        if nulls.any():
            held = series[nulls].map(lambda v: isinstance(v, Decimal)).to_numpy(dtype=bool)   # null rows only
            nulls[np.flatnonzero(nulls)[held]] = False
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    elif series.dtype.kind == "f":
        nulls = series.isna().to_numpy(dtype=bool)   # a masked Float64 keeps NaN values apart from NULL
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        return {}
    found = {"nan": np.isnan(values) & ~nulls, "inf": np.isposinf(values), "-inf": np.isneginf(values)}
    return {name: where for name, where in found.items() if where.any()}


def nul_characters(series: pd.Series) -> np.ndarray:
    """Rows of a text column holding a NUL character (U+0000)."""
    try:
        found = series.str.contains(_NUL, regex=False, na=False)   # non-text values count as no
    except AttributeError:   # no text in the column at all
        return np.zeros(len(series), dtype=bool)
    return found.to_numpy(dtype=bool, na_value=False)


def without_nul(series: pd.Series, rows: np.ndarray) -> pd.Series:
    """NUL characters in ``rows`` replaced by U+FFFD, one character for one: lengths and
    distinct values stay (a stripped 'a\\x00' would clash with 'a' in a unique column)."""
    out = series.astype(object)
    out[rows] = out[rows].str.replace(_NUL, NUL_REPLACEMENT, regex=False)
    return out


def to_text(series: pd.Series, target: Target) -> np.ndarray:
    """Text for PostgreSQL COPY: an object array of str, None for NULL."""
    g = target.generic
    if g in ("integer", "smallint", "bigint"):
        return _fill(series, lambda s: list(map(str, _ints(s).tolist())))
    if g == "float":
        return _fill(series, lambda s: list(map(repr, _floats(s).tolist())))   # 2x numpy's astype(str)
    if g == "decimal":
        return _fill(series, lambda s: _decimals(s, target.scale, as_text=True))
    if g == "boolean":
        return _fill(series, lambda s: np.where(_bools(s), "t", "f"))
    if g == "json" and target.pg_array:
        return _fill(series, lambda s: np.array([_pg_array(v) for v in s], dtype=object))
    if target.tsvector:
        return _fill(series, tsvector_text)
    if g == "binary":
        return _fill(series, lambda s: np.array(["\\x" + _bytes(v).hex() for v in s], dtype=object))
    return _common(series, target)


def to_python(series: pd.Series, target: Target) -> np.ndarray:
    """DBAPI parameters for SQLite / MySQL: an object array of Python values, None for NULL."""
    g = target.generic
    if g in ("integer", "smallint", "bigint"):
        return _fill(series, lambda s: _ints(s).astype(object))
    if g == "float":
        return _fill(series, lambda s: _floats(s).astype(object))
    if g == "decimal":
        as_text = target.dialect == "sqlite"   # sqlite3 cannot bind Decimal; NUMERIC affinity reads text
        return _fill(series, lambda s: _decimals(s, target.scale, as_text=as_text))
    if g == "boolean":
        return _fill(series, lambda s: _bools(s).astype(np.int64).astype(object))
    if g == "binary":
        return _fill(series, lambda s: np.array([_bytes(v) for v in s], dtype=object))
    if target.interval_seconds:
        return _fill(series, lambda s: _seconds(s).astype(object))
    if target.wkb:
        return _fill(series, lambda s: np.array([wkt.to_wkb(str(v)) for v in s], dtype=object))
    if target.bits_as_int:
        return _fill(series, lambda s: np.array([int(v, 2) if isinstance(v, str) else int.from_bytes(bytes(v), "big")
                                                 for v in s], dtype=object))
    return _common(series, target)


def _seconds(s: pd.Series) -> np.ndarray:
    """An interval as seconds: numbers as they are, timedeltas converted."""
    if pd.api.types.is_timedelta64_dtype(s.dtype) or (s.dtype == object and len(s) and isinstance(s.iloc[0], dt.timedelta)):
        return pd.to_timedelta(s).dt.total_seconds().to_numpy(np.float64)
    return pd.to_numeric(s).to_numpy(np.float64)


def _common(series: pd.Series, target: Target) -> np.ndarray:
    """Conversions that give text on every dialect."""
    g = target.generic
    sep = "T" if target.dialect == "postgresql" else " "
    if g == "datetime":
        return _fill(series, lambda s: _datetime_text(_datetimes(s), sep))
    if g == "date":
        return _fill(series, lambda s: np.datetime_as_string(_datetimes(s), unit="D").astype(object))
    if g == "time":
        return _fill(series, _time_text)
    if g == "interval":
        if target.interval_as_datetime:
            return _fill(series, lambda s: _datetime_text(
                np.datetime64("1970-01-01T00:00:00", "us") + _timedeltas(s), sep))
        return _fill(series, lambda s: np.char.add(_timedeltas(s).astype(np.int64).astype(str), " microseconds"))
    if g == "uuid":
        def uuids(s: pd.Series) -> np.ndarray:
            text = s.astype(str).str.lower()
            return (text.str.replace("-", "", regex=False) if target.uuid_hex else text).to_numpy(object)
        return _fill(series, uuids)
    if target.wkt:
        return _fill(series, lambda s: s.astype(str).str.replace(r"^SRID=\d+;", "", regex=True).to_numpy(object))
    if g == "json" or target.array:
        return _fill(series, lambda s: np.array([v if isinstance(v, str) else json.dumps(_plain(v)) for v in s],
                                                dtype=object))
    return _fill(series, lambda s: s.astype(str).to_numpy(object))


# --------------------------------------------------------------------------- helpers

TSVECTOR_MAX_POSITION = 16383


def tsvector_text(s: pd.Series) -> np.ndarray:
    """Valid tsvector text from any text: its words, lower-cased, at positions 1, 2, ...
    (``'278':0 TV`` -> ``'278':1 'tv':2``); a value without words is the empty tsvector."""
    text = pd.Series(s.astype(str).to_numpy(object), dtype=object)   # positional index: rows never merge
    words = text.str.replace(r":[\d,A-D]+", " ", regex=True).str.lower().str.findall(r"[^\W_]+")
    flat = words.explode().dropna()
    if flat.empty:
        return np.full(len(s), "", dtype=object)
    positions = np.minimum(flat.groupby(level=0).cumcount().to_numpy() + 1, TSVECTOR_MAX_POSITION)
    tokens = ("'" + flat.astype(str) + "':" + positions.astype(str))
    joined = tokens.groupby(level=0).agg(" ".join)
    return joined.reindex(text.index, fill_value="").to_numpy(object)



def _fill(series: pd.Series, convert: Any) -> np.ndarray:
    """Run ``convert`` on the non-null values only, and put None where the rest were."""
    mask = _nulls(series)
    out = np.full(len(series), None, dtype=object)
    if mask.all():
        return out
    present = series[~mask] if mask.any() else series
    values = np.asarray(convert(present), dtype=object)
    out[~mask] = values
    return out


def _nulls(series: pd.Series) -> np.ndarray:
    return series.isna().to_numpy()   # None, NaN, NA and NaT; a list or dict (JSON) is a value


def _ints(s: pd.Series) -> np.ndarray:
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "iu":
        return s.to_numpy()
    if s.dtype.kind == "b" or str(s.dtype) == "boolean":
        return s.astype(np.int64).to_numpy()
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        s = pd.to_numeric(s)
    # raises on a fractional value: an integer column must not silently round
    return s.astype("Int64").to_numpy(dtype=np.int64)


def _floats(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s).to_numpy(dtype=np.float64) if s.dtype.kind != "f" else s.to_numpy(np.float64)


def _decimals(s: pd.Series, scale: int | None, *, as_text: bool) -> np.ndarray:
    if s.dtype.kind in "iu":                   # exact, even past float's 2**53
        values = s.to_numpy(np.int64 if s.dtype.kind == "i" else np.uint64).tolist()
        return list(map(str, values)) if as_text else values
    if s.dtype.kind == "f":
        values = s.to_numpy(np.float64)
        if scale is not None:
            values = np.round(values, scale)   # the target would round too; SQLite wouldn't
        return list(map(repr, values.tolist())) if as_text else values.astype(object)
    if as_text:
        return s.astype(str).to_numpy(object)
    return s.to_numpy(object)   # Decimal, int, float or numeric text: the driver escapes each


def _bools(s: pd.Series) -> np.ndarray:
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        if all(isinstance(v, str) for v in s):
            return s.str.strip().str.lower().isin(_TRUE).to_numpy()
    return s.astype("boolean").to_numpy(dtype=bool)


def _datetimes(s: pd.Series) -> np.ndarray:
    """datetime64[us] in UTC wall time, for naive and aware input alike."""
    if not pd.api.types.is_datetime64_any_dtype(s.dtype):
        try:
            s = pd.to_datetime(s, format="ISO8601")
        except (ValueError, TypeError):   # aware values with a mix of offsets
            s = pd.to_datetime(s, format="ISO8601", utc=True)
    if getattr(s.dtype, "tz", None) is not None:
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    return s.to_numpy().astype("datetime64[us]")


def _datetime_text(values: np.ndarray, sep: str) -> np.ndarray:
    text = np.datetime_as_string(values, unit="us")        # 2020-01-01T10:00:00.000000
    if sep != "T" and len(text):
        # swap the date/time separator in place: one write over the array's code points
        codes = text.view(np.uint32).reshape(len(text), -1)
        codes[codes[:, 10] == ord("T"), 10] = ord(sep)
    return text.astype(object)


def _timedeltas(s: pd.Series) -> np.ndarray:
    """Timedeltas, or numbers taken as seconds (an interval the model learned as a number)."""
    if s.dtype.kind in "iuf" or (s.dtype == object and len(s) and isinstance(s.iloc[0], (int, float, Decimal))):
        return np.round(pd.to_numeric(s).to_numpy(np.float64) * 1e6).astype(np.int64).astype("timedelta64[us]")
    return pd.to_timedelta(s).to_numpy().astype("timedelta64[us]")


def _time_text(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_timedelta64_dtype(s.dtype):     # a time of day held as an offset from midnight
        stamp = np.datetime64("1970-01-01T00:00:00", "us") + s.to_numpy().astype("timedelta64[us]")
        return pd.Series(np.datetime_as_string(stamp, unit="us"), dtype=object).str.slice(11).to_numpy(object)
    return s.astype(str).to_numpy(object)    # datetime.time or text: str() is ISO already


def _bytes(v: Any) -> bytes:
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    if isinstance(v, str):
        return v.encode("utf-8")
    raise TypeError(f"cannot write {type(v).__name__} to a binary column")


def _plain(v: Any) -> Any:
    """numpy containers and scalars as JSON-able Python values."""
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    return v


def _pg_array(v: Any) -> str:
    """A PostgreSQL array literal: {"a","b",NULL}, nested lists as nested braces."""
    if isinstance(v, str):
        return v    # already an array literal
    items = []
    for x in (v.tolist() if isinstance(v, np.ndarray) else v):
        if isinstance(x, (list, tuple, np.ndarray)):
            items.append(_pg_array(x))
        elif x is None or (isinstance(x, float) and np.isnan(x)):
            items.append("NULL")
        else:
            text = str(x).replace("\\", "\\\\").replace('"', '\\"')
            items.append(f'"{text}"')
    return "{" + ",".join(items) + "}"
