"""Generation speed with conditions against without, per generated row (goal: seeded ≤ 3x).

    python benchmarks/conditional_speed.py [--accounts 5000] [--runs 3]

One model is trained on the planted bank (`fixtures/bank.py`) with every condition's columns
learned first; then each way of sampling runs ``--runs`` times, interleaved, and the table shows
the median seconds per 100k generated rows and the ratio to plain sampling.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fixtures.bank import build_bank  # noqa: E402
from relsynth.conditions import Conditions  # noqa: E402
from relsynth.synthesizer import Synthesizer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        source = build_bank(Path(tmp) / "bank.sqlite", accounts=args.accounts)
        seeds = Path(tmp) / "seeds.csv"
        pd.DataFrame({"status": ["refunded", "pending"] * 5000, "channel": ["web", ""] * 5000}).to_csv(seeds, index=False)
        cases = {
            "plain": Conditions(),
            "where status=refunded": Conditions.parse(where=["transactions.status=refunded"]),
            "where channel=web, status=pending": Conditions.parse(where=["transactions.channel=web",
                                                                          "transactions.status=pending"]),
            "seed rows (10k)": Conditions.parse(seed_files=[f"transactions={seeds}"]),
            "range amount>=100": Conditions.parse(where=["transactions.amount>=100"]),
            "rebalance is_fraud=true:0.5": Conditions.parse(rebalance=["transactions.is_fraud=true:0.5"]),
        }
        every = Conditions.parse(where=["transactions.status=refunded", "transactions.channel=web",
                                        "transactions.amount>=100"],
                                 rebalance=["transactions.is_fraud=true:0.5"], seed_files=[f"transactions={seeds}"])
        start = time.perf_counter()
        synth = Synthesizer().fit(str(source), seed=0, conditions=every)
        fit_s = time.perf_counter() - start
        timings: dict[str, list[float]] = {name: [] for name in cases}
        rows: dict[str, int] = {}
        for run in range(args.runs):
            for name, conditions in cases.items():  # interleaved: load changes hit every case alike
                start = time.perf_counter()
                frames = synth.sample(seed=run, conditions=conditions)
                timings[name].append(time.perf_counter() - start)
                rows[name] = sum(len(f) for f in frames.values())
    plain = statistics.median(timings["plain"]) / rows["plain"]
    print(f"bank: {args.accounts} accounts, fit {fit_s:.1f} s, median of {args.runs} runs\n")
    print(f"{'sampling':36s} {'rows':>8s} {'s':>7s} {'s/100k rows':>12s} {'x plain':>8s}")
    for name in cases:
        per_row = statistics.median(timings[name]) / rows[name]
        print(f"{name:36s} {rows[name]:8,d} {statistics.median(timings[name]):7.2f} {per_row * 1e5:12.2f} "
              f"{per_row / plain:8.2f}")


if __name__ == "__main__":
    main()
