"""A model directory's SQL (checks, defaults, native types) never reaches a target as text.

Each attack edits a genuine shop model the way a sender could, runs the real ``relsynth generate``
into a SQLite, PostgreSQL or MariaDB target, and asserts the clean refusal: exit 1, one
``error:`` line naming the table and the expression, an untouched target and file system.
"""

from __future__ import annotations

import sqlite3
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.security.conftest import FIXTURES, ModelDir, relsynth, snapshot, sqlite_tables

TARGETS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres),
           pytest.param("mysql", marks=pytest.mark.mariadb)]


@pytest.fixture(params=TARGETS)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """(dialect, URL) of an empty target."""
    if request.param == "sqlite":
        (tmp_path / "target").mkdir()
        return "sqlite", str(tmp_path / "target" / "synthetic.db")
    if request.param == "postgresql":
        return "postgresql", request.getfixturevalue("pg_database_url")
    return "mysql", request.getfixturevalue("mariadb_database_url")


def tables_of(dialect: str, url: str) -> list[str]:
    if dialect == "sqlite":
        return sqlite_tables(Path(url))
    engine = sa.create_engine(url)
    try:
        return sorted(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def speak(model: ModelDir, dialect: str) -> None:
    """Make the model's schema claim the target's dialect, so its SQL would go to the target as is."""
    model.edit_manifest(lambda m: m["schema"].__setitem__("dialect", dialect))


def set_check(model: ModelDir, table: str, sqltext: str) -> None:
    model.edit_manifest(lambda m: model.schema_table(m, table)["checks"].append({"sqltext": sqltext}))


def set_column(model: ModelDir, table: str, column: str, **fields: object) -> None:
    def change(manifest: dict) -> None:
        col = next(c for c in model.schema_table(manifest, table)["columns"] if c["name"] == column)
        for key, value in fields.items():
            if key == "native":
                col["type"].update(native=value, dialect=manifest["schema"]["dialect"])
            else:
                col[key] = value
    model.edit_manifest(change)


def refused(model: ModelDir, target: tuple[str, str], tmp_path: Path, *, table: str, expression: str) -> None:
    """``relsynth generate`` exits 1 with one error line naming table and expression, touching nothing."""
    dialect, url = target
    before = snapshot(tmp_path)
    run = relsynth("generate", str(model.path), url, "--quiet", cwd=tmp_path)
    errors = [line for line in run.stderr.splitlines() if line.strip()]
    assert run.returncode == 1, run.stderr
    assert len(errors) == 1 and errors[0].startswith("error: "), run.stderr
    assert "is damaged or not a relsynth model" in errors[0], errors[0]
    assert f": {table}" in errors[0] and expression[:40] in errors[0], errors[0]
    assert "Traceback" not in run.stderr
    assert tables_of(dialect, url) == []                    # the target is untouched
    assert snapshot(tmp_path) == before                      # no file written anywhere under the test's dir
    assert not (tmp_path / "out.txt").exists() and not (tmp_path / "pwned").exists()


# --------------------------------------------------------------------------- the attacks

def test_a_check_that_closes_the_table_and_runs_statements_is_refused(crafted: ModelDir, target: tuple[str, str],
                                                                     tmp_path: Path) -> None:
    dialect, url = target
    # coupons: no foreign key follows its checks in CREATE TABLE, so the closing parenthesis lands
    shell_out = Path(tempfile.gettempdir()) / f"relsynth-pwned-{uuid.uuid4().hex}.txt"   # the server's user writes there
    if dialect == "postgresql":   # the attack: a table, and a shell command as the server's user
        attack = (f"percent_off > 0)); CREATE TABLE pwned AS SELECT current_user; "
                  f"COPY (SELECT 1) TO PROGRAM 'id > {shell_out}'; SELECT ((1")
    else:                         # one statement per execute there: a column smuggled into the table
        attack = "percent_off > 0), pwned INTEGER, CHECK (1"
    speak(crafted, dialect)
    set_check(crafted, "coupons", attack)
    try:
        refused(crafted, target, tmp_path, table="coupons", expression=attack)
        assert not shell_out.exists()
    finally:
        shell_out.unlink(missing_ok=True)


@pytest.mark.parametrize("field, column, attack", [("default", "price", "0, pwned INTEGER"),
                                                   ("native", "name", "VARCHAR(60), pwned INTEGER")])
def test_a_default_or_native_type_that_adds_ddl_is_refused(crafted: ModelDir, target: tuple[str, str], tmp_path: Path,
                                                           field: str, column: str, attack: str) -> None:
    speak(crafted, target[0])
    set_column(crafted, "products", column, **{field: attack})
    refused(crafted, target, tmp_path, table="products", expression=attack)


OUTSIDE = ["price > (SELECT MAX(quantity) FROM order_items)", "price > order_items.unit_price", "price > unit_price",
           "price > 0 /* ; DROP TABLE categories */"]


@pytest.mark.parametrize("attack", OUTSIDE[:1])
def test_a_check_reaching_outside_its_table_is_refused(crafted: ModelDir, target: tuple[str, str], tmp_path: Path,
                                                       attack: str) -> None:
    speak(crafted, target[0])
    set_check(crafted, "products", attack)
    refused(crafted, target, tmp_path, table="products", expression=attack)


@pytest.mark.parametrize("attack", OUTSIDE[1:])
def test_another_tables_column_or_a_comment_in_a_check_is_refused(crafted: ModelDir, tmp_path: Path,
                                                                  attack: str) -> None:
    target = ("sqlite", str(tmp_path / "synthetic.db"))    # refused on reading the model: one target is enough
    speak(crafted, target[0])
    set_check(crafted, "products", attack)
    refused(crafted, target, tmp_path, table="products", expression=attack)


FUNCTIONS = {"postgresql": ["pg_read_file('/etc/passwd') IS NOT NULL",
                            "lo_export(lo_import('/etc/passwd'), '/tmp/pwned') > 0"],
             "mysql": ["sys_exec('id') = 0", "LOAD_FILE('/etc/passwd') IS NULL"],
             "sqlite": ["load_extension('/tmp/evil.so') IS NULL", "readfile('/etc/passwd') IS NULL"]}


@pytest.mark.parametrize("which", [0, 1])
def test_a_check_calling_a_function_not_allowed_is_refused(crafted: ModelDir, target: tuple[str, str],
                                                           tmp_path: Path, which: int) -> None:
    dialect, _ = target
    attack = f"price > 0 OR {FUNCTIONS[dialect][which]}"
    speak(crafted, dialect)
    set_check(crafted, "products", attack)
    refused(crafted, target, tmp_path, table="products", expression=attack)


def test_a_default_calling_a_function_not_allowed_is_refused(crafted: ModelDir, target: tuple[str, str],
                                                             tmp_path: Path) -> None:
    dialect, _ = target
    attack = FUNCTIONS[dialect][0].split(" IS ")[0]
    speak(crafted, dialect)
    set_column(crafted, "products", "name", default=attack)
    refused(crafted, target, tmp_path, table="products", expression=attack)


# --------------------------------------------------------------------------- genuine SQL stays

def test_names_with_quotes_and_semicolons_are_created_as_names(tmp_path: Path) -> None:
    """Identifiers go through SQLAlchemy's quoting: a column named like an attack is just that column."""
    name = 'x"; DROP TABLE y; --'
    source = tmp_path / "source.db"
    with sqlite3.connect(source) as con:
        con.execute("CREATE TABLE y (id INTEGER PRIMARY KEY, v TEXT)")
        con.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, "x""; DROP TABLE y; --" INTEGER CHECK '
                    '("x""; DROP TABLE y; --" >= 0), y_id INTEGER REFERENCES y(id))')
        con.executemany("INSERT INTO y VALUES (?, ?)", [(i, f"v{i % 3}") for i in range(1, 41)])
        con.executemany("INSERT INTO t VALUES (?, ?, ?)", [(i, i % 7, i % 40 + 1) for i in range(1, 121)])
    model, target = tmp_path / "model", tmp_path / "synthetic.db"
    assert relsynth("train", str(source), "-o", str(model), "--quiet").returncode == 0
    run = relsynth("generate", str(model), str(target), "--quiet")
    assert run.returncode == 0, run.stderr
    assert sqlite_tables(target) == ["t", "y"]
    with sqlite3.connect(target) as con:
        assert [row[1] for row in con.execute('PRAGMA table_info("t")')] == ["id", name, "y_id"]
        assert con.execute(f'SELECT MIN("{name.replace(chr(34), chr(34) * 2)}") FROM t').fetchone()[0] >= 0
        assert con.execute("SELECT COUNT(*) FROM y").fetchone()[0] > 0


