"""A target that is the source is refused, however its URL spells it (issue 11, part 2).

Sameness is asked of the servers (PostgreSQL's system identifier, MariaDB's host, port and data
directory, an SQLite file's device and inode), so a left-out default port, ``localhost`` for
``127.0.0.1``, a Unix socket, an ``env:`` URL, a link or another spelling of a path all reach
the source and are refused before any training, the source left byte for byte as it was.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from tests.security.conftest import FIXTURES, relsynth, seed_people

REFUSED = "is the source database"


def _rows(url: str) -> list[tuple]:
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.exec_driver_sql("SELECT id, name, age FROM people ORDER BY id")]
    engine.dispose()
    return rows


def _refusals(source: str, aliases: dict[str, str], check) -> list[str]:
    """Run ``clone SOURCE ALIAS --replace`` for each alias; what went wrong, per alias.
    The alias ``env`` is given as ``env:ALIAS_URL``, the variable holding its value."""
    problems = []
    for label, alias in aliases.items():
        target, env = ("env:ALIAS_URL", {"ALIAS_URL": alias}) if label == "env" else (alias, {})
        out = relsynth("clone", source, target, "--replace", "-q", env=env)
        lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
        if out.returncode != 1 or REFUSED not in out.stderr or len(lines) != 1:
            problems.append(f"{label}: exit {out.returncode}, stderr {out.stderr.strip()[-300:]!r}")
        if not check():
            problems.append(f"{label}: the source changed")
    return problems


def _answer(url: str, sql: str) -> str:
    engine = sa.create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        value = conn.exec_driver_sql(sql).scalar()
    engine.dispose()
    return value


def _postgres_socket(url: str) -> str:
    return _answer(url, "SHOW unix_socket_directories").split(",")[0].strip()


def _assert_every_alias_refused(url: str, aliases: dict[str, str]) -> None:
    seed_people(url)
    before = _rows(url)
    problems = _refusals(url, aliases, lambda: _rows(url) == before)
    assert not problems, "\n".join(problems)


@pytest.mark.postgres
def test_every_alias_of_a_postgres_source_is_refused(pg_database_url):
    url = sa.make_url(pg_database_url)
    user, db, socket_dir = url.username, url.database, _postgres_socket(pg_database_url)
    _assert_every_alias_refused(pg_database_url, {
        "default port left out": f"postgresql://{user}@127.0.0.1/{db}",
        "localhost": f"postgresql://{user}@localhost:5432/{db}",
        "localhost, no port, no driver": f"postgresql://{user}@localhost/{db}",
        "unix socket": f"postgresql://{user}@/{db}?host={socket_dir}",
        "env": f"postgresql+psycopg2://{user}@localhost/{db}",
    })


@pytest.mark.mariadb
def test_every_alias_of_a_mariadb_source_is_refused(mariadb_database_url):
    url = sa.make_url(mariadb_database_url)
    user, db, socket_file = url.username, url.database, _answer(mariadb_database_url, "SELECT @@socket")
    _assert_every_alias_refused(mariadb_database_url, {
        "default port left out": f"mysql+pymysql://{user}@127.0.0.1/{db}",
        "localhost": f"mysql+pymysql://{user}@localhost:3306/{db}",
        "mariadb dialect, no driver": f"mariadb://{user}@localhost/{db}",
        "unix socket": f"mysql+pymysql://{user}@/{db}?unix_socket={socket_file}",
        "env": f"mysql://{user}@localhost/{db}",
    })


@pytest.mark.postgres
def test_another_database_on_the_same_server_is_not_the_source(pg_database_url):
    from relsynth.urls import resolve_url, same_database

    url, socket_dir = sa.make_url(pg_database_url), _postgres_socket(pg_database_url)
    source = resolve_url(pg_database_url)
    # the same database through the socket; another (existing) one, and one not created yet
    assert same_database(source, resolve_url(f"postgresql://{url.username}@/{url.database}?host={socket_dir}"))
    assert not same_database(source, resolve_url(f"postgresql://{url.username}@/postgres?host={socket_dir}"))
    assert not same_database(source, resolve_url(f"postgresql://{url.username}@localhost/{url.database}_not_yet"))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_alias_of_a_sqlite_source_is_refused(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    source = folder / "company.sqlite"
    shutil.copy(FIXTURES / "company.sqlite", source)
    (tmp_path / "link.sqlite").symlink_to(source)
    (tmp_path / "linked-folder").symlink_to(folder)
    os.link(source, tmp_path / "hard.sqlite")
    before = _digest(source)
    aliases = {
        "symlink": str(tmp_path / "link.sqlite"),
        "symlinked folder": str(tmp_path / "linked-folder" / "company.sqlite"),
        "hard link": str(tmp_path / "hard.sqlite"),
        "dots in the path": str(folder / ".." / "data" / "." / "company.sqlite"),
        "sqlite:/// URL": f"sqlite:///{source}",
        "file: URI": f"sqlite:///file:{source}?uri=true",
        "env": f"sqlite:///{tmp_path / 'link.sqlite'}",
    }
    problems = _refusals(str(source), aliases, lambda: _digest(source) == before)
    assert not problems, "\n".join(problems)
    assert sorted(p.name for p in folder.iterdir()) == ["company.sqlite"]      # no journal, no temp file
