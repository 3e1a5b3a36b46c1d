"""A MariaDB/MySQL clone built from the source's own DDL (see :mod:`relsynth.schema.native_mysql`).

Used by the MariaDB/MySQL writer (:mod:`relsynth.write.target`) when the schema carries a
trusted native record of the target's flavor (MariaDB or MySQL). Each staging table is created from its source's
``CREATE TABLE`` with the table names (its own and every ``REFERENCES``) changed to the staging
names, so indexes, foreign-key actions, ``ON UPDATE CURRENT_TIMESTAMP``, comments and table
options come along. Foreign key names are the source's unless a table still on the target
holds them (the writer's constraint naming).

Views, routines, triggers and events are created once the tables are swapped in, so no
trigger fires on the synthetic rows. Each is created in the session it was created in on the
source (its ``SET SESSION`` line) and sent as one statement (no DELIMITER). All or nothing: when
one is refused (or the run is interrupted), the objects created are dropped, the swap is undone
(the old tables back under their names, the new ones dropped) and the target's objects this run
dropped are created again; then a TargetError names the object and the server's reason. An
undo that fails itself (the server gone, a second Ctrl-C) says so: the old tables may then be
left under their ``_rs??????_`` backup names.

With ``replace=True``, the target's views, routines, triggers and events that the source also
has (by name), and the triggers of the tables replaced, are dropped (after the swap) and named
in one warning. Without it, a target holding any of them is refused before anything is written.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter, defaultdict
from typing import Callable, Mapping, Sequence

import sqlalchemy as sa

from relsynth.errors import Note, TargetError
from relsynth.schema.model import Schema
from relsynth.schema.native_mysql import TOKEN, flavor, read_post_objects, unquote
from relsynth.schema.objects import POST, NativeSchema, SchemaObject, summary
from relsynth.write.objects import runnable

_PLURAL = {"VIEW": "views", "FUNCTION": "functions", "PROCEDURE": "procedures", "TRIGGER": "triggers",
           "EVENT": "events"}
_TABLE_MODE = "NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION"     # as mysqldump creates tables
Namer = Callable[[str, "str | None", str], "str | None"]           # (kind, source name, table) -> name


def native_for(schema: Schema, conn: sa.Connection) -> NativeSchema | None:
    """The schema's native record when the writer may run it on ``conn``'s database: trusted,
    and read from a server of the target's flavor (MariaDB's SQL is not MySQL's); None, with a
    note saying what the target will lack, otherwise."""
    native = runnable(schema, conn)
    if native is None:
        return None
    if native.dialect != flavor(conn.dialect):
        warnings.warn(f"not carried to {flavor(conn.dialect)} (the source is {native.dialect}): the tables come "
                      f"from the reflected columns and keys, without "
                      f"{summary(Counter(o.kind for o in native if o.kind != 'TABLE'))}", Note, stacklevel=3)
        return None
    tables = {o.table for o in native if o.kind == "TABLE"}
    return native if all(t.name in tables for t in schema) else None


class NativeWrite:
    """The native DDL of one MariaDB/MySQL write: staging tables, then the objects after the swap."""

    def __init__(self, native: NativeSchema, schema: Schema, replace: bool) -> None:
        self.schema, self.replace = schema, replace
        self.tables = {o.table: o for o in native if o.kind == "TABLE" and o.table in schema}
        self.post = [o for o in native.section(POST) if o.kind in _PLURAL
                     and (o.kind != "TRIGGER" or o.table in schema)]
        self.dropped: list[SchemaObject] = []       # the target's, to create again on undo

    # ------------------------------------------------------------------ before the write

    def prepare(self, conn: sa.Connection, url_shown: str, existing: Sequence[str]) -> None:
        """Find the target's objects the write replaces; refuse them without ``replace``."""
        present = sa.inspect(conn).get_table_names()
        ours = {(o.kind, o.name.lower()) for o in self.post}
        replaced = set(existing)
        theirs = read_post_objects(conn, None, present)
        self.dropped = [o for o in theirs if (o.kind, o.name.lower()) in ours
                        or (o.kind == "TRIGGER" and o.table in replaced)]
        if self.dropped and not self.replace:
            raise TargetError(f"target {url_shown} already has {described(self.dropped)}",
                              hint="pass --replace to replace them, or write into another database; "
                                   "nothing was changed")

    def create_tables(self, conn: sa.Connection, staged: Mapping[str, str], name: Namer,
                      md: sa.MetaData) -> None:
        """The staging tables from the source's CREATE TABLE, foreign keys between them."""
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.execute("SELECT @@SESSION.sql_mode")
            (mode,) = cursor.fetchone()
            cursor.execute(f"SET SESSION sql_mode = '{_TABLE_MODE}', FOREIGN_KEY_CHECKS = 0")
            try:
                for table in staged:
                    cursor.execute(staged_sql(self.tables[table].sql, staged, name, table).encode("utf-8"))
            finally:
                cursor.execute("SET SESSION sql_mode = %s, FOREIGN_KEY_CHECKS = 1", (mode,))
            # a deferred UPDATE must not move these to now(): it sets them to their own value
            cursor.execute("SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS "
                           "WHERE TABLE_SCHEMA = DATABASE() AND EXTRA LIKE '%on update%'")
            for table, column in cursor.fetchall():
                if table in md.tables and column in md.tables[table].c:
                    md.tables[table].c[column].server_onupdate = sa.FetchedValue(for_update=True)
        finally:
            cursor.close()

    # ------------------------------------------------------------------ after the swap

    def finish(self, conn: sa.Connection, engine: sa.Engine, undo: Callable[[sa.Connection], None]) -> None:
        """Drop the target's objects replaced, create the source's; on any failure put the
        target back as it was (``undo`` reverses the swap) and raise."""
        raw = engine.raw_connection()       # its session settings change per object: not pooled again
        gone: list[SchemaObject] = []        # the target's, dropped
        created: list[SchemaObject] = []
        current: SchemaObject | None = None
        what = "drop the target's"
        try:
            cursor = raw.cursor()
            for obj in self.dropped:
                current = obj
                cursor.execute(drop_sql(obj))
                gone.append(obj)
            what = "create"
            for obj in self.post:
                current = obj
                run_object(cursor, obj)
                created.append(obj)
        except BaseException as exc:
            raw.invalidate()
            conn.invalidate()       # a statement cut by Ctrl-C must not block the undo
            self._undo(engine, created, gone, undo)
            if isinstance(exc, (sa.exc.DBAPIError, engine.dialect.loaded_dbapi.Error)) and current is not None:
                raise TargetError(f"{engine.dialect.name} refused to {what} {current.label}: {_one_line(exc)}",
                                  hint="nothing was kept: the target is as it was; the object's SQL is the "
                                       "source's own (SHOW CREATE), check it runs on this server") from exc
            raise
        raw.invalidate()
        if self.dropped:
            warnings.warn(f"replacing: dropped {described(self.dropped)}", stacklevel=4)

    def _undo(self, engine: sa.Engine, created: Sequence[SchemaObject], gone: Sequence[SchemaObject],
              undo: Callable[[sa.Connection], None]) -> None:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            for obj in reversed(created):
                cursor.execute(drop_sql(obj))
            with engine.connect() as conn:
                undo(conn)
            for obj in gone:          # the target's, as they were (triggers on the old tables again)
                run_object(cursor, obj)
        except Exception as exc:
            raise TargetError(f"the write failed and could not be undone whole: {_one_line(exc)}",
                              hint="the target holds the new tables or the old ones under _rs??????_ names "
                                   "(a run with replace=True drops those); check its views, routines, "
                                   "triggers and events") from exc
        finally:
            raw.invalidate()


