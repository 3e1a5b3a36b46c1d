"""PostgreSQL column types a real database uses (pagila): each cloned from a one-table source."""

from __future__ import annotations

import pytest

from relsynth import api
from tests.conftest import execute, POSTGRES_URL_ENV, fresh_database, query

pytestmark = pytest.mark.postgres

ROWS = 60




@pytest.fixture
def target_url() -> str:
    with fresh_database(POSTGRES_URL_ENV) as url:
        yield url


def test_bytea_is_cloned_as_bytes_with_the_sources_magic_and_lengths(pg_database_url: str, target_url: str) -> None:
    execute(pg_database_url,
         "CREATE TABLE staff (staff_id serial PRIMARY KEY, picture bytea)",
         "INSERT INTO staff (picture) SELECT '\\x89504e470d0a1a0a'::bytea || "
         "decode(repeat(md5(i::text), 1 + mod(i, 4)), 'hex') FROM generate_series(1, 60) i")
    api.clone(pg_database_url, target_url, seed=1)
    rows = query(target_url, "SELECT picture FROM staff WHERE picture IS NOT NULL")
    assert len(rows) >= ROWS // 2
    pictures = [bytes(r[0]) for r in rows]
    assert all(p.startswith(b"\x89PNG\r\n\x1a\n") for p in pictures)
    assert min(len(p) for p in pictures) >= 8 + 16 and max(len(p) for p in pictures) <= 8 + 64
    real = {bytes(r[0]) for r in query(pg_database_url, "SELECT picture FROM staff")}
    assert not real & set(pictures)


def test_text_arrays_are_written_as_postgres_arrays_of_the_sources_labels(pg_database_url: str,
                                                                          target_url: str) -> None:
    execute(pg_database_url,
         "CREATE TABLE film (film_id serial PRIMARY KEY, special_features text[], scores integer[] NOT NULL)",
         "INSERT INTO film (special_features, scores) SELECT CASE mod(i, 4) WHEN 0 THEN '{Trailers,Commentaries}' "
         "WHEN 1 THEN '{\"Deleted Scenes\"}' WHEN 2 THEN '{Trailers,\"Deleted Scenes\",\"Behind the Scenes\"}' "
         "ELSE '{}' END::text[], ARRAY[i, i * 2] FROM generate_series(1, 60) i")
    api.clone(pg_database_url, target_url, seed=1)
    rows = query(target_url, "SELECT special_features, scores, pg_typeof(special_features)::text FROM film")
    assert len(rows) == ROWS
    labels = {"Trailers", "Commentaries", "Deleted Scenes", "Behind the Scenes"}
    features = [r[0] for r in rows if r[0] is not None]
    assert features and all(isinstance(f, list) and set(f) <= labels for f in features)
    assert {len(f) for f in features} <= {0, 1, 2, 3} and len({len(f) for f in features}) > 1
    assert all(isinstance(r[1], list) and all(isinstance(x, int) for x in r[1]) for r in rows)
    assert {r[2] for r in rows} == {"text[]"}


def test_tsvector_is_written_as_valid_tsvector_of_generated_words(pg_database_url: str, target_url: str) -> None:
    execute(pg_database_url,
         "CREATE TABLE film (film_id serial PRIMARY KEY, title text NOT NULL, fulltext tsvector NOT NULL)",
         "INSERT INTO film (title, fulltext) SELECT t, to_tsvector('english', t) FROM (SELECT "
         "'Academy ' || md5(i::text) || ' battle of the drama ' || (i * 7) AS t FROM generate_series(1, 60) i) s")
    api.clone(pg_database_url, target_url, seed=1)
    rows = query(target_url, "SELECT fulltext::text, length(fulltext), pg_typeof(fulltext)::text FROM film")
    assert len(rows) == ROWS
    assert {r[2] for r in rows} == {"tsvector"}
    assert all(r[0] is not None for r in rows) and sum(r[1] > 0 for r in rows) > ROWS // 2


def test_a_postgres_scheme_url_is_cloned_like_postgresql(pg_database_url: str, target_url: str) -> None:
    execute(pg_database_url, "CREATE TABLE t (id serial PRIMARY KEY, n integer)",
         "INSERT INTO t (n) SELECT i FROM generate_series(1, 60) i")
    as_postgres = lambda url: "postgres://" + url.split("://", 1)[1]  # noqa: E731
    api.clone(as_postgres(pg_database_url), as_postgres(target_url), seed=1)
    assert query(target_url, "SELECT count(*) FROM t") == [(ROWS,)]
