"""The seam between the pipeline and a per-table model, and how models reach the disk.

A model is saved as two files: ``STEM.json`` (JSON-able meta, with the family name) and
``STEM.npz`` (named numeric arrays). Nothing is pickled, so a model file received from
elsewhere cannot run code when loaded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from relsynth.errors import ArtifactError
from relsynth.schema.kinds import Kind

FORMAT_VERSION = 1


@runtime_checkable
class TableModel(Protocol):
    """Learns the joint distribution of a table's modeled columns given its parent's columns."""

    family: ClassVar[str]

    def fit(self, table: pd.DataFrame, *, kinds: Mapping[str, Kind], context: pd.DataFrame | None = None,
            context_kinds: Mapping[str, Kind] | None = None, rng: np.random.Generator) -> None: ...

    def sample(self, *, n: int | None = None, context: pd.DataFrame | None = None,
               rng: np.random.Generator, fixed: pd.DataFrame | None = None) -> pd.DataFrame:
        """``n`` rows, or one per ``context`` row. ``fixed`` (row-aligned, some of the model's
        columns): every non-null cell comes out unchanged and the other columns follow the
        conditional distribution given them; NULL cells are free."""
        ...

    def state(self) -> tuple[dict, dict[str, np.ndarray]]: ...

    @classmethod
    def from_state(cls, meta: dict, arrays: Mapping[str, np.ndarray]) -> "TableModel": ...


def save_model(model: TableModel, directory: Path, stem: str) -> None:
    """Write ``stem.json`` and ``stem.npz`` into ``directory`` (created if missing).

    Anything with ``state()``/``from_state()`` can be saved this way (also the cardinality model).
    """
    meta, arrays = model.state()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        if np.asarray(array).dtype.hasobject:
            raise ArtifactError(f"model array {name!r} holds Python objects; only numbers can be saved",
                                hint="this is a bug in the model family: report it")
    document = {"family": getattr(model, "family", type(model).__name__), "format": FORMAT_VERSION, "meta": meta}
    (directory / f"{stem}.json").write_text(json.dumps(document, allow_nan=False), encoding="utf-8")
    np.savez_compressed(directory / f"{stem}.npz", **{k: np.asarray(v) for k, v in arrays.items()})


def load_model(directory: Path, stem: str, *, cls: type | None = None) -> TableModel:
    """Read a model written by :func:`save_model`; never unpickles anything.

    ``cls`` names the class to rebuild when it is not a registered table family
    (e.g. :class:`relsynth.relational.cardinality.CardinalityModel`).
    """
    from relsynth.models import get_family

    directory = Path(directory)
    meta_path, array_path = directory / f"{stem}.json", directory / f"{stem}.npz"
    try:
        document = json.loads(meta_path.read_text(encoding="utf-8"))
        with np.load(array_path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"cannot read model {stem!r} in {directory}: {exc}") from exc
    if document.get("format") != FORMAT_VERSION:
        raise ArtifactError(f"model {stem!r} has format {document.get('format')!r}, expected {FORMAT_VERSION}")
    family = cls or get_family(document.get("family", ""))
    try:
        return family.from_state(document["meta"], arrays)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ArtifactError(f"model {stem!r} in {directory} is damaged or from another version: {exc!r}") from exc


__all__ = ["TableModel", "save_model", "load_model", "FORMAT_VERSION"]
