"""Fit and sample seconds of the default "trees" model on mixed tables with parent context.

Usage: python benchmarks/model_speed.py [ROWS ...]   (default: 100000 1000000)
Prints the median of 3 runs for each size: 6 table columns (float, integer, categorical,
boolean, datetime, nullable decimal) conditioned on 2 parent columns.
"""

from __future__ import annotations

import statistics
import sys
import time
from decimal import Decimal

from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from relsynth.models.trees import TreesModel  # noqa: E402
from relsynth.schema.kinds import Kind  # noqa: E402

RUNS = 3


def make_tables(n: int, seed: int = 0) -> tuple[pd.DataFrame, dict, pd.DataFrame, dict]:
    """A child table whose columns depend on each other and on the parent's columns."""
    rng = np.random.default_rng(seed)
    segment = rng.choice(["retail", "pro", "vip"], size=n, p=[0.7, 0.25, 0.05])
    joined = pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 5 * 365, size=n), unit="D")
    context = pd.DataFrame({"segment": segment, "joined": joined})
    category = rng.choice([f"cat{i}" for i in range(12)], size=n)
    scale = np.select([segment == "vip", segment == "pro"], [5.0, 2.0], 1.0)
    quantity = rng.integers(1, 20, size=n)
    amount = np.round(quantity * scale * rng.lognormal(3, 0.5, size=n), 2)
    paid = rng.random(n) < 0.8
    created = joined + pd.to_timedelta(rng.integers(0, 10**8, size=n), unit="s")
    discount = np.round(rng.random(n) * 0.3, 2)
    discount_obj = pd.Series([Decimal(f"{d:.2f}") for d in discount], dtype=object)
    discount_obj[rng.random(n) < 0.4] = None
    table = pd.DataFrame({"amount": amount, "quantity": quantity, "category": category, "paid": paid,
                          "created": created, "discount": discount_obj})
    kinds = {"amount": Kind.FLOAT, "quantity": Kind.INTEGER, "category": Kind.CATEGORICAL,
             "paid": Kind.BOOLEAN, "created": Kind.DATETIME, "discount": Kind.DECIMAL}
    context_kinds = {"segment": Kind.CATEGORICAL, "joined": Kind.DATETIME}
    return table, kinds, context, context_kinds


def time_once(table: pd.DataFrame, kinds: dict, context: pd.DataFrame, context_kinds: dict,
              seed: int) -> tuple[float, float]:
    model = TreesModel()
    started = time.perf_counter()
    model.fit(table, kinds=kinds, context=context, context_kinds=context_kinds, rng=np.random.default_rng(seed))
    fitted = time.perf_counter()
    model.sample(context=context, rng=np.random.default_rng(seed + 1))
    return fitted - started, time.perf_counter() - fitted


def main(sizes: list[int]) -> None:
    print(f"{'rows':>10} {'fit s':>8} {'sample s':>9} {'total s':>8}")
    for n in sizes:
        data = make_tables(n)
        runs = [time_once(*data, seed=run) for run in range(RUNS)]
        fit = statistics.median(r[0] for r in runs)
        sample = statistics.median(r[1] for r in runs)
        print(f"{n:>10} {fit:>8.2f} {sample:>9.2f} {fit + sample:>8.2f}", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
