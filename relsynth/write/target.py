"""Writing a synthetic database all-or-nothing, on each kind of target.

PostgreSQL: one transaction holds the DDL, the COPYs, the UPDATEs and the setvals.
SQLite: everything goes into a new file beside the target, moved into place on success.
MariaDB/MySQL: DDL commits by itself, so a failed run (any exception, Ctrl-C included)
drops every table it created before re-raising. Limitation: with ``replace=True`` the old
tables are dropped before the new ones are loaded, so a failed replace leaves neither;
and a process killed outright (SIGKILL, power loss) leaves what it had created.
"""

from __future__ import annotations

import os
import re
import secrets
import sqlite3
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Callable, Mapping, Sequence

import pandas as pd
import sqlalchemy as sa

from relsynth.errors import ConnectionFailed, TargetError
from relsynth.schema.model import ForeignKey, Schema
from relsynth.write.ddl import create_tables, drop_tables
from relsynth.write.load import advance_identities, load_table, update_columns

Progress = Callable[[str, int], None]


def write_database(schema: Schema, frames: Mapping[str, pd.DataFrame], target_url: str | sa.URL, *,
                   order: Sequence[str], deferred: Sequence[tuple[str, ForeignKey]] = (),
                   replace: bool = False, progress: Progress | None = None) -> dict[str, int]:
    """Create ``schema`` in the target and load ``frames`` into it; rows written per table.

    ``order`` lists the tables to load, parents first; tables of the schema not in it are
    created empty. ``deferred`` foreign keys go in as NULL and are set once every table is
    loaded. ``progress(table, rows_so_far)`` is called after each chunk.
    """
    url = sa.make_url(target_url)
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
            self.deferred[table].extend(c for c in fk.columns if c not in self.deferred[table])

    def load(self, conn: sa.Connection, tables: Mapping[str, sa.Table],
             aliases: Mapping[str, str] | None = None) -> dict[str, int]:
        """Load the frames into ``tables`` (by schema name; created under those or other names)."""
        counts: dict[str, int] = {}
        for name in self.order:
            with _refused(conn, name, aliases):
                counts[name] = load_table(conn, tables[name], self.schema[name], self.frames[name],
                                          null_columns=self.deferred.get(name, ()), progress=self.progress)
        for name, columns in self.deferred.items():
            if name in counts:
                with _refused(conn, name, aliases):
                    update_columns(conn, tables[name], self.schema[name], self.frames[name], columns)
        return counts


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
    for name, fk in deferred:
        # a deferred foreign key goes in as NULL first
        required = [c for c in fk.columns if not schema[name].column(c).nullable]
        if required:
            raise ValueError(f"{name}: deferred foreign key {fk.label} has NOT NULL columns {required}")


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
        message = _one_line(orig)
        for staged in sorted(self.aliases, key=len, reverse=True):   # `_rs1a2b3c_child` before `_rs1a2b3c_c`
            message = message.replace(staged, self.aliases[staged])
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


# --------------------------------------------------------------------------- PostgreSQL


def _write_postgres(engine: sa.Engine, url: sa.URL, run: _Run, replace: bool) -> dict[str, int]:
    with connect(engine) as conn:
        with conn.begin():                       # rolled back on any exception, Ctrl-C included
            conn.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")   # naive datetimes are UTC
            existing = existing_tables(conn, [t.name for t in run.schema])
            if existing and not replace:
                _refuse_non_empty(url, existing)
            if existing:
                drop_tables(conn, existing)
                _drop_enum_types(conn, run.schema)
            with _refused(conn):
                md = create_tables(conn, run.schema)
            counts = run.load(conn, md.tables)
            advance_identities(conn, md)
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


def _write_mysql(engine: sa.Engine, url: sa.URL, run: _Run, replace: bool) -> dict[str, int]:
    names = [t.name for t in run.schema]
    conn = connect(engine)
    try:
        conn.exec_driver_sql("SET time_zone = '+00:00'")     # datetimes are written in UTC
        existing = existing_tables(conn, names)
        conn.rollback()      # end the inspection's implicit transaction
        if existing and not replace:
            _refuse_non_empty(url, existing)
        try:
            if existing:
                with conn.begin():
                    drop_tables(conn, existing)
            with conn.begin(), _refused(conn):
                md = create_tables(conn, run.schema)
            # an explicit transaction: the rows go in through the raw DBAPI cursor
            with conn.begin():
                counts = run.load(conn, md)
            with conn.begin():
                advance_identities(conn, md)
        except BaseException:
            # DDL is not transactional here: undo by dropping what this run created
            conn.invalidate()      # a half-sent batch must not block the DROPs below
            _drop_after_failure(engine, names)
            raise
        return counts
    finally:
        conn.close()


def _drop_after_failure(engine: sa.Engine, names: Sequence[str]) -> None:
    try:
        with engine.connect() as cleanup:
            drop_tables(cleanup, names)
            cleanup.commit()
    except Exception as exc:  # the original error matters more; say what is left behind
        warnings.warn(f"could not drop the partly written tables ({_one_line(exc)}): drop them by hand: "
                      f"{', '.join(names)}", stacklevel=3)


# --------------------------------------------------------------------------- SQLite


def _write_sqlite(url: sa.URL, run: _Run, replace: bool) -> dict[str, int]:
    path = url.database
    if not path or path == ":memory:" or path.startswith("file::memory:"):
        raise TargetError("an in-memory SQLite target would vanish when the run ends",
                          hint="give a file: sqlite:///path/to/synthetic.db")
    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise TargetError(f"folder {folder} does not exist", hint=f"create it first: mkdir -p {folder}")
    existing = _sqlite_tables(path)
    if existing and not replace:
        _refuse_non_empty(url, existing)
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(4)}.relsynth-tmp")
    engine = open_engine(url.set(database=tmp))
    sa.event.listen(engine, "connect", _fast_sqlite_pragmas)
    try:
        with connect(engine) as conn:
            with conn.begin(), _refused(conn):
                md = create_tables(conn, run.schema)
            # an explicit transaction: the rows go in through the raw DBAPI cursor
            with conn.begin():
                counts = run.load(conn, md.tables)
                advance_identities(conn, md)
        engine.dispose()
        _fsync(tmp)
        for stale in ("-wal", "-shm", "-journal"):   # journals of the old file must not meet the new one
            if os.path.exists(path + stale):
                os.remove(path + stale)
        os.replace(tmp, path)
        return counts
    except BaseException:
        engine.dispose()
        for leftover in (tmp, tmp + "-journal"):
            if os.path.exists(leftover):
                os.remove(leftover)
        raise


def _sqlite_tables(path: str) -> list[str]:
    """Tables already in the SQLite file at ``path`` (none if there is no file)."""
    if not os.path.exists(path):
        return []
    try:
        con = sqlite3.connect(Path(path).as_uri() + "?mode=ro", uri=True)   # read only: never creates
        try:
            rows = con.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                               "AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise TargetError(f"{path} exists and is not a SQLite database ({exc})",
                          hint="choose another file name") from None
    return [r[0] for r in rows]


def sqlite_foreign_keys(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    """SQLite enforces foreign keys only when each connection asks it to."""
    dbapi_connection.execute("PRAGMA foreign_keys = ON")


def _fast_sqlite_pragmas(dbapi_connection: sqlite3.Connection, record: object) -> None:
    # the file only counts once moved into place: no need to sync every commit
    sqlite_foreign_keys(dbapi_connection, record)
    dbapi_connection.execute("PRAGMA journal_mode = MEMORY")
    dbapi_connection.execute("PRAGMA synchronous = OFF")


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
