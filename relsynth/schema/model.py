"""Frozen values describing a database: tables, columns, keys and constraints.

They serialize to plain dicts (YAML/JSON) so a user can read the reflected schema, edit it
and pass it back, and so a trained artifact can rebuild the target without the source.
Tables are named without their database schema: one run covers one schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterator

from relsynth.schema.kinds import Kind, parse_kind
from relsynth.schema.objects import NativeSchema

TableKey = str


@dataclass(frozen=True)
class Column:
    name: str
    type: dict[str, Any]                 # portable type spec, see relsynth.schema.sqltypes
    nullable: bool = True
    kind: Kind = Kind.CATEGORICAL
    default: str | None = None           # server default as SQL text, kept on same-dialect targets
    autoincrement: bool = False          # identity / serial: the target sequence is moved past our keys
    generated: str | None = None         # GENERATED ALWAYS AS (this) / AS (this): the source dialect's SQL
    persisted: bool | None = None        # STORED (True) or VIRTUAL (False); None: the dialect's default

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": dict(self.type), "nullable": self.nullable,
                               "kind": self.kind.value}
        if self.default is not None:
            out["default"] = self.default
        if self.autoincrement:
            out["autoincrement"] = True
        if self.generated is not None:
            out["generated"] = self.generated
            if self.persisted is not None:
                out["persisted"] = self.persisted
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Column":
        return cls(name=d["name"], type=dict(d.get("type") or {"generic": "text"}),
                   nullable=bool(d.get("nullable", True)), kind=parse_kind(d.get("kind", "categorical")),
                   default=d.get("default"), autoincrement=bool(d.get("autoincrement", False)),
                   generated=d.get("generated"),
                   persisted=None if d.get("persisted") is None else bool(d["persisted"]))


FK_ACTIONS = frozenset({"CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION"})


def fk_action(value: object) -> str | None:
    """An ON DELETE / ON UPDATE action, one of FK_ACTIONS (a model directory is untrusted)."""
    if value is None:
        return None
    action = " ".join(str(value).upper().split())
    if action not in FK_ACTIONS:
        raise ValueError(f"unknown foreign-key action {value!r}")
    return None if action == "NO ACTION" else action


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    parent: TableKey
    parent_columns: tuple[str, ...]
    nullable: bool = False               # True when every column may be NULL
    name: str | None = None
    declared: bool = True                # False for a foreign key declared only in the config
    on_delete: str | None = None         # CASCADE, SET NULL, SET DEFAULT or RESTRICT (None: NO ACTION)
    on_update: str | None = None

    @property
    def label(self) -> str:
        return f"({', '.join(self.columns)}) -> {self.parent}({', '.join(self.parent_columns)})"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"columns": list(self.columns), "parent": self.parent,
                               "parent_columns": list(self.parent_columns), "nullable": self.nullable}
        if self.name:
            out["name"] = self.name
        if not self.declared:
            out["declared"] = False
        for key, action in (("on_delete", self.on_delete), ("on_update", self.on_update)):
            if action:
                out[key] = action
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ForeignKey":
        return cls(columns=tuple(d["columns"]), parent=d["parent"],
                   parent_columns=tuple(d["parent_columns"]), nullable=bool(d.get("nullable", False)),
                   name=d.get("name"), declared=bool(d.get("declared", True)),
                   on_delete=fk_action(d.get("on_delete")), on_update=fk_action(d.get("on_update")))


@dataclass(frozen=True)
class Index:
    """A non-unique index on plain columns: what every dialect can create (a partial or
    expression index exists only in the source's own DDL, ``Schema.native``)."""
    columns: tuple[str, ...]
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"columns": list(self.columns), **({"name": self.name} if self.name else {})}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Index":
        return cls(columns=tuple(str(c) for c in d["columns"]), name=None if d.get("name") is None else str(d["name"]))


@dataclass(frozen=True)
class UniqueConstraint:
    columns: tuple[str, ...]
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"columns": list(self.columns), **({"name": self.name} if self.name else {})}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "UniqueConstraint":
        return cls(columns=tuple(d["columns"]), name=d.get("name"))


@dataclass(frozen=True)
class CheckConstraint:
    sqltext: str                         # as the source dialect reflects it
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"sqltext": self.sqltext, **({"name": self.name} if self.name else {})}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CheckConstraint":
        return cls(sqltext=d["sqltext"], name=d.get("name"))


