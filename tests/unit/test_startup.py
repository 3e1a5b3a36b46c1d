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
