"""Reflect a live database into a `Schema`: tables, columns, keys, constraints and column kinds.

One SQLAlchemy `MetaData.reflect` call gathers everything the dialect can tell (check and unique
constraints come back empty where a dialect cannot reflect them); a small sample of each table
decides each column's logical kind. The user's config then excludes tables, adds foreign keys
the database does not declare, and overrides kinds.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Callable

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlglot import exp

from relsynth.config import Config
from relsynth.errors import ConfigError, Note, SchemaError, UnsafeExpression
from relsynth.schema.expressions import parse_expression, render, safe_expression, safe_native_type
from relsynth.schema.detect import MAX_LABELS, detect_kind, lookup_label
from relsynth.schema.kinds import Kind
from relsynth.schema.model import (CheckConstraint, Column, ForeignKey, Index, Partitioning, Schema, Table,
                                   UniqueConstraint, fk_action)
from relsynth.schema.partitions import partitioned_tables
from relsynth.schema.native import read_native
from relsynth.schema.sqltypes import INTEGER_GENERICS, describe, native_ddl, teach_dialect

SAMPLE_ROWS = 10_000


def reflect_metadata(engine: sa.Engine, *, schema_name: str | None = None,
                     only: list[str] | None = None) -> sa.MetaData:
    metadata = sa.MetaData(schema=schema_name)
    teach_dialect(engine.dialect)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.exc.SAWarning)  # e.g. "did not recognize type": handled by describe()
        metadata.reflect(engine, only=only, resolve_fks=False)
    return metadata


def reflect(engine: sa.Engine, *, config: Config | None = None,
            progress: Callable[[str], None] | None = None) -> Schema:
    config = config or Config()
    schema_name = config.schema_name
    names = sa.inspect(engine).get_table_names(schema=schema_name)
    unknown = sorted(set(config.exclude) - set(names))
    if unknown:
        raise ConfigError(f"exclude names unknown tables: {', '.join(unknown)}",
                          hint=f"tables are: {', '.join(sorted(names)) or '(none)'}")
    names = [n for n in names if n not in config.exclude]
    with engine.connect() as conn:
        partitioned, part_of = partitioned_tables(conn, schema_name)
        shared = {name: _partition_foreign_keys(conn, schema_name, part, part_of)
                  for name, part in partitioned.items()}
    # a partition's rows are its partitioned table's: one table, one model (the writer says what
    # a target that cannot partition gets)
    names = [n for n in names if n not in part_of]
    if not names:
        raise SchemaError("the source has no tables to synthesize",
                          hint="check the URL and --schema; a PostgreSQL schema other than public needs `schema:` in the config")
    metadata = reflect_metadata(engine, schema_name=schema_name, only=names)
    tables = []
    small: dict[str, pd.DataFrame] = {}     # samples of the tables small enough to be lookups
    with engine.connect() as conn:
        for name in names:
            if progress:
                progress(name)
            tables.append(_table(metadata.tables[_qualified(schema_name, name)], conn, engine.dialect,
                                 kept=set(names), config=config, small=small, part_of=part_of,
                                 partitioning=partitioned.get(name), shared=shared.get(name, ())))
    tables = _lookup_labels(tables, small, config)
    native = read_native(engine, schema_name=schema_name, tables=names, excluded=config.exclude)
    schema = Schema(dialect=engine.dialect.name, tables=tuple(tables), name=schema_name, native=native)
    return _check_config(schema, config)


def schema_from_metadata(metadata: sa.MetaData, dialect: sa.Dialect, *, config: Config | None = None) -> Schema:
    """The Schema of SQLAlchemy models alone (no database, no rows): types, keys and constraints
    as declared, each column's kind from its type and name. ``dialect``: the one its types are
    described for (a same-dialect target gets the native types)."""
    config = config or Config()
    teach_dialect(dialect)
    names = {str(t.name) for t in metadata.sorted_tables}
    tables = [_table(t, None, dialect, kept=names, config=config) for t in metadata.sorted_tables]
    if not tables:
        raise SchemaError("the metadata declares no tables", hint="point at the declarative Base or MetaData of the models")
    return _check_config(Schema(dialect=dialect.name, tables=tuple(tables)), config)


def _lookup_labels(tables: list[Table], samples: dict[str, pd.DataFrame], config: Config) -> list[Table]:
    """``text`` columns of small lookup tables that hold category names become ``label``
    (rule 7 of :mod:`relsynth.schema.detect`); a kind the config sets is left alone."""
    referencing: dict[str, int] = {}
    for t in tables:
        for fk in t.foreign_keys:
            if fk.parent != t.name:
                referencing[fk.parent] = referencing.get(fk.parent, 0) + t.row_count
    out = []
    for t in tables:
        own = config.tables.get(t.name)
        columns = tuple(
            replace(c, kind=Kind.LABEL)
            if t.name in samples and not (own and own.columns.get(c.name) and own.columns[c.name].kind is not None)
            and lookup_label(table=t.name, column=c.name, kind=c.kind, rows=t.row_count,
                             referencing_rows=referencing.get(t.name, 0), k=config.privacy.k,
                             values=samples[t.name][c.name])
            else c for c in t.columns)
        out.append(replace(t, columns=columns) if columns != t.columns else t)
    return out


def _qualified(schema_name: str | None, name: str) -> str:
    return f"{schema_name}.{name}" if schema_name else name


def _partition_foreign_keys(conn: sa.Connection, schema_name: str | None, part: Partitioning,
                            part_of: dict[str, str]) -> tuple[dict, ...]:
    """Foreign keys the partitions declare (PostgreSQL 10 put them on partitions, not on the
    partitioned table), as SQLAlchemy reports them. One declared on some partitions only is
    kept for all (the generated rows meet it), with a note."""
    inspector = sa.inspect(conn)
    found = [{_fk_shape(fk, part_of): fk for fk in inspector.get_foreign_keys(p.name, schema=schema_name)}
             for p in part.partitions]
    union: dict[tuple, dict] = {}
    for declared in found:
        for shape, fk in declared.items():
            union.setdefault(shape, fk)
    partial = [shape for shape in union if not all(shape in f for f in found)]
    if partial:
        shown = ", ".join(f"({', '.join(c)}) -> {t}" for c, t, _ in partial)
        warnings.warn(f"foreign keys {shown} are declared on some partitions of {part_of[part.partitions[0].name]} "
                      f"only; the clone declares them on the partitioned table", Note, stacklevel=3)
    return tuple(union[shape] for shape in sorted(union))


def _fk_shape(fk: dict, part_of: dict[str, str]) -> tuple:
    return (tuple(fk["constrained_columns"]), part_of.get(fk["referred_table"], fk["referred_table"]),
            tuple(fk["referred_columns"]))


def _table(sa_table: sa.Table, conn: sa.Connection | None, dialect: sa.Dialect, *, kept: set[str],
           config: Config, small: dict[str, pd.DataFrame] | None = None, part_of: dict[str, str] | None = None,
           partitioning: Partitioning | None = None, shared: tuple[dict, ...] = ()) -> Table:
    name = str(sa_table.name)  # plain str: SQLAlchemy's quoted_name does not serialize
    table_config = config.tables.get(name)
    primary_key = tuple(str(c.name) for c in sa_table.primary_key.columns)
    foreign_keys = [_foreign_key(fk, sa_table) for fk in sorted(sa_table.foreign_key_constraints,
                                                                   key=lambda f: [c.name for c in f.columns])]
    for fk in shared:   # declared on each partition
        columns = tuple(str(c) for c in fk["constrained_columns"])
        if columns not in [f.columns for f in foreign_keys]:
            foreign_keys.append(ForeignKey(columns=columns, parent=str(fk["referred_table"]),
                                           parent_columns=tuple(str(c) for c in fk["referred_columns"]),
                                           nullable=all(sa_table.c[c].nullable for c in columns)))
    part_of = part_of or {}
    # A foreign key to a partitioned table comes with PostgreSQL's own copy of it for each partition
    # (pg_constraint rows with a conparentid), which SQLAlchemy reports as keys to the partitions:
    # the same key once more per partition, dropped here.
    declared = {(fk.columns, fk.parent, fk.parent_columns) for fk in foreign_keys if fk.parent not in part_of}
    foreign_keys = [fk for fk in foreign_keys
                    if fk.parent not in part_of or (fk.columns, part_of[fk.parent], fk.parent_columns) not in declared]
    moved = [fk for fk in foreign_keys if fk.parent in part_of]
    if moved:   # a partition's rows are its partitioned table's: the key points at that table
        warnings.warn(f"{name}: foreign keys {', '.join(fk.label for fk in moved)} point at a partition; "
                      f"they point at its partitioned table instead", Note, stacklevel=3)
        foreign_keys = [replace(fk, parent=part_of[fk.parent], name=None) if fk in moved else fk
                        for fk in foreign_keys]
    # A relation to an excluded table cannot be kept: the clone would reference a missing table.
    foreign_keys = [fk for fk in foreign_keys if fk.parent in kept]
    if table_config:
        for extra in table_config.foreign_keys:
            if extra.declared:  # listed by `inspect` for reading; the database declares it already
                continue
            fk = ForeignKey(columns=tuple(extra.columns), parent=extra.parent,
                            parent_columns=tuple(extra.parent_columns), name=extra.name, declared=False,
                            nullable=all(sa_table.c[c].nullable for c in extra.columns if c in sa_table.c))
            if fk.columns not in [f.columns for f in foreign_keys]:
                foreign_keys.append(fk)
    unique = _unique_constraints(sa_table, primary_key, conn)
    column_names = tuple(str(c.name) for c in sa_table.columns)
    enums = tuple(str(c.type.name) for c in sa_table.columns if isinstance(c.type, sa.Enum) and c.type.name)
    checks = tuple(check for check in (CheckConstraint(sqltext=str(c.sqltext), name=_name(c.name))
                                       for c in sa_table.constraints if isinstance(c, sa.CheckConstraint))
                   if _allowed(check.sqltext, dialect, name, column_names, "check", enums))
    checks += _domain_checks(sa_table, dialect, column_names, enums)
    if conn is None:   # models only (schema_from_metadata): kinds from types and names
        row_count, sample = 0, pd.DataFrame({str(c.name): pd.Series([], dtype=object) for c in sa_table.columns})
    else:
        row_count = conn.execute(sa.select(sa.func.count()).select_from(sa_table)).scalar_one()
        sample = _sample(conn, sa_table)
    if small is not None and row_count <= MAX_LABELS:
        small[name] = sample

    fk_columns = {c for fk in foreign_keys for c in fk.columns}
    single_unique = {u.columns[0] for u in unique if len(u.columns) == 1}
    columns = []
    for col in sa_table.columns:
        spec = _native_checked(describe(_base_type(col.type), dialect), f"{name}.{col.name}")
        kind = _kind(col.name, spec, primary_key, fk_columns, single_unique, sa_table.name, sample)
        override = table_config.columns.get(col.name) if table_config else None
        if override is not None and override.kind is not None:
            kind = override.kind
        elif spec["generic"] == "other" and dialect.name != "sqlite":
            raise _unsupported(name, str(col.name), spec)
        columns.append(Column(
            # SQLite reports `id INTEGER PRIMARY KEY` as nullable; no primary key column is
            name=str(col.name), type=spec, nullable=bool(col.nullable) and col.name not in primary_key, kind=kind,
            default=_default(col, dialect, name, column_names, enums),
            **_generated(col, dialect, name, column_names, enums),
            autoincrement=primary_key == (col.name,) and spec["generic"] in INTEGER_GENERICS
            and col.name not in fk_columns,
        ))
    return Table(name=name, columns=tuple(columns), primary_key=primary_key,
                 foreign_keys=tuple(foreign_keys), unique=unique, checks=checks, row_count=int(row_count),
                 partitioning=partitioning, indexes=_indexes(sa_table, unique, primary_key))


def _name(name: object) -> str | None:
    # SQLAlchemy's placeholder for "no name" is a sentinel, not a string
    return str(name) if isinstance(name, str) else None


def _foreign_key(fk: sa.ForeignKeyConstraint, sa_table: sa.Table) -> ForeignKey:
    columns = tuple(str(c.name) for c in fk.columns)
    try:  # resolved through the metadata: names with dots or spaces stay whole
        targets = [e.column for e in fk.elements]
        parent = str(targets[0].table.name)
        parent_columns = tuple(str(t.name) for t in targets)
    except sa.exc.SQLAlchemyError:  # the parent was not reflected (excluded): the FK is dropped later
        tokens = [e._column_tokens for e in fk.elements]
        parent = str(tokens[0][1])
        parent_columns = tuple(str(t[2]) for t in tokens)
    return ForeignKey(columns=columns, parent=parent, parent_columns=parent_columns,
                      nullable=all(sa_table.c[c].nullable for c in columns), name=_name(fk.name),
                      on_delete=_fk_action(fk.ondelete), on_update=_fk_action(fk.onupdate))


def _fk_action(action: str | None) -> str | None:
    try:
        return fk_action(action)
    except ValueError:      # a dialect's own word: the native DDL keeps it
        return None


def _indexes(sa_table: sa.Table, unique: tuple[UniqueConstraint, ...],
             primary_key: tuple[str, ...]) -> tuple[Index, ...]:
    """Non-unique indexes on plain columns (partial ones excluded): any dialect creates them."""
    keys = {u.columns for u in unique} | {primary_key}
    found = []
    for index in sorted(sa_table.indexes, key=lambda i: str(i.name)):
        partial = any(v for k, v in index.dialect_kwargs.items() if k.endswith("_where"))
        if index.unique or partial or not all(isinstance(e, sa.Column) for e in index.expressions):
            continue
        columns = tuple(str(c.name) for c in index.columns)
        if columns and columns not in keys:
            found.append(Index(columns=columns, name=_name(index.name)))
    return tuple(found)


def _unique_constraints(sa_table: sa.Table, primary_key: tuple[str, ...],
                        conn: sa.Connection | None) -> tuple[UniqueConstraint, ...]:
    found: dict[tuple[str, ...], str | None] = {}
    if conn is not None and conn.dialect.name == "sqlite":
        found.update(_sqlite_unique(conn, sa_table))
    for c in sa_table.constraints:
        if isinstance(c, sa.UniqueConstraint) and not isinstance(c, sa.PrimaryKeyConstraint):
            found.setdefault(tuple(str(col.name) for col in c.columns), _name(c.name))
    for index in sa_table.indexes:  # MySQL reports unique constraints as unique indexes
        if index.unique and all(isinstance(e, sa.Column) for e in index.expressions):
            found.setdefault(tuple(str(col.name) for col in index.columns), _name(index.name))
    found.pop(primary_key, None)
    return tuple(UniqueConstraint(columns=cols, name=name) for cols, name in found.items() if cols)


def _sqlite_unique(conn: sa.Connection, sa_table: sa.Table) -> dict[tuple[str, ...], None]:
    """UNIQUE constraints as SQLite itself keeps them (its automatic indexes, origin 'u').

    SQLAlchemy parses them from the CREATE TABLE text and misses an inline ``UNIQUE`` after a
    type with a length (``email VARCHAR(80) NOT NULL UNIQUE``)."""
    quoted = conn.dialect.identifier_preparer.quote
    found: dict[tuple[str, ...], None] = {}
    for index in conn.exec_driver_sql(f"PRAGMA index_list({quoted(sa_table.name)})").mappings():
        if index["origin"] != "u":
            continue
        info = conn.exec_driver_sql(f"PRAGMA index_info({quoted(index['name'])})").mappings()
        columns = tuple(str(row["name"]) for row in sorted(info, key=lambda row: row["seqno"]))
        if columns and all(c in sa_table.c for c in columns):
            found[columns] = None
    return found


def _sample(conn: sa.Connection, sa_table: sa.Table) -> pd.DataFrame:
    rows = conn.execute(sa.select(sa_table).limit(SAMPLE_ROWS)).fetchall()
    return pd.DataFrame(rows, columns=[c.name for c in sa_table.columns])


def _unsupported(table: str, column: str, spec: dict) -> ConfigError:
    """A column type relsynth cannot generate in its type: refused before any training, never
    written as NULL or as text the target would misread. (SQLite stores any value in any
    declared type, so an unknown SQLite type is decided from its values instead.)"""
    type_name = spec.get("native") or "an unknown type"
    return ConfigError(f"{table}.{column} has type {type_name}, which relsynth cannot generate",
                       hint=f"leave the table out (`exclude: [{table}]`), or give the column a kind the "
                            f"type accepts as text (`tables: {{{table}: {{columns: {{{column}: {{kind: text}}}}}}}}`)")


def _kind(column: str, spec: dict, primary_key: tuple[str, ...], fk_columns: set[str],
          single_unique: set[str], table: str, sample: pd.DataFrame) -> Kind:
    if column in fk_columns or primary_key == (column,):
        return Kind.KEY
    # In a composite key, an integer beside a foreign key numbers the rows of one parent (line_no).
    if column in primary_key and spec["generic"] in INTEGER_GENERICS and set(primary_key) & fk_columns:
        return Kind.KEY
    if spec.get("special"):
        return Kind.TYPED   # addresses, ranges, geometry, bits, xml, hstore: generated in their syntax
    return detect_kind(table=table, column=column, generic=spec["generic"], values=sample[column],
                       unique=column in single_unique or primary_key == (column,))


def _generated(col: sa.Column, dialect: sa.Dialect, table: str, columns: tuple[str, ...],
               enums: tuple[str, ...]) -> dict:
    """``generated`` and ``persisted`` of a computed column; a refused expression leaves a plain
    column (its values modeled), with a warning."""
    if col.computed is None:
        return {}
    text = str(col.computed.sqltext)
    if not _allowed(text, dialect, f"{table}.{col.name}", columns, "generated column", enums):
        return {}
    return {"generated": text, "persisted": col.computed.persisted}


def _default(col: sa.Column, dialect: sa.Dialect, table: str, columns: tuple[str, ...],
             enums: tuple[str, ...]) -> str | None:
    if col.server_default is None or col.computed is not None or isinstance(col.server_default, sa.Identity):
        return None          # an identity column numbers itself: the writer makes it one
    text = str(getattr(col.server_default, "arg", col.server_default))
    if "nextval(" in text.lower():
        return None
    return text if _allowed(text, dialect, f"{table}.{col.name}", columns, "default", enums) else None


def _allowed(text: str, dialect: sa.Dialect, where: str, columns: tuple[str, ...], kind: str,
             enums: tuple[str, ...]) -> bool:
    """Whether a genuine source's expression passes the allow-list a model is held to; if not,
    a warning names it and the clone goes on without it (the column without its default)."""
    try:
        safe_expression(text, dialect=dialect.name, table=where, columns=columns, kind=kind, types=enums)
    except UnsafeExpression as exc:
        what = "dropped" if kind == "check" else "the column is a plain one, its values modeled" \
            if kind == "generated column" else "the column is kept without it"
        # a same-dialect clone runs the source's own DDL and keeps it; models and other dialects do not
        warnings.warn(f"{exc.args[0]}; {what} (except in a clone into {dialect.name}, which keeps the source's DDL)",
                      stacklevel=3)
        return False
    return True


def _native_checked(spec: dict, where: str) -> dict:
    """``spec`` without its native type when that is not a plain type name (the generic one is used)."""
    native = native_ddl(spec)
    if native is None:
        return spec
    try:
        safe_native_type(native, dialect=spec["dialect"], where=where)
    except UnsafeExpression as exc:
        warnings.warn(f"{exc.args[0]}; the column gets the generic {spec['generic']} type", stacklevel=3)
        return {k: v for k, v in spec.items() if k != "native"}
    return spec


def _base_type(type_: sa.types.TypeEngine) -> sa.types.TypeEngine:
    # a PostgreSQL domain is its data type plus a check (kept as the table's own check)
    return type_.data_type if isinstance(type_, postgresql.DOMAIN) else type_


def _domain_checks(sa_table: sa.Table, dialect: sa.Dialect, columns: tuple[str, ...],
                   enums: tuple[str, ...]) -> tuple[CheckConstraint, ...]:
    """Each domain column's check, on the column itself (``VALUE >= 1901`` -> ``release_year >= 1901``)."""
    found = []
    for col in sa_table.columns:
        if not isinstance(col.type, postgresql.DOMAIN) or col.type.check is None:
            continue
        text = str(col.type.check)
        if not _allowed(text, dialect, str(sa_table.name), columns, "domain check", enums):
            continue
        tree = parse_expression(text, dialect=dialect.name, table=str(sa_table.name), columns=columns,
                                kind="domain check", types=enums)
        for value in [c for c in tree.find_all(exp.Column) if c.name.casefold() == "value"]:
            value.replace(exp.column(exp.to_identifier(str(col.name), quoted=True)))
        found.append(CheckConstraint(sqltext=render(tree, dialect=dialect.name)))
    return tuple(found)


def _check_config(schema: Schema, config: Config) -> Schema:
    for name, table_config in config.tables.items():
        if name not in schema:
            if name in config.exclude:
                continue
            raise ConfigError(f"config names table {name!r}, which the source does not have",
                              hint=f"tables are: {', '.join(t.name for t in schema)}")
        table = schema[name]
        missing = sorted(set(table_config.columns) - set(table.column_names))
        for fk in table_config.foreign_keys:
            missing += [c for c in fk.columns if c not in table.column_names]
            if fk.parent not in schema:
                raise ConfigError(f"foreign key of {name} points at unknown table {fk.parent!r}")
            parent = schema[fk.parent]
            bad = [c for c in fk.parent_columns if c not in parent.column_names]
            if bad:
                raise ConfigError(f"foreign key of {name} points at unknown columns {fk.parent}.{', '.join(bad)}")
        if missing:
            raise ConfigError(f"config names columns {name}.{', '.join(missing)}, which the source does not have",
                              hint=f"columns are: {', '.join(table.column_names)}")
    return schema
