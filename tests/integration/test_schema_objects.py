"""Same-dialect clones carry every object of the schema, exactly as the source has it.

The test is the dump tool's own view: the normalized ``pg_dump --schema-only`` (or
``sqlite_master``) of the clone equals the source's. Beside it, what a team relies on after a
clone: triggers did not fire on the synthetic rows but fire afterwards, defaults drawing from
a sequence go on past the source's values, FK actions act, materialized views hold rows, a
replace names what it drops, and another dialect's clone lists what it could not carry.
"""

from __future__ import annotations

import shutil
import warnings

import pytest
import sqlalchemy as sa

from relsynth import api
from relsynth.synthesizer import Synthesizer
from tests.conftest import POSTGRES_URL_ENV, fresh_database
from tests.schema_dumps import postgres_schema, sqlite_schema

FIXTURES = ["shop", "company", "flights", "university"]

TEAM_SCHEMA = """
CREATE TYPE task_state AS ENUM ('open', 'doing', 'done');
CREATE DOMAIN positive_int AS integer CHECK (VALUE > 0);
CREATE SEQUENCE project_code_seq START 100;
CREATE TABLE projects (
    id serial CONSTRAINT pk_projects PRIMARY KEY,
    code text NOT NULL DEFAULT 'P-' || nextval('project_code_seq'),
    name text NOT NULL CONSTRAINT uq_projects_name UNIQUE,
    budget positive_int);
COMMENT ON TABLE projects IS 'What the team works on';
CREATE TABLE tasks (
    id serial CONSTRAINT pk_tasks PRIMARY KEY,
    project_id integer NOT NULL CONSTRAINT fk_tasks_project REFERENCES projects ON DELETE CASCADE ON UPDATE CASCADE,
    title text NOT NULL,
    state task_state NOT NULL DEFAULT 'open',
    done boolean NOT NULL DEFAULT false,
    hours numeric(6, 2) CONSTRAINT ck_tasks_hours CHECK (hours >= 0));
CREATE INDEX ix_tasks_project_id_done ON tasks (project_id, done);
CREATE INDEX ix_tasks_open ON tasks (project_id) WHERE NOT done;
CREATE INDEX ix_tasks_title_lower ON tasks (lower(title));
CREATE TABLE audit (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, task_id integer NOT NULL);
CREATE FUNCTION log_task() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO audit (task_id) VALUES (NEW.id); RETURN NEW; END $$;
CREATE TRIGGER tasks_audit AFTER INSERT ON tasks FOR EACH ROW EXECUTE FUNCTION log_task();
CREATE VIEW open_tasks AS SELECT t.id, p.name, t.title FROM tasks t JOIN projects p ON p.id = t.project_id WHERE NOT t.done;
CREATE MATERIALIZED VIEW task_counts AS SELECT project_id, count(*) AS tasks FROM tasks GROUP BY project_id;
"""

TEAM_ROWS = """
INSERT INTO projects (name, budget) SELECT 'project ' || g, 10 + g * 7 % 90 FROM generate_series(1, 40) g;
INSERT INTO tasks (project_id, title, state, done, hours)
  SELECT 1 + g % 40, (ARRAY['Write', 'Review', 'Ship', 'Plan'])[1 + g % 4] || ' step ' || g,
         (ARRAY['open', 'doing', 'done'])[1 + g % 3]::task_state, g % 3 = 2, (g % 17) * 1.5
  FROM generate_series(1, 400) g;
TRUNCATE audit;
REFRESH MATERIALIZED VIEW task_counts;
"""


@pytest.fixture(scope="module")
def team_source():
    with fresh_database(POSTGRES_URL_ENV) as url:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql(TEAM_SCHEMA)
            conn.exec_driver_sql(TEAM_ROWS.replace("%", "%%"))   # no parameters, yet the driver formats
        engine.dispose()
        yield url


@pytest.mark.parametrize("fixture", FIXTURES)
def test_a_sqlite_clone_has_the_source_schema(fixture, tmp_path):
    source = f"fixtures/{fixture}.sqlite"
    target = tmp_path / "clone.db"
    result = api.clone(source, f"sqlite:///{target}")
    assert result.passed
    assert sqlite_schema(str(target)) == sqlite_schema(source)


