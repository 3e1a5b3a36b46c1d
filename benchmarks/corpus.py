"""The real-world corpus cloned into every dialect pair, as a user runs it: rows, checks, time, memory.

    python benchmarks/corpus.py                      # all four databases, every target
    python benchmarks/corpus.py employees --tables   # one database, rows per table too

Needs the corpus loaded (``../shared/corpus/load all``: corpus_NAME on the local servers) and
the servers of ``RELSYNTH_TEST_POSTGRES_URL`` / ``RELSYNTH_TEST_MARIADB_URL`` (defaults: the
local ones). Each clone is ``relsynth clone SOURCE TARGET --replace --quiet --seed 1`` in its own
process; its wall time and peak RSS are that process's. Targets are scratch databases, dropped
at the end.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

SERVERS = {"postgresql": os.environ.get("RELSYNTH_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"),
           "mariadb": os.environ.get("RELSYNTH_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test")}
CORPUS = {"pagila": "postgresql", "northwind": "postgresql", "sakila": "mariadb", "employees": "mariadb"}


def source_url(name: str) -> str:
    return str(sa.make_url(SERVERS[CORPUS[name]]).set(database=f"corpus_{name}"))


def counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            quote = engine.dialect.identifier_preparer.quote
            names = set(sa.inspect(conn).get_table_names())
            if conn.dialect.name == "postgresql":   # a partition's rows are its partitioned table's
                names -= {r[0] for r in conn.exec_driver_sql("SELECT relname FROM pg_class WHERE relispartition")}
            return {n: conn.exec_driver_sql(f"SELECT COUNT(*) FROM {quote(n)}").scalar_one() for n in sorted(names)}
    finally:
        engine.dispose()


def scratch(server: str) -> tuple[str, callable]:
    """A new empty database on ``server``, and the function that drops it."""
    url = sa.make_url(SERVERS[server])
    name = f"relsynth_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        admin.dispose()
    return str(url.set(database=name)), drop


def clone(source: str, target: str) -> tuple[int, float, float, str]:
    """Exit code, seconds, peak RSS in MB and the summary's check line of one clone."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "relsynth.cli", "clone", source, target, "--replace",
                                    "--quiet", "--seed", "1"], stdout=out, stderr=err, text=True)
        _pid, status, usage = os.wait4(process.pid, 0)   # this process's own peak, not the largest so far
        seconds = time.perf_counter() - started
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    checks = re.search(r"constraint checks in the target: (\d+) passed, (\d+) failed", stdout)
    line = f"{checks[1]} passed, {checks[2]} failed" if checks else (stderr.strip().splitlines() or ["?"])[-1][:80]
    return os.waitstatus_to_exitcode(status), seconds, usage.ru_maxrss / 1024, line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"default: all of {', '.join(CORPUS)}")
    parser.add_argument("--tables", action="store_true", help="rows per table too")
    args = parser.parse_args()
    unknown = sorted(set(args.names) - set(CORPUS))
    if unknown:
        parser.error(f"not a corpus database: {', '.join(unknown)}")
    rows = []
    details = []
    for name in args.names or list(CORPUS):
        source = source_url(name)
        real = counts(source)
        own = CORPUS[name]
        other = "mariadb" if own == "postgresql" else "postgresql"
        with tempfile.TemporaryDirectory() as folder:
            for target_kind in (own, "sqlite", other):
                if target_kind == "sqlite":
                    target, drop = f"sqlite:///{Path(folder) / 'clone.sqlite'}", (lambda: None)
                else:
                    target, drop = scratch(target_kind)
                try:
                    code, seconds, peak, line = clone(source, target)
                    synth = counts(target) if code == 0 else {}
                finally:
                    drop()
                worst = min(((synth.get(t, 0) / n, t) for t, n in real.items() if n), default=(1.0, ""))
                rows.append((name, f"{own} -> {target_kind}", f"{sum(real.values()):,}",
                             f"{sum(synth.values()):,}", f"{worst[0]:.4f} {worst[1]}", line, f"{seconds:.0f}",
                             f"{peak:.0f}"))
                details += [(name, target_kind, t, n, synth.get(t, 0)) for t, n in real.items()]
    header = ("database", "pair", "source rows", "clone rows", "worst table (clone/source)", "constraint checks",
              "seconds", "peak MB")
    print_table(header, rows)
    if args.tables:
        print()
        print_table(("database", "target", "table", "source rows", "clone rows"),
                    [(d, k, t, f"{n:,}", f"{m:,}") for d, k, t, n, m in details])


def print_table(header: tuple, rows: list[tuple]) -> None:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows)]
    for row in (header, tuple("-" * w for w in widths), *rows):
        print(" | ".join(str(c).ljust(w) for c, w in zip(row, widths)))


if __name__ == "__main__":
    main()
