"""Keys: fresh primary keys, foreign keys pointing at generated parents, unique sets that hold.

Everything here is vectorized over rows; loops run over columns or a few redraw rounds.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Sequence

import numpy as np
import pandas as pd

from relsynth.schema.sqltypes import INTEGER_GENERICS

REDRAW_ROUNDS = 12


def key_codes(frame: pd.DataFrame) -> pd.Index:
    """An index over (possibly composite) key values that matches across int/float/str spellings."""
    cols = [_normal(frame[c]) for c in frame.columns]
    if len(cols) == 1:
        return pd.Index(cols[0])
    return pd.MultiIndex.from_arrays(cols)


def _normal(series: pd.Series) -> np.ndarray:
    if pd.api.types.is_bool_dtype(series):
        return series.astype(object).to_numpy()
    if pd.api.types.is_numeric_dtype(series) or _numbers(series):
        return pd.to_numeric(series, errors="coerce").astype("float64").to_numpy()
    return series.astype(str).to_numpy(dtype=object)  # NULL rows are masked by the caller


def _numbers(series: pd.Series) -> bool:
    """An object column of numbers and NULLs (a nullable key gathered from its parents, decimals)."""
    if series.dtype != object:
        return False
    present = series.dropna()
    return len(present) > 0 and all(isinstance(v, (int, float, Decimal, np.number))
                                    and not isinstance(v, (bool, np.bool_)) for v in present)


def locate_parents(child_keys: pd.DataFrame, parent_keys: pd.DataFrame) -> np.ndarray:
    """Row position in the parent of each child row; -1 where the key is NULL or dangling."""
    parent_index = key_codes(parent_keys)
    if not parent_index.is_unique:  # a parent key that is not unique in a real source: first wins
        parent_index = parent_index.drop_duplicates()
    positions = parent_index.get_indexer(key_codes(child_keys))
    positions[child_keys.isna().any(axis=1).to_numpy()] = -1
    return positions


def agreeing_parents(child_keys: pd.DataFrame, parent_keys: pd.DataFrame, positions: np.ndarray,
                     weights: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Parents whose ``parent_keys`` equal the row's ``child_keys`` (columns another foreign key
    of the row already set), for rows whose proposed parent (``positions``) does not agree: one of
    the agreeing parents, drawn by ``weights``. Also the rows no parent agrees with: they keep
    their proposal and take its key values (the caller counts them as repaired)."""
    positions = positions.copy()
    unmatched = np.zeros(len(positions), dtype=bool)
    present = child_keys.notna().all(axis=1).to_numpy() & (positions >= 0)
    if not present.any() or not len(parent_keys):
        return positions, unmatched
    child_codes = _codes(child_keys)
    parent_codes = _codes(parent_keys)
    agree = np.zeros(len(positions), dtype=bool)
    agree[present] = parent_codes[positions[present]] == child_codes[present]
    wrong = np.flatnonzero(present & ~agree)
    if not wrong.size:
        return positions, unmatched
    members = pd.Series(np.arange(len(parent_codes))).groupby(parent_codes).indices
    weights = np.asarray(weights, dtype=np.float64)
    for code, rows in pd.Series(wrong).groupby(child_codes[wrong]).groups.items():  # one draw per key
        rows = wrong[np.asarray(rows)]
        found = members.get(code)
        if found is None:
            unmatched[rows] = True
            continue
        w = weights[found] if len(weights) == len(parent_codes) else np.ones(len(found))
        p = w / w.sum() if w.sum() > 0 else None
        positions[rows] = found[rng.choice(len(found), size=len(rows), p=p)]
    return positions, unmatched


def _codes(frame: pd.DataFrame) -> np.ndarray:
    """One hashable code per row (a tuple for several columns), comparable across spellings."""
    cols = [_normal(frame[c]) for c in frame.columns]
    if len(cols) == 1:
        return np.asarray(cols[0], dtype=object)
    out = np.empty(len(frame), dtype=object)
    out[:] = list(zip(*cols))
    return out


def dangling(frame: pd.DataFrame, columns: Sequence[str], parent: pd.DataFrame,
             parent_columns: Sequence[str]) -> np.ndarray:
    """Rows whose key (no column NULL) matches no parent row."""
    keys = frame[list(columns)]
    found = locate_parents(keys, parent[list(parent_columns)]) if len(parent) else np.full(len(frame), -1)
    return keys.notna().all(axis=1).to_numpy() & (found < 0)


def children_counts(positions: np.ndarray, n_parents: int) -> np.ndarray:
    return np.bincount(positions[positions >= 0], minlength=n_parents).astype(np.int64)


def integer_keys(n: int, *, start: int = 1) -> np.ndarray:
    return np.arange(start, start + n, dtype=np.int64)


