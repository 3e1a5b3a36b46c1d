"""Writing synthetic frames into a target database, all-or-nothing, and verifying it there.

SQLite always; PostgreSQL / MariaDB when RELSYNTH_TEST_POSTGRES_URL / RELSYNTH_TEST_MARIADB_URL
name a server (fixtures in tests/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import re
import traceback
import uuid
import warnings
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.pool import NullPool

from relsynth.errors import ConnectionFailed, TargetError, UnsafeExpression
from relsynth.schema.model import CheckConstraint, Column, ForeignKey, Schema, Table, UniqueConstraint
from relsynth.schema.sqltypes import build, describe
from relsynth.write import Check, verify_database, write_database
from relsynth.schema.expressions import parse_expression
from relsynth.write.ddl import target_metadata, translate_check

DIALECTS = {"sqlite": sqlite.pysqlite.dialect(), "postgresql": postgresql.psycopg2.dialect(),
            "mysql": mysql.pymysql.dialect()}
BACKENDS = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.postgres),
    pytest.param("mysql", marks=pytest.mark.mariadb),
]
ORDER = ["parent", "child", "cycle a", "group"]


# --------------------------------------------------------------------------- the test schema


def app_schema(dialect: str, *, declared_parent_fk: bool = True) -> Schema:
    """Composite keys, a deferred self-reference, a two-table cycle, an enum, a checked
    decimal, a unique string, awkward identifiers and a UUID, typed as ``dialect`` reflects."""
    d = DIALECTS[dialect]
    stamp = mysql.DATETIME(fsp=6) if dialect == "mysql" else sa.DateTime()

    def col(name: str, type_: sa.types.TypeEngine, **kw: Any) -> Column:
        return Column(name, describe(type_, d), **kw)

    q = "`" if dialect == "mysql" else '"'
    check = {"postgresql": '"unit price" > (0)::numeric'}.get(dialect, f"{q}unit price{q} > 0")
    parent = Table("parent", (col("region", sa.String(10), nullable=False), col("id", sa.Integer(), nullable=False),
                              col("name", sa.String(40), nullable=False), col("order", sa.Integer())),
                   primary_key=("region", "id"), unique=(UniqueConstraint(("name",), "parent_name_key"),))
    child = Table("child", (
        col("id", sa.Integer(), nullable=False, autoincrement=True), col("region", sa.String(10)),
        col("parent_id", sa.Integer()), col("unit price", sa.Numeric(10, 2), nullable=False),
        col("status", sa.Enum("new", "paid", "sent", name="status")), col("token", sa.Uuid()),
        col("manager_id", sa.Integer()), col("created", stamp), col("note", sa.Text())),
        primary_key=("id",),
        foreign_keys=(ForeignKey(("region", "parent_id"), "parent", ("region", "id"), nullable=True,
                                 name="child_parent_fk", declared=declared_parent_fk),
                      ForeignKey(("manager_id",), "child", ("id",), nullable=True, name="child_manager_fk")),
        checks=(CheckConstraint(check, "child_price_positive"),))
    # a two-table cycle, named to need quoting: a space, a reserved word
    a = Table("cycle a", (col("id", sa.Integer(), nullable=False), col("b_id", sa.Integer())), primary_key=("id",),
              foreign_keys=(ForeignKey(("b_id",), "group", ("id",), nullable=True),))
    b = Table("group", (col("id", sa.Integer(), nullable=False), col("a_id", sa.Integer(), nullable=False)),
              primary_key=("id",), foreign_keys=(ForeignKey(("a_id",), "cycle a", ("id",)),))
    return Schema(dialect, (parent, child, a, b))


def deferred(schema: Schema) -> list[tuple[str, ForeignKey]]:
    return [("child", schema["child"].foreign_keys[1]), ("cycle a", schema["cycle a"].foreign_keys[0])]


TOKENS = [uuid.UUID(int=i * 7919 + 1) for i in range(6)]


def app_frames() -> dict[str, pd.DataFrame]:
    parent = pd.DataFrame({"region": ["n", "n", "s", "s", "e"], "id": [1, 2, 1, 2, 1], "name": list("abcde"),
                           "order": pd.array([1, None, 3, 4, 5], dtype="Int64")})
    child = pd.DataFrame({
        "id": np.arange(1, 7),
        "region": ["n", "s", None, "e", "n", "s"],
        "parent_id": [1.0, 2.0, np.nan, 1.0, 2.0, 1.0],              # float because of the NULL
        "unit price": [decimal.Decimal("1.50"), 2.25, decimal.Decimal("3"), 4.1, 5.0, 0.01],
        "status": ["new", "paid", None, "sent", "new", "new"],
        "token": [str(TOKENS[0]), TOKENS[1], None, str(TOKENS[3]), TOKENS[4], TOKENS[5]],
        "manager_id": [None, 1, 1, 2, 6, None],                       # row 5 points forward: deferred
        "created": pd.to_datetime(["2020-01-01 10:00:00.123456", None, "2021-05-05", "1999-12-31 23:59:59",
                                   "2020-02-29", "2022-01-01"], format="ISO8601"),
        "note": ["", None, 'he said "hi", ok\nnew line', "x", "y", "z"],   # '' is not NULL
    })
    a = pd.DataFrame({"id": [1, 2, 3], "b_id": [2, 1, None]})
    b = pd.DataFrame({"id": [1, 2], "a_id": [1, 3]})
    return {"parent": parent, "child": child, "cycle a": a, "group": b}


# --------------------------------------------------------------------------- targets


@pytest.fixture(params=BACKENDS)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(dialect, URL) of an empty target database."""
    if request.param == "sqlite":
        yield "sqlite", f"sqlite:///{tmp_path / 'synthetic.db'}"
    elif request.param == "postgresql":
        yield "postgresql", request.getfixturevalue("pg_database_url")
    else:
        yield "mysql", request.getfixturevalue("mariadb_database_url")


