"""Running the source's own DDL (``Schema.native``) on a same-dialect target.

The writer calls :func:`runnable` to decide whether the objects can be created: the target
must be the source's dialect, the record must come from the source itself in this run (or from
a model directory the user trusts, ``--trust-ddl``), and on PostgreSQL the tables must land in
the schema they came from (pg_dump names it in every statement). Otherwise the tables come
from the portable records and a note lists every object that is not carried.

Each object runs in its own savepoint. A table, type, key or foreign key the target refuses
stops the write (nothing is kept); an index, view, function or trigger it refuses is left out
and named in a warning, with the server's reason.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from decimal import Decimal
from typing import Callable, Iterable, Sequence

import sqlalchemy as sa

from relsynth.errors import Note, TargetError
from relsynth.schema.model import Schema
from relsynth.schema.objects import PRE, NativeSchema, SchemaObject, plural

# objects the rows cannot go in without (pre), or whose refusal means our rows break a
# constraint (post): their failure stops the write
_REQUIRED = frozenset({"TABLE", "TABLE ATTACH", "TYPE", "DOMAIN", "SEQUENCE", "SEQUENCE OWNED BY", "DEFAULT",
                       "EXTENSION", "SCHEMA", "CONSTRAINT", "FK CONSTRAINT", "COLLATION"})
# what the portable records carry to any target: tables, keys, checks and foreign keys
_PORTABLE = frozenset({"TABLE", "TABLE ATTACH", "CONSTRAINT", "FK CONSTRAINT", "SEQUENCE", "SEQUENCE OWNED BY",
                       "DEFAULT", "INDEX ATTACH", "EXTENSION", "TYPE", "DOMAIN", "SCHEMA"})
# "already there" SQLSTATEs: the target holds an object of the same name
_DUPLICATE = frozenset({"42P07", "42710", "42723", "42P06", "42P16"})
_DROPPABLE = ("MATERIALIZED VIEW", "VIEW", "AGGREGATE", "PROCEDURE", "FUNCTION", "SEQUENCE", "DOMAIN", "TYPE")
_FAMILY = {"mariadb": "mysql"}


def runnable(schema: Schema, conn: sa.Connection) -> NativeSchema | None:
    """The native objects to create on ``conn``'s database, or None (with a note saying what
    the target will lack) when the portable records must do."""
    native = schema.native
    if native is None:
        return None
    target = conn.dialect.name
    # indexes on plain columns (unique ones as unique constraints) are carried by the records too
    carried = {i.name for t in schema for i in t.indexes} | {u.name for t in schema for u in t.unique}
    # a partition's own objects go with it (a note says partitioned tables are plain elsewhere)
    partitions = {p.name for t in schema if t.partitioning is not None for p in t.partitioning.partitions}
    lacking = _listed(o for o in native if o.kind not in _PORTABLE and o.table not in partitions
                      and not (o.kind == "INDEX" and o.name in carried))
    if _FAMILY.get(native.dialect, native.dialect) != _FAMILY.get(target, target):
        if lacking:
            warnings.warn(f"not carried to {target} (the source is {native.dialect}): {lacking}", Note, stacklevel=3)
        return None
    if not native.trusted:
        if lacking:
            warnings.warn(f"the model directory holds the source's SQL for {lacking}; not created, since that SQL "
                          f"would run on the target: pass --trust-ddl (trust_ddl=True) for a directory you made",
                          Note, stacklevel=3)
        return None
    if target == "postgresql":
        here = conn.exec_driver_sql("SELECT current_schema()").scalar()
        if here != (schema.name or "public"):
            if lacking:
                warnings.warn(f"not carried into schema {here} (the objects name schema {schema.name or 'public'}): "
                              f"{lacking}", Note, stacklevel=3)
            return None
    return native


def create_objects(conn: sa.Connection, native: NativeSchema, section: str) -> list[str]:
    """Create the ``section`` objects in order; those left out, with the target's reason."""
    skipped: list[str] = []
    failed: set[str] = set()
    with _dump_settings(conn):
        for obj in native.section(section):
            error = _run(conn, obj.sql)
            if error is None:
                continue
            code, message = error
            if code in _DUPLICATE:
                raise TargetError(f"the target already holds {obj.label}: {message}",
                                  hint="choose an empty target database, or pass --replace to drop the source's "
                                       "objects there first")
            if obj.kind in _REQUIRED and not (obj.table and obj.table in failed):
                raise TargetError(f"{conn.dialect.name} refused {obj.label}: {message}",
                                  hint="nothing was kept; the synthetic rows or the target break the source's "
                                       "definition; please report it with this message")
            failed.add(obj.name)
            skipped.append(f"{obj.label} ({message})")
    if skipped:
        warnings.warn(f"not carried: {len(skipped)} objects the target refused: " + "; ".join(skipped), stacklevel=3)
    return skipped


