"""Rules the real rows keep without the schema saying so, learned at fit and kept at sampling.

* copies: a column that equals a column of its parent row (an order line's unit price is the
  product's price) is set from the generated parent, not drawn;
* orders: a date or time column that is never earlier than another one of its row or of its
  parent's row (shipped after ordered, an order after its customer signed up) keeps that order;
  a generated row that breaks it gets a gap drawn from the real gaps;
* key order: integer keys that follow a date column in the source (ids given in time order)
  follow it in the copy.

A rule is learned when it holds for at least :data:`HOLDS` of the rows (and :data:`MIN_ROWS`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from relsynth.models import encoding
from relsynth.privacy.rare import private_codes
from relsynth.schema.kinds import Kind

HOLDS = 0.995
MIN_ROWS = 20
_GRAIN = {Kind.DATE: 1.0, Kind.DATETIME: 1.0, Kind.TIME: 1e-6}   # the smallest step, in encoded units
GAP_QUANTILES = 64
ORDERED = frozenset({Kind.DATETIME, Kind.DATE, Kind.TIME, Kind.INTEGER, Kind.FLOAT, Kind.DECIMAL})
TIMELIKE = frozenset({Kind.DATETIME, Kind.DATE})
COPIED = frozenset({Kind.INTEGER, Kind.FLOAT, Kind.DECIMAL, Kind.CATEGORICAL, Kind.BOOLEAN, Kind.DATETIME,
                    Kind.DATE, Kind.TIME})
_SAME_FAMILY = {Kind.INTEGER: "number", Kind.FLOAT: "number", Kind.DECIMAL: "number"}


def _family(kind: Kind) -> str:
    return _SAME_FAMILY.get(Kind(kind), Kind(kind).value)


class Related:
    """The columns a row can be compared with: its own, and its parents' through each foreign key."""

    def __init__(self, frame: pd.DataFrame, kinds: Mapping[str, Kind]):
        self.frame, self.kinds = frame, dict(kinds)
        self.parents: dict[str, tuple[np.ndarray, pd.DataFrame, dict[str, Kind]]] = {}

    def add_parent(self, label: str, positions: np.ndarray, parent: pd.DataFrame, kinds: Mapping[str, Kind]) -> None:
        self.parents[label] = (np.asarray(positions, dtype=np.int64), parent, dict(kinds))

    def parent_values(self, label: str, column: str) -> tuple[pd.Series, np.ndarray]:
        """The parent's ``column`` per row (NULL where the row has no parent), and which rows have one."""
        positions, parent, _ = self.parents[label]
        found = positions >= 0
        values = parent[column].reset_index(drop=True)
        picked = values.iloc[np.where(found, positions, 0)].reset_index(drop=True) if len(values) \
            else pd.Series([None] * len(positions), dtype=object)
        return picked.where(pd.Series(found), None), found


def learn_copies(related: Related) -> dict[str, dict]:
    """Columns equal to a parent's column in (almost) every row that has the parent."""
    copies: dict[str, dict] = {}
    for column, kind in related.kinds.items():
        if Kind(kind) not in COPIED:
            continue
        own = related.frame[column].reset_index(drop=True)
        for label, (_positions, _parent, parent_kinds) in related.parents.items():
            match = next((p for p, k in parent_kinds.items() if _family(k) == _family(kind)
                          and _equal_share(own, *related.parent_values(label, p)) >= HOLDS), None)
            if match is not None:
                copies[column] = {"fk": label, "column": match}
                break
    return copies


def _equal_share(own: pd.Series, theirs: pd.Series, found: np.ndarray) -> float:
    both = found & own.notna().to_numpy() & theirs.notna().to_numpy()
    if both.sum() < MIN_ROWS:
        return 0.0
    a, b = own[both], theirs[both]
    if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
        equal = np.isclose(pd.to_numeric(a).to_numpy(np.float64), pd.to_numeric(b).to_numpy(np.float64))
    else:
        equal = a.astype(str).to_numpy() == b.astype(str).to_numpy()
    return float(equal.mean())


