"""Fidelity: dependencies a user relies on survive a clone, measured on the clone itself.

A child is conditioned on summaries of its parent's children (latent parent columns), so a
dependency on a parent that has nothing but a name and keys (a product's price on its category)
is kept, and so is a parent column that follows its children (a budget and its payroll).
"""

from __future__ import annotations

import sqlite3
import statistics
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import relsynth
from fixtures import build as fb
from relsynth.synthesizer import Synthesizer

FIXTURE_DIR = Path(__file__).resolve().parents[2] / "fixtures"


def cloned_statistic(name: str, statistic: str, tmp_path: Path, seeds=(1, 2, 3)) -> float:
    """The median over a few seeds: one clone of a small table is a noisy draw."""
    values = []
    for seed in seeds:
        target = tmp_path / f"{name}-{seed}.sqlite"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            relsynth.clone(str(FIXTURE_DIR / f"{name}.sqlite"), str(target), seed=seed)
        engine = fb.sqlite_engine(target)
        try:
            values.append(fb.measure(name, engine)[statistic])
        finally:
            engine.dispose()
    return statistics.median(values)


def test_prices_still_depend_on_the_category(tmp_path):
    # categories hold only a name and keys; the category explains 97% of log price in the source
    assert cloned_statistic("shop", "price_category_eta2", tmp_path) >= 0.6


def test_salaries_still_depend_on_the_department(tmp_path):
    # the department explains 61% of log salary in the source (the department table: 8 rows)
    assert cloned_statistic("company", "salary_department_eta2", tmp_path) >= 0.25


def build_departments(path: Path, n: int = 300, seed: int = 0) -> None:
    """Each department's budget is 1.25 times the salaries of its staff; salaries follow it."""
    rng = np.random.default_rng(seed)
    size = rng.integers(2, 40, n)
    level = rng.lognormal(np.log(70_000), 0.35, n)
    dep = np.repeat(np.arange(n), size)
    salary = np.round(level[dep] * rng.choice([0.8, 1.0, 1.4], dep.size, p=[0.4, 0.4, 0.2])
                      * rng.lognormal(0, 0.08, dep.size), -2)
    budget = np.round(np.bincount(dep, weights=salary) * 1.25, -3)
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE departments (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL UNIQUE,
            budget NUMERIC(12, 2) NOT NULL);
        CREATE TABLE employees (id INTEGER PRIMARY KEY,
            department_id INTEGER NOT NULL REFERENCES departments(id), salary NUMERIC(10, 2) NOT NULL);
    """)
    con.executemany("INSERT INTO departments VALUES (?, ?, ?)",
                    [(i + 1, f"Department {i}", float(budget[i])) for i in range(n)])
    con.executemany("INSERT INTO employees VALUES (?, ?, ?)",
                    [(i + 1, int(dep[i]) + 1, float(salary[i])) for i in range(dep.size)])
    con.commit()
    con.close()


def test_a_budget_that_follows_the_payroll_survives(tmp_path):
    source = tmp_path / "departments.sqlite"
    build_departments(source)
    frames = Synthesizer().fit(str(source), seed=1).sample(seed=1)
    departments, employees = frames["departments"], frames["employees"]
    payroll = employees["salary"].astype(float).groupby(employees["department_id"].to_numpy()).sum()
    staffed = departments[departments["id"].isin(payroll.index)]
    budget = staffed["budget"].astype(float).to_numpy()
    paid = payroll.reindex(staffed["id"]).to_numpy()
    assert abs(np.mean(budget / paid) - 1.25) < 0.05
    assert np.corrcoef(budget, paid)[0, 1] > 0.9
    counts = pd.Series(employees["department_id"]).value_counts()
    assert 15 < counts.mean() < 28  # about 21 a department in the source


def test_rules_across_tables_hold_in_every_row(tmp_path):
    """Rules the shop keeps without declaring them: an order line costs its product's price, an
    order comes after its customer signed up, order ids follow time, prices end in .99."""
    target = tmp_path / "shop.sqlite"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        relsynth.clone(str(FIXTURE_DIR / "shop.sqlite"), str(target), seed=5)
    engine = fb.sqlite_engine(target)
    try:
        measured = fb.measure("shop", engine)
    finally:
        engine.dispose()
    assert measured["unit_price_is_product_price_share"] == 1.0
    assert measured["ordered_after_signup_share"] == 1.0
    assert measured["invoice_after_order_share"] == 1.0
    assert measured["order_id_time_spearman"] > 0.99
    assert measured["price_ends_99_share"] == 1.0
