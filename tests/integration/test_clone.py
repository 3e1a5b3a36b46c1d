"""relsynth clone on every fixture and every dialect, checked with queries in the target."""

from __future__ import annotations

import sqlite3
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

import relsynth
from fixtures import build as fb
from relsynth.errors import RelsynthError, TargetError
from tests.schema_dumps import mysql_schema, postgres_schema
from tests.conftest import MARIADB_URL_ENV, POSTGRES_URL_ENV, fresh_database

FIXTURE_DIR = Path(__file__).resolve().parents[2] / "fixtures"
NAMES = ["shop", "company", "university", "flights"]

# Columns that identify a person or a record: no real value may reach a clone.
IDENTIFYING = {
    "shop": {"customers": ["email", "phone", "street_address"], "orders": ["note"], "products": ["sku", "name"]},
    "company": {"employees": ["email"]},
    "university": {"students": ["full_name", "email"]},
    "flights": {"audit_log": ["message"]},
    "legacy": {"accounts": ["email"]},
}

PROSE = {("orders", "note"), ("products", "name"), ("audit_log", "message")}   # text walked along its word chain


def sqlite_source(name: str) -> str:
    return str(FIXTURE_DIR / f"{name}.sqlite")


@contextmanager
def engine_for(url: str):
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def read(url: str, table: str) -> pd.DataFrame:
    with engine_for(url) as engine, engine.connect() as conn:
        md = sa.MetaData()
        t = sa.Table(table, md, autoload_with=conn)
        return pd.DataFrame(conn.execute(sa.select(t)).fetchall(), columns=[c.name for c in t.columns])


def assert_clone_holds(source_url: str, target_url: str, name: str, *, asked: dict[str, int] | None = None) -> None:
    """Integrity and privacy, asked of the target database itself; every table holds the rows
    asked of it (``asked``: the clone's counts at another scale, else the source's), 2% at most
    short."""
    with engine_for(source_url) as src, engine_for(target_url) as dst, src.connect() as sconn, dst.connect() as tconn:
        smd, tmd = sa.MetaData(), sa.MetaData()
        smd.reflect(sconn)
        tmd.reflect(tconn)
        assert set(tmd.tables) == set(smd.tables)
        assert all(n == 0 for n in fb.orphan_counts(tconn, tmd).values()), fb.orphan_counts(tconn, tmd)
        assert all(n == 0 for n in fb.check_violations(tconn, tmd).values())
        for table in tmd.tables.values():
            real_rows = sconn.execute(sa.select(sa.func.count()).select_from(smd.tables[table.name])).scalar_one()
            rows = tconn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            want = (asked or {}).get(table.name, real_rows)
            assert 0.98 * want <= rows <= want, (table.name, rows, want)
            for col in table.columns:
                if not col.nullable:
                    nulls = tconn.execute(sa.select(sa.func.count()).where(col.is_(None))).scalar_one()
                    assert nulls == 0, f"{table.name}.{col.name}"
            unique_sets = [tuple(c.name for c in table.primary_key.columns)]
            unique_sets += [tuple(c.name for c in u.columns) for u in table.constraints
                            if isinstance(u, sa.UniqueConstraint)]
            unique_sets += [tuple(c.name for c in i.columns) for i in table.indexes if i.unique]
            for cols in filter(None, unique_sets):
                q = sa.select(*[table.c[c] for c in cols]).where(
                    sa.and_(*[table.c[c].is_not(None) for c in cols])
                ).group_by(*[table.c[c] for c in cols]).having(sa.func.count() > 1)
                assert tconn.execute(q).first() is None, f"duplicate {table.name}{cols}"
        for table, columns in IDENTIFYING[name].items():
            for col in columns:
                counts = Counter(str(v) for v in sconn.execute(sa.select(smd.tables[table].c[col])).scalars()
                                 if v is not None)
                fake = {str(v) for v in tconn.execute(sa.select(tmd.tables[table].c[col])).scalars() if v is not None}
                assert fake, f"{table}.{col} is empty"
                # prose may repeat a note 5+ rows share ('Gift wrap, please.'), never a rarer one
                real = {v for v, n in counts.items() if n < 5} if (table, col) in PROSE else set(counts)
                assert not real & fake, f"real values of {table}.{col} leaked: {sorted(real & fake)[:3]}"


@pytest.mark.parametrize("name", NAMES)
def test_clone_sqlite(name, tmp_path):
    target = tmp_path / "clone.sqlite"
    result = relsynth.clone(sqlite_source(name), str(target), seed=1)
    assert result.passed
    assert_clone_holds(f"sqlite:///{sqlite_source(name)}", f"sqlite:///{target}", name)


