"""A model directory holds no real value that fewer than k source rows share (issue 12).

A planted people database: unique salaries and birth dates, one person's department, the
highest salary, order timestamps, e-mails and national ids. Each family is trained on it and
every file it writes is scanned (:mod:`relsynth.privacy.audit`): no rare real value, no digest
that a key in the directory opens. A model trained with protection off is scanned too, so the
scan is known to find what is there.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from relsynth.config import Config, PrivacyConfig
from relsynth.privacy.audit import audit_model, rare_values
from relsynth.privacy.protect import protect
from relsynth.privacy.rare import private_codes
from relsynth.schema.kinds import Kind
from relsynth.synthesizer import Synthesizer

from .conftest import relsynth

K = 5
SALT = "a-long-secret-salt-for-the-tests-0123456789"


@pytest.fixture(scope="module")
def people(tmp_path_factory) -> Path:
    """400 people with personal numbers and dates, 1,200 orders."""
    rng = np.random.default_rng(12)
    n, m = 400, 1200
    departments = rng.choice(["Sales", "Support", "Engineering", "Finance"], size=n, p=[.4, .3, .2, .1]).astype(object)
    departments[17] = "Office of the Founder"            # a department of one person
    people = pd.DataFrame({
        "id": np.arange(1, n + 1),
        "full_name": [f"Person {chr(65 + i % 26)}{chr(65 + i // 26 % 26)} Example{i}" for i in range(n)],
        "email": [f"person{i}@corp.example.org" for i in range(n)],
        "ssn": [f"{100 + i:03d}-{i % 90 + 10:02d}-{1000 + 7 * i:04d}" for i in range(n)],
        "department": departments,
        "salary": rng.choice(np.arange(30_000, 400_000), size=n, replace=False),
        "birth_date": [dt.date(1950, 1, 1) + dt.timedelta(days=int(d)) for d in rng.choice(18_000, n, replace=False)],
        "zip": rng.choice([f"{z:05d}" for z in range(10_001, 10_031)], size=n),
        "gender": rng.choice(["F", "M"], size=n),
    })
    people.loc[3, "salary"] = 2_500_000                     # the one person everyone would know
    orders = pd.DataFrame({
        "id": np.arange(1, m + 1),
        "person_id": rng.integers(1, n + 1, size=m),
        "placed_at": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365 * 86_400, size=m), unit="s"),
        "amount": np.round(rng.gamma(2.0, 40.0, size=m), 2),
    })
    path = tmp_path_factory.mktemp("people") / "people.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE people (id INTEGER PRIMARY KEY, full_name VARCHAR(60) NOT NULL, "
                             "email VARCHAR(80) NOT NULL UNIQUE, ssn VARCHAR(11) NOT NULL, department VARCHAR(40), "
                             "salary INTEGER NOT NULL, birth_date DATE NOT NULL, zip VARCHAR(5), gender CHAR(1))")
        conn.exec_driver_sql("CREATE TABLE orders (id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL "
                             "REFERENCES people(id), placed_at TIMESTAMP NOT NULL, amount NUMERIC(10, 2) NOT NULL)")
    people.to_sql("people", engine, if_exists="append", index=False)
    orders.to_sql("orders", engine, if_exists="append", index=False)
    engine.dispose()
    return path


def _train(source: Path, directory: Path, *, family: str = "trees", k: int = K, salt: str | None = None,
           monkeypatch=None) -> Path:
    if salt and monkeypatch:
        monkeypatch.setenv("RELSYNTH_SALT", salt)
    config = Config(privacy=PrivacyConfig(k=k), model=family)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Synthesizer(config=config).fit(str(source)).save(directory)
    return directory


def test_a_trees_model_holds_no_rare_real_value(people, tmp_path):
    model = _train(people, tmp_path / "model")
    audit = audit_model(model, sa.create_engine(f"sqlite:///{people}"), k=K)
    assert audit.checked > 1000   # salaries, birth dates, timestamps, amounts, names: all looked for
    assert audit.clean, audit.leaks


def test_a_grandparents_values_on_every_line_are_not_kept(tmp_path):
    """The shop's order lines see each order's customer: one customer's sign-up time on all the
    lines of all her orders must not count as shared by many (it did, and stayed exact)."""
    shop = Path(__file__).resolve().parents[2] / "fixtures" / "shop.sqlite"
    model = _train(shop, tmp_path / "model")
    audit = audit_model(model, sa.create_engine(f"sqlite:///{shop}"), k=K)
    assert audit.clean, audit.leaks


def test_the_scan_finds_the_values_an_unprotected_model_holds(people, tmp_path):
    model = _train(people, tmp_path / "model", k=1)
    audit = audit_model(model, sa.create_engine(f"sqlite:///{people}"), k=K)
    leaked = {(leak.table, leak.column) for leak in audit.leaks}
    assert {("people", "salary"), ("people", "birth_date"), ("orders", "placed_at")} <= leaked


def test_digests_are_stored_only_under_a_salt_and_never_with_their_key(people, tmp_path, monkeypatch):
    unsalted = _train(people, tmp_path / "unsalted")
    salted = _train(people, tmp_path / "salted", salt=SALT, monkeypatch=monkeypatch)
    engine = sa.create_engine(f"sqlite:///{people}")
    assert audit_model(unsalted, engine, k=K).holdings.digests.size == 0   # a forgotten key: nothing kept
    audit = audit_model(salted, engine, k=K)
    assert audit.holdings.digests.size > 0
    assert audit.clean, audit.leaks   # no key in the directory opens them
    assert SALT not in "".join(p.read_text(errors="ignore") for p in salted.glob("*.json"))


def test_generate_checks_real_values_only_with_the_training_salt(people, tmp_path, monkeypatch):
    model = _train(people, tmp_path / "model", salt=SALT, monkeypatch=monkeypatch)
    assert all(t.digest_key for t in Synthesizer.load(model).tables.values())
    monkeypatch.delenv("RELSYNTH_SALT")
    with pytest.warns(UserWarning, match="RELSYNTH_SALT is not set"):
        loaded = Synthesizer.load(model)
    assert not any(t.digest_key for t in loaded.tables.values())
    frames = loaded.sample(seed=1)   # still generates, every row in its format
    assert len(frames["people"]) == 400


@pytest.mark.parametrize("family", ["gan", "autoregressive"])
def test_a_neural_model_directory_holds_no_rare_real_value(people, tmp_path, family):
    """The whole pipeline with a neural family for every table (a few minutes on two cores)."""
    pytest.importorskip("torch")
    model = _train(people, tmp_path / "model", family=family)
    audit = audit_model(model, sa.create_engine(f"sqlite:///{people}"), k=K)
    assert audit.checked > 1000
    assert audit.clean, audit.leaks


@pytest.mark.parametrize("family", ["gan", "autoregressive"])
def test_neural_families_store_no_rare_real_number(people, family):
    """The families' own stores (quantile cuts, modes, offsets) from the same planted columns."""
    pytest.importorskip("torch")
    from relsynth.models import get_family

    engine = sa.create_engine(f"sqlite:///{people}")
    frame = pd.read_sql("SELECT department, salary, birth_date FROM people", engine, parse_dates=["birth_date"])
    frame["birth_date"] = frame["birth_date"].dt.date
    kinds = {"department": Kind.CATEGORICAL, "salary": Kind.INTEGER, "birth_date": Kind.DATE}
    small = {"gan": {"width": 16, "batch_size": 50, "min_steps": 20, "max_steps": 20},
             "autoregressive": {"target_steps": 20, "max_epochs": 2}}[family]
    model = get_family(family)(**small)
    rng = np.random.default_rng(0)
    model.fit(protect(frame, kinds, k=K, rng=rng), kinds=kinds, rng=rng, k=K)   # as the pipeline does
    meta, arrays = model.state()
    stored = np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays.values()
                             if np.asarray(a).dtype.kind == "f"] + [np.array(_floats(meta))])
    for column, kind in kinds.items():
        _, rare = rare_values(frame[column], kind, K)
        bounds = _clip_bounds(frame[column], kind)   # the extremes were pulled in to them: they stand for k rows
        assert not np.isin(np.setdiff1d(rare, bounds), stored).any(), f"{family} stored a rare real {column}"


