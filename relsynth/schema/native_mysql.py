"""Every object of one MariaDB/MySQL database as the server itself renders it (``SHOW CREATE``).

Tables (``pre``, one CREATE TABLE each, ``AUTO_INCREMENT=N`` left out: the writer moves the
counter past the keys it writes), then (``post``) functions, procedures, views (each after the
views it selects from), triggers (per table in their firing order) and events. ``DEFINER=``
clauses are left out, so the target's user becomes the definer; ``SQL SECURITY`` stays.

A routine, view, trigger or event behaves by the session it was created in: its SQL starts
with one ``SET SESSION sql_mode = ..., character_set_client = ..., ...;`` line giving the
source's values (``mysqldump`` does the same), followed by the one CREATE statement (no
DELIMITER: the writer sends it whole).

Left out: tables the config excludes, their triggers, foreign keys pointing at them and views
that select from them (a Note names these); a routine that uses one is kept (its body is only
resolved when called). Also left out, named in a Note: an object the source's user may not
read (SHOW VIEW, TRIGGER, EVENT privileges; a routine shows its body to its definer or to
SHOW CREATE ROUTINE only); a table it may not read means no record at all. Routines and
triggers a user may not see are not even listed to it: those go unnoticed.
"""

from __future__ import annotations

import re
import warnings
from contextlib import contextmanager
from typing import Iterator, Sequence

import sqlalchemy as sa

from relsynth.errors import Note
from relsynth.schema.objects import POST, PRE, NativeSchema, SchemaObject

# one SQL token: a quoted identifier, a string, a word, blanks, or any other character
TOKEN = re.compile(r"`(?:[^`]|``)*`|'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.|\"\")*\"|\w+|\s+|.", re.S)
_USER = r"(?:`(?:[^`]|``)*`|'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[\w$.%-]+)"
_DEFINER = re.compile(rf"\bDEFINER\s*=\s*(?:CURRENT_USER(?:\s*\(\s*\))?|CURRENT_ROLE|{_USER}(?:\s*@\s*{_USER})?)\s*",
                      re.I)
_SETTINGS = ("sql_mode", "time_zone", "character_set_client", "collation_connection")


def read_mysql(conn: sa.Connection, schema_name: str | None, tables: Sequence[str]) -> NativeSchema | None:
    """The DDL of ``tables`` and of the views, routines, triggers and events of the database;
    None (with a Note) when the source's user may not read a table's."""
    with _rendering(conn, schema_name, tables) as reader:
        created = reader.tables()
        objects = created + reader.post() if len(created) == len(tables) else []
    version = conn.exec_driver_sql("SELECT VERSION()").scalar_one()
    unread = ", ".join(reader.unreadable)
    if len(created) < len(tables):
        warnings.warn(f"the source's user may not read the definition of {unread}: the clone's tables are built "
                      f"from the reflected columns and keys (no views, routines, triggers or events)",
                      Note, stacklevel=3)
        return None
    if reader.left_out:
        warnings.warn(f"left out with the excluded tables: {', '.join(reader.left_out)}", Note, stacklevel=3)
    if reader.unreadable:
        warnings.warn(f"not cloned, the source's user may not read their definition: {unread} (grant it "
                      f"SHOW VIEW, TRIGGER, EVENT or SHOW CREATE ROUTINE as needed)", Note, stacklevel=3)
    return NativeSchema(dialect=flavor(conn.dialect), tool=f"SHOW CREATE ({version})", objects=tuple(objects))


def flavor(dialect: sa.engine.Dialect) -> str:
    """``mariadb`` or ``mysql``: SQLAlchemy names both ``mysql`` under a ``mysql://`` URL."""
    return "mariadb" if getattr(dialect, "is_mariadb", False) else "mysql"


def read_post_objects(conn: sa.Connection, schema_name: str | None, tables: Sequence[str]) -> list[SchemaObject]:
    """The views, routines, triggers (of ``tables``) and events of the database."""
    with _rendering(conn, schema_name, tables) as reader:
        return reader.post()


@contextmanager
def _rendering(conn: sa.Connection, schema_name: str | None, tables: Sequence[str]) -> Iterator["_Reader"]:
    database = schema_name or conn.exec_driver_sql("SELECT DATABASE()").scalar_one()
    mode = conn.exec_driver_sql("SELECT @@SESSION.sql_mode").scalar_one()
    # no ANSI_QUOTES or NO_TABLE_OPTIONS while the server renders: backquotes and every option
    conn.exec_driver_sql("SET SESSION sql_mode = ''")
    try:
        yield _Reader(conn, database, tables)
    finally:
        conn.exec_driver_sql("SET SESSION sql_mode = %s", (mode,))
        conn.rollback()     # end the reads' implicit transaction


