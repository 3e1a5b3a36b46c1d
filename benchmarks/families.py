"""The model families side by side: time, memory and the report's scores, per fixture and table.

    python benchmarks/families.py [--families trees,gan,autoregressive] [--fixtures text,retail,catalog,chain]
                                  [--scale S] [--seed N] [--json FILE] [--out DIR]
    python benchmarks/families.py --timing [--families ...] [--rows 50000]   # the 50k x 15 fit-time goal

Each fixture (``text``: ``text_fixture.py``; ``retail``, ``catalog``, ``chain``: the fidelity
fixtures) is cloned with each family for every table, each run in a fresh subprocess that times
fitting, sampling and writing apart and reports its own peak RSS. Every copy is scored with
relsynth's ``build_report`` per table (and ``AUC/par``, the fidelity benchmark's detection grouped
by parent). On text tables two more things: ``AUC+txt``, the report's detection with this
script's word counts of the body added (on top of the report's own word features since the report
sees free text), and the text measures of ``text_fixture.py`` (vocabulary kept, rating/category
still readable from the body).

``--timing`` fits one synthetic 50,000-row, 15-column table (numbers, categories, one with 300
values, dates, timestamps, booleans, a nullable column) with each family; goal: fit <= 300 s.
Torch runs on one thread (the families' default; set here for every child), BLAS too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "fidelity"))
sys.path.insert(0, str(HERE))

import fixtures  # noqa: E402  (the fidelity fixtures)
import text_fixture  # noqa: E402
from run import GOALS, score  # noqa: E402  (the fidelity benchmark's report + grouped detection)
from sqlite_io import insert_frames, schema  # noqa: E402

FAMILIES = ("trees", "gan", "autoregressive")
FIXTURES = ("text", *fixtures.MAKERS)
FIT_GOAL_S = 300.0
METRICS = ("column_shapes", "column_pairs", "cardinality", "parent_child", "detection_auc", "grouped_auc")
SHORT = {"column_shapes": "shapes", "column_pairs": "pairs", "cardinality": "card", "parent_child": "p-c",
         "detection_auc": "AUC", "grouped_auc": "AUC/par", "text_auc": "AUC+txt"}
TEXT_FEATURE_WORDS = 40   # the real bodies' most frequent words the text detector counts
ONE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}

# ------------------------------------------------------------------------------ inside a child


def _one_torch_thread() -> None:
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)


def _config(family: str):
    from relsynth.config import Config, with_models

    return with_models(Config(), [family])


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # KiB on Linux


def fit_timed(family: str, source: str, _target: str, seed: int) -> dict:
    """Fit and sample with FAMILY for every table, timed apart (the timing mode stops here)."""
    from relsynth.synthesizer import Synthesizer
    from relsynth.urls import resolve_url

    t0 = time.perf_counter()
    synth = Synthesizer(config=_config(family)).fit(resolve_url(source), seed=seed)
    t1 = time.perf_counter()
    frames = synth.sample(scale=1.0, seed=seed)
    return {"fit_s": t1 - t0, "sample_s": time.perf_counter() - t1,
            "rows": {name: len(f) for name, f in frames.items()}, "_synth": synth, "_frames": frames}


def clone_timed(family: str, source: str, target: str, seed: int) -> dict:
    """What `relsynth clone --model FAMILY` does, with fit, sample and write timed apart."""
    from relsynth.urls import resolve_url, target_url
    from relsynth.write import write_database

    result = fit_timed(family, source, target, seed)
    synth, frames = result["_synth"], result["_frames"]
    start = time.perf_counter()
    Path(target).unlink(missing_ok=True)
    write_database(synth.schema, frames, target_url(resolve_url(target)), order=synth.plan.order,
                   deferred=synth.plan.deferred, replace=True)
    return {**result, "write_s": time.perf_counter() - start}


CHILD_JOBS = {"clone": clone_timed, "fit": fit_timed}


def child(job: str, family: str, source: str, target: str, seed: int) -> None:
    _one_torch_thread()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = CHILD_JOBS[job](family, source, target, seed)
    result = {k: v for k, v in result.items() if not k.startswith("_")}   # drop the live objects
    result["peak_mb"] = _peak_mb()
    print(json.dumps(result))


def run_child(job: str, family: str, source: Path, target: Path, seed: int) -> dict:
    """One run in a fresh interpreter: its peak RSS is its own, not the previous runs'."""
    command = [sys.executable, __file__, "--child", job, family, str(source), str(target), str(seed)]
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **ONE_THREAD})
    lines = proc.stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        tail = proc.stderr.strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
        result = {"error": tail[0][:300]}
    result["wall_s"] = time.perf_counter() - start
    return result


