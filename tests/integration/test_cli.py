"""The command line as a user meets it: exit codes, one-line errors, summaries, no passwords."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def relsynth(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "relsynth.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


def count(path: Path, table: str) -> int:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        n = conn.exec_driver_sql(f'SELECT COUNT(*) FROM "{table}"').scalar_one()
    engine.dispose()
    return n


def test_clone_prints_a_summary_and_exits_zero(tmp_path):
    out = relsynth("clone", str(FIXTURES / "company.sqlite"), str(tmp_path / "c.sqlite"), "--seed", "3")
    assert out.returncode == 0, out.stderr
    assert "employees" in out.stdout and "failed" in out.stdout and "0 failed" in out.stdout
    assert count(tmp_path / "c.sqlite", "employees") > 0


def test_urls_come_from_the_environment(tmp_path):
    target = tmp_path / "env.sqlite"
    out = relsynth("clone", "env:MY_SOURCE", env={"MY_SOURCE": str(FIXTURES / "company.sqlite"),
                                                   "RELSYNTH_TARGET_URL": f"sqlite:///{target}"})
    assert out.returncode == 0, out.stderr
    assert count(target, "departments") == 8


def test_a_bad_source_is_one_line_with_a_hint_and_no_password():
    out = relsynth("clone", "postgresql://alice:s3cret-pw@127.0.0.1:1/prod", "sqlite:///nowhere.sqlite")
    assert out.returncode == 1
    assert "s3cret-pw" not in out.stdout + out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "hint:" in lines[0]
    assert "Traceback" not in out.stderr


def test_an_unknown_config_key_is_a_clear_error(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("tables:\n  employees:\n    columns:\n      salary: {kind: money}\n")
    out = relsynth("clone", str(FIXTURES / "company.sqlite"), str(tmp_path / "x.sqlite"), "--config", str(config))
    assert out.returncode == 1 and "salary" in out.stderr and "kind" in out.stderr
    assert not (tmp_path / "x.sqlite").exists()


def test_inspect_writes_a_config_that_steers_the_clone(tmp_path):
    config = tmp_path / "shop.yaml"
    out = relsynth("inspect", str(FIXTURES / "shop.sqlite"), "-o", str(config))
    assert out.returncode == 0, out.stderr
    assert "order_items" in out.stdout and "Plan" in out.stdout
    data = yaml.safe_load(config.read_text())
    assert data["tables"]["customers"]["columns"]["email"]["kind"] == "email"
    assert data["tables"]["order_items"]["context"] == "orders"
    assert "locale: en_US (detected from names" in out.stdout and data["privacy"] == {"locale": "en_US"}
    data["exclude"] = ["exchange_rates"]
    data["tables"]["orders"]["columns"]["note"]["kind"] = "categorical"
    config.write_text(yaml.safe_dump(data))
    target = tmp_path / "steered.sqlite"
    out = relsynth("clone", str(FIXTURES / "shop.sqlite"), str(target), "--config", str(config))
    assert out.returncode == 0, out.stderr
    engine = sa.create_engine(f"sqlite:///{target}")
    assert "exchange_rates" not in sa.inspect(engine).get_table_names()
    engine.dispose()


def test_train_then_generate_at_another_scale(tmp_path):
    assert relsynth("train", str(FIXTURES / "shop.sqlite"), "-o", str(tmp_path / "model")).returncode == 0
    assert not list((tmp_path / "model").glob("*.pkl"))
    out = relsynth("generate", str(tmp_path / "model"), str(tmp_path / "g.sqlite"), "--scale", "2")
    assert out.returncode == 0, out.stderr
    assert count(tmp_path / "g.sqlite", "customers") == 600
    assert 1400 < count(tmp_path / "g.sqlite", "orders") < 2400  # 931 real orders, twice the customers


def test_help_lists_the_commands():
    out = relsynth("--help")
    assert out.returncode == 0
    for command in ("clone", "train", "generate", "inspect"):
        assert command in out.stdout


def test_report_scores_a_clone_and_writes_html_and_json(tmp_path):
    import json

    clone = tmp_path / "c.sqlite"
    assert relsynth("clone", str(FIXTURES / "company.sqlite"), str(clone)).returncode == 0
    out = relsynth("report", str(FIXTURES / "company.sqlite"), str(clone), "-o", str(tmp_path / "r.html"),
                   "--json", str(tmp_path / "r.json"))
    assert out.returncode == 0, out.stderr
    assert "(overall)" in out.stdout and "employees" in out.stdout
    scores = json.loads((tmp_path / "r.json").read_text())
    assert set(scores["tables"]) == {"departments", "employees"}
    assert "<svg" in (tmp_path / "r.html").read_text()


@pytest.mark.postgres
def test_inspect_writes_named_enums_and_domains_as_plain_yaml(pg_database_url, tmp_path):
    """pagila's `mpaa_rating` enum and `year` domain made `inspect -o` die in the YAML writer."""
    engine = sa.create_engine(pg_database_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TYPE rating AS ENUM ('G', 'PG', 'R')")
        conn.exec_driver_sql("CREATE DOMAIN year AS integer CHECK (VALUE >= 1901 AND VALUE <= 2155)")
        conn.exec_driver_sql("CREATE TABLE film (id serial PRIMARY KEY, rating rating, released year)")
        conn.exec_driver_sql("INSERT INTO film (rating, released) VALUES ('G', 2001), ('R', 2006)")
    engine.dispose()
    out = relsynth("inspect", pg_database_url, "-o", str(tmp_path / "c.yaml"))
    assert out.returncode == 0, out.stderr
    columns = yaml.safe_load((tmp_path / "c.yaml").read_text())["tables"]["film"]["columns"]
    assert columns["rating"]["type"] == "rating" and columns["rating"]["kind"] == "categorical"
