"""`relsynth rehearse`: run a project's Alembic migrations on a synthetic clone of the source
first, and measure what each revision does there.

The source is cloned (relsynth.api.clone, its ``alembic_version`` copied row for row) into a
scratch database relsynth creates next to it (or ``--target``), then migrated through Alembic's
own API one revision at a time from the clone's revision to ``--to``. Per revision: wall time,
statements run, tables rewritten and rows changed, the locks taken (PostgreSQL), and relsynth's
constraint checks. The scratch database is dropped at the end unless ``--keep``.

Every statement of a rehearsal must reach the scratch database: one sent anywhere else (an
``env.py`` that reads its URL from the environment) is refused before it runs.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import time
import warnings
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from relsynth.errors import ConfigError, RelsynthError, TargetError
from relsynth.progress import Reporter
from relsynth.urls import _scrub, resolve_url, shown, source_engine, target_url

LARGE_TABLE = 100_000   # source rows from which a write-blocking lock is flagged
# PostgreSQL's table lock modes, weakest first; SHARE and stronger block INSERT/UPDATE/DELETE
LOCK_MODES = ("AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock", "ShareLock",
              "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock")
BLOCKS_WRITES = frozenset(LOCK_MODES[LOCK_MODES.index("ShareLock"):])
SCRATCH_PREFIX = "rs_rehearse_"
VERSION_TABLE = "alembic_version"

_LOCKS_SQL = """
SELECT c.relname, l.mode FROM pg_locks l
JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE l.pid = pg_backend_pid() AND l.granted AND l.locktype = 'relation' AND c.relkind IN ('r', 'p', 'm')
  AND n.nspname = current_schema()