def query(url: str, sql: str, params: dict[str, Any] | None = None) -> list[sa.Row]:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            result = conn.execute(sa.text(sql), params or {})
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    if url.startswith("sqlite") and not os.path.exists(sa.make_url(url).database):
        return set()
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def read(url: str, table: str, order_by: str = "id") -> pd.DataFrame:
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            q = engine.dialect.identifier_preparer.quote
            return pd.read_sql_query(sa.text(f"SELECT * FROM {q(table)} ORDER BY {q(order_by)}"), conn)
    finally:
        engine.dispose()


def as_uuid(v: Any) -> uuid.UUID | None:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else uuid.UUID(str(v))


def none_if_na(values: pd.Series) -> list[Any]:
    return [None if pd.isna(v) else v for v in values]


def write(schema: Schema, frames: dict[str, pd.DataFrame], url: str, **kw: Any) -> dict[str, int]:
    kw.setdefault("order", ORDER)
    kw.setdefault("deferred", deferred(schema))
    return write_database(schema, frames, url, **kw)


# --------------------------------------------------------------------------- round trip


def test_round_trip_keys_and_verify(target: tuple[str, str]) -> None:
    dialect, url = target
    schema = app_schema(dialect)
    seen: list[tuple[str, int]] = []
    counts = write(schema, app_frames(), url, progress=lambda t, n: seen.append((t, n)))
    assert counts == {"parent": 5, "child": 6, "cycle a": 3, "group": 2}
    assert ("child", 6) in seen and ("group", 2) in seen

    child = read(url, "child")
    assert child["id"].tolist() == [1, 2, 3, 4, 5, 6]
    assert none_if_na(child["manager_id"]) == [None, 1, 1, 2, 6, None]          # deferred, filled
    assert [float(v) for v in child["unit price"]] == [1.5, 2.25, 3.0, 4.1, 5.0, 0.01]
    assert none_if_na(child["status"]) == ["new", "paid", None, "sent", "new", "new"]
    assert [as_uuid(v) for v in child["token"]] == [TOKENS[0], TOKENS[1], None, TOKENS[3], TOKENS[4], TOKENS[5]]
    assert none_if_na(child["note"]) == ["", None, 'he said "hi", ok\nnew line', "x", "y", "z"]
    created = pd.to_datetime(child["created"], format="ISO8601")
    assert created.iloc[0] == pd.Timestamp("2020-01-01 10:00:00.123456") and pd.isna(created.iloc[1])
    assert created.iloc[3] == pd.Timestamp("1999-12-31 23:59:59")
    parent = read(url, "parent", "name")
    assert none_if_na(parent["order"]) == [1, None, 3, 4, 5]
    assert none_if_na(read(url, "cycle a")["b_id"]) == [2, 1, None]                   # the cycle, closed

    checks = verify_database(schema, url)
    assert all(isinstance(c, Check) for c in checks)
    assert [c for c in checks if not c.passed] == []
    assert {c.name for c in checks if c.table == "child"} >= {
        "rows", "primary key (id)", "not null unit price", "foreign key (manager_id) -> child(id)",
        "foreign key (region, parent_id) -> parent(region, id)"}
    assert Check("parent", "rows", True, "5 rows") in checks


def test_identity_continues_after_the_generated_keys(target: tuple[str, str]) -> None:
    dialect, url = target
    write(app_schema(dialect), app_frames(), url)
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            child = sa.table("child", sa.column("unit price"))
            conn.execute(sa.insert(child).values({"unit price": 9.99}))
            assert conn.execute(sa.text("SELECT MAX(id) FROM child")).scalar() == 7
    finally:
        engine.dispose()


def test_the_target_enforces_its_check(target: tuple[str, str]) -> None:
    dialect, url = target
    frames = app_frames()
    frames["child"].loc[2, "unit price"] = decimal.Decimal("0")
    with pytest.raises(TargetError, match="child"):
        write(app_schema(dialect), frames, url)
    assert table_names(url) == set()


