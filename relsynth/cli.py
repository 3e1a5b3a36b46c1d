"""The command line: parses arguments, calls relsynth.api, prints results and one-line errors."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Optional


def _on_early_sigterm(_signum: int, _frame: object) -> None:
    sys.stderr.write("interrupted: the target was left as it was\n")   # nothing is written while importing
    os._exit(143)


if __name__ == "__main__" or Path(sys.argv[0]).name == "relsynth":   # a run, not an import by a test
    signal.signal(signal.SIGTERM, _on_early_sigterm)    # until main() takes over, once the imports are done

import typer  # noqa: E402 - after the handler: a SIGTERM while importing is taken too

from relsynth.envvars import SOURCE_ENV, TARGET_ENV  # noqa: E402
from relsynth.errors import RelsynthError  # noqa: E402
from relsynth.outputs import check_model_dir, check_output_file  # noqa: E402

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode="rich",
                  pretty_exceptions_enable=False,
                  help="Synthetic copies of relational databases: same schema, every key and constraint intact, "
                       "no real person.\n\nURLs are SQLAlchemy URLs or paths to SQLite files; "
                       "env:NAME reads one from an environment variable.")


def _config(config: Optional[Path], models: Optional[list[str]], strict: bool):
    """The config file with the command line's --model choices and --strict applied."""
    from relsynth.config import load_config, with_models

    if not models and not strict:
        return config
    loaded = with_models(load_config(config), models or [])
    return loaded.model_copy(update={"strict": True}) if strict else loaded


def _conditions(retain, where, rebalance, seed_rows):
    from relsynth.conditions import Conditions

    return Conditions.parse(retain=retain or (), where=where or (), rebalance=rebalance or (),
                            seed_files=seed_rows or ())


def _rows(items: Optional[list[str]]) -> dict[str, int]:
    """``--rows departments=9`` (repeatable) as a dict."""
    from relsynth.errors import RelsynthError

    out = {}
    for item in items or []:
        table, sep, count = item.partition("=")
        if not sep or not table.strip() or not count.strip().isdigit():
            raise RelsynthError(f"--rows {item!r} is not TABLE=COUNT", hint="e.g. --rows departments=9")
        out[table.strip()] = int(count)
    return out


