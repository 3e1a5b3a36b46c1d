"""Clone speed and memory: a 100k-row parent and a 1M-row child, SQLite to SQLite.

    python benchmarks/clone_speed.py [--parents 100000] [--children 1000000] [--runs 1] [--target URL]

Builds the source once in a temporary directory, then clones it in a fresh process per run
(so peak RSS is the clone's own) and prints fit, sample and write seconds and peak memory.
Goal on a 2-core machine: the whole clone within 60 s, peak RSS within 2 GB.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def build_source(path: Path, parents: int, children: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE accounts (id INTEGER PRIMARY KEY, email VARCHAR(120) NOT NULL UNIQUE,
            segment VARCHAR(10) NOT NULL, credit_limit NUMERIC(10, 2) NOT NULL CHECK (credit_limit > 0),
            opened_at TIMESTAMP NOT NULL);
        CREATE TABLE transactions (id INTEGER PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES accounts(id), amount FLOAT NOT NULL,
            kind VARCHAR(12) NOT NULL, approved BOOLEAN NOT NULL, happened_at TIMESTAMP NOT NULL);
    """)
    segment = rng.choice(np.array(["retail", "business", "vip"]), size=parents, p=[0.7, 0.25, 0.05])
    limit = np.round(np.where(segment == "retail", 1000, np.where(segment == "business", 5000, 20000))
                     * rng.lognormal(0, 0.3, parents), 2)
    opened = np.datetime64("2018-01-01") + rng.integers(0, 5 * 365 * 86400, parents).astype("timedelta64[s]")
    con.executemany("INSERT INTO accounts VALUES (?, ?, ?, ?, ?)", zip(
        range(1, parents + 1), (f"user{i}@example.com" for i in range(parents)), segment.tolist(),
        limit.tolist(), opened.astype(str).tolist()))
    # business accounts transact three times as often; amounts follow the segment
    weight = np.where(segment == "business", 3.0, 1.0)
    owner = rng.choice(parents, size=children, p=weight / weight.sum())
    amount = np.round(rng.gamma(2.0, 30.0, children) * np.where(segment[owner] == "vip", 5, 1), 2)
    kind = rng.choice(np.array(["card", "transfer", "cash", "fee"]), size=children, p=[0.6, 0.25, 0.1, 0.05])
    approved = rng.random(children) < np.where(kind == "cash", 0.8, 0.97)
    happened = opened[owner] + rng.integers(0, 365 * 86400, children).astype("timedelta64[s]")
    con.executemany("INSERT INTO transactions VALUES (?, ?, ?, ?, ?, ?)", zip(
        range(1, children + 1), (owner + 1).tolist(), amount.tolist(), kind.tolist(),
        approved.astype(int).tolist(), happened.astype(str).tolist()))
    con.commit()
    con.close()


def clone_once(source: str, target: str) -> dict:
    """Runs in its own process: times each stage of a clone."""
    import resource

    from relsynth import api

    t0 = time.perf_counter()
    synth = api.train(source)
    t1 = time.perf_counter()
    frames = synth.sample(scale=1.0, seed=0)
    t2 = time.perf_counter()
    from relsynth.urls import resolve_url, target_url
    from relsynth.write import write_database

    write_database(synth.schema, frames, target_url(resolve_url(target)), order=synth.plan.order,
                   deferred=synth.plan.deferred, replace=True)
    t3 = time.perf_counter()
    return {"fit": t1 - t0, "sample": t2 - t1, "write": t3 - t2, "total": t3 - t0,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "rows": {k: len(v) for k, v in frames.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parents", type=int, default=100_000)
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--target", help="target database URL (default: a temporary SQLite file); "
                                          "its tables are replaced")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(clone_once(*args.child)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source.sqlite"
        t = time.perf_counter()
        build_source(source, args.parents, args.children)
        print(f"source: {args.parents:,} accounts, {args.children:,} transactions "
              f"(built in {time.perf_counter() - t:.1f} s)")
        results = []
        for _ in range(args.runs):
            target = args.target or str(Path(tmp) / "target.sqlite")
            out = subprocess.run([sys.executable, __file__, "--child", str(source), target],
                                 capture_output=True, text=True)
            if out.returncode:
                sys.exit(f"the clone failed:\n{out.stderr}")
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"\n{'stage':<14}{'median':>10}  (runs: {len(results)})")
    for key, unit in (("fit", "s"), ("sample", "s"), ("write", "s"), ("total", "s"), ("peak_rss_mb", "MB")):
        print(f"{key:<14}{statistics.median(r[key] for r in results):>10.1f} {unit}")
    print("rows written: " + ", ".join(f"{k} {v:,}" for k, v in results[0]["rows"].items()))


if __name__ == "__main__":
    main()
