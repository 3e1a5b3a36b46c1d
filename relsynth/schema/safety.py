"""Every SQL text a schema carries, checked before it may reach a target.

A schema read from a model directory (``Schema.from_dict``) is refused as a whole when one of
its checks, defaults or native types is not allowed (see :mod:`relsynth.schema.expressions`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from relsynth.schema.expressions import safe_expression, safe_native_type
from relsynth.schema.partitions import check_partitioning
from relsynth.schema.sqltypes import native_ddl

if TYPE_CHECKING:
    from relsynth.schema.model import Schema, Table


def enum_types(table: "Table") -> tuple[str, ...]:
    """User type names a cast of this table may name: its enum types (PostgreSQL ``'G'::mpaa_rating``)."""
    return tuple(str(c.type["enum_name"]) for c in table.columns if c.type.get("enum_name"))


def check_schema(schema: "Schema") -> None:
    """Raise UnsafeExpression for the first check, default, native type or partition bound that is not allowed."""
    for table in schema:
        columns, types = table.column_names, enum_types(table)
        for col in table.columns:
            native = native_ddl(col.type)
            if native is not None:
                safe_native_type(native, dialect=str(col.type.get("dialect")), where=f"{table.name}.{col.name}")
            if col.generated is not None:
                safe_expression(col.generated, dialect=schema.dialect, table=f"{table.name}.{col.name}",
                                columns=columns, kind="generated column", types=types)
            if col.default is not None:
                safe_expression(col.default, dialect=schema.dialect, table=table.name, columns=columns,
                                kind="default", types=types)
        check_partitioning(table)
        for check in table.checks:
            safe_expression(check.sqltext, dialect=schema.dialect, table=table.name, columns=columns,
                            kind="check", types=types)
