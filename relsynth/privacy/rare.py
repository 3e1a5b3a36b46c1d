"""Numbers a model may keep: no value that fewer than ``k`` training rows share.

A model family stores numbers it learned (tree leaves' donors, quantile cuts, a median offset).
Before it learns, :func:`private_codes` replaces each encoded value that fewer than ``k`` rows
share (one person's salary, birth date, order timestamp) by a draw from the interval spanned by
the ``k`` rare values nearest it in sorted order (so it hides among ``k`` people, and a list price
many rows share beside it does not stretch its interval). The draw is continuous, so it lies between the grain
of the column (whole days, cents) and equals no real value: decoding rounds it back to the grain,
while the stored number is nobody's. Values that ``k`` or more rows share (a list price, a common
quantity) are not personal and stay exact, so spikes and categories of numbers survive; a value's
rank barely moves, so correlations do too.

Encoded codes only (:mod:`relsynth.models.encoding`): days for dates, microseconds for
datetimes, the number itself otherwise. This module imports nothing from relsynth, so every
model family can use it.
"""

from __future__ import annotations

import numpy as np


def private_codes(codes: np.ndarray, k: int, rng: np.random.Generator, *,
                  groups: np.ndarray | None = None) -> np.ndarray:
    """A copy of ``codes`` (NaN: null, kept) in which no value shared by fewer than ``k`` rows is left.

    ``groups``: per row, the parent row its value was copied from (a product's price on each of
    its order lines): rarity is counted among parents, and each parent keeps one value."""
    out = np.array(codes, dtype=np.float64, copy=True)
    if k <= 1:
        return out
    if groups is not None:
        _, first, inverse = np.unique(np.asarray(groups), return_index=True, return_inverse=True)
        return private_codes(out[first], k, rng)[inverse.reshape(-1)]
    present = np.flatnonzero(np.isfinite(out))
    if present.size == 0:
        return out
    order = present[np.argsort(out[present], kind="stable")]
    ordered = out[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    counts = np.diff(np.r_[starts, ordered.size])
    rare = np.repeat(counts < k, counts)
    if not rare.any():
        return out
    rank = np.flatnonzero(rare)
    lonely = ordered[rank]          # the rare values alone: a spike beside them is not their neighbour
    n, at = lonely.size, np.arange(lonely.size)
    low = np.clip(at - k // 2, 0, max(n - k, 0))     # a window of k rare rows around each
    high = np.minimum(low + k - 1, n - 1)
    lo, hi = lonely[low], lonely[high]
    # fewer than k rows in all, every one equal: no neighbours to hide among, so widen by the value's size
    flat = hi <= lo
    spread = np.maximum(np.abs(lo) * 0.05, 1.0)
    lo, hi = np.where(flat, lo - spread, lo), np.where(flat, hi + spread, hi)
    drawn = lo + rng.random(rank.size) * (hi - lo)
    real = np.isin(drawn, ordered)   # a draw landing exactly on a real value (a float coincidence)
    drawn[real] = np.nextafter(drawn[real], np.inf)
    out[order[rank]] = drawn
    return out


def off_grain(codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Whole numbers that are structure (children per row), each moved up to a quarter step either
    way: they round back to themselves and a stored one equals no value of the database."""
    out = np.array(codes, dtype=np.float64, copy=True)
    return out + (rng.random(out.shape) - 0.5) * 0.5


def private_matrix(matrix: np.ndarray, numeric: np.ndarray, k: int, rng: np.random.Generator,
                   groups: list[np.ndarray | None] | None = None) -> np.ndarray:
    """:func:`private_codes` on each column of ``matrix`` where ``numeric`` is True (categories'
    codes are indices, not values: rare categories are folded before a model sees them);
    ``groups[j]``: column j's parent rows, or None."""
    out = np.array(matrix, dtype=np.float64, copy=True)
    if k <= 1:
        return out
    for j in np.flatnonzero(numeric):
        out[:, j] = private_codes(out[:, j], k, rng, groups=groups[j] if groups else None)
    return out


def private_rows(matrix: np.ndarray, numeric: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """:func:`private_matrix` for a parent's columns repeated on each of its children's rows: a
    value is rare when fewer than ``k`` distinct parent rows hold it (ninety orders of one
    employee do not make her birth date common), and each parent keeps one value for all its rows."""
    out = np.array(matrix, dtype=np.float64, copy=True)
    if k <= 1 or not out.size or not np.any(numeric):
        return out
    filled = np.where(np.isnan(out), np.inf, out)   # NaN never equals itself: compare nulls as inf
    _, first, inverse = np.unique(filled, axis=0, return_index=True, return_inverse=True)
    return private_matrix(out[first], numeric, k, rng)[inverse.reshape(-1)]


__all__ = ["private_codes", "off_grain", "private_matrix", "private_rows"]
