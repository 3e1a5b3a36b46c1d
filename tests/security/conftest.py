"""The malicious-model-directory maker the security tests share.

A model directory is a file someone may send you. ``crafted`` hands each test its own copy of a
genuine model (trained once per session on the shop fixture, one column retained) wrapped in
:class:`ModelDir`, whose verbs edit it the way an attacker would: the manifest's JSON, a family's
meta, any array. ``relsynth`` runs the real command line; ``snapshot`` records a directory tree
so a test can assert nothing was created or changed outside what it expects.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
import sqlalchemy as sa

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
MANIFEST = "relsynth.json"


def relsynth(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """The real command line, in a process of its own (as a user runs it)."""
    return subprocess.run([sys.executable, "-m", "relsynth.cli", *args], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, **(env or {})}, timeout=300)


class ModelDir:
    """A copy of a trained model directory, to be damaged on purpose."""

    def __init__(self, path: Path) -> None:
        self.path = path

    # the manifest ---------------------------------------------------------------------------
    @property
    def manifest(self) -> dict[str, Any]:
        return json.loads((self.path / MANIFEST).read_text())

    def edit_manifest(self, change: Callable[[dict[str, Any]], Any]) -> None:
        manifest = self.manifest
        change(manifest)
        (self.path / MANIFEST).write_text(json.dumps(manifest))

    def schema_table(self, manifest: dict[str, Any], name: str) -> dict[str, Any]:
        return next(t for t in manifest["schema"]["tables"] if t["name"] == name)

    def stem(self, name: str) -> str:
        """The file stem a table's files are saved under (its position in the plan)."""
        order = [step["table"] for step in self.manifest["plan"]["steps"]]
        return f"t{order.index(name):03d}"

    # a family's files ------------------------------------------------------------------------
    def model_meta(self, name: str) -> dict[str, Any]:
        return json.loads((self.path / f"{self.stem(name)}.model.json").read_text())

    def edit_model_meta(self, name: str, change: Callable[[dict[str, Any]], Any]) -> None:
        document = self.model_meta(name)
        change(document)
        (self.path / f"{self.stem(name)}.model.json").write_text(json.dumps(document))

    def arrays(self, file: str) -> dict[str, np.ndarray]:
        with np.load(self.path / file, allow_pickle=False) as stored:
            return {k: stored[k] for k in stored.files}

    def write_arrays(self, file: str, arrays: dict[str, np.ndarray]) -> None:
        np.savez_compressed(self.path / file, **arrays)

    def edit_array(self, file: str, name: str, change: Callable[[np.ndarray], np.ndarray]) -> None:
        arrays = self.arrays(file)
        arrays[name] = change(arrays[name])
        self.write_arrays(file, arrays)

    def bomb(self, file: str, name: str, gigabytes: float = 4.0) -> None:
        """Replace array ``name`` of ``file`` by zeros that compress to a few MB and inflate to
        ``gigabytes`` (written straight into the zip, never held in memory here)."""
        arrays = self.arrays(file)
        count = int(gigabytes * 2**30 // 8)
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                      "shape": (count,)})
        chunk = bytes(2**24)
        with zipfile.ZipFile(self.path / file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for other, array in arrays.items():
                if other != name:
                    with archive.open(f"{other}.npy", "w") as out:
                        np.lib.format.write_array(out, array)
            with archive.open(f"{name}.npy", "w", force_zip64=True) as out:
                out.write(header.getvalue())
                left = count * 8
                while left:
                    out.write(chunk[:min(left, len(chunk))])
                    left -= min(left, len(chunk))


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root``: its size and modification time."""
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def sqlite_tables(path: Path) -> list[str]:
    if not path.exists():
        return []
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        return sorted(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def seed_people(url: str, rows: int = 80) -> None:
    """A small ``people`` table with rows in the database at ``url``: a source to clone, or what
    a clone must not replace."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE people (id INTEGER PRIMARY KEY, name VARCHAR(40), age INTEGER)")
        conn.execute(sa.text("INSERT INTO people VALUES (:i, :n, :a)"),
                     [{"i": i, "n": f"person {i}", "a": 20 + i % 50} for i in range(1, rows + 1)])
    engine.dispose()


@pytest.fixture(scope="session")
def genuine_model(tmp_path_factory) -> Path:
    """A model trained once on the shop fixture, coupons' codes retained (a `retained` file)."""
    from relsynth.api import train
    from relsynth.conditions import Conditions

    directory = tmp_path_factory.mktemp("genuine") / "model"
    synth = train(str(FIXTURES / "shop.sqlite"), seed=1,
                           conditions=Conditions.parse(retain=["coupons.code"]))
    synth.save(directory)
    return directory


@pytest.fixture
def crafted(genuine_model, tmp_path) -> ModelDir:
    """A fresh copy of the genuine model, for one test to tamper with."""
    copy = tmp_path / "model"
    shutil.copytree(genuine_model, copy)
    return ModelDir(copy)