def _version(value: bool) -> None:
    if value:
        from relsynth import __version__

        typer.echo(f"relsynth {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """Synthetic copies of relational databases."""
    import warnings

    def one_line(message, category, *_args, **_kwargs) -> None:  # no file and line: users read these
        from relsynth.errors import Note
        from relsynth.urls import _scrub

        if isinstance(category, type) and issubclass(category, Note):
            typer.secho(f"info: {_scrub(str(message))}", err=True)
            return
        typer.secho(f"warning: {_scrub(str(message))}", err=True, fg="yellow")

    warnings.showwarning = one_line


SCALE = typer.Option(1.0, "--scale", help="Row count multiplier: 0.1 shrinks, 3 grows (children per parent and lookup tables kept).")
SEED = typer.Option(0, "--seed", help="Same seed, same database.")
ROWS = typer.Option(None, "--rows", help="Rows of one table, over --scale: 'departments=9' (repeatable).",
                    metavar="TABLE=COUNT")
ALLOW_SHRINK = typer.Option(False, "--allow-shrink", help="Write the result even when a table comes out empty or "
                                                          "more than 2% short of its row count.")
CONFIG = typer.Option(None, "--config", "-c", help="YAML config from `relsynth inspect -o` (exclusions, "
                                                   "extra foreign keys, column kinds).", exists=True, dir_okay=False)
REPLACE = typer.Option(False, "--replace", help="Drop the target's existing tables of this schema first.")
SCHEMA = typer.Option(None, "--schema", help="Database schema to read (e.g. a PostgreSQL schema); "
                                            "default: the connection's default.")
RETAIN = typer.Option(None, "--retain", help="Keep columns exactly as in the source, one row per real row: "
                                            "customers.id,transactions.label (repeatable).", rich_help_panel="Conditions")
WHERE = typer.Option(None, "--where", "-w", help="Every row meets it: orders.status=refunded, "
                                              "transactions.amount>=1000 (repeatable).", rich_help_panel="Conditions")
REBALANCE = typer.Option(None, "--rebalance", help="Give a value a share of the rows: "
                                                  "transactions.is_fraud=true:0.5 (repeatable).",
                         rich_help_panel="Conditions")
SEED_ROWS = typer.Option(None, "--seed-rows", help="One row per seed row, its cells kept: orders=seeds.csv "
                                                  "(CSV or Parquet; repeatable).", rich_help_panel="Conditions")
STRICT = typer.Option(False, "--strict", help="Fail before anything is written when a column is neither listed in the "
                                            "config (reviewed) nor generated: a guard against a column added since.")
MODEL = typer.Option(None, "--model", "-m", help="Model family: trees (default, fast on a CPU), gan, autoregressive "
                                                "(free text); FAMILY for every table or TABLE=FAMILY (repeatable).")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress bars.")
DEBUG = typer.Option(False, "--debug", help="Show the traceback of an error.")


@app.command()
def clone(source: str = typer.Argument(..., envvar=SOURCE_ENV, help="Source database URL or SQLite path."),
          target: str = typer.Argument(..., envvar=TARGET_ENV, help="Target database URL or SQLite path."),
          scale: float = SCALE, seed: int = SEED, config: Optional[Path] = CONFIG, schema: Optional[str] = SCHEMA,
          replace: bool = REPLACE, strict: bool = STRICT, model: Optional[list[str]] = MODEL, retain: Optional[list[str]] = RETAIN, where: Optional[list[str]] = WHERE,
          rebalance: Optional[list[str]] = REBALANCE, seed_rows: Optional[list[str]] = SEED_ROWS,
          rows: Optional[list[str]] = ROWS, allow_shrink: bool = ALLOW_SHRINK,
          quiet: bool = QUIET, debug: bool = DEBUG) -> None:
    """Learn SOURCE and write a synthetic copy of it into TARGET."""
    from relsynth import api

    with _reporter(quiet) as reporter, _errors(debug):
        conditions = _conditions(retain, where, rebalance, seed_rows)
        result = api.clone(source, target, scale=scale, seed=seed, config=_config(config, model, strict), schema=schema,
                           replace=replace, reporter=reporter, conditions=conditions, rows=_rows(rows),
                           allow_shrink=allow_shrink)
    _summary(result)


@app.command()
def train(source: str = typer.Argument(..., envvar=SOURCE_ENV, help="Source database URL or SQLite path."),
          output: Path = typer.Option(..., "--output", "-o", help="Directory for the trained model."),
          seed: int = SEED, config: Optional[Path] = CONFIG, schema: Optional[str] = SCHEMA,
          strict: bool = STRICT, model: Optional[list[str]] = MODEL, retain: Optional[list[str]] = RETAIN, where: Optional[list[str]] = WHERE,
          rebalance: Optional[list[str]] = REBALANCE, seed_rows: Optional[list[str]] = SEED_ROWS,
          quiet: bool = QUIET, debug: bool = DEBUG) -> None:
    """Learn SOURCE and save the model to a directory: summaries with no value fewer than k rows
    share (check with `relsynth inspect-model DIR --source SOURCE`), and retained columns.

    Columns named by conditions are learned first, so that generate can condition on them. Set
    RELSYNTH_SALT for train and generate to check generated values against the real ones."""
    from relsynth import api

    with _reporter(quiet) as reporter, _errors(debug):
        check_model_dir(output)
        conditions = _conditions(retain, where, rebalance, seed_rows)
        trained = api.train(source, config=_config(config, model, strict), schema=schema, seed=seed,
                            reporter=reporter, conditions=conditions)
        trained.save(output)
    typer.echo(f"model saved to {output}")
    if not trained.salted:
        typer.echo("note: RELSYNTH_SALT is not set, so generate cannot check its values against the real ones "
                   "(clone always does); set it for train and generate to keep that check")


@app.command()
def generate(model: Path = typer.Argument(..., help="Directory written by `relsynth train`."),
             target: str = typer.Argument(..., envvar=TARGET_ENV, help="Target database URL or SQLite path."),
             scale: float = SCALE, seed: int = SEED, replace: bool = REPLACE,
             where: Optional[list[str]] = WHERE, rebalance: Optional[list[str]] = REBALANCE,
             seed_rows: Optional[list[str]] = SEED_ROWS, rows: Optional[list[str]] = ROWS,
             allow_shrink: bool = ALLOW_SHRINK,
             trust_ddl: bool = typer.Option(False, "--trust-ddl", help="Create the views, functions, triggers "
                                            "and indexes the model holds as the source's SQL (it runs on TARGET as "
                                            "written: only for a model directory you made)."),
             quiet: bool = QUIET, debug: bool = DEBUG,
             schema: Optional[str] = typer.Option(None, "--schema", help="Write into this schema of TARGET "
                                                  "(PostgreSQL: a schema; MariaDB/MySQL: a database), created "
                                                  "when missing.")) -> None:
    """Write a synthetic database into TARGET from a trained model."""
    from relsynth import api
    from relsynth.synthesizer import Synthesizer

    with _reporter(quiet) as reporter, _errors(debug):
        conditions = _conditions(None, where, rebalance, seed_rows)
        result = api.generate(Synthesizer.load(model), target, scale=scale, seed=seed, replace=replace,
                              reporter=reporter, conditions=conditions, rows=_rows(rows), allow_shrink=allow_shrink,
                              trust_ddl=trust_ddl, schema=schema)
    _summary(result)


@app.command()
def seed(target: str = typer.Argument(..., envvar=TARGET_ENV, help="Target database URL or SQLite path."),
         metadata: str = typer.Option(..., "--metadata", help="The models: MODULE:ATTRIBUTE naming a declarative "
                                                           "Base or a MetaData, e.g. myapp.models:Base."),
         rows: Optional[list[str]] = typer.Option(None, "--rows", metavar="N|TABLE=COUNT",
                                                  help="Rows of every table (N, default 100) or of one "
                                                       "(TABLE=COUNT; repeatable)."),
         seed: int = SEED, replace: bool = REPLACE,
         schema: Optional[str] = typer.Option(None, "--schema", help="Write into this schema of TARGET "
                                              "(PostgreSQL: a schema; MariaDB/MySQL: a database), made when missing."),
         quiet: bool = QUIET, debug: bool = DEBUG) -> None:
    """Write a plausible database into TARGET from SQLAlchemy models alone (no source): values from
    each column's type, length, enum and name, every key and constraint holding."""
    from relsynth.seeding import seed as run

    with _reporter(quiet) as reporter, _errors(debug):
        everywhere = [r for r in rows or [] if r.strip().isdigit()]
        counts: dict[str, int] | int | None = _rows([r for r in rows or [] if r not in everywhere]) or None
        if everywhere:
            counts = {"*": int(everywhere[-1]), **(counts or {})}
        result = run(metadata, target, rows=counts, seed=seed, replace=replace, schema=schema, reporter=reporter)
    _summary(result, what="seeded")


@app.command()
def mask(source: str = typer.Argument(..., envvar=SOURCE_ENV, help="Source database URL or SQLite path."),
         target: str = typer.Argument(..., envvar=TARGET_ENV, help="Target database URL or SQLite path."),
         config: Optional[Path] = CONFIG, schema: Optional[str] = SCHEMA, replace: bool = REPLACE,
         strict: bool = STRICT, quiet: bool = QUIET, debug: bool = DEBUG) -> None:
    """Copy SOURCE's real rows into TARGET with every identifying column replaced by a keyed fake.

    The same value gets the same fake in every table and run under one secret salt (the environment
    variable RELSYNTH_SALT, or the config's privacy.salt_env), so joins on e-mails and other natural
    keys keep working. Numbers, dates and categories stay real: use clone when no real record may appear."""
    from relsynth import api

    with _reporter(quiet) as reporter, _errors(debug):
        result = api.mask(source, target, config=_config(config, None, strict), schema=schema, replace=replace,
                          reporter=reporter)
    _summary(result, what="masked")


@app.command()
def impute(source: str = typer.Argument(..., envvar=SOURCE_ENV, help="Source database URL or SQLite path."),
           target: str = typer.Argument(..., help="Target database URL, SQLite path, or a .csv / .parquet file."),
           table: str = typer.Option(..., "--table", "-t", help="The table whose NULLs to fill."),
           columns: Optional[str] = typer.Option(None, "--columns", help="Columns to fill, comma-separated "
                                                                      "(default: every column with NULLs that can be)."),
           seed: int = SEED, config: Optional[Path] = CONFIG, schema: Optional[str] = SCHEMA,
           replace: bool = REPLACE,
           mask: bool = typer.Option(False, "--mask", help="Write the table's identifiers (e-mails, names, phones...) "
                                                          "as keyed pseudonyms, as relsynth mask does."),
           quiet: bool = QUIET, debug: bool = DEBUG) -> None:
    """Fill the NULLs of TABLE's rows with values drawn given the rest of each row and its parent.

    Observed values are never changed (but with --mask); the filled table goes to TARGET (a database or a file)."""
    from relsynth.impute import FILE_SUFFIXES, impute as run

    with _reporter(quiet) as reporter, _errors(debug):
        if target.lower().endswith(FILE_SUFFIXES):
            check_output_file(Path(target), what="output file")
        wanted = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
        result = run(source, target, table=table, columns=wanted, seed=seed, config=config, schema=schema,
                     replace=replace, reporter=reporter, mask=mask)
    filled = ", ".join(f"{c} {n:,}" for c, n in result.filled.items())
    typer.echo(f"{result.table}: {result.rows:,} rows written to {result.target}; cells filled: {filled}")


@app.command()
def inspect(source: str = typer.Argument(..., envvar=SOURCE_ENV, help="Database URL or SQLite path."),
            output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write it all as an editable YAML config."),
            config: Optional[Path] = CONFIG, schema: Optional[str] = SCHEMA, debug: bool = DEBUG) -> None:
    """Show tables, keys, each column's kind and personal data, the generation plan and the locale."""
    from relsynth.config import config_from_schema, dump_config, load_config
    from relsynth.copied import copied_tables
    from relsynth.graph import plan as make_plan
    from relsynth.privacy.locales import source_locale
    from relsynth.schema.reflect import reflect, reflect_metadata
    from relsynth.urls import resolve_url, shown, source_engine

    with _errors(debug):
        if output:
            check_output_file(output, what="config file")
        url = resolve_url(source)
        cfg = load_config(config)
        if schema:
            cfg = cfg.model_copy(update={"schema_name": schema})
        engine = source_engine(url)
        reflected = reflect(engine, config=cfg)
        copied = copied_tables(cfg, reflected)
        the_plan = make_plan(reflected, contexts=cfg.contexts(), copied=copied)
        metadata = reflect_metadata(engine, schema_name=reflected.name, only=list(the_plan.order))
        locale = source_locale(engine, reflected, metadata, cfg)
        _show_schema(reflected, the_plan, _personal_data(engine, reflected, metadata), copied)
        typer.echo(f"\nlocale: {locale.describe()}")
        if output:
            written = config_from_schema(reflected, the_plan, source=shown(url), locale=locale.locale, copied=copied)
            output.write_text(dump_config(written))
            typer.echo(f"config written to {output}")


@app.command("inspect-model")
def inspect_model(model: Path = typer.Argument(..., help="Directory written by `relsynth train`."),
                  source: Optional[str] = typer.Option(None, "--source", envvar=SOURCE_ENV,
                                                       help="The database it was trained on: scan the model for its "
                                                            "real values."),
                  k: int = typer.Option(5, "--k", min=2, help="A value fewer than k rows share counts as personal."),
                  debug: bool = DEBUG) -> None:
    """Show what a model directory holds and, with --source, scan every file of it for real values
    fewer than k rows share (exit 1 when one is found): run it before you share a model."""
    from relsynth.privacy.audit import audit_model, holdings
    from relsynth.urls import resolve_url, source_engine

    with _errors(debug):
        from relsynth.synthesizer import Synthesizer

        synth = Synthesizer.load(model)   # checks the whole directory first: it is untrusted input
        held = holdings(model)
        audit = audit_model(model, source_engine(resolve_url(source)), k=k) if source else None
    _show_holdings(synth, held)
    if audit is None:
        typer.echo("\nscan: not run (pass --source URL, the database the model was trained on)")
        return
    if audit.clean:
        typer.secho(f"\nscan: clean: none of the {audit.checked} real values that fewer than {k} rows share "
                    "is in the model, and no stored digest matches a real value or row", fg="green")
        return
    typer.secho(f"\nscan: {sum(l.count for l in audit.leaks)} real values that fewer than {k} rows share "
                "are in the model:", fg="red")
    for leak in audit.leaks:
        shown = f" (e.g. {', '.join(_masked(e) for e in leak.examples)})" if leak.examples else ""
        typer.echo(f"  {leak.table}.{leak.column}: {leak.count} as {leak.how}{shown}")
    raise typer.Exit(1)


def _masked(value: str) -> str:
    """Enough of a value to find it in the source, not enough to read it here."""
    return value[:2] + "*" * max(len(value) - 2, 1) if len(value) > 3 else value[:1] + "**"


def _show_holdings(synth, held) -> None:
    from rich.console import Console
    from rich.table import Table

    grid = Table(show_edge=False, title="what the model holds")
    for name in ("table", "family", "learned (summaries, no rare value)", "generated (format only)",
                 "retained (real, your choice)"):
        grid.add_column(name)
    for name, table in synth.tables.items():
        retained = ", ".join(table.retained.columns) if table.retained is not None else ""
        grid.add_row(name, table.family if table.model is not None else "-", ", ".join(table.modeled),
                     ", ".join(table.formats), retained)
    Console().print(grid)
    if synth.copied:  # real rows kept whole, on purpose (docs/security.md)
        typer.echo("copied (real rows, written as they are): "
                   + ", ".join(f"{name} ({len(rows):,} row{'' if len(rows) == 1 else 's'})"
                             for name, rows in synth.copied.items()))
    size = sum(n for _, n in held.files)
    typer.echo(f"{len(held.files)} files, {size / 1e6:.1f} MB: {len(held.strings)} strings, "
               f"{held.number_count} numbers, {held.digests.size} keyed digests "
               f"({'key derived from RELSYNTH_SALT, never stored' if synth.salted or held.digests.size else 'none'})")


@app.command()
def report(real: str = typer.Argument(..., help="The real database (URL or SQLite path)."),
           synthetic: str = typer.Argument(..., help="The synthetic database to compare with it."),
           output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write an HTML report with plots."),
           json_file: Optional[Path] = typer.Option(None, "--json", help="Write every score as JSON."),
           max_rows: int = typer.Option(50_000, "--max-rows", help="Rows per table sampled for the costly metrics."),
           seed: int = SEED, config: Optional[Path] = CONFIG, debug: bool = DEBUG) -> None:
    """Score how close SYNTHETIC is to REAL: shapes, pairs, cardinality, detection, privacy."""
    import json

    from relsynth.config import load_config
    from relsynth.report import build_report

    with _errors(debug):
        for path, what in ((output, "HTML report"), (json_file, "JSON report")):
            if path:
                check_output_file(path, what=what)
        result = build_report(real, synthetic, max_rows=max_rows, seed=seed, config=load_config(config))
        if output:
            result.write_html(output)
        if json_file:
            json_file.write_text(json.dumps(result.to_dict(), indent=1, default=str))
    _report_summary(result)
    for path in filter(None, (output, json_file)):
        typer.echo(f"written: {path}")


@app.command()
def rehearse(source: str = typer.Argument(..., envvar=SOURCE_ENV, help="The database to rehearse on (only read)."),
             alembic_ini: Path = typer.Option(Path("alembic.ini"), "--alembic-ini", help="The project's alembic.ini."),
             to: str = typer.Option("head", "--to", help="The revision to migrate to."),
             keep: bool = typer.Option(False, "--keep", help="Keep the scratch database and print its URL."),
             scale: float = SCALE,
             target: Optional[str] = typer.Option(None, "--target", help="An empty database to clone into "
                                                                       "(default: a scratch one, dropped after)."),
             downgrade: bool = typer.Option(False, "--downgrade", help="Then downgrade step by step back to the start."),
             json_file: Optional[Path] = typer.Option(None, "--json", help="Write the measurements as JSON (for CI)."),
             seed: int = SEED, config: Optional[Path] = CONFIG, quiet: bool = QUIET, debug: bool = DEBUG) -> None:
    """Run the Alembic migrations on a synthetic clone of SOURCE first, one revision at a time:
    time, statements, tables rewritten, rows changed, locks and constraint checks per revision."""
    import json

    from relsynth import api

    with _reporter(quiet) as reporter, _errors(debug):
        if json_file:
            check_output_file(json_file, what="JSON report")
        result = api.rehearse(source, alembic_ini=alembic_ini, to=to, keep=keep, scale=scale, target=target,
                              downgrade=downgrade, seed=seed, config=config, reporter=reporter)
        if json_file:
            json_file.write_text(json.dumps(result.to_dict(), indent=1))
    _rehearsal_summary(result)
    if json_file:
        typer.echo(f"written: {json_file}")
    failed = result.failed
    if failed is not None:
        typer.secho(f"error: revision {failed.revision} ({failed.message or 'no message'}) failed on "
                    f"{failed.direction}: {failed.error}", err=True, fg="red")
    if not result.ok:
        raise typer.Exit(1)


def _rehearsal_summary(result) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 200)   # a CI log: one line per revision
    grid = Table(show_edge=False, title=f"rehearsal on {result.database} (clone of {result.source}): "
                                        f"{result.start or 'base'} -> {result.target}", title_justify="left")
    for name, justify in (("revision", "left"), ("message", "left"), ("", "left"), ("time", "right"),
                          ("statements", "right"), ("rewritten", "left"), ("rows before -> after", "left"),
                          ("locks", "left"), ("checks", "left")):
        # ids and numbers whole, however narrow the CI log: the text columns wrap instead
        grid.add_column(name, justify=justify, no_wrap=name in ("revision", "", "time", "statements"))
    for step in result.steps:
        rows = ", ".join(f"{t} {'(none)' if a is None else f'{a:,}'} -> {'(none)' if b is None else f'{b:,}'}"
                         for t, (a, b) in step.rows.items())
        locks = "n/a" if step.locks is None else ", ".join(f"{t} {m}" for t, m in step.locks.items())
        checks = "" if step.error else (f"{step.checks_passed} passed" + (f", [red]{len(step.checks_failed)} failed[/red]"
                                                                         if step.checks_failed else ""))
        grid.add_row(step.revision, escape(step.message), "down" if step.direction == "downgrade" else "up",
                     f"{step.seconds:.2f}s", str(step.statements),
                     "n/a" if step.rewritten is None else ", ".join(step.rewritten), rows, locks,
                     "[red]failed[/red]" if step.error else checks)
    if result.steps:
        console.print(grid)
    else:
        console.print(f"the clone is at {result.target} already: no revision to rehearse")
    if not result.locks_measured:
        console.print(f"locks: not measured on {result.dialect} (PostgreSQL only)")
    for step in result.steps:
        for warning in step.warnings:
            console.print(f"[yellow]{step.revision}: {warning}[/yellow]")
        for check in step.checks_failed:
            console.print(f"[red]{step.revision}: check failed: {check}[/red]")
    if result.round_trip is not None:
        if result.round_trip:
            console.print("[red]after the downgrade the schema differs from the start:[/red]")
            for line in result.round_trip:
                console.print(f"[red]  {line}[/red]")
        else:
            console.print("after the downgrade the schema is as at the start")
    if result.kept:
        console.print(f"scratch database kept: {result.database}")


