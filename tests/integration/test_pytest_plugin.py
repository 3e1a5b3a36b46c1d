"""The pytest plugin as a project meets it: a tiny test project run by pytest in a subprocess
(pytester), with the plugin loaded through its entry point, against SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
import textwrap
from pathlib import Path

import pytest

import relsynth
from tests.conftest import MARIADB_URL_ENV, POSTGRES_URL_ENV, fresh_database, query, server_url
from tests.seed_models import MODELS

pytest_plugins = ["pytester"]

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"

# three tests in order: counts, a write, and that the next test does not see it
ISOLATION = '''
import os
from pathlib import Path

def count(conn, table):
    return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()

def test_rows_are_there(relsynth_database, relsynth_db):
    assert count(relsynth_db, "employees") == 50 == relsynth_database.rows["employees"]
    assert count(relsynth_db, "departments") == 4
    Path(os.environ["RS_DUMP"]).write_text(repr(relsynth_db.exec_driver_sql(
        "SELECT * FROM employees ORDER BY id").fetchall()))

def test_a_write(relsynth_db):
    relsynth_db.exec_driver_sql("DELETE FROM employees")
    assert count(relsynth_db, "employees") == 0

def test_the_write_is_gone(relsynth_db):
    assert count(relsynth_db, "employees") == 50

@__import__("pytest").mark.relsynth(rows={"employees": 7})
def test_a_database_of_its_own(relsynth_db, relsynth_database):
    assert count(relsynth_db, "employees") == 7
    with relsynth_database.engine.connect() as shared:
        assert count(shared, "employees") == 50
'''


@pytest.fixture(scope="module")
def company_model(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "company"
    relsynth.Synthesizer().fit(str(FIXTURES / "company.sqlite")).save(path)
    return path


def project(pytester: pytest.Pytester, ini: dict[str, str], tests: str) -> None:
    pytester.makeini("[pytest]\n" + "".join(f"{k} = {v}\n" for k, v in ini.items()))
    pytester.makepyfile(test_app=textwrap.dedent(tests))


def run(pytester: pytest.Pytester, dump: Path, *args: str) -> pytest.RunResult:
    pytester._monkeypatch.setenv("RS_DUMP", str(dump))
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def test_sqlite_rows_isolation_counts_and_seed(pytester, company_model, tmp_path):
    project(pytester, {"relsynth_model": str(company_model), "relsynth_rows": "employees=50 departments=4",
                       "relsynth_seed": "7"}, ISOLATION)
    first = run(pytester, tmp_path / "a.txt")
    first.assert_outcomes(passed=4)
    run(pytester, tmp_path / "b.txt").assert_outcomes(passed=4)
    run(pytester, tmp_path / "c.txt", "--relsynth-seed", "8").assert_outcomes(passed=4)
    a, b, c = ((tmp_path / f"{n}.txt").read_text() for n in "abc")
    assert a == b and a != c          # the same seed gives the same rows, another seed others
    assert "Gender" not in a          # (a real dump, not an empty one)
    assert a.count("),") == 49


def test_a_suite_without_the_fixtures_pays_nothing(pytester):
    pytester.makepyfile(test_plain="""
        import sys
        def test_plain():
            assert not [m for m in ("sqlalchemy", "pandas", "relsynth.api") if m in sys.modules]
        """)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_missing_configuration_is_a_usage_error(pytester):
    pytester.makepyfile(test_app="def test_x(relsynth_db):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*set exactly one of relsynth_model, relsynth_source and relsynth_metadata*"])


@pytest.mark.postgres
def test_postgres_database_per_session_dropped_after(pytester, company_model, tmp_path):
    server = server_url(POSTGRES_URL_ENV).render_as_string(hide_password=False)
    prefix = f"rs_sd_{secrets.token_hex(3)}_"
    project(pytester, {"relsynth_model": str(company_model), "relsynth_url": server, "relsynth_prefix": prefix,
                       "relsynth_rows": "employees=50 departments=4"},
            ISOLATION + f'''
def test_its_database_is_named_after_the_worker(relsynth_db):
    assert relsynth_db.exec_driver_sql("SELECT current_database()").scalar() == "{prefix}main"
''')
    run(pytester, tmp_path / "a.txt").assert_outcomes(passed=5)
    assert query(server, f"SELECT count(*) FROM pg_database WHERE datname LIKE '{prefix}%%'") == [(0,)]


@pytest.mark.postgres
def test_postgres_xdist_workers_get_a_schema_each(pytester, tmp_path):
    pytest.importorskip("xdist")
    models = tmp_path / "models_pkg"
    models.mkdir()
    (models / "shopmodels.py").write_text(MODELS)
    pytester._monkeypatch.setenv("PYTHONPATH", str(models))
    with fresh_database(POSTGRES_URL_ENV, prefix="rs_sd_") as url:
        project(pytester, {"relsynth_metadata": "shopmodels:Base", "relsynth_url": url, "relsynth_isolate": "schema",
                           "relsynth_rows": "20 orders=30"}, f'''
import pytest
from pathlib import Path

@pytest.mark.parametrize("i", range(6))
def test_each_worker_has_its_schema(relsynth_db, worker_id, i):
    schema = relsynth_db.exec_driver_sql("SELECT current_schema()").scalar()
    assert schema == "rs_test_" + worker_id
    assert relsynth_db.exec_driver_sql("SELECT count(*) FROM orders").scalar() == 30
    assert relsynth_db.exec_driver_sql("SELECT count(*) FROM order_items").scalar() == 20
    relsynth_db.exec_driver_sql("DELETE FROM order_items")      # rolled back: the next test sees 20 again
    Path(r"{tmp_path}", f"seen-{{worker_id}}-{{i}}").write_text(schema)
''')
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
        result.assert_outcomes(passed=6)
        seen = {p.read_text() for p in tmp_path.glob("seen-*")}
        assert seen == {"rs_test_gw0", "rs_test_gw1"}
        assert query(url, "SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'rs_test_%%'") \
            == [(0,)]


def test_a_source_is_learned_at_the_start_of_the_session(pytester):
    project(pytester, {"relsynth_source": str(FIXTURES / "company.sqlite"), "relsynth_rows": "employees=20"}, """
        def test_rows(relsynth_db):
            assert relsynth_db.exec_driver_sql("SELECT count(*) FROM employees").scalar() == 20
        """)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


@pytest.mark.mariadb
def test_mariadb_database_from_models_dropped_after(pytester, tmp_path):
    (tmp_path / "shopmodels.py").write_text(MODELS)
    pytester._monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    server = server_url(MARIADB_URL_ENV).render_as_string(hide_password=False)
    prefix = f"rs_sd_{secrets.token_hex(3)}_"
    project(pytester, {"relsynth_metadata": "shopmodels:Base", "relsynth_url": server, "relsynth_prefix": prefix,
                       "relsynth_rows": "15 orders=40"}, f"""
        def test_rows(relsynth_db):
            assert relsynth_db.exec_driver_sql("SELECT DATABASE()").scalar() == "{prefix}main"
            assert relsynth_db.exec_driver_sql("SELECT count(*) FROM orders").scalar() == 40
            assert relsynth_db.exec_driver_sql("SELECT count(*) FROM customers").scalar() == 15
        """)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert query(server, f"SHOW DATABASES LIKE '{prefix}%%'") == []
