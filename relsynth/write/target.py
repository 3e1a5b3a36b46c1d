"""Writing a synthetic database all-or-nothing, on each kind of target.

PostgreSQL: one transaction holds the DDL, the COPYs, the UPDATEs and the setvals.

SQLite: one transaction in the target file itself (``BEGIN IMMEDIATE``; SQLite's DDL is
transactional), so like the servers ``replace=True`` drops this schema's tables only and any
other table of the file stays (without it, a file holding any table is refused). Chosen over the former temp file moved into place, which
replaced the whole file (other tables lost) and let two concurrent runs both "succeed". A
failure or Ctrl-C rolls back; a SIGKILL or power loss leaves SQLite's hot journal, which the
next opening of the file rolls back (the file's old content comes back whole). For the
write, relsynth holds ``TARGET.relsynth-lock`` (flock): a second relsynth run on the same file
is refused. A finished run removes the lock file, so one found unlocked but not empty was left
by a killed run: the next run says so, rolls back its journal and removes temp files of the
former scheme (``.TARGET.*.relsynth-tmp``). Tables of this schema that foreign keys of
other tables in the file point at are not replaced (TargetError). A target file the run
created is removed when the run fails.

MariaDB/MySQL: DDL commits by itself, so the tables are created and loaded under staging
names (``_rs<6 hex>_<name>``, cut to 64 characters and then ended by a hash of the name),
their foreign keys pointing at each other. Only once every row, deferred UPDATE and
AUTO_INCREMENT move went in does one ``RENAME TABLE old TO backup, ..., staging TO name,
...`` put them in place; a multi-table RENAME is atomic, and InnoDB foreign keys and
AUTO_INCREMENT counters move with the tables. With ``replace=True`` the backups (the old
tables, under ``_rs<other 6 hex>_<name>``) are then dropped.

With the source's own DDL (a schema read from a MariaDB/MySQL source of the target's flavor,
see :mod:`relsynth.write.mysql_objects`), the staging tables are created from it, and the views,
routines, triggers and events after the swap; one the target refuses undoes the swap.

Guaranteed there: a run that fails before the swap (any exception, Ctrl-C included) drops its
staging tables and leaves the old tables, their rows and constraints as they were; a refused
RENAME changes nothing. The real names never hold half-loaded tables, even after a SIGKILL or
a power loss: those leave at most ``_rs??????_*`` tables beside the untouched real ones (or,
between the swap and the drop, the backups beside the new ones). A later run does not count
them when deciding whether the target is empty (it warns about them) and, with
``replace=True``, drops them: two writers must not share a database.

Not guaranteed / limitations there:

- constraint names: foreign key names are unique per database (CHECK names too on MySQL; per
  table on MariaDB), and the old tables hold theirs until the swap. A source name is kept when
  no other table holds it (always on an empty database); else the server's own
  ``<table>_ibfk_N`` (``_chk_N``), which RENAME carries over from the staging name, or
  ``<name>_<6 hex>`` when that could clash or be too long. After a replace the names may
  thus differ from the source's (they alternate from one replace to the next).
- replacing tables that foreign keys of tables outside the schema point at is refused with a
  TargetError naming them (RENAME would carry those keys over to the backups, then dropped).
- Ctrl-C during the RENAME itself: it happened entirely or not at all; if it did, the new
  tables stay (the backups are dropped) although the interrupt is re-raised.
- backups that cannot be dropped after a successful swap: a warning names them.
- the old tables stay readable and writable during the load, but rows written to them then
  are gone with the replace; the RENAME waits for other sessions' transactions on them.
- crash safety of the multi-table RENAME is the server's: atomic DDL of MariaDB 10.6+ and
  MySQL 8.0.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import itertools
import os
import re
import secrets
import sqlite3
import warnings
from collections import defaultdict
from typing import Callable, Iterator, Mapping, Sequence

import pandas as pd
import sqlalchemy as sa

from relsynth.errors import ConfigError, ConnectionFailed, TargetError
from relsynth.schema.model import ForeignKey, Schema
from relsynth.schema.objects import POST, PRE, NativeSchema
from relsynth.schema.safety import check_schema
from relsynth.write.ddl import create_tables, drop_tables, partition_names, target_metadata
from relsynth.write.load import advance_identities, load_table, update_columns
from relsynth.write.mysql_objects import NativeWrite, native_for
from relsynth.write.objects import (advance_sequences, create_objects, drop_objects, name_dropped,
                                    refresh_materialized_views, runnable)

Progress = Callable[[str, int], None]


def write_database(schema: Schema, frames: Mapping[str, pd.DataFrame], target_url: str | sa.URL, *,
                   order: Sequence[str], deferred: Sequence[tuple[str, ForeignKey]] = (),
                   replace: bool = False, progress: Progress | None = None,
                   target_schema: str | None = None) -> dict[str, int]:
    """Create ``schema`` in the target and load ``frames`` into it; rows written per table.

    ``order`` lists the tables to load, parents first; tables of the schema not in it are
    created empty. ``deferred`` foreign keys go in as NULL and are set once every table is
    loaded. ``progress(table, rows_so_far)`` is called after each chunk. ``target_schema``: write
    into that database schema of the target (see :func:`in_schema`), created when missing.
    """
    url = sa.make_url(target_url)
    if target_schema:
        url = in_schema(url, target_schema)
    check_schema(schema)   # a schema built in code gets the model loader's SQL checks before any connection
    _check_inputs(schema, frames, order, deferred)
    run = _Run(schema, frames, order, deferred, progress)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return _write_sqlite(url, run, replace)
    engine = open_engine(url)
    try:
        if backend == "postgresql":
            return _write_postgres(engine, url, run, replace)
        if backend in ("mysql", "mariadb"):
            return _write_mysql(engine, url, run, replace)
        raise TargetError(f"unsupported target database {backend!r}",
                          hint="write to PostgreSQL, MariaDB/MySQL or SQLite")
    finally:
        engine.dispose()


class _Run:
    """One write: what to load and in which order, independent of the dialect."""

    def __init__(self, schema: Schema, frames: Mapping[str, pd.DataFrame], order: Sequence[str],
                 deferred: Sequence[tuple[str, ForeignKey]], progress: Progress | None) -> None:
        self.schema, self.frames, self.order, self.progress = schema, frames, list(order), progress
        self.deferred: dict[str, list[str]] = defaultdict(list)
        for table, fk in deferred:
            if _written_null_first(schema, table, fk):
                self.deferred[table].extend(c for c in fk.columns if c not in self.deferred[table])
        # a NOT NULL foreign key closing a cycle: its rows go in whole, the target's foreign-key
        # checks deferred until every table is loaded (and verified after the write)
        self.checks_deferred = any(not _written_null_first(schema, t, fk) for t, fk in deferred)

    def load(self, conn: sa.Connection, tables: Mapping[str, sa.Table],
             aliases: Mapping[str, str] | None = None) -> dict[str, int]:
        """Load the frames into ``tables`` (by schema name; created under those or other names)."""
        counts: dict[str, int] = {}
        if self.checks_deferred:
            _defer_foreign_keys(conn)
        for name in self.order:
            with _refused(conn, name, aliases):
                counts[name] = load_table(conn, tables[name], self.schema[name], self.frames[name],
                                          null_columns=self.deferred.get(name, ()), progress=self.progress)
        for name, columns in self.deferred.items():
            if name in counts:
                with _refused(conn, name, aliases):
                    update_columns(conn, tables[name], self.schema[name], self.frames[name], columns)
        if self.checks_deferred and conn.dialect.name in ("mysql", "mariadb"):
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 1")   # never checks the rows already in
        return counts


def _written_null_first(schema: Schema, table: str, fk: ForeignKey) -> bool:
    return all(schema[table].column(c).nullable for c in fk.columns)


def _defer_foreign_keys(conn: sa.Connection) -> None:
    """Foreign keys checked once every table is in: at COMMIT on SQLite and PostgreSQL (whose
    cycle constraints are created DEFERRABLE), not at all on MariaDB/MySQL, where the write is
    followed by the verification queries (as mysqldump's dumps load)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET CONSTRAINTS ALL DEFERRED")
    else:
        conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")


def _check_inputs(schema: Schema, frames: Mapping[str, pd.DataFrame], order: Sequence[str],
                  deferred: Sequence[tuple[str, ForeignKey]]) -> None:
    unknown = [t for t in order if t not in schema] + [t for t, _ in deferred if t not in schema]
    if unknown:
        raise ValueError(f"tables not in the schema: {sorted(set(unknown))}")
    lacking = [t for t in order if t not in frames]
    if lacking:
        raise ValueError(f"no frame for tables {lacking}")
    for name in order:
        missing = [c for c in schema[name].column_names if c not in frames[name].columns]
        if missing:
            raise ValueError(f"frame for {name} lacks columns {missing}")


class _refused:
    """Turn the target's refusal (of our tables or our rows) into one TargetError.

    ``aliases``: created name -> schema name (staging tables), shown by the schema name.
    """

    def __init__(self, conn: sa.Connection, table: str | None = None,
                 aliases: Mapping[str, str] | None = None) -> None:
        self.dbapi_error = conn.dialect.loaded_dbapi.Error
        self.dialect = conn.dialect.name
        self.table = table
        self.aliases = aliases or {}

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, exc: BaseException | None, tb: object) -> None:
        if exc is None or not isinstance(exc, (sa.exc.DBAPIError, self.dbapi_error)):
            return
        orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
        message = _shown(orig, self.aliases)
        if self.table is None:
            raise TargetError(f"{self.dialect} refused to create the tables: {message}",
                              hint="nothing was kept; adjust the column types or checks in the config file") \
                from exc
        raise TargetError(f"{self.dialect} refused the rows of table {self.table}: {message}",
                          hint="nothing was kept; the synthetic rows break a constraint the target enforces") \
            from exc