def test_a_genuine_check_outside_the_list_is_dropped_from_a_model_and_kept_by_a_clone(tmp_path: Path) -> None:
    """A model directory is untrusted: its checks and defaults must be allowed expressions. A
    clone runs the source's own DDL (the source is the user's), verbatim."""
    source = tmp_path / "source.db"
    with sqlite3.connect(source) as con:
        con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, code TEXT CHECK (typeof(code) = 'text'), "
                    "n INTEGER DEFAULT (random()) CHECK (n >= 0))")
        con.executemany("INSERT INTO t VALUES (?, ?, ?)", [(i, f"c{i % 5}", i % 9) for i in range(1, 101)])
    model, target = tmp_path / "model", tmp_path / "synthetic.db"
    trained = relsynth("train", str(source), "-o", str(model), "--quiet")
    assert trained.returncode == 0
    assert "t: check \"typeof(code) = 'text'\" is refused" in trained.stderr and "dropped" in trained.stderr
    assert "t.n: default 'random()' is refused" in trained.stderr and "kept without it" in trained.stderr
    run = relsynth("generate", str(model), str(target), "--quiet")
    assert run.returncode == 0, run.stderr
    with sqlite3.connect(target) as con:
        ddl = con.execute("SELECT sql FROM sqlite_master WHERE name = 't'").fetchone()[0]
        assert "typeof" not in ddl and "random" not in ddl and "n >= 0" in ddl
        assert con.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 100
    cloned = tmp_path / "clone.db"
    assert relsynth("clone", str(source), str(cloned), "--quiet").returncode == 0
    with sqlite3.connect(cloned) as con, sqlite3.connect(source) as real:
        query = "SELECT sql FROM sqlite_master WHERE name = 't'"
        assert con.execute(query).fetchone() == real.execute(query).fetchone()
        assert con.execute("SELECT COUNT(*) FROM t WHERE typeof(code) = 'text'").fetchone()[0] == 100


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("*.sqlite")))
def test_every_fixture_check_is_accepted_and_means_the_same(fixture: str) -> None:
    """Each check of the fixtures, re-rendered from its parse tree, holds on exactly the same rows."""
    from relsynth.schema.expressions import safe_expression

    engine = sa.create_engine(f"sqlite:///file:{FIXTURES / fixture}?mode=ro&uri=true")
    metadata = sa.MetaData()
    metadata.reflect(engine)
    seen = 0
    with engine.connect() as conn:
        for table in metadata.tables.values():
            columns = [c.name for c in table.columns]
            for check in (c for c in table.constraints if isinstance(c, sa.CheckConstraint)):
                original = str(check.sqltext)
                rendered = safe_expression(original, dialect="sqlite", table=table.name, columns=columns, kind="check")
                differ = conn.exec_driver_sql(f'SELECT COUNT(*) FROM "{table.name}" '
                                              f"WHERE ({original}) IS NOT ({rendered})").scalar()
                assert differ == 0, (table.name, original, rendered)
                seen += 1
            for col in table.columns:
                if col.server_default is not None:
                    safe_expression(str(col.server_default.arg), dialect="sqlite", table=table.name,
                                    columns=columns, kind="default")
                    seen += 1
    engine.dispose()
    assert seen >= 2


def test_a_schema_built_in_code_is_checked_before_the_writer_connects(tmp_path: Path) -> None:
    """The Python API can hand write_database a Schema that never went through a model file."""
    import pandas as pd

    from relsynth.errors import UnsafeExpression
    from relsynth.schema.kinds import Kind
    from relsynth.schema.model import CheckConstraint, Column, Schema, Table
    from relsynth.write import write_database

    table = Table(name="t", columns=(Column(name="x", type={"generic": "integer"}, nullable=False,
                                            kind=Kind.INTEGER),),
                  checks=(CheckConstraint(sqltext="x > 0); ATTACH DATABASE 'pwned.db' AS p; --"),))
    target = tmp_path / "target.sqlite"
    with pytest.raises(UnsafeExpression, match="ATTACH"):
        write_database(Schema(dialect="sqlite", tables=(table,)), {"t": pd.DataFrame({"x": [1]})},
                       f"sqlite:///{target}", order=["t"])
    assert not target.exists() and not (tmp_path / "pwned.db").exists()
