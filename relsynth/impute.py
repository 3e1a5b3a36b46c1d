"""Fill the NULLs of one table's existing rows with values drawn given the rest of each row.

Each column to fill is learned from the rows where it is present, *last* in the table's chain,
after every other modeled column and conditioned on the row's context parent: a missing value
is drawn given everything observed about its row. Observed cells are never touched. The result
(the whole table) goes to a target database (that one table, without its foreign keys, all or
nothing) or to a CSV or Parquet file. The source is only read. With ``mask``, the identifying
columns of the written table (e-mails, names, phones...) are replaced by their keyed pseudonyms,
the same ones ``relsynth mask`` gives under the same salt.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from relsynth.config import Config, load_config
from relsynth.errors import ConfigError, RelsynthError
from relsynth.extract import read_table
from relsynth.graph import plan as make_plan
from relsynth.models.trees import TreesModel
from relsynth.privacy.locales import source_locale
from relsynth.privacy.masking import mask_frame
from relsynth.privacy.pseudonyms import Pseudonyms, run_salt
from relsynth.progress import Reporter
from relsynth.relational import checks, keys
from relsynth.schema.model import Schema, Table
from relsynth.schema.reflect import reflect, reflect_metadata
from relsynth.urls import resolve_url, shown, source_engine, target_url
from relsynth.write import write_database

FILE_SUFFIXES = (".csv", ".parquet")
MIN_PRESENT = 20   # rows where a column is present, at least, to learn how to fill it
CHECK_ROUNDS = 10


@dataclass(frozen=True)
class ImputeResult:
    target: str                   # where the table went (password hidden)
    table: str
    rows: int
    filled: dict[str, int]        # column -> cells filled


def impute(source: str | sa.URL, target: str | Path, *, table: str, columns: list[str] | None = None,
           seed: int | None = 0, config: Config | str | Path | None = None, schema: str | None = None,
           replace: bool = False, reporter: Reporter | None = None, mask: bool = False) -> ImputeResult:
    """Fill NULLs of ``table`` (in ``columns``, default: every modeled column with NULLs);
    ``mask``: write its identifiers as pseudonyms."""
    reporter = reporter or Reporter()
    config = config if isinstance(config, Config) else load_config(config)
    if schema:
        config = config.model_copy(update={"schema_name": schema})
    source_url = source if isinstance(source, sa.URL) else resolve_url(source)
    to_file = isinstance(target, Path) or str(target).lower().endswith(FILE_SUFFIXES)
    if not to_file:
        target = target_url(resolve_url(str(target)), source=source_url)
    engine = source_engine(source_url)
    try:
        with reporter.task("reading the source"):
            reflected = reflect(engine, config=config)
            if table not in reflected:
                raise ConfigError(f"no table {table!r} in the source",
                                  hint=f"tables: {', '.join(t.name for t in reflected)}")
            frame, context, context_kinds = _read(engine, reflected, table)
            pseudonyms = _pseudonyms(engine, reflected, table, config) if mask else None
    finally:
        engine.dispose()
    spec = reflected[table]
    targets = _targets(spec, frame, columns)
    with reporter.task("learning and filling"):
        filled_frame, filled = fill(frame, spec, targets, context=context, context_kinds=context_kinds,
                                    rng=np.random.default_rng(seed))
    if mask:
        with reporter.task("masking identifiers"):
            filled_frame = mask_frame(spec, filled_frame, pseudonyms, {})
    with reporter.task("writing"):
        where = _write(filled_frame, spec, reflected, target, to_file=to_file, replace=replace)
    return ImputeResult(target=where, table=table, rows=len(filled_frame), filled=filled)


def _pseudonyms(engine: sa.Engine, schema: Schema, table: str, config: Config) -> Pseudonyms:
    metadata = reflect_metadata(engine, schema_name=schema.name, only=[table])
    return Pseudonyms(run_salt(config.privacy.salt_env), locale=source_locale(engine, schema, metadata, config).locale)


def fill(frame: pd.DataFrame, table: Table, targets: list[str], *, context: pd.DataFrame | None,
         context_kinds: dict | None, rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, int]]:
    """``frame`` with the NULLs of ``targets`` filled; the count filled per column."""
    modeled = {c.name: c.kind for c in table.columns if c.kind.modeled}
    order = [c for c in modeled if c not in targets] + targets   # the filled columns learned last
    present = frame[targets].notna().all(axis=1).to_numpy()
    if present.sum() < MIN_PRESENT:
        raise RelsynthError(f"{table.name}: only {int(present.sum())} rows have all of {', '.join(targets)}",
                            hint=f"at least {MIN_PRESENT} are needed to learn them; fill fewer columns at once")
    model = TreesModel()
    model.fit(frame.loc[present, order].reset_index(drop=True), kinds={c: modeled[c] for c in order},
              context=context[present].reset_index(drop=True) if context is not None else None,
              context_kinds=context_kinds, rng=rng)
    out = frame.copy()
    todo = np.flatnonzero(frame[targets].isna().any(axis=1).to_numpy())
    for _ in range(CHECK_ROUNDS):  # rows whose filled values break a CHECK are drawn again
        if not todo.size:
            break
        _fill_rows(out, frame, todo, targets, order, model, context, rng)
        todo = todo[_violating(out.iloc[todo].reset_index(drop=True), table)]
    for column in targets:  # never write a row that breaks a check: those cells stay NULL
        _put(out, column, todo, frame[column].to_numpy()[todo])
    return out, {c: int(frame[c].isna().sum() - out[c].isna().sum()) for c in targets}


def _fill_rows(out: pd.DataFrame, frame: pd.DataFrame, rows: np.ndarray, targets: list[str], order: list[str],
               model: TreesModel, context: pd.DataFrame | None, rng: np.random.Generator) -> None:
    given = frame.iloc[rows][order].reset_index(drop=True)   # observed cells kept, NULLs free
    drawn = model.sample(context=context.iloc[rows].reset_index(drop=True) if context is not None else None,
                         n=None if context is not None else rows.size, fixed=given, rng=rng)
    for column in targets:
        hole = frame[column].isna().to_numpy()[rows]
        _put(out, column, rows[hole], drawn[column].astype(object).to_numpy()[hole])


def _put(out: pd.DataFrame, column: str, rows: np.ndarray, values: np.ndarray) -> None:
    current = out[column].astype(object).to_numpy(copy=True)
    current[rows] = values
    out[column] = pd.Series(current, index=out.index).infer_objects()


def _violating(rows: pd.DataFrame, table: Table) -> np.ndarray:
    bad = np.zeros(len(rows), dtype=bool)
    for check in table.checks:
        found = checks.violations(rows, check.sqltext, label=check.name or "")
        if found is not None:
            bad |= found
    return bad


def _targets(table: Table, frame: pd.DataFrame, columns: list[str] | None) -> list[str]:
    modeled = [c.name for c in table.columns if c.kind.modeled]
    if columns:
        unknown = [c for c in columns if c not in table.column_names]
        if unknown:
            raise ConfigError(f"{table.name} has no column {unknown[0]!r}", hint=f"columns: {', '.join(table.column_names)}")
        unmodeled = [c for c in columns if c not in modeled]
        if unmodeled:
            kind = table.column(unmodeled[0]).kind.value
            raise ConfigError(f"{table.name}.{unmodeled[0]} is {kind}: impute fills numbers, dates, times and "
                              "categories", hint="keys and identifying text are not drawn from the data")
        return list(dict.fromkeys(columns))
    targets = [c for c in modeled if frame[c].isna().any()]
    if not targets:
        raise ConfigError(f"{table.name} has no NULL in a column impute can fill", hint="nothing to do")
    return targets


def _read(engine: sa.Engine, schema: Schema, name: str) -> tuple[pd.DataFrame, pd.DataFrame | None, dict | None]:
    """The table, and per row its context parent's modeled columns (named ``parent.column``)."""
    plan = make_plan(schema)
    step = next(s for s in plan.steps if s.table == name)
    wanted = [name] + ([step.context.parent] if step.context is not None else [])
    metadata = reflect_metadata(engine, schema_name=schema.name, only=wanted)
    tables = {t: metadata.tables[f"{schema.name}.{t}" if schema.name else t] for t in wanted}
    frame = read_table(engine, tables[name])
    if step.context is None:
        return frame, None, None
    fk, parent_spec = step.context, schema[step.context.parent]
    modeled = {c.name: c.kind for c in parent_spec.columns if c.kind.modeled}
    if not modeled:
        return frame, None, None
    parent = read_table(engine, tables[fk.parent], columns=list(dict.fromkeys([*fk.parent_columns, *modeled])))
    at = keys.locate_parents(frame[list(fk.columns)], parent[list(fk.parent_columns)])
    context = parent[list(modeled)].reindex(at).reset_index(drop=True)
    context.columns = [f"{fk.parent}.{c}" for c in modeled]
    return frame, context, {f"{fk.parent}.{c}": k for c, k in modeled.items()}


def _write(frame: pd.DataFrame, table: Table, schema: Schema, target, *, to_file: bool, replace: bool) -> str:
    if to_file:
        path = Path(target)
        if path.exists() and not replace:
            raise ConfigError(f"{path} exists", hint="pass --replace to overwrite it")
        if path.suffix.lower() == ".parquet":
            try:
                frame.to_parquet(path, index=False)
            except ImportError:
                raise ConfigError("writing Parquet needs pyarrow", hint="pip install 'relsynth[parquet]'") from None
        else:
            frame.to_csv(path, index=False)
        return str(path)
    alone = dataclasses.replace(table, foreign_keys=())   # its parents are not in the target
    write_database(Schema(dialect=schema.dialect, tables=(alone,), name=None), {table.name: frame}, target,
                   order=[table.name], replace=replace)
    return shown(target)


__all__ = ["impute", "fill", "ImputeResult"]
