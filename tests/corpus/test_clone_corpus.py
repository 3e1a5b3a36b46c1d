"""Real databases nobody here designed, cloned as a stranger would: the command line, no config.

Each clone must exit 0 with every constraint check passing in the target, keep every table
with rows when the source has them, and keep the row count of each table of 1,000 rows or more
within 10% of the source. Issue 13 asks for 2% everywhere; not met yet: northwind's
order_details loses about 5% (rows near rare real combinations, and clashes of its composite
key, are dropped) and employees' 24-row dept_manager comes out with about half its rows (its
children-per-employee count is 0 for all but 24 of 10,000 employees). `inspect -o`
and `report` must complete on the source and the clone.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
import yaml

from tests.conftest import fresh_database, MARIADB_URL_ENV, POSTGRES_URL_ENV
from tests.security.conftest import relsynth

SHARE_KEPT = 0.90


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
    empty = sorted(t for t, n in real.items() if n and not synth[t])
    assert not empty, f"tables that came out empty: {empty}"
    short = {t: (synth[t], n) for t, n in real.items() if n >= 1000 and synth[t] < SHARE_KEPT * n}
    assert not short, f"tables that lost rows (clone, source): {short}"
    report = relsynth("report", source, target, "-o", str(folder / "report.html"))
    assert report.returncode == 0, report.stderr[-2000:]
    assert (folder / "report.html").stat().st_size > 10_000


# pagila: enum, domain, bytea, text[], tsvector, a partitioned payment (views are not cloned: issue
# 14); northwind: small tables,
# a self-reference; sakila: a NOT NULL foreign-key cycle (store <-> staff), SET, ENUM, YEAR, BLOB,
# unsigned ints; employees: composite keys holding dates
CASES = [pytest.param("northwind", POSTGRES_URL_ENV, marks=pytest.mark.postgres, id="northwind"),
         pytest.param("pagila", POSTGRES_URL_ENV, marks=pytest.mark.postgres, id="pagila"),
         pytest.param("sakila", MARIADB_URL_ENV, marks=pytest.mark.mariadb, id="sakila"),
         pytest.param("employees", MARIADB_URL_ENV, marks=pytest.mark.mariadb, id="employees")]


@pytest.mark.parametrize(("name", "server"), CASES)
def test_clones_into_its_own_dialect_and_sqlite(corpus_url, scratch_dir, name, server):
    source = corpus_url(name)
    inspect = relsynth("inspect", source, "-o", str(scratch_dir / f"{name}.yaml"))
    assert inspect.returncode == 0, inspect.stderr
    assert yaml.safe_load((scratch_dir / f"{name}.yaml").read_text())["tables"]
    with fresh_database(server) as target:
        clone_and_check(source, target, scratch_dir)
        if name == "pagila":   # partitioned again, its partitions holding the rows
            assert partitioned(target) == {"payment": "RANGE (payment_date)"}
            assert counts(target)["payment"] == sum(n for t, n in counts(target, with_partitions=True).items()
                                                    if t.startswith("payment_p2022_"))
    clone_and_check(source, f"sqlite:///{scratch_dir / f'{name}.sqlite'}", scratch_dir)
