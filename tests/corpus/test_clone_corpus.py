"""Real databases nobody here designed, cloned as a stranger would: the command line, no config,
into every dialect pair (its own server, SQLite, the other server).

A clone into the source's own server has the source's schema, every object of it (the
normalized dump tool output is the same). Each clone must exit 0 with every constraint check passing in the target, keep every table, each
with its source's row count at most 2% short (never more: counts are asked, not left to chance;
lookup tables exactly), leave the target's key sequences past the keys written (an insert with
a default key works afterwards), and `inspect -o` and `report` must complete.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
import yaml

from tests.conftest import fresh_database, MARIADB_URL_ENV, POSTGRES_URL_ENV
from tests.schema_dumps import mysql_schema, postgres_schema
from tests.security.conftest import relsynth

SHARE_KEPT = 0.98


def counts(url: str, *, with_partitions: bool = False) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            if conn.dialect.name == "postgresql" and not with_partitions:   # a partition's rows are counted in its partitioned table
                names = [n for n in names if n not in partitions(conn)]
            quote = engine.dialect.identifier_preparer.quote
            return {n: conn.exec_driver_sql(f"SELECT COUNT(*) FROM {quote(n)}").scalar_one() for n in names}
    finally:
        engine.dispose()


def keys_behind_their_sequences(url: str) -> dict[str, tuple[int, int]]:
    """Tables whose next default key is not past the largest key written: (next, largest)."""
    engine = sa.create_engine(url)
    stuck = {}
    try:
        with engine.begin() as conn:
            inspector = sa.inspect(conn)
            quote = engine.dialect.identifier_preparer.quote
            for name in inspector.get_table_names():
                pk = inspector.get_pk_constraint(name)["constrained_columns"]
                if len(pk) != 1:
                    continue
                largest = conn.exec_driver_sql(f"SELECT MAX({quote(pk[0])}) FROM {quote(name)}").scalar()
                if engine.dialect.name == "postgresql":
                    sequence = conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                                            {"t": quote(name), "c": pk[0]}).scalar()
                    upcoming = conn.execute(sa.text("SELECT nextval(:s)"), {"s": sequence}).scalar() if sequence else None
                else:
                    upcoming = conn.execute(sa.text(
                        "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                        "AND TABLE_NAME = :t"), {"t": name}).scalar()
                if upcoming is not None and largest is not None and upcoming <= largest:
                    stuck[name] = (upcoming, largest)
    finally:
        engine.dispose()
    return stuck


def partitions(conn: sa.Connection) -> set[str]:
    return {r[0] for r in conn.exec_driver_sql("SELECT relname FROM pg_class c JOIN pg_namespace n "
                                               "ON n.oid = c.relnamespace WHERE c.relispartition "
                                               "AND c.relkind = 'r' AND n.nspname = current_schema()")}


def partitioned(url: str) -> dict[str, str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {r[0]: r[1] for r in conn.exec_driver_sql(
                "SELECT c.relname, pg_get_partkeydef(c.oid) FROM pg_partitioned_table p "
                "JOIN pg_class c ON c.oid = p.partrelid")}
    finally:
        engine.dispose()


def clone_and_check(source: str, target: str, folder) -> None:
    out = relsynth("clone", source, target, "--replace", "--quiet", "--seed", "1")
    assert out.returncode == 0, out.stderr[-2000:]
    assert re.search(r"constraint checks in the target: \d+ passed, 0 failed", out.stdout), out.stdout[-2000:]
    real, synth = counts(source), counts(target)
    missing = sorted(set(real) - set(synth))
    assert not missing, f"tables not cloned: {missing}"
    off = {t: (synth[t], n) for t, n in real.items() if not SHARE_KEPT * n <= synth[t] <= n}
    assert not off, f"tables off their row counts (clone, source): {off}"
    if not target.startswith("sqlite"):
        assert not keys_behind_their_sequences(target)
    report = relsynth("report", source, target, "-o", str(folder / "report.html"))
    assert report.returncode == 0, report.stderr[-2000:]
    assert (folder / "report.html").stat().st_size > 10_000


# pagila: enum, domain, bytea, text[], tsvector, a partitioned payment, views, a materialized view,
# functions, triggers; sakila and employees: views on views, routines, triggers, a FULLTEXT index,
# ON UPDATE CURRENT_TIMESTAMP, FK actions; northwind: small tables,
# a self-reference; sakila: a NOT NULL foreign-key cycle (store <-> staff), SET, ENUM, YEAR, BLOB,
# unsigned ints; employees: composite keys holding dates. Each goes to its own server, SQLite and
# the other server.
CASES = [pytest.param("northwind", POSTGRES_URL_ENV, MARIADB_URL_ENV, marks=pytest.mark.postgres, id="northwind"),
         pytest.param("pagila", POSTGRES_URL_ENV, MARIADB_URL_ENV, marks=pytest.mark.postgres, id="pagila"),
         pytest.param("sakila", MARIADB_URL_ENV, POSTGRES_URL_ENV, marks=pytest.mark.mariadb, id="sakila"),
         pytest.param("employees", MARIADB_URL_ENV, POSTGRES_URL_ENV, marks=pytest.mark.mariadb, id="employees")]


@pytest.mark.parametrize(("name", "server", "other"), CASES)
def test_clones_into_every_dialect(corpus_url, scratch_dir, name, server, other):
    source = corpus_url(name)
    inspect = relsynth("inspect", source, "-o", str(scratch_dir / f"{name}.yaml"))
    assert inspect.returncode == 0, inspect.stderr
    assert yaml.safe_load((scratch_dir / f"{name}.yaml").read_text())["tables"]
    for env in (server, other):
        with fresh_database(env) as target:
            clone_and_check(source, target, scratch_dir)
            if env == server:       # every object, as pg_dump / mysqldump see it
                dump = postgres_schema if env == POSTGRES_URL_ENV else mysql_schema
                assert dump(target) == dump(source)
            if name == "pagila" and env == server:   # partitioned again, its partitions holding the rows
                assert partitioned(target) == {"payment": "RANGE (payment_date)"}
                assert counts(target)["payment"] == sum(n for t, n in counts(target, with_partitions=True).items()
                                                        if t.startswith("payment_p2022_"))
    clone_and_check(source, f"sqlite:///{scratch_dir / f'{name}.sqlite'}", scratch_dir)
