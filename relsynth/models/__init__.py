"""Per-table model families, looked up by name.

A family is a class following :class:`relsynth.models.base.TableModel`, made known with
``@register("name")``. Built-in families live in ``relsynth/models/<name>.py`` and are imported
only when asked for, so importing this package stays light (no sklearn, no torch).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import TypeVar

from relsynth.errors import ModelError

DEFAULT_FAMILY = "trees"

_FAMILIES: dict[str, type] = {}
T = TypeVar("T", bound=type)


def register(name: str) -> Callable[[T], T]:
    """Class decorator: make a model family known under ``name``."""

    def decorate(cls: T) -> T:
        cls.family = name  # type: ignore[attr-defined]
        _FAMILIES[name] = cls
        return cls

    return decorate


def get_family(name: str) -> type:
    """The model class registered as ``name``, importing its built-in module on first use."""
    if name not in _FAMILIES and name.isidentifier() and _module_exists(name):
        importlib.import_module(f"{__name__}.{name}")
    try:
        return _FAMILIES[name]
    except KeyError:
        known = ", ".join(sorted(set(_FAMILIES) | {DEFAULT_FAMILY})) or "(none)"
        raise ModelError(f"unknown model family {name!r}", hint=f"known families: {known}") from None


def _module_exists(name: str) -> bool:
    if name in {"base", "encoding", "tokenizer"}:  # helpers, not families
        return False
    return importlib.util.find_spec(f"{__name__}.{name}") is not None


__all__ = ["DEFAULT_FAMILY", "register", "get_family"]
