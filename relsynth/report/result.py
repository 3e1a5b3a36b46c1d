"""The report as frozen values: per-table scores, the overall means, the data the HTML draws."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from relsynth.report.detection import Detection
from relsynth.report.leaks import RealValues
from relsynth.report.privacy import Privacy

FAMILIES = ("column_shapes", "column_pairs", "cardinality", "parent_child", "detection_auc",
            "exact_match_share", "dcr_share")
IDEAL = {"column_shapes": 1.0, "column_pairs": 1.0, "cardinality": 1.0, "parent_child": 1.0,
         "detection_auc": 0.5, "exact_match_share": 0.0, "dcr_share": 0.5}
TITLES = {"column_shapes": "column shapes", "column_pairs": "column pair trends", "cardinality": "cardinality",
          "parent_child": "parent-child trends", "detection_auc": "detection AUC",
          "exact_match_share": "exact-match share", "dcr_share": "DCR share"}
OVERALL = "(overall)"


def _r(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


@dataclass(frozen=True)
class Histogram:
    labels: tuple[str, ...]          # bins or categories; a NULL bar comes last when either side has NULLs
    real: tuple[float, ...]          # share of the rows in each bar
    synthetic: tuple[float, ...]
    ticks: tuple[str, ...] = ()      # continuous bins: the axis at the low end, middle and high end


@dataclass(frozen=True)
class ColumnScore:
    name: str
    kind: str
    basis: str                       # ks | tvd | length_ks (identifying kinds) | word_tvd (free text) | null_share (FKs)
    score: float
    null_real: float
    null_synthetic: float
    histogram: Histogram | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "basis": self.basis, "score": _r(self.score),
                "null_real": _r(self.null_real), "null_synthetic": _r(self.null_synthetic)}


@dataclass(frozen=True)
class PairScore:
    columns: tuple[str, str]
    score: float
    corr_real: float | None          # Spearman, numeric pairs only
    corr_synthetic: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"columns": list(self.columns), "score": _r(self.score), "corr_real": _r(self.corr_real),
                "corr_synthetic": _r(self.corr_synthetic)}


@dataclass(frozen=True)
class LinkScore:
    """A child column against a parent's (one hop) or grandparent's (two hops) column."""
    column: str
    ancestor: str                    # "table.column"
    via: tuple[str, ...]             # the foreign keys followed
    score: float
    corr_real: float | None
    corr_synthetic: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "ancestor": self.ancestor, "via": list(self.via), "hops": len(self.via),
                "score": _r(self.score), "corr_real": _r(self.corr_real), "corr_synthetic": _r(self.corr_synthetic)}


@dataclass(frozen=True)
class CardinalityScore:
    foreign_key: str                 # child(cols) -> parent(cols)
    parent: str
    columns: tuple[str, ...]
    score: float                     # 1 - KS of children per parent, zeros included
    mean_real: float
    mean_synthetic: float
    max_real: int
    max_synthetic: int
    histogram: Histogram             # share of parents with 0, 1, ... children

    def to_dict(self) -> dict[str, Any]:
        return {"foreign_key": self.foreign_key, "columns": list(self.columns), "parent": self.parent,
                "score": _r(self.score), "mean_real": _r(self.mean_real), "mean_synthetic": _r(self.mean_synthetic),
                "max_real": self.max_real, "max_synthetic": self.max_synthetic}


@dataclass(frozen=True)
class Correlations:
    columns: tuple[str, ...]
    real: tuple[tuple[float, ...], ...]
    synthetic: tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class TableReport:
    name: str
    rows_real: int
    rows_synthetic: int
    columns: tuple[ColumnScore, ...]         # worst first
    pairs: tuple[PairScore, ...]             # worst first
    cardinality: tuple[CardinalityScore, ...]
    parent_child: tuple[LinkScore, ...]      # worst first
    correlations: Correlations | None
    detection: Detection | None
    privacy: Privacy

    @property
    def scores(self) -> dict[str, float | None]:
        return {"column_shapes": _mean(c.score for c in self.columns),
                "column_pairs": _mean(p.score for p in self.pairs),
                "cardinality": _mean(c.score for c in self.cardinality),
                "parent_child": _mean(link.score for link in self.parent_child),
                "detection_auc": self.detection.auc if self.detection else None,
                "exact_match_share": self.privacy.exact_match_share,
                "dcr_share": self.privacy.dcr_share}

    def to_dict(self) -> dict[str, Any]:
        return {"rows": {"real": self.rows_real, "synthetic": self.rows_synthetic},
                "scores": {k: _r(v) for k, v in self.scores.items()},
                "columns": [c.to_dict() for c in self.columns],
                "pairs": [p.to_dict() for p in self.pairs],
                "foreign_keys": [c.to_dict() for c in self.cardinality],
                "parent_child": [link.to_dict() for link in self.parent_child],
                "detection": self.detection.to_dict() if self.detection else None,
                "privacy": self.privacy.to_dict()}


@dataclass(frozen=True)
class Report:
    real: str                        # URLs, passwords hidden
    synthetic: str
    max_rows: int
    seed: int
    tables: tuple[TableReport, ...]  # in the real schema's order
    problems: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def overall(self) -> dict[str, float | None]:
        """Each metric family's mean over the tables that have it."""
        per_table = [t.scores for t in self.tables]
        return {family: _mean(s[family] for s in per_table) for family in FAMILIES}

    @property
    def pii_found(self) -> int | None:
        """Synthetic values equal to real ones (:mod:`relsynth.report.leaks`), over every table (must be 0)."""
        counts = [t.privacy.pii_found for t in self.tables if t.privacy.pii_found is not None]
        return sum(counts) if counts else None

    @property
    def real_values(self) -> list[tuple[str, RealValues]]:
        """(table, column's count) for every checked column where real values were found."""
        return [(t.name, c) for t in self.tables for c in t.privacy.real_values if c.found]

    def table(self, name: str) -> TableReport:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {"real": self.real, "synthetic": self.synthetic, "max_rows": self.max_rows, "seed": self.seed,
                "seconds": round(self.seconds, 2),
                "overall": {k: _r(v) for k, v in self.overall.items()}, "ideal": dict(IDEAL),
                "pii_found": self.pii_found,
                "real_values_found": [{"table": table, **c.to_dict()} for table, c in self.real_values],
                "tables": {t.name: t.to_dict() for t in self.tables}, "problems": list(self.problems)}

    def summary_rows(self) -> list[tuple[str, str, float]]:
        """(table, metric, score): the overall means first (table ``(overall)``), then each table's."""
        rows = [(OVERALL, family, value) for family, value in self.overall.items() if value is not None]
        for t in self.tables:
            rows += [(t.name, family, value) for family, value in t.scores.items() if value is not None]
        return [(table, family, round(float(value), 4)) for table, family, value in rows]

    def write_html(self, path: str | Path) -> Path:
        from relsynth.report.html import render

        path = Path(path)
        path.write_text(render(self), encoding="utf-8")
        return path