def _one_line(exc: BaseException | None) -> str:
    lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
    # PostgreSQL puts the useful part on a DETAIL line
    detail = [ln for ln in lines[1:] if ln.startswith("DETAIL")]
    return " ".join(lines[:1] + detail[:1]) or type(exc).__name__


def safe_url(url: sa.URL) -> str:
    return url.render_as_string(hide_password=True)


# --------------------------------------------------------------------------- connecting


def open_engine(url: sa.URL, **kw: object) -> sa.Engine:
    if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
        kw.setdefault("connect_args", {"connect_timeout": 10})   # an unreachable host fails in seconds
    try:
        return sa.create_engine(url, **kw)
    except Exception as exc:  # unknown driver, malformed URL
        raise ConnectionFailed(f"cannot use {safe_url(url)}: {_one_line(exc)}") from None


def connect(engine: sa.Engine) -> sa.Connection:
    """A connection, or a one-line error that never shows the password."""
    url = engine.url
    try:
        return engine.connect()
    except sa.exc.DBAPIError as exc:
        message = _one_line(exc.orig)
        code = exc.orig.args[0] if exc.orig is not None and exc.orig.args else None
        if re.search(r'database ".*" does not exist', message) or code == 1049:
            raise TargetError(f"database {url.database!r} does not exist on {safe_url(url.set(database=''))}",
                              hint=f"create it first: CREATE DATABASE {url.database}") from None
        raise ConnectionFailed(f"cannot connect to {safe_url(url)}: {message}") from None


