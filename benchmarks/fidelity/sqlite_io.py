"""Read a SQLite database's tables and schema facts, and write frames into a copy of its schema.

Only sqlite3, numpy and pandas: the HMA runner imports this inside the SDV environment, where
relsynth is not installed. Types are decided by the declared SQL type, as SQLite keeps them.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class TableInfo:
    name: str
    types: dict[str, str]                         # column -> declared type, upper case
    primary_key: str | None
    foreign_keys: dict[str, tuple[str, str]]      # column -> (parent table, parent column)
    unique: list[str] = field(default_factory=list)  # single-column UNIQUE constraints


def connect_ro(path: Path | str) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _table_names(con: sqlite3.Connection) -> list[str]:
    rows = con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                       "ORDER BY name").fetchall()
    return [r[0] for r in rows]


def _unique_columns(con: sqlite3.Connection, table: str) -> list[str]:
    out = []
    for _seq, index, unique, origin, _partial in con.execute(f"PRAGMA index_list('{table}')").fetchall():
        if unique and origin == "u":
            cols = [r[2] for r in con.execute(f"PRAGMA index_info('{index}')").fetchall()]
            if len(cols) == 1:
                out.append(cols[0])
    return out


def table_info(con: sqlite3.Connection, table: str) -> TableInfo:
    columns = con.execute(f"PRAGMA table_info('{table}')").fetchall()
    types = {c[1]: (c[2] or "").upper() for c in columns}
    pk = [c[1] for c in columns if c[5]]
    fks = {r[3]: (r[2], r[4]) for r in con.execute(f"PRAGMA foreign_key_list('{table}')").fetchall()}
    return TableInfo(table, types, pk[0] if len(pk) == 1 else None, fks, _unique_columns(con, table))


def schema(con: sqlite3.Connection) -> list[TableInfo]:
    """Every table, parents before children (the fixtures have no cycles)."""
    infos = {name: table_info(con, name) for name in _table_names(con)}
    ordered: list[TableInfo] = []
    while len(ordered) < len(infos):
        done = {t.name for t in ordered}
        ready = [t for t in infos.values() if t.name not in done
                 and all(p in done or p == t.name for p, _ in t.foreign_keys.values())]
        if not ready:
            raise ValueError("foreign keys form a cycle; these fixtures have none")
        ordered += ready
    return ordered


def is_date(declared: str) -> bool:
    return declared == "DATE"


def is_timestamp(declared: str) -> bool:
    return "TIMESTAMP" in declared or "DATETIME" in declared


def is_boolean(declared: str) -> bool:
    return declared.startswith("BOOL")


def read_tables(path: Path | str) -> tuple[list[TableInfo], dict[str, pd.DataFrame]]:
    """The schema facts and every table as a typed frame (dates and timestamps parsed, booleans bool)."""
    con = connect_ro(path)
    try:
        infos = schema(con)
        frames = {t.name: _typed(pd.read_sql_query(f'SELECT * FROM "{t.name}"', con), t) for t in infos}
    finally:
        con.close()
    return infos, frames


def _typed(frame: pd.DataFrame, info: TableInfo) -> pd.DataFrame:
    for column, declared in info.types.items():
        if is_date(declared) or is_timestamp(declared):
            frame[column] = pd.to_datetime(frame[column], format="mixed")
        elif is_boolean(declared):
            frame[column] = frame[column].astype(bool)
    return frame


def _numeric_scale(declared: str) -> int | None:
    match = re.fullmatch(r"(?:NUMERIC|DECIMAL)\(\s*\d+\s*,\s*(\d+)\s*\)", declared)
    return int(match.group(1)) if match else None


def _sql_values(column: pd.Series, declared: str) -> list:
    """Values as SQLite keeps them: ISO text for dates and timestamps, 0/1 for booleans, None for NULL."""
    if is_date(declared) or is_timestamp(declared):
        text = pd.to_datetime(column).dt.strftime("%Y-%m-%d" if is_date(declared) else "%Y-%m-%d %H:%M:%S")
        return text.astype(object).where(column.notna(), None).tolist()
    if is_boolean(declared):
        return column.astype(object).where(column.isna(), column.astype(bool).astype(int)).tolist()
    digits = _numeric_scale(declared)
    if digits is not None:  # NUMERIC(p, s) keeps s decimals, as a server database would
        column = pd.to_numeric(column).round(digits)
    return column.astype(object).where(column.notna(), None).tolist()


def insert_frames(con: sqlite3.Connection, frames: dict[str, pd.DataFrame], infos: list[TableInfo]) -> dict[str, int]:
    """Insert each table's frame (parents first). A row that breaks a NOT NULL, UNIQUE or CHECK
    constraint is skipped, not fatal (INSERT OR IGNORE): returns how many rows each table lost."""
    dropped = {}
    for info in infos:
        frame = frames[info.name]
        columns = [c for c in info.types if c in frame.columns]
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        rows = list(zip(*(_sql_values(frame[c], info.types[c]) for c in columns)))
        before = con.total_changes
        con.executemany(f'INSERT OR IGNORE INTO "{info.name}" ({names}) VALUES ({marks})', rows)
        dropped[info.name] = len(rows) - (con.total_changes - before)
    return dropped


def write_copy(source: Path | str, target: Path | str, frames: dict[str, pd.DataFrame]) -> dict[str, int]:
    """A new SQLite file at ``target`` with ``source``'s DDL and ``frames`` in it. Returns
    ``{"dropped": {table: rows a constraint refused}, "orphans": {table: rows whose FK finds no parent}}``."""
    src = connect_ro(source)
    try:
        ddl = [r[0] for r in src.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL "
                                         "AND name NOT LIKE 'sqlite_%' ORDER BY rowid").fetchall()]
        infos = schema(src)
    finally:
        src.close()
    Path(target).unlink(missing_ok=True)
    con = sqlite3.connect(target)
    try:
        for statement in ddl:
            con.execute(statement)
        dropped = insert_frames(con, frames, infos)
        con.commit()
        orphans = pd.Series([r[0] for r in con.execute("PRAGMA foreign_key_check").fetchall()], dtype=object)
    finally:
        con.close()
    return {"dropped": dropped, "orphans": orphans.value_counts().to_dict()}


def unique_clashes(source: Path | str, synth: Path | str) -> dict[str, int]:
    """For each single-column UNIQUE of ``source``: rows of ``synth`` repeating a value (NULLs apart).
    Counted on the copy itself, whose own DDL may have lost the constraint."""
    src = connect_ro(source)
    try:
        infos = schema(src)
    finally:
        src.close()
    con = connect_ro(synth)
    try:
        return {f"{t.name}.{c}": con.execute(f'SELECT COUNT("{c}") - COUNT(DISTINCT "{c}") FROM "{t.name}"').fetchone()[0]
                for t in infos for c in t.unique}
    finally:
        con.close()


def constraint_problems(path: Path | str) -> int:
    """Rows of a finished database whose foreign key points at no row (PRAGMA foreign_key_check)."""
    con = connect_ro(path)
    try:
        return len(con.execute("PRAGMA foreign_key_check").fetchall())
    finally:
        con.close()
