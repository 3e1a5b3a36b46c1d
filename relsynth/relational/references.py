"""Foreign keys other than the context parent: which parent a generated row points at.

The context parent decides *how many* children it gets; another parent (the product of an order
line, the destination airport of a flight) must be chosen so that it *fits* the row. So:

* at fit, the child's model learns, before its own columns, the modeled columns of the parent each
  real row points at: the *wanted* columns ``@<fk>.<column>`` (and ``@<fk>`` = "has a parent"
  when the foreign key can be NULL). A generated row thus comes with the parent it would like,
  and its own columns follow that wish (a cheap product is bought by the dozen);
* each parent's *room*, the number of rows that may point at it, is a latent column of the parent
  model (``__refs__.<child>.<fk>.count``, like a children count): popular parents stay popular,
  and popular with the right rows;
* :func:`assign` then gives each row the nearest generated parent that still has room.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.models import encoding
from relsynth.schema.kinds import Kind

PREFIX = "__refs__"
MAX_WANTED = 8           # parent columns a child row learns to want, at most
MAX_ONE_HOT = 16         # categories of a wanted column that count in the distance, the rest lumped
CATEGORY_WEIGHT = 2.0    # a different category weighs as much as two standard deviations
NEIGHBOURS = 8           # candidates per row and round
ROUNDS = 4
NUMERIC = frozenset({Kind.INTEGER, Kind.FLOAT, Kind.DECIMAL, Kind.DATETIME, Kind.DATE, Kind.TIME})


def room_name(child: str, label: str) -> str:
    return f"{PREFIX}.{child}.{label}.count"


def wanted_name(label: str, column: str | None = None) -> str:
    return f"@{label}" if column is None else f"@{label}.{column}"


def wanted_columns(parent_kinds: dict[str, Kind]) -> dict[str, Kind]:
    """The parent's modeled columns a child row learns to want (the first :data:`MAX_WANTED`; not
    free text, which a text-writing family models too)."""
    return dict([(c, k) for c, k in parent_kinds.items() if Kind(k).modeled][:MAX_WANTED])


def wanted_frame(label: str, parent: pd.DataFrame, columns: dict[str, Kind], positions: np.ndarray, *,
                 with_presence: bool) -> pd.DataFrame:
    """Per child row, the columns of the parent it points at (NULL where it has none)."""
    found = positions >= 0
    out = {}
    if with_presence:
        out[wanted_name(label)] = found
    take = np.where(found, positions, 0)
    for column in columns:
        values = parent[column].reset_index(drop=True)
        picked = values.iloc[take].reset_index(drop=True) if len(values) else pd.Series([None] * len(positions))
        out[wanted_name(label, column)] = picked.where(pd.Series(found), None) if not found.all() else picked
    return pd.DataFrame(out, index=pd.RangeIndex(len(positions)))


def apportion(weights: np.ndarray, total: int, rng: np.random.Generator) -> np.ndarray:
    """Integer rooms proportional to ``weights`` that add up to exactly ``total``."""
    weights = np.clip(np.nan_to_num(np.asarray(weights, dtype=np.float64)), 0, None)
    if weights.size == 0:
        return np.zeros(0, dtype=np.int64)
    if weights.sum() <= 0:
        weights = np.ones_like(weights)
    share = weights * (total / weights.sum())
    room = np.floor(share).astype(np.int64)
    rest = int(total - room.sum())
    if rest > 0:
        fraction = share - room
        p = fraction / fraction.sum() if fraction.sum() > 0 else None
        room[rng.choice(weights.size, size=rest, replace=False, p=p)] += 1
    return room


def distance_space(wanted: pd.DataFrame, offered: pd.DataFrame, kinds: dict[str, Kind]) -> tuple[np.ndarray, np.ndarray]:
    """Both frames as points of one space: numbers standardized on the offered parents,
    categories one-hot (the most frequent ones) scaled so a mismatch costs two deviations."""
    left, right = [], []
    for column, kind in kinds.items():
        w, o = wanted[column], offered[column]
        if Kind(kind) in NUMERIC:
            meta = encoding.analyze(o, Kind(kind))
            wv, ov = encoding.encode(w, meta), encoding.encode(o, meta)
            centre = np.nanmean(ov) if np.isfinite(ov).any() else 0.0
            scale = np.nanstd(ov) if np.isfinite(ov).any() else 1.0
            scale = scale if scale > 0 else 1.0
            wv, ov = (wv - centre) / scale, (ov - centre) / scale
            left += [np.nan_to_num(wv), np.isnan(wv).astype(np.float64)]
            right += [np.nan_to_num(ov), np.isnan(ov).astype(np.float64)]
        else:
            wk, ok = w.astype(str).where(w.notna(), "\0null"), o.astype(str).where(o.notna(), "\0null")
            top = ok.value_counts().index[:MAX_ONE_HOT]
            for category in top:
                left.append((wk == category).to_numpy(np.float64) * (CATEGORY_WEIGHT / np.sqrt(2)))
                right.append((ok == category).to_numpy(np.float64) * (CATEGORY_WEIGHT / np.sqrt(2)))
    if not left:
        return np.zeros((len(wanted), 0)), np.zeros((len(offered), 0))
    return np.column_stack(left), np.column_stack(right)


def assign(wanted: np.ndarray, offered: np.ndarray, room: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each wanted point, the position of an offered point that still has room: the nearest
    one where possible (a few rounds of nearest-neighbour proposals, the closest accepted first),
    else any with room left. ``room`` must add up to at least the number of wanted points."""
    n, m = len(wanted), len(offered)
    positions = np.full(n, -1, dtype=np.int64)
    room = np.asarray(room, dtype=np.int64).copy()
    pending = rng.permutation(n)
    if wanted.shape[1] and m:
        for _ in range(ROUNDS):
            open_ = np.flatnonzero(room > 0)
            if not pending.size or not open_.size:
                break
            open_ = rng.permutation(open_)  # ties between identical parents go to a random one
            k = min(NEIGHBOURS, open_.size)
            distances, nearest = _nearest(offered[open_], wanted[pending], k)
            candidates = open_[nearest]
            for j in range(k):
                if not pending.size:
                    break
                accepted = _accept(candidates[:, j], distances[:, j], room)
                chosen = candidates[accepted, j]
                positions[pending[accepted]] = chosen
                room -= np.bincount(chosen, minlength=m)
                pending, candidates, distances = pending[~accepted], candidates[~accepted], distances[~accepted]
    if pending.size:  # what no nearby parent could take: any parent with room, at random
        slots = rng.permutation(np.repeat(np.arange(m), np.maximum(room, 0)))
        if slots.size < pending.size:
            slots = np.concatenate([slots, rng.integers(0, max(m, 1), pending.size - slots.size)])
        positions[pending] = slots[:pending.size] if m else -1
    return positions