def existing_tables(conn: sa.Connection, names: Sequence[str]) -> list[str]:
    present = set(sa.inspect(conn).get_table_names())
    return [n for n in names if n in present]


def _refuse_non_empty(url: sa.URL, existing: Sequence[str]) -> None:
    shown = ", ".join(existing[:5]) + (f" and {len(existing) - 5} more" if len(existing) > 5 else "")
    raise TargetError(f"target {safe_url(url)} already has tables: {shown}")


_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def in_schema(url: sa.URL, name: str, *, create: bool = True) -> sa.URL:
    """The URL whose connections write into database schema ``name`` of the target: on PostgreSQL
    the schema (first on the search_path, ``public`` after it for extension types), on
    MariaDB/MySQL the server's database of that name. ``create``: made when missing."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        raise ConfigError(f"an SQLite target has no schema {name!r}",
                          hint="drop --schema, or write into a file of its own: sqlite:///NAME.db")
    if not _SCHEMA_NAME.fullmatch(name or ""):
        raise ConfigError(f"schema name {name!r} is not letters, digits and underscores",
                          hint="e.g. --schema test_data (at most 63 characters, not starting with a digit)")
    if backend == "postgresql":
        options = str(url.query.get("options") or "")
        scoped = url.update_query_dict({"options": f'{options} -c search_path="{name}",public'.strip()})
        statement = f'CREATE SCHEMA IF NOT EXISTS "{name}"'
        admin = url
    elif backend in ("mysql", "mariadb"):
        scoped = url.set(database=name)
        statement = f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4"
        admin = url.set(database=None)       # the URL's database may not exist either
    else:
        raise TargetError(f"unsupported target database {backend!r}",
                          hint="write to PostgreSQL, MariaDB/MySQL or SQLite")
    if create:
        engine = open_engine(admin, poolclass=sa.pool.NullPool)
        try:
            with connect(engine) as conn:
                conn.exec_driver_sql(statement)
                conn.commit()
        except sa.exc.DBAPIError as exc:
            raise TargetError(f"cannot create schema {name} on {safe_url(admin)}: {_one_line(exc.orig)}",
                              hint=f"create it first, or connect as a user allowed to: {statement}") from None
        finally:
            engine.dispose()
    return scoped


# --------------------------------------------------------------------------- PostgreSQL


def _write_postgres(engine: sa.Engine, url: sa.URL, run: _Run, replace: bool) -> dict[str, int]:
    with connect(engine) as conn:
        with conn.begin():                       # rolled back on any exception, Ctrl-C included
            conn.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")   # naive datetimes are UTC
            native = runnable(run.schema, conn)
            existing = existing_tables(conn, [t.name for t in run.schema] + partition_names(run.schema))
            if existing and not replace:
                _refuse_non_empty(url, existing)
            if replace:
                name_dropped(drop_objects(conn, native, existing))
                if native is None:
                    _drop_enum_types(conn, run.schema)
            if native is None:
                with _refused(conn):
                    md = create_tables(conn, run.schema)
                counts = run.load(conn, md.tables)
                advance_identities(conn, md)
                return counts
            # the source's own DDL: types, tables ... before the rows; keys, indexes, triggers after
            create_objects(conn, native, PRE)
            counts = run.load(conn, target_metadata(run.schema, conn.dialect).tables)
            create_objects(conn, native, POST)
            schema_name = run.schema.name or "public"
            refresh_materialized_views(conn, native, schema_name)
            advance_sequences(conn, schema_name, native.sequences)
    return counts


def _drop_enum_types(conn: sa.Connection, schema: Schema) -> None:
    """Enum types of the replaced tables, unless something else still uses them."""
    q = conn.dialect.identifier_preparer
    names = {c.type["enum_name"] for t in schema for c in t.columns
             if c.type.get("generic") == "enum" and c.type.get("enum_name") and c.type.get("dialect") == "postgresql"}
    for name in sorted(names):
        try:
            with conn.begin_nested():
                conn.exec_driver_sql(f"DROP TYPE IF EXISTS {q.quote(name)}")
        except sa.exc.DBAPIError:
            pass   # still used by another table: create_all keeps the existing type


# --------------------------------------------------------------------------- MariaDB / MySQL

_STAGED = re.compile(r"_rs[0-9a-f]{6}_")      # staging and backup tables of a run: _rs<6 hex>_<name>
_NAME_LIMIT = 64                               # MariaDB/MySQL identifiers (tables, constraints)


def _write_mysql(engine: sa.Engine, url: sa.URL, run: _Run, replace: bool) -> dict[str, int]:
    """Load staging tables, then swap them in with one RENAME TABLE (see the module docstring)."""
    names = [t.name for t in run.schema]
    conn = connect(engine)
    try:
        conn.exec_driver_sql("SET time_zone = '+00:00'")     # datetimes are written in UTC
        # a key 0 (a real row's, in relsynth mask) is written as 0, not taken for "next auto value"
        conn.exec_driver_sql("SET SESSION sql_mode = CONCAT_WS(',', NULLIF(@@sql_mode, ''), 'NO_AUTO_VALUE_ON_ZERO')")
        present = sa.inspect(conn).get_table_names()
        conn.rollback()      # end the inspection's implicit transaction
        existing = [n for n in names if n in set(present)]
        stale = sorted(n for n in present if _STAGED.match(n) and n not in names)
        if stale and not replace:
            warnings.warn(f"target {safe_url(url)} holds {len(stale)} tables left by an interrupted relsynth run "
                          f"({_listed(stale)}); ignored (a run with replace=True drops them)", stacklevel=3)
        if existing and not replace:
            _refuse_non_empty(url, existing)
        if stale and replace:
            warnings.warn(f"dropping {len(stale)} tables left by an interrupted relsynth run: {_listed(stale)}",
                          stacklevel=3)
            with conn.begin():
                drop_tables(conn, stale)
            present = [n for n in present if n not in stale]
        if existing:
            _refuse_outside_references(conn, url, existing, names)
        swap = _Swap(names, existing, present)
        md = target_metadata(run.schema, conn.dialect, table_names=swap.staged)
        native_ddl = native_for(run.schema, conn)    # None: tables from the portable records
        objects = None if native_ddl is None else NativeWrite(native_ddl, run.schema, replace)
        if objects is not None:
            objects.prepare(conn, safe_url(url), existing)       # refused before anything is created
        else:
            _name_staged_constraints(conn, md, swap)
        conn.rollback()
        try:
            with conn.begin(), _refused(conn, aliases=swap.aliases):
                if objects is not None:
                    objects.create_tables(conn, swap.staged, _constraint_namer(conn, swap), md)
                else:
                    create_tables(conn, run.schema, md)
            # an explicit transaction: the rows go in through the raw DBAPI cursor
            with conn.begin():
                counts = run.load(conn, {n: md.tables[swap.staged[n]] for n in names}, swap.aliases)
            with conn.begin():
                advance_identities(conn, md)     # AUTO_INCREMENT values move with RENAME
            swap.rename(conn)
        except BaseException:
            # the old tables are untouched until the RENAME, which is atomic: drop ours
            conn.invalidate()      # a half-sent batch must not block the DROPs below
            # interrupted during the RENAME itself: it happened entirely or not at all, and the
            # DROPs wait for it; of staging and backup tables only one set exists
            _drop_after_failure(engine, [*swap.staged.values(), *swap.backup.values()])
            raise
        if objects is not None:
            objects.finish(conn, engine, swap.undo)     # views, routines, triggers, events; undone on failure
        swap.drop_backups(conn)
        return counts
    finally:
        conn.close()


class _Swap:
    """The names of one MariaDB/MySQL write: each schema table is loaded under a staging name
    and each table it replaces moves to a backup name, in one RENAME TABLE."""

    def __init__(self, names: Sequence[str], existing: Sequence[str], present: Sequence[str]) -> None:
        used = {n[:10] for n in present if _STAGED.match(n)}
        staging, backup = _fresh_prefix(used), _fresh_prefix(used)
        self.token = staging[3:9]
        self.staged = {n: _prefixed(staging, n) for n in names}
        self.backup = {n: _prefixed(backup, n) for n in existing}
        self.aliases = {created: name for name, created in [*self.staged.items(), *self.backup.items()]}

    def rename(self, conn: sa.Connection) -> None:
        q = conn.dialect.identifier_preparer.quote
        # old tables out first, so their names (and constraint names) are free for the new ones
        pairs = [*self.backup.items(), *((s, n) for n, s in self.staged.items())]
        try:
            with conn.begin():
                conn.exec_driver_sql("RENAME TABLE " + ", ".join(f"{q(a)} TO {q(b)}" for a, b in pairs))
        except sa.exc.DBAPIError as exc:
            raise TargetError(f"{conn.dialect.name} refused to put the new tables in place: "
                              f"{_shown(exc.orig, self.aliases)}",
                              hint="nothing was kept and the old tables are unchanged") from exc

    def undo(self, conn: sa.Connection) -> None:
        """Put the old tables back under their names and drop the new ones (after ``rename``)."""
        q = conn.dialect.identifier_preparer.quote
        pairs = [*((n, s) for n, s in self.staged.items()), *((b, n) for n, b in self.backup.items())]
        conn.exec_driver_sql("RENAME TABLE " + ", ".join(f"{q(a)} TO {q(b)}" for a, b in pairs))
        drop_tables(conn, self.staged.values())
        conn.commit()

    def drop_backups(self, conn: sa.Connection) -> None:
        if not self.backup:
            return
        try:
            with conn.begin():
                drop_tables(conn, self.backup.values())
        except Exception as exc:  # the new tables are in place: the write succeeded
            warnings.warn(f"the new tables are in place, but the old ones could not be dropped "
                          f"({_shown(exc, self.aliases)}): drop them by hand: {', '.join(self.backup.values())} "
                          f"(a run with replace=True drops them too)", stacklevel=4)


def _fresh_prefix(used: set[str]) -> str:
    """``_rs<6 hex>_``, unlike any table's prefix in the database; taken into ``used``."""
    while True:
        prefix = f"_rs{secrets.token_hex(3)}_"
        if prefix not in used:
            used.add(prefix)
            return prefix


