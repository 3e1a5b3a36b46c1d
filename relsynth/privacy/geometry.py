"""PostgreSQL ranges, multiranges and geometric values: learned as numbers, written as literals.

A range keeps its bound inclusivity, the shares of empty and unbounded ranges, and the
distributions of its lower bound and its width (so lower <= upper always); date and timestamp
bounds are learned as days / seconds since the epoch. A geometric value keeps the distribution
of its coordinates and sizes; polygons and closed paths are drawn around a centre in angle
order, so they never cross themselves.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pandas as pd

from relsynth.privacy.numbers import draw_numbers, number_stats, number_text

RANGES = {"int4range": "int", "int8range": "int", "numrange": "num", "daterange": "date",
          "tsrange": "ts", "tstzrange": "tstz"}
MULTIRANGES = {name.replace("range", "multirange"): name for name in RANGES}
SHAPES = ("point", "box", "lseg", "line", "path", "polygon", "circle")
_INT_BOUNDS = {"int4range": (-2**31, 2**31 - 1), "int8range": (-2**63, 2**63 - 1)}
_RANGE_RE = re.compile(r'([\[(])\s*("(?:[^"\\]|\\.)*"|[^,]*)\s*,\s*("(?:[^"\\]|\\.)*"|[^)\]]*)\s*([\])])')
_NUMBER_RE = re.compile(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?", re.IGNORECASE)
_EPOCH = np.datetime64("1970-01-01T00:00:00", "us")


def supported(special: str) -> bool:
    return special in RANGES or special in MULTIRANGES or special in SHAPES


def learn(special: str, strs: list[str], k: int) -> dict:
    if special in SHAPES:
        return _learn_shape(special, strs, k)
    base = MULTIRANGES.get(special, special)
    ranges = [r for s in strs for r in _RANGE_RE.findall(s)] if special in MULTIRANGES else \
        [m.groups() for s in strs for m in [_RANGE_RE.fullmatch(s.strip())] if m]
    out = _learn_ranges(base, ranges, k)
    out["empty"] = round(sum(s.strip() in ("empty", "{}") for s in strs) / max(len(strs), 1), 6)
    if special in MULTIRANGES:
        counts = [len(_RANGE_RE.findall(s)) for s in strs if s.strip() != "{}"]
        out["counts"] = number_stats(counts or [1], 1) | {"unit": 1.0}
    return out


def make(fmt: dict, m: int, rng: np.random.Generator) -> np.ndarray:
    special = fmt.get("special")
    if special in SHAPES:
        return _make_shape(fmt, m, rng)
    base = MULTIRANGES.get(special, special)
    if special in RANGES:
        out = _make_ranges(fmt, base, m, rng)
        out[rng.random(m) < float(fmt.get("empty", 0.0))] = "empty"
        return out
    counts = np.maximum(draw_numbers(fmt.get("counts") or {"q": [1.0]}, m, rng).astype(np.int64), 1)
    counts[rng.random(m) < float(fmt.get("empty", 0.0))] = 0
    ranges = _make_ranges(fmt, base, int(counts.sum()), rng)
    ends = np.cumsum(counts)
    return np.array(["{" + ", ".join(ranges[e - c:e]) + "}" for e, c in zip(ends.tolist(), counts.tolist())],
                    dtype=object)


# ---------------------------------------------------------------- ranges

def _bound_numbers(texts: list[str], kind: str) -> np.ndarray:
    """Bound texts (unquoted) as numbers: days for dates, epoch seconds for timestamps."""
    if not texts:
        return np.empty(0)
    if kind in ("int", "num"):
        return pd.to_numeric(pd.Series(texts), errors="coerce").to_numpy(np.float64)
    stamps = pd.to_datetime(pd.Series(texts), errors="coerce", utc=kind == "tstz", format="ISO8601")
    if kind == "tstz":
        stamps = stamps.dt.tz_localize(None)
    seconds = (stamps - pd.Timestamp("1970-01-01")).dt.total_seconds().to_numpy(np.float64)
    return seconds / 86400.0 if kind == "date" else seconds


def _learn_ranges(base: str, ranges: list[tuple[str, str, str, str]], k: int) -> dict:
    kind = RANGES[base]
    lower = [r[1].strip().strip('"') for r in ranges]
    upper = [r[2].strip().strip('"') for r in ranges]
    low, high = _bound_numbers(lower, kind), _bound_numbers(upper, kind)
    open_low = np.array([not t for t in lower], dtype=bool)
    open_high = np.array([not t for t in upper], dtype=bool)
    both = ~open_low & ~open_high & np.isfinite(low) & np.isfinite(high)
    brackets = Counter(r[0] + r[3] for r in ranges)
    n = max(len(ranges), 1)
    return {"bound": kind, "lower": number_stats(low[~open_low], k), "width": number_stats(high[both] - low[both], k),
            "upper": number_stats(high[~open_high], k),
            "unbounded_lower": round(float(open_low.mean()) if len(ranges) else 0.0, 6),
            "unbounded_upper": round(float(open_high.mean()) if len(ranges) else 0.0, 6),
            "brackets": {b: round(c / n, 6) for b, c in brackets.items()}}


def _make_ranges(fmt: dict, base: str, m: int, rng: np.random.Generator) -> np.ndarray:
    kind = RANGES[base]
    lower = draw_numbers(fmt.get("lower") or {"q": [0.0]}, m, rng)
    width = np.maximum(draw_numbers(fmt.get("width") or {"q": [1.0]}, m, rng), 0.0)
    upper = lower + width
    if base in _INT_BOUNDS:
        low_limit, high_limit = _INT_BOUNDS[base]
        lower, upper = np.clip(lower, low_limit, high_limit - 1), np.clip(upper, low_limit, high_limit)
    brackets = fmt.get("brackets") or {"[)": 1.0}
    names = list(brackets)
    p = np.asarray(list(brackets.values()), dtype=float)
    chosen = np.asarray(names, dtype=object)[rng.choice(len(names), size=m, p=p / p.sum())]
    if kind in ("int", "date"):   # a discrete range whose bounds meet is empty: keep it at least one wide
        upper = np.maximum(upper, lower + 1)
    low_text = np.array(_bound_text(lower, kind, fmt.get("lower") or {}), dtype=object)
    high_text = np.array(_bound_text(upper, kind, fmt.get("width") or {}), dtype=object)
    low_text[rng.random(m) < float(fmt.get("unbounded_lower", 0.0))] = ""
    high_text[rng.random(m) < float(fmt.get("unbounded_upper", 0.0))] = ""
    opening = np.array([b[0] for b in chosen], dtype=object)
    closing = np.array([b[1] for b in chosen], dtype=object)
    opening[low_text == ""] = "("
    closing[high_text == ""] = ")"
    return (pd.Series(opening) + low_text + "," + high_text + closing).to_numpy(object)


def _bound_text(x: np.ndarray, kind: str, stats: dict) -> np.ndarray:
    if kind in ("int", "num"):
        unit = float(stats.get("unit") or 1.0) if kind == "num" else 1.0
        return number_text(x, min(unit, 1.0) if kind == "num" else 1.0)
    if kind == "date":
        return np.datetime_as_string(_EPOCH + (np.round(x) * 86400e6).astype("timedelta64[us]"), unit="D").astype(object)
    stamps = np.datetime_as_string(_EPOCH + np.round(x * 1e6).astype("timedelta64[us]"), unit="us")
    text = pd.Series(stamps, dtype=object).str.replace("T", " ", regex=False).str.replace(r"\.?0+$", "", regex=True)
    return ('"' + text + ('+00' if kind == "tstz" else "") + '"').to_numpy(object)


# ---------------------------------------------------------------- geometric types

def _learn_shape(special: str, strs: list[str], k: int) -> dict:
    numbers = [[float(v) for v in _NUMBER_RE.findall(s)] for s in strs]
    numbers = [n for n in numbers if n]
    if special == "line":
        coefficients = np.array([n[:3] for n in numbers if len(n) >= 3]).reshape(-1, 3)
        return {"a": number_stats(coefficients[:, 0], k), "b": number_stats(coefficients[:, 1], k),
                "c": number_stats(coefficients[:, 2], k)}
    if special == "circle":
        circles = np.array([n[:3] for n in numbers if len(n) >= 3]).reshape(-1, 3)
        return {"x": number_stats(circles[:, 0], k), "y": number_stats(circles[:, 1], k),
                "radius": number_stats(circles[:, 2], k)}
    points = [np.array(n[:len(n) // 2 * 2]).reshape(-1, 2) for n in numbers]
    points = [p for p in points if len(p)]
    centres = np.array([p.mean(axis=0) for p in points]).reshape(-1, 2)
    spans = np.array([(p.max(axis=0) - p.min(axis=0)) / 2 for p in points]).reshape(-1, 2)
    every = np.concatenate(points) if points else np.zeros((0, 2))
    out = {"x": number_stats(centres[:, 0], k), "y": number_stats(centres[:, 1], k),
           "dx": number_stats(spans[:, 0], k), "dy": number_stats(spans[:, 1], k),
           "unit": min(number_stats(every[:, 0], 1)["unit"], number_stats(every[:, 1], 1)["unit"]) if len(every) else 1.0}
    if special in ("path", "polygon"):
        out["points"] = number_stats([len(p) for p in points] or [4], 1) | {"unit": 1.0}
        out["closed"] = round(sum(s.strip().startswith("(") for s in strs) / max(len(strs), 1), 6)
    return out


def _make_shape(fmt: dict, m: int, rng: np.random.Generator) -> np.ndarray:
    special = fmt["special"]
    if special == "line":
        a, b, c = (draw_numbers(fmt.get(key) or {"q": [1.0]}, m, rng) for key in ("a", "b", "c"))
        flat = (a == 0) & (b == 0)
        b[flat] = 1.0       # A and B both zero is no line
        return ("{" + pd.Series(_txt(a)) + "," + _txt(b) + "," + _txt(c) + "}").to_numpy(object)
    x, y = draw_numbers(fmt.get("x") or {"q": [0.0]}, m, rng), draw_numbers(fmt.get("y") or {"q": [0.0]}, m, rng)
    if special == "circle":
        radius = np.abs(draw_numbers(fmt.get("radius") or {"q": [1.0]}, m, rng))
        return ("<(" + pd.Series(_txt(x)) + "," + _txt(y) + ")," + _txt(radius) + ">").to_numpy(object)
    unit = float(fmt.get("unit") or 1e-6)
    if special == "point":
        return ("(" + pd.Series(_num(x, unit)) + "," + _num(y, unit) + ")").to_numpy(object)
    dx = np.abs(draw_numbers(fmt.get("dx") or {"q": [1.0]}, m, rng))
    dy = np.abs(draw_numbers(fmt.get("dy") or {"q": [1.0]}, m, rng))
    if special in ("box", "lseg"):
        corners = [_point(x + dx, y + dy, unit), _point(x - dx, y - dy, unit)]
        text = pd.Series(corners[0]) + "," + corners[1]
        return (("[" + text + "]") if special == "lseg" else text).to_numpy(object)
    counts = np.maximum(draw_numbers(fmt.get("points") or {"q": [4.0]}, m, rng).astype(np.int64), 3 if special == "polygon" else 2)
    total = int(counts.sum())
    row = np.repeat(np.arange(m), counts)
    angle = np.sort(rng.random(total) + row) - row     # ascending within each row: a star-shaped outline
    reach = 0.5 + 0.5 * rng.random(total)
    px = _num(np.repeat(x, counts) + np.repeat(dx, counts) * reach * np.cos(2 * np.pi * angle), unit)
    py = _num(np.repeat(y, counts) + np.repeat(dy, counts) * reach * np.sin(2 * np.pi * angle), unit)
    points = ("(" + pd.Series(px) + "," + py + ")").to_numpy(object)
    ends = np.cumsum(counts)
    joined = [",".join(points[e - c:e]) for e, c in zip(ends.tolist(), counts.tolist())]
    closed = np.ones(m, dtype=bool) if special == "polygon" else rng.random(m) < float(fmt.get("closed", 1.0))
    return np.array([f"({j})" if c else f"[{j}]" for j, c in zip(joined, closed.tolist())], dtype=object)


def _num(x: np.ndarray, unit: float) -> np.ndarray:
    return number_text(np.round(x / unit) * unit, unit)


def _txt(x: np.ndarray) -> np.ndarray:
    return np.char.mod("%.10g", x).astype(object)


def _point(x: np.ndarray, y: np.ndarray, unit: float) -> np.ndarray:
    return ("(" + pd.Series(_num(x, unit)) + "," + _num(y, unit) + ")").to_numpy(object)
