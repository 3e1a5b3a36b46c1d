"""Bulk loading into created tables: the fastest ordinary path of each driver.

PostgreSQL: ``COPY ... FROM STDIN WITH (FORMAT csv)``. SQLite and MySQL: ``executemany``
(pymysql folds it into multi-row INSERTs). Frames go in chunks so memory stays bounded and
progress can be shown. Deferred foreign keys are set afterwards by primary key, in bulk.
"""

from __future__ import annotations

import io
import warnings
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Callable, Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa

from relsynth.errors import OversizedValue, TargetError
from relsynth.relational import checks
from relsynth.schema.model import Table
from relsynth.write.values import Target, nul_characters, special_values, to_python, to_text, without_nul

CHUNK_ROWS = 100_000
Progress = Callable[[str, int], None]

# generics whose text can hold a quote, comma or newline, or be empty: always quoted in CSV
_PLAIN_CSV = frozenset({"integer", "smallint", "bigint", "float", "decimal", "boolean", "datetime", "date",
                        "time", "interval", "uuid", "binary"})


def load_table(conn: sa.Connection, table: sa.Table, spec: Table, frame: pd.DataFrame, *,
               null_columns: Sequence[str] = (), progress: Progress | None = None) -> int:
    """Insert every row of ``frame`` into ``table``; ``null_columns`` go in as NULL for now."""
    columns = [c for c in spec.column_names if table.c[c].computed is None]   # the target computes the others
    missing = [c for c in columns if c not in frame.columns and c not in null_columns]
    if missing:
        raise ValueError(f"frame for {spec.name} lacks columns {missing}")
    frame = computed_values(frame, spec, table)
    targets = {c.name: Target(c.type, table.c[c.name], conn.dialect) for c in spec.columns if c.name in columns}
    nulls = set(null_columns)
    frame = held_by_target(frame, spec, targets, dialect=conn.dialect.name)
    if conn.dialect.name != "sqlite":      # SQLite keeps any length; a SQLite source may hold longer values
        check_sizes(frame, spec, columns)
    write = _copy if conn.dialect.name == "postgresql" else _executemany
    total = len(frame)
    done = 0
    for start in range(0, total, CHUNK_ROWS):
        part = frame.iloc[start:start + CHUNK_ROWS]
        write(conn, table, columns, [None if c in nulls else (part[c], targets[c]) for c in columns], len(part))
        done += len(part)
        if progress is not None:
            progress(spec.name, done)
    if total == 0 and progress is not None:
        progress(spec.name, 0)
    return done


def computed_values(frame: pd.DataFrame, spec: Table, table: sa.Table) -> pd.DataFrame:
    """Generated columns the target holds as plain ones, computed from each row by SQLite when
    they were not modeled (see :mod:`relsynth.schema.generated`)."""
    filled = {}
    for col in spec.columns:
        expression = table.c[col.name].info.get("relsynth_fill")
        if col.generated is None or table.c[col.name].computed is not None or expression is None:
            continue
        if col.name in frame.columns and frame[col.name].notna().any():
            continue      # modeled values
        values = checks.evaluate(frame[[c for c in frame.columns if c != col.name]], expression)
        if values is None:
            raise TargetError(f"{spec.name}.{col.name}: its generated expression could not be computed for a "
                              f"plain column", hint="write to a target of the source's dialect")
        filled[col.name] = values
    return frame.assign(**filled) if filled else frame


