"""The target's tables: a Schema turned into SQLAlchemy MetaData for one dialect, and created.

Built from the schema's typed records only. SQL the schema carries (checks, defaults, native
type names) is parsed and allow-listed first (``relsynth.schema.expressions``) and what reaches
the target is re-rendered from the parse tree; one not allowed is an UnsafeExpression, raised
while the MetaData is built, before anything is created.

Same dialect as the source: native types, server defaults and check constraints as the source
has them, and the target must accept all of them. Another dialect: generic types, no server
defaults, and check constraints translated best-effort; a check the target rejects is
dropped with a warning naming it.

A table may be created under another name than the schema's (``table_names``: the MariaDB
writer loads staging tables, renamed into place at the end); ``info["relsynth_table"]`` of
each created table keeps the schema's name for messages.
"""

from __future__ import annotations

import warnings
from contextlib import nullcontext
from typing import Any, Iterable, Mapping

import sqlalchemy as sa
from sqlglot import exp

from relsynth.errors import Note
from relsynth.schema.expressions import parse_expression, render, safe_expression, translate
from relsynth.schema.model import Column, ForeignKey, Schema, Table
from relsynth.schema.generated import generated_sql
from relsynth.schema.partitions import create_partitions, partition_by
from relsynth.schema.safety import enum_types
from relsynth.schema.sqltypes import build

_INTEGERS = ("integer", "smallint", "bigint")
_TRANSLATED = "relsynth_translated"          # info key on checks that come from another dialect
_INDEXES = "relsynth_indexes"                 # info key on tables: their indexes, created after the tables


def target_metadata(schema: Schema, dialect: sa.engine.Dialect, *,
                    table_names: Mapping[str, str] | None = None) -> sa.MetaData:
    """Tables, columns, keys and constraints of ``schema`` as ``dialect`` should create them.

    ``table_names`` maps schema tables to the names to create them under (foreign keys
    follow); the MetaData is keyed by those names.
    """
    md = sa.MetaData()
    names = _ConstraintNames(dialect)
    if dialect.name == "postgresql":   # a unique key's index is a relation: it cannot share a table's name
        names.seen |= {(table_names or {}).get(t.name, t.name).lower() for t in schema}
        names.seen |= {p.name.lower() for t in schema if t.partitioning is not None for p in t.partitioning.partitions}
    flattened = [t.name for t in schema if t.partitioning is not None and dialect.name != "postgresql"]
    if flattened:
        warnings.warn(f"partitioned tables {', '.join(flattened)} are plain tables on {dialect.name}, "
                      f"holding all their partitions' rows (the partitions are not created)", Note, stacklevel=2)
    cyclic = cycle_foreign_keys(schema)
    created = {table.name: _table(md, table, dialect, schema.dialect, names, (table_names or {}).get(table.name))
               for table in schema}
    for table in schema:
        target = created[table.name]
        for fk in table.foreign_keys:
            if not fk.declared:          # a config-only relation: the parent key may not be unique
                continue
            if fk.parent not in created:
                warnings.warn(f"{table.name}: foreign key {fk.label} points outside the schema; not created",
                              stacklevel=2)
                continue
            parent = created[fk.parent]
            target.append_constraint(sa.ForeignKeyConstraint(
                list(fk.columns), [parent.c[c] for c in fk.parent_columns], name=names.take(fk.name),
                use_alter=(table.name, fk) in cyclic,
                ondelete=_action_on(fk.on_delete, dialect), onupdate=_action_on(fk.on_update, dialect),
                # a cycle may be closed by NOT NULL keys only: checked at COMMIT, once every row is in
                **({"deferrable": True, "initially": "DEFERRED"}
                   if dialect.name == "postgresql" and (table.name, fk) in cyclic else {})))
    for table in schema:
        target = created[table.name]
        for index in table.indexes:
            if all(c in target.c for c in index.columns):
                # kept out of create_all: created one by one, a target that refuses one (MySQL on a
                # TEXT column) loses that index only, with a warning
                target.info.setdefault(_INDEXES, []).append((names.take(index.name), index.columns))
    return md


def _action_on(action: str | None, dialect: sa.engine.Dialect) -> str | None:
    # InnoDB parses SET DEFAULT and refuses the table: the rows keep their keys, the action is lost
    return None if action == "SET DEFAULT" and dialect.name in ("mysql", "mariadb") else action


