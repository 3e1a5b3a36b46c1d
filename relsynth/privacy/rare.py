"""Numbers a model may keep: no value that fewer than ``k`` training rows share.

A model family stores numbers it learned (tree leaves' donors, quantile cuts, a median offset).
Before it learns, :func:`private_codes` replaces each encoded value that fewer than ``k`` rows
share (one person's salary, birth date, order timestamp) by a draw from the interval spanned by
the ``k`` rare values nearest it in sorted order: it hides among ``k`` people, and a list price
many rows share beside it does not stretch its interval. The draw is continuous, so it lies
between the grain of the column (whole days, cents) and equals no real value: decoding rounds it
back to the grain, while the stored number is nobody's. Values that ``k`` or more rows share (a
list price, a common quantity) are not personal and stay exact, so spikes and categories of
numbers survive; a value's rank barely moves, so correlations do too.

Encoded codes only (:mod:`relsynth.models.encoding`): days for dates, microseconds for
datetimes, the number itself otherwise. This module imports nothing from relsynth, so every
model family can use it.
"""

from __future__ import annotations

import numpy as np


def private_codes(codes: np.ndarray, k: int, rng: np.random.Generator, *,
                  groups: np.ndarray | None = None, period: float | None = None) -> np.ndarray:
    """A copy of ``codes`` (NaN: null, kept) in which no value shared by fewer than ``k`` rows is left.

    ``groups``: per row, the parent row its value was copied from (a product's price on each of
    its order lines): rarity is counted among parents, and each parent keeps one value.
    ``period``: timestamps (a day in microseconds): the day and the time of day of a rare value
    are drawn apart, each among its own neighbours, so sparse rows keep their hour of day."""
    out = np.array(codes, dtype=np.float64, copy=True)
    if k <= 1:
        return out
    if groups is not None:
        _, first, inverse = np.unique(np.asarray(groups), return_index=True, return_inverse=True)
        return private_codes(out[first], k, rng, period=period)[inverse.reshape(-1)]
    present = np.flatnonzero(np.isfinite(out))
    if present.size == 0:
        return out
    order = present[np.argsort(out[present], kind="stable")]
    ordered = out[order]
    rare = _rare(ordered, k)
    if not rare.any():
        return out
    lonely = ordered[rare]          # the rare values alone: a spike beside them is not their neighbour
    if period:
        days = np.floor(lonely / period)
        drawn = np.round(_among_neighbours(np.sort(days), k, rng))[np.argsort(np.argsort(days, kind="stable"))] \
            * period
        times = lonely - days * period
        drawn += _among_neighbours(np.sort(times), k, rng)[np.argsort(np.argsort(times, kind="stable"))]
    else:
        drawn = _among_neighbours(lonely, k, rng)
    real = np.isin(drawn, ordered)   # a draw landing exactly on a real value (a float coincidence)
    drawn[real] = np.nextafter(drawn[real], np.inf)
    out[order[rare]] = drawn
    return out


def _rare(ordered: np.ndarray, k: int) -> np.ndarray:
    """Per sorted value, whether fewer than ``k`` values equal it."""
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    counts = np.diff(np.r_[starts, ordered.size])
    return np.repeat(counts < k, counts)


def _among_neighbours(ordered: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Per sorted value, one draw between its k nearest sorted values; values ``k`` share stay."""
    out = ordered.copy()
    rare = _rare(ordered, k)
    lonely = ordered[rare]
    n, at = lonely.size, np.arange(lonely.size)
    low = np.clip(at - k // 2, 0, max(n - k, 0))     # a window of k rare rows around each
    high = np.minimum(low + k - 1, n - 1)
    lo, hi = lonely[low], lonely[high]
    # fewer than k rows in all, every one equal: no neighbours to hide among, so widen by the value's size
    flat = hi <= lo
    spread = np.maximum(np.abs(lo) * 0.05, 1.0)
    lo, hi = np.where(flat, lo - spread, lo), np.where(flat, hi + spread, hi)
    out[rare] = lo + rng.random(n) * (hi - lo)
    return out


def off_grain(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Whole numbers that are structure (children per row), each moved up to a quarter step either
    way: they round back to themselves and a stored one equals no value of the database."""
    out = np.array(codes, dtype=np.float64, copy=True)
    return out + (rng.random(out.shape) - 0.5) * 0.5


def private_matrix(matrix: np.ndarray, numeric: np.ndarray, k: int, rng: np.random.Generator,
                   groups: list[np.ndarray | None] | None = None,
                   periods: list[float | None] | None = None) -> np.ndarray:
    """:func:`private_codes` on each column of ``matrix`` where ``numeric`` is True (categories'
    codes are indices, not values: rare categories are folded before a model sees them);
    ``groups[j]``: column j's parent rows, or None; ``periods[j]``: a timestamp column's day."""
    out = np.array(matrix, dtype=np.float64, copy=True)
    if k <= 1:
        return out
    for j in np.flatnonzero(numeric):
        out[:, j] = private_codes(out[:, j], k, rng, groups=groups[j] if groups else None,
                                  period=periods[j] if periods else None)
    return out


def private_rows(matrix: np.ndarray, numeric: np.ndarray, k: int, rng: np.random.Generator,
                 periods: list[float | None] | None = None) -> np.ndarray:
    """:func:`private_matrix` for context columns: a parent's (and its ancestors') values repeated
    on each child row. Whose value it is cannot be told from the rows (ninety orders of one
    employee, the five orders of one customer on each of their lines), so every distinct value
    counts as one person's: each moves among its ``k`` neighbours, the same for every row that
    repeats it. A context column only conditions the model, so its spikes need not stay exact."""
    out = np.array(matrix, dtype=np.float64, copy=True)
    if k <= 1 or not out.size:
        return out
    for j in np.flatnonzero(numeric):
        present = ~np.isnan(out[:, j])
        values, inverse = np.unique(out[present, j], return_inverse=True)
        out[present, j] = private_codes(values, k, rng, period=periods[j] if periods else None)[inverse.reshape(-1)]
    return out


DAY_US = 86_400 * 1_000_000   # the period of a timestamp encoded in microseconds


def periods_of(kinds: list[str]) -> list[float | None]:
    """Per column kind, the period :func:`private_codes` splits it by (timestamps: a day)."""
    return [DAY_US if kind == "datetime" else None for kind in kinds]


__all__ = ["DAY_US", "periods_of", "private_codes", "off_grain", "private_matrix", "private_rows"]
