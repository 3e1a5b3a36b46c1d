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


def counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            quote = engine.dialect.identifier_preparer.quote
            return {n: conn.exec_driver_sql(f"SELECT COUNT(*) FROM {quote(n)}").scalar_one() for n in names}
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


@pytest.mark.postgres
def test_northwind_into_postgresql_and_sqlite(corpus_url, scratch_dir):
    source = corpus_url("northwind")
    inspect = relsynth("inspect", source, "-o", str(scratch_dir / "northwind.yaml"))
    assert inspect.returncode == 0, inspect.stderr
    assert "orders" in yaml.safe_load((scratch_dir / "northwind.yaml").read_text())["tables"]
    with fresh_database(POSTGRES_URL_ENV) as target:
        clone_and_check(source, target, scratch_dir)
    clone_and_check(source, f"sqlite:///{scratch_dir / 'northwind.sqlite'}", scratch_dir)


@pytest.mark.mariadb
def test_employees_into_mariadb_and_sqlite(corpus_url, scratch_dir):
    source = corpus_url("employees")
    inspect = relsynth("inspect", source, "-o", str(scratch_dir / "employees.yaml"))
    assert inspect.returncode == 0, inspect.stderr
    with fresh_database(MARIADB_URL_ENV) as target:
        clone_and_check(source, target, scratch_dir)
    clone_and_check(source, f"sqlite:///{scratch_dir / 'employees.sqlite'}", scratch_dir)


@pytest.mark.postgres
def test_pagila_into_postgresql_and_sqlite(corpus_url, scratch_dir):
    """Enum, domain, bytea, text[], tsvector. (Its partitioned payment is still written as a plain
    table beside its partitions, and views are not cloned: issues 13 and 14.)"""
    source = corpus_url("pagila")
    inspect = relsynth("inspect", source, "-o", str(scratch_dir / "pagila.yaml"))
    assert inspect.returncode == 0, inspect.stderr
    with fresh_database(POSTGRES_URL_ENV) as target:
        clone_and_check(source, target, scratch_dir)
    clone_and_check(source, f"sqlite:///{scratch_dir / 'pagila.sqlite'}", scratch_dir)


@pytest.mark.mariadb
def test_sakila_into_mariadb_and_sqlite(corpus_url, scratch_dir):
    """A NOT NULL foreign-key cycle (store <-> staff), SET and ENUM, YEAR, BLOB, unsigned ints."""
    source = corpus_url("sakila")
    inspect = relsynth("inspect", source, "-o", str(scratch_dir / "sakila.yaml"))
    assert inspect.returncode == 0, inspect.stderr
    with fresh_database(MARIADB_URL_ENV) as target:
        clone_and_check(source, target, scratch_dir)
    clone_and_check(source, f"sqlite:///{scratch_dir / 'sakila.sqlite'}", scratch_dir)
