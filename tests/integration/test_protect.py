"""Value protection: nothing that points at one real person comes out of a clone."""

from __future__ import annotations

import sqlite3
import warnings

import numpy as np
import pandas as pd

import relsynth
from relsynth.config import Config, PrivacyConfig
from relsynth.models import encoding
from relsynth.privacy import protect
from relsynth.report import build_report
from relsynth.schema.kinds import Kind
from relsynth.synthesizer import Synthesizer


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


def build_neighbours(path, n: int = 400, lone: int = 40, seed: int = 0):
    """People born within four months of each other in three zip codes, and ``lone`` people born
    decades apart: each of them the only one of their zip and gender within a month."""
    rng = np.random.default_rng(seed)
    birth = (pd.Timestamp("1980-01-01") + pd.to_timedelta(rng.integers(0, 120, n), unit="D")).to_numpy(copy=True)
    birth[:lone] = pd.Timestamp("1930-01-01") + pd.to_timedelta(rng.choice(45 * 365, lone, replace=False), unit="D")
    zip_code = rng.choice(["10001", "10002", "10003"], n)
    gender = rng.choice(["f", "m"], n)
    title = rng.choice(["clerk", "engineer", "manager", "nurse"], n)
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, title VARCHAR(20), birth_date DATE, zip VARCHAR(5), "
                "gender VARCHAR(1))")
    con.executemany("INSERT INTO people VALUES (?, ?, ?, ?, ?)",
                    [(i + 1, title[i], pd.Timestamp(birth[i]).date().isoformat(), zip_code[i], gender[i])
                     for i in range(n)])
    con.commit()
    con.close()
    return path


def near_lone_people(real: pd.DataFrame, copy: pd.DataFrame, *, days: float, k: int = 5) -> tuple[int, int]:
    """How many real people fewer than ``k`` real people (themselves included) are near (same zip
    and gender, born within ``days``), and how many copied rows lie that near one of them."""
    def day(frame):
        return frame.assign(day=pd.to_datetime(frame.birth_date).to_numpy().astype("datetime64[D]").astype(np.int64))

    real, copy = day(real), day(copy)
    pairs = real.merge(real, on=["zip", "gender"])
    neighbours = pairs[(pairs.day_x - pairs.day_y).abs() <= days].groupby("id_x").size()
    lone = real[real.id.map(neighbours) < k]
    hits = lone.merge(copy, on=["zip", "gender"])
    return len(lone), int(((hits.day_x - hits.day_y).abs() <= days).sum())


def clone_neighbours(tmp_path, privacy: PrivacyConfig) -> tuple[pd.DataFrame, pd.DataFrame, int | None]:
    """The real and the copied people, and the report's count of copied rows near a lone person
    (at the default tolerances)."""
    source = build_neighbours(tmp_path / "neighbours.sqlite")
    target = tmp_path / "copy.sqlite"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # rows that kept lying near a lone person are dropped
        relsynth.clone(str(source), str(target), seed=2, scale=2, config=Config(privacy=privacy))
    real = pd.read_sql("SELECT * FROM people", sqlite3.connect(source))
    copy = pd.read_sql("SELECT * FROM people", sqlite3.connect(target))
    reported = build_report(str(source), str(target)).table("people").privacy.quasi_near
    return real, copy, reported


def test_no_row_comes_out_near_a_person_few_real_people_are_near(tmp_path):
    real, copy, reported = clone_neighbours(tmp_path, PrivacyConfig(qi_days=30))
    lone, near = near_lone_people(real, copy, days=30)
    assert lone >= 35 and near == 0 and reported == 0
    assert len(copy) >= 0.95 * 2 * len(real)      # fidelity holds: few rows redrawn in vain and dropped


def test_a_threshold_of_zero_compares_quasi_identifiers_exactly(tmp_path):
    real, copy, reported = clone_neighbours(tmp_path, PrivacyConfig(qi_days=0, qi_share=0))
    lone, near = near_lone_people(real, copy, days=30)
    assert near > 0 and reported > 0              # rows a day or a week from a lone person come out
    quasi = ["birth_date", "zip", "gender"]
    shared = real.groupby(quasi).size()
    rare = {tuple(map(str, r)) for r in shared[shared < 5].index}
    assert not set(map(tuple, copy[quasi].astype(str).to_numpy())) & rare   # exact matches still never do


