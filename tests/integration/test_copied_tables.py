"""Bookkeeping tables (alembic_version ...) and tables marked `copy: true` come out exactly as in
the source, at any scale and through train/generate; retained columns survive train/generate."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from sqlalchemy.pool import NullPool

from relsynth import api
from relsynth.conditions import Conditions
from relsynth.config import Config, TableConfig, load_config
from relsynth.errors import ConfigError
from relsynth.synthesizer import Synthesizer
from tests.conftest import query

REVISION = "3f1c9a2b7d4e"
CURRENCIES = [("EUR", "Euro"), ("USD", "US dollar"), ("JPY", "Yen"), ("GBP", "Pound"), ("CHF", "Franc")]


def relsynth(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "relsynth.cli", *args], capture_output=True, text=True,
                          env=dict(os.environ), timeout=600)


def build_source(url: str) -> None:
    """A small shop at an Alembic revision: currencies (a lookup to copy), customers, orders."""
    engine = sa.create_engine(url, poolclass=NullPool)
    md = sa.MetaData()
    sa.Table("alembic_version", md, sa.Column("version_num", sa.String(32), primary_key=True))
    sa.Table("currencies", md, sa.Column("code", sa.String(3), primary_key=True),
             sa.Column("name", sa.String(40), nullable=False))
    sa.Table("customers", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("tier", sa.String(10), nullable=False), sa.Column("age", sa.Integer))
    sa.Table("orders", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("customer_id", sa.ForeignKey("customers.id"), nullable=False),
             sa.Column("currency", sa.ForeignKey("currencies.code"), nullable=False),
             sa.Column("total", sa.Numeric(10, 2), nullable=False))
    # copied like its parent: a copied table's real foreign keys need their real parents
    sa.Table("rates", md, sa.Column("currency", sa.ForeignKey("currencies.code"), primary_key=True),
             sa.Column("per_euro", sa.Float, nullable=False), sa.Column("as_of", sa.Date),
             sa.Column("updated", sa.DateTime))
    # synthesized, its only parent copied: generated rows pick among the real currencies
    sa.Table("prices", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("currency", sa.ForeignKey("currencies.code"), nullable=False),
             sa.Column("amount", sa.Float, nullable=False))
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(md.tables["alembic_version"].insert(), [{"version_num": REVISION}])
        conn.execute(md.tables["currencies"].insert(), [{"code": c, "name": n} for c, n in CURRENCIES])
        conn.execute(md.tables["customers"].insert(),
                     [{"id": i, "tier": ("gold", "silver", "bronze")[i % 3], "age": 20 + i % 50} for i in range(1, 121)])
        conn.execute(md.tables["orders"].insert(),
                     [{"id": i, "customer_id": 1 + i % 120, "currency": CURRENCIES[i % 5][0],
                       "total": 10 + (i * 7) % 300} for i in range(1, 401)])
        conn.execute(md.tables["rates"].insert(), [dict(zip(("currency", "per_euro", "as_of", "updated"), r))
                                                   for r in RATES])
        conn.execute(md.tables["prices"].insert(), [{"id": i, "currency": CURRENCIES[i % 5][0], "amount": 2.5 * i}
                                                    for i in range(1, 51)])
    engine.dispose()


def rows(url: str, sql: str) -> list[tuple]:
    return sorted(query(url, sql))


COPY_CURRENCIES = Config(tables={"currencies": TableConfig(copy=True), "rates": TableConfig(copy=True)})
RATES_SQL = "SELECT currency, per_euro, as_of, updated FROM rates"
RATES = [(c, 1.0 + i, dt.date(2024, 1, 1 + i) if i else None, dt.datetime(2024, 2, 1, 12, 30, i))
         for i, (c, _) in enumerate(CURRENCIES)]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres),
                        pytest.param("mariadb", marks=pytest.mark.mariadb)])
def source(request, tmp_path):
    """The source's URL, and a function giving a fresh empty target database per name."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'source.sqlite'}"
        build_source(url)
        yield url, lambda name: f"sqlite:///{tmp_path / name}.sqlite"
        return
    from tests.conftest import MARIADB_URL_ENV, POSTGRES_URL_ENV, fresh_database

    server = POSTGRES_URL_ENV if request.param == "postgres" else MARIADB_URL_ENV
    with fresh_database(server, prefix="rs_rh_") as url:
        build_source(url)
        targets = []

        def target(_name: str) -> str:
            targets.append(fresh_database(server, prefix="rs_rh_"))
            return targets[-1].__enter__()

        try:
            yield url, target
        finally:
            for made in targets:
                made.__exit__(None, None, None)


@pytest.mark.parametrize("scale", [3, 0.1])
def test_alembic_version_and_a_marked_table_are_copied_at_any_scale(source, scale):
    url, target = source
    out = target(f"scaled{scale}")
    result = api.clone(url, out, scale=scale, config=COPY_CURRENCIES)
    assert result.passed
    assert rows(out, "SELECT version_num FROM alembic_version") == [(REVISION,)]
    assert rows(out, "SELECT code, name FROM currencies") == sorted(CURRENCIES)
    assert rows(out, RATES_SQL) == rows(url, RATES_SQL)
    assert query(out, "SELECT COUNT(*) FROM prices")[0][0] == pytest.approx(50 * scale, rel=0.1)
    customers = query(out, "SELECT COUNT(*) FROM customers")[0][0]
    assert customers == pytest.approx(120 * scale, rel=0.1)   # the synthesized tables do scale
    # foreign keys into the copied table point at its real rows
    for table in ("orders", "prices"):
        assert {c for (c,) in query(out, f"SELECT DISTINCT currency FROM {table}")} <= {c for c, _ in CURRENCIES}


