"""What a trained model keeps of its source: train on each database, scan the directory.

    python benchmarks/model_scan.py URL [URL ...] [--k 5]

Per database: the rare real values looked for, and those found in the model directory as values,
as digests under a key it holds, and as whole-row digests (`relsynth inspect-model` does the same
for one model). Run it with two checkouts on PYTHONPATH to compare versions.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

from relsynth.privacy.audit import audit_model
from relsynth.synthesizer import Synthesizer
from relsynth.urls import resolve_url, shown, source_engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("urls", nargs="+", help="source databases (URLs or SQLite paths)")
    parser.add_argument("--k", type=int, default=5, help="a value fewer than k rows share is personal")
    args = parser.parse_args()
    print(f"{'database':40} {'checked':>9} {'values':>7} {'digests':>8} {'rows':>7} {'train s':>8}")
    for url in args.urls:
        with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            started = time.perf_counter()
            Synthesizer().fit(url).save(Path(folder) / "model")
            seconds = time.perf_counter() - started
            engine = source_engine(resolve_url(url))
            try:
                audit = audit_model(Path(folder) / "model", engine, k=args.k)
            finally:
                engine.dispose()
        found = {how: sum(leak.count for leak in audit.leaks if leak.how == how)
                 for how in ("value", "digest", "row digest")}
        print(f"{shown(resolve_url(url))[-40:]:40} {audit.checked:9d} {found['value']:7d} {found['digest']:8d} "
              f"{found['row digest']:7d} {seconds:8.1f}")


if __name__ == "__main__":
    main()
