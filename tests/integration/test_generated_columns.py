"""Generated columns: recreated with their expression on the source's dialect, translated for
another when they can be, else plain columns with values; never written by relsynth."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest

from relsynth import api
from tests.conftest import MARIADB_URL_ENV, POSTGRES_URL_ENV, execute, fresh_database, query

POSTGRES = [
    "CREATE TABLE item (id serial PRIMARY KEY, price numeric(8,2) NOT NULL, qty integer NOT NULL, "
    "total numeric(12,2) GENERATED ALWAYS AS (price * qty) STORED, code text NOT NULL, "
    "clean text GENERATED ALWAYS AS (btrim(code)) STORED, "
    "flag boolean GENERATED ALWAYS AS (code ~ '1') STORED)",
    "INSERT INTO item (price, qty, code) SELECT 1 + (i %% 17) * 2.5, 1 + i %% 5, ' c-' || i || ' ' "
    "FROM generate_series(1, 80) i",
]
MARIADB = [
    "CREATE TABLE item (id integer PRIMARY KEY, qty integer NOT NULL, twice integer AS (qty * 2 + 1) VIRTUAL, "
    "tag varchar(20) AS (upper(concat('x', qty))) PERSISTENT)",
    "INSERT INTO item (id, qty) VALUES " + ", ".join(f"({i}, {i % 7})" for i in range(1, 81)),
]


@pytest.mark.postgres
def test_postgres_clone_computes_the_columns_itself() -> None:
    with fresh_database(POSTGRES_URL_ENV) as source, fresh_database(POSTGRES_URL_ENV) as target:
        execute(source, *POSTGRES)
        assert api.clone(source, target, seed=1).passed
        generated = query(target, "SELECT column_name, generation_expression FROM information_schema.columns "
                                  "WHERE table_name = 'item' AND is_generated = 'ALWAYS' ORDER BY column_name")
        assert [g[0] for g in generated] == ["clean", "flag", "total"]
        rows = query(target, "SELECT price, qty, total, code, clean, flag FROM item")
        assert len(rows) > 40
        assert all(total == price * qty for price, qty, total, *_ in rows)
        assert all(clean == code.strip() and flag == ("1" in code) for *_, code, clean, flag in rows)


@pytest.mark.postgres
def test_postgres_to_sqlite_translates_or_fills_with_a_warning(tmp_path) -> None:
    path = tmp_path / "clone.db"
    with fresh_database(POSTGRES_URL_ENV) as source:
        execute(source, *POSTGRES)
        with pytest.warns(UserWarning, match=r"item\.flag: its generated expression has no sqlite form"):
            api.clone(source, f"sqlite:///{path}", seed=1)
    con = sqlite3.connect(path)
    try:
        hidden = {r[1]: r[6] for r in con.execute("PRAGMA table_xinfo(item)")}
        rows = con.execute("SELECT price, qty, total, code, clean, flag FROM item").fetchall()
    finally:
        con.close()
    # translated (2/3: a generated column), or plain with modeled values
    assert hidden["total"] in (2, 3) and hidden["clean"] in (2, 3) and hidden["flag"] == 0
    assert len(rows) > 40
    assert all(Decimal(str(total)) == Decimal(str(price)) * qty for price, qty, total, *_ in rows)
    assert all(clean == code.strip() and flag in (0, 1) for *_, code, clean, flag in rows)


@pytest.mark.mariadb
def test_mariadb_clone_keeps_virtual_and_persistent_columns() -> None:
    with fresh_database(MARIADB_URL_ENV) as source, fresh_database(MARIADB_URL_ENV) as target:
        execute(source, *MARIADB)
        assert api.clone(source, target, seed=1).passed
        extra = dict(query(target, "SELECT COLUMN_NAME, EXTRA FROM information_schema.COLUMNS "
                                   "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'item'"))
        assert "VIRTUAL" in extra["twice"].upper() and ("STORED" in extra["tag"].upper()
                                                       or "PERSISTENT" in extra["tag"].upper())
        rows = query(target, "SELECT qty, twice, tag FROM item")
        assert len(rows) > 40
        assert all(twice == qty * 2 + 1 and tag == f"X{qty}" for qty, twice, tag in rows)


@pytest.mark.mariadb
def test_mariadb_to_sqlite_translates(tmp_path) -> None:
    path = tmp_path / "clone.db"
    with fresh_database(MARIADB_URL_ENV) as source:
        execute(source, *MARIADB)
        api.clone(source, f"sqlite:///{path}", seed=1)
    con = sqlite3.connect(path)
    try:
        rows = con.execute("SELECT qty, twice, tag FROM item").fetchall()
    finally:
        con.close()
    assert len(rows) > 40
    assert all(twice == qty * 2 + 1 and tag == f"X{qty}" for qty, twice, tag in rows)


@pytest.mark.postgres
@pytest.mark.mariadb
def test_postgres_to_mariadb_translates_after_trying_it() -> None:
    with fresh_database(POSTGRES_URL_ENV) as source, fresh_database(MARIADB_URL_ENV) as target:
        execute(source, *POSTGRES)
        with pytest.warns(UserWarning, match=r"item\.flag: its generated expression has no mysql form"):
            assert api.clone(source, target, seed=1).passed
        extra = dict(query(target, "SELECT COLUMN_NAME, EXTRA FROM information_schema.COLUMNS "
                                   "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'item'"))
        assert "GENERATED" in extra["total"].upper() and "GENERATED" in extra["clean"].upper()
        assert "GENERATED" not in extra["flag"].upper()
        rows = query(target, "SELECT price, qty, total, code, clean FROM item")
        assert len(rows) > 40
        assert all(total == price * qty and clean == code.strip() for price, qty, total, code, clean in rows)