def test_copy_false_synthesizes_a_bookkeeping_table(tmp_path):
    url = f"sqlite:///{tmp_path / 'source.sqlite'}"
    build_source(url)
    synth = api.train(url, config=Config(tables={"alembic_version": TableConfig(copy=False)}))
    assert "alembic_version" not in synth.copied


def test_a_marked_table_whose_parent_is_synthesized_is_a_config_error(tmp_path):
    url = f"sqlite:///{tmp_path / 'source.sqlite'}"
    build_source(url)
    with pytest.raises(ConfigError, match="orders is copied .* parent customers is synthesized"):
        api.train(url, config=Config(tables={"orders": TableConfig(copy=True), "currencies": TableConfig(copy=True)}))


def test_train_then_generate_writes_the_copied_rows(source, tmp_path):
    url, target = source
    config = tmp_path / "config.yaml"
    config.write_text("tables:\n  currencies:\n    copy: true\n  rates:\n    copy: true\n")
    model = tmp_path / "model"
    trained = relsynth("train", url, "-o", str(model), "--config", str(config), "-q")
    assert trained.returncode == 0, trained.stderr
    manifest = json.loads((model / "relsynth.json").read_text())
    assert manifest["copied"] == ["alembic_version", "currencies", "rates"]
    out = target("generated")
    generated = relsynth("generate", str(model), out, "--scale", "3", "-q")
    assert generated.returncode == 0, generated.stderr
    assert rows(out, "SELECT version_num FROM alembic_version") == [(REVISION,)]
    assert rows(out, "SELECT code, name FROM currencies") == sorted(CURRENCIES)
    assert rows(out, RATES_SQL) == rows(url, RATES_SQL)
    shown = relsynth("inspect-model", str(model), "--source", url)
    assert shown.returncode == 0, shown.stdout + shown.stderr   # copied rows are not a leak: they are named
    assert "copied (real rows, written as they are): alembic_version (1 row), currencies (5 rows), rates (5 rows)" in shown.stdout


def test_rows_naming_a_copied_table_is_a_config_error_with_a_hint(tmp_path):
    url = f"sqlite:///{tmp_path / 'source.sqlite'}"
    build_source(url)
    out = relsynth("clone", url, str(tmp_path / "out.sqlite"), "--rows", "alembic_version=3", "-q")
    assert out.returncode == 1
    assert "--rows names alembic_version, which is copied" in out.stderr and "hint:" in out.stderr
    assert not (tmp_path / "out.sqlite").exists()


def test_inspect_shows_copied_tables(tmp_path):
    url = f"sqlite:///{tmp_path / 'source.sqlite'}"
    build_source(url)
    out = relsynth("inspect", url)
    assert out.returncode == 0, out.stderr
    assert "alembic_version  (1 rows, copied)" in out.stdout
    assert "alembic_version: copied" in out.stdout
    written = relsynth("inspect", url, "-o", str(tmp_path / "config.yaml"))
    assert written.returncode == 0, written.stderr
    config = yaml.safe_load((tmp_path / "config.yaml").read_text())
    assert config["tables"]["alembic_version"]["copy"] is True and "copy" not in config["tables"]["orders"]
    # the file loads back: copy is a steering field
    assert load_config(tmp_path / "config.yaml").tables["alembic_version"].copy_rows is True


def test_retained_columns_survive_train_and_generate(source, tmp_path):
    url, target = source
    model = tmp_path / "model"
    trained = relsynth("train", url, "-o", str(model), "--retain", "customers.id,customers.tier", "-q")
    assert trained.returncode == 0, trained.stderr
    out = target("retained")
    generated = relsynth("generate", str(model), out, "-q")
    assert generated.returncode == 0, generated.stderr
    assert rows(out, "SELECT id, tier FROM customers") == rows(url, "SELECT id, tier FROM customers")
    # orders point at the real customer ids that were kept
    assert {c for (c,) in query(out, "SELECT customer_id FROM orders")} <= set(range(1, 121))


def test_a_copied_name_outside_the_plan_is_a_damaged_model(tmp_path):
    url = f"sqlite:///{tmp_path / 'source.sqlite'}"
    build_source(url)
    model = api.train(url).save(tmp_path / "model")
    manifest = json.loads((model / "relsynth.json").read_text())
    manifest["copied"] = ["../../etc/passwd"]
    (model / "relsynth.json").write_text(json.dumps(manifest))
    from relsynth.workspace import DamagedModel

    with pytest.raises(DamagedModel, match="copied tables are not tables of the plan"):
        Synthesizer.load(model)


def test_conditions_on_a_copied_table_are_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'source.sqlite'}"
    build_source(url)
    from relsynth.conditions import ConditionError

    with pytest.raises(ConditionError, match="alembic_version, which is copied"):
        api.train(url, conditions=Conditions.parse(retain=["alembic_version.version_num"]))
