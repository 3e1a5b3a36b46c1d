"""The fixture databases build on every dialect, with their keys, constraints and planted structure.

SQLite always; PostgreSQL / MariaDB when RELSYNTH_TEST_POSTGRES_URL / RELSYNTH_TEST_MARIADB_URL
name a server (see tests/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.pool import NullPool

from fixtures import build as fb

NAMES = list(fb.FIXTURES)
FIXTURE_DIR = Path(fb.__file__).resolve().parent
ROOT = FIXTURE_DIR.parent
MAX_FILE_BYTES = 1_000_000

BACKENDS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mariadb", marks=pytest.mark.mariadb),
]


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """An engine on an empty database of each backend."""
    if request.param == "sqlite":
        eng = fb.sqlite_engine(tmp_path / "fixture.sqlite")
    elif request.param == "postgres":
        eng = sa.create_engine(request.getfixturevalue("pg_database_url"), poolclass=NullPool)
    else:
        eng = sa.create_engine(request.getfixturevalue("mariadb_database_url"), poolclass=NullPool)
    try:
        yield eng
    finally:
        eng.dispose()


# --------------------------------------------------------------------------- helpers

def _pk_key(table: sa.Table, row: dict[str, Any]) -> tuple:
    return tuple(str(row[c.name]) for c in table.primary_key.columns)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def assert_rows_equal(conn: sa.Connection, md: sa.MetaData, data: fb.Data) -> None:
    """The database holds exactly the generated rows, value for value."""
    for table in md.sorted_tables:
        got = sorted((dict(r._mapping) for r in conn.execute(sa.select(table))), key=lambda r: _pk_key(table, r))
        want = sorted(data[table.name], key=lambda r: _pk_key(table, r))
        assert len(got) == len(want), f"{table.name}: {len(got)} rows, planned {len(want)}"
        for g, w in zip(got, want):
            bad = {c: (g[c], w[c]) for c in w if not _same(g[c], w[c])}
            assert not bad, f"{table.name} row {_pk_key(table, w)}: (stored, generated) differ: {bad}"


def _fk_signature(constrained: list[str], referred_table: str, referred: list[str]) -> tuple:
    return (tuple(constrained), referred_table, tuple(referred))


def assert_schema_reflects(conn: sa.Connection, md: sa.MetaData) -> None:
    """Tables, primary keys, foreign keys, unique and named CHECK constraints exist as declared."""
    insp = sa.inspect(conn)
    assert set(insp.get_table_names()) >= set(md.tables)
    for table in md.sorted_tables:
        pk = insp.get_pk_constraint(table.name)
        assert pk["constrained_columns"] == [c.name for c in table.primary_key.columns], table.name
        got_fks = {_fk_signature(fk["constrained_columns"], fk["referred_table"], fk["referred_columns"])
                   for fk in insp.get_foreign_keys(table.name)}
        want_fks = {_fk_signature([e.parent.name for e in fk.elements], fk.referred_table.name,
                                  [e.column.name for e in fk.elements]) for fk in table.foreign_key_constraints}
        assert got_fks == want_fks, table.name
        uniques = {tuple(u["column_names"]) for u in insp.get_unique_constraints(table.name)}
        uniques |= {tuple(i["column_names"]) for i in insp.get_indexes(table.name) if i.get("unique")}
        for uq in table.constraints:
            if isinstance(uq, sa.UniqueConstraint) and not isinstance(uq, sa.PrimaryKeyConstraint):
                assert tuple(c.name for c in uq.columns) in uniques, f"{table.name}: {uq.name} not reflected"
        checks = {ck["name"] for ck in insp.get_check_constraints(table.name)}
        for ck in table.constraints:
            if isinstance(ck, sa.CheckConstraint) and isinstance(ck.sqltext, sa.TextClause):
                assert ck.name in checks, f"{table.name}: CHECK {ck.name} not reflected (have {checks})"


def assert_measures_expected(name: str, measures: dict[str, float]) -> None:
    expected = fb.FIXTURES[name].expected
    assert set(measures) == set(expected)
    off = {k: (round(v, 4), expected[k]) for k, v in measures.items()
           if not (expected[k][0] - 1e-9 <= v <= expected[k][1] + 1e-9)}
    assert not off, f"planted structure outside its expected range (value, range): {off}"


# --------------------------------------------------------------------------- per-backend builds

@pytest.mark.parametrize("name", NAMES)
def test_build(engine: sa.Engine, name: str) -> None:
    fb.build(name, engine)
    md = fb.metadata(name)
    data = fb.generate(name)
    with engine.connect() as conn:
        assert_schema_reflects(conn, md)
        for table in md.sorted_tables:
            count = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            assert count == len(data[table.name]), table.name
            planned = fb.FIXTURES[name].approx_rows[table.name]
            assert 0.8 * planned <= count <= 1.2 * planned, f"{table.name}: {count} rows, plan ~{planned}"
        assert not {k: v for k, v in fb.orphan_counts(conn, md).items() if v}, "orphaned foreign keys"
        assert not {k: v for k, v in fb.check_violations(conn, md).items() if v}, "CHECK constraints violated"
        assert_rows_equal(conn, md, data)
        assert_measures_expected(name, fb.measure(name, conn))


def test_shop_business_customers_order_twice_as_often(engine: sa.Engine) -> None:
    fb.build("shop", engine)
    md = fb.metadata("shop")
    customers, orders = md.tables["customers"], md.tables["orders"]
    per_customer = (sa.select(customers.c.segment, sa.func.count(orders.c.id).label("n"))
                    .select_from(customers.outerjoin(orders, orders.c.customer_id == customers.c.id))
                    .group_by(customers.c.id, customers.c.segment).subquery())
    query = sa.select(per_customer.c.segment, sa.func.avg(per_customer.c.n), sa.func.min(per_customer.c.n)) \
        .group_by(per_customer.c.segment)
    with engine.connect() as conn:
        stats = {str(seg): (float(avg), int(low)) for seg, avg, low in conn.execute(query)}
    assert set(stats) == {"retail", "business", "vip"}
    assert 1.6 <= stats["business"][0] / stats["retail"][0] <= 2.5
    assert stats["retail"][1] == 0, "some customers never ordered"


def test_constraints_are_enforced(engine: sa.Engine) -> None:
    """The fixtures are real constraint tests: the database rejects rows that break them."""
    fb.build("shop", engine)
    fb.build("company", engine)          # different table (and enum) names: both fit in one database
    shop, company = fb.metadata("shop"), fb.metadata("company")
    products, items = shop.tables["products"], shop.tables["order_items"]
    orders, reviews = shop.tables["orders"], shop.tables["product_reviews"]
    departments = company.tables["departments"]
    with engine.connect() as conn:
        item = dict(conn.execute(sa.select(items).limit(1)).one()._mapping)
        order = dict(conn.execute(sa.select(orders).where(orders.c.shipped_at.is_not(None)).limit(1)).one()._mapping)
        sku = conn.execute(sa.select(products.c.sku).limit(1)).scalar_one()
    bad = {
        "CHECK price > 0": products.update().where(products.c.id == 1).values(price=0),
        "CHECK quantity range": items.update().where(items.c.order_id == item["order_id"]).values(quantity=11),
        "CHECK shipped after ordered": orders.update().where(orders.c.id == order["id"])
        .values(shipped_at=order["ordered_at"] - dt.timedelta(days=400)),
        "FK product": items.update().where(items.c.order_id == item["order_id"]).values(product_id=10 ** 6),
        "FK to unique sku": reviews.update().where(reviews.c.id == 1).values(product_sku="SKU-00000"),
        "UNIQUE sku": products.update().where(products.c.sku != sku).values(sku=sku),
        "PK order item": items.insert().values(item),
        "NOT NULL email": shop.tables["customers"].update().where(shop.tables["customers"].c.id == 1).values(email=None),
        "cycle FK departments.manager_id": departments.update().where(departments.c.id == 1).values(manager_id=10 ** 6),
    }
    accepted = []
    for what, stmt in bad.items():
        try:
            with engine.begin() as conn:
                conn.execute(stmt)
        except sa.exc.DBAPIError:
            continue
        accepted.append(what)
    assert not accepted, f"{engine.dialect.name} accepted rows that break: {accepted}"


# --------------------------------------------------------------------------- no database needed

@pytest.mark.parametrize("name", NAMES)
def test_generate_is_deterministic(name: str) -> None:
    assert fb.generate(name) == fb.generate(name)


@pytest.mark.parametrize("name", NAMES)
def test_schema_compiles_for_every_dialect(name: str) -> None:
    md = fb.metadata(name)
    for dialect in (sqlite.dialect(), postgresql.dialect(), mysql.dialect()):
        for table in md.sorted_tables:
            str(sa.schema.CreateTable(table).compile(dialect=dialect))
    for table in md.sorted_tables:
        for constraint in table.constraints:
            assert constraint.name, f"{table.name}: unnamed {type(constraint).__name__}"
            assert len(str(constraint.name)) <= 63, constraint.name


def test_fixture_relations_cover_the_planned_shapes() -> None:
    """The fixtures exercise what the brief asks for: cycle, self-FKs, composite and UUID keys, etc."""
    def fks(name: str) -> list[sa.ForeignKeyConstraint]:
        return [fk for t in fb.metadata(name).sorted_tables for fk in t.foreign_key_constraints]

    everything = [fk for name in NAMES for fk in fks(name)]
    assert any(fk.use_alter for fk in fks("company")), "company: the cycle needs a use_alter FK"
    assert sum(fk.referred_table is fk.parent for fk in everything) >= 2, "self-referencing FKs"
    assert any(len(fk.elements) > 1 for fk in fks("university")), "composite FK"
    assert any(not el.column.primary_key and el.column.unique for fk in everything for el in fk.elements), \
        "FK to a unique non-PK column"
    assert any(all(el.parent.nullable for el in fk.elements) and fk.referred_table is not fk.parent
               and not fk.use_alter for fk in everything), "nullable non-self FK"
    flights = fb.metadata("flights").tables["flights"]
    assert sum(fk.referred_table.name == "airports" for fk in flights.foreign_key_constraints) == 2
    assert isinstance(fb.metadata("university").tables["students"].c.id.type, sa.Uuid)
    for name, table in (("shop", "exchange_rates"), ("flights", "audit_log")):
        t = fb.metadata(name).tables[table]
        assert not t.foreign_key_constraints
        assert not any(fk.referred_table is t for fk in fks(name))


@pytest.mark.parametrize("scale", [0.01, 0.2, 3.0])
@pytest.mark.parametrize("name", NAMES)
def test_scale(name: str, scale: float, tmp_path: Path) -> None:
    base = {t: len(rows) for t, rows in fb.generate(name).items()}
    scaled = {t: len(rows) for t, rows in fb.generate(name, scale=scale).items()}
    biggest = max(base, key=base.get)
    if scale >= 0.2:                     # tiny scales are dominated by the per-table minimums
        assert scaled[biggest] == pytest.approx(base[biggest] * scale, rel=0.25)
    assert all(n > 0 for n in scaled.values())
    path = fb.build_sqlite(name, tmp_path / f"{name}.sqlite", scale=scale)
    md = fb.metadata(name)
    engine = fb.sqlite_engine(path)
    try:
        with engine.connect() as conn:
            assert not any(fb.orphan_counts(conn, md).values())
            assert not any(fb.check_violations(conn, md).values())
            counts = {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                      for t in md.sorted_tables}
    finally:
        engine.dispose()
    assert counts == scaled


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf")])
def test_scale_must_be_positive(bad: float) -> None:
    with pytest.raises(ValueError):
        fb.generate("shop", scale=bad)


def test_unknown_fixture() -> None:
    with pytest.raises(KeyError, match="known: shop"):
        fb.metadata("nope")


@pytest.mark.parametrize("name", NAMES)
def test_committed_sqlite_file_is_current(name: str) -> None:
    """fixtures/NAME.sqlite is small and holds exactly what build.py generates (else rerun the CLI)."""
    path = FIXTURE_DIR / f"{name}.sqlite"
    assert path.is_file(), f"missing {path}: run `python -m fixtures.build {name}`"
    assert path.stat().st_size < MAX_FILE_BYTES
    engine = fb.sqlite_engine(path)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            assert_rows_equal(conn, fb.metadata(name), fb.generate(name))
    finally:
        engine.dispose()


def test_cli_writes_files(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "fixtures.build", "company", "flights", "--out", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["company.sqlite", "flights.sqlite"]
    bad = subprocess.run([sys.executable, "-m", "fixtures.build", "nope", "--out", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "unknown fixture" in bad.stderr