def _prefixed(prefix: str, name: str) -> str:
    staged = prefix + name
    if len(staged) <= _NAME_LIMIT:
        return staged
    # too long: cut, and keep long names that share their start apart by a hash of the whole
    return f"{staged[:_NAME_LIMIT - 9]}_{hashlib.sha1(name.encode()).hexdigest()[:8]}"


def _listed(names: Sequence[str], most: int = 5) -> str:
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def _shown(exc: BaseException | None, aliases: Mapping[str, str]) -> str:
    """The server's message in one line, with created table names shown as the schema's."""
    message = _one_line(exc)
    for created in sorted(aliases, key=len, reverse=True):   # `_rs1a2b3c_child` before `_rs1a2b3c_c`
        message = message.replace(created, aliases[created])
    return message


def _refuse_outside_references(conn: sa.Connection, url: sa.URL, existing: Sequence[str],
                               names: Sequence[str]) -> None:
    """Refuse to replace tables that foreign keys of other tables (not in the schema) point at.

    RENAME would carry those foreign keys over to the old tables, then dropped: the other
    tables would be left pointing at a table that no longer exists.
    """
    rows = conn.execute(sa.text(
        "SELECT CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME, REFERENCED_TABLE_NAME, "
        "CONSTRAINT_SCHEMA = DATABASE() AS same_database "
        "FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE UNIQUE_CONSTRAINT_SCHEMA = DATABASE() "
        "ORDER BY CONSTRAINT_SCHEMA, TABLE_NAME, CONSTRAINT_NAME")).all()
    conn.rollback()
    replaced, ours = set(existing), set(names)
    outside = [r for r in rows if r.REFERENCED_TABLE_NAME in replaced
               and not (r.same_database and r.TABLE_NAME in ours)]
    if outside:
        shown = [f"{'' if r.same_database else r.CONSTRAINT_SCHEMA + '.'}{r.TABLE_NAME} "
                 f"({r.CONSTRAINT_NAME} -> {r.REFERENCED_TABLE_NAME})" for r in outside]
        raise TargetError(f"cannot replace tables in {safe_url(url)}: foreign keys of tables outside the schema "
                          f"point at them: {_listed(shown)}",
                          hint="drop those foreign keys (or tables) first, or write into another database; "
                               "nothing was changed")