def test_sqlite_views_and_triggers_come_after_the_rows(tmp_path):
    source = tmp_path / "source.db"
    shutil.copy("fixtures/shop.sqlite", source)
    engine = sa.create_engine(f"sqlite:///{source}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE changes (what TEXT NOT NULL)")
        conn.exec_driver_sql("CREATE TRIGGER customers_changed AFTER INSERT ON customers "
                             "BEGIN INSERT INTO changes VALUES ('customer ' || NEW.id); END")
        conn.exec_driver_sql("CREATE VIEW big_orders AS SELECT * FROM orders WHERE id > 10")
    engine.dispose()
    target = tmp_path / "clone.db"
    api.clone(str(source), f"sqlite:///{target}", rows={"changes": 0})
    assert sqlite_schema(str(target)) == sqlite_schema(str(source))
    engine = sa.create_engine(f"sqlite:///{target}")
    with engine.begin() as conn:
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM changes").scalar() == 0
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM big_orders").scalar() > 0
    engine.dispose()


@pytest.mark.postgres
def test_a_postgres_clone_has_every_object_of_the_source(team_source):
    with fresh_database(POSTGRES_URL_ENV) as target:
        result = api.clone(team_source, target, seed=3)
        assert result.passed
        assert postgres_schema(target) == postgres_schema(team_source)
        engine = sa.create_engine(target)
        with engine.begin() as conn:
            # the trigger was created after the load: no audit row for a synthetic task ...
            assert conn.exec_driver_sql("SELECT COUNT(*) FROM audit").scalar() == 0
            assert conn.exec_driver_sql("SELECT COUNT(*) FROM task_counts").scalar() > 0   # refreshed
            project = conn.exec_driver_sql("INSERT INTO projects (name) VALUES ('new one') RETURNING id, code").one()
            # ... but fires on the application's rows; keys and codes go on past the source's
            task = conn.exec_driver_sql(f"INSERT INTO tasks (project_id, title) VALUES ({project.id}, 'first') "
                                        "RETURNING id").scalar()
            assert conn.exec_driver_sql("SELECT task_id FROM audit").scalars().all() == [task]
            assert project.id > 40 and task > 400
            assert project.code == "P-140"      # the sequence started at 100 and gave 40 codes in the source
            # ON DELETE CASCADE is there
            conn.exec_driver_sql(f"DELETE FROM projects WHERE id = {project.id}")
            assert conn.exec_driver_sql(f"SELECT COUNT(*) FROM tasks WHERE id = {task}").scalar() == 0
        engine.dispose()


@pytest.mark.postgres
def test_replace_names_every_object_it_drops(team_source):
    with fresh_database(POSTGRES_URL_ENV) as target:
        api.clone(team_source, target)
        engine = sa.create_engine(target)
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE VIEW tasks_per_state AS SELECT state, count(*) FROM tasks GROUP BY state")
        engine.dispose()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            api.clone(team_source, target, replace=True)
        said = " ".join(str(w.message) for w in caught if "replacing" in str(w.message))
        for name in ("open_tasks", "tasks_per_state", "task_counts", "log_task()", "projects", "tasks"):
            assert name in said, said
        assert postgres_schema(target) == postgres_schema(team_source)


@pytest.mark.postgres
def test_a_model_directory_creates_objects_only_when_trusted(team_source, tmp_path):
    synth = api.train(team_source)
    synth.save(tmp_path / "model")
    loaded = Synthesizer.load(tmp_path / "model")
    with fresh_database(POSTGRES_URL_ENV) as target:
        with pytest.warns(UserWarning, match="--trust-ddl"):
            api.generate(loaded, target)
        assert postgres_schema(target) != postgres_schema(team_source)
    with fresh_database(POSTGRES_URL_ENV) as target:
        api.generate(loaded, target, trust_ddl=True)
        assert postgres_schema(target) == postgres_schema(team_source)


@pytest.mark.postgres
def test_another_dialect_lists_what_it_could_not_carry(team_source, tmp_path):
    with pytest.warns(UserWarning, match="not carried to sqlite") as caught:
        api.clone(team_source, f"sqlite:///{tmp_path / 'clone.db'}")
    said = " ".join(str(w.message) for w in caught)
    for name in ("open_tasks", "task_counts", "log_task()", "ix_tasks_open", "tasks_audit"):
        assert name in said, said
