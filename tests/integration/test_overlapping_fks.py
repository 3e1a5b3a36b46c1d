"""Foreign keys that share columns (``a -> P(id)`` and ``(a, t) -> Q(p_id, t)``) resolve together."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from relsynth import api
from relsynth.config import Config
from tests.conftest import MARIADB_URL_ENV, POSTGRES_URL_ENV, execute, fresh_database, query

SCHEMA = [
    "CREATE TABLE p (id INTEGER PRIMARY KEY, score INTEGER NOT NULL)",
    "CREATE TABLE q (p_id INTEGER NOT NULL, t INTEGER NOT NULL, weight INTEGER NOT NULL, "
    "PRIMARY KEY (p_id, t), FOREIGN KEY (p_id) REFERENCES p (id))",
    "CREATE TABLE c (id INTEGER PRIMARY KEY, a INTEGER NOT NULL, t INTEGER NOT NULL, amount INTEGER NOT NULL, "
    "FOREIGN KEY (a) REFERENCES p (id), FOREIGN KEY (a, t) REFERENCES q (p_id, t))",
]


def _rows() -> list[str]:
    p = [(i, i * 7 % 50) for i in range(1, 41)]
    q = [(i, t, (i * t) % 13) for i in range(1, 41) for t in range(1, 1 + i % 4)]   # 0 to 3 per p
    c = [(n + 1, pid, t, (pid + n) % 90) for n, (pid, t, _) in enumerate(q * 6)]
    return [f"INSERT INTO p VALUES {', '.join(str(r) for r in p)}",
            f"INSERT INTO q VALUES {', '.join(str(r) for r in q)}",
            f"INSERT INTO c VALUES {', '.join(str(r) for r in c)}"]


def _check(target: str) -> None:
    assert query(target, "SELECT count(*) FROM c")[0][0] > 100
    assert query(target, "SELECT count(*) FROM c LEFT JOIN q ON q.p_id = c.a AND q.t = c.t "
                         "WHERE q.p_id IS NULL")[0][0] == 0
    assert query(target, "SELECT count(*) FROM c LEFT JOIN p ON p.id = c.a WHERE p.id IS NULL")[0][0] == 0


@pytest.mark.parametrize("context", [None, "p", "q"])
def test_sqlite(tmp_path, context: str | None) -> None:
    """Whichever parent conditions the rows (the wider key's or the narrower's), both resolve."""
    source, target = f"sqlite:///{tmp_path / 'source.db'}", f"sqlite:///{tmp_path / 'clone.db'}"
    engine = sa.create_engine(source)
    with engine.begin() as conn:
        for statement in SCHEMA + _rows():
            conn.exec_driver_sql(statement)
    engine.dispose()
    config = Config.model_validate({"tables": {"c": {"context": context}}}) if context else None
    api.clone(source, target, seed=2, config=config)
    _check(target)


@pytest.mark.parametrize("server", [pytest.param(POSTGRES_URL_ENV, marks=pytest.mark.postgres, id="postgres"),
                                    pytest.param(MARIADB_URL_ENV, marks=pytest.mark.mariadb, id="mariadb")])
def test_servers(server: str) -> None:
    with fresh_database(server) as source, fresh_database(server) as target:
        execute(source, *SCHEMA, *_rows())
        assert api.clone(source, target, seed=2).passed
        _check(target)
