"""The model directory: which files it holds, and reading them without trusting them.

A model directory is a file someone may send you. Its layout is fixed by the format, never by
its JSON: ``relsynth.json`` (the manifest) and, for the table at plan position ``i``, files named
``t{i:03d}.<part>.json`` / ``.npz`` for the parts below. JSON is size-capped and parsed into plain
values; arrays are read from ``.npz`` archives only after each member's header (dtype, shape)
and inflated size are checked, and never with pickle. Everything wrong with a directory is one
:class:`DamagedModel` error that names the directory and the problem.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from relsynth.errors import ArtifactError

MANIFEST = "relsynth.json"
FORMAT = 2                           # bumped whenever a saved field changes meaning
PARTS = ("exclusions", "retained", "model", "cardinality", "copied")

MAX_JSON_BYTES = 256 * 2**20
MAX_ARRAY_BYTES = int(os.environ.get("RELSYNTH_MAX_MODEL_BYTES", 2 * 2**30))  # inflated, per .npz file
MAX_RATIO = 200                      # inflated / stored; numbers a model saves never compress this well
MAX_ROWS = 10**12                    # a row count beyond this is no database's
_DTYPE_KINDS = "biuf"                # bool, int, uint, float: all a model stores
_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


class DamagedModel(ArtifactError):
    """A directory that is not a model this relsynth wrote, or was changed since."""

    hint = "train the model again with `relsynth train SOURCE -o DIR` (a model directory is untrusted input)"

    def __init__(self, directory: Path | str, problem: str) -> None:
        super().__init__(f"model {directory} is damaged or not a relsynth model: {problem}")


def stem(position: int, part: str) -> str:
    """The file stem of a table's ``part`` (``t003.model`` for ``.json`` and ``.npz``)."""
    if part not in PARTS:
        raise ValueError(f"no model part {part!r}")
    return f"t{position:03d}.{part}"


def file_name(position: int, part: str, suffix: str) -> str:
    """The name of a table's ``part`` file; the only way a loader names a file."""
    return f"{stem(position, part)}.{suffix}"