"""
_FILENODES_SQL = """
SELECT c.relname, c.relfilenode FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')
"""


class RehearsalError(RelsynthError):
    hint = "check the Alembic project (alembic.ini, env.py) and the source's alembic_version table"


@dataclass
class Step:
    """One revision applied (or undone) on the scratch database."""

    revision: str
    message: str
    direction: str                                  # "upgrade" or "downgrade"
    seconds: float = 0.0
    statements: int = 0                             # sent to the database, Alembic's own included
    rewritten: list[str] | None = None              # tables whose storage was rewritten (None: not measured)
    rows: dict[str, list[int | None]] = field(default_factory=dict)   # table -> [before, after], changed only
    locks: dict[str, str] | None = None             # table -> strongest lock mode (None: not measured)
    warnings: list[str] = field(default_factory=list)
    checks_passed: int = 0
    checks_failed: list[str] = field(default_factory=list)
    error: str | None = None                        # the database's error, one line


@dataclass
class Rehearsal:
    source: str                 # no password
    database: str               # the scratch database (or --target), no password
    dialect: str
    created: bool               # relsynth created the scratch database
    kept: bool                  # ... and left it in place
    start: str | None           # the clone's revision before migrating (None: base)
    target: str | None          # the revision migrated to
    steps: list[Step] = field(default_factory=list)
    round_trip: list[str] | None = None   # --downgrade: how the schema differs from the start ([]: not at all)

    @property
    def failed(self) -> Step | None:
        return next((s for s in self.steps if s.error is not None), None)

    @property
    def locks_measured(self) -> bool:
        return self.dialect == "postgresql"

    @property
    def ok(self) -> bool:
        return self.failed is None and not any(s.checks_failed for s in self.steps) and not self.round_trip

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok, "locks_measured": self.locks_measured,
                "failed": self.failed.revision if self.failed else None}


def rehearse(source: str | sa.URL, *, alembic_ini: str | Path = "alembic.ini", to: str = "head",
             keep: bool = False, scale: float = 1.0, target: str | sa.URL | None = None, downgrade: bool = False,
             seed: int | None = 0, config: Any = None, reporter: Reporter | None = None) -> Rehearsal:
    """Clone ``source`` into a scratch database and migrate it revision by revision to ``to``
    (and back with ``downgrade``); see the module doc. A failing revision ends the rehearsal: it
    is the last step, its ``error`` set."""
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    from relsynth import api

    reporter = reporter or Reporter()
    source_url = source if isinstance(source, sa.URL) else resolve_url(source)
    ini = Path(alembic_ini)
    if not ini.is_file():
        raise ConfigError(f"Alembic config {ini} not found", hint="pass --alembic-ini PATH (the project's alembic.ini)")
    _check_source(source_url)
    given = target_url(target if isinstance(target, sa.URL) else resolve_url(target), source=source_url) \
        if target is not None else None
    with _scratch(source_url, given, keep=keep) as (url, created):
        report = Rehearsal(source=shown(source_url), database=shown(url), dialect=url.get_backend_name(),
                           created=created, kept=keep and created, start=None, target=None)
        source_rows = api.clone(source_url, url, scale=scale, seed=seed, config=config, reporter=reporter).source_rows
        cfg = AlembicConfig(str(ini))
        cfg.set_main_option("sqlalchemy.url", url.render_as_string(hide_password=False).replace("%", "%%"))
        script = ScriptDirectory.from_config(cfg)
        engine = sa.create_engine(url, poolclass=NullPool)
        try:
            report.start = _current(engine)
            report.target = _resolve(script, to)
            path = _path(script, report.start, report.target)
            start_shape = _shape(engine) if downgrade else None
            with _Watch(url) as watch, reporter.task("migrating the clone", total=len(path) * (2 if downgrade else 1)) \
                    as advance:
                for rev in path:
                    report.steps.append(_apply(cfg, engine, watch, rev, "upgrade", rev.revision, source_rows))
                    advance(1)
                    if report.failed:
                        return report
                if downgrade:
                    for rev in reversed(path):
                        report.steps.append(_apply(cfg, engine, watch, rev, "downgrade", _below(rev), source_rows))
                        advance(1)
                        if report.failed:
                            return report
                    report.round_trip = _differences(start_shape, _shape(engine))
        finally:
            engine.dispose()
    return report


# ---------------------------------------------------------------------- the scratch database

@contextmanager
def _scratch(source: sa.URL, given: sa.URL | None, *, keep: bool) -> Iterator[tuple[sa.URL, bool]]:
    """The database to rehearse on, and whether relsynth created it: ``given`` (which must be
    empty), else a new one on the source's server (SQLite: a temporary file), dropped on the way
    out unless ``keep``."""
    if given is not None:
        _refuse_non_empty(given)
        yield given, False
        return
    backend = source.get_backend_name()
    name = f"{SCRATCH_PREFIX}{secrets.token_hex(6)}"
    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX))
        try:
            yield sa.URL.create("sqlite", database=str(folder / f"{name}.sqlite")), True
        finally:
            if not keep:
                shutil.rmtree(folder, ignore_errors=True)
        return
    if backend not in ("postgresql", "mysql", "mariadb"):
        raise RehearsalError(f"rehearse does not support {backend!r} databases", hint="use PostgreSQL, MariaDB or SQLite")
    # the server's maintenance database: CREATE/DROP DATABASE never run inside the source
    admin_url = source.set(database="postgres") if backend == "postgresql" else source.set(database=None)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    quoted = admin.dialect.identifier_preparer.quote(name)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {quoted}" + ("" if backend == "postgresql"
                                                                 else " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    except sa.exc.DBAPIError as exc:
        admin.dispose()
        raise TargetError(f"cannot create a scratch database on {shown(admin_url)}: {_error_line(exc)}",
                          hint="grant CREATE DATABASE to the source's user, or pass --target URL (an empty database)") \
            from None
    try:
        yield source.set(database=name), True
    finally:
        try:
            if not keep:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted}"
                                         + (" WITH (FORCE)" if backend == "postgresql" else ""))
        finally:
            admin.dispose()


def _refuse_non_empty(url: sa.URL) -> None:
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").exists():
        return
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        tables = sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise TargetError(f"--target {shown(url)} is not empty ({len(tables)} tables)",
                          hint="give an empty database, or leave --target out for a scratch database")


def _check_source(url: sa.URL) -> None:
    """The source is at an Alembic revision (checked before the long clone)."""
    engine = source_engine(url)
    try:
        with engine.connect() as conn:
            found = VERSION_TABLE in sa.inspect(conn).get_table_names()
    finally:
        engine.dispose()
    if not found:
        raise RehearsalError(f"{shown(url)} has no {VERSION_TABLE} table: Alembic does not manage it",
                             hint="run `alembic stamp REVISION` on it once, or rehearse another database")


def _counts(conn: sa.Connection, names: list[str]) -> dict[str, int]:
    return {name: int(conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one())
            for name in names}


# ---------------------------------------------------------------------- revisions

def _current(engine: sa.Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    if len(heads) > 1:
        raise RehearsalError(f"the source is at several revisions at once ({', '.join(heads)})",
                             hint="rehearse a database on one branch")
    return heads[0] if heads else None


def _resolve(script: Any, to: str) -> str:
    from alembic.script.revision import RevisionError
    from alembic.util import CommandError

    try:
        if to in ("head", "heads"):
            return script.get_current_head()
        return script.get_revision(to).revision
    except (CommandError, RevisionError, AttributeError) as exc:
        problem = "it has several heads" if to in ("head", "heads") else f"it has no revision {to!r}"
        raise RehearsalError(f"--to {to}: {problem} ({str(exc).splitlines()[0]})",
                             hint="pass --to REVISION, a revision id of the project") from None


def _path(script: Any, start: str | None, end: str) -> list[Any]:
    """The revisions from after ``start`` up to ``end``, oldest first."""
    from alembic.script.revision import RevisionError
    from alembic.util import CommandError

    try:
        revisions = list(script.iterate_revisions(end, start or "base"))
    except (CommandError, RevisionError) as exc:
        raise RehearsalError(f"cannot go from revision {start or 'base'} to {end}: {str(exc).splitlines()[0]}",
                             hint="--to must be the clone's revision or one after it") from None
    revisions.reverse()
    merges = [r.revision for r in revisions if isinstance(r.down_revision, (tuple, list))]
    if merges:
        raise RehearsalError(f"revision {merges[0]} merges branches, which rehearse does not walk",
                             hint="pass --to a revision before the merge")
    return revisions


def _below(rev: Any) -> str:
    return rev.down_revision or "base"


def _apply(cfg: Any, engine: sa.Engine, watch: "_Watch", rev: Any, direction: str, destination: str,
           source_rows: dict[str, int]) -> Step:
    """Run one revision through Alembic's command API and measure it."""
    from alembic import command

    step = Step(revision=rev.revision, message=(rev.doc or "").strip().splitlines()[0] if rev.doc else "",
                direction=direction)
    before = _state(engine)
    watch.start()
    began = time.perf_counter()
    try:
        with engine.connect() as conn:
            cfg.attributes["connection"] = conn   # for env.py files that take it
            try:
                (command.upgrade if direction == "upgrade" else command.downgrade)(cfg, destination)
                conn.commit()
            finally:
                cfg.attributes.pop("connection", None)
    except RehearsalError:
        raise
    except Exception as exc:  # noqa: BLE001 - a migration may raise anything: it is the finding
        step.error = _error_line(exc)
    finally:
        step.seconds = time.perf_counter() - began
        step.statements, locks = watch.stop()
    if step.error is not None:
        return step
    after = _state(engine)
    if engine.dialect.name == "postgresql":
        step.locks = {t: m for t, m in sorted(locks.items()) if t != VERSION_TABLE}
        step.rewritten = sorted(t for t, node in after.filenodes.items()
                                if t in before.filenodes and node != before.filenodes[t] and t != VERSION_TABLE)
        step.warnings = [f"{t}: {m} blocks writes on a large table ({source_rows[t]:,} rows in the source)"
                         for t, m in step.locks.items() if m in BLOCKS_WRITES and source_rows.get(t, 0) >= LARGE_TABLE]
    step.rows = {t: [before.rows.get(t), after.rows.get(t)] for t in sorted(set(before.rows) | set(after.rows))
                 if before.rows.get(t) != after.rows.get(t) and t != VERSION_TABLE}
    reached = _current(engine)
    if reached != (None if destination == "base" else destination):
        raise RehearsalError(f"after {direction} to {destination} the scratch database is at {reached or 'base'}",
                             hint="env.py must migrate the database named by sqlalchemy.url or "
                                  "config.attributes['connection']")
    step.checks_passed, step.checks_failed = _checks(engine)
    return step


