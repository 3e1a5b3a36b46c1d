"""Generated columns (PostgreSQL ``GENERATED ALWAYS AS (expr) STORED``, MySQL/MariaDB ``AS (expr)
VIRTUAL/STORED/PERSISTENT``): the expression a target gets, and whether values must be modeled.

The expression is untrusted like any SQL a model carries: it is parsed and allow-listed by
:mod:`relsynth.schema.expressions` and re-rendered. A same-dialect target gets it as the source
has it; another dialect gets it translated by sqlglot when it translates (casts dropped,
functions renamed). A generated column is never written: the target computes it. When no
target form exists, the column is a plain one filled with values: computed by SQLite from the
row when the expression translates to SQLite, else modeled like any column.
"""

from __future__ import annotations

from relsynth.schema.expressions import parse_expression, render, translate
from relsynth.schema.model import Column, Table
from relsynth.schema.safety import enum_types

KIND = "generated column"


def generated_sql(table: Table, col: Column, source: str, target: str) -> str | None:
    """``col``'s expression for ``target`` (SQLAlchemy dialect names); None when it has none or
    it does not translate. UnsafeExpression when the expression is not allowed."""
    if col.generated is None:
        return None
    tree = parse_expression(col.generated, dialect=source, table=f"{table.name}.{col.name}",
                            columns=table.column_names, kind=KIND, types=enum_types(table))
    if _family(source) == _family(target):
        return render(tree, dialect=source)
    return translate(tree, target)


def computed_by_sqlite(table: Table, col: Column, source: str) -> bool:
    """Whether SQLite can compute the column from the row (then it is not modeled)."""
    return col.generated is not None and generated_sql(table, col, source, "sqlite") is not None


def _family(dialect: str) -> str:
    return "mysql" if dialect in ("mysql", "mariadb") else dialect
