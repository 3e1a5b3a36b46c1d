"""The seam between the pipeline and a per-table model, and how models reach the disk.

A model is saved as two files: ``STEM.json`` (JSON-able meta, with the family name) and
``STEM.npz`` (named numeric arrays). Nothing is pickled, and loading goes through
:mod:`relsynth.workspace`, which checks sizes, dtypes and shapes before anything is inflated:
a model file received from elsewhere cannot run code or exhaust memory when loaded.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, Callable, ClassVar, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from relsynth.errors import ArtifactError, ModelError
from relsynth.workspace import DamagedModel, read_arrays, read_json
from relsynth.schema.kinds import Kind

FORMAT_VERSION = 1


@runtime_checkable
class TableModel(Protocol):
    """Learns the joint distribution of a table's modeled columns given its parent's columns."""

    family: ClassVar[str]

    def fit(self, table: pd.DataFrame, *, kinds: Mapping[str, Kind], context: pd.DataFrame | None = None,
            context_kinds: Mapping[str, Kind] | None = None, rng: np.random.Generator, k: int = 1,
            groups: Mapping[str, np.ndarray] | None = None, exact: Collection[str] = ()) -> None:
        """``k``: no number that fewer than ``k`` rows of ``table`` or ``context`` share may be
        stored (:func:`relsynth.privacy.rare.private_codes` before learning); categories rarer
        than ``k`` were folded by the caller. ``groups[column]``: per row, the parent row a
        column of ``table`` repeats (its rarity counts among parents; context columns always do).
        ``exact``: columns of ``table`` that are structure, not values (children per row): kept."""
        ...

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


def load_model(directory: Path, stem: str, *, family: str | None = None, cls: type | None = None) -> TableModel:
    """Read a model written by :func:`save_model`; never unpickles anything.

    ``family``: the one the manifest names for this table; the file must say the same.
    ``cls`` names the class to rebuild when it is not a registered table family
    (e.g. :class:`relsynth.relational.cardinality.CardinalityModel`).
    """
    from relsynth.models import get_family

    directory = Path(directory)
    document = read_json(directory / f"{stem}.json")
    arrays = read_arrays(directory / f"{stem}.npz")
    if not isinstance(document, dict) or not isinstance(document.get("meta"), dict):
        raise DamagedModel(directory, f"{stem}.json is not a model file")
    if document.get("format") != FORMAT_VERSION:
        raise DamagedModel(directory, f"{stem}.json has model format {document.get('format')!r}, "
                                      f"this relsynth reads {FORMAT_VERSION}")
    stored = document.get("family")
    if family is not None and stored != family:
        raise DamagedModel(directory, f"{stem}.json holds a {stored!r} model where the manifest says {family!r}")
    try:
        rebuild = cls or get_family(stored if isinstance(stored, str) else "")
    except ModelError as exc:
        raise DamagedModel(directory, f"{stem}.json: {exc.args[0]}") from None
    try:
        return rebuild.from_state(document["meta"], arrays)
    except DamagedModel:
        raise
    except ArtifactError as exc:
        raise DamagedModel(directory, f"{stem}: {exc.args[0]}") from None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, RuntimeError, OverflowError) as exc:
        raise DamagedModel(directory, f"{stem}: {type(exc).__name__}: {exc}") from None


def fitting_weights(build: Callable[[], Any], arrays: Mapping[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    """The arrays named ``prefix + NAME`` when they are exactly the weights of the network that
    ``build()`` makes (same names, same shapes), else ValueError. The network is built on torch's
    meta device, so a crafted layer size in a model file allocates nothing."""
    import torch

    with torch.device("meta"):
        shapes = {name: tuple(tensor.shape) for name, tensor in build().state_dict().items()}
    found = {name[len(prefix):]: array for name, array in arrays.items() if name.startswith(prefix)}
    wrong = sorted(set(shapes) ^ set(found)) or [n for n in shapes if tuple(found[n].shape) != shapes[n]]
    if wrong or any(found[n].dtype.kind != "f" for n in found):
        raise ValueError(f"the network's weights do not fit its stored layout (at {(wrong or ['dtype'])[0]!r})")
    broken = [n for n in found if not np.isfinite(found[n]).all()]  # training never leaves NaN or inf
    if broken:
        raise ValueError(f"the network's weights hold values that are not numbers (at {broken[0]!r})")
    return found


__all__ = ["TableModel", "save_model", "load_model", "fitting_weights", "FORMAT_VERSION"]
