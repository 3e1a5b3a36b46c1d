"""Detection AUC with cross-validation folds grouped by parent: a check on the report's own AUC.

``build_report``'s detection joins each row's parent columns to the row and deals rows to folds one
by one (identical rows together). Siblings then sit in both the training and the test folds, so on
a child of a small parent table the classifier learns the parents themselves: each real parent is a
point (its columns) shared by its children, a synthetic parent is a new point, and a fresh draw from
the very generator of the real data is "detected" (AUC near 1 on ``chain.stores``). Here every child
of one parent (its first foreign key) stays in one fold, so only what generalizes across parents
counts. Same features, encoding and classifier as the report; tables without a foreign key get no
score (the report's AUC already holds for them).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits

from relsynth.report.detection import encode
from relsynth.report.load import load
from relsynth.report.relational import detection_features
from relsynth.report.values import comparable

FOLDS = 5
MAX_ROWS = 50_000   # rows per side, as the report samples


def _prepared(frames: dict[str, pd.DataFrame], schema) -> dict[str, pd.DataFrame]:
    """Modeled columns in the report's comparable form, keys as read."""
    return {t.name: pd.DataFrame({c.name: comparable(frames[t.name][c.name], c.kind) for c in t.columns},
                                 index=frames[t.name].index) for t in schema}


def _parent_folds(real_parents: pd.Series, synth_parents: pd.Series, seed: int) -> np.ndarray:
    """A fold per row: the fold of its parent, parents dealt to folds at random per side."""
    keys = np.concatenate([("r" + real_parents.astype(str)).to_numpy(), ("s" + synth_parents.astype(str)).to_numpy()])
    unique, inverse = np.unique(keys, return_inverse=True)
    return (np.random.default_rng(seed).permutation(len(unique)) % FOLDS)[inverse]


def _auc(x: np.ndarray, y: np.ndarray, categorical: np.ndarray, fold: np.ndarray, seed: int) -> float | None:
    scores = []
    with threadpool_limits(1, user_api="openmp"):  # small fits: threads cost more than they give
        for k in range(FOLDS):
            train, test = fold != k, fold == k
            if len(np.unique(y[test])) < 2 or len(np.unique(y[train])) < 2:
                continue
            model = HistGradientBoostingClassifier(categorical_features=categorical, random_state=seed)
            model.fit(x[train], y[train])
            scores.append(roc_auc_score(y[test], model.predict_proba(x[test])[:, 1]))
    return float(np.mean(scores)) if scores else None


def _sample(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    if len(frame) <= MAX_ROWS:
        return frame
    return frame.iloc[np.sort(np.random.default_rng(seed).choice(len(frame), MAX_ROWS, replace=False))]


def grouped_detection(real: str, synthetic: str, *, seed: int = 0) -> dict[str, float | None]:
    """Per table with a foreign key: detection AUC with folds grouped by the first FK's parent."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = load(real, synthetic)
    schema = loaded.schema
    full = {"real": _prepared(loaded.real, schema), "synthetic": _prepared(loaded.synthetic, schema)}
    out: dict[str, float | None] = {}
    for table in schema:
        if not table.foreign_keys or min(len(full[s][table.name]) for s in full) < 10 * FOLDS:
            continue
        rows = {side: _sample(full[side][table.name], seed) for side in full}
        features = {side: detection_features(schema, table.name, full[side], rows[side]) for side in full}
        families = features["real"][1]
        x, categorical = encode(features["real"][0], features["synthetic"][0], families)
        y = np.r_[np.zeros(len(rows["real"]), np.int8), np.ones(len(rows["synthetic"]), np.int8)]
        fk = table.foreign_keys[0].columns[0]
        out[table.name] = _auc(x, y, categorical, _parent_folds(rows["real"][fk], rows["synthetic"][fk], seed), seed)
    return out