class _Reader:
    def __init__(self, conn: sa.Connection, database: str, tables: Sequence[str]) -> None:
        self.conn, self.database, self.kept = conn, database, list(tables)
        self.q = conn.dialect.identifier_preparer.quote
        self.left_out: list[str] = []
        self.unreadable: list[str] = []

    def _names(self, sql: str) -> list[tuple]:
        return [tuple(r) for r in self.conn.execute(sa.text(sql), {"db": self.database})]

    def _show(self, kind: str, name: str, column: str) -> dict[str, object] | None:
        """SHOW CREATE's row (keys lower-cased); None, noted, when the user may not read ``column``."""
        try:
            row = self.conn.exec_driver_sql(f"SHOW CREATE {kind} {self.q(self.database)}.{self.q(name)}").mappings().one()
        except sa.exc.DBAPIError:          # e.g. SHOW VIEW or TRIGGER not granted
            row = None
        found = None if row is None else {k.lower(): v for k, v in row.items()}
        if found is None or found.get(column) is None:    # a routine: shown to its definer (or a privilege) only
            self.unreadable.append(f"{kind.lower()} {name}")
            return None
        return found

    def tables(self) -> list[SchemaObject]:
        out = []
        for name in self.kept:
            row = self._show("TABLE", name, "create table")
            if row is None:
                continue
            sql = without_auto_increment(str(row["create table"]))
            sql = self._without_foreign_keys_to_excluded(name, sql)
            out.append(SchemaObject("TABLE", name, sql + ";", PRE, table=name))
        return out

    def _without_foreign_keys_to_excluded(self, table: str, sql: str) -> str:
        head, _, rest = sql.partition("\n")
        body, close, tail = rest.rpartition("\n)")
        items = body.split(",\n")      # SHOW CREATE TABLE: one column, key or constraint a line
        kept = []
        for item in items:
            words = [t for t in TOKEN.findall(item) if not t.isspace()]
            if words[:1] == ["CONSTRAINT"] and "REFERENCES" in words:
                parent = self._local(words[words.index("REFERENCES") + 1:])
                if parent is not None and parent not in self.kept:
                    self.left_out.append(f"foreign key {unquote(words[1])} of {table}")
                    continue
            kept.append(item)
        return head + "\n" + ",\n".join(kept) + close + tail if len(kept) < len(items) else sql

    def _local(self, words: list[str]) -> str | None:
        """The table named at the start of ``words`` when it is of this database."""
        if len(words) >= 3 and words[1] == ".":
            return unquote(words[2]) if unquote(words[0]) == self.database else None
        return unquote(words[0]) if words else None

    def post(self) -> list[SchemaObject]:
        # routines first: a view may call a function, and no routine body is resolved when created
        return self.routines() + self.views() + self.triggers() + self.events()

    def routines(self) -> list[SchemaObject]:
        out = []
        for kind, name in self._names("SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES "
                                      "WHERE ROUTINE_SCHEMA = :db AND ROUTINE_TYPE IN ('FUNCTION', 'PROCEDURE') "
                                      "ORDER BY ROUTINE_TYPE, ROUTINE_NAME"):
            row = self._show(kind, name, f"create {kind.lower()}")
            if row is not None:
                out.append(self._post(kind, name, row, row[f"create {kind.lower()}"]))
        return out

    def views(self) -> list[SchemaObject]:
        names = [n for (n,) in self._names("SELECT TABLE_NAME FROM information_schema.VIEWS "
                                           "WHERE TABLE_SCHEMA = :db ORDER BY TABLE_NAME")]
        rows = {n: self._show("VIEW", n, "create view") for n in names}
        unread = {n for n in names if rows[n] is None}
        names = [n for n in names if n not in unread]
        sql = {n: self._unqualified(str(rows[n]["create view"])) for n in names}
        uses = {n: set(self._selected_from(sql[n])) for n in names}
        excluded = self._all_tables() - set(self.kept) - set(names)
        dropped = {n for n in names if uses[n] & (excluded | unread)}
        while True:           # and the views selecting from those
            more = {n for n in names if n not in dropped and uses[n] & dropped}
            if not more:
                break
            dropped |= more
        self.left_out += [f"view {n}" for n in names if n in dropped]
        order: list[str] = []

        def visit(name: str, path: tuple[str, ...]) -> None:
            if name in order or name in path:     # a cycle cannot be: the server names no view before it exists
                return
            for used in sorted(uses[name] & set(names)):
                visit(used, path + (name,))
            order.append(name)

        for name in names:
            if name not in dropped:
                visit(name, ())
        return [self._post("VIEW", n, rows[n], sql[n]) for n in order]

    def _all_tables(self) -> set[str]:
        return {n for (n,) in self._names("SELECT TABLE_NAME FROM information_schema.TABLES "
                                          "WHERE TABLE_SCHEMA = :db AND TABLE_TYPE <> 'VIEW'")}

    def _unqualified(self, sql: str) -> str:
        """``sql`` without this database's name before its objects' (the server adds it when the
        view is read from another database); the clone's objects are in the target's database."""
        tokens = TOKEN.findall(sql)
        out = []
        for i, tok in enumerate(tokens):
            if tok.startswith("`") and unquote(tok) == self.database and tokens[i + 1:i + 2] == ["."]:
                tokens[i + 1] = ""
                continue
            out.append(tok)
        return "".join(out)

    def _selected_from(self, sql: str) -> Iterator[str]:
        """The tables and views a view's rendered SQL selects from (after FROM and JOIN)."""
        words = [t for t in TOKEN.findall(sql) if not t.isspace()]
        for i, word in enumerate(words):
            if word.lower() in ("from", "join"):
                j = i + 1
                while j < len(words) and words[j] == "(":
                    j += 1
                name = self._local(words[j:j + 3])
                if name is not None and words[j].startswith("`"):
                    yield name

    def triggers(self) -> list[SchemaObject]:
        out = []
        for name, table in self._names("SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS "
                                       "WHERE TRIGGER_SCHEMA = :db ORDER BY EVENT_OBJECT_TABLE, "
                                       "EVENT_MANIPULATION, ACTION_TIMING, ACTION_ORDER"):
            if table not in self.kept:
                self.left_out.append(f"trigger {name}")
                continue
            row = self._show("TRIGGER", name, "sql original statement")
            if row is None:
                continue
            sql = trigger_unqualified(str(row["sql original statement"]))
            out.append(self._post("TRIGGER", name, row, sql, table=table))
        return out

    def events(self) -> list[SchemaObject]:
        out = []
        for (name,) in self._names("SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = :db "
                                   "ORDER BY EVENT_NAME"):
            row = self._show("EVENT", name, "create event")
            if row is not None:
                out.append(self._post("EVENT", name, row, row["create event"]))
        return out

    def _post(self, kind: str, name: str, row: dict[str, object], create: object,
              table: str | None = None) -> SchemaObject:
        settings = {k: row[k] for k in _SETTINGS if row.get(k) is not None}
        return SchemaObject(kind, name, session_sql(settings) + "\n" + without_definer(str(create)) + ";",
                            POST, table=table)


