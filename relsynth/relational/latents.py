"""Children summaries: a few aggregates of each parent row's children, learned as latent parent columns.

A parent with few modeled columns gives its children little to be conditioned on: a product's
price that depends on its category is lost when the category has nothing but a name. So, for
each child table whose *context* foreign key points at a parent, every real parent row gets

* ``__children__.<child>.count``: the number of its children, zeros included (an integer, so
  it is drawn from real counts verbatim, as a cardinality model would);
* ``__children__.<child>.<column>.mean``: the mean of a numeric (or boolean) modeled column of
  its children, NaN when it has none, for the few columns the parent explains best.

The parent's model learns these columns jointly with its own (they come last in its columns, so
its own columns are sampled as before); they are never written. A generated parent row then gets
synthetic summaries, its children's count is the count summary, and its children are conditioned
on its modeled columns and its summaries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from relsynth.models import encoding
from relsynth.schema.kinds import Kind

PREFIX = "__children__"
MAX_MEANS = 3          # summarized columns per child table, besides the count
MIN_SCORE = 0.05       # least share of a column's variance its parents must explain (adjusted)
SUMMARIZED = frozenset({Kind.INTEGER, Kind.FLOAT, Kind.DECIMAL, Kind.BOOLEAN})


@dataclass
class Summary:
    """One latent column of a parent: a summary of one child table, per real parent row."""

    name: str             # the latent column's name in the parent
    kind: Kind            # integer for the count, float for a mean
    column: str | None    # the child column it averages (None: the count)
    values: np.ndarray    # float64, one per real parent row


def count_name(child: str) -> str:
    return f"{PREFIX}.{child}.count"


def mean_name(child: str, column: str) -> str:
    return f"{PREFIX}.{child}.{column}.mean"


def free_name(name: str, taken: set[str]) -> str:
    """``name``, with leading underscores added while it clashes with a real column."""
    while name in taken:
        name = "_" + name
    return name


def summarize(child: str, frame: pd.DataFrame, kinds: Mapping[str, Kind], positions: np.ndarray,
              n_parents: int, *, taken: set[str] = frozenset()) -> list[Summary]:
    """Summaries of ``child`` per parent row, the count first.

    ``positions`` is the parent row of each child row (-1: none); ``kinds`` the child's modeled
    columns, of which at most :data:`MAX_MEANS` numeric ones are averaged: those whose variance
    the parents explain best (adjusted correlation ratio at least :data:`MIN_SCORE`). ``taken``
    holds the parent's column names, which a summary's name must not clash with.

    A mean is shrunk towards the overall mean as much as its few children make it unreliable
    (empirical Bayes, one-way random effects): a parent with one child rated 5 is not taken for a
    parent whose children all get 5, which its generated copy, with more children, would become.
    """
    positions = np.asarray(positions, dtype=np.int64)
    has_parent = positions >= 0
    taken = set(taken)
    counts = np.bincount(positions[has_parent], minlength=n_parents).astype(np.float64)
    out = [Summary(free_name(count_name(child), taken), Kind.INTEGER, None, counts)]
    scored = []
    for column, kind in kinds.items():
        if Kind(kind) not in SUMMARIZED:
            continue
        values = encoded(frame[column], kind)
        ok = has_parent & ~np.isnan(values)
        score, weight = _components(values[ok], positions[ok])
        if score >= MIN_SCORE:
            scored.append((score, weight, column, values[ok], positions[ok]))
    scored.sort(key=lambda s: -s[0])  # stable: ties keep the column order
    for _score, weight, column, values, groups in scored[:MAX_MEANS]:
        sums = np.bincount(groups, weights=values, minlength=n_parents)
        present = np.bincount(groups, minlength=n_parents).astype(np.float64)
        prior = float(values.mean())
        means = np.full(n_parents, np.nan)
        np.divide(sums + weight * prior, present + weight, out=means, where=present > 0)
        name = free_name(mean_name(child, column), taken | {s.name for s in out})
        out.append(Summary(name, Kind.FLOAT, column, means))
    return out


def encoded(series: pd.Series, kind: Kind) -> np.ndarray:
    """A numeric or boolean column as float64 (booleans 0/1), NaN for null."""
    return encoding.encode(series, encoding.analyze(series, kind))


def explained(values: np.ndarray, groups: np.ndarray) -> float:
    """Share of the variance of ``values`` explained by ``groups``, adjusted for chance (omega²).

    Random groups of a few rows explain some variance by themselves; this subtracts what they
    would explain by chance. Every group of one row (a one-to-one relation): 1.
    """
    return _components(values, groups)[0]


def _components(values: np.ndarray, groups: np.ndarray) -> tuple[float, float]:
    """(omega², shrinkage weight): one-way random effects of ``groups`` on ``values``.

    The weight is the within-group variance over the between-group variance: how many children
    a parent needs before its own mean outweighs the overall one. 0 when groups have one row.
    """
    n = values.size
    if n < 2:
        return 0.0, 0.0
    _codes, inverse = np.unique(groups, return_inverse=True)
    k = int(inverse.max()) + 1
    mean = values.mean()
    total = float(((values - mean) ** 2).sum())
    if total <= 0:
        return 0.0, 0.0
    if k == n:
        return 1.0, 0.0
    sizes = np.bincount(inverse).astype(np.float64)
    group_means = np.bincount(inverse, weights=values) / sizes
    between = float((sizes * (group_means - mean) ** 2).sum())
    within = (total - between) / (n - k)
    score = float((between - (k - 1) * within) / (total + within))
    if k < 2:
        return score, 0.0
    n0 = (n - (sizes ** 2).sum() / n) / (k - 1)  # the typical group size
    spread = (between / (k - 1) - within) / n0  # variance of the true group means
    return score, float(within / spread) if spread > 0 else 0.0


def counts_of(summary: pd.Series) -> np.ndarray:
    """Children per parent row from a (synthetic) count summary: non-negative integers."""
    values = pd.to_numeric(pd.Series(summary), errors="coerce").astype("float64").fillna(0.0).to_numpy()
    return np.maximum(np.rint(values), 0).astype(np.int64)


def fill_missing(context: pd.DataFrame, columns: list[str], counts: np.ndarray,
                 rng: np.random.Generator) -> pd.DataFrame:
    """Parents that get children but whose ``columns`` (mean summaries) came out NaN take them,
    together, from another generated parent with children and all of them present.

    In the source these means are present whenever there are children; the parent model cannot
    always keep that rule (a small table is sampled column by column).
    """
    if not columns or context.empty:
        return context
    block = context[columns].to_numpy(dtype=np.float64, copy=True)
    missing = np.isnan(block).any(axis=1) & (counts > 0)
    donors = np.flatnonzero(~np.isnan(block).any(axis=1) & (counts > 0))
    if not missing.any() or donors.size == 0:
        return context
    rows = np.flatnonzero(missing)
    block[rows] = block[rng.choice(donors, size=rows.size)]
    context = context.copy()
    for j, column in enumerate(columns):
        context[column] = block[:, j]
    return context


__all__ = ["PREFIX", "Summary", "count_name", "mean_name", "summarize", "explained", "counts_of",
           "fill_missing"]
