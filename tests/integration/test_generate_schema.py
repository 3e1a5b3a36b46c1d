"""`relsynth generate --schema S` and `--rows T=N` from a saved model: the tables land in schema S
of the target (a PostgreSQL schema, a MariaDB database), made when missing, each with its count."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import relsynth
from relsynth import api
from relsynth.errors import ConfigError
from tests.conftest import MARIADB_URL_ENV, POSTGRES_URL_ENV, execute, fresh_database, query

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.fixture(scope="module")
def company_model(tmp_path_factory) -> Path:
    """A model of fixtures/company.sqlite (9 departments, 400 employees) saved to a directory."""
    path = tmp_path_factory.mktemp("model") / "company"
    relsynth.Synthesizer().fit(str(FIXTURES / "company.sqlite")).save(path)
    return path


def generate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "relsynth.cli", "generate", *args, "--quiet"],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.postgres
def test_postgres_schemas_are_made_and_hold_their_own_rows(company_model):
    with fresh_database(POSTGRES_URL_ENV, prefix="rs_sd_") as url:
        first = generate(str(company_model), url, "--schema", "team_a", "--rows", "employees=40")
        assert first.returncode == 0, first.stderr
        assert "schema team_a" in first.stdout
        second = generate(str(company_model), url, "--schema", "team_b", "--rows", "employees=70",
                          "--rows", "departments=5")
        assert second.returncode == 0, second.stderr
        assert query(url, "SELECT count(*) FROM team_a.employees") == [(40,)]
        assert query(url, "SELECT count(*) FROM team_b.employees") == [(70,)]
        assert query(url, "SELECT count(*) FROM team_b.departments") == [(5,)]
        # the foreign keys point inside each schema, and nothing went to public
        assert query(url, "SELECT count(*) FROM team_b.employees e LEFT JOIN team_b.departments d "
                          "ON d.id = e.department_id WHERE d.id IS NULL") == [(0,)]
        assert query(url, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'") == [(0,)]
        again = generate(str(company_model), url, "--schema", "team_a")
        assert again.returncode == 1 and "already has tables" in again.stderr


@pytest.mark.mariadb
def test_mariadb_schema_is_a_database_of_the_server(company_model):
    with fresh_database(MARIADB_URL_ENV, prefix="rs_sd_") as url:
        name = url.rsplit("/", 1)[1] + "_s"
        try:
            result = api.generate(relsynth.Synthesizer.load(company_model), url, schema=name,
                                  rows={"employees": 25})
            assert result.passed and result.rows["employees"] == 25
            assert query(url, f"SELECT count(*) FROM `{name}`.employees") == [(25,)]
            assert query(url, "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE()") == [(0,)]
        finally:
            execute(url, f"DROP DATABASE IF EXISTS `{name}`")


def test_sqlite_has_no_schema_and_rows_hold_from_a_saved_model(company_model, tmp_path):
    with pytest.raises(ConfigError, match="SQLite target has no schema"):
        api.generate(relsynth.Synthesizer.load(company_model), str(tmp_path / "x.sqlite"), schema="s")
    out = generate(str(company_model), str(tmp_path / "y.sqlite"), "--rows", "employees=33", "--seed", "4")
    assert out.returncode == 0, out.stderr
    assert query(f"sqlite:///{tmp_path / 'y.sqlite'}", "SELECT count(*) FROM employees") == [(33,)]