def learn_orders(related: Related, *, k: int = 1, rng: np.random.Generator | None = None) -> list[dict]:
    """Pairs ``later >= earlier`` of date-like columns (of the row, or of a parent's row); the
    gaps kept are quantiles of gaps no fewer than ``k`` rows share (:mod:`relsynth.privacy.rare`)."""
    rules = []
    timelike = {c: k for c, k in related.kinds.items() if Kind(k) in TIMELIKE}
    for later, kind in timelike.items():
        meta = encoding.analyze(related.frame[later], Kind(kind))
        mine = encoding.encode(related.frame[later].reset_index(drop=True), meta)
        ordered = np.sort(mine[~np.isnan(mine)])
        if ordered.size < 2 * k:
            continue
        # decoding clips to the k-th smallest and largest value (protect's bounds), not to one row's
        coding = {**meta, "min": float(ordered[k - 1]), "max": float(ordered[-k])}
        candidates = [(None, c, k, related.frame[c].reset_index(drop=True))
                      for c, k in timelike.items() if c != later and Kind(k) == Kind(kind)]
        for label, (_positions, _parent, parent_kinds) in related.parents.items():
            candidates += [(label, c, k, related.parent_values(label, c)[0])
                           for c, k in parent_kinds.items() if Kind(k) == Kind(kind)]
        for label, earlier, _k, values in candidates:
            theirs = encoding.encode(values, meta)
            both = ~np.isnan(mine) & ~np.isnan(theirs)
            if both.sum() < MIN_ROWS:
                continue
            gap = mine[both] - theirs[both]
            if (gap >= 0).mean() >= HOLDS and (gap > 0).any():
                rng = rng or np.random.default_rng()
                kept = np.sort(private_codes(gap[gap >= 0], k, rng))
                quantiles = np.quantile(kept, np.linspace(0, 1, GAP_QUANTILES))
                # a quarter of the grain off: rounds back to the same gap, equals no date of the database
                quantiles += (rng.random(quantiles.size) - 0.5) * 0.5 * _GRAIN[Kind(kind)]
                rules.append({"later": later, "fk": label, "earlier": earlier, "meta": coding,
                              "gaps": np.maximum(quantiles, 0.0).tolist()})
    return rules


def apply_copies(frame: pd.DataFrame, copies: Mapping[str, dict], related: Related) -> pd.DataFrame:
    for column, rule in copies.items():
        if rule["fk"] not in related.parents:
            continue
        values, found = related.parent_values(rule["fk"], rule["column"])
        own = frame[column].reset_index(drop=True)
        merged = values.where(pd.Series(found), own)
        try:  # keep the column's dtype where the parent's values fit it
            merged = merged.astype(own.dtype)
        except (TypeError, ValueError):
            pass
        frame[column] = merged.to_numpy()
    return frame


def apply_orders(frame: pd.DataFrame, rules: list[dict], related: Related, rng: np.random.Generator) -> pd.DataFrame:
    """Rows that break a learned order get the later column moved to earlier + a real gap.

    Run twice, so a chain (signed up <= ordered <= shipped) settles once its first link moved."""
    for _ in range(2):
        for rule in rules:
            later = rule["later"]
            if rule["fk"] is None:
                earlier = frame[rule["earlier"]].reset_index(drop=True)
            elif rule["fk"] in related.parents:
                earlier = related.parent_values(rule["fk"], rule["earlier"])[0]
            else:
                continue
            meta = rule["meta"]
            mine = encoding.encode(frame[later].reset_index(drop=True), meta)
            theirs = encoding.encode(earlier, meta)
            bad = ~np.isnan(mine) & ~np.isnan(theirs) & (mine < theirs)
            if not bad.any():
                continue
            gaps = np.interp(rng.random(int(bad.sum())), np.linspace(0, 1, len(rule["gaps"])), rule["gaps"])
            mine[bad] = theirs[bad] + gaps
            frame[later] = encoding.decode(mine, meta, name=later).to_numpy()
    return frame


def learn_key_order(frame: pd.DataFrame, key: str, kinds: Mapping[str, Kind]) -> str | None:
    """The date-like column that the integer ``key`` follows in the source (ids in time order)."""
    ids = pd.to_numeric(frame[key], errors="coerce")
    if ids.notna().sum() < MIN_ROWS:
        return None
    for column, kind in kinds.items():
        if Kind(kind) not in TIMELIKE:
            continue
        values = encoding.encode(frame[column], encoding.analyze(frame[column], Kind(kind)))
        both = ids.notna().to_numpy() & ~np.isnan(values)
        if both.sum() < MIN_ROWS:
            continue
        order = np.argsort(ids.to_numpy(np.float64)[both], kind="stable")
        steps = np.diff(values[both][order])
        if (steps >= 0).mean() >= HOLDS:
            return column
    return None


__all__ = ["Related", "learn_copies", "learn_orders", "apply_copies", "apply_orders", "learn_key_order"]