SERVERS = [pytest.param(POSTGRES_URL_ENV, marks=pytest.mark.postgres, id="postgres"),
           pytest.param(MARIADB_URL_ENV, marks=pytest.mark.mariadb, id="mariadb")]


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("name", NAMES)
def test_clone_on_a_server(name, server):
    with fresh_database(server) as source, fresh_database(server) as target:
        with engine_for(source) as engine:
            fb.build(name, engine)
        assert relsynth.clone(source, target, seed=2).passed
        assert_clone_holds(source, target, name)
        # the schema is the source's, object for object
        dump = postgres_schema if server == POSTGRES_URL_ENV else mysql_schema
        assert dump(target) == dump(source)
        if name == "company":  # the application can insert after the clone: identities moved on
            with engine_for(target) as engine, engine.begin() as conn:
                top = conn.execute(sa.text("SELECT MAX(id) FROM departments")).scalar_one()
                conn.execute(sa.text("INSERT INTO departments (name, budget) VALUES ('New', 1000)"))
                assert conn.execute(sa.text("SELECT id FROM departments WHERE name = 'New'")).scalar_one() > top


@pytest.mark.postgres
def test_a_postgres_source_clones_into_sqlite(tmp_path):
    with fresh_database(POSTGRES_URL_ENV) as source:
        with engine_for(source) as engine:
            fb.build("shop", engine)
        target = tmp_path / "from_pg.sqlite"
        assert relsynth.clone(source, str(target), seed=4).passed
        assert_clone_holds(source, f"sqlite:///{target}", "shop")


@pytest.mark.parametrize("scale", [0.1, 3.0])
def test_scale_shrinks_and_grows_keeping_children_per_parent(scale, tmp_path):
    target = tmp_path / "scaled.sqlite"
    result = relsynth.clone(sqlite_source("shop"), str(target), scale=scale, seed=5)
    assert result.expected["customers"] == round(300 * scale)
    assert_clone_holds(f"sqlite:///{sqlite_source('shop')}", f"sqlite:///{target}", "shop", asked=result.expected)
    real = read(f"sqlite:///{sqlite_source('shop')}", "orders").groupby("customer_id").size()
    fake = read(f"sqlite:///{target}", "orders").groupby("customer_id").size()
    assert len(read(f"sqlite:///{target}", "customers")) == round(300 * scale)
    assert abs(fake.mean() - real.mean()) < 0.35 * real.mean()


def test_nullable_foreign_keys_keep_their_share_of_nulls(tmp_path):
    target = tmp_path / "nulls.sqlite"
    relsynth.clone(sqlite_source("shop"), str(target), seed=9)
    for table, column in (("orders", "coupon_id"), ("product_reviews", "customer_id"), ("categories", "parent_id")):
        real = read(f"sqlite:///{sqlite_source('shop')}", table)[column].isna().mean()
        fake = read(f"sqlite:///{target}", table)[column].isna().mean()
        assert abs(fake - real) < 0.08, (table, column, real, fake)


def test_a_foreign_key_declared_only_in_the_config_is_kept(tmp_path):
    import sqlite3

    source = tmp_path / "undeclared.sqlite"
    con = sqlite3.connect(source)
    con.executescript("""
        CREATE TABLE users (id INTEGER PRIMARY KEY, plan VARCHAR(10) NOT NULL);
        CREATE TABLE logins (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, seconds REAL NOT NULL);
    """)
    con.executemany("INSERT INTO users VALUES (?, ?)", [(i, "pro" if i % 4 == 0 else "free") for i in range(1, 51)])
    # pro users log in three times as often: the relation carries structure worth keeping
    rows = [(u,) for u in range(1, 51) for _ in range(6 if u % 4 == 0 else 2)]
    con.executemany("INSERT INTO logins (user_id, seconds) VALUES (?, 30.5)", rows)
    con.commit()
    con.close()
    config = tmp_path / "fk.yaml"
    config.write_text("tables:\n  logins:\n    foreign_keys:\n"
                      "      - {columns: [user_id], parent: users, parent_columns: [id]}\n")
    target = tmp_path / "out.sqlite"
    relsynth.clone(str(source), str(target), config=str(config), seed=4)
    users, logins = read(f"sqlite:///{target}", "users"), read(f"sqlite:///{target}", "logins")
    assert set(logins["user_id"]) <= set(users["id"])
    per_user = logins.groupby("user_id").size().reindex(users["id"], fill_value=0)
    plans = users.set_index("id")["plan"]
    assert per_user[plans == "pro"].mean() > 2 * per_user[plans == "free"].mean()


