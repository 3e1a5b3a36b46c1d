"""A SQLite database's objects as SQLite itself keeps them: the ``sql`` of ``sqlite_master``.

SQLite stores each table, index, view and trigger as the statement that created it, so that
text is exact. Tables run before the rows; indexes, views and triggers after them.
"""

from __future__ import annotations

from typing import Sequence

import sqlalchemy as sa

from relsynth.schema.objects import POST, PRE, NativeSchema, SchemaObject

_KINDS = {"table": "TABLE", "index": "INDEX", "view": "VIEW", "trigger": "TRIGGER"}


def read_sqlite(engine: sa.Engine, *, excluded: Sequence[str] = ()) -> NativeSchema:
    """Every object of the file but SQLite's own (``sqlite_*``) and those of ``excluded`` tables."""
    left_out = set(excluded)
    with engine.connect() as conn:
        version = conn.exec_driver_sql("SELECT sqlite_version()").scalar()
        rows = conn.exec_driver_sql(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid").all()
    objects = []
    for kind, name, table, sql in rows:
        if kind not in _KINDS or table in left_out:
            continue
        statement = sql.rstrip().rstrip(";") + ";\n"
        objects.append(SchemaObject(kind=_KINDS[kind], name=name, sql=statement,
                                    section=PRE if kind == "table" else POST,
                                    table=table if kind in ("table", "index", "trigger") else None))
    return NativeSchema(dialect="sqlite", tool=f"sqlite {version}", objects=tuple(objects))