def draw_parents(n: int, weights: np.ndarray, rng: np.random.Generator, *, null_share: float = 0.0) -> np.ndarray:
    """Parent positions for n children, parents drawn in proportion to ``weights``; -1 for NULL."""
    positions = np.full(n, -1, dtype=np.int64)
    if n == 0 or len(weights) == 0:
        return positions
    has_parent = rng.random(n) >= null_share
    total = weights.sum()
    p = weights / total if total > 0 else None
    positions[has_parent] = rng.choice(len(weights), size=int(has_parent.sum()), p=p)
    return positions


def popularity(histogram: Sequence[float], n_parents: int, rng: np.random.Generator) -> np.ndarray:
    """A weight per generated parent, drawn from the real children-per-parent distribution,
    so popular and unpopular parents keep their share instead of a flat uniform draw."""
    hist = np.asarray(histogram, dtype=np.float64)
    if n_parents == 0 or hist.sum() <= 0:
        return np.ones(n_parents)
    counts = rng.choice(len(hist), size=n_parents, p=hist / hist.sum()).astype(np.float64)
    return counts if counts.sum() > 0 else np.ones(n_parents)


MAX_DEPTH = 64


def hierarchy_depths(positions: np.ndarray) -> np.ndarray:
    """Depth of each row in a self-referencing hierarchy (roots 0); rows on a loop count as roots."""
    depth = np.where(positions < 0, 0, -1)
    for _ in range(MAX_DEPTH):
        pending = depth < 0
        if not pending.any():
            break
        parent_depth = depth[positions[pending]]
        known = parent_depth >= 0
        rows = np.flatnonzero(pending)[known]
        depth[rows] = parent_depth[known] + 1
    depth[depth < 0] = 0
    return depth


def tree_parents(n: int, depth_histogram: Sequence[float], rng: np.random.Generator) -> np.ndarray:
    """A self-reference shaped like the source's hierarchy: as many rows at each depth, each row
    pointing at a row one level up. Parents come before their children, so there are no loops."""
    hist = np.asarray(depth_histogram, dtype=np.float64)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if hist.sum() <= 0:
        hist = np.ones(1)
    depths = np.repeat(np.arange(len(hist)), _apportion(hist, n))
    # a level left empty (few rows, a thin middle level) would leave every row below it without
    # a parent: the rows below move up instead
    depths = np.unique(depths, return_inverse=True)[1].reshape(-1)
    positions = np.full(n, -1, dtype=np.int64)
    starts = np.searchsorted(depths, np.arange(len(hist) + 1))
    for level in range(1, len(hist)):
        lo, hi = starts[level], starts[level + 1]
        up_lo, up_hi = starts[level - 1], starts[level]
        if hi > lo and up_hi > up_lo:
            positions[lo:hi] = rng.integers(up_lo, up_hi, size=hi - lo)
    return positions


def _apportion(weights: np.ndarray, n: int) -> np.ndarray:
    """``n`` split in proportion to ``weights`` (largest remainders), at least one in the first.

    Not a random draw: 12 categories of which 3 are roots stay 3 roots, not 1 to 6.
    """
    share = weights / weights.sum() * n
    counts = np.floor(share).astype(np.int64)
    rest = int(n - counts.sum())
    if rest:
        counts[np.argsort(-(share - counts), kind="stable")[:rest]] += 1
    if counts[0] == 0:  # a hierarchy needs a root
        counts[int(np.argmax(counts))] -= 1
        counts[0] = 1
    return counts


def numbered_within(groups: pd.DataFrame, *, start: int = 1) -> np.ndarray:
    """1, 2, 3... within each group: line numbers of an order's items."""
    if groups.shape[1] == 0:
        return np.arange(start, start + len(groups), dtype=np.int64)
    return groups.groupby(list(groups.columns), sort=False, dropna=False).cumcount().to_numpy() + start


