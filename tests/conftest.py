"""Shared test helpers: throwaway databases on the PostgreSQL / MariaDB test servers.

Server tests are opt-in through environment variables naming a server (any existing database
on it, used only to run CREATE/DROP DATABASE):

    RELSYNTH_TEST_POSTGRES_URL=postgresql+psycopg2://postgres@127.0.0.1:5432/test
    RELSYNTH_TEST_MARIADB_URL=mysql+pymysql://root@127.0.0.1:3306/test

Unset: the tests that need the server are skipped (with the reason). Set but the server is
unreachable or refuses: they fail. Mark such tests ``@pytest.mark.postgres`` /
``@pytest.mark.mariadb`` so ``-m "not postgres"`` deselects them.

Fixtures ``pg_database_url`` and ``mariadb_database_url`` yield the URL (password included)
of a fresh, empty database and drop it afterwards; ``fresh_database(env_var)`` is the same as a
context manager, for tests that need more than one. Dispose every engine you create on the URL
before the test ends (MariaDB's DROP DATABASE waits for open transactions; PostgreSQL's is
forced).
"""

from __future__ import annotations

import os
import secrets
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from hypothesis import settings

# CI runs the same examples every time (a red CI then means a real regression, never a new
# random draw); a developer's run explores new ones.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:          # `import fixtures` (not an installed package) under plain `pytest`
    sys.path.insert(0, str(ROOT))

POSTGRES_URL_ENV = "RELSYNTH_TEST_POSTGRES_URL"
MARIADB_URL_ENV = "RELSYNTH_TEST_MARIADB_URL"
SCRATCH_PREFIX = "relsynth_fx_"
CONNECT_TIMEOUT_S = 10


def server_url(url_env_var: str) -> sa.URL:
    """The server URL from ``url_env_var``; skips the test when it is unset or empty."""
    raw = os.environ.get(url_env_var, "").strip()
    if not raw:
        pytest.skip(f"{url_env_var} is not set (set it to a server URL to run this test)")
    try:
        return sa.make_url(raw)
    except sa.exc.ArgumentError as exc:
        pytest.fail(f"{url_env_var} is not a database URL: {exc}", pytrace=False)


@contextmanager
def fresh_database(url_env_var: str, *, prefix: str = SCRATCH_PREFIX) -> Iterator[str]:
    """Create an empty database on the server named by ``$url_env_var``, yield its URL, drop it.

    PostgreSQL and MySQL/MariaDB. Skips when the variable is unset; fails when it is set but the
    server cannot be reached or refuses to create the database.
    """
    server = server_url(url_env_var)
    backend = server.get_backend_name()
    if backend not in ("postgresql", "mysql", "mariadb"):
        pytest.fail(f"{url_env_var}: unsupported backend {backend!r} (want postgresql or mysql/mariadb)",
                    pytrace=False)
    name = f"{prefix}{secrets.token_hex(6)}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool,
                             connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
    quoted = admin.dialect.identifier_preparer.quote(name)
    create = f"CREATE DATABASE {quoted}"
    if backend != "postgresql":
        create += " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    problem = None
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(create)
    except Exception as exc:  # noqa: BLE001 - any failure here means the configured server is unusable
        problem = f"{type(exc).__name__}: {getattr(exc, 'orig', None) or exc}"
    if problem is not None:                        # outside `except`: no chained traceback in the report
        admin.dispose()
        shown = server.render_as_string(hide_password=True)
        pytest.fail(f"{url_env_var} is set but the server {shown} is unusable: {problem}", pytrace=False)
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        drop = f"DROP DATABASE IF EXISTS {quoted}"
        if backend == "postgresql":
            drop += " WITH (FORCE)"                  # PostgreSQL 13+: ends leftover sessions
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(drop)
        finally:
            admin.dispose()


def query(url: str, sql: str) -> list[tuple]:
    """The rows ``sql`` returns on ``url``, as tuples (the engine disposed, so no session lingers)."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(sql)]
    finally:
        engine.dispose()


def execute(url: str, *statements: str) -> None:
    """Run ``statements`` on ``url`` in one transaction (driver SQL: a literal % is written %%)."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


@pytest.fixture
def pg_database_url() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database (dropped after the test)."""
    with fresh_database(POSTGRES_URL_ENV) as url:
        yield url


@pytest.fixture
def mariadb_database_url() -> Iterator[str]:
    """URL of a fresh, empty MariaDB/MySQL database (dropped after the test)."""
    with fresh_database(MARIADB_URL_ENV) as url:
        yield url
