"""Per-kind conversion between raw database columns and float64 arrays, and back.

Every modeled kind speaks the same three verbs:

* ``analyze(series, kind) -> meta``: a JSON-able dict (always with ``"kind"``) holding what
  decoding needs (range, scale, categories, time zone, ...);
* ``encode(series, meta) -> float64 array`` with NaN for null;
* ``decode(values, meta) -> pd.Series`` back in the column's own type.

Encoded units (internal to the models package): integers/floats/decimals as themselves,
booleans as 0/1, categoricals as integer codes into ``meta["categories"]`` (most frequent
first), datetimes as microseconds since the epoch (UTC when tz-aware; microseconds rather than
nanoseconds so sentinel dates such as 9999-12-31 fit), dates as days since the epoch, times as
seconds since midnight. Decoding clips to the observed range, so no value leaves it.

Decoded dtypes: integer -> int64 (Int64 with nulls); float -> float64, rounded to the observed
decimal places when there are at most 6 (cents in a DOUBLE column); decimal -> float64 rounded
to the source scale; boolean -> bool (nullable "boolean" with nulls); categorical -> object
holding the original values (int64/Int64, float64 or bool/boolean when every category is of
that type); datetime -> datetime64[ns] (with the source tz; datetime64[us] when the range does
not fit nanoseconds); date -> object of ``datetime.date``; time -> object of ``datetime.time``
(timedelta64[us] when the source gave timedeltas, as MySQL TIME through pymysql does).
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from relsynth.errors import ModelError
from relsynth.schema.kinds import Kind

_US_PER_S = 1_000_000
_NS_BOUNDS_US = (-9_223_372_036_854_775, 9_223_372_036_854_775)  # datetime64[ns] range in microseconds
_MAX_SCALE = 12  # decimal places looked for in float-typed decimal columns


# ---------------------------------------------------------------- public verbs


def analyze(series: pd.Series, kind: Kind | str) -> dict:
    """What decoding this column needs; JSON-able."""
    kind = Kind(kind)
    codec = _codec(kind.value)
    meta = codec.analyze(series)
    meta["kind"] = kind.value
    meta["null_share"] = float(_null_mask(series).mean()) if len(series) else 0.0
    return meta


def encode(series: pd.Series, meta: Mapping[str, Any]) -> np.ndarray:
    """The column as float64, NaN for null."""
    if len(series) == 0:
        return np.empty(0, dtype=np.float64)
    out = _codec(meta["kind"]).encode(series, meta)
    return np.ascontiguousarray(out, dtype=np.float64)


def decode(values: np.ndarray, meta: Mapping[str, Any], *, name: str | None = None) -> pd.Series:
    """Floats back to the column's type; NaN becomes the kind's null."""
    values = np.asarray(values, dtype=np.float64)
    series = _codec(meta["kind"]).decode(values, meta)
    series.name = name
    return series


# ---------------------------------------------------------------- helpers


def _codec(kind: str) -> Any:
    try:
        return _CODECS[kind]
    except KeyError:
        known = ", ".join(sorted(_CODECS))
        raise ModelError(f"column kind {kind!r} cannot be modeled", hint=f"modeled kinds: {known}") from None


def _numeric(series: pd.Series) -> np.ndarray:
    """Any numeric-looking column (ints, Int64, floats, Decimal objects) as float64 with NaN."""
    if isinstance(series.dtype, pd.BooleanDtype) or series.dtype == bool:
        series = series.astype("Float64")
    values = pd.to_numeric(series, errors="coerce")
    out = np.array(values.astype("float64"), dtype=np.float64)  # a writable copy
    out[~np.isfinite(out)] = np.nan  # infinities are treated as missing
    return out


def _range(values: np.ndarray) -> tuple[float | None, float | None]:
    finite = values[~np.isnan(values)]
    if finite.size == 0:
        return None, None
    return float(finite.min()), float(finite.max())


def _clip(values: np.ndarray, meta: Mapping[str, Any]) -> np.ndarray:
    lo, hi = meta.get("min"), meta.get("max")
    if lo is None or hi is None:
        return values
    return np.clip(values, lo, hi)


def _nulls(values: np.ndarray) -> np.ndarray:
    return np.isnan(values)


# ---------------------------------------------------------------- NaN and infinities as values

SPECIALS = ("nan", "inf", "-inf")
_GOLDEN = (math.sqrt(5) - 1) / 2


def _null_mask(series: pd.Series) -> np.ndarray:
    """SQL NULL: not a NaN value (PostgreSQL floats hold NaN; the frame keeps it apart from NULL
    in a masked Float64 column, or as Decimal('NaN') among Decimal objects)."""
    nulls = series.isna().to_numpy(dtype=bool, copy=True)
    if series.dtype == object and nulls.any():
        held = series[nulls].map(lambda v: isinstance(v, decimal.Decimal), na_action=None)
        nulls[np.flatnonzero(nulls)[held.to_numpy(dtype=bool)]] = False   # NaN values, not NULL
    return nulls


def _special_shares(series: pd.Series) -> dict[str, float]:
    """The share of rows holding NaN, +Infinity and -Infinity (values, not NULL), when any do."""
    if not len(series) or not (series.dtype == object or series.dtype.kind == "f"):
        return {}
    values = pd.to_numeric(series.astype(object) if series.dtype == object else series, errors="coerce")
    values = np.asarray(values.astype("float64").to_numpy(dtype=np.float64, na_value=np.nan))
    nan = np.isnan(values) & ~_null_mask(series)
    counts = {"nan": int(nan.sum()), "inf": int(np.isposinf(values).sum()), "-inf": int(np.isneginf(values).sum())}
    return {k: v / len(series) for k, v in counts.items() if v}


def _special_rows(missing: np.ndarray, meta: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Which of the rows the model left missing hold NULL and which a special value, in the
    source's shares. The model learns NULL and specials as one "missing" step (like NULL alone
    before); they are told apart here by a low-discrepancy sequence, so no generator is needed
    and a seed still gives the same rows."""
    shares = meta.get("specials") or {}
    rows = np.flatnonzero(missing)
    if not shares or rows.size == 0:
        return {}
    names = ["null", *shares]
    weights = np.array([float(meta.get("null_share") or 0.0), *shares.values()])
    share = weights / weights.sum() * rows.size
    counts = np.floor(share).astype(np.int64)   # largest remainders: the source's counts exactly
    counts[np.argsort(-(share - counts), kind="stable")[:rows.size - counts.sum()]] += 1
    spread = rows[np.argsort((np.arange(1, rows.size + 1) * _GOLDEN) % 1.0, kind="stable")]
    ends = np.cumsum(counts)
    return {name: np.sort(spread[end - count:end]) for name, count, end in zip(names, counts, ends) if name != "null"}


