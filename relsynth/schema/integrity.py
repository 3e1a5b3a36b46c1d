"""Is a `Schema` read from a file whole? Names are strings, every key names the table's own
columns, every foreign key a table and columns of the schema, every row count a sane number.

A reflected schema is whole by construction; one read back from a model directory or a config
file is checked here before anything is built from it.
"""

from __future__ import annotations

from relsynth.schema.model import Schema
from relsynth.workspace import MAX_ROWS, expect_count

DIALECTS = ("sqlite", "postgresql", "mysql", "mariadb")


def check_structure(schema: Schema) -> None:
    """Raise ValueError naming the first thing in ``schema`` that cannot be."""
    if schema.dialect not in DIALECTS:
        raise ValueError(f"the schema's dialect {schema.dialect!r} is none of {', '.join(DIALECTS)}")
    if schema.name is not None and not _name(schema.name):
        raise ValueError(f"schema name {schema.name!r} is not a name")
    names = [t.name for t in schema]
    if len(set(names)) != len(names) or not all(_name(n) for n in names):
        raise ValueError("table names must be distinct, non-empty strings")
    for table in schema:
        columns = table.column_names
        if not columns or len(set(columns)) != len(columns) or not all(_name(c) for c in columns):
            raise ValueError(f"table {table.name!r}: column names must be distinct, non-empty strings")
        expect_count(table.row_count, f"table {table.name!r}: row count", high=MAX_ROWS)
        own = set(columns)
        for what, keyed in [("primary key", table.primary_key), *[("unique constraint", u.columns)
                                                                  for u in table.unique]]:
            if not set(keyed) <= own:
                raise ValueError(f"table {table.name!r}: {what} {list(keyed)} names columns it does not have")
        if table.partitioning is not None:
            parts = [p.name for p in table.partitioning.partitions]
            if len(set(parts)) != len(parts) or not all(_name(p) for p in parts) or set(parts) & set(names):
                raise ValueError(f"table {table.name!r}: partition names must be distinct names of no table")
        for fk in table.foreign_keys:
            if not fk.columns or len(fk.columns) != len(fk.parent_columns) or not set(fk.columns) <= own:
                raise ValueError(f"table {table.name!r}: foreign key {fk.label} does not fit its columns")
            if fk.parent in schema and not set(fk.parent_columns) <= set(schema[fk.parent].column_names):
                raise ValueError(f"table {table.name!r}: foreign key {fk.label} points at columns "
                                 f"{fk.parent!r} does not have")


def _name(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 255 and "\x00" not in value
