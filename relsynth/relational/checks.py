"""Check constraints evaluated on generated rows before they are written.

The check's SQL is run by an in-memory SQLite over the generated frame: one query per check
finds the rows that would be refused, whatever the check says. Source-dialect syntax SQLite
does not speak (PostgreSQL casts, MySQL backticks) is translated; a check SQLite still cannot
evaluate is left to the target database, which enforces it anyway.
"""

from __future__ import annotations

import re
import sqlite3
import warnings

import numpy as np
import pandas as pd

_PG_CAST = re.compile(
    r"::\s*(?:\"[^\"]+\"|character varying|double precision|"
    r"time(?:stamp)?(?:\(\d+\))? with(?:out)? time zone|[a-zA-Z_]\w*)(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])?")


def to_sqlite_sql(sqltext: str) -> str:
    text = _PG_CAST.sub("", sqltext)
    return text.replace("`", '"')


def violations(frame: pd.DataFrame, sqltext: str, *, label: str = "") -> np.ndarray | None:
    """Boolean mask of rows that break the check; None when SQLite cannot evaluate it."""
    if frame.empty:
        return np.zeros(len(frame), dtype=bool)
    # only the columns the check names: converting the rest would be wasted work
    frame = frame[[c for c in frame.columns if str(c) in sqltext]]
    con = sqlite3.connect(":memory:")
    try:
        _load(con, frame)
        rows = con.execute(f'SELECT rowid FROM "t" WHERE NOT ({to_sqlite_sql(sqltext)})').fetchall()
    except sqlite3.Error as exc:
        warnings.warn(f"check {label or sqltext!r} left to the target database ({exc})", stacklevel=2)
        return None
    finally:
        con.close()
    mask = np.zeros(len(frame), dtype=bool)
    if rows:
        mask[np.fromiter((r[0] - 1 for r in rows), dtype=np.int64, count=len(rows))] = True
    return mask


def evaluate(frame: pd.DataFrame, expression: str) -> list | None:
    """``expression`` (SQLite's SQL) computed for each row of ``frame``; None when SQLite cannot."""
    if frame.empty:
        return []
    frame = frame[[c for c in frame.columns if str(c) in expression]]
    con = sqlite3.connect(":memory:")
    try:
        if frame.shape[1]:
            _load(con, frame)
        else:
            con.execute('CREATE TABLE "t" ("_")')
            con.executemany('INSERT INTO "t" VALUES (?)', [(None,)] * len(frame))
        return [r[0] for r in con.execute(f'SELECT {expression} FROM "t" ORDER BY rowid')]
    except sqlite3.Error:
        return None
    finally:
        con.close()


def _load(con: sqlite3.Connection, frame: pd.DataFrame) -> None:
    names = [str(c) for c in frame.columns]
    quoted = ", ".join('"' + n.replace('"', '""') + '"' for n in names)
    con.execute(f'CREATE TABLE "t" ({quoted})')
    columns = [_sqlite_values(frame[c]) for c in frame.columns]
    marks = ", ".join("?" * len(names))
    con.executemany(f'INSERT INTO "t" VALUES ({marks})', zip(*columns))


def _sqlite_values(series: pd.Series) -> list:
    """Values as SQLite stores them: ISO text for times, 0/1 for booleans, None for NULL."""
    if pd.api.types.is_datetime64_any_dtype(series):
        text = series.dt.strftime("%Y-%m-%d %H:%M:%S")
        return text.astype(object).where(series.notna(), None).tolist()
    if pd.api.types.is_bool_dtype(series):
        return series.astype(object).where(series.notna(), None).map(lambda v: v if v is None else int(v)).tolist()
    values = series.astype(object).where(series.notna(), None)
    first = next((v for v in values if v is not None), None)
    if hasattr(first, "isoformat"):  # date / time objects
        return [None if v is None else v.isoformat() for v in values.tolist()]
    if first is not None and not isinstance(first, (int, float, str, bytes)):
        return [None if v is None else float(v) if hasattr(v, "as_tuple") else str(v) for v in values.tolist()]
    return values.tolist()
