"""`relsynth rehearse`: an Alembic project's migrations run on a synthetic clone, revision by
revision, with what each one did measured; the source is never written, the scratch database
is dropped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from relsynth import api
from relsynth import rehearse as rehearse_module
from tests.conftest import MARIADB_URL_ENV, POSTGRES_URL_ENV, execute, fresh_database, query

ENV_WITH_CONNECTION = '''
from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config


def run(connection):
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    engine = engine_from_config(config.get_section(config.config_ini_section), prefix="sqlalchemy.",
                                poolclass=pool.NullPool)
    with engine.connect() as connection:
        run(connection)
else:
    run(connection)
'''

# Alembic's own template: it makes its engine from sqlalchemy.url and ignores attributes
ENV_PLAIN = '''
from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
engine = engine_from_config(config.get_section(config.config_ini_section), prefix="sqlalchemy.",
                            poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
'''


def revision_file(revision: str, down: str | None, message: str, body: str) -> str:
    """An Alembic revision file: its docstring (the message), its ids, then ``body``."""
    return (f'"""{message}\n\nRevision ID: {revision}\nRevises: {down or ""}\n"""\n'
            "import sqlalchemy as sa\nfrom alembic import op\n\n"
            f"revision = {revision!r}\ndown_revision = {down!r}\n" + body)


REVISION_1 = revision_file("a1c0ffee0001", None, "customers and orders", '''
STATUS = sa.Enum("new", "paid", "shipped", name="order_status")


def upgrade():
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(120), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.UniqueConstraint("email", name="uq_customers_email"),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="CASCADE",
                                                           name="fk_orders_customer"), nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("total", sa.Numeric(10, 2), nullable=False),
        sa.CheckConstraint("total >= 0", name="ck_orders_total"),
    )
    op.create_index("ix_orders_status", "orders", ["status"])
    op.execute("CREATE VIEW paid_orders AS SELECT id, total FROM orders WHERE status = 'paid'")


def downgrade():
    op.execute("DROP VIEW paid_orders")
    op.drop_index("ix_orders_status", table_name="orders")
    op.drop_table("orders")
    op.drop_table("customers")
    STATUS.drop(op.get_bind(), checkfirst=True)
''')

REVISION_2 = revision_file("b2c0ffee0002", "a1c0ffee0001", "regions and warehouses", '''

def upgrade():
    op.add_column("customers", sa.Column("region", sa.String(10), nullable=True))
    op.execute("UPDATE customers SET region = 'EU'")
    op.alter_column("customers", "region", existing_type=sa.String(10), nullable=False)
    op.create_table("warehouses", sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                    sa.Column("name", sa.String(40), nullable=False))
    op.execute("INSERT INTO warehouses (id, name) VALUES (1, 'main')")
    op.add_column("orders", sa.Column("warehouse_id", sa.Integer, nullable=True))
    op.execute("UPDATE orders SET warehouse_id = 1")
    op.alter_column("orders", "warehouse_id", existing_type=sa.Integer, nullable=False)
    op.create_foreign_key("fk_orders_warehouse", "orders", "warehouses", ["warehouse_id"], ["id"])
    op.alter_column("orders", "quantity", existing_type=sa.Integer, type_=sa.BigInteger, existing_nullable=False)
    op.drop_index("ix_orders_status", table_name="orders")
    op.create_index("ix_orders_status", "orders", ["status", "total"])
    op.execute("DROP VIEW paid_orders")
    op.execute("CREATE VIEW paid_orders AS SELECT id, total, warehouse_id FROM orders WHERE status = 'paid'")


def downgrade():
    op.execute("DROP VIEW paid_orders")
    op.execute("CREATE VIEW paid_orders AS SELECT id, total FROM orders WHERE status = 'paid'")
    op.drop_index("ix_orders_status", table_name="orders")
    op.create_index("ix_orders_status", "orders", ["status"])
    op.alter_column("orders", "quantity", existing_type=sa.BigInteger, type_=sa.Integer, existing_nullable=False)
    op.drop_constraint("fk_orders_warehouse", "orders", type_="foreignkey")
    op.drop_column("orders", "warehouse_id")
    op.drop_table("warehouses")
    op.drop_column("customers", "region")
''')

# fails on any table with rows: a NOT NULL column without a default or a backfill
REVISION_3_BROKEN = revision_file("c3c0ffee0003", "b2c0ffee0002", "notes on orders", '''

def upgrade():
    op.add_column("orders", sa.Column("note", sa.String(200), nullable=False))


def downgrade():
    op.drop_column("orders", "note")
''')


def alembic_project(root: Path, *, env: str = ENV_WITH_CONNECTION, broken: bool = False) -> Path:
    """alembic.ini, env.py and the revisions in ``root``; returns the ini."""
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "migrations" / "env.py").write_text(env)
    (root / "migrations" / "script.py.mako").write_text("")
    (versions / "a1_customers.py").write_text(REVISION_1)
    (versions / "b2_regions.py").write_text(REVISION_2)
    if broken:
        (versions / "c3_notes.py").write_text(REVISION_3_BROKEN)
    ini = root / "alembic.ini"
    ini.write_text(textwrap.dedent("""\
        [alembic]
        script_location = %(here)s/migrations
        sqlalchemy.url = driver://user:pass@localhost/dbname
        """))
    return ini


def source_at_revision_1(url: str, ini: Path) -> None:
    """The source: `alembic upgrade a1c0ffee0001`, then rows."""
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ini))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, "a1c0ffee0001")
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO customers (email, name) VALUES (:e, :n)"),
                     [{"e": f"person{i}@example.org", "n": f"Person {i}"} for i in range(60)])
        ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM customers ORDER BY id")]
        conn.execute(sa.text("INSERT INTO orders (customer_id, status, quantity, total) VALUES (:c, :s, :q, :t)"),
                     [{"c": ids[i % len(ids)], "s": ("new", "paid", "shipped")[i % 3], "q": 1 + i % 7,
                       "t": 5 + (i * 13) % 200} for i in range(240)])
    engine.dispose()


def databases(server_env: str) -> set[str]:
    server = os.environ[server_env]
    sql = ("SELECT datname FROM pg_database" if server.startswith("postgresql")
           else "SELECT schema_name FROM information_schema.schemata")
    return {r[0] for r in query(server, sql)}


def source_fingerprint(url: str) -> list[tuple]:
    return query(url, "SELECT COUNT(*), MIN(version_num) FROM alembic_version") + \
        query(url, "SELECT COUNT(*) FROM orders") + query(url, "SELECT COUNT(*) FROM customers")


@pytest.mark.postgres
def test_rehearse_on_postgres_measures_each_revision(tmp_path, monkeypatch):
    ini = alembic_project(tmp_path)
    monkeypatch.setattr(rehearse_module, "LARGE_TABLE", 100)   # orders has 240 rows
    with fresh_database(POSTGRES_URL_ENV, prefix="rs_rh_") as source:
        source_at_revision_1(source, ini)
        before = source_fingerprint(source)
        result = api.rehearse(source, alembic_ini=ini, downgrade=True)
        assert source_fingerprint(source) == before      # the source was only read
    assert result.failed is None, result.failed and result.failed.error
    assert result.start == "a1c0ffee0001" and result.target == "b2c0ffee0002"
    assert [(s.revision, s.direction) for s in result.steps] == [("b2c0ffee0002", "upgrade"),
                                                                 ("b2c0ffee0002", "downgrade")]
    up, down = result.steps
    assert up.message == "regions and warehouses" and up.statements >= 14 and up.seconds > 0
    assert up.rows == {"warehouses": [None, 1]}
    assert "orders" in up.rewritten                  # INTEGER -> BIGINT rewrites the table
    assert up.locks["orders"] == "AccessExclusiveLock"
    assert any(w.startswith("orders: AccessExclusiveLock blocks writes on a large table") for w in up.warnings)
    assert up.checks_passed > 0 and up.checks_failed == []
    assert down.rows == {"warehouses": [1, None]} and down.checks_failed == []
    assert result.round_trip == []                    # the downgrade restored the schema of revision 1
    assert result.ok and not result.kept
    assert result.database.split("/")[-1] not in databases(POSTGRES_URL_ENV)   # the scratch database is gone


@pytest.mark.mariadb
def test_rehearse_on_mariadb_with_alembics_plain_env(tmp_path):
    ini = alembic_project(tmp_path, env=ENV_PLAIN)
    with fresh_database(MARIADB_URL_ENV, prefix="rs_rh_") as source:
        source_at_revision_1(source, ini)
        before = source_fingerprint(source)
        json_file = tmp_path / "rehearsal.json"
        out = subprocess.run([sys.executable, "-m", "relsynth.cli", "rehearse", source, "--alembic-ini", str(ini),
                              "--json", str(json_file), "--keep", "-q"],
                             capture_output=True, text=True, timeout=900)
        assert source_fingerprint(source) == before
    assert json_file.exists(), out.stdout + out.stderr
    report = json.loads(json_file.read_text())
    scratch = report["database"].split("/")[-1]
    try:   # --keep: left for the user to look at (and dropped here, whatever the outcome)
        assert out.returncode == 0, out.stdout + out.stderr
        assert report["ok"] and report["locks_measured"] is False and report["kept"] is True
        assert "locks: not measured on mysql" in out.stdout
        assert f"scratch database kept: {report['database']}" in out.stdout
        (step,) = report["steps"]
        assert step["revision"] == "b2c0ffee0002" and step["locks"] is None and step["rewritten"] is None
        assert step["rows"] == {"warehouses": [None, 1]} and step["statements"] >= 14 and not step["checks_failed"]
        assert scratch in databases(MARIADB_URL_ENV)
        assert query(os.environ[MARIADB_URL_ENV].rsplit("/", 1)[0] + "/" + scratch,
                     "SELECT version_num FROM alembic_version") == [("b2c0ffee0002",)]
    finally:
        execute(os.environ[MARIADB_URL_ENV], f"DROP DATABASE IF EXISTS `{scratch}`")


@pytest.mark.postgres
def test_a_failing_revision_exits_1_naming_it_and_drops_the_scratch_database(tmp_path):
    ini = alembic_project(tmp_path, broken=True)
    with fresh_database(POSTGRES_URL_ENV, prefix="rs_rh_") as source:
        source_at_revision_1(source, ini)
        json_file = tmp_path / "rehearsal.json"
        out = subprocess.run([sys.executable, "-m", "relsynth.cli", "rehearse", source, "--alembic-ini", str(ini),
                              "--json", str(json_file), "-q"], capture_output=True, text=True, timeout=900)
        assert query(source, "SELECT version_num FROM alembic_version") == [("a1c0ffee0001",)]
    assert out.returncode == 1, out.stdout + out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "revision c3c0ffee0003 (notes on orders) failed on upgrade" in errors[0]
    assert 'column "note" of relation "orders" contains null values' in errors[0]
    report = json.loads(json_file.read_text())
    assert [s["revision"] for s in report["steps"]] == ["b2c0ffee0002", "c3c0ffee0003"]
    assert report["failed"] == "c3c0ffee0003" and not report["ok"]
    assert report["database"].split("/")[-1] not in databases(POSTGRES_URL_ENV)


def test_a_source_without_alembic_version_is_refused(tmp_path):
    ini = alembic_project(tmp_path)
    source = tmp_path / "plain.sqlite"
    engine = sa.create_engine(f"sqlite:///{source}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    engine.dispose()
    out = subprocess.run([sys.executable, "-m", "relsynth.cli", "rehearse", str(source), "--alembic-ini", str(ini)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 1
    assert "has no alembic_version table" in out.stderr and "hint:" in out.stderr


def sqlite_source(tmp_path: Path, ini: Path) -> Path:
    source = tmp_path / "source.sqlite"
    source_at_revision_1(f"sqlite:///{source}", ini)
    return source


def test_on_sqlite_a_revision_sqlite_cannot_run_is_found_on_the_clone(tmp_path):
    ini = alembic_project(tmp_path)
    source = sqlite_source(tmp_path, ini)
    before = source.read_bytes()
    result = api.rehearse(str(source), alembic_ini=ini)
    assert result.failed.revision == "b2c0ffee0002"   # SQLite has no ALTER COLUMN ... SET NOT NULL
    assert result.failed.error.startswith("OperationalError: ") and not result.ok
    assert source.read_bytes() == before
    assert not Path(result.database.removeprefix("sqlite:///")).parent.exists()   # the scratch file is gone


ENV_ELSEWHERE = '''
import os
from alembic import context
from sqlalchemy import create_engine, pool

engine = create_engine(os.environ["APP_DATABASE_URL"], poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
'''


def test_an_env_py_that_connects_elsewhere_is_refused_before_its_first_statement(tmp_path):
    ini = alembic_project(tmp_path, env=ENV_WITH_CONNECTION)
    source = sqlite_source(tmp_path, ini)
    (tmp_path / "migrations" / "env.py").write_text(ENV_ELSEWHERE)   # the project's own database URL
    before = source.read_bytes()
    out = subprocess.run([sys.executable, "-m", "relsynth.cli", "rehearse", str(source), "--alembic-ini", str(ini)],
                         capture_output=True, text=True, timeout=300,
                         env={**os.environ, "APP_DATABASE_URL": f"sqlite:///{source}"})
    assert out.returncode == 1
    assert "not to the scratch database: refused" in out.stderr and "hint:" in out.stderr
    assert source.read_bytes() == before


def test_a_target_that_is_not_empty_is_refused(tmp_path):
    ini = alembic_project(tmp_path)
    source = sqlite_source(tmp_path, ini)
    busy = tmp_path / "busy.sqlite"
    engine = sa.create_engine(f"sqlite:///{busy}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE mine (id INTEGER PRIMARY KEY)")
    engine.dispose()
    from relsynth.errors import TargetError

    with pytest.raises(TargetError, match="is not empty"):
        api.rehearse(str(source), alembic_ini=ini, target=str(busy))
    with pytest.raises(TargetError, match="is the source database"):
        api.rehearse(str(source), alembic_ini=ini, target=str(source))
    assert query(f"sqlite:///{busy}", "SELECT COUNT(*) FROM mine") == [(0,)]


def test_to_the_current_revision_runs_nothing_and_an_unknown_one_is_an_error(tmp_path):
    ini = alembic_project(tmp_path)
    source = sqlite_source(tmp_path, ini)
    for to, message in (("a1c0ffee0001", None), ("nope", "--to nope: it has no revision 'nope'")):
        out = subprocess.run([sys.executable, "-m", "relsynth.cli", "rehearse", str(source), "--alembic-ini",
                              str(ini), "--to", to, "-q"], capture_output=True, text=True, timeout=300)
        if message is None:   # already there: nothing to run, nothing wrong
            assert out.returncode == 0 and "at a1c0ffee0001 already" in out.stdout, out.stdout + out.stderr
        else:
            assert out.returncode == 1 and message in out.stderr and "hint:" in out.stderr