def _name_staged_constraints(conn: sa.Connection, md: sa.MetaData, swap: _Swap) -> None:
    """Constraint names for the staging tables that clash with no other table's (see
    ``_constraint_namer``)."""
    name = _constraint_namer(conn, swap)
    for table in md.tables.values():
        real = table.info.get("relsynth_table", table.name)
        for constraint in sorted(table.constraints, key=lambda c: (type(c).__name__, str(c.name or ""))):
            if isinstance(constraint, sa.ForeignKeyConstraint):
                constraint.name = name("FOREIGN KEY", constraint.name, real)
            elif isinstance(constraint, sa.CheckConstraint):
                constraint.name = name("CHECK", constraint.name, real)


def _constraint_namer(conn: sa.Connection, swap: _Swap) -> Callable[[str, str | None, str], str | None]:
    """``name(kind, source name, table)``: a name for a constraint of a staging table that clashes
    with no other table's.

    Foreign key names are per database (and so are CHECK names on MySQL; per table on
    MariaDB). A source name is kept when it is free. Else the server names the constraint
    ``<staging table>_ibfk_N`` (``_chk_N``), which RENAME turns into ``<table>_ibfk_N``;
    when that could clash or be too long, it is ``<name>_<token>``. So after a replace the
    constraint names may differ from the source's (they alternate from one replace to the
    next, as the old tables hold the source names while the new ones are created).
    """
    kinds = ["FOREIGN KEY"] + ([] if getattr(conn.dialect, "is_mariadb", False) else ["CHECK"])
    rows = conn.execute(sa.text(
        "SELECT CONSTRAINT_NAME, TABLE_NAME, CONSTRAINT_TYPE FROM information_schema.TABLE_CONSTRAINTS "
        "WHERE CONSTRAINT_SCHEMA = DATABASE() AND CONSTRAINT_TYPE IN :kinds").bindparams(
            sa.bindparam("kinds", expanding=True)), {"kinds": kinds}).all()
    # lower-cased name -> the table holding it, None for the names given here
    taken: dict[str, dict[str, str | None]] = {kind: {} for kind in kinds}
    for name, table, kind in rows:
        taken[kind][name.lower()] = table

    def name(kind: str, constraint: str | None, real: str) -> str | None:
        if kind not in taken:         # a CHECK on MariaDB: named per table
            return constraint
        infix = "_ibfk_" if kind == "FOREIGN KEY" else "_chk_"
        return _free_name(constraint, real, swap.staged[real], infix, taken[kind], swap)

    return name