def staged_sql(sql: str, staged: Mapping[str, str], name: Namer, table: str) -> str:
    """A source CREATE TABLE creating ``staged[table]``, its foreign keys to the staging names,
    its constraint names as ``name`` gives them (None: the server's own)."""
    tokens = TOKEN.findall(sql.rstrip().rstrip(";"))
    words = [i for i, t in enumerate(tokens) if not t.isspace()]
    upper = [tokens[i].upper() for i in words]
    for n, i in enumerate(words):
        word = upper[n]
        nxt = words[n + 1] if n + 1 < len(words) else None
        if nxt is None:
            break
        if (word == "TABLE" and n == 1) or (word == "REFERENCES" and (n + 2 >= len(words) or tokens[words[n + 2]] != ".")):
            target = unquote(tokens[nxt])
            if target in staged:
                tokens[nxt] = quote(staged[target])
        elif word == "CONSTRAINT" and n + 2 < len(words) and upper[n + 2] in ("FOREIGN", "CHECK"):
            kind = "FOREIGN KEY" if upper[n + 2] == "FOREIGN" else "CHECK"
            new = name(kind, unquote(tokens[nxt]), table)
            if new is None:       # the server names it <staging table>_ibfk_N, renamed with the table
                for k in range(i, words[n + 2]):
                    tokens[k] = ""
            else:
                tokens[nxt] = quote(new)
    return "".join(tokens)


def run_object(cursor: object, obj: SchemaObject) -> None:
    """Create ``obj`` in the session its SQL names, sent as one statement in the client character
    set it was written in."""
    settings, create = split_session(obj.sql)
    if settings:
        cursor.execute(settings)        # type: ignore[attr-defined]
    charset = re.search(r"\bcharacter_set_client = (\w+)", settings or "")
    cursor.execute(create.encode(_codec(charset.group(1) if charset else "utf8mb4")))   # type: ignore[attr-defined]


def split_session(sql: str) -> tuple[str | None, str]:
    """(the ``SET SESSION ...`` line or None, the one CREATE statement without its ``;``)."""
    sql = sql.strip()
    settings = None
    if sql.upper().startswith("SET SESSION "):
        settings, _, sql = sql.partition("\n")
    return settings, sql.rstrip().removesuffix(";").rstrip()


def drop_sql(obj: SchemaObject) -> str:
    return f"DROP {obj.kind} IF EXISTS {quote(obj.name)}"


def described(objects: Sequence[SchemaObject]) -> str:
    """``3 views (a, b, c), 2 triggers (t1, t2)``: one part per kind."""
    by_kind: dict[str, list[str]] = defaultdict(list)
    for obj in objects:
        by_kind[obj.kind].append(obj.name)
    return ", ".join(f"{len(names)} {_PLURAL[kind] if len(names) > 1 else kind.lower()} ({', '.join(names)})"
                     for kind, names in by_kind.items())


def quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _codec(charset: str) -> str:
    try:
        from pymysql.charset import charset_by_name   # the driver's own map of MySQL character sets
        return charset_by_name(charset).encoding
    except Exception:        # another driver, or a character set pymysql does not know
        return "utf-8"


def _one_line(exc: BaseException) -> str:
    from relsynth.write.target import _one_line as one_line   # target imports this module

    return one_line(getattr(exc, "orig", None) or exc)
