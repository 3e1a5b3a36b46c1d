"""A MariaDB -> MariaDB clone carries every schema object exactly (issue 14).

A hand-made database with what the portable records lose: a non-unique index, foreign keys
with ON DELETE actions, ON UPDATE CURRENT_TIMESTAMP, comments and table options, a view on a
view, a function, a procedure with a multi-statement body, a trigger that writes an audit row
and an event. The clone's ``mysqldump --no-data`` equals the source's (definers aside), the
trigger never fires on the synthetic rows but does on a later INSERT, and a replace names the
target's objects it drops.
"""

from __future__ import annotations

import re
import secrets
from typing import Iterator

import pytest
import sqlalchemy as sa

from relsynth import api
from relsynth.config import Config
from relsynth.errors import Note, TargetError
from relsynth.synthesizer import Synthesizer
from tests.conftest import MARIADB_URL_ENV, execute, fresh_database, query
from tests.schema_dumps import mysql_objects, mysql_schema

pytestmark = pytest.mark.mariadb

PREFIX = "rs_my_"

SCHEMA = [
    "CREATE TABLE dept (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) NOT NULL, "
    "UNIQUE KEY dept_name (name)) ENGINE=InnoDB COMMENT='departments; one a row'",
    "CREATE TABLE person (id INT NOT NULL AUTO_INCREMENT, dept_id INT NOT NULL, manager_id INT NULL, "
    "name VARCHAR(40) NOT NULL COMMENT 'full name', salary DECIMAL(10,2) NOT NULL, "
    "changed TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, "
    "PRIMARY KEY (id), KEY person_name (name), "
    "CONSTRAINT person_dept FOREIGN KEY (dept_id) REFERENCES dept (id) ON DELETE CASCADE ON UPDATE CASCADE, "
    "CONSTRAINT person_manager FOREIGN KEY (manager_id) REFERENCES person (id) ON DELETE SET NULL"
    ") ENGINE=InnoDB ROW_FORMAT=DYNAMIC",
    "CREATE TABLE audit (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, person_id INT NOT NULL, "
    "at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
]
OBJECTS = [
    # named so that the view it uses comes after it in name order
    "CREATE VIEW dept_people AS SELECT d.name, COUNT(*) AS people FROM dept d JOIN person p ON p.dept_id = d.id "
    "GROUP BY d.name",
    "CREATE SQL SECURITY INVOKER VIEW big_depts AS SELECT name FROM dept_people WHERE people > 2",
    "CREATE FUNCTION headcount(d INT) RETURNS INT READS SQL DATA "
    "RETURN (SELECT COUNT(*) FROM person WHERE dept_id = d)",
    "CREATE PROCEDURE raise_all(IN pct INT) MODIFIES SQL DATA BEGIN "
    "DECLARE factor DECIMAL(6,4); SET factor = 1 + pct / 100; "
    "UPDATE person SET salary = salary * factor; END",
    "CREATE TRIGGER person_audit AFTER INSERT ON person FOR EACH ROW "
    "INSERT INTO audit (person_id) VALUES (NEW.id)",
    "CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE "
    "DO DELETE FROM audit WHERE at < NOW() - INTERVAL 30 DAY",
]


def load_source(url: str) -> None:
    rows = [f"({d}, 'dept {d}')" for d in range(1, 6)]
    people = [f"({i}, {1 + i % 5}, {'NULL' if i <= 5 else 1 + (i - 1) % 5}, 'person {i}', {1000 + 37 * i}.50, "
              f"'2019-{1 + i % 12:02d}-{1 + i % 28:02d} 10:00:00')" for i in range(1, 121)]
    execute(url, *SCHEMA, "INSERT INTO dept (id, name) VALUES " + ", ".join(rows),
            "INSERT INTO person (id, dept_id, manager_id, name, salary, changed) VALUES " + ", ".join(people))
    # the trigger comes after the rows, so the source's audit table is empty
    execute(url, "SET SESSION sql_mode = 'ANSI_QUOTES,STRICT_ALL_TABLES'", *OBJECTS)


@pytest.fixture(scope="module")
def synth() -> Iterator[tuple[str, Synthesizer]]:
    with fresh_database(MARIADB_URL_ENV, prefix=PREFIX) as source:
        load_source(source)
        yield source, api.train(source, seed=1)


@pytest.fixture
def target() -> Iterator[str]:
    with fresh_database(MARIADB_URL_ENV, prefix=PREFIX) as url:
        yield url


def test_every_object_comes_along_and_no_trigger_fires_on_the_synthetic_rows(synth, target) -> None:
    source, model = synth
    result = api.generate(model, target, seed=1)
    assert result.passed
    assert mysql_schema(target) == mysql_schema(source)
    assert mysql_objects(target) == mysql_objects(source)
    assert query(target, "SELECT COUNT(*) FROM person")[0][0] == 120
    assert query(target, "SELECT COUNT(*) FROM audit")[0][0] == 0            # the trigger came after the rows
    # a deferred UPDATE (the self-reference) kept each ON UPDATE CURRENT_TIMESTAMP value
    assert query(target, "SELECT COUNT(*) FROM person WHERE manager_id IS NOT NULL")[0][0] > 0
    assert query(target, "SELECT MAX(changed) FROM person")[0][0].year < 2021
    execute(target, "INSERT INTO person (dept_id, name, salary) VALUES (1, 'new', 1.00)")
    assert query(target, "SELECT COUNT(*) FROM audit")[0][0] == 1            # and fires afterwards
    assert query(target, "SELECT headcount(1)")[0][0] == query(target, "SELECT COUNT(*) FROM person WHERE dept_id = 1")[0][0]
    execute(target, "CALL raise_all(10)")
    assert query(target, "SELECT COUNT(*) FROM big_depts")[0][0] >= 0
    execute(target, "DELETE FROM dept WHERE id = 1")                          # ON DELETE CASCADE
    assert query(target, "SELECT COUNT(*) FROM person WHERE dept_id = 1")[0][0] == 0