def duplicated_rows(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Rows that repeat an earlier row on ``columns``; rows with a NULL there never clash (SQL)."""
    subset = frame[list(columns)]
    return (subset.duplicated(keep="first") & subset.notna().all(axis=1)).to_numpy()


_EXACT_RANGE = 5_000_000


def fresh_values(values: pd.Series, clash: np.ndarray, spec: dict, rng: np.random.Generator) -> pd.Series | None:
    """The column with new, unused values in the clashing rows; None when its type has no room.

    Numbers, dates and times are mapped to an integer lattice (units of the column's scale, days,
    seconds); unused lattice points inside the observed range are used first, then points above.
    """
    generic = spec.get("generic")
    if generic in ("string", "text"):
        return suffix_strings(values, clash, spec.get("length"))
    if generic in INTEGER_GENERICS or generic in ("float", "decimal"):
        unit = 10.0 ** -int(spec.get("scale") or (0 if generic in INTEGER_GENERICS else 6))
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
        lattice = np.round(numbers / unit)
        lattice[clash] = _unused(lattice[~clash & np.isfinite(lattice)], int(clash.sum()), rng)
        out = pd.Series(lattice * unit, index=values.index)
        return out.round().astype("Int64") if generic in INTEGER_GENERICS else out.round(12)
    if generic in ("date", "datetime"):
        stamps = pd.to_datetime(pd.Series(values, dtype=object), errors="coerce")
        seconds = 86_400 if generic == "date" else 1
        lattice = (stamps - pd.Timestamp(0)).dt.total_seconds().to_numpy() // seconds
        lattice[clash] = _unused(lattice[~clash & np.isfinite(lattice)], int(clash.sum()), rng)
        fresh = pd.Series(pd.to_datetime(lattice * seconds, unit="s"), index=values.index)
        if generic == "date":
            return pd.Series(fresh.dt.date.where(fresh.notna(), None), dtype=object)
        return fresh
    return None


def fresh_within(values: pd.Series, groups: pd.DataFrame, spec: dict) -> pd.Series | None:
    """The column made distinct within each group (a date beside an FK in a composite key: one
    salary per employee and day); None when its type has no lattice.

    Equal values of a group move forward to the next free unit (day, second, integer step):
    within a group sorted by value, value - rank is made non-decreasing (cumulative maximum),
    so a date only ever moves later and an order such as ``from_date >= hire_date`` still holds.
    """
    lattice, back = _lattice(values, spec)
    if lattice is None:
        return None
    known = np.isfinite(lattice)
    frame = groups.reset_index(drop=True).assign(__v=lattice).loc[known]
    names = list(groups.columns)
    frame = frame.sort_values(names + ["__v"], kind="stable")
    rank = frame.groupby(names, sort=False, dropna=False).cumcount().to_numpy()
    shifted = (frame["__v"].to_numpy() - rank)
    floor = pd.Series(shifted, index=frame.index).groupby([frame[c] for c in names], sort=False,
                                                          dropna=False).cummax().to_numpy()
    lattice = lattice.copy()
    lattice[frame.index.to_numpy()] = floor + rank
    return back(lattice, values.index)


def _lattice(values: pd.Series, spec: dict):
    """Values as integer lattice points (units of the scale, days, seconds) and the way back."""
    generic = spec.get("generic")
    if generic in INTEGER_GENERICS or generic in ("float", "decimal"):
        unit = 10.0 ** -int(spec.get("scale") or (0 if generic in INTEGER_GENERICS else 6))
        numbers = np.round(pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64) / unit)

        def numbers_back(lattice: np.ndarray, index: pd.Index) -> pd.Series:
            out = pd.Series(lattice * unit, index=index)
            return out.round().astype("Int64") if generic in INTEGER_GENERICS else out.round(12)
        return numbers, numbers_back
    if generic in ("date", "datetime"):
        seconds = 86_400 if generic == "date" else 1
        stamps = pd.to_datetime(pd.Series(values, dtype=object), errors="coerce")
        days = ((stamps - pd.Timestamp(0)).dt.total_seconds().to_numpy() // seconds)

        def stamps_back(lattice: np.ndarray, index: pd.Index) -> pd.Series:
            fresh = pd.Series(pd.to_datetime(lattice * seconds, unit="s"), index=index)
            if generic == "date":
                return pd.Series(fresh.dt.date.where(fresh.notna(), None), dtype=object, index=index)
            return fresh
        return days, stamps_back
    return None, None


def _unused(used: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k distinct integers not in ``used``: inside its range when there is room, else above it."""
    if len(used) == 0:
        return np.arange(k, dtype=np.float64)
    lo, hi = float(used.min()), float(used.max())
    if hi - lo <= _EXACT_RANGE:
        free = np.setdiff1d(np.arange(lo, hi + 1), used)
        picks = rng.permutation(free)[:k]
    else:  # a wide range: random points, redrawn where taken
        picks = np.unique(np.floor(rng.uniform(lo, hi, size=2 * k)))
        picks = rng.permutation(picks[~np.isin(picks, used)])[:k]
    above = hi + 1 + np.arange(k - len(picks))
    return np.concatenate([picks, above]).astype(np.float64)


def suffix_strings(values: pd.Series, clash: np.ndarray, length: int | None = None) -> pd.Series | None:
    """The clashing values with ``-1``, ``-2``... appended, the value cut so that it stays within
    ``length`` characters; None when the suffixes alone do not fit."""
    out = values.astype(object).copy()
    tails = "-" + pd.Series(np.arange(1, int(clash.sum()) + 1), index=out.index[clash]).astype(str)
    if length and tails.str.len().max() >= length:
        return None
    bases = out.loc[clash].astype(str)
    if length:
        bases = pd.Series([b[:length - len(t)] for b, t in zip(bases, tails)], index=bases.index)
    out.loc[clash] = bases + tails
    return out
