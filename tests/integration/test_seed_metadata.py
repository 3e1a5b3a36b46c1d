"""`relsynth seed --metadata pkg.module:Base`: a plausible database from SQLAlchemy models alone,
written to SQLite and PostgreSQL with every declared constraint holding."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from relsynth import seeding
from relsynth.seeding import MetadataError
from tests.conftest import POSTGRES_URL_ENV, fresh_database, query
from tests.seed_models import MODELS, SHAPES

EMAIL = re.compile(r"^[a-z0-9._+-]+@([a-z0-9-]+\.)*example\.(com|net|org)$")


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "shopmodels.py").write_text(MODELS)
    return tmp_path


def seed_cli(project: Path, target: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "relsynth.cli", "seed", target, "--metadata", "shopmodels:Base",
                           "--quiet", *args], capture_output=True, text=True, cwd=project, timeout=300,
                          env={**os.environ, "PYTHONPATH": ""})


def check_database(url: str, customers: int, orders: int, items: int, prefix: str = "") -> None:
    def one(sql: str):
        return query(url, sql)[0][0]

    assert one(f"SELECT count(*) FROM {prefix}customers") == customers
    assert one(f"SELECT count(*) FROM {prefix}orders") == orders
    assert one(f"SELECT count(*) FROM {prefix}order_items") == items
    # every foreign key resolves
    assert one(f"SELECT count(*) FROM {prefix}orders o LEFT JOIN {prefix}customers c ON c.id = o.customer_id "
               "WHERE c.id IS NULL") == 0
    assert one(f"SELECT count(*) FROM {prefix}order_items i LEFT JOIN {prefix}orders o ON o.id = i.order_id "
               "WHERE o.id IS NULL") == 0
    emails = [r[0] for r in query(url, f"SELECT email FROM {prefix}customers")]
    assert len(set(emails)) == customers and all(EMAIL.match(e) for e in emails), emails[:5]
    statuses = {r[0] for r in query(url, f"SELECT CAST(status AS VARCHAR(10)) FROM {prefix}orders")}
    assert statuses <= {"new", "paid", "shipped"} and len(statuses) == 3
    assert one(f"SELECT min(total) FROM {prefix}orders") >= 1
    names = [r[0] for r in query(url, f"SELECT full_name FROM {prefix}customers")]
    assert all(" " in n and n.strip() == n for n in names)   # "First Last", not a word salad
    # one fake person per row: the e-mail is made of the row's own name
    pairs = query(url, f"SELECT full_name, email FROM {prefix}customers")
    agree = sum(name.split()[-1].lower().replace("'", "") in email for name, email in pairs)
    assert agree >= 0.8 * customers, pairs[:5]
    assert one(f"SELECT count(*) FROM {prefix}customers WHERE signed_up_at IS NULL") == 0


def test_seed_sqlite_from_the_command_line(project):
    target = project / "seeded.sqlite"
    out = seed_cli(project, str(target), "--rows", "40", "--rows", "orders=90", "--rows", "order_items=200")
    assert out.returncode == 0, out.stderr
    assert "0 failed" in out.stdout
    check_database(f"sqlite:///{target}", 40, 90, 200)


def test_same_seed_same_rows_and_a_bad_reference_is_one_line(project, monkeypatch):
    monkeypatch.chdir(project)
    urls = []
    for name in ("a", "b", "c"):
        seeding.seed("shopmodels:Base", str(project / f"{name}.sqlite"), rows=25, seed=1 if name != "c" else 2)
        urls.append(f"sqlite:///{project / f'{name}.sqlite'}")
    rows = [query(u, "SELECT * FROM customers ORDER BY id") for u in urls]
    assert rows[0] == rows[1] and rows[0] != rows[2]
    with pytest.raises(MetadataError, match="not MODULE:ATTRIBUTE"):
        seeding.load_metadata("shopmodels")
    out = seed_cli(project, str(project / "x.sqlite"), "--metadata", "nosuchmodule:Base")
    assert out.returncode == 1 and out.stderr.startswith("error: cannot import nosuchmodule")


@pytest.mark.postgres
def test_seed_postgres_schema(project):
    with fresh_database(POSTGRES_URL_ENV, prefix="rs_sd_") as url:
        out = seed_cli(project, url, "--rows", "30", "--rows", "order_items=75", "--schema", "app", "--seed", "5")
        assert out.returncode == 0, out.stderr
        check_database(url, 30, 30, 75, prefix="app.")
        # the enum is PostgreSQL's own type, made in the schema
        assert query(url, "SELECT n.nspname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                          "WHERE t.typname = 'order_status'") == [("app",)]


def test_self_reference_one_to_one_composite_keys_and_checks(tmp_path, monkeypatch):
    (tmp_path / "shapemodels.py").write_text(SHAPES)
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "shapes.sqlite"
    with pytest.warns(UserWarning, match="unique foreign key"):
        result = seeding.seed("shapemodels:Base", str(target), rows={"*": 60, "profiles": 80, "regions": 400})
    assert result.passed
    url = f"sqlite:///{target}"
    # one profile per employee at most: 60, not the 80 asked
    assert result.rows == {"employees": 60, "profiles": 60, "regions": 400, "offices": 60}
    assert query(url, "SELECT count(*) FROM employees WHERE age < 18 OR age > 70") == [(0,)]
    assert query(url, "SELECT count(*) FROM employees WHERE manager_id IS NOT NULL")[0][0] > 30
    assert query(url, "SELECT max(length(country)) FROM regions") == [(2,)]
    assert query(url, "SELECT count(*) FROM offices o JOIN regions r ON r.country = o.country "
                      "AND r.code = o.region_code") == [(60,)]