def test_a_check_naming_an_unknown_column_is_refused_before_the_target(target: tuple[str, str]) -> None:
    dialect, url = target
    schema = app_schema(dialect)
    child = schema["child"]
    schema = schema.replace_table(Table(child.name, child.columns, child.primary_key, child.foreign_keys,
                                        checks=(CheckConstraint("no_such_column > 0", "broken"),)))
    with pytest.raises(UnsafeExpression, match="child: check 'no_such_column > 0' is refused"):
        write(schema, app_frames(), url)
    assert table_names(url) == set()


@pytest.mark.parametrize("target", ["sqlite", pytest.param("mysql", marks=pytest.mark.mariadb)], indirect=True)
def test_a_translated_check_the_target_rejects_is_dropped_with_a_warning(target: tuple[str, str]) -> None:
    dialect, url = target
    schema = pg_typed_schema()
    events = schema["events"]
    # valid PostgreSQL the target refuses: COALESCE of one argument (SQLite), a clock in a check (MariaDB)
    check = {"sqlite": "COALESCE(code) <> ''::text", "mysql": "day <= CURRENT_DATE"}[dialect]
    schema = schema.replace_table(Table(events.name, events.columns, events.primary_key, events.foreign_keys,
                                        events.unique, checks=(CheckConstraint(check, "events_code_trimmed"),)))
    with pytest.warns(UserWarning, match="events_code_trimmed.* not accepted"):
        write_database(schema, pg_typed_frames(), url, order=["events"])
    assert query(url, "SELECT COUNT(*) FROM events")[0][0] == 3


# --------------------------------------------------------------------------- all-or-nothing


@pytest.mark.parametrize("bad", ["orphan", "deferred orphan", "interrupt"])
def test_a_failed_write_leaves_nothing(target: tuple[str, str], bad: str) -> None:
    dialect, url = target
    frames = app_frames()
    progress = None
    if bad == "orphan":
        frames["child"].loc[1, "parent_id"] = 99.0                   # no parent ('s', 99)
    elif bad == "deferred orphan":
        frames["child"].loc[4, "manager_id"] = 999                   # refused only at the UPDATE
    else:
        def progress(table: str, rows: int) -> None:
            if table == "cycle a":
                raise KeyboardInterrupt
    expected = KeyboardInterrupt if bad == "interrupt" else TargetError
    with pytest.raises(expected):
        write(app_schema(dialect), frames, url, progress=progress)
    assert table_names(url) == set()
    if dialect == "sqlite":
        folder = Path(sa.make_url(url).database).parent
        assert list(folder.iterdir()) == []                           # no temp file left either


def test_a_failed_replace_keeps_the_old_database(target: tuple[str, str]) -> None:
    dialect, url = target
    schema = app_schema(dialect)
    write(schema, app_frames(), url)
    frames = app_frames()
    frames["child"].loc[1, "parent_id"] = 99.0
    with pytest.raises(TargetError):
        write(schema, frames, url, replace=True)
    assert table_names(url) == set(ORDER)              # MariaDB: no staging table left either
    assert query(url, "SELECT COUNT(*) FROM child")[0][0] == 6
    assert all(c.passed for c in verify_database(schema, url))


def test_verify_reports_an_orphan_the_target_does_not_enforce(target: tuple[str, str]) -> None:
    dialect, url = target
    schema = app_schema(dialect, declared_parent_fk=False)   # config-only relation: no constraint created
    frames = app_frames()
    frames["child"].loc[1, "parent_id"] = 99.0
    write(schema, frames, url)
    failed = [c for c in verify_database(schema, url) if not c.passed]
    assert [(c.table, c.name, c.detail) for c in failed] == [
        ("child", "foreign key (region, parent_id) -> parent(region, id)", "1 orphan rows")]


# --------------------------------------------------------------------------- non-empty targets


def test_non_empty_target_is_refused_unless_replace(target: tuple[str, str]) -> None:
    dialect, url = target
    schema = app_schema(dialect)
    write(schema, app_frames(), url)
    with pytest.raises(TargetError, match="already has tables: .*child"):
        write(schema, app_frames(), url)
    frames = app_frames()
    frames["child"] = frames["child"].iloc[:3]
    counts = write(schema, frames, url, replace=True)
    assert counts["child"] == 3
    assert query(url, "SELECT COUNT(*) FROM child")[0][0] == 3
    assert all(c.passed for c in verify_database(schema, url))


