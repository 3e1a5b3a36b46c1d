"""PostgreSQL declarative partitioning: read from pg_catalog, checked, rendered, and kept by the rows.

SQLAlchemy lists each partition as a table of its own. Here a partitioned table is one table of
the schema (its rows are all of its partitions' rows) with a :class:`Partitioning`: the strategy,
the key columns and each partition's bound. Partitions are never trained or written on their own;
a PostgreSQL target creates them (``CREATE TABLE p PARTITION OF parent FOR VALUES ...``) and routes
the rows written through the parent. A bound is kept as typed values, never as SQL text: a model
directory is untrusted, so what reaches a target is rendered here from checked values.

Generated rows must fall into some partition: unless there is a DEFAULT partition, a RANGE or LIST
key outside every bound is drawn again (:func:`outside`, :func:`into_bounds`). Limits: RANGE keys of
several columns and HASH bounds are not checked on the rows (PostgreSQL routes HASH rows anywhere
when every remainder has a partition); a partition that is itself partitioned is created as a plain
partition (its sub-partitions are not).
"""

from __future__ import annotations

import re
import warnings
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from relsynth.errors import ModelError, UnsafeExpression
from relsynth.schema.model import Partition, Partitioning, Table

STRATEGIES = ("range", "list", "hash")
_TOKENS = re.compile(r"\s+|'(?:[^']|'')*'|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|[A-Za-z_]+|[(),]|.", re.S)
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
_IDENT = re.compile(r'[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+"')


# --------------------------------------------------------------------------- reading pg_catalog


