"""Similarity scores between a real and a synthetic column or column pair: pure functions on arrays.

Inputs are in the form of ``relsynth.report.values``: numeric columns as float arrays (NaN =
NULL), category columns as string Series (NaN = NULL). Every score is in [0, 1], 1 = the same.

- ``ks_statistic``: two-sample Kolmogorov-Smirnov distance, NULL as a point mass below every value
  (so a different NULL share counts);
- ``tvd``: total variation distance between two category distributions, NULL its own category;
- ``correlation_similarity``: 1 - |corr_real - corr_synth| / 2, Spearman (Pearson on ranks,
  pairwise complete rows; a constant column correlates 0);
- ``contingency_similarity``: 1 - TVD of the joint distribution of two coded columns; numeric
  columns are coded into quantile bins of the real data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.report.values import NUMERIC

PAIR_BINS = 10          # quantile bins of a numeric column in a mixed pair
PAIR_CATEGORIES = 20    # most frequent real categories kept in a pair, the rest is "other"


def ks_statistic(real: np.ndarray, synth: np.ndarray) -> float:
    """Largest gap between the two empirical CDFs; NULLs (NaN) sit below every value."""
    if len(real) == 0 or len(synth) == 0:
        return 0.0 if len(real) == len(synth) else 1.0
    a = np.sort(np.where(np.isnan(real), -np.inf, real))
    b = np.sort(np.where(np.isnan(synth), -np.inf, synth))
    points = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, points, side="right") / len(a)
    cdf_b = np.searchsorted(b, points, side="right") / len(b)
    return float(np.max(np.abs(cdf_a - cdf_b)))


def category_codes(real: pd.Series, synth: pd.Series, *, top: int | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """Shared integer codes: the real categories by frequency (the first ``top``), then one code for
    "other" (anything else, synthetic-only categories included), then one for NULL. Returns the
    codes of both sides and the number of codes."""
    counts = real.value_counts(dropna=True)
    labels = counts.index[:top] if top is not None else counts.index
    n = len(labels)
    return _codes(real, labels, n), _codes(synth, labels, n), n + 2


def _codes(values: pd.Series, labels: pd.Index, n: int) -> np.ndarray:
    codes = pd.Index(labels).get_indexer(values).astype(np.int64)  # -1: not a label (or NULL)
    null = values.isna().to_numpy()
    codes[(codes < 0) & ~null] = n
    codes[null] = n + 1
    return codes


def bin_codes(real: np.ndarray, synth: np.ndarray, *, bins: int = PAIR_BINS) -> tuple[np.ndarray, np.ndarray, int]:
    """Quantile bins of the real values (shared by both sides), one more code for NULL."""
    present = real[~np.isnan(real)]
    edges = np.unique(np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1])) if len(present) else np.array([])

    def code(values: np.ndarray) -> np.ndarray:
        out = np.searchsorted(edges, values, side="right").astype(np.int64)
        out[np.isnan(values)] = len(edges) + 1
        return out

    return code(real), code(synth), len(edges) + 2


def tvd_codes(real: np.ndarray, synth: np.ndarray, n: int) -> float:
    if len(real) == 0 or len(synth) == 0:
        return 0.0 if len(real) == len(synth) else 1.0
    p = np.bincount(real, minlength=n) / len(real)
    q = np.bincount(synth, minlength=n) / len(synth)
    return float(0.5 * np.abs(p - q).sum())


def tvd(real: pd.Series, synth: pd.Series) -> float:
    a, b, n = category_codes(real, synth)
    return tvd_codes(a, b, n)


def column_shape(real, synth, fam: str) -> float:
    """1 - KS for a numeric column, 1 - TVD for a category column."""
    if fam == NUMERIC:
        return 1.0 - ks_statistic(np.asarray(real, dtype=float), np.asarray(synth, dtype=float))
    return 1.0 - tvd(real, synth)


def rank_correlations(frame: pd.DataFrame) -> pd.DataFrame:
    """Spearman correlation matrix (each column ranked once, pairwise complete rows); NaN -> 0."""
    if frame.shape[1] == 0:
        return pd.DataFrame()
    corr = frame.rank().corr(min_periods=3)
    values = corr.to_numpy(copy=True)
    values[np.isnan(values)] = 0.0
    np.fill_diagonal(values, 1.0)
    return pd.DataFrame(values, index=frame.columns, columns=frame.columns)


def correlation_similarity(real: float, synth: float) -> float:
    return 1.0 - abs(real - synth) / 2.0


def contingency_similarity(real_a: np.ndarray, real_b: np.ndarray, synth_a: np.ndarray, synth_b: np.ndarray,
                           n_a: int, n_b: int) -> float:
    return 1.0 - tvd_codes(real_a * n_b + real_b, synth_a * n_b + synth_b, n_a * n_b)


def pair_scores(real: pd.DataFrame, synth: pd.DataFrame, families: dict[str, str],
                pairs: list[tuple[str, str]]) -> list[tuple[str, str, float, float | None, float | None]]:
    """(a, b, score, real corr, synthetic corr) for each pair of columns of two comparable frames.

    Numeric pairs: correlation similarity (the correlations are returned too); any pair with a
    category column: contingency similarity, the numeric side coded into real quantile bins."""
    numeric = sorted({c for pair in pairs for c in pair if families[c] == NUMERIC})
    corr_real = rank_correlations(real[numeric]) if len(real) else None
    corr_synth = rank_correlations(synth[numeric]) if len(synth) else None
    coded: dict[str, tuple[np.ndarray, np.ndarray, int]] = {}

    def codes(column: str) -> tuple[np.ndarray, np.ndarray, int]:
        if column not in coded:
            if families[column] == NUMERIC:
                coded[column] = bin_codes(real[column].to_numpy(dtype=float), synth[column].to_numpy(dtype=float))
            else:
                coded[column] = category_codes(real[column], synth[column], top=PAIR_CATEGORIES)
        return coded[column]

    out = []
    for a, b in pairs:
        if families[a] == NUMERIC and families[b] == NUMERIC:
            if corr_real is None or corr_synth is None:
                out.append((a, b, 0.0 if len(real) != len(synth) else 1.0, None, None))
                continue
            cr, cs = float(corr_real.at[a, b]), float(corr_synth.at[a, b])
            out.append((a, b, correlation_similarity(cr, cs), cr, cs))
        else:
            ra, sa, na = codes(a)
            rb, sb, nb = codes(b)
            out.append((a, b, contingency_similarity(ra, rb, sa, sb, na, nb), None, None))
    return out
