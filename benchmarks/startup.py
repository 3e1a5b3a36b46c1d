"""Wall time of short relsynth runs, each in its own process, as a user's shell sees them.

    python benchmarks/startup.py            # median of 5 runs each
    python benchmarks/startup.py --runs 11

Rows: ``import relsynth``, ``relsynth --help``, ``import relsynth.api``, and ``relsynth generate``
of a model trained once on fixtures/shop.sqlite into a fresh SQLite file (training is not timed).
Also lists which heavy libraries each run loaded: a small generate needs no torch or sklearn.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "sklearn", "scipy", "pandas", "sqlalchemy", "faker", "rich")
# run the command, then print which heavy packages it loaded (the CLI ends in SystemExit)
PROBE = ("import sys, runpy\n"
         "sys.argv = {argv!r}\n"
         "try:\n    runpy.run_module({module!r}, run_name='__main__') if sys.argv else __import__({module!r})\n"
         "except SystemExit:\n    pass\n"
         "print('\\nLOADED', ' '.join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)\n")


def timed(argv: list[str], before=None) -> float:
    if before:
        before()
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - start


def loaded(module: str, argv: list[str]) -> str:
    code = PROBE.format(argv=argv, module=module, heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    lines = [ln for ln in done.stderr.splitlines() if ln.startswith("LOADED")]
    return lines[-1].removeprefix("LOADED").strip() if lines else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    relsynth = shutil.which("relsynth") or sys.exit("relsynth is not on PATH: pip install -e . first")
    work = Path(tempfile.mkdtemp(prefix="rs_startup_"))
    try:
        model, target = work / "model", work / "shop.synth.sqlite"
        subprocess.run([relsynth, "train", "fixtures/shop.sqlite", "-o", str(model), "--quiet"], check=True,
                       cwd=ROOT, stdout=subprocess.DEVNULL)

        def fresh_target() -> None:
            target.unlink(missing_ok=True)

        generate = ["generate", str(model), str(target), "--quiet"]
        cases = [("import relsynth", [sys.executable, "-c", "import relsynth"], None, "relsynth", []),
                 ("relsynth --help", [relsynth, "--help"], None, "relsynth.cli", ["relsynth", "--help"]),
                 ("import relsynth.api", [sys.executable, "-c", "import relsynth.api"], None, "relsynth.api", []),
                 ("relsynth generate (shop)", [relsynth, *generate], fresh_target, "relsynth.cli",
                  ["relsynth", *generate])]
        print(f"{'command':<28}{'median s':>10}{'min s':>8}  libraries loaded")
        for label, argv, before, module, probe_argv in cases:
            times = [timed(argv, before) for _ in range(args.runs)]
            fresh_target()
            libs = loaded(module, probe_argv)
            print(f"{label:<28}{statistics.median(times):>10.2f}{min(times):>8.2f}  {libs or '-'}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