def read_json(path: Path) -> Any:
    """A JSON file of the directory, refused when missing, too large or not JSON."""
    directory = path.parent
    _plain_file(path)
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        raise DamagedModel(directory, f"{path.name} holds {size:,} bytes, more than the {MAX_JSON_BYTES:,} allowed")
    try:
        return json.loads(path.read_bytes(), parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise DamagedModel(directory, f"{path.name} is not valid JSON ({exc})") from None


def _plain_file(path: Path) -> None:
    """A model's files are its own: a link could make it read anything on this machine."""
    if path.is_symlink():
        raise DamagedModel(path.parent, f"{path.name} is a link, which a model directory never holds")
    if not path.is_file():
        raise DamagedModel(path.parent, f"{path.name} is missing")


def _no_constant(name: str) -> float:
    if name == "NaN":  # pandas writes NaN for a missing retained value; infinities are never saved
        return float("nan")
    raise ValueError(f"{name} is not a JSON value")


def write_rows(frame: pd.DataFrame, path: Path) -> None:
    """Real rows the model keeps on purpose (retained columns, copied tables) as JSON."""
    frame.to_json(path, orient="split", index=False, date_format="iso", date_unit="us")


def read_rows(path: Path, table: str, columns: Sequence[str]) -> pd.DataFrame:
    """Rows written by :func:`write_rows`, refused unless every column is one of ``columns``."""
    document = read_json(path)   # size-capped and parsed before pandas sees it
    if not (isinstance(document, dict) and isinstance(document.get("columns"), list)
            and isinstance(document.get("data"), list) and set(document["columns"]) <= set(columns)):
        raise DamagedModel(path.parent, f"{path.name} does not hold rows of table {table!r}")
    return pd.read_json(io.StringIO(json.dumps(document)), orient="split", convert_dates=False)


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` file, each checked before it is inflated.

    Refused: a member that is not ``NAME.npy``, a dtype other than bool/int/float (no objects,
    no records), a shape whose bytes disagree with the member's size, more than
    ``MAX_ARRAY_BYTES`` inflated in all, or a compression ratio only padding reaches.
    """
    directory = path.parent
    _plain_file(path)
    arrays: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            inflated = sum(m.file_size for m in members)
            if inflated > MAX_ARRAY_BYTES:
                raise DamagedModel(directory, f"{path.name} inflates to {inflated:,} bytes, more than the "
                                              f"{MAX_ARRAY_BYTES:,} allowed (RELSYNTH_MAX_MODEL_BYTES)")
            for member in members:
                arrays[_array_name(directory, path, member)] = _read_member(directory, path, archive, member)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise DamagedModel(directory, f"{path.name} is not a readable array archive ({exc})") from None
    return arrays


def _array_name(directory: Path, path: Path, member: zipfile.ZipInfo) -> str:
    name = member.filename
    if not name.endswith(".npy") or "/" in name or "\\" in name or member.is_dir():
        raise DamagedModel(directory, f"{path.name} holds {name!r}, which is not an array")
    return name[:-4]


def _read_member(directory: Path, path: Path, archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> np.ndarray:
    where = f"{path.name}:{member.filename}"
    if member.file_size > 2**20 and member.file_size > MAX_RATIO * max(member.compress_size, 1):
        raise DamagedModel(directory, f"{where} inflates {member.file_size // max(member.compress_size, 1):,}-fold "
                                      "(a model's numbers never compress this well)")
    with archive.open(member) as stream:
        version = np.lib.format.read_magic(stream)
        if version not in _HEADER_READERS:
            raise DamagedModel(directory, f"{where} has an array format {version} relsynth never writes")
        shape, fortran, dtype = _HEADER_READERS[version](stream, max_header_size=10_000)
        if dtype.kind not in _DTYPE_KINDS or dtype.fields is not None or dtype.subdtype is not None:
            raise DamagedModel(directory, f"{where} has dtype {dtype.str!r}; a model stores only numbers")
        count = int(np.prod(shape, dtype=object)) if shape else 1
        if count * dtype.itemsize + stream.tell() != member.file_size:
            raise DamagedModel(directory, f"{where} declares shape {shape} of {dtype.str}, which its "
                                          f"{member.file_size:,} bytes do not hold")
        data = np.frombuffer(stream.read(count * dtype.itemsize), dtype=dtype, count=count)
    array = data.reshape(shape, order="F" if fortran else "C")
    return array.copy()  # writable and owning its memory, like np.load's


def expect(arrays: Mapping[str, np.ndarray], name: str, *, kinds: str, ndim: int = 1,
           size: int | None = None) -> np.ndarray:
    """``arrays[name]`` when it has one of the dtype ``kinds`` (numpy kind letters), ``ndim``
    dimensions and, when given, ``size`` elements along the first; else ValueError."""
    if name not in arrays:
        raise ValueError(f"array {name!r} is missing")
    array = np.asarray(arrays[name])
    if array.dtype.kind not in kinds or array.ndim != ndim:
        raise ValueError(f"array {name!r} is {array.ndim}-d {array.dtype}, expected {ndim}-d of kind {kinds!r}")
    if size is not None and array.shape[0] != size:
        raise ValueError(f"array {name!r} has {array.shape[0]} entries, expected {size}")
    return array


def expect_indices(array: np.ndarray, name: str, *, low: int, high: int) -> np.ndarray:
    """``array`` when every entry lies in [low, high); else ValueError."""
    if array.size and (array.min() < low or array.max() >= high):
        raise ValueError(f"array {name!r} holds indices outside [{low}, {high})")
    return array


def expect_count(value: Any, what: str, *, high: int = MAX_ROWS) -> int:
    """A non-negative whole number no larger than ``high``; else ValueError."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
        raise ValueError(f"{what} is {value!r}, not a whole number between 0 and {high:,}")
    return value


__all__ = ["MANIFEST", "FORMAT", "DamagedModel", "stem", "file_name", "read_json", "read_arrays", "write_rows", "read_rows", "expect",
           "expect_indices", "expect_count"]
