"""The default table model: a chain of CART trees whose leaves hand out real donor values.

Columns are modeled one after the other. Column j gets a decision tree on the predictors
"context columns + columns 0..j-1"; sampling walks each new row down that tree and draws a value
from the training values that fell into the same leaf (the donors). A nullable column first gets
a tree for "is null", then a tree for the value trained on non-null rows only.

Once fitted, a tree is plain numpy arrays (:class:`DonorTree`): the walk and the donor draw are
implemented here, vectorized over rows, so a loaded model needs neither sklearn nor pickle.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, fields
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from relsynth import workspace
from relsynth.errors import ArtifactError, ModelError
from relsynth.models import register
from relsynth.models import encoding
from relsynth.privacy.rare import off_grain, periods_of, private_matrix, private_rows
from relsynth.schema.kinds import Kind

_CLASSIFIED = frozenset({Kind.CATEGORICAL, Kind.BOOLEAN})  # targets fitted with a classifier
_JITTERED = frozenset({Kind.FLOAT, Kind.DECIMAL, Kind.DATETIME, Kind.DATE, Kind.TIME})  # smoothed around donors
# Times are smoothed by at most this much (encoded units: microseconds, days, seconds): enough
# that no timestamp is a verbatim copy, little enough to keep the hour of day and the weekday.
_MAX_GAP = {Kind.DATETIME: 30 * 60 * 1e6, Kind.DATE: 1.0, Kind.TIME: 15 * 60.0}


@dataclass(frozen=True)
class TreeParams:
    """How big the trees grow and how much of the data they keep."""

    max_rows: int = 200_000      # training subsample: bounds fit time on big tables
    max_depth: int = 20
    min_leaf: int = 10           # no leaf holds fewer real rows (privacy floor)
    rows_per_leaf: int = 1000    # leaf size grows with the data: max(min_leaf, n // rows_per_leaf)
    max_donors: int = 256        # donors kept per leaf for numbers (stratified over the leaf's values)
    max_classes: int = 32        # the classifier sees the most frequent classes, the rest lumped
    jitter: float = 1.0          # scales the smoothing of float/decimal donors (0: verbatim donors)

    def leaf_size(self, n_rows: int) -> int:
        return max(self.min_leaf, n_rows // self.rows_per_leaf)

    def to_meta(self) -> dict:
        return asdict(self)

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> "TreeParams":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in meta.items() if k in known})


# ---------------------------------------------------------------- one tree with donors


@dataclass
class DonorTree:
    """A fitted tree as arrays, with weighted donor values stored leaf by leaf.

    Node arrays follow sklearn's layout (node 0 is the root, ``left == -1`` at leaves).
    Donors of a leaf are contiguous; ``cum`` is the running total of donor weights, and
    ``start``/``total`` give each node's slice of it, so a draw is one ``searchsorted``.
    """

    left: np.ndarray          # int32 per node
    right: np.ndarray         # int32 per node
    feature: np.ndarray       # int32 per node, negative at leaves
    threshold: np.ndarray     # float64 per node: go left when x <= threshold
    missing_left: np.ndarray  # bool per node: where NaN goes
    start: np.ndarray         # int64 per node: donor weight before this node's donors
    total: np.ndarray         # int64 per node: weight of its donors (0 for inner nodes)
    cum: np.ndarray           # int64 per donor: running weight up to and including it
    donors: np.ndarray        # float64 per donor
    down: np.ndarray | None = None  # float64 per donor: how far below it a smoothed draw may land
    up: np.ndarray | None = None    # float64 per donor: how far above

    _REQUIRED: ClassVar[tuple[str, ...]] = ("left", "right", "feature", "threshold", "missing_left",
                                            "start", "total", "cum", "donors")
    _OPTIONAL: ClassVar[tuple[str, ...]] = ("down", "up")

    # -- fitting

    @classmethod
    def fit(cls, X: np.ndarray, y: np.ndarray, *, classifier: bool, jitter: bool, params: TreeParams,
            rng: np.random.Generator, max_gap: float = np.inf) -> "DonorTree":
        """Grow a tree of ``y`` on ``X`` (float32, NaN allowed) and keep its leaves' donors."""
        y = np.asarray(y, dtype=np.float64)
        nodes, leaves = _grow(X, y, classifier=classifier, params=params, rng=rng)
        node_count = nodes["left"].size
        # classes keep exact per-leaf counts (at most one donor per class), so rare ones survive
        cap = max(y.size, 1) if classifier else params.max_donors
        table = _donor_table(leaves, y, node_count=node_count, max_donors=cap,
                             smoothing=params.jitter if jitter else 0.0, max_gap=max_gap, rng=rng)
        return cls(**nodes, **table)

    # -- sampling

    def apply(self, X: np.ndarray, *, rows: np.ndarray | None = None) -> np.ndarray:
        """The leaf reached by each row (of ``X`` or of ``X[rows]``); one numpy step per depth level.

        Leaves loop back to themselves, so every row takes exactly ``depth`` steps and no
        per-level filtering of finished rows is needed.
        """
        n = X.shape[0] if rows is None else rows.size
        node = np.zeros(n, dtype=np.intp)
        if self.left.size == 1:
            return node
        kids, feature, threshold, missing_left, depth = self._walk
        X = np.ascontiguousarray(X)
        flat, width = X.reshape(-1), X.shape[1]
        base = (np.arange(n, dtype=np.intp) if rows is None else rows.astype(np.intp)) * width
        for _ in range(depth):
            x = flat[base + feature[node]]
            # compare as sklearn does: the float32 feature against the float64 threshold
            go_left = x <= threshold[node]
            missing = np.isnan(x)
            if missing.any():
                go_left[missing] = missing_left[node[missing]]
            node = kids[2 * node + go_left]
        return node

    @cached_property
    def _walk(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
        """Node tables for :meth:`apply`: (right, left) pairs with leaves pointing at themselves."""
        leaf = self.feature < 0
        ids = np.arange(self.left.size)
        kids = np.stack([np.where(leaf, ids, self.right), np.where(leaf, ids, self.left)], axis=1)
        feature = np.where(leaf, 0, self.feature).astype(np.intp)
        threshold = np.where(leaf, np.inf, self.threshold)
        return kids.astype(np.intp).ravel(), feature, threshold, self.missing_left | leaf, self._depth()

    def _depth(self) -> int:
        """Levels from the root to the deepest leaf."""
        depth, frontier = 0, np.array([0])
        while True:
            frontier = frontier[self.left[frontier] >= 0]
            if frontier.size == 0:
                return depth
            frontier = np.concatenate((self.left[frontier], self.right[frontier]))
            depth += 1
            if depth > self.left.size:  # only a damaged file can loop
                raise ArtifactError("model tree arrays do not form a tree")

    def draw(self, X: np.ndarray, *, rows: np.ndarray | None = None, rng: np.random.Generator) -> np.ndarray:
        """One donor value per row, drawn in proportion to the donor weights of its leaf.

        Draws are stratified within each leaf: the k rows that reach a leaf share its donor weight
        out in k equal slices, one draw per slice, so a leaf's values come out in their real
        proportions rather than iid (a 12-row table of coupons keeps its 12 discounts).
        """
        leaf = self.apply(X, rows=rows)
        n = leaf.size
        if self.cum.size == 0:  # fitted on no rows at all
            return np.full(n, np.nan)
        target = self.start[leaf] + (_stratified(leaf, rng) * self.total[leaf]).astype(np.int64)
        pick = np.searchsorted(self.cum, target, side="right")
        values = self.donors[pick]
        if self.down is not None:  # uniform within the donor's share of the gaps to its neighbours
            down = self.down[pick]
            values = values - down + rng.random(n) * (down + self.up[pick])
        return values

    # -- storage

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        out = {f"{prefix}.{name}": getattr(self, name) for name in self._REQUIRED}
        for name in self._OPTIONAL:
            if getattr(self, name) is not None:
                out[f"{prefix}.{name}"] = getattr(self, name)
        return out

    @classmethod
    def from_arrays(cls, prefix: str, arrays: Mapping[str, np.ndarray], *, width: int) -> "DonorTree":
        """The tree stored under ``prefix``, splitting on ``width`` predictors. Arrays read from a
        file are checked first (ValueError): dtypes, lengths, children after their parent (no
        loops), features within ``width``, donor slices within the donors."""
        def get(name: str, kinds: str, size: int | None = None) -> np.ndarray:
            return workspace.expect(arrays, f"{prefix}.{name}", kinds=kinds, size=size)

        left = get("left", "i")
        nodes = left.size
        if nodes == 0:
            raise ValueError(f"tree {prefix!r} has no nodes")
        tree = {"left": left, "right": get("right", "i", nodes), "feature": get("feature", "i", nodes),
                "threshold": get("threshold", "f", nodes), "missing_left": get("missing_left", "b", nodes),
                "start": get("start", "i", nodes), "total": get("total", "i", nodes), "cum": get("cum", "i")}
        tree["donors"] = get("donors", "f", tree["cum"].size)
        for name in cls._OPTIONAL:
            if f"{prefix}.{name}" in arrays:
                tree[name] = get(name, "f", tree["cum"].size)
        leaf = tree["feature"] < 0
        ids = np.arange(nodes)
        inner = ~leaf
        if (np.any(tree["left"][leaf] != -1) or np.any(tree["right"][leaf] != -1)
                or np.any(tree["left"][inner] <= ids[inner]) or np.any(tree["right"][inner] <= ids[inner])
                or np.any(tree["left"] >= nodes) or np.any(tree["right"] >= nodes)
                or np.any(tree["feature"][inner] >= width)):
            raise ValueError(f"tree {prefix!r} is not a tree over {width} predictors")
        cum, start, total = tree["cum"], tree["start"], tree["total"]
        weight = int(cum[-1]) if cum.size else 0
        if (np.any(np.diff(cum) < 0) or (cum.size and cum[0] < 0) or np.any(start < 0) or np.any(total < 0)
                or np.any(start + total > weight)):
            raise ValueError(f"tree {prefix!r} has donor weights out of order or out of range")
        return cls(**tree)


def _stratified(groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Uniforms in [0, 1): the k rows of a group get one each from the k slices [i/k, (i+1)/k),
    slices dealt to the rows at random."""
    n = groups.size
    if n == 0:
        return np.zeros(0)
    order = np.argsort(groups + rng.random(n) * 0.5, kind="stable")  # by group, random within it
    ordered = groups[order]
    first = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sizes = np.diff(np.append(first, n))
    which = np.repeat(np.arange(first.size), sizes)
    out = np.empty(n)
    out[order] = (np.arange(n) - first[which] + rng.random(n)) / sizes[which]
    return out


def _single_node() -> dict[str, np.ndarray]:
    return {"left": np.array([-1], np.int32), "right": np.array([-1], np.int32),
            "feature": np.array([-2], np.int32), "threshold": np.array([-2.0]),
            "missing_left": np.zeros(1, bool)}


def _grow(X: np.ndarray, y: np.ndarray, *, classifier: bool, params: TreeParams,
          rng: np.random.Generator) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Tree structure as arrays, and the leaf of every training row."""
    n = y.size
    leaf_size = params.leaf_size(n)
    if n == 0 or X.shape[1] == 0 or n < 2 * leaf_size or np.all(y == y[0]):
        return _single_node(), np.zeros(n, dtype=np.int64)  # nothing to split: one leaf
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor  # fit time only

    seed = int(rng.integers(2**31 - 1))
    if classifier:
        estimator = DecisionTreeClassifier(max_depth=params.max_depth, min_samples_leaf=leaf_size, random_state=seed)
        target = np.minimum(y, params.max_classes).astype(np.int64)  # codes are frequency-ranked
    else:
        estimator = DecisionTreeRegressor(max_depth=params.max_depth, min_samples_leaf=leaf_size, random_state=seed)
        target = y - y.mean()  # centered: squared errors of raw timestamps (~1e15) lose precision
    estimator.fit(X, target)
    tree = estimator.tree_
    nodes = {"left": tree.children_left.astype(np.int32), "right": tree.children_right.astype(np.int32),
             "feature": tree.feature.astype(np.int32), "threshold": tree.threshold.astype(np.float64),
             "missing_left": tree.missing_go_to_left.astype(bool)}
    return nodes, estimator.apply(X).astype(np.int64)


def _donor_table(leaves: np.ndarray, y: np.ndarray, *, node_count: int, max_donors: int, smoothing: float,
                 rng: np.random.Generator, max_gap: float = np.inf) -> dict[str, np.ndarray]:
    """Weighted donors per leaf.

    A leaf with at most ``max_donors`` distinct values keeps each value with its count (exact);
    a larger one keeps ``max_donors`` values, one drawn from each equal-count stratum of its
    sorted values, weighted by the stratum size, so its quantiles survive.

    With ``smoothing`` > 0 each donor also gets the half-gaps to its neighbours among the leaf's
    sorted training values: draws land uniformly in that local interval (scaled by
    ``smoothing``), so values are not verbatim copies, the leaf's range and skew are kept, and a
    value repeated in the data (a spike such as a list price) stays exact.
    """
    n = y.size
    order = np.lexsort((y, leaves))
    leaf, value = leaves[order], y[order]
    size = np.bincount(leaf, minlength=node_count)
    first = np.concatenate(([0], np.cumsum(size)[:-1]))
    leaf_change = np.ones(n, dtype=bool)
    leaf_change[1:] = leaf[1:] != leaf[:-1]
    value_change = leaf_change.copy()
    value_change[1:] |= value[1:] != value[:-1]
    distinct = np.bincount(leaf[value_change], minlength=node_count)
    rank = np.arange(n) - first[leaf]
    stratum = rank * max_donors // np.maximum(size[leaf], 1)
    stratum_change = leaf_change.copy()
    stratum_change[1:] |= stratum[1:] != stratum[:-1]
    exact = distinct[leaf] <= max_donors
    group_start = np.flatnonzero(np.where(exact, value_change, stratum_change))
    group_size = np.diff(np.append(group_start, n))
    pick = group_start + (rng.random(group_start.size) * group_size).astype(np.int64)
    weight = np.bincount(leaf[group_start], weights=group_size, minlength=node_count).astype(np.int64)
    table = {"start": np.concatenate(([0], np.cumsum(weight)[:-1])).astype(np.int64), "total": weight,
             "cum": np.cumsum(group_size).astype(np.int64), "donors": value[pick].astype(np.float64)}
    if smoothing > 0:
        spike = exact[group_start] & (group_size > 1)
        down, up = _half_gaps(leaf, value, pick, spike=spike, scale=smoothing)
        table["down"], table["up"] = np.minimum(down, max_gap), np.minimum(up, max_gap)
    return table


def _half_gaps(leaf: np.ndarray, value: np.ndarray, pick: np.ndarray, *, spike: np.ndarray,
               scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Half the distance from each picked value to its sorted neighbours in the same leaf."""
    n = value.size
    before = np.maximum(pick - 1, 0)
    after = np.minimum(pick + 1, n - 1)
    has_before = (pick > 0) & (leaf[before] == leaf[pick])
    has_after = (pick < n - 1) & (leaf[after] == leaf[pick])
    down = np.where(has_before & ~spike, (value[pick] - value[before]) * (scale / 2), 0.0)
    up = np.where(has_after & ~spike, (value[after] - value[pick]) * (scale / 2), 0.0)
    return down.astype(np.float64), up.astype(np.float64)


# ---------------------------------------------------------------- frames as predictor matrices


def analyze_frame(frame: pd.DataFrame, kinds: Mapping[str, Kind | str]) -> dict[str, dict]:
    """Encoding meta for each context column of ``frame`` whose kind is modeled (others are
    ignored). Context columns are encoded, never decoded: their extremes are not kept."""
    metas = {}
    for column in frame.columns:
        kind = kinds.get(column)
        if kind is not None and Kind(kind).modeled:
            meta = encoding.analyze(frame[column], Kind(kind))
            metas[str(column)] = {**meta, "min": None, "max": None} if "min" in meta else meta
    return metas


def encode_frame(frame: pd.DataFrame, metas: Mapping[str, Mapping], *, what: str = "context") -> np.ndarray:
    """The columns named in ``metas`` as an (n, k) float64 matrix, NaN for null."""
    missing = [c for c in metas if c not in frame.columns]
    if missing:
        raise ModelError(f"{what} lacks the column(s) the model was trained with: {', '.join(missing)}")
    out = np.empty((len(frame), len(metas)), dtype=np.float64)
    for j, (column, meta) in enumerate(metas.items()):
        out[:, j] = encoding.encode(frame[column], meta)
    return out


def private_table(encoded: np.ndarray, metas: Mapping[str, Mapping], k: int, rng: np.random.Generator,
                   grouped: list, exact: Collection[str]) -> np.ndarray:
    """The table's codes as a family may keep them: values few rows share moved among their
    neighbours, structure columns (``exact``) a quarter step off their whole numbers."""
    structure = np.isin(list(metas), list(exact))
    out = private_matrix(encoded, numeric_columns(list(metas.values())) & ~structure, k, rng, grouped,
                         periods_of([m["kind"] for m in metas.values()]))
    if k > 1:
        for j in np.flatnonzero(structure):
            out[:, j] = off_grain(out[:, j], rng)
    return out


def numeric_columns(metas: list[Mapping]) -> np.ndarray:
    """Per column, whether its codes are numbers (not category indices or booleans)."""
    return np.array([Kind(m["kind"]) not in _CLASSIFIED for m in metas], dtype=bool)


def centers(values: np.ndarray) -> np.ndarray:
    """A per-column offset (the median) so float32 predictors keep their precision (timestamps)."""
    if values.size == 0:
        return np.zeros(values.shape[1] if values.ndim == 2 else 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns have no median
        mid = np.nanmedian(values, axis=0)
    return np.nan_to_num(mid)


def as_predictors(values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Encoded columns shifted by their offsets, as the float32 matrix the trees split on."""
    # a float64 past float32's range (1.8e308) would split as infinity, which the trees refuse
    limit = np.finfo(np.float32).max
    return np.ascontiguousarray(np.clip(values - offsets, -limit, limit), dtype=np.float32)


def training_rows(table: pd.DataFrame, kinds: Mapping[str, Kind], context: pd.DataFrame | None, *, max_rows: int,
                  rng: np.random.Generator, groups: Mapping[str, np.ndarray] | None = None
                  ) -> tuple[pd.DataFrame, pd.DataFrame | None, dict[str, dict], list[np.ndarray | None]]:
    """The rows a model learns from, checked and subsampled to ``max_rows``: the table with its
    column names as text (metas are keyed by them), the row-aligned context, each column's meta,
    each column's parent rows (``groups``, or None)."""
    check_kinds(table, kinds)
    if context is not None and len(context) != len(table):
        raise ModelError(f"context has {len(context)} rows but the table has {len(table)}",
                         hint="pass one parent row per table row (row i of context is the parent of row i)")
    keep = subsample(len(table), max_rows, rng)
    rows = keep if keep is not None else slice(None)
    grouped = [None if (groups or {}).get(c) is None else np.asarray(groups[c])[rows] for c in table.columns]
    if keep is not None:
        table = table.iloc[keep]
        context = context.iloc[keep] if context is not None else None
    metas = {str(c): encoding.analyze(table[c], Kind(kinds[c])) for c in table.columns}
    return table.set_axis(list(metas), axis=1), context, metas, grouped


def subsample(n_rows: int, limit: int, rng: np.random.Generator) -> np.ndarray | None:
    """Sorted row positions of a uniform subsample, or None when every row is kept."""
    if n_rows <= limit:
        return None
    return np.sort(rng.choice(n_rows, size=limit, replace=False))


# ---------------------------------------------------------------- the table model


@dataclass
class _ColumnSteps:
    null: DonorTree | None   # "is null" tree; None when the column was never null
    value: DonorTree | None  # value tree; None when the column was always null


@register("trees")
class TreesModel:
    """Sequential CART chain with leaf donors; CPU-only and fast."""

    family: ClassVar[str] = "trees"

    def __init__(self, *, params: TreeParams | None = None, **overrides: Any) -> None:
        base = params or TreeParams()
        self.params = TreeParams(**{**asdict(base), **overrides})
        self._columns: list[str] = []
        self._metas: dict[str, dict] = {}
        self._context_metas: dict[str, dict] = {}
        self._offsets = np.zeros(0)
        self._steps: list[_ColumnSteps] = []
        self._fitted = False

    # -- fit

    def fit(self, table: pd.DataFrame, *, kinds: Mapping[str, Kind], context: pd.DataFrame | None = None,
            context_kinds: Mapping[str, Kind] | None = None, rng: np.random.Generator, k: int = 1,
            groups: Mapping[str, np.ndarray] | None = None, exact: Collection[str] = ()) -> None:
        table, context, self._metas, grouped = training_rows(table, kinds, context, max_rows=self.params.max_rows,
                                                             rng=rng, groups=groups)
        self._columns = list(self._metas)
        self._context_metas = analyze_frame(context, context_kinds or {}) if context is not None else {}
        # donors, split points and offsets are learned from numbers no fewer than k rows share
        encoded = np.hstack([private_rows(encode_frame(context, self._context_metas),
                                          numeric_columns(list(self._context_metas.values())), k, rng,
                                          periods_of([m["kind"] for m in self._context_metas.values()]))
                             if context is not None else np.empty((len(table), 0)),
                             private_table(encode_frame(table, self._metas, what="table"), self._metas, k,
                                            rng, grouped, exact)])
        self._offsets = centers(encoded)
        predictors = as_predictors(encoded, self._offsets)
        first = len(self._context_metas)
        self._steps = [self._fit_column(predictors, encoded[:, first + j], first + j, rng=rng)
                       for j in range(len(self._columns))]
        self._fitted = True

    def _fit_column(self, predictors: np.ndarray, y: np.ndarray, position: int, *,
                    rng: np.random.Generator) -> _ColumnSteps:
        """Trees for one column on the predictors before it (context, then earlier columns)."""
        kind = Kind(self._metas[self._columns[position - len(self._context_metas)]]["kind"])
        X = predictors[:, :position]
        null = np.isnan(y)
        null_tree = None
        if null.any() and not null.all():
            null_tree = DonorTree.fit(X, null.astype(np.float64), classifier=True, jitter=False,
                                      params=self.params, rng=rng)
        if null.all():
            return _ColumnSteps(null=None, value=None)
        present = ~null
        value_tree = DonorTree.fit(X[present] if null.any() else X, y[present], classifier=kind in _CLASSIFIED,
                                   jitter=kind in _JITTERED, params=self.params, rng=rng,
                                   max_gap=_MAX_GAP.get(kind, np.inf))
        return _ColumnSteps(null=null_tree, value=value_tree)

    # -- sample

    def sample(self, *, n: int | None = None, context: pd.DataFrame | None = None,
               rng: np.random.Generator, fixed: pd.DataFrame | None = None) -> pd.DataFrame:
        """``n`` rows (or one per ``context`` row). ``fixed`` holds given values of some columns,
        row-aligned: its non-null cells come out as given and the columns after them in the chain
        are drawn knowing them."""
        if not self._fitted:
            raise ModelError("the model is not fitted yet", hint="call fit() (or train) before sampling")
        n = self._rows_to_sample(n if fixed is None or context is not None else (n or len(fixed)), context)
        given = self._encode_fixed(fixed, n)
        width = len(self._context_metas) + len(self._columns)
        predictors = np.full((n, width), np.nan, dtype=np.float32)
        first = len(self._context_metas)
        if first:
            predictors[:, :first] = as_predictors(encode_frame(context, self._context_metas),
                                                  self._offsets[:first])
        columns = {}
        for j, (name, steps) in enumerate(zip(self._columns, self._steps)):
            values = _sample_column(steps, predictors, n=n, rng=rng)
            if name in given:
                known = ~np.isnan(given[name])
                values[known] = given[name][known]
            predictors[:, first + j] = (values - self._offsets[first + j]).astype(np.float32)
            columns[name] = encoding.decode(values, self._metas[name], name=name).reset_index(drop=True)
        return pd.DataFrame(columns, index=pd.RangeIndex(n), columns=self._columns)

    def _encode_fixed(self, fixed: pd.DataFrame | None, n: int) -> dict[str, np.ndarray]:
        if fixed is None:
            return {}
        unknown = [c for c in fixed.columns if c not in self._metas]
        if unknown:
            raise ModelError(f"cannot fix column(s) the model does not generate: {', '.join(map(str, unknown))}")
        if len(fixed) != n:
            raise ModelError(f"fixed has {len(fixed)} rows but {n} rows are sampled", hint="pass one row per sampled row")
        return {str(c): encoding.encode(fixed[c].reset_index(drop=True), self._metas[str(c)]) for c in fixed.columns}

    def _rows_to_sample(self, n: int | None, context: pd.DataFrame | None) -> int:
        if self._context_metas and context is None:
            raise ModelError("this model was trained with parent context: pass context= to sample")
        if context is None:
            if n is None or n < 0:
                raise ModelError("pass n (the number of rows) or context to sample")
            return int(n)
        if n is not None and n != len(context):
            raise ModelError(f"n={n} but context has {len(context)} rows: one row is sampled per context row")
        return len(context)

    # -- storage

    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        arrays: dict[str, np.ndarray] = {"offsets": self._offsets.astype(np.float64)}
        steps = []
        for j, column in enumerate(self._steps):
            steps.append({"null": column.null is not None, "value": column.value is not None})
            if column.null is not None:
                arrays.update(column.null.arrays(f"c{j}.null"))
            if column.value is not None:
                arrays.update(column.value.arrays(f"c{j}.value"))
        meta = {"family": self.family, "params": self.params.to_meta(), "fitted": self._fitted,
                "columns": self._columns, "column_meta": [self._metas[c] for c in self._columns],
                "context_columns": list(self._context_metas), "context_meta": list(self._context_metas.values()),
                "steps": steps}
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict, arrays: Mapping[str, np.ndarray]) -> "TreesModel":
        model = cls(params=TreeParams.from_meta(meta.get("params", {})))
        model._columns = list(meta["columns"])
        model._metas = dict(zip(model._columns, meta["column_meta"]))
        model._context_metas = dict(zip(meta["context_columns"], meta["context_meta"]))
        first = len(model._context_metas)
        if len(meta["steps"]) != len(model._columns) or len(model._metas) != len(model._columns):
            raise ValueError("the trees model's steps do not match its columns")
        for column_meta in [*model._metas.values(), *model._context_metas.values()]:
            if not Kind(column_meta["kind"]).modeled:
                raise ValueError(f"kind {column_meta['kind']!r} is not one a model learns")
        model._offsets = workspace.expect(arrays, "offsets", kinds="f", size=first + len(model._columns))
        model._steps = [_ColumnSteps(
            null=DonorTree.from_arrays(f"c{j}.null", arrays, width=first + j) if step["null"] else None,
            value=DonorTree.from_arrays(f"c{j}.value", arrays, width=first + j) if step["value"] else None)
            for j, step in enumerate(meta["steps"])]
        model._fitted = bool(meta.get("fitted", True))
        return model


def _sample_column(steps: _ColumnSteps, predictors: np.ndarray, *, n: int, rng: np.random.Generator) -> np.ndarray:
    """Encoded values of one column: nulls where the null tree says, donors elsewhere."""
    values = np.full(n, np.nan)
    if steps.value is None:
        return values
    rows = None
    if steps.null is not None:
        rows = np.flatnonzero(steps.null.draw(predictors, rng=rng) < 0.5)
    drawn = steps.value.draw(predictors, rows=rows, rng=rng)
    if rows is None:
        return drawn
    values[rows] = drawn
    return values


def check_kinds(table: pd.DataFrame, kinds: Mapping[str, Kind], *, text: bool = False) -> None:
    """Every column has a kind the model learns: the modeled ones, and free text when ``text``."""
    for column in table.columns:
        if column not in kinds:
            raise ModelError(f"no kind given for column {column!r}")
        kind = Kind(kinds[column])
        if not (kind.modeled or (text and kind is Kind.TEXT)):
            raise ModelError(f"column {column!r} has kind {kind.value!r}, which this model does not learn",
                             hint="pass only modeled columns (integer, float, decimal, boolean, categorical, "
                                  "datetime, date, time)" + (" and free text (kind 'text')" if text else ""))


__all__ = ["TreesModel", "TreeParams", "DonorTree", "analyze_frame", "encode_frame", "centers",
           "as_predictors", "subsample", "training_rows", "check_kinds"]
