"""Importing the CLI and the API loads no library that only some commands need: torch only for a
neural family, sklearn only to train, and for the CLI not even pandas (``relsynth --help``)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def loaded_after(statement: str, names: tuple[str, ...]) -> set[str]:
    """Which of ``names`` are in sys.modules after ``statement``, in a fresh interpreter."""
    code = f"import sys\n{statement}\nprint(' '.join(n for n in {names!r} if n in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


@pytest.mark.parametrize("module", ["relsynth.cli", "relsynth.api", "relsynth.synthesizer"])
def test_importing_loads_no_torch_nor_sklearn(module):
    assert loaded_after(f"import {module}", ("torch", "sklearn", "scipy")) == set()


def test_cli_import_leaves_data_libraries_for_the_commands():
    assert loaded_after("import relsynth.cli", ("pandas", "numpy", "sqlalchemy", "torch")) == set()


def test_faker_pools_are_kept_between_runs_and_a_damaged_file_is_drawn_again(tmp_path, monkeypatch):
    from relsynth.privacy import fakes

    monkeypatch.setenv("RELSYNTH_CACHE_DIR", "off")
    fakes._pool.cache_clear()
    drawn = fakes._pool("en_US", "city").tolist()
    monkeypatch.setenv("RELSYNTH_CACHE_DIR", str(tmp_path))
    fakes._pool.cache_clear()
    assert fakes._pool("en_US", "city").tolist() == drawn          # drawn, then kept
    (kept,) = (tmp_path / "pools").glob("en_US.city.*.json")
    fakes._pool.cache_clear()
    assert fakes._pool("en_US", "city").tolist() == drawn          # read back: the same pool
    kept.write_text('["only one", 3]')
    fakes._pool.cache_clear()
    assert fakes._pool("en_US", "city").tolist() == drawn          # not a pool: drawn again
    fakes._pool.cache_clear()
