"""PostgreSQL partitioned tables: one model for the parent, partitions created again in a PostgreSQL
target with their bounds, one plain table elsewhere."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from relsynth import api
from relsynth.schema.reflect import reflect
from tests.conftest import POSTGRES_URL_ENV, execute, fresh_database, query

pytestmark = pytest.mark.postgres

SOURCE = [
    "CREATE TABLE customer (id serial PRIMARY KEY, name text NOT NULL)",
    "INSERT INTO customer (name) SELECT 'c' || i FROM generate_series(1, 40) i",
    # range by date, partitions without foreign keys of their own on one of them (as pagila)
    "CREATE TABLE payment (id integer NOT NULL, customer_id integer NOT NULL REFERENCES customer(id), "
    "amount numeric(6,2) NOT NULL, paid timestamptz NOT NULL, PRIMARY KEY (paid, id)) PARTITION BY RANGE (paid)",
    "CREATE TABLE payment_q1 PARTITION OF payment FOR VALUES FROM ('2022-01-01 00:00+00') TO ('2022-04-01 00:00+00')",
    "CREATE TABLE payment_q2 PARTITION OF payment FOR VALUES FROM ('2022-04-01 00:00+00') TO ('2022-07-01 00:00+00')",
    "INSERT INTO payment SELECT i, 1 + i %% 40, (i %% 97) + 0.5, "
    "'2022-01-01'::timestamptz + (i * interval '17 hours') FROM generate_series(1, 250) i",
    # a foreign key pointing at a partition: it points at the partitioned table in the clone
    "CREATE TABLE refund (id serial PRIMARY KEY, paid timestamptz NOT NULL, payment_id integer NOT NULL, "
    "FOREIGN KEY (paid, payment_id) REFERENCES payment_q1 (paid, id))",
    "INSERT INTO refund (paid, payment_id) SELECT paid, id FROM payment_q1 WHERE id %% 3 = 0",
    # list with a default partition, and hash
    "CREATE TABLE event (id integer NOT NULL, kind text NOT NULL, PRIMARY KEY (id, kind)) PARTITION BY LIST (kind)",
    "CREATE TABLE event_ab PARTITION OF event FOR VALUES IN ('a', 'b')",
    "CREATE TABLE event_other PARTITION OF event DEFAULT",
    "INSERT INTO event SELECT i, (ARRAY['a','b','c','d'])[1 + i %% 4] FROM generate_series(1, 120) i",
    "CREATE TABLE reading (id integer PRIMARY KEY, value float NOT NULL) PARTITION BY HASH (id)",
    "CREATE TABLE reading_0 PARTITION OF reading FOR VALUES WITH (MODULUS 2, REMAINDER 0)",
    "CREATE TABLE reading_1 PARTITION OF reading FOR VALUES WITH (MODULUS 2, REMAINDER 1)",
    "INSERT INTO reading SELECT i, i * 0.7 FROM generate_series(1, 100) i",
]


@pytest.fixture
def source_url() -> str:
    with fresh_database(POSTGRES_URL_ENV) as url:
        execute(url, *SOURCE)
        yield url


def test_partitions_are_one_table_of_the_schema_with_all_rows(source_url: str) -> None:
    engine = sa.create_engine(source_url, poolclass=NullPool)
    try:
        schema = reflect(engine)
    finally:
        engine.dispose()
    assert sorted(t.name for t in schema) == ["customer", "event", "payment", "reading", "refund"]
    assert [(fk.parent, fk.parent_columns) for fk in schema["refund"].foreign_keys] == [("payment", ("paid", "id"))]
    payment = schema["payment"]
    assert payment.row_count == 250
    assert payment.partitioning.strategy == "range" and payment.partitioning.key == ("paid",)
    assert [p.name for p in payment.partitioning.partitions] == ["payment_q1", "payment_q2"]
    assert [fk.parent for fk in payment.foreign_keys] == ["customer"]
    assert schema["event"].partitioning.has_default
    assert schema["reading"].partitioning.strategy == "hash"


def test_a_postgres_clone_partitions_the_parent_and_routes_rows_into_bounds(source_url: str) -> None:
    with fresh_database(POSTGRES_URL_ENV) as target:
        result = api.clone(source_url, target, seed=3)
        partitioned = {r[0]: r[1] for r in query(
            target, "SELECT c.relname, pg_get_partkeydef(c.oid) FROM pg_partitioned_table p "
                    "JOIN pg_class c ON c.oid = p.partrelid")}
        assert partitioned == {"payment": "RANGE (paid)", "event": "LIST (kind)", "reading": "HASH (id)"}
        bounds = dict(query(target, "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_class c "
                                    "WHERE c.relispartition AND c.relkind = 'r'"))
        assert bounds["event_other"] == "DEFAULT"
        assert bounds["payment_q1"] == "FOR VALUES FROM ('2022-01-01 00:00:00+00') TO ('2022-04-01 00:00:00+00')"
        assert set(bounds) == {"payment_q1", "payment_q2", "event_ab", "event_other", "reading_0", "reading_1"}
        total = query(target, "SELECT count(*) FROM payment")[0][0]
        assert 200 <= total <= 300
        q1, q2 = (query(target, f"SELECT count(*), min(paid), max(paid) FROM {p}")[0]
                  for p in ("payment_q1", "payment_q2"))
        assert q1[0] + q2[0] == total and q1[0] > 0 and q2[0] > 0
        assert q1[2].isoformat() < "2022-04-01" and q2[1].isoformat() >= "2022-04-01"
        assert query(target, "SELECT count(*) FROM ONLY payment")[0][0] == 0
        assert query(target, "SELECT count(*) FROM payment p LEFT JOIN customer c ON c.id = p.customer_id "
                             "WHERE c.id IS NULL")[0][0] == 0
        assert query(target, "SELECT count(*) FROM refund")[0][0] > 0
        assert query(target, "SELECT count(*) FROM refund r LEFT JOIN payment p ON p.paid = r.paid "
                             "AND p.id = r.payment_id WHERE p.id IS NULL")[0][0] == 0
        # the summary counts the partitioned table, never its partitions
        assert "payment_q1" not in result.rows and result.rows["payment"] == total


def test_another_dialect_gets_one_plain_table(source_url: str, tmp_path) -> None:
    target = tmp_path / "clone.db"
    with pytest.warns(UserWarning, match="plain tables on sqlite"):
        api.clone(source_url, f"sqlite:///{target}", seed=3)
    con = sqlite3.connect(target)
    try:
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert names == {"customer", "payment", "event", "reading", "refund"}
        paid = [r[0] for r in con.execute("SELECT paid FROM payment")]
    finally:
        con.close()
    assert 200 <= len(paid) <= 300
    assert min(paid) >= "2022-01-01" and max(paid) < "2022-07-01"