def _free_name(name: str | None, real: str, staged: str, infix: str, taken: dict[str, str | None],
               swap: _Swap) -> str | None:
    if name and name.lower() not in taken:
        taken[name.lower()] = None
        return name
    # the server's generated name, renamed with the table; any <real>_ibfk_... of the old table
    # moves to its backup name in the same RENAME, before the new table takes <real>
    stem = f"{real}{infix}".lower()
    clash = any(n.startswith(stem) and (owner is None or owner not in swap.backup) for n, owner in taken.items())
    if len(staged) + len(infix) + 3 <= _NAME_LIMIT and not clash:
        return None
    base = name or f"{real}{infix.rstrip('_')}"
    for i in itertools.count():
        suffix = f"_{swap.token}" if i == 0 else f"_{i}_{swap.token}"
        candidate = base[:_NAME_LIMIT - len(suffix)] + suffix
        if candidate.lower() not in taken:
            taken[candidate.lower()] = None
            return candidate
    raise AssertionError("unreachable")


def _drop_after_failure(engine: sa.Engine, names: Sequence[str]) -> None:
    try:
        with engine.connect() as cleanup:
            drop_tables(cleanup, names)
            cleanup.commit()
    except Exception as exc:  # the original error matters more; say what is left behind
        warnings.warn(f"could not drop the partly written staging tables ({_one_line(exc)}): drop them by hand "
                      f"(a run with replace=True drops them too): {', '.join(names)}", stacklevel=3)