def refresh_materialized_views(conn: sa.Connection, native: NativeSchema, schema: str) -> None:
    """Materialized views hold the synthetic rows' results, as a restored dump's do."""
    q = conn.dialect.identifier_preparer.quote
    for obj in native:
        if obj.kind == "MATERIALIZED VIEW":
            error = _run(conn, f"REFRESH MATERIALIZED VIEW {_qualified(schema, obj.name, q)}")
            if error is not None:
                warnings.warn(f"materialized view {obj.name} left empty: {error[1]}", stacklevel=2)


def drop_objects(conn: sa.Connection, native: NativeSchema | None, tables: Sequence[str]) -> list[str]:
    """Before a replace on PostgreSQL: drop ``tables`` (in the target's own schema) and the
    target's objects the source also has (views, functions, types, ...), with what depends on
    them; every object of the schema that is gone afterwards, named (``view open_tasks``)."""
    q = conn.dialect.identifier_preparer.quote
    schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
    statements = [(f"table {t}", f"DROP TABLE IF EXISTS {q(schema)}.{q(t)} CASCADE") for t in tables]
    for obj in reversed(native.section(PRE) if native else []):
        if obj.kind in _DROPPABLE:
            statements.append((obj.label, f"DROP {obj.kind} IF EXISTS {_qualified(schema, obj.name, q)} CASCADE"))
    before = _inventory(conn, schema)
    conn.exec_driver_sql("SET LOCAL client_min_messages = warning")   # no "does not exist, skipping"
    for label, statement in statements:
        error = _run(conn, statement)
        if error is not None:
            raise TargetError(f"could not drop {label} on the target: {error[1]}",
                              hint="drop it by hand, or choose an empty target database")
    conn.exec_driver_sql("SET LOCAL client_min_messages TO DEFAULT")
    gone = before - _inventory(conn, schema)
    return [label for _, label in sorted(gone)]


def _inventory(conn: sa.Connection, schema: str) -> set[tuple[int, str]]:
    """The schema's relations, functions and types, as (order, "kind name")."""
    rows = conn.execute(sa.text("""
        SELECT CASE c.relkind WHEN 'r' THEN 0 WHEN 'p' THEN 0 WHEN 'v' THEN 1 WHEN 'm' THEN 2
                              WHEN 'f' THEN 0 ELSE 5 END,
               CASE c.relkind WHEN 'v' THEN 'view ' WHEN 'm' THEN 'materialized view '
                              WHEN 'S' THEN 'sequence ' ELSE 'table ' END || c.relname
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = :schema AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
        UNION ALL
        SELECT 3, CASE p.prokind WHEN 'a' THEN 'aggregate ' WHEN 'p' THEN 'procedure ' ELSE 'function ' END
                  || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = :schema
        UNION ALL
        SELECT 4, CASE t.typtype WHEN 'd' THEN 'domain ' ELSE 'type ' END || t.typname
        FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = :schema AND (t.typtype IN ('e', 'd', 'r', 'm')
              OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))"""),
        {"schema": schema})
    return {(int(order), str(label)) for order, label in rows}


_KIND_WORDS = ("materialized view", "view", "table", "function", "procedure", "aggregate", "type", "domain",
               "sequence", "trigger", "constraint", "index", "event", "rule", "default value")