def check_sizes(frame: pd.DataFrame, spec: Table, columns: Sequence[str]) -> None:
    """OversizedValue naming ``table.column`` when a value is longer than its ``VARCHAR(n)`` or has
    more integer digits than its ``NUMERIC(p, s)`` allows; never the target's error mid-write."""
    for name in columns:
        column = spec.column(name)
        series = frame.get(name)
        kind, length = column.type.get("generic"), column.type.get("length")
        if series is None or column.type.get("array") or not series.notna().any():
            continue
        place = f"{spec.name}.{name}"
        if kind in ("string", "text") and length:
            values = series[series.notna()]
            lengths = values.map(lambda v: len(v) if isinstance(v, str) else 0)
            if (lengths > length).any():
                longest = values[lengths.idxmax()]
                raise OversizedValue(f"{place}: {int((lengths > length).sum())} generated values are longer than "
                                     f"its {length} characters (e.g. {str(longest)[:40]!r}..., {len(longest)} long)")
        elif kind == "decimal" and column.type.get("precision"):
            precision, scale = int(column.type["precision"]), int(column.type.get("scale") or 0)
            numbers = pd.to_numeric(series, errors="coerce").astype("float64").abs()
            near = series[(np.isfinite(numbers) & (numbers >= 0.5 * 10.0 ** (precision - scale))).to_numpy()]
            with localcontext(prec=max(precision + scale, 28) + 10):   # NUMERIC(38, 10) needs more than 28 digits
                limit, step = Decimal(10) ** (precision - scale), Decimal(1).scaleb(-scale)
                wide = [v for v in near if abs(_decimal(v).quantize(step, rounding=ROUND_HALF_UP)) >= limit]
            if wide:     # exactly: a float would take 99...9.9999 for 10^28
                raise OversizedValue(f"{place}: {len(wide)} generated values do not fit NUMERIC({precision}, "
                                     f"{scale}) (e.g. {str(wide[0])[:40]})")