_SPECIAL_FLOATS = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf}


def _with_specials(values: np.ndarray, missing: np.ndarray, meta: Mapping[str, Any]) -> pd.Series:
    """Floats where NULL is pd.NA and NaN / infinities are values (a masked Float64 column)."""
    rows = _special_rows(missing, meta)
    if not rows:
        return pd.Series(values, dtype=np.float64)
    values = np.array(values, dtype=np.float64)
    mask = missing.copy()
    for name, where in rows.items():
        values[where] = _SPECIAL_FLOATS[name]
        mask[where] = False
    return pd.Series(pd.arrays.FloatingArray(values, mask))


# ---------------------------------------------------------------- numbers


class _Integer:
    @staticmethod
    def analyze(series: pd.Series) -> dict:
        lo, hi = _exact_int_range(series)
        return {"min": lo, "max": hi}

    @staticmethod
    def encode(series: pd.Series, meta: Mapping[str, Any]) -> np.ndarray:
        return _numeric(series)

    @staticmethod
    def decode(values: np.ndarray, meta: Mapping[str, Any]) -> pd.Series:
        nulls = _nulls(values)
        lo, hi = meta.get("min"), meta.get("max")
        unsigned = hi is not None and int(hi) > np.iinfo(np.int64).max   # BIGINT UNSIGNED past 2**63
        rounded = np.round(np.nan_to_num(_clip(values, meta)))
        if lo is not None:  # a float bound may round past the exact one (2**64 - 1 is 2**64 as a float)
            rounded = np.clip(rounded, _float_at_least(int(lo)), _float_at_most(int(hi)))
        ints = rounded.astype(np.uint64 if unsigned else np.int64)
        if lo is not None:
            dtype = np.uint64 if unsigned else np.int64
            ints = np.clip(ints, dtype(int(lo)), dtype(int(hi)))
        if nulls.any():  # nullable integers keep their type
            return pd.Series(pd.arrays.IntegerArray(ints, nulls))
        return pd.Series(ints)