def name_dropped(dropped: Iterable[str]) -> None:
    """One warning that names every object a replace dropped, grouped by kind (labels as the
    server words them: ``view open_tasks``, ``constraint fk on table t``)."""
    kinds: dict[str, list[str]] = defaultdict(list)
    for label in dict.fromkeys(dropped):
        kind = next((k for k in _KIND_WORDS if label.startswith(k + " ")), "object")
        kinds[kind].append(label[len(kind) + 1:] if kind != "object" else label)
    if kinds:
        listed = "; ".join(f"{plural(kind, len(names))} ({', '.join(names)})" for kind, names in kinds.items())
        warnings.warn(f"replacing: dropped {listed}", stacklevel=3)


def advance_sequences(conn: sa.Connection, schema_name: str, positions: dict[str, int]) -> None:
    """Every sequence of the schema past the source's position and past the largest value of
    each column whose default draws from it or that owns it (serial, identity)."""
    rows = conn.execute(sa.text(
        "SELECT c.oid, c.relname, t.relname AS tab, a.attname FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = :schema "
        "LEFT JOIN pg_depend d ON d.refobjid = c.oid AND d.refclassid = 'pg_class'::regclass AND ("
        "   (d.classid = 'pg_attrdef'::regclass) OR (d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))) "
        "LEFT JOIN pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND ad.oid = d.objid "
        "LEFT JOIN pg_class t ON t.oid = COALESCE(ad.adrelid, d.objid) AND t.relkind IN ('r', 'p') "
        "LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = COALESCE(ad.adnum, d.objsubid) "
        "WHERE c.relkind = 'S'"), {"schema": schema_name}).all()
    q = conn.dialect.identifier_preparer.quote
    users: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for _oid, sequence, table, column in rows:
        users.setdefault(sequence, [])
        if table is not None and column is not None:
            users[sequence].append((table, column))
    for sequence, columns in users.items():
        tops = [conn.exec_driver_sql(f"SELECT MAX({q(c)}) FROM {q(schema_name)}.{q(t)}").scalar() for t, c in columns]
        values = [int(v) for v in tops if isinstance(v, (int, Decimal))]    # a text column (a code) has no position
        position = max([positions.get(sequence, 0), *values])
        if position > 0:
            conn.execute(sa.text("SELECT setval(:s, :v, true)"),
                         {"s": f"{q(schema_name)}.{q(sequence)}", "v": position})


def _qualified(schema: str, name: str, quote: Callable[[str], str]) -> str:
    """``public."Name"(integer, text)`` from pg_dump's ``Name(integer, text)``."""
    base, paren, args = name.partition("(")
    return f"{quote(schema)}.{quote(base)}{paren}{args}"


class _dump_settings:
    """The session settings pg_dump's script runs under: names resolved only as written, and
    function bodies not checked (they may use objects created later). Local to the write's
    transaction; the rows then go in under the target's own settings."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"

    def __enter__(self) -> None:
        if self.postgres:
            self.conn.exec_driver_sql("SET LOCAL check_function_bodies = false")
            self.conn.exec_driver_sql("SELECT pg_catalog.set_config('search_path', '', true)")

    def __exit__(self, *exc: object) -> None:
        if self.postgres and exc[0] is None:
            self.conn.exec_driver_sql("SET LOCAL search_path TO DEFAULT")
            self.conn.exec_driver_sql("SET LOCAL check_function_bodies TO DEFAULT")


def _run(conn: sa.Connection, sql: str) -> tuple[str | None, str] | None:
    """Run ``sql`` (one or more statements, as the source wrote them) in a savepoint; on
    refusal, the SQLSTATE and the first line of the server's message."""
    dbapi_error = conn.dialect.loaded_dbapi.Error
    try:
        with conn.begin_nested():
            cursor = conn.connection.dbapi_connection.cursor()
            try:
                cursor.execute(sql)     # no parameters: a '%' in the SQL is literal
            finally:
                cursor.close()
    except dbapi_error as exc:
        code = getattr(exc, "pgcode", None)
        return code, (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return None


def _listed(objects: Iterable[SchemaObject], most: int = 4) -> str:
    kinds: dict[str, list[str]] = defaultdict(list)
    for obj in objects:
        kinds[obj.kind.lower()].append(obj.name)
    parts = []
    for kind, names in sorted(kinds.items()):
        shown = ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")
        parts.append(f"{plural(kind, len(names))} ({shown})")
    return "; ".join(parts)