def _table(md: sa.MetaData, table: Table, dialect: sa.engine.Dialect, source: str,
           names: "_ConstraintNames", created_as: str | None = None) -> sa.Table:
    same = source == dialect.name
    keys = table.key_columns | {c for u in table.unique for c in u.columns}
    identity = _identity_column(table, dialect)
    columns = [_column(table, c, dialect, source, c.name in keys, c.name == identity) for c in table.columns]
    constraints: list[sa.schema.Constraint] = []
    if table.primary_key:
        constraints.append(sa.PrimaryKeyConstraint(*table.primary_key))
    for u in table.unique:
        constraints.append(sa.UniqueConstraint(*u.columns, name=names.take(u.name)))
    for check in table.checks:
        tree = parse_expression(check.sqltext, dialect=source, table=table.name, columns=table.column_names,
                                kind="check", types=enum_types(table))
        text = render(tree, dialect=source) if same else translate_check(tree, dialect)
        label = check.name or check.sqltext
        if text is None:
            warnings.warn(f"{table.name}: check constraint {label!r} cannot be translated for "
                          f"{dialect.name}; dropped", stacklevel=3)
            continue
        constraints.append(sa.CheckConstraint(_sql(text), name=names.take(check.name),
                                              info={_TRANSLATED: not same, "label": label}))
    kw = {"postgresql_partition_by": partition_by(table)} \
        if table.partitioning is not None and dialect.name == "postgresql" else {}
    return sa.Table(created_as or table.name, md, *columns, *constraints, info={"relsynth_table": table.name}, **kw)


def _sql(text: str) -> sa.TextClause:
    # escaped colons: a ':word' in checked SQL (a time literal) is SQL, not a bind parameter
    return sa.text(text.replace(":", "\\:"))


def _identity_column(table: Table, dialect: sa.engine.Dialect) -> str | None:
    """The one column the target numbers itself, so the application can insert after us."""
    auto = [c for c in table.columns if c.autoincrement and c.type.get("generic") in _INTEGERS
            and not _widened_to_decimal(c, dialect)]
    if not auto:
        return None
    name = auto[0].name
    if dialect.name == "postgresql":
        return name
    # SQLite numbers only an INTEGER PRIMARY KEY; MySQL needs AUTO_INCREMENT to lead a key
    if dialect.name == "sqlite":
        return name if table.primary_key == (name,) else None
    return name if table.primary_key[:1] == (name,) else None


def _widened_to_decimal(col: Column, dialect: sa.engine.Dialect) -> bool:
    # BIGINT UNSIGNED becomes NUMERIC(20) elsewhere, which cannot number itself
    return bool(col.type.get("unsigned")) and col.type.get("generic") == "bigint" \
        and col.type.get("dialect") != dialect.name


def _column(table: Table, col: Column, dialect: sa.engine.Dialect, source: str, key: bool,
            identity: bool) -> sa.Column:
    type_ = build(col.type, dialect, key=key, name=f"{table.name}_{col.name}", where=f"{table.name}.{col.name}")
    if identity and dialect.name == "sqlite":
        type_ = sa.Integer()   # only the exact INTEGER PRIMARY KEY is SQLite's rowid
    args: list[Any] = []
    kw: dict[str, Any] = {"nullable": col.nullable, "autoincrement": False}
    default = None if col.default is None else safe_expression(
        col.default, dialect=source, table=table.name, columns=table.column_names, kind="default",
        types=enum_types(table))
    if col.generated is not None:
        return _generated_column(table, col, type_, dialect, source)
    if identity:
        if dialect.name == "postgresql":
            args.append(sa.Identity())     # BY DEFAULT: our explicit keys go in as they are
        kw["autoincrement"] = True
    elif source == dialect.name and default is not None and "nextval(" not in default.lower():
        kw["server_default"] = _sql(default)
    return sa.Column(col.name, type_, *args, **kw)


_FILL = "relsynth_fill"          # info key: SQLite's form of a generated column created plain