def _exact_int_range(series: pd.Series) -> tuple[int | None, int | None]:
    """The smallest and largest value as exact ints (int64 and unsigned limits included)."""
    present = series.dropna()
    if present.empty:
        return None, None
    if present.dtype.kind in "iu":
        return int(present.min()), int(present.max())
    values = _numeric(present)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None, None
    if np.all(values == np.round(values)) and np.abs(values).max() < 2.0 ** 53:
        return int(values.min()), int(values.max())
    return int(min(present, key=float)), int(max(present, key=float))   # rare: wide ints as objects


def _float_at_most(bound: int) -> float:
    value = float(bound)
    return float(np.nextafter(value, -np.inf)) if value > bound else value


def _float_at_least(bound: int) -> float:
    value = float(bound)
    return float(np.nextafter(value, np.inf)) if value < bound else value


def _float_scale(values: np.ndarray, *, limit: int = 6, sample: int = 10_000) -> int | None:
    """Decimal places all observed values fit in (money in a DOUBLE column), or None if more than ``limit``."""
    distinct = np.unique(values[np.isfinite(values)])[:sample]
    for places in range(limit + 1):
        scaled = distinct * 10.0**places
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-6 * np.maximum(1.0, np.abs(scaled)) + 1e-9):
            return places
    return None


MAX_ENDINGS = 8      # fractional endings (.99, .50...) few enough to be kept as a pattern
MIN_ENDING_ROWS = 5  # an ending fewer rows share is a value, not a pattern: not kept
ENDINGS_COVER = 0.99


def _endings(values: np.ndarray, scale: int | None) -> list[float] | None:
    """The fractional parts the values end in, when a few of them cover almost all values
    (prices ending in .99 or .49); None when the endings are spread out."""
    finite = values[np.isfinite(values)]
    if scale is None or scale < 1 or scale > 4 or finite.size < 20:
        return None
    unit = 10 ** scale
    tails = np.round((finite - np.floor(finite)) * unit).astype(np.int64) % unit
    found, counts = np.unique(tails, return_counts=True)
    top = np.argsort(-counts)[:MAX_ENDINGS]
    top = top[counts[top] >= MIN_ENDING_ROWS]
    if unit <= MAX_ENDINGS or counts[top].sum() < ENDINGS_COVER * finite.size:
        return None
    return sorted(float(t) / unit for t in found[top])


def _snap_endings(values: np.ndarray, meta: Mapping[str, Any]) -> np.ndarray:
    """Each value moved to the nearest number with one of the source's endings."""
    endings = meta.get("endings")
    if not endings:
        return values
    candidates = np.stack([np.round(values - e) + e for e in endings])
    best = np.nanargmin(np.abs(np.nan_to_num(candidates - values, nan=np.inf)), axis=0)
    snapped = np.take_along_axis(candidates, best[None, :], axis=0)[0]
    if meta.get("min") is not None:  # a step of one unit back inside the source's range
        snapped = np.where(snapped < meta["min"], snapped + 1, snapped)
    if meta.get("max") is not None:
        snapped = np.where(snapped > meta["max"], snapped - 1, snapped)
    return np.where(np.isnan(values), np.nan, snapped)


_MODEL_LIMIT = 1e307
_FIRST_DAY, _LAST_DAY = -719_162, 2_932_896   # 0001-01-01 and 9999-12-31, in days since 1970


class _Float:
    @staticmethod
    def analyze(series: pd.Series) -> dict:
        values = _numeric(series)
        lo, hi = _range(values)
        scale = _float_scale(values)
        return {"min": lo, "max": hi, "scale": scale, "endings": _endings(values, scale),
                "specials": _special_shares(series)}

    @staticmethod
    def encode(series: pd.Series, meta: Mapping[str, Any]) -> np.ndarray:
        # NaN and infinities are missing to the model (their share is in the meta); values near
        # DOUBLE's limit are pulled in so a model's differences of them cannot overflow to NaN
        return np.clip(_numeric(series), -_MODEL_LIMIT, _MODEL_LIMIT)

    @staticmethod
    def decode(values: np.ndarray, meta: Mapping[str, Any]) -> pd.Series:
        missing = _nulls(values)
        values = _snap_endings(_clip(values, meta), meta)
        if meta.get("scale") is not None:  # synthetic values look like the source's (e.g. cents)
            values = np.round(values, int(meta["scale"]))
        return _with_specials(values, missing, meta)