def test_the_same_seed_gives_the_same_database_and_another_seed_another(tmp_path):
    urls = []
    for i, seed in enumerate([11, 11, 12]):
        target = tmp_path / f"seeded{i}.sqlite"
        relsynth.clone(sqlite_source("company"), str(target), seed=seed)
        urls.append(f"sqlite:///{target}")
    for table in ("departments", "employees"):
        a, b, c = (read(u, table) for u in urls)
        pd.testing.assert_frame_equal(a, b)
        assert not a.equals(c)


@pytest.mark.parametrize("name, tables", [
    ("university", ("students", "enrollments", "course_tag_links")),
    ("shop", ("categories", "products", "product_reviews", "orders", "invoices")),  # with children means
])
def test_train_then_generate_equals_clone(tmp_path, monkeypatch, name, tables):
    # the salt lets generate derive the key of the digests again, so it runs clone's checks
    monkeypatch.setenv("RELSYNTH_SALT", "a-salt-long-enough-for-the-check-0123456789")
    relsynth.clone(sqlite_source(name), str(tmp_path / "clone.sqlite"), seed=8)
    from relsynth import api

    api.train(sqlite_source(name), seed=8).save(tmp_path / "model")
    synth = relsynth.Synthesizer.load(tmp_path / "model")
    api.generate(synth, str(tmp_path / "generated.sqlite"), seed=8)
    for table in tables:
        pd.testing.assert_frame_equal(read(f"sqlite:///{tmp_path / 'clone.sqlite'}", table),
                                      read(f"sqlite:///{tmp_path / 'generated.sqlite'}", table))


def test_the_source_is_never_written_and_never_a_target(tmp_path):
    source = tmp_path / "source.sqlite"
    source.write_bytes((FIXTURE_DIR / "company.sqlite").read_bytes())
    before = source.read_bytes()
    with pytest.raises(TargetError, match="is the source"):
        relsynth.clone(str(source), f"sqlite:///{source}")
    relsynth.clone(str(source), str(tmp_path / "out.sqlite"))
    assert source.read_bytes() == before


def test_a_non_empty_target_is_refused_unless_replaced(tmp_path):
    target = tmp_path / "busy.sqlite"
    relsynth.clone(sqlite_source("company"), str(target), seed=1)
    first = read(f"sqlite:///{target}", "employees")
    with pytest.raises(TargetError):
        relsynth.clone(sqlite_source("company"), str(target), seed=2)
    pd.testing.assert_frame_equal(read(f"sqlite:///{target}", "employees"), first)
    relsynth.clone(sqlite_source("company"), str(target), seed=2, replace=True)
    assert not read(f"sqlite:///{target}", "employees").equals(first)


def test_bad_input_is_one_clear_error():
    with pytest.raises(RelsynthError, match="not a file"):
        relsynth.clone("no/such/file.sqlite", "sqlite:///x.sqlite")


@pytest.mark.postgres
def test_one_named_postgres_schema_is_cloned(tmp_path):
    with fresh_database(POSTGRES_URL_ENV) as source:
        run = lambda conn, sql: conn.execute(sa.text(sql))  # noqa: E731 (text() escapes the % signs)
        with engine_for(source) as engine, engine.begin() as conn:
            run(conn, "CREATE SCHEMA sales")
            run(conn, "CREATE TABLE public.unrelated (id int PRIMARY KEY)")
            run(conn, "CREATE TYPE sales.tier AS ENUM ('gold', 'silver')")
            run(conn, "CREATE TABLE sales.accounts (id serial PRIMARY KEY, tier sales.tier NOT NULL, "
                                 "balance numeric(10,2) NOT NULL CHECK (balance >= 0))")
            run(conn, "CREATE TABLE sales.payments (id bigserial PRIMARY KEY, "
                                 "account_id int NOT NULL REFERENCES sales.accounts(id), amount float8 NOT NULL)")
            run(conn, "INSERT INTO sales.accounts (tier, balance) SELECT "
                                 "(CASE WHEN i % 3 = 0 THEN 'gold' ELSE 'silver' END)::sales.tier, i * 1.5 "
                                 "FROM generate_series(1, 60) i")
            run(conn, "INSERT INTO sales.payments (account_id, amount) SELECT 1 + i % 60, i * 0.25 "
                                 "FROM generate_series(1, 300) i")
        target = tmp_path / "sales.sqlite"
        assert relsynth.clone(source, str(target), schema="sales", seed=1).passed
        with engine_for(f"sqlite:///{target}") as engine:
            assert set(sa.inspect(engine).get_table_names()) == {"accounts", "payments"}
        tiers = set(read(f"sqlite:///{target}", "accounts")["tier"])
        assert tiers <= {"gold", "silver"} and len(read(f"sqlite:///{target}", "accounts")) == 60


