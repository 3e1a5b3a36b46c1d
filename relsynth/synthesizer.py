"""The synthesizer: walks the plan to fit one model per table, then samples parents before children.

A fitted synthesizer is an artifact on disk (JSON + numpy arrays, never a pickle): `relsynth
train` writes it, `relsynth generate` reads it back without the source database.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd
import sqlalchemy as sa

from relsynth import __version__, workspace
from relsynth.conditions import ConditionError, Conditions
from relsynth.config import Config, check_strict
from relsynth.copied import check_rows, copied_tables
from relsynth.errors import ArtifactError, ConfigError, RelsynthError
from relsynth.extract import read_table
from relsynth.graph import Plan, plan as make_plan
from relsynth.models import DEFAULT_FAMILY, get_family
from relsynth.privacy import protect
from relsynth.privacy.locales import Detection, source_locale
from relsynth.privacy.masking import mask_frame
from relsynth.privacy.digests import fingerprint, run_key
from relsynth.privacy.pseudonyms import Pseudonyms, random_salt, salt_from_env
from relsynth.privacy.scrub import Names, scrub
from relsynth.progress import Reporter
from relsynth.relational import conditioned, keys, latents, references
from relsynth.relational.rows import RowCounts, RowLedger
from relsynth.relational.table import Ancestor, TableSynth, ancestry
from relsynth.schema.kinds import Kind
from relsynth.schema.integrity import check_structure
from relsynth.schema.model import Schema
from relsynth.schema.reflect import reflect, reflect_metadata
from relsynth.urls import resolve_url, source_engine

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
    locale: Detection | None = None   # of generated names and places (also kept in each column's format)
    salted: bool = False   # the digest key comes from the user's salt (and can be derived again)
    copied: dict[str, pd.DataFrame] = field(default_factory=dict)   # real rows written as they are (copied.py)
    retain: dict[str, tuple[str, ...]] = field(default_factory=dict)  # columns kept real at training (--retain)

    # ------------------------------------------------------------------ fit

    def fit(self, source: str | sa.URL | sa.Engine, *, seed: int | None = 0,
            reporter: Reporter | None = None, conditions: Conditions | None = None) -> "Synthesizer":
        """Learn ``source``. ``conditions``: the columns they name are learned first in their tables
        (so everything else can follow them) and retained columns are kept."""
        if isinstance(source, sa.Engine):
            return self._fit(source, seed=seed, reporter=reporter or Reporter(), conditions=conditions)
        engine = source_engine(resolve_url(source) if isinstance(source, str) else source)
        try:
            return self._fit(engine, seed=seed, reporter=reporter or Reporter(), conditions=conditions)
        finally:
            engine.dispose()

    def _fit(self, engine: sa.Engine, *, seed: int | None, reporter: Reporter,
             conditions: Conditions | None) -> "Synthesizer":
        with reporter.task("reflecting the schema") as advance:
            self.schema = reflect(engine, config=self.config, progress=lambda _t: advance(1))
        if conditions:
            conditions.validate(self.schema)
        check_strict(self.config, self.schema)
        copied = copied_tables(self.config, self.schema)
        if conditions:
            _no_conditions_on(copied, conditions)
        self.plan = make_plan(self.schema, contexts=self.config.contexts(), copied=copied)
        families = {name: t.model for name, t in self.config.tables.items() if t.model}
        default_family = self.config.model or DEFAULT_FAMILY
        for family in set(families.values()) | {default_family}:
            get_family(family)  # an unknown family fails before any training
        metadata = reflect_metadata(engine, schema_name=self.schema.name, only=list(self.plan.order))
        with reporter.task("choosing the locale of generated names"):
            self.locale = source_locale(engine, self.schema, metadata, self.config)
        rng = np.random.default_rng(seed)
        # retained identifiers and personal data inside text become keyed pseudonyms
        salt = salt_from_env(self.config.privacy.salt_env)
        pseudonyms = Pseudonyms(salt or random_salt(), locale=self.locale.locale)
        key = run_key(salt)   # of the digests of real values; never stored (privacy/digests.py)
        self.salted = salt is not None
        identities: dict = {}
        names = Names()                 # real names read so far, to find them inside text
        real: dict[str, pd.DataFrame] = {}        # parents: keys and modeled columns (rules are learned on them)
        protected: dict[str, pd.DataFrame] = {}   # the same after protect(): what children's models see
        summaries: dict[str, list[latents.Summary]] = {}  # parent -> its children summaries
        summarized_as: dict[str, list[latents.Summary]] = {}  # child -> those of them that summarize it
        cycle_keys: dict[str, pd.DataFrame] = {}
        # A table's model waits until every child of it and of its context parent has been read:
        # it learns its own children summaries and is conditioned on its parent's. Each table is
        # read once; a waiting table keeps only its modeled columns and parent positions.
        parent_of = {s.table: s.context.parent if s.context is not None else None for s in self.plan.steps}
        unread: dict[str, set[str]] = {name: set() for name in parent_of}   # children not read yet
        for name, parent in parent_of.items():
            if parent is not None:
                unread[parent].add(name)
        for step in self.plan.steps:  # a parent also learns how often other tables point at it
            for fk in step.others:
                unread[fk.parent].add(step.table)
        waiting: dict[str, tuple[pd.DataFrame, np.ndarray | None, dict[str, np.ndarray]]] = {}
        ancestors: dict[str, dict[str, Ancestor]] = {}  # parent tables: their ancestors' columns per row

        def ready(name: str) -> bool:
            return not unread[name] and (parent_of[name] is None or not unread[parent_of[name]])

        with reporter.task("learning tables", total=len(self.plan.steps)) as advance:
            for step in self.plan.steps:
                table = self.schema[step.table]
                sa_table = metadata.tables[f"{self.schema.name}.{table.name}" if self.schema.name else table.name]
                frame = read_table(engine, sa_table)
                if table.name in copied:
                    self.copied[table.name] = frame[list(table.column_names)].copy()
                for col in table.columns:
                    names.add(col.kind, frame[col.name])
                synth = TableSynth.fit(table, step, frame, family=families.get(table.name, default_family),
                                       parents=real, rng=rng,
                                       parent_kinds={p: self.tables[p].learned for p in real}, conditions=conditions,
                                       protect_k=self.config.privacy.k, qi_days=self.config.privacy.qi_days,
                                       qi_share=self.config.privacy.qi_share, locale=self.locale.locale,
                                       column_locales=self.config.column_locales(table.name), digest_key=key,
                                       dialect=self.schema.dialect)
                self.tables[table.name] = synth
                if synth.retained is not None:  # a retained e-mail is kept as an identity, not a value
                    self.retain[table.name] = tuple(conditions.retain[table.name])
                    synth.retained = mask_frame(table, synth.retained, pseudonyms, identities, names)
                if conditions:  # a value the table never holds fails now, not after all the training
                    conditioned.request(table, conditions, modeled=synth.modeled, metas=synth.column_metas,
                                        retained=synth.retained, rng=np.random.default_rng(0),
                                        count=conditioned.forced_rows(table.name, conditions, synth.retained) or 1)
                if self._is_parent(table.name):  # children need its keys and context columns
                    keep = sorted(set(synth.modeled) | set(table.primary_key) | _referenced(self.schema, table.name))
                    real[table.name] = frame[[c for c in table.column_names if c in keep]]
                if step.deferred:
                    cycle_keys[table.name] = frame[sorted({c for fk in step.deferred for c in fk.columns})]
                positions = None
                if step.context is not None:
                    fk = step.context
                    parent_rows = real[fk.parent]
                    positions = keys.locate_parents(frame[list(fk.columns)], parent_rows[list(fk.parent_columns)])
                    found = latents.summarize(table.name, frame, synth.modeled, positions, len(parent_rows),
                                              taken=set(self.schema[fk.parent].column_names)
                                              | {s.name for s in summaries.get(fk.parent, [])})
                    summaries.setdefault(fk.parent, []).extend(found)
                    summarized_as[table.name] = found
                    unread[fk.parent].discard(table.name)
                    if self._is_parent(table.name):
                        ancestors[table.name] = ancestry(fk.parent, protected[fk.parent], self.tables[fk.parent].learned,
                                                         ancestors.get(fk.parent, {}), positions)
                for fk in step.others:  # the parent's room: how many rows point at each of its rows
                    parent_rows = real[fk.parent]
                    at = keys.locate_parents(frame[list(fk.columns)], parent_rows[list(fk.parent_columns)])
                    taken = set(self.schema[fk.parent].column_names) | {s.name for s in summaries.get(fk.parent, [])}
                    room = latents.Summary(latents.free_name(references.room_name(table.name, fk.label), taken),
                                           Kind.INTEGER, None, keys.children_counts(at, len(parent_rows))
                                           .astype(np.float64))
                    summaries.setdefault(fk.parent, []).append(room)
                    if fk.label in synth.references:
                        synth.references[fk.label]["room"] = room.name
                    unread[fk.parent].discard(table.name)
                for column in [c for c, k in synth.modeled.items() if k == Kind.TEXT]:  # text a family writes
                    frame[column], _found = scrub(frame[column], pseudonyms, names)
                own = protect.protect(frame[list(synth.modeled)].reset_index(drop=True), synth.modeled,
                                      k=self.config.privacy.k, rng=rng,
                                      personal=protect.is_personal({c.name: c.kind for c in table.columns}),
                                      keep=set(synth.leading) | set(synth.retained.columns if synth.retained is not None
                                                                    else ()))
                if table.name in real:  # children's models learn from the protected values too
                    joins = set(table.primary_key) | _referenced(self.schema, table.name)  # found by value
                    shared = [c for c in own.columns if c in real[table.name].columns and c not in joins]
                    protected[table.name] = real[table.name].assign(**{c: own[c].to_numpy() for c in shared})
                wanted, groups = synth.wanted_data(frame, protected)
                waiting[table.name] = (pd.concat([wanted, own], axis=1), positions, groups)
                del frame
                for name in [n for n in waiting if ready(n)]:
                    data, positions, groups = waiting.pop(name)
                    parent = parent_of[name]
                    if name in self.copied:  # never sampled: no model to learn
                        advance(1)
                        continue
                    self.tables[name].fit_model(
                        data, rng=rng, summaries=summaries.get(name), positions=positions, groups=groups,
                        parent=protected.get(parent), parent_modeled=self.tables[parent].learned if parent else None,
                        parent_summaries=summaries.get(parent), summarized_as=summarized_as.get(name),
                        parent_ancestry=ancestors.get(parent) if parent else None)
                    advance(1)
        for name, frame in cycle_keys.items():
            self.tables[name].learn_deferred(frame, real)
        return self

    def _is_parent(self, name: str) -> bool:
        return any(fk.parent == name for t in self.schema for fk in t.foreign_keys)

    # ------------------------------------------------------------------ sample

    def sample(self, *, scale: float = 1.0, seed: int | None = 0, reporter: Reporter | None = None,
               conditions: Conditions | None = None, rows: Mapping[str, int] | None = None,
               ledger: RowLedger | None = None) -> dict[str, pd.DataFrame]:
        """Synthetic tables, every key fresh and every foreign key pointing at a generated row;
        ``conditions`` say what the rows must meet (:mod:`relsynth.conditions`). ``scale`` and
        ``rows`` (per table) set the counts, lookup tables kept whole (:mod:`relsynth.relational.rows`).

        Rows dropped (near a rare real row, or breaking a constraint) are counted in ``ledger``;
        without one, each table's drops are a warning."""
        self._require_fitted()
        conditions = self._with_retained(conditions)
        check_rows(set(self.copied), rows)
        if conditions:
            _no_conditions_on(set(self.copied), conditions)
            conditions.validate(self.schema)
            unkept = [t for t in conditions.retain if self.tables[t].retained is None]
            if unkept:
                raise ConditionError(f"retain: {', '.join(unkept)} was not retained when the model was trained",
                                     hint="pass the same --retain to train (or clone)")
        counts = RowCounts.asked(self.schema, scale=scale, rows=rows)
        own_ledger = ledger is None
        ledger = RowLedger() if ledger is None else ledger
        reporter = reporter or Reporter()
        rng = np.random.default_rng(seed)
        frames: dict[str, pd.DataFrame] = {}
        summaries: dict[str, pd.DataFrame] = {}  # children summaries of generated rows: never written
        with reporter.task("generating tables", total=len(self.plan.steps)) as advance:
            for step in self.plan.steps:
                table = self.schema[step.table]
                if table.name in self.copied:   # the source's rows, whatever the scale
                    frames[table.name] = self.copied[table.name].copy()
                    ledger.expected[table.name] = len(frames[table.name])
                    ledger.exempt.add(table.name)
                    advance(1)
                    continue
                parent = self.schema[step.context.parent] if step.context is not None else None
                if parent is None:
                    want = ledger.expected[table.name] = counts.count(table)
                else:
                    ledger.expected[table.name] = counts.count(table, parent, ledger.expected[parent.name])
                    want = counts.count(table, parent, len(frames[parent.name]))
                if _forced(table.name, conditions) or (parent is not None and parent.name in ledger.exempt):
                    ledger.exempt.add(table.name)  # kept or seeded rows set the count, not the source
                frames[step.table], summary = self.tables[step.table].sample(rows=want, frames=frames,
                                                                             summaries=summaries, rng=rng,
                                                                             conditions=conditions, ledger=ledger)
                if summary.shape[1]:
                    summaries[step.table] = summary
                advance(1)
        for table in dict.fromkeys(table for table, _fk in self.plan.deferred if table not in self.copied):
            frames[table] = self.tables[table].fill_deferred(frames[table], frames, rng)
        if own_ledger:
            for table in ledger.dropped:
                warnings.warn(f"{table}: rows dropped: {ledger.causes(table)}", stacklevel=2)
        return frames

    # ------------------------------------------------------------------ persistence

    def save(self, directory: str | Path) -> Path:
        self._require_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        key = next((t.digest_key for t in self.tables.values() if t.digest_key), None)
        kept = self.salted and key is not None  # digests under a key nobody can derive again are useless
        tables = {name: self.tables[name].save(directory, i, digests=kept) for i, name in enumerate(self.plan.order)}
        for i, name in enumerate(self.plan.order):
            if name in self.copied:  # real rows, on purpose (docs/security.md)
                workspace.write_rows(self.copied[name], directory / workspace.file_name(i, "copied", "json"))
        manifest = {"relsynth": __version__, "format": workspace.FORMAT, "schema": self.schema.to_dict(),
                    "digests": fingerprint(key) if kept else None,
                    "plan": self.plan.to_dict(), "tables": tables,
                    "locale": {"locale": self.locale.locale, "evidence": self.locale.evidence} if self.locale else None,
                    "copied": sorted(self.copied), "retain": {t: list(c) for t, c in self.retain.items()}}
        (directory / workspace.MANIFEST).write_text(json.dumps(manifest, indent=1, default=str))
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> "Synthesizer":
        """A trained model read back. The directory is untrusted: its files are the ones the format
        names, each checked before use; anything else is one :class:`DamagedModel` error."""
        directory = Path(directory)
        if not (directory / workspace.MANIFEST).is_file():
            raise ArtifactError(f"{directory} holds no trained relsynth model ({workspace.MANIFEST} missing)")
        manifest = workspace.read_json(directory / workspace.MANIFEST)
        try:
            if not isinstance(manifest, dict):
                raise ValueError(f"{workspace.MANIFEST} is not a manifest")
            if manifest.get("format") != workspace.FORMAT:
                raise ValueError(f"it has model format {manifest.get('format')!r} (written by relsynth "
                                 f"{str(manifest.get('relsynth'))[:20]!r}); this relsynth {__version__} reads "
                                 f"format {workspace.FORMAT}: train it again")
            schema = Schema.from_dict(manifest["schema"])
            check_structure(schema)
            plan = Plan.from_dict(manifest["plan"])
            plan.check(schema)
            if sorted(manifest["tables"]) != sorted(plan.order):
                raise ValueError("its tables are not the plan's")
            tables = {step.table: TableSynth.load(manifest["tables"][step.table], schema[step.table], step,
                                                  directory, i)
                      for i, step in enumerate(plan.steps)}
            copied = {name: workspace.read_rows(directory / workspace.file_name(plan.order.index(name), "copied",
                                                                                "json"), name, schema[name].column_names)
                      for name in _names(manifest.get("copied", []), plan.order, "copied")}
            short = [name for name, rows in copied.items() if len(rows.columns) != len(schema[name].column_names)]
            if short:
                raise ValueError(f"the copied rows of {short[0]!r} lack some of its columns")
            retain = _retained_columns(manifest.get("retain", {}), tables)
            locale = manifest.get("locale")  # informational: each format holds its own locale
            detection = Detection(str(locale["locale"]), str(locale["evidence"]), {}) if locale else None
        except workspace.DamagedModel:
            raise
        except (RelsynthError, KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as exc:
            problem = exc.args[0] if isinstance(exc, (RelsynthError, ValueError)) and exc.args else repr(exc)
            raise workspace.DamagedModel(directory, str(problem)) from None
        synth = cls(schema=schema, plan=plan, tables=tables, locale=detection, copied=copied, retain=retain)
        synth._unlock(manifest.get("digests"))
        return synth

    def _with_retained(self, conditions: Conditions | None) -> Conditions | None:
        """``conditions`` with the columns retained at training: a loaded model keeps writing them
        (its retained rows are what it was trained to keep; generate has no --retain of its own)."""
        if not self.retain:
            return conditions
        conditions = conditions or Conditions()
        return dataclasses.replace(conditions, retain={**self.retain, **conditions.retain})

    def _unlock(self, expected: object) -> None:
        """Derive the digest key from the salt in the environment when it is the training run's."""
        if not expected:
            return
        salt = salt_from_env(self.config.privacy.salt_env)
        key = run_key(salt) if salt else None
        if key is None or fingerprint(key) != expected:
            warnings.warn(f"{self.config.privacy.salt_env} is {'not set' if salt is None else 'not the one used'} "
                          "in training: generated values are not checked against the real ones (set it as in "
                          "training to check them)", stacklevel=3)
            return
        self.salted = True
        for synth in self.tables.values():
            synth.digest_key = key

    def _require_fitted(self) -> None:
        if self.schema is None or self.plan is None:
            raise ArtifactError("this synthesizer has not been fitted", hint="call fit(SOURCE_URL) first")


def _names(value: object, order: tuple[str, ...], what: str) -> list[str]:
    """A manifest's list of table names, each a table of the plan."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v in order for v in value):
        raise ValueError(f"its {what} tables are not tables of the plan")
    return list(value)


def _retained_columns(value: object, tables: Mapping[str, TableSynth]) -> dict[str, tuple[str, ...]]:
    """The manifest's retained columns: each one of the table's stored retained rows."""
    if not isinstance(value, dict):
        raise ValueError("its retained columns are not a mapping")
    out = {}
    for name, columns in value.items():
        held = tables[name].retained if name in tables else None
        if held is None or not isinstance(columns, list) or not set(columns) <= set(held.columns):
            raise ValueError(f"retained columns of {name!r} are not among its stored rows")
        out[name] = tuple(columns)
    return out


def _no_conditions_on(copied: set[str] | frozenset[str], conditions: Conditions) -> None:
    """A copied table is written as the source holds it: nothing can be asked of its rows."""
    named = sorted(set(copied) & {*conditions.retain, *conditions.seeds,
                                  *(c.table for c in (*conditions.where, *conditions.rebalance))})
    if named:
        raise ConditionError(f"conditions name {', '.join(named)}, which is copied row for row from the source",
                             hint="drop those conditions, or set copy: false for the table in the config")


def _referenced(schema: Schema, name: str) -> set[str]:
    return {c for t in schema for fk in t.foreign_keys if fk.parent == name for c in fk.parent_columns}


def _forced(table: str, conditions: Conditions | None) -> bool:
    """Whether kept or seeded rows set ``table``'s count."""
    return bool(conditions) and (table in conditions.retain or table in conditions.seeds)
