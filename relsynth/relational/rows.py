"""How many rows each table gets, and where rows went.

- **Counts asked**: ``--scale`` multiplies every table's source count, except lookup tables
  (small tables of labels that other tables point at and that describe nobody: departments,
  categories, countries), which keep their real size; ``--rows TABLE=N`` sets a table's count.
  A child keeps the source's rows per parent (``--rows employees=100`` brings their shifts
  along), unless its parent is a lookup. A table that had rows never gets 0 from the scale alone.
- **Children counts** drawn per parent are brought to the total their table asks for (the
  source's children per parent times the generated parents), so a table's size is not left to
  chance: a 24-row table came out with 20 rows, a 2-row one with 3.
- **Ledger**: every row dropped is counted per table and cause; a table that ends empty, or more
  than 2% short of its count, is a shortfall the caller refuses unless asked (``--allow-shrink``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from relsynth.errors import RelsynthError
from relsynth.privacy.protect import is_personal
from relsynth.relational.references import apportion
from relsynth.schema.model import Schema, Table

SHRINK_TOLERANCE = 0.02     # a table may end this share short of its count
LOOKUP_MAX_ROWS = 1_000     # larger tables are data, not vocabulary


class ShrinkError(RelsynthError):
    hint = "pass --allow-shrink to write it anyway, or see the causes above"


def lookup_tables(schema: Schema) -> frozenset[str]:
    """Tables of labels: no foreign key to another table (a hierarchy of categories may point
    at itself), referenced by another table, at most ``LOOKUP_MAX_ROWS`` rows, and no column
    about a person."""
    referenced = {fk.parent for t in schema for fk in t.foreign_keys if fk.parent != t.name}
    return frozenset(t.name for t in schema
                     if t.name in referenced and all(fk.parent == t.name for fk in t.foreign_keys)
                     and 0 < t.row_count <= LOOKUP_MAX_ROWS and not is_personal({c.name: c.kind for c in t.columns}))


@dataclass(frozen=True)
class RowCounts:
    """What the user asks: a scale, counts per table, and which tables are lookups."""

    scale: float = 1.0
    rows: Mapping[str, int] = field(default_factory=dict)
    lookups: frozenset[str] = frozenset()

    @classmethod
    def asked(cls, schema: Schema, *, scale: float = 1.0, rows: Mapping[str, int] | None = None) -> "RowCounts":
        if not scale > 0:
            raise RelsynthError(f"scale must be positive, not {scale}", hint="e.g. --scale 0.1 or --scale 3")
        rows = dict(rows or {})
        unknown = sorted(t for t in rows if t not in schema)
        if unknown:
            raise RelsynthError(f"--rows names no table of the model: {', '.join(unknown)}",
                                hint=f"tables: {', '.join(t.name for t in schema)}")
        negative = sorted(t for t, n in rows.items() if n < 0)
        if negative:
            raise RelsynthError(f"--rows must be 0 or more: {', '.join(negative)}", hint="e.g. --rows departments=9")
        return cls(scale=float(scale), rows=rows, lookups=lookup_tables(schema))

    def count(self, table: Table, parent: Table | None = None, parent_rows: int | None = None) -> int:
        """The rows ``table`` asks for when its context ``parent`` has ``parent_rows`` rows: its
        own count when the user gave one, a lookup's real size, else the source's rows per
        parent times the parents (children per parent kept), else its scaled size. A parent that
        is a lookup sets nothing: its children scale as if it were not there."""
        if table.name in self.rows:
            return int(self.rows[table.name])
        if table.name in self.lookups:
            return table.row_count
        follows = parent is not None and parent.name not in self.lookups and parent.row_count and parent_rows is not None
        share = table.row_count * parent_rows / parent.row_count if follows else table.row_count * self.scale
        return max(int(round(share)), 1 if table.row_count and parent_rows != 0 else 0)


def calibrated(counts: np.ndarray, total: int, rng: np.random.Generator, *, cap: int | None = None) -> np.ndarray:
    """Children per parent brought to ``total``: proportional to the drawn counts (a parent with
    none keeps none while others have some), each within one of its share, at most ``cap``."""
    counts = np.asarray(counts, dtype=np.int64)
    if not counts.size or counts.sum() == total:
        return counts
    out = apportion(counts.astype(np.float64), max(int(total), 0), rng)
    if cap is not None:
        over = int(np.maximum(out - cap, 0).sum())
        out = np.minimum(out, cap)
        free = np.flatnonzero(out < cap)
        if over and free.size:  # the excess goes to parents with room, at random
            out[rng.choice(free, size=min(over, free.size), replace=False)] += 1
    return out


@dataclass
class RowLedger:
    """Rows asked of each table, and rows dropped per table and cause."""

    expected: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, Counter] = field(default_factory=dict)
    exempt: set[str] = field(default_factory=set)   # counts set by conditions (kept or seeded rows)

    def drop(self, table: str, cause: str, rows: int) -> None:
        if rows > 0:
            self.dropped.setdefault(table, Counter())[cause] += int(rows)

    def causes(self, table: str) -> str:
        return ", ".join(f"{n:,} {cause}" for cause, n in self.dropped.get(table, Counter()).most_common())

    def shortfalls(self, produced: Mapping[str, int], tolerance: float = SHRINK_TOLERANCE) -> list[str]:
        """One line per table that ended empty or more than ``tolerance`` short of its count."""
        out = []
        for table, want in self.expected.items():
            got = produced.get(table, 0)
            if table in self.exempt or not want or got >= want * (1 - tolerance):
                continue
            why = self.causes(table) or "fewer rows drawn for its parents"
            out.append(f"{table}: {got:,} of {want:,} rows ({why})")
        return out

    def check(self, produced: Mapping[str, int], *, allow_shrink: bool) -> None:
        """Refuse a result that lost rows, unless ``allow_shrink``."""
        short = self.shortfalls(produced)
        if short and not allow_shrink:
            raise ShrinkError(f"{len(short)} table(s) came out empty or more than {SHRINK_TOLERANCE:.0%} short, "
                              f"nothing written: " + "; ".join(short))