def partitioned_tables(conn: sa.Connection, schema_name: str | None) -> tuple[dict[str, Partitioning],
                                                                             dict[str, str]]:
    """The partitioned tables of a PostgreSQL schema (name -> Partitioning) and every partition
    (name -> its partitioned table). A key that is not plain columns is left out with a warning
    (the table is then cloned as a plain table, its partitions as they are)."""
    if conn.dialect.name != "postgresql":
        return {}, {}
    namespace = "coalesce(:schema, current_schema())"
    keys = conn.execute(sa.text(
        "SELECT c.relname, pg_get_partkeydef(c.oid) FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
        f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = {namespace}"), {"schema": schema_name}).all()
    parts = conn.execute(sa.text(
        "SELECT c.relname, parent.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class parent ON parent.oid = i.inhparent "
        f"JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relispartition AND c.relkind IN ('r', 'p') "
        f"AND n.nspname = {namespace} ORDER BY c.relname"), {"schema": schema_name}).all()
    of = {str(child): str(parent) for child, parent, _ in parts}
    found: dict[str, Partitioning] = {}
    for name, keydef in keys:
        name = str(name)
        if name in of:        # a partition partitioned again: its sub-partitions go with the top table
            continue
        parsed = parse_key(str(keydef))
        if parsed is None:
            warnings.warn(f"{name}: partition key {keydef} is not plain columns; cloned as a plain table",
                          stacklevel=3)
            continue
        strategy, key = parsed
        bounds = []
        for child, parent, bound in parts:
            if str(parent) == name:
                try:
                    bounds.append(Partition(name=str(child), bound=parse_bound(str(bound))))
                except ValueError as exc:
                    warnings.warn(f"{name}: partition {child} ({bound}) is not understood ({exc}); not created",
                                  stacklevel=3)
        found[name] = Partitioning(strategy=strategy, key=key, partitions=tuple(bounds))
        if strategy == "hash" and not _covers_every_hash(bounds):
            warnings.warn(f"{name}: its HASH partitions leave some remainders without a partition; generated "
                          f"rows hashed there cannot be written", stacklevel=3)
    return found, {child: top(of, child) for child in of}


def _covers_every_hash(bounds: list[Partition]) -> bool:
    """Whether every hash value has a partition: the partitions' shares (1/modulus each) add up to 1."""
    return sum((Fraction(1, p.bound["modulus"]) for p in bounds if "modulus" in p.bound), Fraction(0)) == 1


def top(of: dict[str, str], name: str) -> str:
    while name in of:
        name = of[name]
    return name


def parse_key(keydef: str) -> tuple[str, tuple[str, ...]] | None:
    """``RANGE (payment_date)`` -> ("range", ("payment_date",)); None for expressions."""
    found = re.fullmatch(r"\s*(RANGE|LIST|HASH)\s*\((.*)\)\s*", keydef, re.I | re.S)
    if not found:
        return None
    columns = []
    for part in found[2].split(","):
        part = part.strip()
        if not _IDENT.fullmatch(part):
            return None
        columns.append(part[1:-1].replace('""', '"') if part.startswith('"') else part)
    return found[1].lower(), tuple(columns)


def parse_bound(text: str) -> dict[str, Any]:
    """A bound as ``pg_get_expr(relpartbound)`` shows it, as typed values; ValueError otherwise."""
    tokens = [t for t in _TOKENS.findall(text) if not t.isspace()]
    words = [t.upper() for t in tokens]
    if words == ["DEFAULT"]:
        return {"default": True}
    if words[:2] != ["FOR", "VALUES"]:
        raise ValueError("not FOR VALUES")
    rest, upper = tokens[2:], words[2:]
    if upper[:1] == ["IN"]:
        values, end = _values(rest, 1)
        if end != len(rest):
            raise ValueError("text after the list")
        return {"in": values}
    if upper[:1] == ["FROM"]:
        low, end = _values(rest, 1)
        if upper[end:end + 1] != ["TO"]:
            raise ValueError("FROM without TO")
        high, end = _values(rest, end + 1)
        if end != len(rest):
            raise ValueError("text after the bound")
        return {"from": low, "to": high}
    if upper[:1] == ["WITH"] and len(rest) == 8 and upper[1:2] == ["("] and upper[2] == "MODULUS" \
            and upper[4] == "," and upper[5] == "REMAINDER" and upper[7] == ")" \
            and rest[3].isdigit() and rest[6].isdigit():
        return {"modulus": int(rest[3]), "remainder": int(rest[6])}
    raise ValueError("unknown bound")


def _values(tokens: list[str], start: int) -> tuple[list[list[str]], int]:
    if tokens[start:start + 1] != ["("]:
        raise ValueError("a list must start with (")
    out: list[list[str]] = []
    i = start + 1
    while i < len(tokens):
        token = tokens[i]
        if token.startswith("'"):
            out.append(["literal", token[1:-1].replace("''", "'")])
        elif _NUMBER.fullmatch(token):
            out.append(["number", token])
        elif token.upper() in ("MINVALUE", "MAXVALUE", "NULL"):
            out.append([token.lower()])
        elif token.upper() in ("TRUE", "FALSE"):
            out.append(["literal", token.lower()])
        else:
            raise ValueError(f"{token!r} is not a value")
        i += 1
        if tokens[i:i + 1] == [")"]:
            return out, i + 1
        if tokens[i:i + 1] != [","]:
            raise ValueError("values must be separated by commas")
        i += 1
    raise ValueError("unclosed list")


# --------------------------------------------------------------------------- checked and rendered


def check_partitioning(table: Table) -> None:
    """UnsafeExpression unless ``table.partitioning`` is only typed values over its own columns."""
    part = table.partitioning
    if part is None:
        return

    def refuse(why: str) -> UnsafeExpression:
        return UnsafeExpression(f"{table.name}: partitioning is refused: {why}",
                                hint="train the model again from its source")

    if part.strategy not in STRATEGIES:
        raise refuse(f"unknown strategy {part.strategy!r}")
    if not part.key or any(c not in table.column_names for c in part.key):
        raise refuse("its key must be columns of the table")
    for p in part.partitions:
        try:
            render_bound(p.bound)
        except (ValueError, TypeError, KeyError) as exc:
            raise refuse(f"partition {p.name!r}: {exc}") from None


def render_bound(bound: dict[str, Any]) -> str:
    """``FOR VALUES ...`` / ``DEFAULT`` from checked values (ValueError when they are not)."""
    if bound.get("default") is True and len(bound) == 1:
        return "DEFAULT"
    if set(bound) == {"in"}:
        return f"FOR VALUES IN ({_render_values(bound['in'])})"
    if set(bound) == {"from", "to"}:
        return f"FOR VALUES FROM ({_render_values(bound['from'])}) TO ({_render_values(bound['to'])})"
    if set(bound) == {"modulus", "remainder"}:
        modulus, remainder = bound["modulus"], bound["remainder"]
        if not (type(modulus) is int and type(remainder) is int and 0 <= remainder < modulus):
            raise ValueError("modulus and remainder must be integers, remainder < modulus")
        return f"FOR VALUES WITH (MODULUS {modulus}, REMAINDER {remainder})"
    raise ValueError("unknown bound")


def _render_values(values: Any) -> str:
    if not isinstance(values, list) or not values:
        raise ValueError("a bound holds a list of values")
    out = []
    for value in values:
        if not isinstance(value, list) or not value or value[0] not in ("literal", "number", "null", "minvalue",
                                                                          "maxvalue"):
            raise ValueError(f"{value!r} is not a bound value")
        if value[0] == "literal" and len(value) == 2 and isinstance(value[1], str) and "\x00" not in value[1]:
            out.append("'" + value[1].replace("'", "''") + "'")
        elif value[0] == "number" and len(value) == 2 and isinstance(value[1], str) and _NUMBER.fullmatch(value[1]):
            out.append(value[1])
        elif len(value) == 1 and value[0] in ("null", "minvalue", "maxvalue"):
            out.append(value[0].upper())
        else:
            raise ValueError(f"{value!r} is not a bound value")
    return ", ".join(out)


def create_partitions(conn: sa.Connection, table: Table, created: sa.Table) -> None:
    """``CREATE TABLE <partition> PARTITION OF <created> <bound>`` for each partition."""
    q = conn.dialect.identifier_preparer
    parent = q.format_table(created)
    for p in table.partitioning.partitions if table.partitioning else ():
        conn.exec_driver_sql(f"CREATE TABLE {q.quote(p.name)} PARTITION OF {parent} "
                             f"{render_bound(p.bound)}".replace("%", "%%"))


def partition_by(table: Table) -> str:
    """The ``PARTITION BY`` clause's text: ``RANGE ("payment_date")``."""
    part = table.partitioning
    assert part is not None
    quoted = ", ".join('"' + c.replace('"', '""') + '"' for c in part.key)
    return f"{part.strategy.upper()} ({quoted})"


# --------------------------------------------------------------------------- generated rows


def _checked(table: Table) -> tuple[str, list[dict[str, Any]]] | None:
    """The key column and the bounds the rows are held to, or None when they are not checked."""
    part = table.partitioning
    if part is None or part.has_default or len(part.key) != 1 or part.strategy == "hash" or not part.partitions:
        return None
    return part.key[0], [p.bound for p in part.partitions]


def outside(frame: pd.DataFrame, table: Table) -> np.ndarray:
    """Rows whose partition key falls into no partition (all False when there is a DEFAULT one)."""
    checked = _checked(table)
    if checked is None or checked[0] not in frame.columns or frame.empty:
        return np.zeros(len(frame), dtype=bool)
    column, bounds = checked
    values = frame[column]
    inside = np.zeros(len(frame), dtype=bool)
    for bound in bounds:
        if "in" in bound:
            listed = [v for v in bound["in"] if v[0] != "null"]
            if any(v[0] == "null" for v in bound["in"]):
                inside |= values.isna().to_numpy()
            if listed:
                inside |= _isin(values, [_value(v[1], values) for v in listed])
        else:
            low, high = bound["from"][0], bound["to"][0]
            above = np.ones(len(frame), dtype=bool) if low[0] == "minvalue" else \
                np.zeros(len(frame), dtype=bool) if low[0] == "maxvalue" else _compare(values, low[1], ">=")
            below = np.ones(len(frame), dtype=bool) if high[0] == "maxvalue" else \
                np.zeros(len(frame), dtype=bool) if high[0] == "minvalue" else _compare(values, high[1], "<")
            inside |= above & below
    return ~inside


def into_bounds(frame: pd.DataFrame, table: Table, rng: np.random.Generator) -> int:
    """Keys in no partition take a key of a row that is in one (in place); the rows changed."""
    bad = outside(frame, table)
    if not bad.any():
        return 0
    column = table.partitioning.key[0]  # type: ignore[union-attr]
    good = np.flatnonzero(~bad)
    if not good.size:
        raise ModelError(f"{table.name}: no generated {column} falls into a partition",
                               hint="add a DEFAULT partition to the source table, or check its bounds")
    picks = frame[column].to_numpy()[rng.choice(good, size=int(bad.sum()))]
    values = frame[column].to_numpy().copy()
    values[bad] = picks
    frame[column] = pd.Series(values, index=frame.index, dtype=frame[column].dtype)
    return int(bad.sum())


def _value(text: str, like: pd.Series) -> Any:
    """A bound's literal as a value comparable with the column's generated values."""
    if pd.api.types.is_datetime64_any_dtype(like.dtype):
        stamp = pd.Timestamp(text)
        tz = getattr(like.dtype, "tz", None)
        if stamp.tzinfo is not None and tz is None:
            return stamp.tz_convert("UTC").tz_localize(None)
        if stamp.tzinfo is None and tz is not None:
            return stamp.tz_localize("UTC")
        return stamp
    if pd.api.types.is_numeric_dtype(like.dtype) and not pd.api.types.is_bool_dtype(like.dtype):
        return float(text)
    sample = like.dropna()
    first = sample.iloc[0] if len(sample) else None
    if hasattr(first, "year") and not isinstance(first, str):
        stamp = pd.Timestamp(text)
        if hasattr(first, "hour"):
            return stamp.to_pydatetime() if getattr(first, "tzinfo", None) else \
                stamp.tz_convert("UTC").tz_localize(None).to_pydatetime() if stamp.tzinfo else stamp.to_pydatetime()
        return stamp.date()
    if first is not None and not isinstance(first, str):
        try:
            return type(first)(text)
        except (TypeError, ValueError):
            return text
    return text


def _compare(values: pd.Series, text: str, op: str) -> np.ndarray:
    bound = _value(text, values)
    out = np.zeros(len(values), dtype=bool)
    present = values.notna().to_numpy()
    kept = values[present]
    out[present] = np.asarray(kept >= bound if op == ">=" else kept < bound, dtype=bool)
    return out


def _isin(values: pd.Series, listed: list[Any]) -> np.ndarray:
    return values.isin(listed).to_numpy()