# -------------------------------------------------------------------------- text-aware detection


def _text_features(bodies: pd.Series, vocabulary: pd.Index, top: pd.Index) -> pd.DataFrame:
    """Per body: words, letters per word, share of words outside the real vocabulary, and the
    count of each of the real bodies' ``top`` words."""
    words = text_fixture.words_of(bodies)
    per_row = words.groupby(level=0)
    counts = pd.crosstab(words.index, words).reindex(columns=top, fill_value=0)
    out = pd.DataFrame({"n words": per_row.size(), "word length": words.str.len().groupby(level=0).mean(),
                        "unknown words": (~words.isin(vocabulary)).groupby(level=0).mean()})
    out = pd.concat([out, counts.add_prefix("word ")], axis=1).reindex(bodies.index)
    return out.fillna({c: 0.0 for c in out.columns if c != "word length"}).astype(float)


def text_detection(real_path: Path, synth_path: Path, table: str, seed: int = 0) -> float | None:
    """The report's detection (same features, encoding, classifier, folds by parent) with the
    body's word features added (the report's own word features of the body are there too)."""
    from relsynth.report.detection import detection_auc
    from relsynth.report.load import load
    from relsynth.report.relational import detection_features
    from relsynth.report.values import NUMERIC, comparable

    loaded = load(str(real_path), str(synth_path))
    sides = {}
    for side, frames in (("real", loaded.real), ("synthetic", loaded.synthetic)):
        prepared = {t.name: pd.DataFrame({c.name: comparable(frames[t.name][c.name], c.kind) for c in t.columns})
                    for t in loaded.schema}
        sides[side] = (prepared, detection_features(loaded.schema, table, prepared, prepared[table]))
    real_words = text_fixture.words_of(sides["real"][0][table]["body"])
    vocabulary, top = pd.Index(real_words.unique()), real_words.value_counts().index[:TEXT_FEATURE_WORDS]
    features, families = {}, {}
    for side, (prepared, (own, own_families)) in sides.items():
        words = _text_features(prepared[table]["body"], vocabulary, top)
        features[side] = pd.concat([own, words.set_index(own.index)], axis=1)
        families = {**own_families, **{c: NUMERIC for c in words.columns}}
    fk = loaded.schema[table].foreign_keys[0].columns[0]
    parents = np.concatenate([("r" + sides["real"][0][table][fk].astype(str)).to_numpy(),
                              ("s" + sides["synthetic"][0][table][fk].astype(str)).to_numpy()])
    detection = detection_auc(features["real"], features["synthetic"], families, seed=seed,
                              families_of=np.unique(parents, return_inverse=True)[1])
    return detection.auc if detection else None


# ------------------------------------------------------------------------------ one fixture


def build_fixture(name: str, out: Path, scale: float, seed: int) -> Path:
    if name == "text":
        return text_fixture.build(out / "text.sqlite", scale=scale, seed=seed)
    return fixtures.build(name, out / f"{name}.sqlite", scale=scale, seed=seed)


def evaluate(name: str, family: str, source: Path, out: Path, seed: int) -> dict:
    target = out / f"{name}.{family}.sqlite"
    result = run_child("clone", family, source, target, seed)
    if "error" in result:
        return result
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result.update(score(source, target))
    if name == "text":
        result["text"] = text_fixture.text_measures(source, target)
        for table in text_fixture.TEXT_TABLES:
            result["tables"][table]["text_auc"] = text_detection(source, target, table, seed)
    return result


# ------------------------------------------------------------------------------ printing


def _cell(metric: str, value: float | None, width: int = 8) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"{'-':>{width}}"
    ok = GOALS.get(metric, GOALS["detection_auc"] if metric == "text_auc" else (lambda _v: True))(value)
    return f"{value:>{width - 1}.3f}" + (" " if ok else "!")


def _mean(values) -> float | None:
    values = [v for v in values if v is not None and not math.isnan(v)]
    return sum(values) / len(values) if values else None


def _speed_cells(result: dict) -> str:
    rows = sum(result["rows"].values())
    rate = rows / result["sample_s"] if result["sample_s"] > 0 else float("inf")
    return f"{result['fit_s']:>8.1f}{rate:>10,.0f}{result['peak_mb']:>8.0f}"


