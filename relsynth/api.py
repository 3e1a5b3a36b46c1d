"""The public functions behind the CLI: clone, train, generate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from relsynth.conditions import Conditions
from relsynth.config import Config, load_config
from relsynth.progress import Reporter
from relsynth.synthesizer import Synthesizer
from relsynth.urls import resolve_url, shown, target_url
from relsynth.write import verify_database, write_database
from relsynth.write.verify import Check


@dataclass(frozen=True)
class CloneResult:
    target: str                 # the target URL, password hidden
    rows: dict[str, int]        # rows written per table
    source_rows: dict[str, int]  # rows per table in the source
    checks: tuple[Check, ...]   # constraint checks run in the target

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
             reporter: Reporter | None = None, conditions: Conditions | None = None) -> CloneResult:
    """Sample from a fitted synthesizer and write the result into ``target`` (all or nothing);
    every row meets ``conditions`` (and those of the synthesizer's config)."""
    reporter = reporter or Reporter()
    url = target_url(_url(target), source=_url(source) if source is not None else None)
    frames = synth.sample(scale=scale, seed=seed, reporter=reporter, conditions=conditions_of(synth.config, conditions))
    total = sum(len(f) for f in frames.values())
    written: dict[str, int] = {}
    with reporter.task("writing the target", total=total) as advance:
        def on_progress(table: str, rows_so_far: int) -> None:  # the writer reports running totals
            advance(rows_so_far - written.get(table, 0))
            written[table] = rows_so_far

        rows = write_database(synth.schema, frames, url, order=synth.plan.order, deferred=synth.plan.deferred,
                              replace=replace, progress=on_progress)
    with reporter.task("checking constraints in the target"):
        checks = verify_database(synth.schema, url)
    return CloneResult(target=shown(url), rows=dict(rows), checks=tuple(checks),
                       source_rows={t.name: t.row_count for t in synth.schema})


def clone(source: str | sa.URL, target: str | sa.URL, *, scale: float = 1.0, seed: int | None = 0,
          config: Config | str | Path | None = None, schema: str | None = None, replace: bool = False,
          reporter: Reporter | None = None, conditions: Conditions | None = None) -> CloneResult:
    """A synthetic copy of ``source`` written into ``target``: same schema, fresh rows, every row
    meeting ``conditions`` (keep, seed, rebalance; see :mod:`relsynth.conditions`).

    The tables land in the target's default schema (on PostgreSQL, the first of its search_path).
    """
    source_url = _url(source)
    target_url(_url(target), source=source_url)  # refuse before the (long) training, not after
    synth = train(source_url, config=config, schema=schema, seed=seed, reporter=reporter, conditions=conditions)
    return generate(synth, target, scale=scale, seed=seed, replace=replace, source=source_url, reporter=reporter,
                    conditions=conditions)


def _url(value: str | sa.URL) -> sa.URL:
    return value if isinstance(value, sa.URL) else resolve_url(value)