def session_sql(settings: dict[str, object]) -> str:
    """``SET SESSION sql_mode = '...', ...;``: the session an object was created in."""
    parts = []
    for key, value in settings.items():
        text = str(value)
        if key in ("sql_mode", "time_zone"):
            parts.append(f"{key} = '" + text.replace("\\", "\\\\").replace("'", "''") + "'")
        elif re.fullmatch(r"\w+", text):
            parts.append(f"{key} = {text}")
    return "SET SESSION " + ", ".join(parts) + ";"


def without_definer(sql: str) -> str:
    """``sql`` with the ``DEFINER=`` clause of its CREATE left out (only before the object's name)."""
    head = re.match(r"\s*CREATE\b(?:\s+OR\s+REPLACE)?(?:\s+ALGORITHM\s*=\s*\w+)?\s*", sql, re.I)
    if head is None:
        return sql
    rest = sql[head.end():]
    definer = _DEFINER.match(rest)
    return sql[:head.end()] + rest[definer.end():] if definer else sql


def without_auto_increment(sql: str) -> str:
    """A CREATE TABLE without its ``AUTO_INCREMENT=N`` table option (in the options after the
    columns, never inside a string)."""
    cut = sql.rfind("\n)")
    tokens = TOKEN.findall(sql[cut:])
    for i, tok in enumerate(tokens):
        if tok.upper() == "AUTO_INCREMENT" and tokens[i + 1:i + 2] == ["="] and tokens[i + 2:i + 3] \
                and tokens[i + 2].isdigit():
            blank = i - 1 if i > 0 and tokens[i - 1].isspace() else i
            return sql[:cut] + "".join(tokens[:blank] + tokens[i + 3:])
    return sql


def trigger_unqualified(sql: str) -> str:
    """A trigger's own text, but its name and table never qualified by a database: created as
    written, ``CREATE TRIGGER src.t ... ON src.x`` would go into the source's database."""
    tokens = TOKEN.findall(sql)
    words = [i for i, t in enumerate(tokens) if not t.isspace()]
    upper = [tokens[i].upper() for i in words]
    if "TRIGGER" not in upper or "ON" not in upper:
        return sql
    for at in (upper.index("TRIGGER") + 1, upper.index("ON") + 1):
        if upper[at:at + 2] == ["IF", "NOT"]:
            at += 3
        if at + 2 < len(words) and tokens[words[at + 1]] == ".":
            for i in range(words[at], words[at + 2]):
                tokens[i] = ""
    return "".join(tokens)


def unquote(word: str) -> str:
    return word[1:-1].replace("``", "`") if word.startswith("`") else word
