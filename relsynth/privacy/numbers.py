"""Learned distributions that keep no rare real value: number quantiles, shared categories,
and the leaf values of documents (hstore values, xml text, json leaves).

``number_stats`` keeps 25 quantiles between the 1st and the 99th percentile (so neither
extreme) and the values' unit (whole days, hours, minutes, seconds or a decimal place); a
quantile that equals a real value fewer than ``k`` rows hold is moved halfway to the next
real value. ``category_stats`` keeps the values at least ``k`` rows hold, with their shares.
"""

from __future__ import annotations

import re

import numpy as np

LEVELS = np.linspace(0.01, 0.99, 25)
UNITS = (86400.0, 3600.0, 60.0, 1.0, 0.1, 0.01, 0.001, 1e-4, 1e-5, 1e-6)
_NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")


def number_stats(values, k: int) -> dict:
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if not len(x):
        return {"q": [], "unit": 1.0}
    q = np.quantile(x, LEVELS)
    distinct, counts = np.unique(x, return_counts=True)
    at = np.searchsorted(distinct, q)
    hit = (at < len(distinct)) & (distinct[np.minimum(at, len(distinct) - 1)] == q)
    rare = hit & (counts[np.minimum(at, len(distinct) - 1)] < max(k, 1))
    if rare.any():
        following = distinct[np.minimum(at + 1, len(distinct) - 1)]
        preceding = distinct[np.maximum(at - 1, 0)]
        moved = np.where(following > q, (q + following) / 2, (q + preceding) / 2)
        q = np.where(rare, moved, q)
    return {"q": [float(v) for v in q], "unit": unit_of(x)}


def unit_of(x: np.ndarray) -> float:
    """The largest unit every value is a whole multiple of (1e-6 at the finest)."""
    for unit in UNITS:
        scaled = x / unit
        if np.all(np.abs(scaled - np.round(scaled)) < 1e-6):
            return unit
    return UNITS[-1]


def draw_numbers(stats: dict, m: int, rng: np.random.Generator) -> np.ndarray:
    """Inverse-CDF draws between the stored quantiles, on the learned unit."""
    q = np.asarray(stats.get("q") or [0.0], dtype=np.float64)
    u = rng.random(m) * (len(q) - 1)
    x = np.interp(u, np.arange(len(q)), q)
    unit = float(stats.get("unit") or 1e-6)
    return np.round(np.round(x / unit) * unit, 6)


def number_text(x: np.ndarray, unit: float) -> np.ndarray:
    """Numbers as text with as many decimals as their unit has."""
    decimals = max(0, int(round(-np.log10(unit)))) if unit < 1 else 0
    if decimals == 0:
        return np.round(x).astype(np.int64).astype(str).astype(object)
    return np.char.mod(f"%.{decimals}f", x).astype(object)


def category_stats(values: list[str], k: int) -> dict:
    """The values at least ``k`` rows hold, most frequent first, with their shares among them."""
    if not values:
        return {"values": [], "p": []}
    unique, counts = np.unique(np.asarray(values, dtype=object).astype(str), return_counts=True)
    keep = counts >= max(k, 1)
    order = np.argsort(-counts[keep], kind="stable")
    kept, kept_counts = unique[keep][order], counts[keep][order]
    total = kept_counts.sum()
    return {"values": kept.tolist(), "p": [round(float(c / total), 6) for c in kept_counts]}


def draw_categories(stats: dict, m: int, rng: np.random.Generator) -> np.ndarray:
    values = np.asarray(stats.get("values") or [], dtype=object)
    if not len(values):
        return np.full(m, "", dtype=object)
    p = np.asarray(stats.get("p"), dtype=float)
    return values[rng.choice(len(values), size=m, p=p / p.sum())]


def leaf_stats(strs: list[str], k: int) -> dict:
    """How a document's text leaf is made: a number, a shared category, or words."""
    if not strs:
        return {"type": "words", "words": {"q": [1.0, 2.0], "unit": 1.0}}
    if all(_NUMBER_RE.match(s) for s in strs):
        return {"type": "number", **number_stats([float(s) for s in strs], k)}
    categories = category_stats(strs, k)
    held = sum(strs.count(v) for v in categories["values"][:50]) if categories["values"] else 0
    if held >= 0.9 * len(strs) and len(categories["values"]) <= 50:
        return {"type": "category", **{key: val[:50] for key, val in categories.items()}}
    counts = [len(s.split()) for s in strs]
    capital = sum(s[:1].isupper() for s in strs) / len(strs)
    numbered = sum(bool(re.search(r"\d+$", s)) for s in strs) / len(strs)
    return {"type": "words", "words": number_stats(counts, 1) | {"unit": 1.0}, "capital": round(capital, 3),
            "numbered": round(numbered, 3)}


def make_leaf(stats: dict, m: int, rng: np.random.Generator, words: np.ndarray) -> np.ndarray:
    kind = stats.get("type")
    if kind == "number":
        return number_text(draw_numbers(stats, m, rng), float(stats.get("unit") or 1.0))
    if kind == "category":
        return draw_categories(stats, m, rng)
    counts = np.maximum(draw_numbers(stats.get("words") or {"q": [1.0]}, m, rng).astype(np.int64), 1)
    drawn = words[rng.integers(len(words), size=int(counts.sum()))] if len(words) else np.full(counts.sum(), "x")
    ends = np.cumsum(counts)
    out = np.array([" ".join(drawn[e - c:e]) for e, c in zip(ends.tolist(), counts.tolist())], dtype=object)
    capital = rng.random(m) < float(stats.get("capital", 0.0))
    out[capital] = [s[:1].upper() + s[1:] for s in out[capital]]
    numbered = rng.random(m) < float(stats.get("numbered", 0.0))
    out[numbered] = out[numbered] + " " + rng.integers(1, 1000, size=int(numbered.sum())).astype(str).astype(object)
    return out
