"""Baseline (b): SDV's HMASynthesizer on one SQLite database. Runs ONLY inside the SDV environment.

    benchmarks/fidelity/.venv-sdv/bin/python benchmarks/fidelity/hma_runner.py SOURCE TARGET [--seed N]

Reads every table, builds SDV metadata (sdtypes detected from the frames, then keys, foreign
keys, identifying columns and date formats set explicitly from the SQLite schema), fits HMA,
samples at scale 1 and writes TARGET with SOURCE's DDL. The last line on stdout is JSON:
``{"fit_s", "sample_s", "write_s", "rows", "dropped", "orphans"}``, or ``{"error": "..."}`` when SDV
refuses the schema or fails (exit code 0 then: a refusal is a result, not a crash).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
import traceback
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sqlite_io import TableInfo, is_date, is_timestamp, read_tables, write_copy  # noqa: E402

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)


def _regex_of(values: pd.Series) -> str:
    """A regex in the shape of the column's most common value shape (letters, digits, the rest
    literal), so that SDV's generated unique keys look like the real ones (same length)."""
    shapes = values.astype(str).str.replace(r"[A-Za-z]", "a", regex=True).str.replace(r"[0-9]", "9", regex=True)
    shape = shapes.mode().iloc[0]
    parts = {"a": "[A-Za-z]", "9": "[0-9]"}
    return "".join(parts.get(ch, re.escape(ch)) for ch in shape)


def _column_sdtypes(info: TableInfo, frame: pd.DataFrame) -> dict[str, dict]:
    """What we know from the schema and override in SDV's detection."""
    out: dict[str, dict] = {}
    for column, declared in info.types.items():
        if column == info.primary_key or column in info.foreign_keys:
            out[column] = {"sdtype": "id"}
        elif is_date(declared):
            out[column] = {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"}
        elif is_timestamp(declared):
            out[column] = {"sdtype": "datetime", "datetime_format": "%Y-%m-%d %H:%M:%S"}
        elif column in info.unique and frame[column].dtype == object:
            if frame[column].astype(str).str.match(EMAIL).mean() > 0.8:
                out[column] = {"sdtype": "email", "pii": True}
            else:
                out[column] = {"sdtype": "id", "regex_format": _regex_of(frame[column])}
    return out


def build_metadata(infos: list[TableInfo], frames: dict[str, pd.DataFrame]):
    from sdv.metadata import Metadata

    metadata = Metadata.detect_from_dataframes(frames, infer_keys=None)
    for info in infos:
        frame = frames[info.name]
        for column, spec in _column_sdtypes(info, frame).items():
            metadata.update_column(column, table_name=info.name, **spec)
        if info.primary_key:
            metadata.set_primary_key(info.primary_key, table_name=info.name)
        alternate = [c for c in info.unique if c != info.primary_key]
        if alternate:
            metadata.add_alternate_keys(alternate, table_name=info.name)
    for info in infos:
        for column, (parent, parent_column) in info.foreign_keys.items():
            metadata.add_relationship(parent_table_name=parent, child_table_name=info.name,
                                      parent_primary_key=parent_column, child_foreign_key=column)
    metadata.validate()
    return metadata


def run(source: str, target: str, seed: int) -> dict:
    from sdv.multi_table import HMASynthesizer

    # SDV draws from numpy's and Python's global generators (and torch's, untouched by HMA)
    np.random.seed(seed)
    random.seed(seed)
    t0 = time.perf_counter()
    infos, frames = read_tables(source)
    metadata = build_metadata(infos, frames)
    synthesizer = HMASynthesizer(metadata, verbose=False)
    synthesizer.fit(frames)
    t1 = time.perf_counter()
    sampled = synthesizer.sample_scale(scale=1.0)
    t2 = time.perf_counter()
    written = write_copy(source, target, sampled)
    t3 = time.perf_counter()
    return {"fit_s": t1 - t0, "sample_s": t2 - t1, "write_s": t3 - t2,
            "rows": {name: len(frame) for name, frame in sampled.items()}, **written}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SDV warns per table and column; the table says what matters
        try:
            result = run(args.source, args.target, args.seed)
        except Exception as exc:  # noqa: BLE001 - any refusal or failure of SDV is the benchmark's result
            traceback.print_exc(file=sys.stderr)
            result = {"error": f"{type(exc).__name__}: {exc}".splitlines()[0][:300]}
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