# --------------------------------------------------------------------------- SQLite


def _write_sqlite(url: sa.URL, run: _Run, replace: bool) -> dict[str, int]:
    """One transaction in the target file itself (see the module docstring)."""
    path = url.database
    if not path or path == ":memory:" or path.startswith("file::memory:") or url.query.get("uri"):
        raise TargetError("an in-memory SQLite target would vanish when the run ends" if not url.query.get("uri")
                          else "an SQLite target is a path, not a file: URI",
                          hint="give a file: sqlite:///path/to/synthetic.db")
    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise TargetError(f"folder {folder} does not exist", hint=f"create it first: mkdir -p {folder}")
    names = [t.name for t in run.schema]
    with _sqlite_lock(path) as killed_run:
        _remove_leftovers(path, killed_run)
        created = not os.path.exists(path)
        engine = open_engine(url.set(database=path), poolclass=sa.pool.NullPool)
        sa.event.listen(engine, "connect", _own_transactions)
        sa.event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        try:
            with connect(engine) as conn:
                with conn.begin():      # DDL included: rolled back on any exception, Ctrl-C included
                    present = sorted(sa.inspect(conn).get_table_names())
                    if present and not replace:      # a file is one database: refused if it holds any table
                        _refuse_non_empty(url, present)
                    existing = [n for n in names if n in present]
                    if existing:                     # replace: this schema's tables only, the others stay
                        _refuse_outside_sqlite_references(conn, url, existing, names)
                        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")   # drop parents before children
                        drop_tables(conn, existing)
                        conn.exec_driver_sql("PRAGMA defer_foreign_keys = OFF")  # our rows checked as they go in
                        name_dropped(f"table {t}" for t in existing)
                    native = runnable(run.schema, conn)
                    if native is None:
                        with _refused(conn):
                            md = create_tables(conn, run.schema)
                    else:
                        if replace:
                            _drop_views(conn, native)
                        create_objects(conn, native, PRE)
                        md = target_metadata(run.schema, conn.dialect)
                    counts = run.load(conn, md.tables)
                    if native is not None:
                        create_objects(conn, native, POST)
                    advance_identities(conn, md)
            return counts
        except BaseException:
            engine.dispose()
            if created and not _sqlite_has_tables(path):     # a file this run made, holding nothing
                for leftover in (path, path + "-journal"):
                    if os.path.exists(leftover):
                        os.remove(leftover)
            raise
        finally:
            engine.dispose()


