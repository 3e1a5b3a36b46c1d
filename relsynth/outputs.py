"""Output paths checked before any reading or training: a run of many minutes must not end in
an OSError because a folder is missing or read-only."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from relsynth.errors import RelsynthError


class OutputError(RelsynthError):
    hint = "choose a path in a folder that exists and that you can write to"


def check_output_file(path: Path, *, what: str) -> None:
    """``path`` can be written: its folder exists and is writable, and it is no folder."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"the {what} {path} is a folder", hint="give a file name")
    _check_folder(path, what=what)
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(f"the {what} {path} cannot be written (permission denied)")


def check_model_dir(path: Path) -> None:
    """``path`` can take a trained model: a new folder in a writable one, an empty folder or a
    former model (never another folder's files mixed with a model's)."""
    path = Path(path)
    if not path.exists():
        _check_folder(path, what="model folder")
        return
    if not path.is_dir():
        raise OutputError(f"the model folder {path} is a file", hint="give a folder name")
    from relsynth.workspace import MANIFEST   # here: the workspace loads numpy, `--help` need not

    if any(path.iterdir()) and not (path / MANIFEST).is_file():
        raise OutputError(f"the model folder {path} is not empty and holds no relsynth model",
                          hint="give a new or empty folder")
    if not _writable(path):
        raise OutputError(f"the model folder {path} cannot be written")


def _check_folder(path: Path, *, what: str) -> None:
    folder = path.absolute().parent
    if not folder.is_dir():
        raise OutputError(f"the folder {folder} of the {what} {path.name} does not exist",
                          hint=f"create it first: mkdir -p {folder}")
    if not _writable(folder):
        raise OutputError(f"the folder {folder} of the {what} {path.name} cannot be written")


def _writable(folder: Path) -> bool:
    # by trying: permission bits say nothing of a read-only file system, or to root
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False
