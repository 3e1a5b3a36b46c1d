"""The user's conditions (:mod:`relsynth.conditions`) turned into one table's per-row requests.

A request is a frame aligned with the table's generated rows: ``fixed:<column>`` cells the model
must keep (the seam's ``fixed`` argument), ``given:<column>`` cells set after generation (kept
keys, text), and ``check:<i>`` flags saying which rows a comparison applies to (ranges, and the
rows a rebalance keeps away from the minority value). It travels with the rows through drops,
sorts and redraws.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from relsynth.conditions import OPERATORS, ConditionError, Conditions, encoded_value
from relsynth.models import encoding
from relsynth.schema.kinds import Kind
from relsynth.schema.model import Table

FIXED, GIVEN, CHECK = "fixed:", "given:", "check:"


@dataclass(frozen=True)
class Check:
    column: str
    op: str
    value: float          # in the model's encoding of the column
    label: str            # the condition as the user wrote it
    forced: Any = None    # not None: rows that never meet it by chance get this value fixed


@dataclass
class Request:
    frame: pd.DataFrame                   # per row: fixed:, given:, check: columns
    checks: list[Check] = field(default_factory=list)

    def fixed(self, rows: pd.DataFrame) -> pd.DataFrame | None:
        """The ``fixed`` argument for these request rows (None when nothing is fixed)."""
        names = [c for c in rows.columns if c.startswith(FIXED)]
        if not names:
            return None
        return rows[names].set_axis([c[len(FIXED):] for c in names], axis=1).reset_index(drop=True)

    def failing(self, sampled: pd.DataFrame, rows: pd.DataFrame, metas: Mapping[str, dict]) -> np.ndarray:
        """Which sampled rows miss a comparison that applies to them."""
        bad = np.zeros(len(sampled), dtype=bool)
        for i, check in enumerate(self.checks):
            applies = rows[f"{CHECK}{i}"].to_numpy(dtype=bool)
            values = encoding.encode(sampled[check.column].reset_index(drop=True), metas[check.column])
            with np.errstate(invalid="ignore"):
                ok = OPERATORS[check.op](values, check.value) & ~np.isnan(values)
            bad |= applies & ~ok
        return bad


def forced_rows(table: str, conditions: Conditions | None, retained: pd.DataFrame | None) -> int | None:
    """The row count kept or seeded rows impose on ``table`` (None: the usual count)."""
    if not conditions:
        return None
    seeds = conditions.seeds.get(table)
    if retained is not None and seeds is not None and len(seeds) != len(retained):
        raise ConditionError(f"{table}: {len(seeds)} seed rows but {len(retained)} kept rows",
                             hint="retain or seed a table, not both")
    if retained is not None:
        return len(retained)
    return len(seeds) if seeds is not None else None


def request(table: Table, conditions: Conditions, *, modeled: Mapping[str, Kind], metas: Mapping[str, dict],
            retained: pd.DataFrame | None, count: int, rng: np.random.Generator) -> Request | None:
    """What ``conditions`` ask of ``table``'s ``count`` rows (None: nothing)."""
    mine = conditions.for_table(table.name)
    if not mine:
        return None
    seeds = mine.seeds.get(table.name)
    out: dict[str, Any] = {}
    checks: list[Check] = []

    def give(column: str, values: Any) -> None:
        prefix = FIXED if column in modeled else GIVEN
        out[prefix + column] = values

    if retained is not None:
        for column in mine.retain.get(table.name, ()):
            give(column, retained[column].reset_index(drop=True).to_numpy())
    if seeds is not None:
        for column in seeds.columns:
            values = seeds[column].reset_index(drop=True)
            if column in metas:
                values = _typed(values, metas[column], what=f"seed rows of {table.name}, column {column}")
            give(str(column), values.to_numpy())
    for condition in mine.where:
        if condition.equality:
            value = condition.value
            if condition.column in metas:
                meta = metas[condition.column]
                value = encoding.decode(np.array([encoded_value(value, meta, what=str(condition))]), meta).iloc[0]
            give(condition.column, np.full(count, value, dtype=object))
        else:
            meta = metas[condition.column]
            checks.append(Check(condition.column, condition.op, _bound(condition, meta), str(condition)))
            out[f"{CHECK}{len(checks) - 1}"] = np.ones(count, dtype=bool)
    for balance in mine.rebalance:
        meta = metas[balance.column]
        code = encoded_value(balance.value, meta, what=f"rebalance {balance}")
        value = encoding.decode(np.array([code]), meta).iloc[0]
        chosen = np.zeros(count, dtype=bool)
        chosen[rng.choice(count, size=int(round(balance.share * count)), replace=False)] = True
        # the chosen rows are drawn until they come out with the value (moving to parents where it
        # happens, so their parents and siblings look like the real ones'), else get it fixed
        checks.append(Check(balance.column, "==", code, f"rebalance {balance}", forced=value))
        out[f"{CHECK}{len(checks) - 1}"] = chosen
        checks.append(Check(balance.column, "!=", code, f"rebalance {balance}"))
        out[f"{CHECK}{len(checks) - 1}"] = ~chosen   # the other rows: anything but that value
    frame = pd.DataFrame(out, index=pd.RangeIndex(count))
    return Request(frame=frame, checks=checks)


def _typed(values: pd.Series, meta: Mapping[str, Any], *, what: str) -> pd.Series:
    """Seed cells (often text from a CSV) as the model's values; empty cells stay free."""
    present = values.notna() & (values.astype(str).str.strip() != "")
    out = np.full(len(values), None, dtype=object)
    if present.any():
        codes = np.array([encoded_value(v, meta, what=what) for v in pd.unique(values[present])])
        lookup = dict(zip(pd.unique(values[present]), encoding.decode(codes, meta).tolist()))
        out[present.to_numpy()] = values[present].map(lookup).to_numpy()
    return pd.Series(out, dtype=object)


def _bound(condition, meta: Mapping[str, Any]) -> float:
    """A range's bound in the model's encoding; a range the source never reaches is refused."""
    kind = Kind(meta["kind"])
    series = pd.to_numeric(pd.Series([condition.value]), errors="coerce") \
        if kind in (Kind.INTEGER, Kind.FLOAT, Kind.DECIMAL) else pd.Series([condition.value], dtype=object)
    bound = encoding.encode(series, meta)[0]
    if np.isnan(bound):
        raise ConditionError(f"{condition}: {condition.value!r} is not a valid {kind.value}")
    lo, hi = meta.get("min"), meta.get("max")
    if lo is not None and hi is not None:
        test = OPERATORS[condition.op]
        if test is not operator.ne and not (test(lo, bound) or test(hi, bound)):
            low, high = (encoding.decode(np.array([b]), meta).iloc[0] for b in (lo, hi))
            raise ConditionError(f"{condition}: the source's values lie between {low} and {high}, none meets it",
                                 hint="the trees family draws real values and cannot extrapolate; ask within the range")
    return float(bound)


__all__ = ["Request", "Check", "request", "FIXED", "GIVEN", "CHECK"]
