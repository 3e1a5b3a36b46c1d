"""Compare a synthetic database with the real one, table by table: ``build_report``.

Column shapes and cardinality use every row (cheap: sorted arrays and group counts); pair trends,
parent-child trends, detection and distances use a seeded sample of at most ``max_rows`` rows per
table and side. Parents and children are always joined from the whole tables.
"""

from __future__ import annotations

import dataclasses

import time
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from relsynth.config import Config, PrivacyConfig, load_config
from relsynth.errors import RelsynthError
from relsynth.report import charts, leaks
from relsynth.report.detection import detection_auc
from relsynth.report.load import load
from relsynth.report.metrics import column_shape, ks_statistic, pair_scores, rank_correlations
from relsynth.report.privacy import privacy, quasi_near
from relsynth.report.relational import (Link, ancestor_columns, children_per_parent, detection_features,
                                        modeled_columns, parent_paths)
from relsynth.report.result import (CardinalityScore, ColumnScore, Correlations, LinkScore, PairScore, Report,
                                    TableReport)
from relsynth.report.values import comparable, family, text_length
from relsynth.report.words import word_score
from relsynth.schema.detect import is_free_text
from relsynth.schema.kinds import Kind
from relsynth.schema.model import Schema, Table

HEATMAP_COLUMNS = 30      # numeric columns drawn in a table's correlation heatmaps


def build_report(real: str | sa.URL, synthetic: str | sa.URL, *, max_rows: int = 50_000, seed: int = 0,
                 config: Config | str | Path | None = None) -> Report:
    """How close ``synthetic`` is to ``real``; both are opened read-only, the real schema drives
    (reflected with ``config`` when given: the one the synthetic copy was made with)."""
    if max_rows < 1:
        raise RelsynthError(f"max_rows must be at least 1, not {max_rows}")
    start = time.perf_counter()
    config = config if isinstance(config, Config) else load_config(config)
    loaded = load(real, synthetic, config=config)
    schema = loaded.schema
    full = {"real": {t.name: _prepare(loaded.real[t.name], t) for t in schema},
            "synthetic": {t.name: _prepare(loaded.synthetic[t.name], t) for t in schema}}
    samples = {side: {t.name: _sample(frames[t.name], max_rows, np.random.default_rng([seed, i, s]))
                      for i, t in enumerate(schema)}
               for s, (side, frames) in enumerate(full.items())}
    real_pii = leaks.reference(schema, full["real"])
    tables = tuple(_with_quasi_near(_with_pii(_table_report(schema, t, full, samples, seed=seed, max_rows=max_rows,
                                                            rng=np.random.default_rng([seed, i, 2])),
                                              t, full["real"][t.name], full["synthetic"][t.name], real_pii,
                                              config.privacy.k),
                                    t, loaded.real[t.name], loaded.synthetic[t.name], config.privacy)
                   for i, t in enumerate(schema))
    return Report(real=loaded.real_url, synthetic=loaded.synthetic_url, max_rows=max_rows, seed=seed, tables=tables,
                  problems=tuple(loaded.problems), seconds=time.perf_counter() - start)


