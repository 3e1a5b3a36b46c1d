"""Fidelity on the fixtures' planted structure: real vs synthetic statistics.

    python benchmarks/planted.py [--seeds 1 2 3] [--fixtures shop company ...] [--json OUT] [--compare OLD]

Clones each fixture (SQLite to a temporary SQLite file) once per seed and prints, per statistic,
the real value, the median synthetic value over the seeds, and |synthetic - real|. Statistics
come from `fixtures.build.measure`, so they are computed the same way on both sides. `--json`
saves the table; `--compare` adds the synthetic column of a table saved earlier (say, before a
change) and marks the statistics that moved closer to (+) or further from (-) the real value.
Small tables make single clones noisy: compare medians over several seeds.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fixtures import build as fb  # noqa: E402

import relsynth  # noqa: E402

NAMES = ["shop", "company", "university", "flights"]


def measure_clone(name: str, seed: int, tmp: Path) -> dict[str, float]:
    target = tmp / f"{name}-{seed}.sqlite"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        relsynth.clone(str(ROOT / "fixtures" / f"{name}.sqlite"), str(target), seed=seed, replace=True)
    engine = fb.sqlite_engine(target)
    try:
        return fb.measure(name, engine)
    finally:
        engine.dispose()


def median(values: list[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return statistics.median(finite) if finite else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--fixtures", nargs="+", default=NAMES, choices=NAMES)
    parser.add_argument("--json", help="also write {fixture: {statistic: [real, synthetic]}} here")
    parser.add_argument("--compare", help="a file written by --json earlier: show its synthetic values too")
    args = parser.parse_args()
    old = json.loads(Path(args.compare).read_text()) if args.compare else {}
    report: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.fixtures:
            engine = fb.sqlite_engine(ROOT / "fixtures" / f"{name}.sqlite")
            real = fb.measure(name, engine)
            engine.dispose()
            t = time.perf_counter()
            runs = [measure_clone(name, seed, Path(tmp)) for seed in args.seeds]
            took = time.perf_counter() - t
            print(f"\n{name} (seeds {' '.join(map(str, args.seeds))}; {took:.1f} s)")
            print(f"  {'statistic':<44}{'real':>10}{'synthetic':>11}{'|diff|':>9}"
                  + (f"{'before':>10}" if old else ""))
            report[name] = {}
            for stat, value in real.items():
                synth = median([r.get(stat, float("nan")) for r in runs])
                report[name][stat] = [value, synth]
                line = f"  {stat:<44}{value:>10.3f}{synth:>11.3f}{abs(synth - value):>9.3f}"
                if old:
                    before = old.get(name, {}).get(stat, [value, float("nan")])[1]
                    moved = abs(before - value) - abs(synth - value)
                    line += f"{before:>10.3f}" + ("  +" if moved > 0.02 else "  -" if moved < -0.02 else "")
                print(line)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
