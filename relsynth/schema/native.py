"""Reading the source's own DDL of every object of one schema (see :mod:`relsynth.schema.objects`).

One reader per dialect; each returns None (with a Note saying what will be missing) when the
dialect's tool is not at hand, and the writer then builds the tables from the portable records.
"""

from __future__ import annotations

from typing import Sequence

import sqlalchemy as sa

from relsynth.schema.objects import NativeSchema


def read_native(engine: sa.Engine, *, schema_name: str | None, tables: Sequence[str],
                excluded: Sequence[str] = ()) -> NativeSchema | None:
    """The DDL of ``tables`` and of every other object of the schema, in creation order;
    objects of ``excluded`` tables (and what only they use) are left out."""
    dialect = engine.dialect.name
    if dialect == "postgresql":
        from relsynth.schema.native_postgres import read_postgres

        return read_postgres(engine, schema_name=schema_name, excluded=excluded)
    if dialect == "sqlite":
        from relsynth.schema.native_sqlite import read_sqlite

        return read_sqlite(engine, excluded=excluded)
    if dialect in ("mysql", "mariadb"):
        return None       # MariaDB/MySQL reader: relsynth.schema.native_mysql (in progress)
    return None