def _prepare(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Modeled columns in comparable form; key and identifying columns as read."""
    return pd.DataFrame({c.name: comparable(frame[c.name], c.kind) for c in table.columns}, index=frame.index)


def _sample(frame: pd.DataFrame, max_rows: int, rng: np.random.Generator) -> pd.DataFrame:
    if len(frame) <= max_rows:
        return frame
    return frame.iloc[np.sort(rng.choice(len(frame), size=max_rows, replace=False))]


def _table_report(schema: Schema, table: Table, full: dict, samples: dict, *, seed: int, max_rows: int,
                  rng: np.random.Generator) -> TableReport:
    name = table.name
    real, synth = full["real"][name], full["synthetic"][name]
    real_rows, synth_rows = samples["real"][name], samples["synthetic"][name]
    families = modeled_columns(table)
    features = {side: detection_features(schema, name, full[side], samples[side][name]) for side in full}
    return TableReport(
        name=name, rows_real=len(real), rows_synthetic=len(synth),
        columns=tuple(sorted(_column_scores(table, real, synth) + _word_scores(table, real_rows, synth_rows),
                             key=lambda c: c.score)),
        pairs=tuple(sorted(_pairs(real_rows, synth_rows, families), key=lambda p: p.score)),
        cardinality=tuple(_cardinality(schema, table, full)),
        parent_child=tuple(sorted(_parent_child(schema, name, full, samples), key=lambda link: link.score)),
        correlations=_correlations(real_rows, synth_rows, families),
        detection=detection_auc(features["real"][0], features["synthetic"][0], features["real"][1], seed=seed,
                                families_of=_sibling_groups(schema, table, real_rows, synth_rows)),
        privacy=privacy(real[list(families)], synth[list(families)], families, rng=rng, max_rows=max_rows),
    )


def _sibling_groups(schema: Schema, table: Table, real: pd.DataFrame, synth: pd.DataFrame) -> np.ndarray | None:
    """Per row (real rows first), the parent whose children it is among, through the foreign key
    with the most children per parent among those whose parent brings columns to the features;
    None when no foreign key does.

    Siblings share their parent's columns among the detection features: dealt to different folds,
    they let the classifier learn each parent by heart, and a fresh draw from the very process
    behind the source is "detected" (AUC near 1 on the children of a 40-row table).
    """
    telling = [fk for fk in table.foreign_keys if modeled_columns(schema[fk.parent])]
    if not telling or real.empty or synth.empty:
        return None

    def parent_keys(frame: pd.DataFrame, fk) -> pd.Series:
        return frame[list(fk.columns)].astype(str).agg("\x1f".join, axis=1) if len(fk.columns) > 1 \
            else frame[fk.columns[0]].astype(str)

    fk = max(telling, key=lambda f: len(real) / max(real[list(f.columns)].drop_duplicates().shape[0], 1))
    keys = np.concatenate([("r" + parent_keys(real, fk)).to_numpy(), ("s" + parent_keys(synth, fk)).to_numpy()])
    orphan = np.concatenate([real[list(fk.columns)].isna().any(axis=1).to_numpy(),
                             synth[list(fk.columns)].isna().any(axis=1).to_numpy()])
    keys[orphan] = [f"row{i}" for i in np.flatnonzero(orphan)]  # rows without a parent stand alone
    return np.unique(keys, return_inverse=True)[1]


def _with_pii(report: TableReport, table: Table, real: pd.DataFrame, synth: pd.DataFrame,
              ref: leaks.Reference, k: int) -> TableReport:
    """The table's report with its exact real values per column (:mod:`relsynth.report.leaks`)
    and their count, ``pii_found`` (None when no column can point at a person)."""
    found = leaks.real_values(table, real, synth, ref, k=k)
    if not found:
        return report
    return dataclasses.replace(report, privacy=dataclasses.replace(
        report.privacy, pii_found=sum(c.counted for c in found), real_values=found))


def _with_quasi_near(report: TableReport, table: Table, real: pd.DataFrame, synth: pd.DataFrame,
                     settings: PrivacyConfig) -> TableReport:
    """The table's report with its synthetic rows near a real row few real rows are near."""
    found = quasi_near(real, synth, {c.name: c.kind for c in table.columns}, settings)
    return dataclasses.replace(report, privacy=dataclasses.replace(report.privacy, quasi_near=found))


def _null_share(series: pd.Series) -> float:
    return float(series.isna().mean()) if len(series) else 0.0


def _column_scores(table: Table, real: pd.DataFrame, synth: pd.DataFrame) -> list[ColumnScore]:
    out = []
    for col in table.columns:
        r, s = real[col.name], synth[col.name]
        nulls = dict(null_real=_null_share(r), null_synthetic=_null_share(s))
        fam = family(col.kind)
        if fam == "numeric":
            a, b = r.to_numpy(dtype=float), s.to_numpy(dtype=float)
            out.append(ColumnScore(col.name, col.kind.value, "ks", column_shape(a, b, fam), **nulls,
                                   histogram=charts.numeric_histogram(a, b, col.kind)))
        elif fam == "category":
            out.append(ColumnScore(col.name, col.kind.value, "tvd", column_shape(r, s, fam), **nulls,
                                   histogram=charts.category_histogram(r, s)))
        elif col.kind.identifying:  # generated: never compared value by value, only by length
            a, b = text_length(r), text_length(s)
            out.append(ColumnScore(col.name, col.kind.value, "length_ks", 1.0 - ks_statistic(a, b), **nulls,
                                   histogram=charts.numeric_histogram(a, b, None)))
        elif col.kind == Kind.KEY and col.nullable and col.name in table.fk_columns:
            one_side_empty = (len(r) == 0) != (len(s) == 0)
            score = 0.0 if one_side_empty else 1.0 - abs(nulls["null_real"] - nulls["null_synthetic"])
            out.append(ColumnScore(col.name, col.kind.value, "null_share", score, **nulls))
    return out


def _word_scores(table: Table, real: pd.DataFrame, synth: pd.DataFrame) -> list[ColumnScore]:
    """A second score for each free-text column, on its words (the sampled rows: every word of
    every row of a big table would not fit): beside the length, whether the words are the real ones."""
    out = []
    for col in table.columns:
        if col.kind != Kind.TEXT or not is_free_text(real[col.name]):
            continue
        score, real_words, synth_words = word_score(real[col.name], synth[col.name])
        out.append(ColumnScore(col.name, col.kind.value, "word_tvd", score, null_real=_null_share(real[col.name]),
                               null_synthetic=_null_share(synth[col.name]),
                               histogram=charts.category_histogram(real_words, synth_words)))
    return out


def _pairs(real: pd.DataFrame, synth: pd.DataFrame, families: dict[str, str]) -> list[PairScore]:
    pairs = list(combinations(families, 2))
    if not pairs:
        return []
    return [PairScore((a, b), score, cr, cs) for a, b, score, cr, cs in pair_scores(real, synth, families, pairs)]


def _correlations(real: pd.DataFrame, synth: pd.DataFrame, families: dict[str, str]) -> Correlations | None:
    numeric = [c for c, fam in families.items() if fam == "numeric"][:HEATMAP_COLUMNS]
    if len(numeric) < 2:
        return None
    matrices = []
    for frame in (real, synth):
        corr = rank_correlations(frame[numeric]) if len(frame) else pd.DataFrame(np.eye(len(numeric)))
        matrices.append(tuple(tuple(float(v) for v in row) for row in corr.to_numpy()))
    return Correlations(tuple(numeric), matrices[0], matrices[1])


def _cardinality(schema: Schema, table: Table, full: dict) -> list[CardinalityScore]:
    out = []
    for fk in table.foreign_keys:
        real, synth = (children_per_parent(full[side][table.name], fk, full[side][fk.parent])
                       for side in ("real", "synthetic"))
        out.append(CardinalityScore(
            foreign_key=Link(table.name, fk).label, parent=fk.parent, columns=fk.columns,
            score=1.0 - ks_statistic(real.astype(float), synth.astype(float)),
            mean_real=float(real.mean()) if len(real) else 0.0,
            mean_synthetic=float(synth.mean()) if len(synth) else 0.0,
            max_real=int(real.max(initial=0)), max_synthetic=int(synth.max(initial=0)),
            histogram=charts.count_histogram(real, synth)))
    return out


def _parent_child(schema: Schema, name: str, full: dict, samples: dict) -> list[LinkScore]:
    child_cols = modeled_columns(schema[name])
    if not child_cols:
        return []
    out = []
    for path in parent_paths(schema, name):
        ancestor = path[-1].fk.parent
        ancestor_cols = modeled_columns(schema[ancestor])
        if not ancestor_cols:
            continue
        # positional names: a child column may share its name with the ancestor's
        own = {f"c{i}": fam for i, fam in enumerate(child_cols.values())}
        up = {f"a{i}": fam for i, fam in enumerate(ancestor_cols.values())}
        frames = []
        for side in ("real", "synthetic"):
            rows = samples[side][name]
            joined = ancestor_columns(full[side], rows, path, list(ancestor_cols))
            frames.append(pd.concat([rows[list(child_cols)].set_axis(list(own), axis=1),
                                     joined.set_axis(list(up), axis=1)], axis=1))
        pairs = [(c, a) for c in own for a in up]
        child_names, ancestor_names = list(child_cols), list(ancestor_cols)
        via = tuple(link.label for link in path)
        for c, a, score, cr, cs in pair_scores(frames[0], frames[1], {**own, **up}, pairs):
            column, up_column = child_names[int(c[1:])], ancestor_names[int(a[1:])]
            out.append(LinkScore(column, f"{ancestor}.{up_column}", via, score, cr, cs))
    return out