def _decimal(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


_SPELLED = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def held_by_target(frame: pd.DataFrame, spec: Table, targets: dict[str, Target], *, dialect: str) -> pd.DataFrame:
    """The rows as the target can hold them, checked before any row of the table is sent.

    NaN / Infinity in a column whose target type cannot hold them: NULL with a warning when the
    column is nullable, else a TargetError naming the column. NUL characters in text going to
    PostgreSQL (which cannot store them): replaced by U+FFFD, with a warning."""
    changed: dict[str, pd.Series] = {}
    for column in spec.columns:
        target, series = targets.get(column.name), frame.get(column.name)
        if target is None or series is None or (target.generic not in ("float", "decimal") and not target.text):
            continue
        unheld = {k: v for k, v in special_values(series).items() if k not in target.specials} \
            if target.generic in ("float", "decimal") else {}
        if unheld:
            rows = np.logical_or.reduce(list(unheld.values()))
            what = "/".join(_SPELLED[k] for k in unheld)
            place = f"{spec.name}.{column.name}"
            if not column.nullable:
                raise TargetError(f"{place} holds {int(rows.sum())} {what} values, which a {dialect} "
                                  f"{target.generic} column cannot hold, and it is NOT NULL",
                                  hint="write to a PostgreSQL target (its float and numeric columns hold them), "
                                       f"or make {column.name} nullable in the config so they are written as NULL")
            warnings.warn(f"{place}: {int(rows.sum())} {what} values written as NULL ({dialect} "
                          f"{target.generic} columns cannot hold them)", stacklevel=3)
            changed[column.name] = series.mask(rows) if series.dtype != object else series.where(~rows, None)
        elif target.text and dialect == "postgresql":
            rows = nul_characters(series)
            if rows.any():
                warnings.warn(f"{spec.name}.{column.name}: NUL characters in {int(rows.sum())} values replaced "
                              f"by U+FFFD (PostgreSQL text cannot hold NUL)", stacklevel=3)
                changed[column.name] = without_nul(series, rows)
    return frame.assign(**changed) if changed else frame


def _copy(conn: sa.Connection, table: sa.Table, columns: list[str],
          data: list[tuple[pd.Series, Target] | None], n: int) -> None:
    q = conn.dialect.identifier_preparer
    fields = []
    for item in data:
        if item is None:
            fields.append([""] * n)                 # an unquoted empty field is NULL
            continue
        series, target = item
        text = pd.Series(to_text(series, target), dtype=object)
        if target.generic not in _PLAIN_CSV or target.array:
            # quoted, so an empty string stays an empty string and NULL stays unquoted
            text = '"' + text.str.replace('"', '""', regex=False) + '"'
        fields.append(text.fillna("").tolist())
    buffer = io.StringIO("\n".join(map(",".join, zip(*fields))) + "\n")
    sql = (f"COPY {_unformatted(q.format_table(table))} ({', '.join(_unformatted(q.quote(c)) for c in columns)}) "
           f"FROM STDIN WITH (FORMAT csv)")
    with conn.connection.dbapi_connection.cursor() as cursor:
        cursor.copy_expert(sql, buffer)


def _executemany(conn: sa.Connection, table: sa.Table, columns: list[str],
                 data: list[tuple[pd.Series, Target] | None], n: int) -> None:
    q = conn.dialect.identifier_preparer
    arrays = [np.full(n, None, dtype=object) if item is None else to_python(*item) for item in data]
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    # quote() already doubles % where the driver formats the statement (pymysql), as it must
    names = ", ".join(q.quote(c) for c in columns)
    sql = f"INSERT INTO {q.format_table(table)} ({names}) VALUES ({', '.join([marker] * len(columns))})"
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.executemany(sql, list(zip(*[a.tolist() for a in arrays])))
    finally:
        cursor.close()


def _unformatted(quoted: str) -> str:
    """A quoted identifier for SQL the driver does not %-format (COPY, parameter values):
    SQLAlchemy doubles every % for drivers with the pyformat style, so undo exactly that."""
    return quoted.replace("%%", "%")


# --------------------------------------------------------------------------- deferred foreign keys


def update_columns(conn: sa.Connection, table: sa.Table, spec: Table, frame: pd.DataFrame,
                   columns: Sequence[str], *, progress: Progress | None = None) -> int:
    """Set ``columns`` (inserted as NULL) to their frame values, matching rows by key."""
    key = update_key(spec)
    columns = [c for c in dict.fromkeys(columns) if c not in key]
    if not columns or frame.empty:
        return 0
    has_value = frame[columns].notna().any(axis=1).to_numpy()
    rows = frame.loc[has_value, list(key) + columns]
    if rows.empty:
        return 0
    if conn.dialect.name == "sqlite":
        _update_sqlite(conn, table, spec, rows, key, columns)
    else:
        _update_through_temp(conn, table, spec, rows, key, columns)
    return len(rows)


def update_key(spec: Table) -> tuple[str, ...]:
    """The primary key, or else a unique key without nullable columns."""
    if spec.primary_key:
        return spec.primary_key
    for u in spec.unique:
        if all(not spec.column(c).nullable for c in u.columns):
            return u.columns
    raise TargetError(f"table {spec.name} has a foreign key that must be set after loading, but no primary "
                      f"key to find its rows by", hint="declare a primary key for it in the config file")


def _update_through_temp(conn: sa.Connection, table: sa.Table, spec: Table, rows: pd.DataFrame,
                         key: tuple[str, ...], columns: list[str]) -> None:
    """Bulk-load (key, new values) into a temporary table, then one joined UPDATE."""
    q = conn.dialect.identifier_preparer
    mysql = conn.dialect.name in ("mysql", "mariadb")
    tmp_name = f"relsynth_deferred_{spec.name}"[:60]
    tmp = q.quote(tmp_name)
    target = q.format_table(table)
    names = list(key) + columns
    selected = ", ".join(q.quote(c) for c in names)
    if mysql:  # CREATE TEMPORARY does not commit; the key makes the join below an index lookup
        conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {tmp} (PRIMARY KEY ({', '.join(q.quote(c) for c in key)})) "
                             f"SELECT {selected} FROM {target} LIMIT 0")
    else:
        conn.exec_driver_sql(f"CREATE TEMP TABLE {tmp} AS SELECT {selected} FROM {target} WITH NO DATA")
    tmp_table = sa.Table(tmp_name, sa.MetaData(), *[sa.Column(c, table.c[c].type) for c in names])
    load = _executemany if mysql else _copy
    for start in range(0, len(rows), CHUNK_ROWS):
        part = rows.iloc[start:start + CHUNK_ROWS]
        data = [(part[c], Target(spec.column(c).type, table.c[c], conn.dialect)) for c in names]
        load(conn, tmp_table, names, data, len(part))
    match = " AND ".join(f"t.{q.quote(c)} = s.{q.quote(c)}" for c in key)
    if mysql:
        sets = ", ".join([f"t.{q.quote(c)} = s.{q.quote(c)}" for c in columns]
                         # an ON UPDATE CURRENT_TIMESTAMP column keeps its value when set to it
                         + [f"t.{q.quote(c.name)} = t.{q.quote(c.name)}" for c in table.columns
                            if c.server_onupdate is not None and c.name not in columns])
        conn.exec_driver_sql(f"UPDATE {target} AS t JOIN {tmp} AS s ON {match} SET {sets}")
        conn.exec_driver_sql(f"DROP TEMPORARY TABLE {tmp}")
    else:
        sets = ", ".join(f"{q.quote(c)} = s.{q.quote(c)}" for c in columns)
        conn.exec_driver_sql(f"UPDATE {target} AS t SET {sets} FROM {tmp} AS s WHERE {match}")
        conn.exec_driver_sql(f"DROP TABLE {tmp}")