def print_scores(results: dict) -> None:
    metrics = (*METRICS, "text_auc")
    header = (f"{'fixture':<8}{'table':<14}{'family':<15}{'fit s':>8}{'rows/s':>10}{'peak MB':>8}"
              + "".join(f"{SHORT[m]:>8}" for m in metrics))
    print(header)
    print("-" * len(header))
    for name, by_family in results.items():
        for family, result in by_family.items():
            if "error" in result:
                print(f"{name:<8}{'(all)':<14}{family:<15}   failed: {result['error'][:150]}")
                continue
            overall = {m: _mean(t.get(m) for t in result["tables"].values()) for m in metrics}
            print(f"{name:<8}{'(all)':<14}{family:<15}{_speed_cells(result)}"
                  + "".join(_cell(m, overall[m]) for m in metrics))
            for table, scores in result["tables"].items():
                print(f"{'':<8}{table:<14}{'':<15}{'':>26}" + "".join(_cell(m, scores.get(m)) for m in metrics))
        print()


def print_text(results: dict) -> None:
    """The text measures of the text fixture, real beside each family."""
    by_family = {f: r["text"] for f, r in results.get("text", {}).items() if "text" in r}
    if not by_family:
        return
    columns = ("in_vocab", "top200_kept", "copied", "acc_real", "acc_synth", "chance", "pos_gap_real", "pos_gap_synth")
    print(f"{'text table':<12}{'family':<15}" + "".join(f"{c:>14}" for c in columns))
    for table in text_fixture.TEXT_TABLES:
        for family, measures in by_family.items():
            scores = measures[table]
            cells = "".join(f"{scores[c]:>14.3f}" if c in scores else f"{'-':>14}" for c in columns)
            print(f"{table:<12}{family:<15}{cells}")
    print()


def text_goals(results: dict) -> list[str]:
    """The issue's goals on the text fixture, as pass/miss lines."""
    text = results.get("text", {})
    ar, trees = text.get("autoregressive"), text.get("trees")
    if not ar or not trees or "error" in ar or "error" in trees:
        return []
    lines = []
    for table, label in text_fixture.TEXT_TABLES.items():
        a, t = ar["tables"][table], trees["tables"][table]
        for metric in ("detection_auc", "text_auc"):
            # below 0.5 is not better: synthetic rows nearer the real ones than a fresh draw (near-copies)
            off, off_trees = abs(a[metric] - 0.5), abs(t[metric] - 0.5)
            lines.append(f"{table}: autoregressive {SHORT[metric]} {a[metric]:.3f} < trees {t[metric]:.3f}: "
                         f"{'met' if a[metric] < t[metric] else 'MISSED'}; |AUC - 0.5| {off:.3f} vs {off_trees:.3f}: "
                         f"{'autoregressive' if off < off_trees else 'trees'} closer")
        m = ar["text"][table]
        vocab_ok = m["in_vocab"] >= 0.95 and m["top200_kept"] >= 0.9
        lines.append(f"{table}: vocabulary kept (in-vocab >= 0.95, top-200 >= 0.9): "
                     f"{m['in_vocab']:.3f}, {m['top200_kept']:.3f}: {'met' if vocab_ok else 'MISSED'}")
        # the relation: at least half of the real classifier's lift over chance survives
        kept = (m["acc_synth"] - m["chance"]) / max(m["acc_real"] - m["chance"], 1e-9)
        lines.append(f"{table}: {label}-to-text kept (lift over chance, synth/real >= 0.5): {kept:.2f}: "
                     f"{'met' if kept >= 0.5 else 'MISSED'}")
    return lines


# ------------------------------------------------------------------------------ timing mode

TIMING_DDL = """
    CREATE TABLE wide (
        id INTEGER PRIMARY KEY,
        age INTEGER NOT NULL, quantity INTEGER NOT NULL, score INTEGER NOT NULL,
        amount FLOAT NOT NULL, ratio FLOAT NOT NULL, temperature FLOAT NOT NULL, balance FLOAT,
        city VARCHAR(12) NOT NULL, segment VARCHAR(10) NOT NULL, channel VARCHAR(6) NOT NULL,
        status VARCHAR(10) NOT NULL, signup DATE NOT NULL, last_seen TIMESTAMP NOT NULL,
        active BOOLEAN NOT NULL, premium BOOLEAN NOT NULL);
"""


