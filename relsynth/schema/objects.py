"""The source's own DDL for every object of the schema, kept to rebuild it exactly.

Tables, columns and constraints are also described by the portable records of
:mod:`relsynth.schema.model` (what the models learn from, and what another dialect gets).
Everything else a schema holds (non-unique and partial indexes, views, materialized views,
functions, triggers, sequences, domains, FK actions, comments, MySQL routines and events) only
exists as the source's SQL. A same-dialect target runs that SQL in the order dump tools use:
``pre`` objects (types, domains, sequences, functions, tables, views) before the rows, ``post``
objects (constraints, indexes, triggers) after them, so triggers never fire on synthetic rows.

The SQL comes from the database's own tools (``pg_dump``), or from the server's own rendering
(``SHOW CREATE`` on MariaDB/MySQL, ``sqlite_master`` on SQLite). It is arbitrary SQL: a
record read back from a model directory is ``trusted=False`` and the writer does not run it
unless the user says the directory is theirs (``--trust-ddl``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Iterator

PRE, POST = "pre", "post"


@dataclass(frozen=True)
class SchemaObject:
    kind: str                      # the dump tool's word: TABLE, INDEX, VIEW, FK CONSTRAINT, TRIGGER, ...
    name: str                      # as the tool names it (a function's name carries its argument types)
    sql: str                       # one or more statements, each ended by ';'
    section: str = PRE             # PRE: before the rows; POST: after them
    table: str | None = None       # the table an index, constraint or trigger belongs to

    @property
    def label(self) -> str:
        return f"{self.kind.lower()} {self.name}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "section": self.section, "sql": self.sql,
                **({"table": self.table} if self.table else {})}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SchemaObject":
        section = str(d.get("section", PRE))
        if section not in (PRE, POST):
            raise ValueError(f"unknown section {section!r}")
        return cls(kind=str(d["kind"]), name=str(d["name"]), sql=str(d["sql"]), section=section,
                   table=None if d.get("table") is None else str(d["table"]))


@dataclass(frozen=True)
class NativeSchema:
    """The objects of one source schema, in creation order, as its dialect writes them."""
    dialect: str
    tool: str                                  # what produced the SQL, e.g. "pg_dump 15.20"
    objects: tuple[SchemaObject, ...]
    sequences: dict[str, int] = field(default_factory=dict)   # sequence -> where it stands in the source
    trusted: bool = field(default=True, compare=False)        # False once read back from a file

    def __iter__(self) -> Iterator[SchemaObject]:
        return iter(self.objects)

    def section(self, section: str) -> list[SchemaObject]:
        return [o for o in self.objects if o.section == section]

    def counts(self) -> Counter[str]:
        """Objects per kind, e.g. ``{"VIEW": 7, "TRIGGER": 15}``."""
        return Counter(o.kind for o in self.objects)

    def trust(self) -> "NativeSchema":
        return replace(self, trusted=True)

    def to_dict(self) -> dict[str, Any]:
        return {"dialect": self.dialect, "tool": self.tool, "sequences": dict(self.sequences),
                "objects": [o.to_dict() for o in self.objects]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "NativeSchema":
        """Read back from a model directory: untrusted until the user says otherwise."""
        return cls(dialect=str(d["dialect"]), tool=str(d.get("tool", "")),
                   objects=tuple(SchemaObject.from_dict(o) for o in d.get("objects", [])),
                   sequences={str(k): int(v) for k, v in (d.get("sequences") or {}).items()},
                   trusted=False)


def plural(word: str, n: int) -> str:
    """``1 view``, ``7 views``, ``34 indexes``."""
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word}" + ("es" if word.endswith(("x", "s", "ch", "sh")) else "s")


def summary(counts: Counter[str]) -> str:
    """``7 views, 1 materialized view, 15 triggers``: kinds in a stable order."""
    return ", ".join(plural(kind.lower(), n) for kind, n in sorted(counts.items()))