@dataclass
class _State:
    rows: dict[str, int]
    filenodes: dict[str, int]


def _state(engine: sa.Engine) -> _State:
    with engine.connect() as conn:
        rows = _counts(conn, sa.inspect(conn).get_table_names())
        nodes = {r[0]: int(r[1]) for r in conn.exec_driver_sql(_FILENODES_SQL)} \
            if conn.dialect.name == "postgresql" else {}
    return _State(rows, nodes)


def _checks(engine: sa.Engine) -> tuple[int, list[str]]:
    """relsynth's constraint checks (keys, uniqueness, NOT NULL) on the migrated database."""
    from relsynth.schema.reflect import reflect
    from relsynth.write.verify import verify_database

    try:
        with warnings.catch_warnings():   # how the clone would treat a column is not this report's
            warnings.simplefilter("ignore")
            schema = reflect(engine)
        checks = verify_database(schema, engine.url)
    except RelsynthError as exc:
        return 0, [f"the schema could not be read: {exc}"]
    failed = [f"{c.table}: {c.name}: {c.detail}" for c in checks if not c.passed]
    return len(checks) - len(failed), failed


def _shape(engine: sa.Engine) -> dict[str, Any]:
    """Tables, their columns (type, nullability) and index names: what a downgrade must restore."""
    inspector = sa.inspect(engine)
    out = {}
    for table in inspector.get_table_names():
        columns = {c["name"]: (str(c["type"]), bool(c["nullable"])) for c in inspector.get_columns(table)}
        out[table] = {"columns": columns, "indexes": sorted(str(i["name"]) for i in inspector.get_indexes(table))}
    return out