def _update_sqlite(conn: sa.Connection, table: sa.Table, spec: Table, rows: pd.DataFrame,
                   key: tuple[str, ...], columns: list[str]) -> None:
    # in-process: executemany costs no round trips, and the key's index finds each row
    q = conn.dialect.identifier_preparer
    sets = ", ".join(f"{q.quote(c)} = ?" for c in columns)
    match = " AND ".join(f"{q.quote(c)} = ?" for c in key)
    sql = f"UPDATE {q.format_table(table)} SET {sets} WHERE {match}"
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        for start in range(0, len(rows), CHUNK_ROWS):
            part = rows.iloc[start:start + CHUNK_ROWS]
            arrays = [to_python(part[c], Target(spec.column(c).type, table.c[c], conn.dialect))
                      for c in columns + list(key)]
            cursor.executemany(sql, list(zip(*[a.tolist() for a in arrays])))
    finally:
        cursor.close()


# --------------------------------------------------------------------------- identities


def advance_identities(conn: sa.Connection, md: sa.MetaData) -> None:
    """Move each identity / AUTO_INCREMENT counter past the keys we inserted."""
    q = conn.dialect.identifier_preparer
    dialect = conn.dialect.name
    for table in md.tables.values():
        for col in table.columns:
            if col.autoincrement is not True:
                continue
            name, column = q.format_table(table), q.quote(col.name)
            # driver-level SQL: a ':' in a name is not a bind parameter there, as it is in sa.text
            if dialect == "postgresql":
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence(%(t)s, %(c)s), COALESCE(MAX({column}), 0) + 1, false) "
                    f"FROM {name}", {"t": _unformatted(name), "c": col.name})
            elif dialect in ("mysql", "mariadb"):
                top = conn.exec_driver_sql(f"SELECT COALESCE(MAX({column}), 0) FROM {name}").scalar()
                conn.exec_driver_sql(f"ALTER TABLE {name} AUTO_INCREMENT = {int(top) + 1}")
            elif dialect == "sqlite":
                # only AUTOINCREMENT tables keep a counter; a rowid alias takes MAX + 1 by itself
                has_seq = conn.exec_driver_sql(
                    "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").first()
                if has_seq:
                    conn.exec_driver_sql(f"UPDATE sqlite_sequence SET seq = (SELECT MAX({column}) FROM {name}) "
                                         f"WHERE name = ?", (table.name,))