def test_the_grid_catches_a_row_within_the_tolerance_and_not_one_three_tolerances_away():
    rng = np.random.default_rng(1)
    crowd = pd.Timestamp("1980-01-01") + pd.to_timedelta(rng.integers(0, 60, 300), unit="D")
    real = pd.DataFrame({"birth_date": [d.date().isoformat() for d in crowd], "zip": "10001", "gender": "f"})
    real.loc[0, "birth_date"] = "1950-06-15"       # alone
    kinds = {"birth_date": Kind.DATE, "zip": Kind.CATEGORICAL, "gender": Kind.CATEGORICAL}
    metas = {c: encoding.analyze(real[c], kind) for c, kind in kinds.items()}
    widths = protect.tolerances(list(kinds), metas, days=10, share=0.02)
    assert widths == {"birth_date": 10.0}
    rare = protect.rare_neighbourhoods(real, list(kinds), metas, widths, k=5, key="ab" * 8)
    generated = pd.DataFrame({"birth_date": ["1950-06-16", "1950-06-05", "1950-06-25", "1950-07-15", "1950-05-16",
                                             "1950-06-16", "1980-01-20"],
                              "zip": ["10001"] * 5 + ["10002", "10001"], "gender": "f"})
    flagged = protect.near_rare(generated, list(kinds), metas, widths, rare, key="ab" * 8)
    # a day away, ten days either way: caught; 30 days either way, another zip, the crowd: not
    assert flagged.tolist() == [True, True, True, False, False, False, False]
    assert protect.count_near_rare(real, generated, list(kinds), metas, widths, k=5) == 3


def test_numbers_are_near_within_a_share_of_their_range_and_zip_codes_never():
    metas = {"age": {"kind": "integer", "min": 18, "max": 90}, "zip": {"kind": "integer", "min": 10001, "max": 99999},
             "born_at": {"kind": "datetime", "min": 0, "max": 1}, "gender": {"kind": "categorical"}}
    widths = protect.tolerances(list(metas), metas, days=2, share=0.02)
    assert widths == {"age": 0.02 * 72, "born_at": 2 * 86_400e6}
    assert protect.tolerances(list(metas), metas, days=0, share=0) == {}


def test_saved_models_keep_the_tolerances(tmp_path, monkeypatch):
    monkeypatch.setenv("RELSYNTH_SALT", "a-salt-long-enough-for-the-check-0123456789")  # digests are kept
    source = build_neighbours(tmp_path / "neighbours.sqlite")
    synth = Synthesizer(config=Config(privacy=PrivacyConfig(qi_days=12))).fit(str(source), seed=0)
    people = synth.tables["people"]
    assert people.near == {"birth_date": 12.0} and people.exclusions["__protect__.near"].size
    loaded = Synthesizer.load(synth.save(tmp_path / "model")).tables["people"]
    assert loaded.near == people.near
    np.testing.assert_array_equal(loaded.exclusions["__protect__.near"], people.exclusions["__protect__.near"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        copy = Synthesizer.load(tmp_path / "model").sample(scale=2, seed=3)["people"]
    real = pd.read_sql("SELECT * FROM people", sqlite3.connect(source))
    assert near_lone_people(real, copy.astype({"birth_date": str}), days=12)[1] == 0


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


def test_free_text_uses_common_words_but_never_a_note_fewer_than_k_rows_wrote(tmp_path):
    rng = np.random.default_rng(0)
    templates = ["Gift wrap, please.", "Call before delivery.", "Please leave the parcel at the back door.",
                 "Fragile - handle with care.", "Deliver after 5 pm.", "Second attempt, last one was returned."]
    notes = [f"{a} {b}".strip() for a, b in zip(rng.choice(templates, 1500),
                                                 np.where(rng.random(1500) < 0.3, rng.choice(templates, 1500), ""))]
    notes[:10] = ["Ask for Margaret Thornbury at the desk, jane.doe@corp.com"] * 10
    source, target = tmp_path / "notes.sqlite", tmp_path / "copy.sqlite"
    con = sqlite3.connect(source)
    con.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT)")
    con.executemany("INSERT INTO orders VALUES (?, ?)", [(i + 1, n) for i, n in enumerate(notes)])
    con.commit()
    con.close()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        relsynth.clone(str(source), str(target), seed=1, config=Config(tables={"orders": {"columns": {
            "note": {"kind": "text"}}}}))
    copy = pd.read_sql("SELECT note FROM orders", sqlite3.connect(target)).note.dropna()
    shared = pd.Series(notes).value_counts()
    assert not copy.isin(set(shared[shared < 5].index)).any()
    assert copy.isin(set(shared[shared >= 5].index)).mean() > 0.3
    assert not copy.str.contains("Margaret|Thornbury|@").any()