def _differences(start: dict[str, Any], end: dict[str, Any]) -> list[str]:
    out = [f"table {t} {'is gone' if t in start else 'was added'}" for t in sorted(set(start) ^ set(end))]
    for table in sorted(set(start) & set(end)):
        was, now = start[table], end[table]
        for column in sorted(set(was["columns"]) | set(now["columns"])):
            if was["columns"].get(column) != now["columns"].get(column):
                out.append(f"{table}.{column}: {_column(was['columns'].get(column))} -> "
                           f"{_column(now['columns'].get(column))}")
        if was["indexes"] != now["indexes"]:
            out.append(f"{table} indexes: {', '.join(was['indexes']) or 'none'} -> {', '.join(now['indexes']) or 'none'}")
    return out


def _column(spec: tuple[str, bool] | None) -> str:
    return "missing" if spec is None else f"{spec[0]}{'' if spec[1] else ' NOT NULL'}"


def _error_line(exc: BaseException) -> str:
    """The database's own message, first line, without a password."""
    inner = getattr(exc, "orig", None) or exc
    text = str(inner).strip()
    first = text.splitlines()[0] if text else type(inner).__name__
    return _scrub(f"{type(inner).__name__}: {first}")


# ---------------------------------------------------------------------- watching statements

class _Watch:
    """Counts the statements of a revision and, on PostgreSQL, the table locks its connection
    holds after each one (queried through that same connection); refuses a statement bound for
    any database but the scratch one."""

    def __init__(self, url: sa.URL) -> None:
        self.where = _identity(url)
        self.active = False
        self.statements = 0
        self.locks: dict[str, str] = {}

    def __enter__(self) -> "_Watch":
        sa.event.listen(sa.engine.Engine, "before_cursor_execute", self._before)
        sa.event.listen(sa.engine.Engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc: object) -> None:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", self._before)
        sa.event.remove(sa.engine.Engine, "after_cursor_execute", self._after)

    def start(self) -> None:
        self.active, self.statements, self.locks = True, 0, {}

    def stop(self) -> tuple[int, dict[str, str]]:
        self.active = False
        return self.statements, dict(self.locks)

    def _before(self, conn: sa.Connection, *_args: Any) -> None:
        if not self.active:
            return
        if _identity(conn.engine.url) != self.where:
            raise RehearsalError(f"a migration sent a statement to {shown(conn.engine.url)}, not to the scratch "
                                 "database: refused", hint="env.py must use sqlalchemy.url or "
                                                           "config.attributes['connection']")
        self.statements += 1

    def _after(self, conn: sa.Connection, cursor: Any, *_args: Any) -> None:
        if not self.active or conn.dialect.name != "postgresql":
            return
        with cursor.connection.cursor() as own:   # the migration's DBAPI connection: its locks
            own.execute(_LOCKS_SQL)
            for table, mode in own.fetchall():
                if mode not in LOCK_MODES:   # predicate locks (serializable reads) are no table lock
                    continue
                held = self.locks.get(table)
                if held is None or LOCK_MODES.index(mode) > LOCK_MODES.index(held):
                    self.locks[table] = mode


def _identity(url: sa.URL) -> tuple[Any, ...]:
    return (url.get_backend_name(), url.host, url.port, url.database)
