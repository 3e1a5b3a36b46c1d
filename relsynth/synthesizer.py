"""The synthesizer: walks the plan to fit one model per table, then samples parents before children.

A fitted synthesizer is an artifact on disk (JSON + numpy arrays, never a pickle): `relsynth
train` writes it, `relsynth generate` reads it back without the source database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd
import sqlalchemy as sa

from relsynth import __version__
from relsynth.config import Config
from relsynth.errors import ArtifactError, RelsynthError
from relsynth.extract import read_table
from relsynth.graph import Plan, plan as make_plan
from relsynth.models import DEFAULT_FAMILY, get_family
from relsynth.progress import Reporter
from relsynth.relational.table import TableSynth
from relsynth.schema.kinds import Kind
from relsynth.schema.model import Schema
from relsynth.schema.reflect import reflect, reflect_metadata
from relsynth.urls import resolve_url, source_engine

ARTIFACT_FILE = "relsynth.json"


@dataclass
class Synthesizer:
    """Learns a database and generates synthetic copies of it.

    >>> synth = Synthesizer().fit("fixtures/shop.sqlite")
    >>> frames = synth.sample(scale=0.5, seed=7)
    """

    config: Config = field(default_factory=Config)
    schema: Schema | None = None
    plan: Plan | None = None
    tables: dict[str, TableSynth] = field(default_factory=dict)

    # ------------------------------------------------------------------ fit

    def fit(self, source: str | sa.URL | sa.Engine, *, seed: int | None = 0,
            reporter: Reporter | None = None) -> "Synthesizer":
        if isinstance(source, sa.Engine):
            return self._fit(source, seed=seed, reporter=reporter or Reporter())
        engine = source_engine(resolve_url(source) if isinstance(source, str) else source)
        try:
            return self._fit(engine, seed=seed, reporter=reporter or Reporter())
        finally:
            engine.dispose()

    def _fit(self, engine: sa.Engine, *, seed: int | None, reporter: Reporter) -> "Synthesizer":
        with reporter.task("reflecting the schema") as advance:
            self.schema = reflect(engine, config=self.config, progress=lambda _t: advance(1))
        self.plan = make_plan(self.schema, contexts=self.config.contexts())
        families = {name: t.model for name, t in self.config.tables.items() if t.model}
        for family in set(families.values()):
            get_family(family)  # an unknown family fails before any training
        metadata = reflect_metadata(engine, schema_name=self.schema.name, only=list(self.plan.order))
        rng = np.random.default_rng(seed)
        real: dict[str, pd.DataFrame] = {}
        cycle_keys: dict[str, pd.DataFrame] = {}
        modeled: dict[str, Mapping[str, Kind]] = {}
        with reporter.task("learning tables", total=len(self.plan.steps)) as advance:
            for step in self.plan.steps:
                table = self.schema[step.table]
                sa_table = metadata.tables[f"{self.schema.name}.{table.name}" if self.schema.name else table.name]
                frame = read_table(engine, sa_table)
                synth = TableSynth.fit(table, step, frame, family=families.get(table.name, DEFAULT_FAMILY),
                                       parents=real, parent_modeled=modeled, rng=rng)
                self.tables[table.name] = synth
                modeled[table.name] = synth.modeled
                if self._is_parent(table.name):  # children need its keys and context columns
                    keep = sorted(set(synth.modeled) | set(table.primary_key) | _referenced(self.schema, table.name))
                    real[table.name] = frame[[c for c in table.column_names if c in keep]]
                if step.deferred:
                    cycle_keys[table.name] = frame[sorted({c for fk in step.deferred for c in fk.columns})]
                advance(1)
        for name, frame in cycle_keys.items():
            self.tables[name].learn_deferred(frame, real)
        return self

    def _is_parent(self, name: str) -> bool:
        return any(fk.parent == name for t in self.schema for fk in t.foreign_keys)

    # ------------------------------------------------------------------ sample

    def sample(self, *, scale: float = 1.0, seed: int | None = 0,
               reporter: Reporter | None = None) -> dict[str, pd.DataFrame]:
        """Synthetic tables, every key fresh and every foreign key pointing at a generated row."""
        self._require_fitted()
        if not scale > 0:
            raise RelsynthError(f"scale must be positive, not {scale}", hint="e.g. --scale 0.1 or --scale 3")
        reporter = reporter or Reporter()
        rng = np.random.default_rng(seed)
        frames: dict[str, pd.DataFrame] = {}
        modeled = {name: synth.modeled for name, synth in self.tables.items()}
        with reporter.task("generating tables", total=len(self.plan.steps)) as advance:
            for step in self.plan.steps:
                frames[step.table] = self.tables[step.table].sample(scale=scale, frames=frames,
                                                                    parent_modeled=modeled, rng=rng)
                advance(1)
        for table in dict.fromkeys(table for table, _fk in self.plan.deferred):  # once per table
            frames[table] = self.tables[table].fill_deferred(frames[table], frames, rng)
        return frames

    # ------------------------------------------------------------------ persistence

    def save(self, directory: str | Path) -> Path:
        self._require_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        tables = {}
        for i, name in enumerate(self.plan.order):
            tables[name] = self.tables[name].save(directory, f"t{i:03d}")
        manifest = {"relsynth": __version__, "schema": self.schema.to_dict(), "plan": self.plan.to_dict(),
                    "tables": tables}
        (directory / ARTIFACT_FILE).write_text(json.dumps(manifest, indent=1, default=str))
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> "Synthesizer":
        directory = Path(directory)
        path = directory / ARTIFACT_FILE
        if not path.is_file():
            raise ArtifactError(f"{directory} holds no trained relsynth model ({ARTIFACT_FILE} missing)")
        try:
            manifest = json.loads(path.read_text())
            schema = Schema.from_dict(manifest["schema"])
            plan = Plan.from_dict(manifest["plan"])
            tables = {step.table: TableSynth.load(manifest["tables"][step.table], schema[step.table], step,
                                                  directory, f"t{i:03d}")
                      for i, step in enumerate(plan.steps)}
        except (KeyError, ValueError, OSError) as exc:
            raise ArtifactError(f"{directory} holds a damaged or incompatible model: {exc}") from None
        return cls(schema=schema, plan=plan, tables=tables)

    def _require_fitted(self) -> None:
        if self.schema is None or self.plan is None:
            raise ArtifactError("this synthesizer has not been fitted", hint="call fit(SOURCE_URL) first")


def _referenced(schema: Schema, name: str) -> set[str]:
    return {c for t in schema for fk in t.foreign_keys if fk.parent == name for c in fk.parent_columns}
