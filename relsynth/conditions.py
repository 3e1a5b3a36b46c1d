"""What the user asks of the generated rows: keep, seed, rebalance.

* retain ``customers.id``: the column comes out exactly as in the source, one generated row per
  real row; the rest of the row is synthesized given it (children of retained keys are generated
  for those keys);
* where ``orders.status=refunded`` / ``transactions.amount>=1000``: every generated row meets it;
  the other columns follow the conditional distribution;
* seed rows (a CSV or Parquet file per table): one generated row per seed row, its given cells
  kept, the rest filled in;
* rebalance ``transactions.is_fraud=true:0.5``: that value makes up the given share of the rows.

Parsing and validation live here; :mod:`relsynth.relational.table` applies them through the
model seam's ``fixed`` argument. Columns that are conditioned on are learned first in their
table's chain, so everything else is drawn knowing them.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from relsynth.errors import ConfigError, ModelError
from relsynth.models import encoding
from relsynth.schema.kinds import Kind
from relsynth.schema.model import Schema, Table

OPERATORS = {"==": operator.eq, "=": operator.eq, "!=": operator.ne, ">=": operator.ge, "<=": operator.le,
             ">": operator.gt, "<": operator.lt}
_CONDITION_RE = re.compile(r"^\s*(?P<table>[^=<>!]+?)\.(?P<column>[^.=<>!]+?)\s*(?P<op>==|!=|>=|<=|=|>|<)\s*(?P<value>.*?)\s*$")
_REBALANCE_RE = re.compile(r"^\s*(?P<table>[^=]+?)\.(?P<column>[^.=]+?)\s*=\s*(?P<value>.*?)\s*:\s*(?P<share>[0-9.]+)\s*$")
MAX_ROUNDS = 10          # rounds of redraws (2, 4 ... 1024 candidates a row) before giving up with a message


class ConditionError(ModelError):
    """A condition the model cannot meet, or one it cannot understand."""


@dataclass(frozen=True)
class Condition:
    """``table.column OP value`` for every generated row."""

    table: str
    column: str
    op: str
    value: Any

    @property
    def equality(self) -> bool:
        return OPERATORS[self.op] is operator.eq

    def __str__(self) -> str:
        return f"{self.table}.{self.column}{'=' if self.equality else self.op}{self.value}"


@dataclass(frozen=True)
class Rebalance:
    table: str
    column: str
    value: Any
    share: float

    def __str__(self) -> str:
        return f"{self.table}.{self.column}={self.value}:{self.share:g}"


@dataclass(frozen=True)
class Conditions:
    retain: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    where: tuple[Condition, ...] = ()
    rebalance: tuple[Rebalance, ...] = ()
    seeds: Mapping[str, pd.DataFrame] = field(default_factory=dict)

    @classmethod
    def parse(cls, *, retain: Iterable[str] = (), where: Iterable[str] = (), rebalance: Iterable[str] = (),
              seed_files: Iterable[str] = ()) -> "Conditions":
        """From the CLI's (or config's) strings: ``T.c,T.d``; ``T.c=v``, ``T.c>=v``; ``T.c=v:0.5``; ``T=path``."""
        kept: dict[str, list[str]] = {}
        for item in _items(retain):
            table, column = _dotted(item, "retain", "customers.id")
            kept.setdefault(table, []).append(column)
        conditions = tuple(_condition(item) for item in _items(where, split=False))
        balances = tuple(_rebalance(item) for item in _items(rebalance, split=False))
        seeds = {}
        for item in _items(seed_files, split=False):
            table, sep, path = item.partition("=")
            if not sep or not table.strip() or not path.strip():
                raise ConfigError(f"seed rows {item!r} are not TABLE=FILE", hint="e.g. --seed-rows orders=seeds.csv")
            seeds[table.strip()] = read_seed_rows(path.strip())
        return cls(retain={t: tuple(dict.fromkeys(cs)) for t, cs in kept.items()}, where=conditions,
                   rebalance=balances, seeds=seeds)

    def __bool__(self) -> bool:
        return bool(self.retain or self.where or self.rebalance or self.seeds)

    def leading(self, table: str) -> list[str]:
        """The columns of ``table`` that are conditioned on: learned first, in this order."""
        out = list(self.retain.get(table, ()))
        out += [c.column for c in self.where if c.table == table]
        out += [r.column for r in self.rebalance if r.table == table]
        if table in self.seeds:
            out += [str(c) for c in self.seeds[table].columns]
        return list(dict.fromkeys(out))

    def for_table(self, table: str) -> "Conditions":
        return Conditions(retain={t: c for t, c in self.retain.items() if t == table},
                          where=tuple(c for c in self.where if c.table == table),
                          rebalance=tuple(r for r in self.rebalance if r.table == table),
                          seeds={t: s for t, s in self.seeds.items() if t == table})

    def validate(self, schema: Schema) -> None:
        """Every named table and column exists and may be conditioned on; fails before any work."""
        named = [(t, c, "retain") for t, cs in self.retain.items() for c in cs]
        named += [(c.table, c.column, str(c)) for c in self.where]
        named += [(r.table, r.column, str(r)) for r in self.rebalance]
        named += [(t, str(c), f"seed rows of {t}") for t, s in self.seeds.items() for c in s.columns]
        for table_name, column, what in named:
            if table_name not in schema:
                known = ", ".join(t.name for t in schema)
                raise ConditionError(f"{what}: no table {table_name!r}", hint=f"tables: {known}")
            table = schema[table_name]
            if column not in table.column_names:
                raise ConditionError(f"{what}: table {table_name} has no column {column!r}",
                                     hint=f"columns: {', '.join(table.column_names)}")
            _check_use(table, column, what, retained=what == "retain")
        for c in self.where:
            kind = schema[c.table].column(c.column).kind
            if not c.equality and not kind.modeled:
                raise ConditionError(f"{c}: a range needs a number, date or time column; {c.column} is {kind.value}",
                                     hint="use = for text columns")
        for r in self.rebalance:
            kind = schema[r.table].column(r.column).kind
            if kind not in (Kind.CATEGORICAL, Kind.BOOLEAN):
                raise ConditionError(f"rebalance {r}: {r.column} is {kind.value}, not a category",
                                     hint="rebalance a categorical or boolean column (a class or label)")
            if not 0 < r.share < 1:
                raise ConditionError(f"rebalance {r}: the share must lie between 0 and 1", hint="e.g. :0.5")


def read_seed_rows(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"seed rows file {path} not found")
    if path.suffix.lower() == ".parquet":
        try:
            return pd.read_parquet(path)
        except ImportError:
            raise ConfigError("reading Parquet needs pyarrow", hint="pip install 'relsynth[parquet]'") from None
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def _check_use(table: Table, column: str, what: str, *, retained: bool) -> None:
    col = table.column(column)
    if col.kind == Kind.KEY and not retained:
        raise ConditionError(f"{what}: {table.name}.{column} is a key; keys are generated",
                             hint="use --retain to keep real keys")
    if column in table.fk_columns and retained and not set(table.primary_key) >= {column}:
        raise ConditionError(f"{what}: {table.name}.{column} is a foreign key; it follows its parent",
                             hint="retain the parent's key instead (e.g. customers.id)")


def _items(values: Iterable[str], *, split: bool = True) -> list[str]:
    out = []
    for value in values or ():
        parts = value.split(",") if split else [value]
        out += [p.strip() for p in parts if p.strip()]
    return out


def _dotted(item: str, what: str, example: str) -> tuple[str, str]:
    table, dot, column = item.rpartition(".")
    if not dot or not table or not column:
        raise ConfigError(f"{what} {item!r} is not TABLE.COLUMN", hint=f"e.g. {example}")
    return table.strip(), column.strip()


def _condition(item: str) -> Condition:
    match = _CONDITION_RE.match(item)
    if not match or not match["value"]:
        raise ConfigError(f"condition {item!r} is not TABLE.COLUMN=VALUE or a comparison",
                          hint="e.g. orders.status=refunded or transactions.amount>=1000")
    return Condition(match["table"], match["column"], match["op"], _unquote(match["value"]))


def _rebalance(item: str) -> Rebalance:
    match = _REBALANCE_RE.match(item)
    if not match:
        raise ConfigError(f"rebalance {item!r} is not TABLE.COLUMN=VALUE:SHARE", hint="e.g. transactions.is_fraud=true:0.5")
    return Rebalance(match["table"], match["column"], _unquote(match["value"]), float(match["share"]))


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


# ---------------------------------------------------------------- values in a model's terms


def encoded_value(value: Any, meta: Mapping[str, Any], *, what: str) -> float:
    """A user's value (often text from the command line) in the model's encoding of its column;
    a category never seen and a number outside the learned range are refused."""
    kind = Kind(meta["kind"])
    series = pd.Series([value], dtype=object)
    if kind == Kind.BOOLEAN:
        series = pd.Series([str(value).strip().lower() in {"true", "t", "1", "yes", "y", "on"}])
    elif kind in (Kind.INTEGER, Kind.FLOAT, Kind.DECIMAL):
        series = pd.to_numeric(series, errors="coerce")
    elif kind == Kind.CATEGORICAL:
        categories = [str(c) for c in encoding.category_values(meta)]
        matches = [c for c in encoding.category_values(meta) if str(c) == str(value)]
        if not matches:
            shown = ", ".join(categories[:12]) + (" ..." if len(categories) > 12 else "")
            raise ConditionError(f"{what}: {value!r} never occurs in the source", hint=f"values seen: {shown}")
        series = pd.Series(matches[:1], dtype=object)
    code = encoding.encode(series, meta)[0]
    if np.isnan(code):
        raise ConditionError(f"{what}: {value!r} is not a valid {kind.value}")
    lo, hi = meta.get("min"), meta.get("max")
    if kind != Kind.CATEGORICAL and lo is not None and hi is not None and not lo <= code <= hi:
        low, high = (encoding.decode(np.array([b]), meta).iloc[0] for b in (lo, hi))
        raise ConditionError(f"{what}: {value} lies outside the values learned ({low} to {high})",
                             hint="the trees family draws real values and cannot extrapolate; ask within the range")
    return float(code)


__all__ = ["Condition", "Rebalance", "Conditions", "ConditionError", "read_seed_rows", "encoded_value",
           "OPERATORS", "MAX_ROUNDS"]