def _decimal_places(value: Any) -> int:
    if isinstance(value, decimal.Decimal):
        exponent = value.as_tuple().exponent
        return -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if isinstance(value, float):
        for places in range(_MAX_SCALE + 1):
            if math.isclose(round(value, places), value, rel_tol=1e-12, abs_tol=1e-12):
                return places
        return _MAX_SCALE
    if isinstance(value, str) and "." in value:
        return len(value.split(".", 1)[1].strip())
    return 0


def _float_places(values: np.ndarray) -> int:
    """The fewest decimal places that spell every value (vectorized over values)."""
    values = np.unique(values)
    for places in range(_MAX_SCALE + 1):
        if np.allclose(np.round(values, places), values, rtol=1e-12, atol=1e-12):
            return places
    return _MAX_SCALE


_EXACT_DIGITS = 15   # float64 spells every decimal of at most this many significant digits


class _Decimal:
    """Decimals are modeled as float64; a column whose values need more than 15 significant
    digits (integer digits + scale) is decoded to ``decimal.Decimal`` quantized to its scale and
    clipped to its exact observed range (kept as text in the meta), so no value rounds past the
    source's extremes or the type's precision."""

    @staticmethod
    def analyze(series: pd.Series) -> dict:
        values = _numeric(series)
        lo, hi = _range(values)
        if pd.api.types.is_numeric_dtype(series):
            scale = _float_places(values[np.isfinite(values)])
        else:  # Decimal objects or text: their own spelling says the scale
            uniques = pd.unique(series.dropna())  # scale is found on distinct values only
            scale = max((_decimal_places(v) for v in uniques if not _special_decimal(v)), default=0)
        meta = {"min": lo, "max": hi, "scale": int(scale), "endings": _endings(values, int(scale)),
                "specials": _special_shares(series)}
        if series.dtype == object and lo is not None:
            exact_lo, exact_hi = _exact_range(series, values)
            digits = max(_integer_digits(exact_lo), _integer_digits(exact_hi)) + int(scale)
            if digits > _EXACT_DIGITS:
                meta.update(exact=True, min_exact=str(exact_lo), max_exact=str(exact_hi), endings=None)
        return meta

    @staticmethod
    def encode(series: pd.Series, meta: Mapping[str, Any]) -> np.ndarray:
        return _numeric(series)

    @staticmethod
    def decode(values: np.ndarray, meta: Mapping[str, Any]) -> pd.Series:
        missing = _nulls(values)
        values = _snap_endings(_clip(values, meta), meta)
        if meta.get("exact"):
            return _exact_decimals(values, missing, meta)
        return _with_specials(np.round(values, int(meta.get("scale", 0))), missing, meta)


def _special_decimal(value: Any) -> bool:
    return isinstance(value, decimal.Decimal) and not value.is_finite()


def _exact_range(series: pd.Series, values: np.ndarray) -> tuple[decimal.Decimal, decimal.Decimal]:
    """The exact smallest and largest value: only the rows whose float ties the float extreme
    are compared as Decimals."""
    raw = series.to_numpy(dtype=object)
    finite = np.isfinite(values)
    low = raw[finite & (values == values[finite].min())]
    high = raw[finite & (values == values[finite].max())]
    return min(map(decimal.Decimal, low)), max(map(decimal.Decimal, high))


_WIDE = decimal.Context(prec=100)   # more digits than any database's DECIMAL (MySQL: 65)


def _integer_digits(value: decimal.Decimal) -> int:
    return max(value.adjusted() + 1, 1)


