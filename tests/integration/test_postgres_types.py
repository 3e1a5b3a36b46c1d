"""PostgreSQL column types a real database uses (pagila): each cloned from a one-table source."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from relsynth import api
from tests.conftest import POSTGRES_URL_ENV, fresh_database

pytestmark = pytest.mark.postgres

ROWS = 60


def _run(url: str, *statements: str) -> None:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def _rows(url: str, query: str) -> list[tuple]:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(query)]
    finally:
        engine.dispose()


@pytest.fixture
def target_url() -> str:
    with fresh_database(POSTGRES_URL_ENV) as url:
        yield url


def test_bytea_is_cloned_as_bytes_with_the_sources_magic_and_lengths(pg_database_url: str, target_url: str) -> None:
    _run(pg_database_url,
         "CREATE TABLE staff (staff_id serial PRIMARY KEY, picture bytea)",
         "INSERT INTO staff (picture) SELECT '\\x89504e470d0a1a0a'::bytea || "
         "decode(repeat(md5(i::text), 1 + mod(i, 4)), 'hex') FROM generate_series(1, 60) i")
    api.clone(pg_database_url, target_url, seed=1)
    rows = _rows(target_url, "SELECT picture FROM staff WHERE picture IS NOT NULL")
    assert len(rows) >= ROWS // 2
    pictures = [bytes(r[0]) for r in rows]
    assert all(p.startswith(b"\x89PNG\r\n\x1a\n") for p in pictures)
    assert min(len(p) for p in pictures) >= 8 + 16 and max(len(p) for p in pictures) <= 8 + 64
    real = {bytes(r[0]) for r in _rows(pg_database_url, "SELECT picture FROM staff")}
    assert not real & set(pictures)