def _drop_views(conn: sa.Connection, native: NativeSchema) -> None:
    """A replace on SQLite: dropping a table took its indexes and triggers; its views stay."""
    q = conn.dialect.identifier_preparer.quote
    present = {name for (name,) in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'view'")}
    views = [o.name for o in native if o.kind == "VIEW" and o.name in present]
    for name in views:
        conn.exec_driver_sql(f"DROP VIEW {q(name)}")
    name_dropped(f"view {v}" for v in views)


_LOCK_SUFFIX = ".relsynth-lock"


@contextlib.contextmanager
def _sqlite_lock(path: str) -> Iterator[bool]:
    """Hold ``PATH.relsynth-lock`` (flock) for the write: a second relsynth run on the same file
    is refused. Yields whether the lock file was left by a run that was killed (a finished run
    removes it; the kernel releases a dead process's lock)."""
    lock = path + _LOCK_SUFFIX
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise TargetError(f"another relsynth run is writing {path}",
                              hint="wait for it to finish, or write to another file") from None
        try:
            current = os.stat(lock).st_ino
        except FileNotFoundError:
            current = None
        if current == os.fstat(fd).st_ino:
            break
        os.close(fd)        # its holder removed that file as we opened it: lock the one there now
    killed = os.fstat(fd).st_size > 0
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    try:
        yield killed
    finally:
        os.unlink(lock)     # before the release: a waiting run then re-opens a fresh file
        os.close(fd)


def _remove_leftovers(path: str, killed_run: bool) -> None:
    """What a killed run left on this target, under the lock (so no live run's): temp files of
    the former whole-file scheme, and the hot journal SQLite rolls back when the file is opened."""
    folder, base = os.path.split(path)
    temps = [os.path.join(folder, n) for n in os.listdir(folder)
             if n.startswith(f".{base}.") and ".relsynth-tmp" in n]
    journal = path + "-journal"
    rolled_back = killed_run and os.path.exists(journal) and os.path.getsize(journal) > 0
    if not (temps or rolled_back or killed_run):
        return
    size = sum(os.path.getsize(t) for t in temps)
    for temp in temps:
        os.remove(temp)
    if rolled_back:
        con = sqlite3.connect(path)         # opening rolls the unfinished transaction back
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchall()
        finally:
            con.close()
    done = [f"removed {len(temps)} temporary files ({size / 2**20:.1f} MB)"] if temps else []
    done += ["rolled back its unfinished write"] if rolled_back else []
    warnings.warn(f"an earlier relsynth run writing {path} was killed: " + (" and ".join(done) or "nothing was left"),
                  stacklevel=4)


def _sqlite_has_tables(path: str) -> bool:
    if not os.path.exists(path):
        return False
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
    except sqlite3.DatabaseError:
        return True         # not ours to remove
    finally:
        con.close()


def _refuse_outside_sqlite_references(conn: sa.Connection, url: sa.URL, existing: Sequence[str],
                                      names: Sequence[str]) -> None:
    """Refuse to replace tables that foreign keys of tables outside the schema point at."""
    rows = conn.exec_driver_sql(
        "SELECT m.name, f.\"table\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f "
        "WHERE m.type = 'table' ORDER BY m.name").all()
    replaced, ours = set(existing), set(names)
    outside = sorted({f"{child} (-> {parent})" for child, parent in rows if parent in replaced and child not in ours})
    if outside:
        raise TargetError(f"cannot replace tables in {safe_url(url)}: foreign keys of tables outside the schema "
                          f"point at them: {_listed(outside)}",
                          hint="drop those tables first, or write into another file; nothing was changed")


def _own_transactions(dbapi_connection: sqlite3.Connection, record: object) -> None:
    # the driver's own BEGIN would leave CREATE and DROP outside the transaction: relsynth emits
    # BEGIN IMMEDIATE itself, so DDL and rows commit or roll back together
    dbapi_connection.isolation_level = None
    sqlite_foreign_keys(dbapi_connection, record)
    dbapi_connection.execute("PRAGMA busy_timeout = 10000")


def sqlite_foreign_keys(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    """SQLite enforces foreign keys only when each connection asks it to."""
    dbapi_connection.execute("PRAGMA foreign_keys = ON")
