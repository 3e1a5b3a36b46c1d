"""Shapes found in real databases (issue 13), each on a fresh MariaDB database built here."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

import relsynth


@contextmanager
def engine_for(url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def rows(url: str, sql: str) -> list[sa.Row]:
    with engine_for(url) as engine, engine.connect() as conn:
        return list(conn.execute(sa.text(sql)))


def build_salaries(url: str) -> None:
    """employees' shape: a date inside the primary key beside the FK, dates crowded per parent."""
    rng = np.random.default_rng(0)
    with engine_for(url) as engine, engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE employees (emp_no INT PRIMARY KEY, hire_date DATE NOT NULL)"))
        conn.execute(sa.text(
            "CREATE TABLE salaries (emp_no INT NOT NULL, salary INT NOT NULL, from_date DATE NOT NULL, "
            "to_date DATE NOT NULL, PRIMARY KEY (emp_no, from_date), "
            "FOREIGN KEY (emp_no) REFERENCES employees (emp_no))"))
        employees, salaries = [], []
        for emp in range(1, 121):
            hire = np.datetime64("1995-01-01") + int(rng.integers(0, 40))
            employees.append({"e": emp, "h": str(hire)})
            for k in range(int(rng.integers(5, 15))):  # yearly raises on the hire day's anniversary
                start = hire + 365 * k
                salaries.append({"e": emp, "s": int(40000 + 1000 * k + rng.integers(0, 500)),
                                 "f": str(start), "t": str(start + 365)})
        conn.execute(sa.text("INSERT INTO employees VALUES (:e, :h)"), employees)
        conn.execute(sa.text("INSERT INTO salaries VALUES (:e, :s, :f, :t)"), salaries)


@pytest.mark.mariadb
@pytest.mark.parametrize("scale", [1.0, 3.0])
def test_a_date_in_a_composite_key_beside_its_fk_never_repeats_within_a_parent(scale, tmp_path):
    from tests.conftest import MARIADB_URL_ENV, fresh_database

    with fresh_database(MARIADB_URL_ENV) as source:
        build_salaries(source)
        target = f"sqlite:///{tmp_path / 'salaries.sqlite'}"
        for seed in (0, 1):
            result = relsynth.clone(source, target, seed=seed, scale=scale, replace=True)
            assert result.passed
            assert rows(target, "SELECT COUNT(*) FROM salaries")[0][0] > 0
            assert rows(target, "SELECT COUNT(*) FROM (SELECT emp_no, from_date FROM salaries "
                                "GROUP BY emp_no, from_date HAVING COUNT(*) > 1) d")[0][0] == 0


FEATURES = ("Trailers", "Commentaries", "Deleted Scenes", "Behind the Scenes")


def build_films(url: str) -> None:
    """sakila's shape: a MySQL SET column (special_features)."""
    rng = np.random.default_rng(1)
    with engine_for(url) as engine, engine.begin() as conn:
        labels = ", ".join(f"'{f}'" for f in FEATURES)
        conn.execute(sa.text(f"CREATE TABLE film (film_id INT PRIMARY KEY, length SMALLINT NOT NULL, "
                             f"special_features SET({labels}) DEFAULT NULL)"))
        films = []
        for film in range(1, 201):
            chosen = [f for f in FEATURES if rng.random() < 0.5]
            films.append({"i": film, "l": int(rng.integers(60, 180)),
                          "s": ",".join(chosen) if film % 10 else None})
        conn.execute(sa.text("INSERT INTO film VALUES (:i, :l, :s)"), films)


@pytest.mark.mariadb
def test_a_set_column_clones_as_sets_of_its_labels(tmp_path):
    from tests.conftest import MARIADB_URL_ENV, fresh_database

    with fresh_database(MARIADB_URL_ENV) as source, fresh_database(MARIADB_URL_ENV) as target:
        build_films(source)
        for url in (target, f"sqlite:///{tmp_path / 'films.sqlite'}"):
            assert relsynth.clone(source, url, seed=0).passed
            written = [r[0] for r in rows(url, "SELECT special_features FROM film")]
            assert len(written) == 200
            sets = [set(v.split(",")) for v in written if v]
            assert len(sets) > 100 and all(s <= set(FEATURES) for s in sets)
            assert any(len(s) > 1 for s in sets)


def build_stores(url: str) -> None:
    """sakila's shape: store.manager_staff_id and staff.store_id, both NOT NULL, point at each other."""
    with engine_for(url) as engine, engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE store (store_id INT PRIMARY KEY, manager_staff_id INT NOT NULL, "
                             "city VARCHAR(20) NOT NULL)"))
        conn.execute(sa.text("CREATE TABLE staff (staff_id INT PRIMARY KEY, store_id INT NOT NULL, "
                             "salary INT NOT NULL, FOREIGN KEY (store_id) REFERENCES store (store_id))"))
        conn.execute(sa.text("SET FOREIGN_KEY_CHECKS = 0"))
        conn.execute(sa.text("INSERT INTO store VALUES (:s, :m, :c)"),
                     [{"s": s, "m": 10 * s, "c": ["Lethbridge", "Woodridge"][s % 2]} for s in range(1, 21)])
        conn.execute(sa.text("INSERT INTO staff VALUES (:i, :s, :p)"),
                     [{"i": i, "s": 1 + (i - 1) // 10, "p": 1000 + 7 * i} for i in range(1, 201)])
        conn.execute(sa.text("SET FOREIGN_KEY_CHECKS = 1"))
        conn.execute(sa.text("ALTER TABLE store ADD FOREIGN KEY (manager_staff_id) REFERENCES staff (staff_id)"))


@pytest.mark.mariadb
def test_a_not_null_foreign_key_cycle_clones_with_every_key_set(tmp_path):
    from tests.conftest import MARIADB_URL_ENV, fresh_database

    with fresh_database(MARIADB_URL_ENV) as source, fresh_database(MARIADB_URL_ENV) as target:
        build_stores(source)
        for url in (target, f"sqlite:///{tmp_path / 'stores.sqlite'}"):
            result = relsynth.clone(source, url, seed=0)
            assert result.passed
            assert rows(url, "SELECT COUNT(*) FROM store")[0][0] > 0
            assert rows(url, "SELECT COUNT(*) FROM staff")[0][0] > 0
            assert rows(url, "SELECT COUNT(*) FROM store s JOIN staff m ON m.staff_id = s.manager_staff_id")[0][0] \
                == rows(url, "SELECT COUNT(*) FROM store")[0][0]


@pytest.mark.mariadb
@pytest.mark.postgres
def test_a_not_null_foreign_key_cycle_clones_into_postgres(pg_database_url):
    from tests.conftest import MARIADB_URL_ENV, fresh_database

    with fresh_database(MARIADB_URL_ENV) as source:
        build_stores(source)
        assert relsynth.clone(source, pg_database_url, seed=0).passed
        assert rows(pg_database_url, "SELECT COUNT(*) FROM store WHERE manager_staff_id IS NULL")[0][0] == 0
