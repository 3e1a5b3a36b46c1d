"""Row counts as a user asks them: --scale keeps lookup tables whole, --rows sets a table's count,
and a result short of its counts is refused before anything is written (unless --allow-shrink)."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from tests.security.conftest import relsynth


@pytest.fixture(scope="module")
def company(tmp_path_factory) -> str:
    """9 departments (a lookup), 400 employees, one badge per employee for 300 of them, 2,000 shifts."""
    path = tmp_path_factory.mktemp("rows") / "company.sqlite"
    rng = np.random.default_rng(0)
    with sqlite3.connect(path) as db:
        db.executescript("""
            CREATE TABLE departments (id INTEGER PRIMARY KEY, name VARCHAR(30) NOT NULL UNIQUE);
            CREATE TABLE employees (id INTEGER PRIMARY KEY, department_id INTEGER NOT NULL REFERENCES departments(id),
                                    salary INTEGER NOT NULL);
            CREATE TABLE badges (id INTEGER PRIMARY KEY, employee_id INTEGER NOT NULL UNIQUE REFERENCES employees(id),
                                 level INTEGER NOT NULL);
            CREATE TABLE shifts (id INTEGER PRIMARY KEY, employee_id INTEGER NOT NULL REFERENCES employees(id),
                                 hours INTEGER NOT NULL);
        """)
        names = ["Sales", "Research", "Finance", "Legal", "Support", "Logistics", "Design", "Quality", "Security"]
        db.executemany("INSERT INTO departments VALUES (?, ?)", list(enumerate(names, 1)))
        db.executemany("INSERT INTO employees VALUES (?, ?, ?)",
                       [(i, int(rng.integers(1, 10)), int(rng.normal(50_000, 9_000))) for i in range(1, 401)])
        db.executemany("INSERT INTO badges VALUES (?, ?, ?)", [(i, i, int(rng.integers(1, 4))) for i in range(1, 301)])
        db.executemany("INSERT INTO shifts VALUES (?, ?, ?)",
                       [(i, int(rng.integers(1, 401)), int(rng.integers(4, 10))) for i in range(1, 2001)])
    return str(path)


def counts(path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: db.execute(f"SELECT COUNT(*) FROM {n}").fetchone()[0] for n in names}


def test_a_small_scale_keeps_the_lookup_table_whole_and_children_in_proportion(company, tmp_path):
    out = relsynth("clone", company, str(tmp_path / "small.sqlite"), "--scale", "0.05", "--quiet")
    assert out.returncode == 0, out.stderr
    assert counts(tmp_path / "small.sqlite") == {"departments": 9, "employees": 20, "badges": 15, "shifts": 100}
    assert "rows asked" in out.stdout


def test_rows_sets_one_table_and_its_children_follow(company, tmp_path):
    out = relsynth("clone", company, str(tmp_path / "set.sqlite"), "--rows", "employees=100",
                   "--rows", "departments=4", "--quiet")
    assert out.returncode == 0, out.stderr
    assert counts(tmp_path / "set.sqlite") == {"departments": 4, "employees": 100, "badges": 75, "shifts": 500}


def test_a_count_that_cannot_be_met_writes_nothing_unless_allowed(company, tmp_path):
    target = tmp_path / "short.sqlite"
    # one badge per employee: 400 employees cannot carry 1,000 badges
    refused = relsynth("clone", company, str(target), "--rows", "badges=1000", "--quiet")
    assert refused.returncode == 1
    assert "badges: 400 of 1,000 rows" in refused.stderr and "--allow-shrink" in refused.stderr
    assert not target.exists() or not counts(target)
    allowed = relsynth("clone", company, str(target), "--rows", "badges=1000", "--allow-shrink", "--quiet")
    assert allowed.returncode == 0, allowed.stderr
    assert counts(target)["badges"] == 400


def test_rows_that_name_no_table_are_refused_before_training(company, tmp_path):
    out = relsynth("clone", company, str(tmp_path / "x.sqlite"), "--rows", "staff=5", "--quiet")
    assert out.returncode == 1 and "--rows names no table of the model: staff" in out.stderr
