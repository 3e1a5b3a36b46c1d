"""Read the source's tables as frames, inside read-only transactions, in chunks."""

from __future__ import annotations

from typing import Callable

import pandas as pd
import sqlalchemy as sa

CHUNK_ROWS = 200_000


def read_table(engine: sa.Engine, sa_table: sa.Table, *, columns: list[str] | None = None,
               progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """The whole table (or some columns), typed by SQLAlchemy: dates come back as dates, not text."""
    cols = [sa_table.c[c] for c in columns] if columns is not None else list(sa_table.columns)
    names = [c.name for c in cols]
    if not cols:
        count = _count(engine, sa_table)
        return pd.DataFrame(index=pd.RangeIndex(count))
    chunks: list[pd.DataFrame] = []
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=CHUNK_ROWS).execute(sa.select(*cols))
        for part in result.partitions(CHUNK_ROWS):
            chunks.append(pd.DataFrame.from_records(part, columns=names, coerce_float=True))
            if progress:
                progress(len(part))
    if not chunks:
        return pd.DataFrame({n: pd.Series(dtype=object) for n in names})
    return pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]


def _count(engine: sa.Engine, sa_table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(sa_table)).scalar_one())