def _generated_column(table: Table, col: Column, type_: sa.types.TypeEngine, dialect: sa.engine.Dialect,
                      source: str) -> sa.Column:
    """The column computed by the target from its expression; a plain column (filled with values)
    when the expression has no form for the target."""
    text = generated_sql(table, col, source, dialect.name)
    if text is None:
        warnings.warn(f"{table.name}.{col.name}: its generated expression has no {dialect.name} form; "
                      f"a plain column filled with generated values", stacklevel=4)
        return _plain(table, col, type_, source)
    persisted = True if dialect.name == "postgresql" else col.persisted   # PostgreSQL stores them only
    same = generated_sql(table, col, source, source) == text
    return sa.Column(col.name, type_, sa.Computed(_sql(text), persisted=persisted),
                     nullable=col.nullable or dialect.name in ("mysql", "mariadb"),   # MariaDB refuses NOT NULL
                     info={_TRANSLATED: not same, _FILL: generated_sql(table, col, source, "sqlite"),
                           "label": f"{table.name}.{col.name}"})


def _plain(table: Table, col: Column, type_: sa.types.TypeEngine, source: str) -> sa.Column:
    return sa.Column(col.name, type_, nullable=col.nullable, autoincrement=False,
                     info={_FILL: generated_sql(table, col, source, "sqlite")})


class _ConstraintNames:
    """Source constraint names, kept when the target can hold them: a name too long or
    already taken (PostgreSQL names are per schema) is left for the database to choose."""

    def __init__(self, dialect: sa.engine.Dialect) -> None:
        self.limit = min(dialect.max_identifier_length or 63, 64)
        self.seen: set[str] = set()

    def take(self, name: str | None) -> str | None:
        if not name or len(name) > self.limit or name.lower() in self.seen:
            return None
        self.seen.add(name.lower())
        return name


def cycle_foreign_keys(schema: Schema) -> set[tuple[str, ForeignKey]]:
    """Foreign keys between different tables that close a cycle: created after the tables."""
    edges: dict[str, set[str]] = {t.name: set() for t in schema}
    for t in schema:
        for fk in t.foreign_keys:
            if fk.declared and fk.parent in edges and fk.parent != t.name:
                edges[t.name].add(fk.parent)

    def reaches(start: str, goal: str) -> bool:
        seen, todo = {start}, [start]
        while todo:
            for nxt in edges[todo.pop()]:
                if nxt == goal:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False

    return {(t.name, fk) for t in schema for fk in t.foreign_keys
            if fk.declared and fk.parent in edges and fk.parent != t.name and reaches(fk.parent, t.name)}


# --------------------------------------------------------------------------- checks

def translate_check(tree: exp.Expression, dialect: sa.engine.Dialect) -> str | None:
    """A checked check (``parse_expression``) of another dialect, rendered for ``dialect``; None
    when it can't be (see ``relsynth.schema.expressions.translate``); the target itself is the
    final judge (see ``create_tables``)."""
    return translate(tree, dialect.name)


# --------------------------------------------------------------------------- create / drop


def create_tables(conn: sa.Connection, schema: Schema, md: sa.MetaData | None = None) -> sa.MetaData:
    """Create every table of ``schema`` on ``conn``'s database and return the MetaData.

    ``md``: the ``target_metadata`` to create, when the caller adjusted it (names); by default
    built here. Checks translated from another dialect are tried one by one on the empty
    tables; the ones the target rejects are dropped with a warning (a same-dialect check
    never is).
    """
    md = md if md is not None else target_metadata(schema, conn.dialect)
    translated = [(t, c) for t in md.tables.values() for c in list(t.constraints)
                  if isinstance(c, sa.CheckConstraint) and c.info.get(_TRANSLATED)]
    for table, check in translated:
        table.constraints.discard(check)
    if conn.dialect.name == "postgresql" and any(
            c.type.get("special") == "hstore" and c.type.get("dialect") == "postgresql" for t in schema for c in t.columns):
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS hstore")   # the native type the source used
    for table in md.tables.values():
        for column in [c for c in table.columns if c.computed is not None and c.info.get(_TRANSLATED)]:
            _generated_accepted(conn, table, column)
    md.create_all(conn)
    _create_indexes(conn, md)
    if conn.dialect.name == "postgresql":
        for created in md.tables.values():
            name = created.info.get("relsynth_table", created.name)
            if name in schema and schema[name].partitioning is not None:
                create_partitions(conn, schema[name], created)
    kept = [(t, c) for t, c in translated if _accepted(conn, t, c)]
    if kept and conn.dialect.name == "sqlite":
        # SQLite cannot add a constraint to a table: recreate the (still empty) tables
        md.drop_all(conn)
        for table, check in kept:
            table.append_constraint(check)
        md.create_all(conn)
    return md


