"""Detection: can a classifier tell real rows from synthetic ones? Cross-validated ROC AUC.

0.5 means indistinguishable, 1.0 means every synthetic row gives itself away. Rows with the same
feature values are kept in the same fold (grouped by a hash of the row): otherwise a real row
whose exact twin sits in the training folds with the "synthetic" label would be scored as
synthetic, and an exact copy of the data would come out *below* 0.5.

Free-text columns (family ``text``, values mostly holding a space) enter through their words
(``relsynth.report.words.word_features``: length, word count, share of vocabulary words, and
which vocabulary words the row holds reduced to a few numbers), so word salad of the right length
is caught; the vocabulary is picked from both sides pooled, unlabelled, which keeps a fresh draw
of the real process at about 0.5. Text without spaces (codes, ids) is left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from relsynth.report.metrics import category_codes
from relsynth.report.values import FREE_TEXT, NUMERIC
from relsynth.report.words import word_features
from relsynth.schema.detect import is_free_text

MIN_ROWS = 10                 # fewer real or synthetic rows: no score
SMALL_TABLE_ROWS = 200        # fewer rows on the smaller side: 3 folds instead of 5
MAX_CATEGORIES = 253          # HistGradientBoosting takes at most 255 categories (one is "other")
# Numbers are seen at the resolution of 32 quantile bins (of both sides pooled). With one bin per
# distinct value (up to 255 bins) the classifier learns exact values: a product's price repeated on many order lines marks
# its rows real and a freshly drawn price marks them synthetic, so even a new draw from the true
# distribution would be caught, and copying real values would be rewarded.
NUMBER_BINS = 32


@dataclass(frozen=True)
class Detection:
    auc: float                # mean over the folds
    auc_std: float
    folds: int
    features: int
    rows_real: int
    rows_synthetic: int

    def to_dict(self) -> dict:
        return {"auc": round(self.auc, 4), "auc_std": round(self.auc_std, 4), "folds": self.folds,
                "features": self.features, "rows_real": self.rows_real, "rows_synthetic": self.rows_synthetic}


def encode(real: pd.DataFrame, synth: pd.DataFrame, families: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Both sides as one float matrix; category columns as shared codes (NaN for NULL), text
    columns as their word features when the real values are free text (else left out). Returns
    the matrix (real rows first, possibly without columns) and the mask of category columns."""
    columns, categorical = [], []
    for name, fam in families.items():
        if fam == NUMERIC:
            pooled = np.concatenate([real[name].to_numpy(dtype=float), synth[name].to_numpy(dtype=float)])
            columns.append(_quantile_bins(pooled, NUMBER_BINS))
            categorical.append(False)
        elif fam == FREE_TEXT:
            if is_free_text(real[name]):
                words = word_features(real[name], synth[name], name).to_numpy(dtype=float)
                columns += [_quantile_bins(column, NUMBER_BINS) for column in words.T]
                categorical += [False] * words.shape[1]
        else:
            a, b, n = category_codes(real[name], synth[name], top=MAX_CATEGORIES)
            codes = np.concatenate([a, b]).astype(float)
            codes[codes == n - 1] = np.nan  # the NULL code: missing, which the classifier handles itself
            columns.append(codes)
            categorical.append(True)
    rows = len(real) + len(synth)
    matrix = np.column_stack(columns) if columns else np.empty((rows, 0))
    return matrix, np.array(categorical, dtype=bool)


def _quantile_bins(values: np.ndarray, bins: int) -> np.ndarray:
    """Each value's quantile bin (NaN stays NaN)."""
    finite = values[~np.isnan(values)]
    if finite.size == 0:
        return values
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1]))
    return np.where(np.isnan(values), np.nan, np.searchsorted(edges, values, side="right").astype(float))


def detection_auc(real: pd.DataFrame, synth: pd.DataFrame, families: dict[str, str], *, seed: int,
                  families_of: np.ndarray | None = None) -> Detection | None:
    """``families_of`` (optional, real rows first) groups rows that must share a fold: the
    children of one parent."""
    if not families or min(len(real), len(synth)) < MIN_ROWS:
        return None
    x, categorical = encode(real, synth, families)
    informative = ~np.isnan(x).all(axis=0)  # NULL in every row on both sides: nothing to tell apart
    x, categorical = x[:, informative], categorical[informative]
    if x.shape[1] == 0:  # only text columns, none of them free text, or only empty ones
        return None
    y = np.concatenate([np.zeros(len(real), dtype=np.int8), np.ones(len(synth), dtype=np.int8)])
    folds = 5 if min(len(real), len(synth)) >= SMALL_TABLE_ROWS else 3
    splits = _splits(x, y, folds, seed, families_of)
    # one thread: at these sizes OpenMP's start-up and spinning cost more than it gives, many times more
    # on a busy machine (measured 20x slower with 2 cores under load)
    with threadpool_limits(1, user_api="openmp"):
        scores = _fold_scores(x, y, categorical, splits, seed)
    if not scores:
        return None
    return Detection(auc=float(np.mean(scores)), auc_std=float(np.std(scores)), folds=len(scores),
                     features=x.shape[1], rows_real=len(real), rows_synthetic=len(synth))


def _splits(x: np.ndarray, y: np.ndarray, folds: int, seed: int,
            families_of: np.ndarray | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Folds of whole groups, dealt to folds at random (vectorized; sklearn's
    StratifiedGroupKFold loops over the groups in Python). A group holds identical rows, and
    with ``families_of`` the siblings of one parent too (the connected groups of both)."""
    groups = pd.util.hash_pandas_object(pd.DataFrame(x), index=False).to_numpy()
    unique, inverse = np.unique(groups, return_inverse=True)
    if families_of is not None:
        inverse = _joined(inverse, np.asarray(families_of))
        unique = np.unique(inverse)
    ungrouped = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y))
    if len(unique) < 4:  # a handful of groups: grouping would leave folds without a class
        return ungrouped
    folds = min(folds, len(unique) // 2)  # a few groups: fewer, bigger folds
    fold_of_group = np.random.default_rng(seed).permutation(len(unique)) % folds
    fold = fold_of_group[inverse]
    splits = [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(folds)]
    usable = sum(len(np.unique(y[test])) == 2 for _, test in splits)
    return splits if usable >= 2 else ungrouped  # whole groups left folds of one class


def _joined(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Group labels of the connected components of two groupings of the same rows."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    na, nb = int(a.max()) + 1, int(b.max()) + 1
    edges = coo_matrix((np.ones(a.size), (a, na + b)), shape=(na + nb, na + nb))
    _count, labels = connected_components(edges, directed=False)
    return labels[a]


def _fold_scores(x: np.ndarray, y: np.ndarray, categorical: np.ndarray, splits, seed: int) -> list[float]:
    scores = []
    for train, test in splits:
        if len(np.unique(y[test])) < 2 or len(np.unique(y[train])) < 2:
            continue
        used = ~np.isnan(x[train]).all(axis=0)  # a column NULL in every training row cannot be binned
        if not used.any():
            continue
        model = HistGradientBoostingClassifier(categorical_features=categorical[used], random_state=seed)
        model.fit(x[train][:, used], y[train])
        scores.append(float(roc_auc_score(y[test], model.predict_proba(x[test][:, used])[:, 1])))
    return scores