def _clip_bounds(values: pd.Series, kind: Kind) -> np.ndarray:
    from relsynth.models import encoding

    if kind == Kind.CATEGORICAL:
        return np.zeros(0)
    codes = np.sort(encoding.encode(values, encoding.analyze(values, kind)))
    return codes[[K - 1, -K]]


def _floats(value) -> list[float]:
    if isinstance(value, dict):
        return [f for v in value.values() for f in _floats(v)]
    if isinstance(value, list):
        return [f for v in value for f in _floats(v)]
    return [value] if isinstance(value, float) else []


def test_private_codes_keep_common_values_and_move_rare_ones_off_every_real_value():
    rng = np.random.default_rng(3)
    codes = np.concatenate([np.full(50, 100.0), np.arange(200.0, 260.0), [np.nan] * 5])
    out = private_codes(codes, K, rng)
    assert (out[:50] == 100.0).all()                  # a price fifty rows share stays exact
    assert np.isnan(out[-5:]).all()                   # nulls stay null
    moved = out[50:110]
    assert not np.isin(moved, codes).any()            # no unique value survives, not even another one's
    assert np.abs(moved - codes[50:110]).max() <= K   # each stays among its k neighbours
    assert np.corrcoef(moved, codes[50:110])[0, 1] > 0.99


def test_sparse_timestamps_keep_their_hour_of_day():
    """A flight every few days at 08:xx or 17:xx: the day and the time of day move apart, each
    among its own neighbours, so the peak hours survive and no timestamp is kept."""
    from relsynth.privacy.rare import DAY_US

    rng = np.random.default_rng(4)
    days = np.sort(rng.choice(2000, 300, replace=False))
    codes = days * DAY_US + rng.choice([8, 17], 300) * 3600e6 + rng.integers(0, 3600, 300) * 1e6
    out = private_codes(codes, K, rng, period=DAY_US)
    hour = (out % DAY_US) // 3600e6
    assert np.isin(hour, [8, 17]).mean() > 0.95
    assert not np.isin(out, codes).any()


def test_inspect_model_prints_what_it_holds_and_the_scan(people, tmp_path):
    model = _train(people, tmp_path / "model")
    shown = relsynth("inspect-model", str(model), "--source", str(people))
    assert shown.returncode == 0, shown.stderr
    assert "what the model holds" in shown.stdout and "scan: clean" in shown.stdout
    leaky = _train(people, tmp_path / "leaky", k=1)
    shown = relsynth("inspect-model", str(leaky), "--source", str(people))
    assert shown.returncode == 1
    assert "people.salary" in shown.stdout
