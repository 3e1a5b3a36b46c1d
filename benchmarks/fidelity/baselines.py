"""The two baselines relsynth is measured against.

(a) ``independent``: every table on its own, blind to its parents and children. Its modeled
    columns (numbers, categories, dates, booleans; the kinds relsynth's reflection decides) are
    learned by relsynth's own ``trees`` family *without context*, so the only difference from
    relsynth is the relational part; identifying columns (emails, names, codes) are made by
    relsynth's format-preserving fakes (unique where the column is UNIQUE); primary keys are
    1..n; each foreign key is drawn uniformly at random from the generated parent rows.
(b) ``hma``: SDV's HMASynthesizer, run by ``hma_runner.py`` with the python of a separate
    environment (``.venv-sdv`` beside this file, made by ``ensure_sdv_env``), so SDV never becomes
    a dependency of relsynth and never shares its process.

Both write a SQLite file with the source's own DDL (``sqlite_io.write_copy``).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sqlite_io import connect_ro, write_copy
from sqlite_io import schema as sqlite_schema

HERE = Path(__file__).resolve().parent
SDV_ENV = HERE / ".venv-sdv"
SDV_PYTHON = SDV_ENV / "bin" / "python"
SDV_REQUIREMENTS = HERE / "requirements-sdv.txt"
# a CPU-only wheel first: an unpinned torch (SDV's CTGAN needs one) pulls a multi-GB CUDA build
TORCH = "torch==2.13.0"

# ------------------------------------------------------------------------------ (a) independent


def _uniform_foreign_key(parent_keys: np.ndarray, n: int, null_share: float, rng: np.random.Generator) -> np.ndarray:
    """Each child row's parent drawn uniformly from the generated parents (NULL at the real share)."""
    keys = parent_keys[rng.integers(0, len(parent_keys), n)].astype(object)
    keys[rng.random(n) < null_share] = None
    return keys


def _fake_column(column, values: pd.Series, n: int, unique: bool, rng: np.random.Generator) -> pd.Series:
    from relsynth.privacy.fakes import generate, learn_format

    fmt = learn_format(column.kind, values, max_length=column.type.get("length"))
    return generate(fmt, n, rng, unique=unique)


def _modeled_columns(frame: pd.DataFrame, kinds: dict, n: int, rng: np.random.Generator) -> pd.DataFrame:
    from relsynth.models import get_family

    if not kinds:
        return pd.DataFrame(index=pd.RangeIndex(n))
    model = get_family("trees")()
    model.fit(frame[list(kinds)], kinds=kinds, rng=rng)
    return model.sample(n=n, rng=rng)


def _independent_table(table, frame: pd.DataFrame, unique: set[str], generated: dict[str, pd.DataFrame],
                       rng: np.random.Generator) -> pd.DataFrame:
    from relsynth.schema.kinds import Kind

    n = len(frame)
    fk_of = {fk.columns[0]: fk for fk in table.foreign_keys}
    kinds = {c.name: c.kind for c in table.columns if c.kind.modeled and c.name not in fk_of}
    out = _modeled_columns(frame, kinds, n, rng)
    for column in table.columns:
        name = column.name
        if name in fk_of:
            fk = fk_of[name]
            parent_keys = generated[fk.parent][fk.parent_columns[0]].to_numpy()
            out[name] = _uniform_foreign_key(parent_keys, n, float(frame[name].isna().mean()), rng)
        elif name in table.primary_key:
            out[name] = np.arange(1, n + 1)
        elif column.kind != Kind.KEY and not column.kind.modeled:
            out[name] = _fake_column(column, frame[name], n, name in unique, rng).to_numpy()
    return out[list(table.column_names)]


def independent(source: str, target: str, seed: int) -> dict:
    """Baseline (a) from ``source`` to ``target`` (both SQLite paths); returns timings and row counts."""
    from relsynth.extract import read_table
    from relsynth.graph import plan
    from relsynth.schema.reflect import reflect, reflect_metadata
    from relsynth.urls import resolve_url, source_engine

    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    engine = source_engine(resolve_url(source))
    try:
        schema = reflect(engine)
        order = plan(schema).order
        metadata = reflect_metadata(engine, only=list(order))
        frames = {name: read_table(engine, metadata.tables[name]) for name in order}
    finally:
        engine.dispose()
    # UNIQUE columns from SQLite itself: relsynth's reflection misses an inline UNIQUE after a
    # parenthesized type (README: bugs found)
    con = connect_ro(source)
    unique = {info.name: set(info.unique) for info in sqlite_schema(con)}
    con.close()
    generated: dict[str, pd.DataFrame] = {}
    for name in order:  # parents first: a child draws among its parents' generated keys
        generated[name] = _independent_table(schema[name], frames[name], unique[name], generated, rng)
    t1 = time.perf_counter()
    written = write_copy(source, target, generated)
    t2 = time.perf_counter()
    # fit and sample happen together per table here: all of it is counted as fit
    return {"fit_s": t1 - t0, "sample_s": 0.0, "write_s": t2 - t1,
            "rows": {name: len(f) for name, f in generated.items()}, **written}


# ------------------------------------------------------------------------------------- (b) hma


def ensure_sdv_env(log=print) -> Path:
    """Create ``.venv-sdv`` with the pinned SDV stack once; returns its python."""
    if SDV_PYTHON.exists():
        probe = subprocess.run([str(SDV_PYTHON), "-c", "import sdv"], capture_output=True)
        if probe.returncode == 0:
            return SDV_PYTHON
    log(f"setting up {SDV_ENV} (torch, then SDV; a few minutes, once)")
    subprocess.run([sys.executable, "-m", "venv", str(SDV_ENV)], check=True)
    pip = [str(SDV_PYTHON), "-m", "pip", "install", "-q"]
    subprocess.run(pip + [TORCH], check=True)
    subprocess.run(pip + ["-r", str(SDV_REQUIREMENTS)], check=True)
    return SDV_PYTHON


def hma_command(source: str, target: str, seed: int) -> list[str]:
    return [str(SDV_PYTHON), str(HERE / "hma_runner.py"), source, target, "--seed", str(seed)]