BRUTE_FORCE_CELLS = 4_000_000    # query x reference pairs (32 MB of distances) below which numpy beats loading sklearn (~1.5 s)


def _nearest(reference: np.ndarray, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean distances to and positions of each query point's ``k`` nearest reference points,
    closest first. Small problems by brute force in numpy (a small generate then never loads
    sklearn), large ones with sklearn's trees."""
    if len(query) * len(reference) > BRUTE_FORCE_CELLS:
        from sklearn.neighbors import NearestNeighbors

        return NearestNeighbors(n_neighbors=k).fit(reference).kneighbors(query)
    squared = ((query ** 2).sum(1)[:, None] - 2.0 * query @ reference.T + (reference ** 2).sum(1)[None, :])
    np.maximum(squared, 0.0, out=squared)      # rounding can make a zero distance slightly negative
    nearest = np.argpartition(squared, k - 1, axis=1)[:, :k] if k < reference.shape[0] else \
        np.broadcast_to(np.arange(reference.shape[0]), (len(query), reference.shape[0]))
    picked = np.take_along_axis(squared, nearest, axis=1)
    order = np.argsort(picked, axis=1, kind="stable")
    return np.sqrt(np.take_along_axis(picked, order, axis=1)), np.take_along_axis(nearest, order, axis=1)


def _accept(choice: np.ndarray, distance: np.ndarray, room: np.ndarray) -> np.ndarray:
    """Which proposals the proposed parents accept: the closest ones, up to each parent's room."""
    order = np.lexsort((distance, choice))
    sorted_choice = choice[order]
    starts = np.r_[True, sorted_choice[1:] != sorted_choice[:-1]]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(order.size), 0))
    rank = np.arange(order.size) - group_start
    accepted = np.zeros(choice.size, dtype=bool)
    accepted[order] = rank < room[sorted_choice]
    return accepted


__all__ = ["PREFIX", "room_name", "wanted_name", "wanted_columns", "wanted_frame", "apportion",
           "distance_space", "assign"]
