"""Masking speed: pseudonyms per kind, and `relsynth mask` of a planted CRM, SQLite to SQLite.

    python benchmarks/mask_speed.py [--customers 100000] [--tickets 300000] [--runs 3]

First table: distinct values pseudonymized per second for each kind (one fresh ``Pseudonyms`` per
run, so nothing is remembered between runs; Faker pools are built before timing). Second: the
whole `relsynth mask` (read, mask, write, check constraints) of customers (e-mail as natural key,
names, phone, SSN, card, IP) and tickets (e-mail foreign key, a body holding e-mails, SSNs, a
signature and a street address), in a fresh process per run so peak RSS is the run's own.
Medians over ``--runs``.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

SALT = "benchmark-salt-0123456789abcdef"


def build_source(path: Path, customers: int, tickets: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    first = rng.choice(np.array(["Olivia", "Liam", "Emma", "Noah", "Ava", "Mateo", "Sofia", "Kenji"]), customers)
    last = rng.choice(np.array(["Garcia", "Smith", "Nguyen", "Okafor", "Kowalski", "Haddad", "Rossi"]), customers)
    ids = np.arange(customers)
    email = pd.Series(first).str.lower() + "." + pd.Series(last).str.lower() + pd.Series(ids).astype(str) + "@corp-mail.net"
    ssn = pd.Series(rng.integers(100, 899, customers)).astype(str) + "-" + \
        pd.Series(rng.integers(10, 99, customers)).astype(str) + "-" + pd.Series(1000 + ids % 9000).astype(str)
    phone = "+1 " + pd.Series(rng.integers(200, 999, customers)).astype(str) + "-555-" + \
        pd.Series(ids % 10_000).astype(str).str.zfill(4)
    ip = "81." + pd.Series(rng.integers(0, 255, customers)).astype(str) + "." + \
        pd.Series(ids // 250 % 255).astype(str) + "." + pd.Series(ids % 250 + 1).astype(str)
    owner = rng.integers(0, customers, tickets)
    kind = np.arange(tickets) % 3
    body = np.where(kind == 0, "cannot log in. Reach me at " + email[owner].to_numpy() + " or " + ssn[owner].to_numpy()
                    + ".\nRegards, " + first[owner] + " " + last[owner],
                    np.where(kind == 1, "parcel is late, ship to " + pd.Series(rng.integers(1, 999, tickets)).astype(str)
                             .to_numpy() + " Elm Street please.", "refund please, thanks."))
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE customers (id INTEGER PRIMARY KEY, first_name VARCHAR(40) NOT NULL, last_name VARCHAR(40) NOT NULL,
            email VARCHAR(80) NOT NULL UNIQUE, phone VARCHAR(20), ssn VARCHAR(11) NOT NULL,
            last_login_ip VARCHAR(45), segment VARCHAR(10) NOT NULL);
        CREATE TABLE tickets (id INTEGER PRIMARY KEY, customer_email VARCHAR(80) NOT NULL REFERENCES customers(email),
            priority VARCHAR(6) NOT NULL, body TEXT NOT NULL);
    """)
    con.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    zip((ids + 1).tolist(), first.tolist(), last.tolist(), email.tolist(), phone.tolist(), ssn.tolist(),
                        ip.tolist(), rng.choice(["retail", "business"], customers).tolist()))
    con.executemany("INSERT INTO tickets VALUES (?, ?, ?, ?)",
                    zip(range(1, tickets + 1), email[owner].tolist(), rng.choice(["low", "high"], tickets).tolist(),
                        body.tolist()))
    con.commit()
    con.close()


def kinds_table(n: int, runs: int) -> list[tuple[str, float]]:
    from relsynth.privacy.pseudonyms import Pseudonyms
    from relsynth.schema.kinds import Kind

    i = np.arange(n)
    values = {
        Kind.EMAIL: "user" + pd.Series(i).astype(str) + "@corp.com",
        Kind.PHONE: "(" + pd.Series(200 + i // 10_000).astype(str) + ") 555-" + pd.Series(i % 10_000).astype(str).str.zfill(4),
        Kind.NATIONAL_ID: pd.Series(100_000_000 + i).astype(str).str.replace(r"(\d{3})(\d{2})(\d{4})", r"\1-\2-\3", regex=True),
        Kind.PERSON_NAME: "Ann" + pd.Series(i % 5000).astype(str).str.translate(str.maketrans("0123456789", "abcdefghij"))
        + " Lee" + pd.Series(i // 5000).astype(str).str.translate(str.maketrans("0123456789", "abcdefghij")),
        Kind.TEXT: "SKU-" + pd.Series(i).astype(str).str.zfill(7),
    }
    Pseudonyms(SALT.encode()).replace(Kind.EMAIL, values[Kind.EMAIL][:10])   # build the pools first
    out = []
    for kind, series in values.items():
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            Pseudonyms(SALT.encode()).replace(kind, series)
            times.append(time.perf_counter() - start)
        out.append((kind.value, n / statistics.median(times)))
    return out


def _child(source: str, target: str) -> None:
    import resource

    import relsynth
    from relsynth.progress import Reporter

    os.environ["RELSYNTH_SALT"] = SALT
    start = time.perf_counter()
    result = relsynth.mask(source, target, reporter=Reporter())
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "rows": sum(result.rows.values()), "passed": result.passed,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--tickets", type=int, default=300_000)
    parser.add_argument("--values", type=int, default=200_000, help="distinct values per kind in the first table")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(*args.child)
    print(f"pseudonyms, {args.values:,} distinct values, median of {args.runs}")
    print(f"{'kind':<14}{'values/s':>12}")
    for kind, rate in kinds_table(args.values, args.runs):
        print(f"{kind:<14}{rate:>12,.0f}")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "crm.sqlite"
        build_source(source, args.customers, args.tickets)
        runs = []
        for k in range(args.runs):
            target = Path(tmp) / f"masked{k}.sqlite"
            done = subprocess.run([sys.executable, __file__, "--child", str(source), str(target)],
                                  capture_output=True, text=True, check=True)
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    seconds = statistics.median(r["seconds"] for r in runs)
    rows = runs[0]["rows"]
    print(f"\nrelsynth mask, {args.customers:,} customers + {args.tickets:,} tickets, median of {args.runs}")
    print(f"{'seconds':>8}{'rows/s':>10}{'peak MB':>9}  constraints")
    print(f"{seconds:>8.1f}{rows / seconds:>10,.0f}{statistics.median(r['peak_mb'] for r in runs):>9.0f}  "
          f"{'all pass' if all(r['passed'] for r in runs) else 'FAILED'}")


if __name__ == "__main__":
    main()
