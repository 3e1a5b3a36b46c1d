"""Checks run against the written target itself: keys, uniqueness, NOT NULL, row counts.

The target enforces its declared constraints already; these queries prove it for the
summary, and also cover relations declared only in the config (no constraint in the
database) and targets where a check was dropped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import sqlalchemy as sa

from relsynth.errors import TargetError
from relsynth.schema.model import Schema, Table
from relsynth.write.target import connect, existing_tables, open_engine, safe_url, sqlite_foreign_keys


@dataclass(frozen=True)
class Check:
    table: str
    name: str
    passed: bool
    detail: str


def verify_database(schema: Schema, target_url: str | sa.URL) -> list[Check]:
    """One Check per table row count, foreign key, primary/unique key and NOT NULL column."""
    url = sa.make_url(target_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or not os.path.exists(url.database):
            raise TargetError(f"no SQLite database at {safe_url(url)}", hint="write the database first")
    engine = open_engine(url)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", sqlite_foreign_keys)
    try:
        with connect(engine) as conn:
            present = set(existing_tables(conn, [t.name for t in schema]))
            checks: list[Check] = []
            for table in schema:
                if table.name not in present:
                    checks.append(Check(table.name, "rows", False, "table missing"))
                    continue
                checks += _table_checks(conn, table)
                checks += _fk_checks(conn, schema, table, present)
            return checks
    finally:
        engine.dispose()


def _ref(table: Table) -> sa.TableClause:
    # lightweight table clauses: SQLAlchemy quotes reserved words and spaces for us
    return sa.table(table.name, *[sa.column(c) for c in table.column_names])


def _table_checks(conn: sa.Connection, table: Table) -> list[Check]:
    t = _ref(table)
    required = [c.name for c in table.columns if not c.nullable]
    # one scan for the row count and every NOT NULL column
    query = sa.select(sa.func.count(), *[sa.func.sum(sa.case((t.c[c].is_(None), 1), else_=0)) for c in required])
    row = conn.execute(query.select_from(t)).one()
    checks = [Check(table.name, "rows", True, f"{row[0]} rows")]
    for name, nulls in zip(required, row[1:]):
        nulls = int(nulls or 0)
        checks.append(Check(table.name, f"not null {name}", nulls == 0,
                            "no NULLs" if nulls == 0 else f"{nulls} NULLs"))
    for columns in table.unique_sets():
        kind = "primary key" if columns == table.primary_key else "unique"
        cols = [t.c[c] for c in columns]
        groups = (sa.select(sa.literal(1)).select_from(t).where(*[c.is_not(None) for c in cols])
                  .group_by(*cols).having(sa.func.count() > 1).subquery())
        dup = int(conn.execute(sa.select(sa.func.count()).select_from(groups)).scalar() or 0)
        checks.append(Check(table.name, f"{kind} ({', '.join(columns)})", dup == 0,
                            "no duplicates" if dup == 0 else f"{dup} duplicated values"))
    return checks


def _fk_checks(conn: sa.Connection, schema: Schema, table: Table, present: set[str]) -> list[Check]:
    checks = []
    for fk in table.foreign_keys:
        name = f"foreign key {fk.label}"
        if fk.parent not in present or fk.parent not in schema:
            checks.append(Check(table.name, name, False, f"parent table {fk.parent} missing"))
            continue
        child = _ref(table).alias("c")
        parent = _ref(schema[fk.parent]).alias("p")
        on = sa.and_(*[child.c[c] == parent.c[p] for c, p in zip(fk.columns, fk.parent_columns)])
        # a row with any NULL in the key references nothing (MATCH SIMPLE)
        orphans = (sa.select(sa.func.count()).select_from(child.outerjoin(parent, on))
                   .where(*[child.c[c].is_not(None) for c in fk.columns])
                   .where(parent.c[fk.parent_columns[0]].is_(None)))
        n = int(conn.execute(orphans).scalar() or 0)
        checks.append(Check(table.name, name, n == 0, "no orphans" if n == 0 else f"{n} orphan rows"))
    return checks
