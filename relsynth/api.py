"""The public functions behind the CLI: clone, train, generate, mask, rehearse."""

from __future__ import annotations

from dataclasses import dataclass, field, replace as with_fields
from pathlib import Path
from typing import Mapping

import pandas as pd
import sqlalchemy as sa

from relsynth.conditions import Conditions
from relsynth.config import Config, check_strict, load_config
from relsynth.extract import read_table
from relsynth.graph import Plan, plan as make_plan
from relsynth.privacy.locales import source_locale
from relsynth.privacy.masking import mask_frame
from relsynth.privacy.pseudonyms import Pseudonyms, run_salt
from relsynth.privacy.scrub import Names
from relsynth.progress import Reporter
from relsynth.relational.rows import RowLedger
from relsynth.schema.model import Schema
from relsynth.schema.reflect import reflect, reflect_metadata
from relsynth.synthesizer import Synthesizer
from relsynth.urls import resolve_url, shown, source_engine, target_url
from relsynth.write import verify_database, write_database
from relsynth.write.target import in_schema
from relsynth.write.verify import Check


@dataclass(frozen=True)
class CloneResult:
    target: str                 # the target URL, password hidden
    rows: dict[str, int]        # rows written per table
    source_rows: dict[str, int]  # rows per table in the source
    checks: tuple[Check, ...]   # constraint checks run in the target
    expected: dict[str, int] = field(default_factory=dict)   # rows asked of each table (scale, --rows)
    dropped: dict[str, str] = field(default_factory=dict)    # per table, the rows dropped and why

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)


def _config(config: Config | str | Path | None, schema: str | None = None) -> Config:
    config = config if isinstance(config, Config) else load_config(config)
    return config.model_copy(update={"schema_name": schema}) if schema else config


def conditions_of(config: Config, extra: Conditions | None = None) -> Conditions:
    """The config file's conditions, with ``extra`` (the command line's or the caller's) added."""
    c = config.conditions
    own = Conditions.parse(retain=c.retain, where=c.where, rebalance=c.rebalance,
                           seed_files=[f"{t}={p}" for t, p in c.seed_rows.items()])
    if not extra:
        return own
    return Conditions(retain={**own.retain, **extra.retain}, where=own.where + extra.where,
                      rebalance=own.rebalance + extra.rebalance, seeds={**own.seeds, **extra.seeds})


def train(source: str | sa.URL, *, config: Config | str | Path | None = None, schema: str | None = None,
          seed: int | None = 0, reporter: Reporter | None = None, conditions: Conditions | None = None) -> Synthesizer:
    """Learn ``source`` (one database schema: ``schema``, else the config's, else the default).
    ``conditions`` (and the config's): the columns they name are learned first, retained ones kept."""
    config = _config(config, schema)
    return Synthesizer(config=config).fit(_url(source), seed=seed, reporter=reporter,
                                          conditions=conditions_of(config, conditions))


def generate(synth: Synthesizer, target: str | sa.URL, *, scale: float = 1.0, seed: int | None = 0,
             replace: bool = False, source: str | sa.URL | None = None,
             reporter: Reporter | None = None, conditions: Conditions | None = None,
             rows: Mapping[str, int] | None = None, allow_shrink: bool = False,
             trust_ddl: bool = False, schema: str | None = None) -> CloneResult:
    """Sample from a fitted synthesizer and write the result into ``target`` (all or nothing);
    every row meets ``conditions`` (and those of the synthesizer's config). ``rows`` sets the
    count of some tables. A table that comes out empty or more than 2% short of its count is a
    :class:`~relsynth.relational.rows.ShrinkError` before anything is written, unless ``allow_shrink``.
    ``schema``: write into that schema of the target (a PostgreSQL schema, a MariaDB/MySQL
    database), created when missing.

    A synthesizer loaded from a model directory holds the source's SQL for its views,
    functions, triggers and indexes; ``trust_ddl=True`` runs it on the target (only for a
    directory you made: that SQL runs as written)."""
    reporter = reporter or Reporter()
    url = target_url(_url(target), source=_url(source) if source is not None else None)
    if schema:
        url = in_schema(url, schema)       # before sampling: a bad name fails fast
    ledger = RowLedger()
    frames = synth.sample(scale=scale, seed=seed, reporter=reporter, rows=rows, ledger=ledger,
                          conditions=conditions_of(synth.config, conditions))
    ledger.check({t: len(f) for t, f in frames.items()}, allow_shrink=allow_shrink)
    written = synth.schema
    if trust_ddl and written.native is not None:
        written = with_fields(written, native=written.native.trust())
    result = _write(written, synth.plan, frames, url, replace=replace, reporter=reporter)
    return with_fields(result, target=shown_in(url, schema, result.target), expected=dict(ledger.expected),
                       dropped={t: ledger.causes(t) for t in ledger.dropped})