def _create_indexes(conn: sa.Connection, md: sa.MetaData) -> None:
    """The tables' portable indexes, each on its own: one the target refuses (MySQL cannot index
    a TEXT column whole) is left out with a warning."""
    transactional = conn.dialect.name not in ("mysql", "mariadb")
    for table in md.tables.values():
        for name, columns in table.info.get(_INDEXES, []):
            index = sa.Index(name, *[table.c[c] for c in columns])     # attached to the table from now on
            try:
                with conn.begin_nested() if transactional else nullcontext():
                    index.create(conn)
            except sa.exc.DBAPIError as exc:
                table.indexes.discard(index)
                warnings.warn(f"{table.info.get('relsynth_table', table.name)}: index {name} "
                              f"({', '.join(columns)}) not carried: {_first_line(exc)}", stacklevel=3)


def _accepted(conn: sa.Connection, table: sa.Table, check: sa.CheckConstraint) -> bool:
    """Whether the target takes a translated check; PostgreSQL and MySQL add it on the spot."""
    label = check.info.get("label")
    try:
        if conn.dialect.name == "sqlite":
            # preparing the expression resolves its columns and functions
            name = conn.dialect.identifier_preparer.format_table(table)
            conn.execute(sa.text(f"SELECT 1 FROM {name} WHERE NOT ({check.sqltext.text}) LIMIT 0"))
        else:
            table.append_constraint(check)
            with conn.begin_nested() if conn.dialect.name == "postgresql" else nullcontext():
                conn.execute(sa.schema.AddConstraint(check))
    except sa.exc.DBAPIError as exc:
        table.constraints.discard(check)
        shown = table.info.get("relsynth_table", table.name)
        warnings.warn(f"{shown}: check constraint {label!r} is not accepted by {conn.dialect.name} "
                      f"({_first_line(exc)}); dropped", stacklevel=3)
        return False
    return True


def _generated_accepted(conn: sa.Connection, table: sa.Table, column: sa.Column) -> None:
    """A translated generated column tried on a temporary table first; one the target refuses
    becomes a plain column (filled with values), with a warning."""
    others = [sa.Column(c.name, sa.String(255) if isinstance(c.type, sa.Enum) else c.type)
              for c in table.columns if c.computed is None]
    probe = sa.Table(f"relsynth_probe_{table.name}"[:60], sa.MetaData(), *others,
                     sa.Column(column.name, column.type, sa.Computed(column.computed.sqltext,
                                                                    persisted=column.computed.persisted)),
                     prefixes=["TEMPORARY"])
    try:
        with conn.begin_nested() if conn.dialect.name != "mysql" and conn.dialect.name != "mariadb" \
                else nullcontext():
            probe.create(conn)
            probe.drop(conn)
    except sa.exc.DBAPIError as exc:
        warnings.warn(f"{column.info['label']}: its generated expression is not accepted by {conn.dialect.name} "
                      f"({_first_line(exc)}); a plain column filled with generated values", stacklevel=3)
        table.append_column(sa.Column(column.name, column.type, nullable=True, autoincrement=False,
                                      info={_FILL: column.info.get(_FILL)}), replace_existing=True)


def _first_line(exc: sa.exc.DBAPIError) -> str:
    return (str(exc.orig) if exc.orig is not None else str(exc)).strip().splitlines()[0]


def partition_names(schema: Schema) -> list[str]:
    """The partitions a PostgreSQL target creates beside the schema's tables."""
    return [p.name for t in schema if t.partitioning is not None for p in t.partitioning.partitions]


def drop_tables(conn: sa.Connection, names: Iterable[str]) -> None:
    """Drop the named tables if they exist, whatever references them."""
    # exec_driver_sql: a ':' in a name is no bind parameter; quote() already doubles a '%'
    q = conn.dialect.identifier_preparer.quote
    names = list(names)
    if conn.dialect.name == "postgresql":
        for name in names:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {q(name)} CASCADE")
    elif conn.dialect.name in ("mysql", "mariadb"):
        conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")
        try:
            for name in names:
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {q(name)}")
        finally:
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 1")
    else:
        conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
        try:
            for name in names:
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {q(name)}")
        finally:
            conn.exec_driver_sql("PRAGMA foreign_keys = ON")