@dataclass(frozen=True)
class Partition:
    """One partition of a partitioned table (PostgreSQL ``PARTITION OF``) and its bound.

    ``bound``: ``{"default": True}``, ``{"from": [...], "to": [...]}`` (RANGE), ``{"in": [...]}``
    (LIST) or ``{"modulus": m, "remainder": r}`` (HASH). Each value is ``["literal", text]``,
    ``["number", text]``, ``["null"]``, ``["minvalue"]`` or ``["maxvalue"]``, so a target gets
    them re-quoted, never as text from the model (see :mod:`relsynth.schema.partitions`).
    """
    name: str
    bound: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "bound": self.bound}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Partition":
        return cls(name=str(d["name"]), bound=dict(d["bound"]))


@dataclass(frozen=True)
class Partitioning:
    """How a table is partitioned: RANGE, LIST or HASH over key columns, and its partitions."""
    strategy: str                        # "range", "list" or "hash"
    key: tuple[str, ...]
    partitions: tuple[Partition, ...] = ()

    @property
    def has_default(self) -> bool:
        return any(p.bound.get("default") for p in self.partitions)

    def to_dict(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "key": list(self.key), "partitions": [p.to_dict() for p in self.partitions]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Partitioning":
        return cls(strategy=str(d["strategy"]), key=tuple(d["key"]),
                   partitions=tuple(Partition.from_dict(p) for p in d.get("partitions", [])))


@dataclass(frozen=True)
class Table:
    name: TableKey
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    unique: tuple[UniqueConstraint, ...] = ()
    checks: tuple[CheckConstraint, ...] = ()
    row_count: int = 0
    partitioning: Partitioning | None = None   # a PostgreSQL partitioned table (its rows: all partitions')
    indexes: tuple[Index, ...] = ()

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name}.{name}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def fk_columns(self) -> frozenset[str]:
        return frozenset(c for fk in self.foreign_keys for c in fk.columns)

    @property
    def key_columns(self) -> frozenset[str]:
        return self.fk_columns | frozenset(self.primary_key)

    def unique_sets(self) -> tuple[tuple[str, ...], ...]:
        """Every column set that must be unique: the primary key and each unique constraint."""
        sets = [self.primary_key] if self.primary_key else []
        sets += [u.columns for u in self.unique if u.columns not in sets]
        return tuple(sets)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "row_count": self.row_count,
                "primary_key": list(self.primary_key),
                "columns": [c.to_dict() for c in self.columns],
                "foreign_keys": [f.to_dict() for f in self.foreign_keys],
                "unique": [u.to_dict() for u in self.unique],
                "checks": [c.to_dict() for c in self.checks],
                **({"partitioning": self.partitioning.to_dict()} if self.partitioning else {}),
                **({"indexes": [i.to_dict() for i in self.indexes]} if self.indexes else {})}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Table":
        return cls(name=d["name"], columns=tuple(Column.from_dict(c) for c in d.get("columns", [])),
                   primary_key=tuple(d.get("primary_key", [])),
                   foreign_keys=tuple(ForeignKey.from_dict(f) for f in d.get("foreign_keys", [])),
                   unique=tuple(UniqueConstraint.from_dict(u) for u in d.get("unique", [])),
                   checks=tuple(CheckConstraint.from_dict(c) for c in d.get("checks", [])),
                   row_count=d.get("row_count", 0),
                   partitioning=Partitioning.from_dict(d["partitioning"]) if d.get("partitioning") else None,
                   indexes=tuple(Index.from_dict(i) for i in d.get("indexes", [])))


@dataclass(frozen=True)
class Schema:
    dialect: str                          # the source's SQLAlchemy dialect name
    tables: tuple[Table, ...]
    name: str | None = None               # the database schema reflected (None: the default one)
    native: NativeSchema | None = field(default=None, compare=False)   # the source's own DDL of every object
    _index: dict[str, Table] = field(default=None, init=False, repr=False, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {t.name: t for t in self.tables})

    def __getitem__(self, name: TableKey) -> Table:
        try:
            return self._index[name]
        except KeyError:
            raise KeyError(name) from None

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __iter__(self) -> Iterator[Table]:
        return iter(self.tables)

    def replace_table(self, table: Table) -> "Schema":
        return replace(self, tables=tuple(table if t.name == table.name else t for t in self.tables))

    def to_dict(self) -> dict[str, Any]:
        out = {"dialect": self.dialect, "schema": self.name, "tables": [t.to_dict() for t in self.tables]}
        if self.native is not None:
            out["native"] = self.native.to_dict()
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Schema":
        """The schema a model directory holds; UnsafeExpression when SQL in it is not allowed."""
        from relsynth.schema.safety import check_schema   # it reads these records: imported late

        schema = cls(dialect=d["dialect"], name=d.get("schema"),
                     tables=tuple(Table.from_dict(t) for t in d.get("tables", [])),
                   native=NativeSchema.from_dict(d["native"]) if d.get("native") else None)
        check_schema(schema)
        return schema