def shown_in(url: sa.URL, schema: str | None, written: str) -> str:
    """How a result names its target: a PostgreSQL schema after the URL (whose options, which
    set the search_path, are left out); elsewhere the URL names the database already."""
    if schema and url.get_backend_name() == "postgresql":
        return f"{shown(url.difference_update_query(['options']))} schema {schema}"
    return written


def _write(schema: Schema, plan: Plan, frames: dict[str, pd.DataFrame], url: sa.URL, *, replace: bool,
           reporter: Reporter) -> CloneResult:
    """Write ``frames`` into ``url`` (all or nothing) and check every constraint there."""
    total = sum(len(f) for f in frames.values())
    written: dict[str, int] = {}
    with reporter.task("writing the target", total=total) as advance:
        def on_progress(table: str, rows_so_far: int) -> None:  # the writer reports running totals
            advance(rows_so_far - written.get(table, 0))
            written[table] = rows_so_far

        rows = write_database(schema, frames, url, order=plan.order, deferred=plan.deferred,
                              replace=replace, progress=on_progress)
    with reporter.task("checking constraints in the target"):
        checks = verify_database(schema, url)
    return CloneResult(target=shown(url), rows=dict(rows), checks=tuple(checks),
                       source_rows={t.name: t.row_count for t in schema})


def clone(source: str | sa.URL, target: str | sa.URL, *, scale: float = 1.0, seed: int | None = 0,
          config: Config | str | Path | None = None, schema: str | None = None, replace: bool = False,
          reporter: Reporter | None = None, conditions: Conditions | None = None,
          rows: Mapping[str, int] | None = None, allow_shrink: bool = False) -> CloneResult:
    """A synthetic copy of ``source`` written into ``target``: same schema, fresh rows, every row
    meeting ``conditions`` (keep, seed, rebalance; see :mod:`relsynth.conditions`).

    The tables land in the target's default schema (on PostgreSQL, the first of its search_path).
    """
    source_url, config = _url(source), _config(config, schema)
    # refuse before the (long) training, not after: the same database, or a target that cannot be written
    target_url(_url(target), source=source_url, source_schema=config.schema_name)
    synth = train(source_url, config=config, seed=seed, reporter=reporter, conditions=conditions)
    return generate(synth, target, scale=scale, seed=seed, replace=replace, reporter=reporter,
                    conditions=conditions, rows=rows, allow_shrink=allow_shrink)


def mask(source: str | sa.URL, target: str | sa.URL, *, config: Config | str | Path | None = None,
         schema: str | None = None, replace: bool = False, reporter: Reporter | None = None) -> CloneResult:
    """The real rows of ``source`` written into ``target`` with every identifying column replaced by
    its keyed pseudonym (:mod:`relsynth.privacy.pseudonyms`): joins on natural keys keep working,
    and the same salt gives the same fakes in every run. Every other value stays real: when no
    real record may appear, use :func:`clone`."""
    reporter = reporter or Reporter()
    config = _config(config, schema)
    source_url = _url(source)
    url = target_url(_url(target), source=source_url, source_schema=config.schema_name)
    salt = run_salt(config.privacy.salt_env)
    engine = source_engine(source_url)
    try:
        with reporter.task("reflecting the schema") as advance:
            reflected = reflect(engine, config=config, progress=lambda _t: advance(1))
        check_strict(config, reflected)
        the_plan = make_plan(reflected, contexts=config.contexts())
        metadata = reflect_metadata(engine, schema_name=reflected.name, only=list(the_plan.order))
        with reporter.task("choosing the locale of fake names"):
            locale = source_locale(engine, reflected, metadata, config).locale
        pseudonyms, identities, names = Pseudonyms(salt, locale=locale), {}, Names()
        frames = {}
        with reporter.task("masking tables", total=len(the_plan.order)) as advance:
            for name in the_plan.order:     # parents first: a foreign key takes its parent's mapping
                sa_table = metadata.tables[f"{reflected.name}.{name}" if reflected.name else name]
                frames[name] = mask_frame(reflected[name], read_table(engine, sa_table), pseudonyms, identities,
                                          names)
                advance(1)
    finally:
        engine.dispose()
    return _write(reflected, the_plan, frames, url, replace=replace, reporter=reporter)


def _url(value: str | sa.URL) -> sa.URL:
    return value if isinstance(value, sa.URL) else resolve_url(value)


def rehearse(source: str | sa.URL, **options):
    """Clone ``source`` into a scratch database and run the project's Alembic migrations on it
    revision by revision, measuring each one: see :func:`relsynth.rehearse.rehearse` for the options."""
    from relsynth.rehearse import rehearse as run

    return run(source, **options)
