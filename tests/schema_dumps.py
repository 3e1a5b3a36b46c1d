"""A database's schema as its own dump tool prints it, normalized so two databases compare.

Owners, privileges, comments of the dump itself and psql meta-commands (``\\restrict`` keys
are random) are left out; everything else (every object and its definition) must match.
"""

from __future__ import annotations

import sqlite3
import subprocess

import sqlalchemy as sa


def postgres_schema(url: str) -> list[str]:
    u = sa.make_url(url)
    done = subprocess.run(["pg_dump", "--schema-only", "--no-owner", "--no-privileges", "-h", u.host or "127.0.0.1",
                           "-p", str(u.port or 5432), "-U", u.username or "postgres", u.database],
                          capture_output=True, text=True, timeout=300, check=True)
    return [line for line in done.stdout.splitlines()
            if line.strip() and not line.startswith("--") and not line.startswith("\\")]


def sqlite_schema(path: str) -> list[tuple[str, str, str, str]]:
    with sqlite3.connect(path) as conn:
        return sorted(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                                   "WHERE name NOT LIKE 'sqlite_%'"))


def postgres_objects(url: str) -> dict[str, int]:
    """Objects per kind, as the closing notes count them."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return dict(conn.exec_driver_sql("""
                SELECT kind, count(*) FROM (
                  SELECT CASE c.relkind WHEN 'r' THEN 'tables' WHEN 'p' THEN 'tables' WHEN 'v' THEN 'views'
                         WHEN 'm' THEN 'materialized views' WHEN 'i' THEN 'indexes' WHEN 'I' THEN 'indexes'
                         WHEN 'S' THEN 'sequences' END AS kind
                  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
                  UNION ALL SELECT 'functions' FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                            WHERE n.nspname = 'public'
                  UNION ALL SELECT 'triggers' FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                            JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND NOT t.tgisinternal
                  UNION ALL SELECT 'constraints' FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
                            WHERE n.nspname = 'public'
                ) o WHERE kind IS NOT NULL GROUP BY kind""").all())
    finally:
        engine.dispose()