def _report_summary(result) -> None:
    from rich.console import Console
    from rich.table import Table

    labels = {"column_shapes": "shapes", "column_pairs": "pairs", "cardinality": "card.",
              "parent_child": "parent", "detection_auc": "AUC", "exact_match_share": "copies", "dcr_share": "DCR"}
    rows = result.summary_rows()
    metrics = list(dict.fromkeys(metric for _, metric, _ in rows))
    grid = Table(show_edge=False, caption="higher is better; AUC 0.5 = indistinguishable (well below: too close to real rows); "
                                          "copies = share of rows equal to a real one; DCR ~0.5 = no memorizing")
    grid.add_column("table", no_wrap=True)
    for metric in metrics:
        grid.add_column(labels.get(metric, metric), justify="right")
    by_table: dict[str, dict[str, float]] = {}
    for table, metric, score in rows:
        by_table.setdefault(table, {})[metric] = score
    for table, scores in by_table.items():
        grid.add_row(table, *[("" if scores.get(m) is None else f"{scores[m]:.3f}") for m in metrics])
    Console().print(grid)
    if result.pii_found is not None:
        found = result.pii_found
        typer.secho(f"real identifying values found in the synthetic copy: {found}", fg="green" if not found else "red")
        for table, column in result.real_values:
            parts = [f"{name} {n}" for name, n in (("exact", column.exact), ("case-folded", column.folded),
                                                   ("a day off", column.near), ("inside text", column.inside)) if n]
            chance = f", {column.expected:.1f} expected by chance" if column.expected is not None else ""
            typer.echo(f"  {table}.{column.column} ({column.kind}, {column.basis}): {column.found} of "
                       f"{column.checked} real ({', '.join(parts)}{chance}); counted {column.counted}"
                       + (f"; e.g. {', '.join(column.examples)}" if column.examples else ""))