def test_a_replace_names_the_objects_it_drops(synth, target) -> None:
    source, model = synth
    api.generate(model, target, seed=1)
    execute(target, "CREATE VIEW mine AS SELECT name FROM big_depts")          # the target's own: kept
    with pytest.raises(TargetError, match=r"already has tables"):
        api.generate(model, target, seed=2)
    with pytest.warns(UserWarning) as caught:
        assert api.generate(model, target, seed=2, replace=True).passed
    dropped = [str(w.message) for w in caught if str(w.message).startswith("replacing:")]
    assert dropped == ["replacing: dropped 1 function (headcount), 1 procedure (raise_all), "
                       "2 views (dept_people, big_depts), 1 trigger (person_audit), 1 event (nightly)"]
    assert query(target, "SELECT COUNT(*) FROM mine")[0][0] >= 0               # still resolves
    execute(target, "DROP VIEW mine")
    assert mysql_objects(target) == mysql_objects(source)
    assert query(target, "SELECT COUNT(*) FROM audit")[0][0] == 0


def test_objects_of_the_same_name_on_an_empty_target_are_refused_before_the_write(synth, target) -> None:
    _, model = synth
    execute(target, "CREATE VIEW big_depts AS SELECT 1 AS name")
    with pytest.raises(TargetError, match=r"already has 1 view \(big_depts\)"):
        api.generate(model, target, seed=1)
    assert query(target, "SHOW FULL TABLES") == [("big_depts", "VIEW")]


def test_an_object_the_target_refuses_undoes_the_whole_replace(synth, target) -> None:
    _, model = synth
    api.generate(model, target, seed=1)
    before = query(target, "SELECT id, name, salary, changed FROM person ORDER BY id")
    # another table holds a view's name: its CREATE VIEW fails after the swap
    execute(target, "DROP VIEW big_depts", "CREATE TABLE big_depts (name VARCHAR(40))")
    with pytest.raises(TargetError, match=r"refused to create view big_depts: .*already exists") as info:
        api.generate(model, target, seed=2, replace=True)
    assert "_rs" not in str(info.value)
    assert query(target, "SELECT id, name, salary, changed FROM person ORDER BY id") == before
    assert not [t for (t,) in query(target, "SHOW TABLES") if t.startswith("_rs")]
    assert mysql_objects(target)["triggers"] == 1 and mysql_objects(target)["views"] == 1    # the dropped ones made again
    execute(target, "INSERT INTO person (dept_id, name, salary) VALUES (1, 'new', 1.00)")
    assert query(target, "SELECT COUNT(*) FROM audit")[0][0] == 1


def test_an_excluded_table_leaves_out_what_needs_it(synth, target) -> None:
    source, _ = synth
    with pytest.warns(Note) as caught:
        model = api.train(source, config=Config(exclude=["dept"]), seed=1)
    notes = [str(w.message) for w in caught if "excluded tables" in str(w.message)]
    assert notes == ["left out with the excluded tables: foreign key person_dept of person, view big_depts, "
                     "view dept_people"]
    assert api.generate(model, target, seed=1).passed
    person = query(target, "SHOW CREATE TABLE person")[0][1]
    assert "CONSTRAINT `person_dept`" not in person and "KEY `person_dept` (`dept_id`)" in person  # its index stays
    assert "CONSTRAINT `person_manager` FOREIGN KEY (`manager_id`) REFERENCES `person` (`id`) ON DELETE SET NULL" in person
    got = mysql_objects(target)
    assert (got["tables"], got["views"], got["triggers"], got["functions"], got["procedures"]) == (2, 0, 1, 1, 1)


def test_a_source_user_without_show_view_gets_the_tables_and_a_note(synth, target) -> None:
    source, _ = synth
    url = sa.make_url(source)
    user = f"{PREFIX}{secrets.token_hex(4)}"
    execute(source, f"CREATE USER '{user}'@'%%'", f"GRANT SELECT ON `{url.database}`.* TO '{user}'@'%%'")
    try:
        with pytest.warns(Note, match=r"may not read their definition: view big_depts, view dept_people \(grant"):
            model = api.train(url.set(username=user), seed=1)
    finally:
        execute(source, f"DROP USER '{user}'@'%%'")  # driver SQL: %% is %
    assert api.generate(model, target, seed=1).passed
    for table in ("dept", "person", "audit"):      # the tables are still the source's own
        shown = [re.sub(r" AUTO_INCREMENT=\d+", "", query(u, f"SHOW CREATE TABLE {table}")[0][1]) for u in (source, target)]
        assert shown[0] == shown[1]
    assert mysql_objects(target)["views"] == 0


def test_a_model_directory_runs_its_sql_only_when_trusted(synth, tmp_path) -> None:
    source, model = synth
    model.save(tmp_path / "model")
    loaded = Synthesizer.load(tmp_path / "model")
    with fresh_database(MARIADB_URL_ENV, prefix=PREFIX) as plain:
        with pytest.warns(Note, match="--trust-ddl"):
            assert api.generate(loaded, plain, seed=1).passed
        assert (mysql_objects(plain)["views"], mysql_objects(plain)["triggers"]) == (0, 0)
    with fresh_database(MARIADB_URL_ENV, prefix=PREFIX) as trusted:
        assert api.generate(loaded, trusted, seed=1, trust_ddl=True).passed
        assert mysql_schema(trusted) == mysql_schema(source)