def test_sqlite_refuses_a_file_with_any_table(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    query(f"sqlite:///{path}", "CREATE TABLE unrelated (x INTEGER)")
    with pytest.raises(TargetError, match="unrelated"):
        write(app_schema("sqlite"), app_frames(), f"sqlite:///{path}")
    write(app_schema("sqlite"), app_frames(), f"sqlite:///{path}", replace=True)
    assert table_names(f"sqlite:///{path}") == set(ORDER) | {"unrelated"}    # replace drops the schema's only


def test_sqlite_target_must_be_a_file_in_an_existing_folder(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="in-memory"):
        write(app_schema("sqlite"), app_frames(), "sqlite:///:memory:")
    with pytest.raises(TargetError, match="mkdir"):
        write(app_schema("sqlite"), app_frames(), f"sqlite:///{tmp_path / 'missing' / 'x.db'}")


# --------------------------------------------------------------------------- MariaDB: staging tables, one RENAME


def replacement_frames() -> dict[str, pd.DataFrame]:
    """Rows that differ from ``app_frames``: fewer children, other keys and names."""
    frames = app_frames()
    child = frames["child"].iloc[:4].copy()
    child["id"] = child["id"] + 10
    child["manager_id"] = child["manager_id"].astype(float) + 10          # [None, 11, 11, 12]
    child["note"] = ["new"] * 4
    frames["child"] = child.reset_index(drop=True)
    frames["parent"]["name"] = list("VWXYZ")
    return frames


def staged_tables(url: str) -> set[str]:
    return {t for t in table_names(url) if re.match(r"_rs[0-9a-f]{6}_", t)}


def foreign_keys(url: str) -> list[tuple[str, str, str]]:
    """(table, constraint, referenced table) of every foreign key of the database."""
    return [tuple(r) for r in query(url, "SELECT TABLE_NAME, CONSTRAINT_NAME, REFERENCED_TABLE_NAME "
                                         "FROM information_schema.REFERENTIAL_CONSTRAINTS "
                                         "WHERE CONSTRAINT_SCHEMA = DATABASE()")]


APP_REFERENCES = {("child", "parent"), ("child", "child"), ("cycle a", "group"), ("group", "cycle a")}


def assert_the_app_tables_hold(url: str, frames: dict[str, pd.DataFrame], *, others: set[str] = frozenset()) -> None:
    """Exactly the schema's tables (and ``others``), holding ``frames``, their keys enforced."""
    schema = app_schema("mysql")
    assert table_names(url) == set(ORDER) | others
    child = read(url, "child")
    assert child["id"].tolist() == frames["child"]["id"].tolist()
    assert none_if_na(child["manager_id"]) == none_if_na(frames["child"]["manager_id"])
    assert none_if_na(child["note"]) == none_if_na(frames["child"]["note"])
    assert sorted(read(url, "parent", "name")["name"]) == sorted(frames["parent"]["name"])
    refs = [(t, ref) for t, _, ref in foreign_keys(url) if t in ORDER]
    assert sorted(refs) == sorted(APP_REFERENCES)                           # between the real tables
    assert all(c.passed for c in verify_database(schema, url))
    with pytest.raises(sa.exc.IntegrityError):                              # an orphan is refused
        query(url, "INSERT INTO child (id, region, parent_id, `unit price`) VALUES (90, 'n', 99, 1)")
    with pytest.raises(sa.exc.DBAPIError, match="child_price_positive"):    # the check came along
        query(url, "INSERT INTO child (id, `unit price`) VALUES (91, 0)")
    create = query(url, "SHOW CREATE TABLE child")[0][1]
    assert "enum('new','paid','sent')" in create                            # and the enum
    assert f"AUTO_INCREMENT={max(frames['child']['id']) + 1}" in create      # and the counter


@pytest.mark.mariadb
@pytest.mark.parametrize("bad", ["check", "orphan", "deferred orphan", "interrupt"])
def test_a_failed_mariadb_replace_keeps_the_old_tables(mariadb_database_url: str, bad: str) -> None:
    url = mariadb_database_url
    schema = app_schema("mysql")
    write(schema, app_frames(), url)
    frames = replacement_frames()
    progress = None
    if bad == "check":
        frames["child"].loc[2, "unit price"] = decimal.Decimal("0")
    elif bad == "orphan":
        frames["child"].loc[1, "parent_id"] = 99.0
    elif bad == "deferred orphan":
        frames["child"].loc[3, "manager_id"] = 999.0                        # refused only at the UPDATE
    else:
        def progress(table: str, rows: int) -> None:
            if table == ORDER[-1]:                                          # the last table is loaded
                raise KeyboardInterrupt
    expected = KeyboardInterrupt if bad == "interrupt" else TargetError
    with pytest.raises(expected) as info:
        write(schema, frames, url, replace=True, progress=progress)
    if expected is TargetError:
        assert "child" in str(info.value) and "_rs" not in str(info.value)   # the tables by their names
    assert staged_tables(url) == set()
    assert_the_app_tables_hold(url, app_frames())


@pytest.mark.mariadb
def test_a_mariadb_replace_swaps_in_the_new_tables(mariadb_database_url: str) -> None:
    url = mariadb_database_url
    schema = app_schema("mysql")
    write(schema, app_frames(), url)
    assert_the_app_tables_hold(url, app_frames())
    names = {c for _, c, _ in foreign_keys(url)}
    assert {"child_parent_fk", "child_manager_fk"} <= names                 # an empty database: source names
    query(url, "DELETE FROM child WHERE id >= 7")                            # rows of the checks above
    for _ in range(3):        # the old tables hold the constraint names: the new ones alternate
        frames = replacement_frames()
        counts = write(schema, frames, url, replace=True)
        assert counts == {"parent": 5, "child": 4, "cycle a": 3, "group": 2}
        assert_the_app_tables_hold(url, frames)
        query(url, "DELETE FROM child WHERE id >= 15")
    query(url, "INSERT INTO child (`unit price`) VALUES (9.99)")
    assert query(url, "SELECT MAX(id) FROM child")[0][0] == 15               # AUTO_INCREMENT past the keys


@pytest.mark.mariadb
def test_a_refused_swap_leaves_the_target_as_it_was(mariadb_database_url: str) -> None:
    url = mariadb_database_url

    def progress(table: str, rows: int) -> None:
        if table == ORDER[-1]:           # another session takes a table name before the RENAME
            query(url, "CREATE TABLE `cycle a` (x INT)")

    with pytest.raises(TargetError, match="in place: .*cycle a.* already exists"):
        write(app_schema("mysql"), app_frames(), url, progress=progress)
    assert table_names(url) == {"cycle a"}


@pytest.mark.mariadb
def test_a_refused_replacing_swap_is_undone_whole(mariadb_database_url: str) -> None:
    url = mariadb_database_url
    schema = app_schema("mysql")
    write(schema, app_frames(), url)

    def progress(table: str, rows: int) -> None:
        if table == ORDER[-1]:           # another session drops the last table the RENAME moves
            engine = sa.create_engine(url, poolclass=NullPool)
            try:
                with engine.begin() as conn:
                    conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")
                    conn.exec_driver_sql("DROP TABLE `group`")
            finally:
                engine.dispose()

    with pytest.raises(TargetError, match="in place: .*group"):
        write(schema, replacement_frames(), url, replace=True, progress=progress)
    # the tables renamed before the failing one are back under their names, with their rows
    assert table_names(url) == set(ORDER) - {"group"}
    assert read(url, "child")["id"].tolist() == app_frames()["child"]["id"].tolist()
    assert sorted(read(url, "parent", "name")["name"]) == list("abcde")


@pytest.mark.mariadb
def test_stale_staging_tables_are_ignored_then_dropped_by_a_replace(mariadb_database_url: str) -> None:
    url = mariadb_database_url
    schema = app_schema("mysql")
    # left by a killed run; the stale foreign key holds the name the new child's wants
    query(url, "CREATE TABLE `_rs0badc0_parent` (id INT PRIMARY KEY)")
    query(url, "CREATE TABLE `_rs0badc0_child` (id INT PRIMARY KEY, p INT, "
               "CONSTRAINT child_parent_fk FOREIGN KEY (p) REFERENCES `_rs0badc0_parent` (id))")
    with pytest.warns(UserWarning, match=r"interrupted relsynth run \(_rs0badc0_child, _rs0badc0_parent\); ignored"):
        write(schema, app_frames(), url)                                    # the target counts as empty
    assert staged_tables(url) == {"_rs0badc0_child", "_rs0badc0_parent"}
    assert_the_app_tables_hold(url, app_frames(), others={"_rs0badc0_child", "_rs0badc0_parent"})
    with pytest.warns(UserWarning, match="dropping 2 tables left by an interrupted relsynth run"):
        write(schema, replacement_frames(), url, replace=True)
    assert_the_app_tables_hold(url, replacement_frames())


@pytest.mark.mariadb
def test_replacing_tables_that_other_tables_reference_is_refused(mariadb_database_url: str) -> None:
    url = mariadb_database_url
    schema = app_schema("mysql")
    write(schema, app_frames(), url)
    query(url, "CREATE TABLE audit (id INT PRIMARY KEY, child_id INT, "
               "CONSTRAINT audit_child FOREIGN KEY (child_id) REFERENCES child (id))")
    with pytest.raises(TargetError, match=r"outside the schema point at them: audit \(audit_child -> child\)"):
        write(schema, replacement_frames(), url, replace=True)
    assert staged_tables(url) == set()
    assert_the_app_tables_hold(url, app_frames(), others={"audit"})


@pytest.mark.mariadb
def test_long_table_names_with_unnamed_foreign_keys(mariadb_database_url: str) -> None:
    url = mariadb_database_url
    M = DIALECTS["mysql"]
    parent_name, child_name = "p" * 60, "c" * 64          # the staging names must be cut
    integer = describe(sa.Integer(), M)
    parent = Table(parent_name, (Column("id", integer, nullable=False),), primary_key=("id",))
    child = Table(child_name, (Column("id", integer, nullable=False), Column("pid", integer)), primary_key=("id",),
                  foreign_keys=(ForeignKey(("pid",), parent_name, ("id",), nullable=True),))
    schema = Schema("mysql", (parent, child))
    frames = {parent_name: pd.DataFrame({"id": [1, 2]}), child_name: pd.DataFrame({"id": [1, 2, 3], "pid": [1, 2, None]})}
    for replace in (False, True, True):
        write_database(schema, frames, url, order=[parent_name, child_name], replace=replace)
        assert table_names(url) == {parent_name, child_name}
        assert [(t, ref) for t, _, ref in foreign_keys(url)] == [(child_name, parent_name)]
    assert all(c.passed for c in verify_database(schema, url))
    with pytest.raises(sa.exc.IntegrityError):
        query(url, f"INSERT INTO {child_name} (id, pid) VALUES (4, 9)")


@pytest.mark.mariadb
def test_a_clone_into_mariadb_leaves_no_staging_tables(mariadb_database_url: str) -> None:
    import relsynth

    url = mariadb_database_url
    source = Path(__file__).resolve().parents[2] / "fixtures" / "company.sqlite"
    expected = table_names(f"sqlite:///{source}")
    assert relsynth.clone(str(source), url, seed=1).passed
    assert table_names(url) == expected
    assert relsynth.clone(str(source), url, seed=2, replace=True).passed
    assert table_names(url) == expected


# --------------------------------------------------------------------------- across dialects


def pg_typed_schema() -> Schema:
    P = DIALECTS["postgresql"]

    def col(name: str, type_: sa.types.TypeEngine, **kw: Any) -> Column:
        return Column(name, describe(type_, P), **kw)

    events = Table("events", (
        col("id", sa.Integer(), nullable=False, autoincrement=True), col("payload", postgresql.JSONB()),
        col("ip", postgresql.INET()), col("mood", postgresql.ENUM("sad", "ok", "happy", name="mood")),
        col("at", postgresql.TIMESTAMP(timezone=True)), col("token", postgresql.UUID(), nullable=False),
        col("tags", postgresql.ARRAY(sa.Text())), col("price", postgresql.MONEY()), col("took", postgresql.INTERVAL()),
        col("blob", postgresql.BYTEA()), col("amount", sa.Numeric(10, 2)), col("code", sa.String()),
        col("flag", sa.Boolean()), col("day", sa.Date()), col("clock", sa.Time()), col("x", postgresql.DOUBLE_PRECISION())),
        primary_key=("id",), unique=(UniqueConstraint(("code",), "events_code_key"), UniqueConstraint(("token",))),
        checks=(
            CheckConstraint("amount > (0)::numeric", "events_amount_check"),
            CheckConstraint("(code)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying, "
                            "'c'::character varying])::text[])", "events_code_check"),
            CheckConstraint("code ~ '^[a-z]+$'::text", "events_code_regex"),          # no translation
        ))
    return Schema("postgresql", (events,))


def pg_typed_frames() -> dict[str, pd.DataFrame]:
    return {"events": pd.DataFrame({
        "id": [1, 2, 3],
        "payload": [{"a": [1, 2]}, None, '{"b": true}'],
        "ip": ["10.0.0.1", "::1", None],
        "mood": ["sad", None, "happy"],
        "at": pd.to_datetime(["2020-01-01T10:00:00+02:00", "2020-06-01T00:00:00Z", None], utc=True),
        "token": [TOKENS[0], str(TOKENS[1]), TOKENS[2]],
        "tags": [["x", "y,z"], [], None],
        "price": [decimal.Decimal("12.34"), None, 5.5],
        "took": pd.to_timedelta(["1 day 02:03:04", None, "0s"]),
        "blob": [b"\x00\x01", None, b"abc"],
        "amount": [1.25, 2.5, None],
        "code": ["a", "b", "c"],
        "flag": pd.array([True, None, False], dtype="boolean"),
        "day": [dt.date(2020, 1, 2), None, dt.date(1999, 12, 31)],
        "clock": [dt.time(10, 20, 30), None, dt.time(0, 0)],
        "x": [1e300, -0.1, None],
    })}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres),
                        pytest.param("mysql", marks=pytest.mark.mariadb)])
