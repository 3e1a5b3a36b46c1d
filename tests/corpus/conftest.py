"""The real-world corpus (``../shared/corpus`` beside the checkout): public sample databases,
each loaded from its dump into a scratch database of the test servers, once per session.

The dumps are read where they lie, never copied into the repository. A missing corpus folder
fails the tests (it is part of every machine this project runs on); so does a dump that does
not load.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa

from tests.conftest import MARIADB_URL_ENV, POSTGRES_URL_ENV, fresh_database

def _corpus_folder() -> Path:
    """``$RELSYNTH_CORPUS``, else ``../shared/corpus`` beside the checkout, else this workplace's."""
    if os.environ.get("RELSYNTH_CORPUS"):
        return Path(os.environ["RELSYNTH_CORPUS"])
    beside = Path(__file__).resolve().parents[3] / "shared" / "corpus"
    return beside if beside.is_dir() else Path("/work/shared/corpus")


CORPUS = _corpus_folder()


def _dump(*parts: str) -> Path:
    path = CORPUS.joinpath(*parts)
    if not path.is_file():
        pytest.fail(f"corpus dump {path} is missing (set RELSYNTH_CORPUS to the corpus folder)", pytrace=False)
    return path


def _run(command: list[str], *, stdin: str | None = None, cwd: Path | None = None) -> None:
    done = subprocess.run(command, input=stdin, capture_output=True, text=True, cwd=cwd, timeout=600)
    if done.returncode:
        pytest.fail(f"loading the corpus failed: {' '.join(command[:3])}...: {done.stderr.strip()[-500:]}",
                    pytrace=False)


def _psql(url: str, dump: Path) -> None:
    u = sa.make_url(url)
    _run(["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", "-h", u.host or "127.0.0.1", "-p", str(u.port or 5432),
          "-U", u.username or "postgres", "-d", u.database, "-f", str(dump)])


def _mysql(url: str, sql: str, *, cwd: Path | None = None) -> None:
    u = sa.make_url(url)
    command = ["mysql", "-h", u.host or "127.0.0.1", "-P", str(u.port or 3306), "-u", u.username or "root"]
    if u.password:
        command.append(f"-p{u.password}")
    _run(command, stdin=sql, cwd=cwd)


def _load_pagila(url: str) -> None:
    _psql(url, _dump("pagila", "pagila.sql"))


def _load_northwind(url: str) -> None:
    _psql(url, _dump("northwind", "northwind.sql"))


def _load_sakila(url: str) -> None:
    name = sa.make_url(url).database
    _mysql(url, re.sub(r"\bsakila\b", name, _dump("sakila", "sakila-schema.sql").read_text()))
    _mysql(url, re.sub(r"^USE sakila;", f"USE {name};", _dump("sakila", "sakila-data.sql").read_text(), flags=re.M))


def _load_employees(url: str) -> None:
    name = sa.make_url(url).database
    schema = _dump("employees", "employee.sql").read_text()
    schema = "\n".join(line for line in re.sub(r"\bemployee;", f"{name};", schema).splitlines()
                       if "show_elapsed" not in line)
    _mysql(url, schema, cwd=CORPUS / "employees")   # it sources the data files beside it
    _mysql(url, re.sub(r"^use employee;", f"use {name};", _dump("employees", "object.sql").read_text(), flags=re.M))


LOADERS = {"pagila": (POSTGRES_URL_ENV, _load_pagila), "northwind": (POSTGRES_URL_ENV, _load_northwind),
           "sakila": (MARIADB_URL_ENV, _load_sakila), "employees": (MARIADB_URL_ENV, _load_employees)}


@pytest.fixture(scope="session")
def corpus_url() -> Iterator:
    """``corpus_url(NAME)``: the URL of NAME loaded into a scratch database (dropped at the end)."""
    loaded: dict[str, str] = {}
    stack = []

    def load(name: str) -> str:
        if name not in loaded:
            env, loader = LOADERS[name]
            context = fresh_database(env, prefix=f"relsynth_corpus_{name}_")
            url = context.__enter__()
            stack.append(context)
            loader(url)
            loaded[name] = url
        return loaded[name]

    yield load
    for context in reversed(stack):
        context.__exit__(None, None, None)


@pytest.fixture
def scratch_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="relsynth-corpus-") as folder:
        yield Path(folder)