def _personal_data(engine, schema, metadata) -> dict[str, dict[str, str]]:
    """Per table and column, what it tells about a person (from a sample of rows)."""
    from relsynth.privacy.locales import head
    from relsynth.privacy.masking import SAMPLE_TEXTS, personal_data
    from relsynth.privacy.scrub import Names

    names, out = Names(), {}
    for table in schema:
        sa_table = metadata.tables.get(f"{schema.name}.{table.name}" if schema.name else table.name)
        if sa_table is not None:
            sample = head(engine, sa_table, table.column_names, rows=SAMPLE_TEXTS)
            out[table.name] = personal_data(table, sample, names)
    return out


def _show_schema(schema, the_plan, personal: dict[str, dict[str, str]] | None = None, copied=frozenset()) -> None:
    from collections import Counter

    from rich.console import Console
    from rich.table import Table

    from relsynth.schema.objects import summary

    console = Console()
    personal = personal or {}
    for step in the_plan.steps:
        table = schema[step.table]
        how = ", copied" if table.name in copied else ""
        grid = Table(title=f"{table.name}  ({table.row_count} rows{how})", title_justify="left", show_edge=False)
        for header in ("column", "type", "kind", "null", "role", "personal data"):
            grid.add_column(header)
        for col in table.columns:
            role = []
            if col.name in table.primary_key:
                role.append("PK")
            role += [f"FK -> {fk.parent}" for fk in table.foreign_keys if col.name in fk.columns]
            role += ["unique" for u in table.unique if u.columns == (col.name,)]
            grid.add_row(col.name, str(col.type.get("native")), col.kind.value, "yes" if col.nullable else "",
                         ", ".join(role), personal.get(table.name, {}).get(col.name, ""))
        console.print(grid)
        for check in table.checks:
            console.print(f"  check {check.name or ''}: {check.sqltext}")
    if schema.native is not None:
        others = Counter({k: n for k, n in schema.native.counts().items() if k not in ("TABLE", "TABLE ATTACH")})
        console.print(f"\n[bold]Objects[/bold] carried into a {schema.dialect} target ({schema.native.tool}): "
                      f"{summary(others) or 'none beside the tables'}")
    console.print("\n[bold]Plan[/bold] (tables in generation order)")
    for i, step in enumerate(the_plan.steps, 1):
        if step.table in copied:
            console.print(f"  {i:>2}. {step.table}: copied (the source's rows, as they are, at any scale)")
            continue
        parts = [f"per row of {step.context.parent} {step.context.label}" if step.context else "root"]
        parts += [f"then {fk.label}" for fk in step.others]
        parts += [f"after insert {fk.label}" for fk in step.deferred]
        console.print(f"  {i:>2}. {step.table}: " + "; ".join(parts))