def make_wide(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """15 mixed columns with a few dependencies (so models have something to learn)."""
    segment = rng.choice(np.array(["student", "retail", "business", "vip"]), size=n, p=[0.2, 0.5, 0.25, 0.05])
    level = pd.Series({"student": 0.0, "retail": 0.5, "business": 1.2, "vip": 2.0})[segment].to_numpy()
    city_weights = 1.0 / np.arange(1, 301)
    balance = np.round(rng.lognormal(6 + level, 1.0), 2)
    signup = np.datetime64("2015-01-01") + rng.integers(0, 3650, n).astype("timedelta64[D]")
    return pd.DataFrame({
        "id": np.arange(1, n + 1),
        "age": np.clip(np.round(rng.normal(25 + 10 * level, 8)), 16, 90).astype(int),
        "quantity": rng.poisson(1 + 2 * level),
        "score": rng.integers(0, 101, n),
        "amount": np.round(rng.lognormal(3 + level, 0.7), 2),
        "ratio": np.round(rng.beta(2, 5, n), 4),
        "temperature": np.round(rng.normal(20, 6, n), 1),
        "balance": np.where(rng.random(n) < 0.2, np.nan, balance),           # the nullable column
        "city": np.array([f"city_{i:03d}" for i in range(300)])[rng.choice(300, size=n, p=city_weights / city_weights.sum())],
        "segment": segment,
        "channel": rng.choice(np.array(["web", "app", "store"]), size=n),
        "status": rng.choice(np.array(["new", "active", "paused", "churned", "banned", "trial"]), size=n,
                             p=[0.1, 0.5, 0.1, 0.2, 0.02, 0.08]),
        "signup": signup,
        "last_seen": signup.astype("datetime64[s]") + rng.integers(0, 3 * 365 * 86400, n).astype("timedelta64[s]"),
        "active": rng.random(n) < 0.3 + 0.2 * level,
        "premium": rng.random(n) < np.where(segment == "vip", 0.9, 0.1),
    })


def build_wide(path: Path, rows: int, seed: int) -> Path:
    path.unlink(missing_ok=True)
    con = sqlite3.connect(path)
    try:
        con.executescript(TIMING_DDL)
        insert_frames(con, {"wide": make_wide(np.random.default_rng([seed, 50]), rows)}, schema(con))
        con.commit()
    finally:
        con.close()
    return path


def timing(families: list[str], out: Path, rows: int, seed: int) -> dict:
    source = build_wide(out / "wide.sqlite", rows, seed)
    results = {}
    print(f"{'family':<15}{'fit s':>8}{'sample s':>10}{'peak MB':>9}   goal: fit <= {FIT_GOAL_S:.0f} s "
          f"({rows:,} rows x 15 columns)")
    for family in families:
        print(f"wide: {family} ...", file=sys.stderr, flush=True)
        result = results[family] = run_child("fit", family, source, out / "unused", seed)
        if "error" in result:
            print(f"{family:<15}   failed: {result['error'][:150]}")
            continue
        mark = "" if result["fit_s"] <= FIT_GOAL_S else "   ! over the goal"
        print(f"{family:<15}{result['fit_s']:>8.1f}{result['sample_s']:>10.1f}{result['peak_mb']:>9.0f}{mark}")
    return results


# ------------------------------------------------------------------------------------- main


def _header(args: argparse.Namespace) -> str:
    load = os.getloadavg()[0]
    return (f"families benchmark, {dt.date.today()}, scale {args.scale}, seed {args.seed}, {os.cpu_count()} cores "
            f"(load {load:.1f} at the start), Python {platform.python_version()}, one torch thread")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--fixtures", default=",".join(FIXTURES))
    parser.add_argument("--scale", type=float, default=1.0, help="fixture size (text: 400 products, 1,000 customers)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(ROOT / "out" / "families"), help="where the databases go")
    parser.add_argument("--json", help="also write every number (and each report's details) here")
    parser.add_argument("--timing", action="store_true", help="only the 50k-row x 15-column fit time per family")
    parser.add_argument("--rows", type=int, default=50_000, help="rows of the --timing table")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        job, family, source, target, seed = args.child
        child(job, family, source, target, int(seed))
        return
    families = [f for f in args.families.split(",") if f]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(_header(args) + "\n")
    if args.timing:
        results: dict = {"timing": timing(families, out, args.rows, args.seed)}
    else:
        results = {}
        for name in args.fixtures.split(","):
            source = build_fixture(name, out, args.scale, args.seed)
            results[name] = {}
            for family in families:
                print(f"{name}: {family} ...", file=sys.stderr, flush=True)
                results[name][family] = evaluate(name, family, source, out, args.seed)
        print_scores(results)
        print_text(results)
        for line in text_goals(results):
            print(line)
    if args.json:
        Path(args.json).write_text(json.dumps({"date": str(dt.date.today()), "scale": args.scale, "seed": args.seed,
                                               "results": results}, indent=1, default=str))


if __name__ == "__main__":
    main()
