"""Database values of one column, as either side's driver returns them, in a comparable form.

Every modeled column becomes one of two families, whatever the dialect returned:

- ``numeric`` (integer, float, decimal, datetime, date, time): float64, NaN for NULL; instants are
  seconds since 1970 (naive, or UTC when the driver gave a time zone), times are seconds since
  midnight;
- ``category`` (categorical, boolean): strings, NaN for NULL; booleans are ``true``/``false`` and an
  integer stored as a float (a nullable column) reads the same as the integer.

Identifying kinds are compared by their length only, keys not at all (see ``relsynth.report.build``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.schema.kinds import Kind

NUMERIC = "numeric"
CATEGORY = "category"
FREE_TEXT = "text"        # not a modeled family: detection sees a text column through its words
NUMERIC_KINDS = frozenset({Kind.INTEGER, Kind.FLOAT, Kind.DECIMAL, Kind.DATETIME, Kind.DATE, Kind.TIME})
CATEGORY_KINDS = frozenset({Kind.CATEGORICAL, Kind.BOOLEAN})
INSTANT_KINDS = frozenset({Kind.DATETIME, Kind.DATE})
_TRUE = frozenset({"true", "t", "1", "yes", "y", "on"})


def family(kind: Kind) -> str | None:
    if kind in NUMERIC_KINDS:
        return NUMERIC
    if kind in CATEGORY_KINDS:
        return CATEGORY
    return None


def comparable(series: pd.Series, kind: Kind) -> pd.Series:
    """The column in its family's form (same index); kinds without a family come back unchanged."""
    fam = family(kind)
    if fam == NUMERIC:
        return pd.Series(as_number(series, kind), index=series.index, name=series.name)
    if fam == CATEGORY:
        return as_boolean_text(series) if kind == Kind.BOOLEAN else as_text(series)
    return series


def as_number(series: pd.Series, kind: Kind) -> np.ndarray:
    if kind in INSTANT_KINDS:
        return _seconds_since_epoch(series)
    if kind == Kind.TIME:
        return _seconds_since_midnight(series)
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def as_text(series: pd.Series) -> pd.Series:
    """Strings with NaN for NULL; 3.0 (an integer column read as float because of NULLs) is ``3``."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return as_boolean_text(series)
    if pd.api.types.is_integer_dtype(dtype):
        return series.astype("Int64").astype("str")
    if pd.api.types.is_float_dtype(dtype):
        floats = series.astype(float)
        text = floats.astype("str")
        integral = floats.notna() & np.isfinite(floats) & (floats % 1 == 0) & (floats.abs() < 2 ** 53)
        text[integral] = floats[integral].astype("int64").astype("str")
        return text.where(floats.notna())
    return series.astype("str").where(series.notna())


def as_boolean_text(series: pd.Series) -> pd.Series:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        truth = pd.to_numeric(series, errors="coerce").astype(float) != 0
    else:
        truth = series.astype("str").str.strip().str.lower().isin(_TRUE)
    text = pd.Series(np.where(truth, "true", "false"), index=series.index, name=series.name, dtype="str")
    return text.where(series.notna())


def text_length(series: pd.Series) -> np.ndarray:
    """Length of each value as text (bytes for binary values), NaN for NULL: the shape of a generated column."""
    present = series.notna()
    if not present.any():
        return np.full(len(series), np.nan)
    if pd.api.types.infer_dtype(series, skipna=True) == "bytes":
        lengths = series.str.len()
    else:
        lengths = series.astype("str").str.len()
    return lengths.where(present).to_numpy(dtype=float, na_value=np.nan)


def _seconds_since_epoch(series: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        stamps = series
    else:
        text_like = pd.api.types.infer_dtype(series, skipna=True) == "string"
        stamps = pd.to_datetime(series, errors="coerce", utc=True, format="ISO8601" if text_like else None)
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    micro = stamps.to_numpy(dtype="datetime64[us]")  # any unit, years 1-9999 included
    seconds = micro.astype(np.int64).astype(float) / 1e6
    seconds[np.isnat(micro)] = np.nan
    return seconds


def _seconds_since_midnight(series: pd.Series) -> np.ndarray:
    if pd.api.types.is_timedelta64_dtype(series.dtype):  # MySQL's driver returns TIME as a timedelta
        deltas = series
    elif pd.api.types.is_datetime64_any_dtype(series.dtype):
        deltas = series - series.dt.normalize()
    else:  # datetime.time objects or text: "12:30:00" parses as a duration
        deltas = pd.to_timedelta(series.astype("str").where(series.notna()), errors="coerce")
    return (deltas / pd.Timedelta(seconds=1)).to_numpy(dtype=float, na_value=np.nan)