def pg_typed_target(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    if request.param == "sqlite":
        return "sqlite", f"sqlite:///{tmp_path / 'pg.db'}"
    if request.param == "postgresql":
        return "postgresql", request.getfixturevalue("pg_database_url")
    return "mysql", request.getfixturevalue("mariadb_database_url")


def test_a_postgres_schema_writes_anywhere(pg_typed_target: tuple[str, str]) -> None:
    dialect, url = pg_typed_target
    schema = pg_typed_schema()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        write_database(schema, pg_typed_frames(), url, order=["events"])
    dropped = [str(w.message) for w in caught if "events_code_regex" in str(w.message)]
    assert bool(dropped) == (dialect != "postgresql")
    assert all(c.passed for c in verify_database(schema, url))

    rows = read(url, "events")
    assert [as_uuid(v) for v in rows["token"]] == TOKENS[:3]
    assert none_if_na(rows["ip"]) == ["10.0.0.1", "::1", None]
    assert none_if_na(rows["mood"]) == ["sad", None, "happy"]
    at = pd.to_datetime(rows["at"], format="ISO8601", utc=True)
    assert at.iloc[0] == pd.Timestamp("2020-01-01T08:00:00Z") and pd.isna(at.iloc[2])
    payload = rows["payload"].iloc[0]
    assert (payload if isinstance(payload, dict) else json.loads(payload)) == {"a": [1, 2]}
    assert [float(v) if v is not None and not pd.isna(v) else None for v in rows["amount"]] == [1.25, 2.5, None]
    assert bytes(rows["blob"].iloc[0]) == b"\x00\x01"
    assert rows["x"].iloc[0] == 1e300

    # the translated checks hold on the target: a code outside ('a', 'b', 'c') is refused
    bad = pg_typed_frames()
    bad["events"]["code"] = ["a", "b", "zz"]
    with pytest.raises(TargetError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_database(schema, bad, url, order=["events"], replace=True)


@pytest.mark.parametrize("source", ["sqlite", "mysql", "postgresql"])
def test_other_dialects_schemas_write_to_sqlite(source: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    schema = app_schema(source)
    write(schema, app_frames(), url)
    assert all(c.passed for c in verify_database(schema, url))
    assert none_if_na(read(url, "child")["manager_id"]) == [None, 1, 1, 2, 6, None]


@pytest.mark.postgres
@pytest.mark.parametrize("source", ["sqlite", "mysql"])
def test_other_dialects_schemas_write_to_postgres(source: str, pg_database_url: str) -> None:
    schema = app_schema(source)
    write(schema, app_frames(), pg_database_url)
    assert all(c.passed for c in verify_database(schema, pg_database_url))
    assert [as_uuid(v) for v in read(pg_database_url, "child")["token"]][:2] == TOKENS[:2]


@pytest.mark.mariadb
@pytest.mark.parametrize("source", ["sqlite", "postgresql"])
def test_other_dialects_schemas_write_to_mariadb(source: str, mariadb_database_url: str) -> None:
    schema = app_schema(source)
    write(schema, app_frames(), mariadb_database_url)
    assert all(c.passed for c in verify_database(schema, mariadb_database_url))
    with pytest.raises(TargetError):                   # the translated CHECK is enforced
        frames = app_frames()
        frames["child"].loc[0, "unit price"] = -1.0
        write(schema, frames, mariadb_database_url, replace=True)


# --------------------------------------------------------------------------- connections


@pytest.mark.parametrize("url", [
    "postgresql+psycopg2://relsynth:Sup3rS3cretPw@127.0.0.1:1/nowhere",
    "mysql+pymysql://relsynth:Sup3rS3cretPw@127.0.0.1:1/nowhere",
])
def test_connection_failures_never_show_the_password(url: str) -> None:
    with pytest.raises(ConnectionFailed) as info:
        write(app_schema("sqlite"), app_frames(), url)
    shown = str(info.value) + "".join(traceback.format_exception(info.value))
    assert "Sup3rS3cretPw" not in shown
    assert "***" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(ConnectionFailed) as info:
        verify_database(app_schema("sqlite"), url)
    assert "Sup3rS3cretPw" not in str(info.value)


def server(env: str) -> sa.URL:
    if not os.environ.get(env):
        pytest.skip(f"{env} is not set")
    return sa.make_url(os.environ[env])


@pytest.mark.postgres
def test_missing_postgres_database_says_create_it() -> None:
    url = server("RELSYNTH_TEST_POSTGRES_URL").set(database="relsynth_w_does_not_exist")
    with pytest.raises(TargetError, match="CREATE DATABASE relsynth_w_does_not_exist"):
        write(app_schema("postgresql"), app_frames(), url)


@pytest.mark.mariadb
def test_missing_mariadb_database_says_create_it() -> None:
    url = server("RELSYNTH_TEST_MARIADB_URL").set(database="relsynth_w_does_not_exist")
    with pytest.raises(TargetError, match="CREATE DATABASE relsynth_w_does_not_exist"):
        write(app_schema("mysql"), app_frames(), url)


# --------------------------------------------------------------------------- type specs and DDL


def test_describe_maps_dialect_types() -> None:
    P, M = DIALECTS["postgresql"], DIALECTS["mysql"]
    assert describe(postgresql.INET(), P) == {"generic": "string", "native": "INET", "dialect": "postgresql",
                                             "length": 43, "special": "inet"}
    assert describe(postgresql.MONEY(), P)["generic"] == "decimal"
    assert describe(postgresql.JSONB(), P)["native"] == "JSONB"
    assert describe(postgresql.ARRAY(sa.Integer()), P)["generic"] == "json"
    assert describe(postgresql.TIMESTAMP(timezone=True), P)["timezone"] is True
    assert describe(sa.Numeric(10, 2), P) == {"generic": "decimal", "native": "NUMERIC(10, 2)",
                                              "dialect": "postgresql", "precision": 10, "scale": 2}
    enum = describe(postgresql.ENUM("a", "b", name="mood"), P)
    assert (enum["generic"], enum["values"], enum["enum_name"]) == ("enum", ["a", "b"], "mood")
    assert describe(mysql.TINYINT(display_width=1), M)["generic"] == "boolean"
    assert describe(mysql.YEAR(), M)["generic"] == "smallint"
    assert describe(mysql.SET("x", "y"), M)["generic"] == "string"
    assert describe(mysql.MEDIUMTEXT(), M)["generic"] == "text"
    assert describe(mysql.INTEGER(unsigned=True), M) == {"generic": "integer", "native": "INTEGER UNSIGNED",
                                                        "dialect": "mysql", "unsigned": True}
    with pytest.warns(UserWarning, match="unknown column type"):
        assert describe(sa.types.NullType(), P)["generic"] == "other"


def test_build_every_generic_on_every_dialect() -> None:
    specs = [describe(t, DIALECTS["postgresql"]) for t in (
        sa.Integer(), sa.SmallInteger(), sa.BigInteger(), sa.Float(), sa.Numeric(), sa.Boolean(), sa.String(),
        sa.Text(), sa.DateTime(timezone=True), sa.Date(), sa.Time(), sa.Interval(), sa.Uuid(), postgresql.JSONB(),
        postgresql.BYTEA(), postgresql.ENUM("a", name="e"), postgresql.INET(), postgresql.ARRAY(sa.Integer()))]
    tsvector = describe(postgresql.TSVECTOR(), DIALECTS["postgresql"])   # known: text written as a tsvector
    assert (tsvector["generic"], tsvector["tsvector"]) == ("text", True)
    specs.append(tsvector)
    hstore = describe(postgresql.HSTORE(), DIALECTS["postgresql"])   # known: key => value text
    assert hstore["special"] == "hstore"
    specs.append(hstore)
    with pytest.warns(UserWarning, match="unknown column type"):
        specs.append(describe(sa.types.NullType(), DIALECTS["postgresql"]))
    for name, dialect in DIALECTS.items():
        for spec in specs:
            for key in (False, True):
                assert build(spec, dialect, key=key, name="t_c").compile(dialect=dialect)
    same = build(describe(sa.Numeric(10, 2), DIALECTS["postgresql"]), DIALECTS["postgresql"])
    assert same.compile(dialect=DIALECTS["postgresql"]) == "NUMERIC(10, 2)"
    assert build(describe(sa.Text(), DIALECTS["postgresql"]), DIALECTS["mysql"], key=True) \
        .compile(dialect=DIALECTS["mysql"]) == "VARCHAR(255)"
    assert build(describe(sa.Numeric(), DIALECTS["postgresql"]), DIALECTS["mysql"]) \
        .compile(dialect=DIALECTS["mysql"]) == "NUMERIC(65, 30)"


def test_cycle_foreign_keys_are_created_after_the_tables() -> None:
    md = target_metadata(app_schema("postgresql"), DIALECTS["mysql"])
    alter = {(fk.parent.table.name, fk.column.table.name) for t in md.tables.values()
             for fk in t.foreign_keys if fk.constraint.use_alter}
    assert alter == {("group", "cycle a"), ("cycle a", "group")}
    assert md.tables["child"].c["id"].autoincrement is True
    assert md.tables["parent"].c["id"].autoincrement is False


def test_translate_check() -> None:
    S, M = DIALECTS["sqlite"], DIALECTS["mysql"]
    columns = ("price", "code", "unit price", "order", "name")

    def translated(text: str, dialect: sa.engine.Dialect, source: str = "postgresql") -> str | None:
        return translate_check(parse_expression(text, dialect=source, table="t", columns=columns, kind="check"),
                               dialect)

    assert translated("(price > (0)::numeric)", S) == "(price > (0))"
    assert translated("(code)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])",
                      M) == "(code) IN ('a', 'b')"
    assert translated("(code)::text <> ALL ((ARRAY['a'::character varying])::text[])", S) == "NOT (code) IN ('a')"
    assert translated('"unit price" > 0 AND "order" <> \'it\'\'s "x"\'', M) == \
        "`unit price` > 0 AND `order` <> 'it''s \"x\"'"
    assert translated("`unit price` > 0", S, "mysql") == '"unit price" > 0'
    assert translated("name ~ '^a'::text", S) is None
    assert translated("name ~~ 'a%'::text", S) == "name LIKE 'a%'"