@pytest.mark.parametrize("server", SERVERS)
def test_a_hand_written_sqlite_database_clones_onto_a_server(server, tmp_path):
    """SQLite reports `id INTEGER PRIMARY KEY` as nullable and stores dates as text."""
    import sqlite3

    source = tmp_path / "legacy.sqlite"
    con = sqlite3.connect(source)
    con.executescript("""
        CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT UNIQUE, opened DATE, kind VARCHAR(8));
        CREATE TABLE entries (id INTEGER PRIMARY KEY, account INTEGER NOT NULL REFERENCES accounts(id),
                              at TIMESTAMP, amount NUMERIC(8, 2) CHECK (amount <> 0));
    """)
    con.executemany("INSERT INTO accounts VALUES (?, ?, ?, ?)",
                    [(i, f"user{i}@corp.example", f"2024-01-{1 + i % 28:02d}", "ab"[i % 2]) for i in range(1, 41)])
    con.executemany("INSERT INTO entries VALUES (?, ?, ?, ?)",
                    [(i, 1 + i % 40, f"2024-02-01 10:{i % 60:02d}:00", (i % 7 + 1) * 2.5) for i in range(1, 201)])
    con.commit()
    con.close()
    with fresh_database(server) as target:
        assert relsynth.clone(str(source), target, seed=3).passed
        assert len(read(target, "accounts")) == 40
        assert_clone_holds(f"sqlite:///{source}", target, "legacy")


@pytest.mark.postgres
@pytest.mark.mariadb
@pytest.mark.parametrize("source_server, target_server", [(POSTGRES_URL_ENV, MARIADB_URL_ENV),
                                                          (MARIADB_URL_ENV, POSTGRES_URL_ENV)])
def test_across_servers(source_server, target_server):
    with fresh_database(source_server) as source, fresh_database(target_server) as target:
        with engine_for(source) as engine:
            fb.build("shop", engine)
        assert relsynth.clone(source, target, seed=6).passed
        assert_clone_holds(source, target, "shop")


@pytest.mark.parametrize("server", SERVERS)
def test_names_with_percent_and_colon_reach_a_server(server, tmp_path):
    """% and : mean something to drivers and to SQLAlchemy's text(): names must survive both."""
    import sqlite3

    source = tmp_path / "odd.sqlite"
    con = sqlite3.connect(source)
    con.executescript("""
        CREATE TABLE "50% off" ("id:x" INTEGER PRIMARY KEY, "rate %" REAL NOT NULL);
        CREATE TABLE "a:b" (id INTEGER PRIMARY KEY, "p%" INTEGER NOT NULL REFERENCES "50% off"("id:x"), v REAL);
    """)
    con.executemany('INSERT INTO "50% off" VALUES (?, ?)', [(i, i / 3) for i in range(1, 21)])
    con.executemany('INSERT INTO "a:b" VALUES (?, ?, ?)', [(i, 1 + i % 20, i * 0.1) for i in range(1, 61)])
    con.commit()
    con.close()
    with fresh_database(server) as target:
        result = relsynth.clone(str(source), target, seed=1)
        assert result.passed and result.rows == {"50% off": 20, "a:b": 60}
        with engine_for(target) as engine, engine.begin() as conn:
            table = sa.Table("50% off", sa.MetaData(), autoload_with=conn)
            conn.execute(table.insert().values({"rate %": 1.0}))  # the identity moved past the keys
            assert conn.execute(sa.select(sa.func.max(table.c["id:x"]))).scalar_one() == 21


def test_an_inline_unique_after_a_sized_type_is_kept(tmp_path):
    # SQLAlchemy's SQLite reflection misses `VARCHAR(80) NOT NULL UNIQUE`; SQLite's own index list has it
    source = tmp_path / "people.sqlite"
    con = sqlite3.connect(source)
    con.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, email VARCHAR(80) NOT NULL UNIQUE, "
                "code VARCHAR(8) UNIQUE, age INTEGER)")
    con.executemany("INSERT INTO people VALUES (?, ?, ?, ?)",
                    [(i, f"person{i % 997}x{i // 997}@example.com", f"C{i:05d}", 20 + i % 50) for i in range(3000)])
    con.commit()
    con.close()
    target = tmp_path / "copy.sqlite"
    relsynth.clone(str(source), str(target), seed=3, scale=2)
    con = sqlite3.connect(target)
    emails = [row[0] for row in con.execute("SELECT email FROM people")]
    ddl = con.execute("SELECT sql FROM sqlite_master WHERE name = 'people'").fetchone()[0]
    con.close()
    assert len(emails) == 6000 and len(set(emails)) == 6000
    assert ddl.upper().count("UNIQUE") == 2