def _summary(result, what: str = "synthetic") -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(f"{what} database written to [bold]{result.target}[/bold]")
    grid = Table(show_edge=False)
    grid.add_column("table")
    if result.source_rows:      # seed has no source
        grid.add_column("source rows", justify="right")
    asked = {t: n for t, n in result.expected.items() if n != result.source_rows.get(t)}
    if asked:  # --scale or --rows
        grid.add_column("rows asked", justify="right")
    grid.add_column(f"{what} rows", justify="right")
    if result.dropped:
        grid.add_column("rows dropped")
    for name, rows in result.rows.items():
        cells = [name] + ([f"{result.source_rows.get(name, 0):,}"] if result.source_rows else [])
        cells += [f"{result.expected.get(name, 0):,}"] if asked else []
        cells += [f"{rows:,}"] + ([result.dropped.get(name, "")] if result.dropped else [])
        grid.add_row(*cells)
    console.print(grid)
    failed = [c for c in result.checks if not c.passed]
    console.print(f"constraint checks in the target: {len(result.checks) - len(failed)} passed, {len(failed)} failed")
    for check in failed:
        console.print(f"[red]  {check.table}: {check.name}: {check.detail}[/red]")
    if failed:
        raise typer.Exit(1)


class _errors:
    """One line per error, with its hint; a traceback only with --debug."""

    def __init__(self, debug: bool) -> None:
        self.debug = debug

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is None or self.debug or isinstance(exc, (typer.Exit, SystemExit)):
            return False
        from relsynth.urls import _scrub

        if isinstance(exc, KeyboardInterrupt):
            typer.secho("interrupted: the target was left as it was", err=True, fg="red")
            raise typer.Exit(143 if isinstance(exc, Terminated) else 130)
        if isinstance(exc, RelsynthError):
            typer.secho(f"error: {_scrub(str(exc))}", err=True, fg="red")
            raise typer.Exit(1)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        typer.secho(f"error: {type(exc).__name__}: {_scrub(first)} (hint: run again with --debug for the traceback)",
                    err=True, fg="red")
        raise typer.Exit(2)


class _reporter:
    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet or not sys.stderr.isatty()
        self._rich = None

    def __enter__(self):
        from relsynth.progress import Reporter, RichReporter

        if self.quiet:
            return Reporter()
        self._rich = RichReporter().__enter__()
        return self._rich

    def __exit__(self, *exc) -> bool:
        if self._rich is not None:
            self._rich.__exit__(*exc)
        return False


class Terminated(KeyboardInterrupt):
    """SIGTERM, taken the way Ctrl-C is: the writers roll back, the target is left as it was."""


_TERMINATED: list[bool] = []


def _on_sigterm(_signum: int, _frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)     # a second one must not cut the rollback short
    _TERMINATED.append(True)
    raise Terminated()


def main() -> None:
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        app()
    except SystemExit as done:
        # before or after a command's error handling (imports, the summary) typer exits 130 silently
        if _TERMINATED and done.code != 143:
            typer.secho("interrupted: the target was left as it was", err=True, fg="red")
            raise SystemExit(143) from None
        raise


if __name__ == "__main__":
    main()