def _exact_decimals(values: np.ndarray, missing: np.ndarray, meta: Mapping[str, Any]) -> pd.Series:
    """Floats as Decimals of the column's scale, inside the exact observed range."""
    scale = int(meta.get("scale") or 0)
    lo, hi = decimal.Decimal(meta["min_exact"]), decimal.Decimal(meta["max_exact"])
    out = np.full(len(values), None, dtype=object)
    present = np.flatnonzero(~missing)
    if present.size:
        # each float's exact binary value quantized to the scale (a context wide enough never to
        # round away integer digits): three times faster than formatting text first
        step = decimal.Decimal(1).scaleb(-scale)
        exact = map(decimal.Decimal, values[present].tolist())
        decimals = np.fromiter(map(_WIDE.quantize, exact, itertools.repeat(step)), dtype=object, count=present.size)
        # only values whose float reaches an end can pass it once exact: compare those alone
        low = np.flatnonzero(values[present] <= float(lo))
        high = np.flatnonzero(values[present] >= float(hi))
        decimals[low[decimals[low] < lo]] = lo
        decimals[high[decimals[high] > hi]] = hi
        out[present] = decimals
    for name, where in _special_rows(missing, meta).items():
        out[where] = decimal.Decimal({"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}[name])
    return pd.Series(out, dtype=object)


# ---------------------------------------------------------------- booleans and categories


def _bool_values(series: pd.Series) -> np.ndarray:
    if series.dtype == bool or isinstance(series.dtype, pd.BooleanDtype):
        return _numeric(series)
    series = series.astype(object).where(series.notna(), None)  # pd.NA inside objects too
    lowered = series.map(_bool_of, na_action="ignore")
    return _numeric(lowered.astype("float64"))


_TRUE = {"t", "true", "y", "yes", "1"}
_FALSE = {"f", "false", "n", "no", "0"}


def _bool_of(value: Any) -> float:
    if isinstance(value, str):
        text = value.strip().lower()
        return 1.0 if text in _TRUE else 0.0 if text in _FALSE else math.nan
    return 1.0 if bool(value) else 0.0


class _Boolean:
    @staticmethod
    def analyze(series: pd.Series) -> dict:
        lo, hi = _range(_bool_values(series))
        return {"min": lo, "max": hi}

    @staticmethod
    def encode(series: pd.Series, meta: Mapping[str, Any]) -> np.ndarray:
        return _bool_values(series)

    @staticmethod
    def decode(values: np.ndarray, meta: Mapping[str, Any]) -> pd.Series:
        nulls = _nulls(values)
        flags = np.round(np.nan_to_num(_clip(values, meta))) >= 1
        if nulls.any():
            return pd.Series(pd.arrays.BooleanArray(flags, nulls))
        return pd.Series(flags, dtype=bool)


def _to_json(value: Any) -> Any:
    """A category as a JSON value; non-JSON types are tagged so they come back as themselves."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"t": "float", "v": repr(value)}
    if isinstance(value, decimal.Decimal):
        return {"t": "decimal", "v": str(value)}
    if isinstance(value, pd.Timestamp | dt.datetime):
        return {"t": "datetime", "v": pd.Timestamp(value).isoformat()}
    if isinstance(value, dt.date):
        return {"t": "date", "v": value.isoformat()}
    if isinstance(value, dt.time):
        return {"t": "time", "v": value.isoformat()}
    if isinstance(value, bytes):
        return {"t": "bytes", "v": value.hex()}
    return {"t": "str", "v": str(value)}


def _from_json(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    tag, text = value["t"], value["v"]
    if tag == "decimal":
        return decimal.Decimal(text)
    if tag == "datetime":
        return pd.Timestamp(text).to_pydatetime()
    if tag == "date":
        return dt.date.fromisoformat(text)
    if tag == "time":
        return dt.time.fromisoformat(text)
    if tag == "bytes":
        return bytes.fromhex(text)
    if tag == "float":
        return float(text)
    return text


def _categories(meta: Mapping[str, Any]) -> list:
    return [_from_json(v) for v in meta["categories"]]


def category_values(meta: Mapping[str, Any]) -> list:
    """The categories a categorical column's meta knows, most frequent first."""
    return _categories(meta)


class _Categorical:
    @staticmethod
    def analyze(series: pd.Series) -> dict:
        counts = series.dropna().value_counts(sort=False)
        # most frequent first; ties broken by text so the order never depends on the input order
        order = sorted(zip(counts.index, counts.to_numpy()), key=lambda kv: (-int(kv[1]), str(kv[0])))
        return {"categories": [_to_json(value) for value, _ in order]}

    @staticmethod
    def encode(series: pd.Series, meta: Mapping[str, Any]) -> np.ndarray:
        index = pd.Index(_categories(meta), dtype=object)
        codes = index.get_indexer(pd.Index(series.astype(object), dtype=object)).astype(np.float64)
        codes[codes < 0] = np.nan  # null or never seen: missing for the trees
        return codes

    @staticmethod
    def decode(values: np.ndarray, meta: Mapping[str, Any]) -> pd.Series:
        categories = _categories(meta)
        nulls = _nulls(values)
        if not categories:
            return pd.Series([None] * len(values), dtype=object)
        codes = np.clip(np.nan_to_num(np.round(values)), 0, len(categories) - 1).astype(np.int64)
        table = np.empty(len(categories), dtype=object)
        table[:] = categories
        out = table[codes]
        out[nulls] = None
        return _typed_categories(out, categories, nulls)


def _typed_categories(out: np.ndarray, categories: list, nulls: np.ndarray) -> pd.Series:
    """Numbers and flags come back with a numeric dtype, everything else as objects."""
    kinds = {type(c) for c in categories}
    if kinds == {bool}:
        flags = np.array([bool(v) for v in np.where(nulls, False, out)], dtype=bool)
        return pd.Series(pd.arrays.BooleanArray(flags, nulls)) if nulls.any() else pd.Series(flags)
    if kinds == {int}:
        ints = np.where(nulls, 0, out).astype(np.int64)
        return pd.Series(pd.arrays.IntegerArray(ints, nulls)) if nulls.any() else pd.Series(ints)
    if kinds <= {int, float} and kinds:
        return pd.Series(np.where(nulls, np.nan, out).astype(np.float64))
    return pd.Series(out, dtype=object)


# ---------------------------------------------------------------- dates and times


def _timestamps(series: pd.Series) -> tuple[pd.Series, str | None]:
    """Any datetime-like column as naive UTC (when tz-aware) timestamps, plus the time zone."""
    if not isinstance(series.dtype, pd.DatetimeTZDtype) and not pd.api.types.is_datetime64_dtype(series.dtype):
        text = isinstance(_first(series), str)
        series = pd.to_datetime(series, errors="coerce", utc=_any_aware(series), format="mixed" if text else None)
    tz = None
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        tz = str(series.dt.tz)
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    return series, tz


def _first(series: pd.Series) -> Any:
    present = series.dropna()
    return present.iloc[0] if len(present) else None


def _any_aware(series: pd.Series) -> bool:
    first = _first(series)
    if isinstance(first, str):
        return pd.Timestamp(first).tzinfo is not None
    return isinstance(first, dt.datetime) and first.tzinfo is not None


def _micros(series: pd.Series) -> np.ndarray:
    raw = series.to_numpy(dtype="datetime64[us]")
    out = raw.view(np.int64).astype(np.float64)
    out[np.isnat(raw)] = np.nan
    return out


def _exact_micros(series: pd.Series) -> np.ndarray:
    """Microseconds as int64, null rows dropped: exact where float64 is not (past 2**53 us, i.e.
    beyond the years 1685..2255, floats step by several microseconds)."""
    raw = series.to_numpy(dtype="datetime64[us]")
    return raw[~np.isnat(raw)].view(np.int64)


def _resolution_us(finite: np.ndarray) -> int:
    """The coarsest unit (1 us .. 1 s) every observed value is a multiple of; decoding rounds to it."""
    for unit in (_US_PER_S, 1000, 1):
        if finite.size == 0 or not np.any(finite % unit):
            return unit
    return 1


class _Datetime:
    @staticmethod
    def analyze(series: pd.Series) -> dict:
        stamps, tz = _timestamps(series)
        exact = _exact_micros(stamps)
        lo, hi = (int(exact.min()), int(exact.max())) if exact.size else (None, None)
        return {"min": lo, "max": hi, "tz": tz, "resolution_us": _resolution_us(exact)}

    @staticmethod
    def encode(series: pd.Series, meta: Mapping[str, Any]) -> np.ndarray:
        stamps, _ = _timestamps(series)
        return _micros(stamps)

    @staticmethod
    def decode(values: np.ndarray, meta: Mapping[str, Any]) -> pd.Series:
        unit = int(meta.get("resolution_us") or 1)
        nulls = _nulls(values)
        micros = (np.round(np.nan_to_num(_clip(values, meta)) / unit) * unit).astype(np.int64)
        if meta.get("min") is not None:  # in whole microseconds: 9999-12-31 23:59:59.999999 never rounds up
            micros = np.clip(micros, _ceil_to(meta["min"], unit), _floor_to(meta["max"], unit))
        stamps = micros.view("datetime64[us]").copy()
        stamps[nulls] = np.datetime64("NaT")
        lo, hi = meta.get("min"), meta.get("max")
        fits_ns = lo is None or (lo >= _NS_BOUNDS_US[0] and hi <= _NS_BOUNDS_US[1])
        series = pd.Series(stamps.astype("datetime64[ns]") if fits_ns else stamps)
        if meta.get("tz"):
            series = series.dt.tz_localize("UTC").dt.tz_convert(meta["tz"])
        return series


def _floor_to(bound: float, unit: int) -> int:
    """A bound (an int, or a float from a model saved before bounds were exact) down to the unit."""
    return int(bound) // unit * unit


def _ceil_to(bound: float, unit: int) -> int:
    return -(-int(bound) // unit) * unit


_EPOCH_DAY = np.datetime64("1970-01-01", "D")


class _Date:
    @staticmethod
    def analyze(series: pd.Series) -> dict:
        lo, hi = _range(_Date.encode(series, {}))
        return {"min": lo, "max": hi}

    @staticmethod
    def encode(series: pd.Series, meta: Mapping[str, Any]) -> np.ndarray:
        stamps, _ = _timestamps(series)
        raw = stamps.to_numpy(dtype="datetime64[us]").astype("datetime64[D]")  # normalized to the day
        out = raw.view(np.int64).astype(np.float64)
        out[np.isnat(raw)] = np.nan
        return out

    @staticmethod
    def decode(values: np.ndarray, meta: Mapping[str, Any]) -> pd.Series:
        nulls = _nulls(values)
        days = np.round(np.nan_to_num(_clip(values, meta))).astype(np.int64)
        days = np.clip(days, _FIRST_DAY, _LAST_DAY)   # a date past year 9999 would come out as an int
        dates = days.astype("datetime64[D]").astype(object)  # python datetime.date objects
        dates[nulls] = None
        return pd.Series(dates, dtype=object)


def _seconds_of_day(value: Any) -> float:
    if isinstance(value, dt.time):
        return value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / _US_PER_S
    if isinstance(value, dt.timedelta | pd.Timedelta):
        return value.total_seconds()
    if isinstance(value, str):
        return _seconds_of_day(dt.time.fromisoformat(value.strip()))
    if isinstance(value, dt.datetime):
        return _seconds_of_day(value.time())
    return math.nan


class _Time:
    @staticmethod
    def analyze(series: pd.Series) -> dict:
        values = _Time.encode(series, {})
        lo, hi = _range(values)
        source = "timedelta" if pd.api.types.is_timedelta64_dtype(series.dtype) else "time"
        return {"min": lo, "max": hi, "source": source}

    @staticmethod
    def encode(series: pd.Series, meta: Mapping[str, Any]) -> np.ndarray:
        if pd.api.types.is_timedelta64_dtype(series.dtype):  # e.g. MySQL TIME through pymysql
            raw = series.to_numpy(dtype="timedelta64[us]")
            out = raw.view(np.int64).astype(np.float64) / _US_PER_S
            out[np.isnat(raw)] = np.nan
            return out
        return np.fromiter((_seconds_of_day(v) for v in series.to_numpy(dtype=object)),
                           dtype=np.float64, count=len(series))

    @staticmethod
    def decode(values: np.ndarray, meta: Mapping[str, Any]) -> pd.Series:
        nulls = _nulls(values)
        micros = np.round(np.nan_to_num(_clip(values, meta)) * _US_PER_S).astype(np.int64)
        if meta.get("source") == "timedelta":
            deltas = micros.view("timedelta64[us]").copy()
            deltas[nulls] = np.timedelta64("NaT")
            return pd.Series(deltas)
        micros = np.clip(micros, 0, 86_400 * _US_PER_S - 1)
        times = np.array(pd.Series(micros.view("datetime64[us]")).dt.time, dtype=object)
        times[nulls] = None
        return pd.Series(times, dtype=object)


_CODECS: dict[str, Any] = {
    Kind.INTEGER.value: _Integer,
    Kind.FLOAT.value: _Float,
    Kind.DECIMAL.value: _Decimal,
    Kind.BOOLEAN.value: _Boolean,
    Kind.CATEGORICAL.value: _Categorical,
    Kind.DATETIME.value: _Datetime,
    Kind.DATE.value: _Date,
    Kind.TIME.value: _Time,
}
