"""Value protection: nothing that points at one real person comes out of a clone."""

from __future__ import annotations

import sqlite3
import warnings

import numpy as np
import pandas as pd

import relsynth
from relsynth.config import Config, PrivacyConfig
from relsynth.privacy import protect
from relsynth.schema.kinds import Kind


def build_people(path, n: int = 3000, seed: int = 0):
    rng = np.random.default_rng(seed)
    titles = rng.choice(["clerk", "engineer", "manager", "nurse"], n)
    titles[:6] = ["astronaut", "astronaut", "royal chef", "spy", "spy", "spy"]   # fewer than 5 each
    salary = np.round(rng.lognormal(10.8, 0.3, n), -2)
    salary[7] = 9_900_000.0                                                        # one extreme earner
    birth = pd.Timestamp("1950-01-01") + pd.to_timedelta(rng.integers(0, 60, n), unit="D")
    zip_code = rng.choice([f"{z:05d}" for z in range(10001, 10021)], n)
    gender = rng.choice(["f", "m"], n)
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, title VARCHAR(20) NOT NULL, salary NUMERIC(12,2), "
                "birth_date DATE, zip VARCHAR(5), gender VARCHAR(1))")
    con.executemany("INSERT INTO people VALUES (?, ?, ?, ?, ?, ?)",
                    [(i + 1, titles[i], float(salary[i]), birth[i].date().isoformat(), zip_code[i], gender[i])
                     for i in range(n)])
    con.commit()
    con.close()
    return path


def test_rare_categories_extremes_and_rare_combinations_never_come_out(tmp_path):
    source = build_people(tmp_path / "people.sqlite")
    target = tmp_path / "copy.sqlite"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        relsynth.clone(str(source), str(target), seed=2, scale=2)
    real = pd.read_sql("SELECT * FROM people", sqlite3.connect(source))
    copy = pd.read_sql("SELECT * FROM people", sqlite3.connect(target))
    assert len(copy) > 5000
    assert not set(copy.title) & {"astronaut", "royal chef", "spy"}
    assert copy.salary.max() < 9_900_000 and copy.salary.max() <= real.salary.sort_values().iloc[-5]
    quasi = ["birth_date", "zip", "gender"]
    shared = real.groupby(quasi).size()
    rare = set(shared[shared < 5].index)
    assert len(rare) > 1000          # most real people share their three values with few others
    assert not set(map(tuple, copy[quasi].astype(str).to_numpy())) & {tuple(map(str, r)) for r in rare}


def test_k_of_one_turns_protection_off(tmp_path):
    source = build_people(tmp_path / "people.sqlite")
    target = tmp_path / "copy.sqlite"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        relsynth.clone(str(source), str(target), seed=2, scale=3, config=Config(privacy=PrivacyConfig(k=1)))
    copy = pd.read_sql("SELECT title FROM people", sqlite3.connect(target))
    assert set(copy.title) & {"astronaut", "spy"}   # rare values survive when asked for


def test_quasi_identifiers_are_found_by_name():
    kinds = {"birth_date": Kind.DATE, "zipCode": Kind.CATEGORICAL, "gender": Kind.CATEGORICAL,
             "age": Kind.INTEGER, "salary": Kind.DECIMAL, "page_views": Kind.INTEGER}
    assert protect.quasi_identifiers(kinds) == ["birth_date", "zipCode", "gender", "age"]


def test_strict_fails_before_writing_when_a_column_was_added_since_review(tmp_path):
    from typer.testing import CliRunner

    from relsynth.cli import app

    source = build_people(tmp_path / "people.sqlite")
    reviewed = tmp_path / "relsynth.yaml"
    runner = CliRunner()
    assert runner.invoke(app, ["inspect", str(source), "-o", str(reviewed)]).exit_code == 0
    target = tmp_path / "copy.sqlite"
    ok = runner.invoke(app, ["clone", str(source), str(target), "-q", "--strict", "-c", str(reviewed)])
    assert ok.exit_code == 0, ok.output
    con = sqlite3.connect(source)   # the schema changes after the review
    con.execute("ALTER TABLE people ADD COLUMN ref_no INTEGER")       # an id under a name nobody can tell
    con.execute("UPDATE people SET ref_no = 100000000 + id * 7")
    con.commit()
    con.close()
    target.unlink()
    failed = runner.invoke(app, ["clone", str(source), str(target), "-q", "--strict", "-c", str(reviewed)])
    assert failed.exit_code == 1 and "people.ref_no" in failed.output and "hint:" in failed.output
    assert not target.exists()    # nothing was written
