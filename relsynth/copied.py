"""Tables copied row for row from the source instead of synthesized.

A migration tool's bookkeeping table (``alembic_version`` and its kin) holds the revision the
schema is at: a synthesized one names a revision that does not exist, and the copy can no longer
be migrated. These tables, and any table the config marks ``copy: true``, are written exactly
as in the source, whatever ``--scale`` says. Their rows are real values, kept in the model
directory on purpose (docs/security.md).
"""

from __future__ import annotations

import warnings
from typing import Mapping

from relsynth.config import Config
from relsynth.errors import ConfigError
from relsynth.schema.model import Schema

# migration tools' own tables: Alembic, Django, Flyway, Rails (and its environment marker)
BOOKKEEPING = frozenset({"alembic_version", "django_migrations", "flyway_schema_history", "schema_migrations",
                         "ar_internal_metadata"})


def copied_tables(config: Config, schema: Schema) -> frozenset[str]:
    """The tables of ``schema`` copied whole: bookkeeping ones unless the config says
    ``copy: false``, and those it marks ``copy: true``.

    A copied row keeps its real foreign keys, so a copied table's parents must be copied too: a
    table the config marks whose parent is synthesized is a :class:`ConfigError`; a bookkeeping
    table in that case is synthesized (with a warning)."""
    marked = {name: t.copy_rows for name, t in config.tables.items() if t.copy_rows is not None}
    unknown = sorted(n for n, on in marked.items() if on and n not in schema)
    if unknown:
        raise ConfigError(f"copy: true names {', '.join(unknown)}, which the source does not have",
                          hint="check the table names with `relsynth inspect URL`")
    chosen = {t.name for t in schema if marked.get(t.name, t.name.lower() in BOOKKEEPING)}
    while True:
        outside = {(t.name, fk.parent) for t in schema if t.name in chosen for fk in t.foreign_keys
                   if fk.parent in schema and fk.parent not in chosen}
        if not outside:
            return frozenset(chosen)
        for name, parent in sorted(outside):
            if marked.get(name):
                raise ConfigError(f"table {name} is copied (copy: true) but its parent {parent} is synthesized: "
                                  "its real foreign keys would point at no row",
                                  hint=f"mark {parent} copy: true too, or take copy: true off {name}")
            warnings.warn(f"{name} is synthesized, not copied: it points at {parent}, which is synthesized",
                          stacklevel=2)
            chosen.discard(name)


def check_rows(copied: frozenset[str] | set[str], rows: Mapping[str, int] | None) -> None:
    """``--rows`` never names a copied table: it is written as the source holds it."""
    named = sorted(set(rows or {}) & set(copied))
    if named:
        raise ConfigError(f"--rows names {', '.join(named)}, which is copied row for row from the source",
                          hint="drop it from --rows, or set copy: false for it in the config to synthesize it")
