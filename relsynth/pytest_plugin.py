"""pytest fixtures that give a test session a synthetic database (see docs/testing.md).

Configured in ``pytest.ini`` / ``pyproject.toml`` (``[tool.pytest.ini_options]``) or on the
command line (``--relsynth-model`` ...); exactly one of the three sources:

    relsynth_model = tests/relsynth-model        # a model directory from `relsynth train` (committed)
    relsynth_source = env:STAGING_URL            # or: learn a database at the start of the session
    relsynth_metadata = myapp.models:Base        # or: the SQLAlchemy models alone (`relsynth seed`)
    relsynth_url = postgresql://ci@localhost/postgres   # the server to write to; default a temp SQLite file
    relsynth_rows = orders=50 customers=10       # per table (or one N for every table, with metadata)
    relsynth_seed = 7
    relsynth_isolate = database                  # or schema: one schema per worker in relsynth_url's database
    relsynth_trust_ddl = true                    # create the model's views, functions, triggers (your own model)

Fixtures: ``relsynth_database`` (session scope: generated once per session and per xdist worker
into ``rs_test_<worker id>``, a database or a schema made for it and dropped at the end; has
``.url`` and ``.engine``), ``relsynth_db`` (a Connection inside a transaction rolled back after
each test) and ``relsynth_generate`` (a factory: another database with other rows or seed, for
one test). The marker ``@pytest.mark.relsynth(rows=..., seed=...)`` gives one test's
``relsynth_db`` such a database of its own.

This module is loaded into every pytest session of an environment with relsynth installed, so it
imports nothing heavy: relsynth, SQLAlchemy and pandas load when a fixture is first used.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import pytest

OPTIONS = {   # ini name -> help; the command line takes --relsynth-NAME
    "relsynth_model": "model directory written by `relsynth train` (relative to the rootdir)",
    "relsynth_source": "database URL to learn at the start of the session (instead of a model)",
    "relsynth_metadata": "MODULE:ATTRIBUTE of SQLAlchemy models to seed from (instead of a model)",
    "relsynth_url": "server to generate into (a database per worker is made there); default: a temp SQLite file",
    "relsynth_rows": "rows per table: 'orders=50 customers=10' (or one N for every table, with metadata)",
    "relsynth_seed": "seed of the generated rows (default 0: the same rows every run)",
    "relsynth_isolate": "'database' (default): a database per worker; 'schema': a schema in relsynth_url's database",
    "relsynth_prefix": "name prefix of the databases made (default rs_test_)",
    "relsynth_trust_ddl": "'true': create the views, functions and triggers the model directory holds as SQL "
                          "(a directory you made; see relsynth generate --trust-ddl)",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("relsynth", "synthetic test databases (relsynth)")
    for name, text in OPTIONS.items():
        parser.addini(name, text, default=None)
        group.addoption("--" + name.replace("_", "-"), dest=name, default=None, help=text)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "relsynth(rows=None, seed=None): give this test's relsynth_db a database "
                                       "of its own with these rows or this seed")


@dataclass
class Settings:
    model: Path | None = None
    source: str | None = None
    metadata: str | None = None
    url: str | None = None
    rows: dict[str, int] = field(default_factory=dict)
    seed: int = 0
    isolate: str = "database"
    prefix: str = "rs_test_"
    trust_ddl: bool = False

    @classmethod
    def read(cls, config: pytest.Config) -> "Settings":
        def get(name: str) -> str | None:
            value = config.getoption(name, default=None) or config.getini(name)
            return str(value).strip() if value else None

        model, seed = get("relsynth_model"), get("relsynth_seed") or "0"
        if not seed.isdigit():
            raise pytest.UsageError(f"relsynth_seed must be a whole number, not {seed!r} "
                                    "(an ini file takes no comment at the end of a line)")
        settings = cls(model=(config.rootpath / model) if model else None, source=get("relsynth_source"),
                       metadata=get("relsynth_metadata"), url=get("relsynth_url"),
                       rows=parse_rows(get("relsynth_rows") or ""), seed=int(seed),
                       isolate=get("relsynth_isolate") or "database", prefix=get("relsynth_prefix") or "rs_test_",
                       trust_ddl=(get("relsynth_trust_ddl") or "false").lower() in ("true", "yes", "1", "on"))
        given = [n for n in ("model", "source", "metadata") if getattr(settings, n)]
        if len(given) != 1:
            raise pytest.UsageError("relsynth: set exactly one of relsynth_model, relsynth_source and "
                                    f"relsynth_metadata (in pytest.ini or as --relsynth-...); got {given or 'none'}")
        if settings.isolate not in ("database", "schema"):
            raise pytest.UsageError(f"relsynth_isolate must be database or schema, not {settings.isolate!r}")
        return settings


def parse_rows(text: str) -> dict[str, int]:
    """``'orders=50 customers=10'`` (spaces or commas) as a dict; a bare ``N`` is ``{'*': N}``."""
    out: dict[str, int] = {}
    for item in filter(None, re.split(r"[\s,]+", text)):
        table, sep, count = item.rpartition("=")
        if not count.isdigit() or (sep and not table):
            raise pytest.UsageError(f"relsynth_rows: {item!r} is not TABLE=COUNT (e.g. orders=50)")
        out[table if sep else "*"] = int(count)
    return out


@dataclass
class RelsynthDatabase:
    """One generated database: ``url`` (password included: it is the test's own), ``engine``
    (SQLAlchemy), ``name`` (the database, schema or file made for it), ``rows`` written per table."""
    url: str
    name: str
    rows: dict[str, int]
    _engine: Any = field(default=None, repr=False)

    @property
    def engine(self):
        if self._engine is None:
            import sqlalchemy as sa

            self._engine = sa.create_engine(self.url)
        return self._engine

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


class _Place:
    """Where a worker's databases go: a database (or schema) on a server, or SQLite files."""

    def __init__(self, settings: Settings, folder: Path, worker: str) -> None:
        self.settings, self.folder, self.worker = settings, folder, worker

    def make(self, suffix: str = "") -> tuple[str, str, str | None]:
        """A fresh, empty place: its name, the URL to write to and the schema argument of relsynth."""
        name = f"{self.settings.prefix}{self.worker}{suffix}"
        if not self.settings.url:
            path = self.folder / f"{name}.sqlite"
            path.unlink(missing_ok=True)
            return name, f"sqlite:///{path}", None
        from relsynth.urls import resolve_url

        server = resolve_url(self.settings.url)
        if server.get_backend_name() == "sqlite":
            raise pytest.UsageError("relsynth_url: leave it out for SQLite (each worker gets a temporary file)")
        if self.settings.isolate == "schema":
            self._drop(server, name)           # a killed session's leftover: ours by its name
            return name, server.render_as_string(hide_password=False), name
        self._drop(server, name)
        self._admin(server, f"CREATE DATABASE {self._quoted(server, name)}"
                    + ("" if server.get_backend_name() == "postgresql" else " CHARACTER SET utf8mb4"))
        return name, server.set(database=name).render_as_string(hide_password=False), None

    def drop(self, name: str) -> None:
        if not self.settings.url:
            (self.folder / f"{name}.sqlite").unlink(missing_ok=True)
            return
        from relsynth.urls import resolve_url

        self._drop(resolve_url(self.settings.url), name)

    def _drop(self, server, name: str) -> None:
        quoted = self._quoted(server, name)
        if server.get_backend_name() == "postgresql":
            self._admin(server, f"DROP SCHEMA IF EXISTS {quoted} CASCADE" if self.settings.isolate == "schema"
                        else f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
        else:
            self._admin(server, f"DROP DATABASE IF EXISTS {quoted}")

    @staticmethod
    def _quoted(server, name: str) -> str:
        return f'"{name}"' if server.get_backend_name() == "postgresql" else f"`{name}`"

    @staticmethod
    def _admin(server, statement: str) -> None:
        import sqlalchemy as sa

        engine = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql(statement)
        finally:
            engine.dispose()


def _generate(settings: Settings, url: str, schema: str | None, rows: Mapping[str, int], seed: int):
    """Write the rows into ``url`` from the configured model, source or models."""
    if settings.metadata:
        from relsynth.seeding import seed as from_models

        return from_models(settings.metadata, url, rows=dict(rows) or None, seed=seed, schema=schema)
    if "*" in rows:
        raise pytest.UsageError("relsynth_rows: a bare N (every table) needs relsynth_metadata; give TABLE=COUNT")
    from relsynth import api

    if settings.model:
        from relsynth.synthesizer import Synthesizer

        return api.generate(Synthesizer.load(settings.model), url, rows=dict(rows), seed=seed, schema=schema,
                            trust_ddl=settings.trust_ddl)
    synth = api.train(settings.source, seed=seed)
    return api.generate(synth, url, rows=dict(rows), seed=seed, schema=schema)


def _scoped_url(url: str, schema: str | None) -> str:
    """The URL whose connections see ``schema`` first (it exists already)."""
    if not schema:
        return url
    import sqlalchemy as sa

    from relsynth.write.target import in_schema

    return in_schema(sa.make_url(url), schema, create=False).render_as_string(hide_password=False)


class _Maker:
    """Makes, fills and drops a worker's databases."""

    def __init__(self, settings: Settings, place: _Place) -> None:
        self.settings, self.place, self.count = settings, place, 0

    def create(self, rows: Mapping[str, int] | None = None, seed: int | None = None,
               suffix: str = "") -> RelsynthDatabase:
        name, url, schema = self.place.make(suffix)
        rows = {**self.settings.rows, **(rows or {})}
        try:
            result = _generate(self.settings, url, schema, rows, self.settings.seed if seed is None else seed)
        except BaseException:
            self.place.drop(name)
            raise
        if not result.passed:
            self.place.drop(name)
            failed = "; ".join(f"{c.table}: {c.name}" for c in result.checks if not c.passed)
            pytest.fail(f"relsynth: the generated database breaks constraints: {failed}", pytrace=False)
        return RelsynthDatabase(url=_scoped_url(url, schema), name=name, rows=dict(result.rows))

    def destroy(self, database: RelsynthDatabase) -> None:
        database.dispose()
        self.place.drop(database.name)


def _worker(config: pytest.Config) -> str:
    workerinput = getattr(config, "workerinput", None)   # set by pytest-xdist on its workers
    return str(workerinput["workerid"]) if workerinput else os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def _relsynth_maker(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> _Maker:
    settings = Settings.read(pytestconfig)
    folder = tmp_path_factory.mktemp("relsynth") if not settings.url else Path(tempfile.gettempdir())
    return _Maker(settings, _Place(settings, folder, _worker(pytestconfig)))


@pytest.fixture(scope="session")
def relsynth_database(_relsynth_maker: _Maker) -> Iterator[RelsynthDatabase]:
    """The session's synthetic database (one per xdist worker), dropped at the end."""
    database = _relsynth_maker.create()
    try:
        yield database
    finally:
        _relsynth_maker.destroy(database)


@pytest.fixture
def relsynth_generate(_relsynth_maker: _Maker) -> Iterator[Callable[..., RelsynthDatabase]]:
    """A factory: ``relsynth_generate(rows={'orders': 5}, seed=3)`` makes another database for this
    test (dropped after it), with these rows over the configured ones."""
    made: list[RelsynthDatabase] = []

    def make(rows: Mapping[str, int] | None = None, seed: int | None = None) -> RelsynthDatabase:
        _relsynth_maker.count += 1
        database = _relsynth_maker.create(rows=rows, seed=seed, suffix=f"_t{_relsynth_maker.count}")
        made.append(database)
        return database

    yield make
    for database in made:
        _relsynth_maker.destroy(database)


@pytest.fixture
def relsynth_db(request: pytest.FixtureRequest):
    """A SQLAlchemy Connection to the synthetic database, inside a transaction rolled back after the
    test: no test sees another's writes. ``@pytest.mark.relsynth(rows=..., seed=...)``: a database of
    the test's own. For an ORM session: ``Session(bind=relsynth_db, join_transaction_mode="create_savepoint")``."""
    marker = request.node.get_closest_marker("relsynth")
    if marker is not None:
        database = request.getfixturevalue("relsynth_generate")(**marker.kwargs)
    else:
        database = request.getfixturevalue("relsynth_database")
    connection = database.engine.connect()
    transaction = connection.begin()
    try:
        yield connection
    finally:
        if transaction.is_active:
            transaction.rollback()
        connection.close()
