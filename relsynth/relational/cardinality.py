"""How many children each parent row gets, learned from the parent's own columns.

A regression tree on the per-parent child counts (zeros included) whose leaves hand out real
counts from similar parents, so both the mean and the shape (share of childless parents,
long tails) follow the source. With no parent columns it is the empirical count distribution.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np
import pandas as pd

from relsynth import workspace
from relsynth.errors import ModelError
from relsynth.models.trees import (DonorTree, TreeParams, analyze_frame, as_predictors, centers,
                                   encode_frame, numeric_columns, subsample)
from relsynth.privacy.rare import periods_of, private_matrix
from relsynth.schema.kinds import Kind


class CardinalityModel:
    """Children-per-parent counts conditioned on the parent's modeled columns."""

    family: ClassVar[str] = "cardinality"  # the name written by save_model; not a table family

    def __init__(self, *, params: TreeParams | None = None) -> None:
        self.params = params or TreeParams()
        self._metas: dict[str, dict] = {}
        self._offsets = np.zeros(0)
        self._tree: DonorTree | None = None

    def fit(self, parent: pd.DataFrame, parent_kinds: Mapping[str, Kind], counts: np.ndarray, *,
            rng: np.random.Generator, k: int = 1) -> None:
        counts = np.asarray(counts)
        if counts.ndim != 1 or counts.size != len(parent):
            raise ModelError(f"got {counts.size} child counts for {len(parent)} parent rows",
                             hint="pass one count per parent row, zeros included")
        if counts.size and (np.any(counts < 0) or not np.all(np.isfinite(counts))):
            raise ModelError("child counts must be finite and non-negative")
        keep = subsample(len(parent), self.params.max_rows, rng)
        if keep is not None:
            parent, counts = parent.iloc[keep], counts[keep]
        self._metas = analyze_frame(parent, parent_kinds)
        encoded = private_matrix(encode_frame(parent, self._metas, what="parent"),  # no value few parents share
                                 numeric_columns(list(self._metas.values())), k, rng,
                                 periods=periods_of([m["kind"] for m in self._metas.values()]))
        self._offsets = centers(encoded)
        self._tree = DonorTree.fit(as_predictors(encoded, self._offsets), counts.astype(np.float64),
                                   classifier=False, jitter=False, params=self.params, rng=rng)

    def sample(self, parent: pd.DataFrame, *, rng: np.random.Generator) -> np.ndarray:
        """One child count per parent row (int64, never negative)."""
        if self._tree is None:
            raise ModelError("the cardinality model is not fitted yet")
        predictors = as_predictors(encode_frame(parent, self._metas, what="parent"), self._offsets)
        drawn = self._tree.draw(predictors, rng=rng)
        return np.maximum(np.round(np.nan_to_num(drawn)), 0).astype(np.int64)

    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        if self._tree is None:
            raise ModelError("the cardinality model is not fitted yet")
        meta = {"params": self.params.to_meta(), "columns": list(self._metas),
                "column_meta": list(self._metas.values())}
        return meta, {"offsets": self._offsets.astype(np.float64), **self._tree.arrays("counts")}

    @classmethod
    def from_state(cls, meta: dict, arrays: Mapping[str, np.ndarray]) -> "CardinalityModel":
        model = cls(params=TreeParams.from_meta(meta.get("params", {})))
        model._metas = dict(zip(meta["columns"], meta["column_meta"]))
        model._offsets = workspace.expect(arrays, "offsets", kinds="f", size=len(model._metas))
        model._tree = DonorTree.from_arrays("counts", arrays, width=len(model._metas))
        return model


__all__ = ["CardinalityModel"]
