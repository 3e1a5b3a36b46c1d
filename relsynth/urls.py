"""Database URLs: from arguments or the environment, opened read-only or for writing.

Passwords never leave this module in clear: everything shown to a user goes through ``shown``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from relsynth.errors import ConnectionFailed, RelsynthError, TargetError

SOURCE_ENV = "RELSYNTH_SOURCE_URL"
TARGET_ENV = "RELSYNTH_TARGET_URL"
_ENV_REF = re.compile(r"^(?:env:|\$\{?)([A-Za-z_][A-Za-z0-9_]*)\}?$")


def resolve_url(value: str | None, *, env_var: str | None = None) -> sa.URL:
    """Turn what the user typed into a URL.

    Accepts a SQLAlchemy URL, a path to an SQLite file, ``env:NAME`` / ``$NAME`` for a URL held in
    an environment variable, or nothing when ``env_var`` names a variable that is set.
    """
    if not value:
        value = os.environ.get(env_var or "", "")
        if not value:
            raise RelsynthError("no database URL given",
                                hint=f"pass a URL, or set {env_var}" if env_var else "pass a URL")
    ref = _ENV_REF.match(value.strip())
    if ref:
        name = ref.group(1)
        value = os.environ.get(name, "")
        if not value:
            raise RelsynthError(f"environment variable {name} is not set", hint=f"export {name}=URL")
    if "://" not in value:
        return sa.URL.create("sqlite", database=value)
    try:
        return make_url(value)
    except Exception:
        raise RelsynthError("not a database URL: " + _scrub(value),
                            hint="use dialect+driver://user@host:port/database or a path to an SQLite file") from None


def shown(url: sa.URL) -> str:
    return url.render_as_string(hide_password=True)


def _scrub(text: str) -> str:
    """Hide a password inside free text that may hold a URL."""
    return re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", text)


def sqlite_path(url: sa.URL) -> Path | None:
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).expanduser().resolve()


def same_database(a: sa.URL, b: sa.URL) -> bool:
    if a.get_backend_name() != b.get_backend_name():
        return False
    if a.get_backend_name() == "sqlite":
        pa, pb = sqlite_path(a), sqlite_path(b)
        return pa is not None and pa == pb
    host = lambda u: (u.host or "localhost").replace("127.0.0.1", "localhost")  # noqa: E731
    return (host(a), a.port, a.database) == (host(b), b.port, b.database)


def _with_default_driver(url: sa.URL) -> sa.URL:
    # The drivers installed with relsynth, not SQLAlchemy's defaults (psycopg 3, mysqlclient).
    if url.drivername in ("mysql", "mariadb"):
        return url.set(drivername=url.drivername + "+pymysql")
    if url.drivername == "postgresql":
        return url.set(drivername="postgresql+psycopg2")
    return url


def source_engine(url: sa.URL) -> sa.Engine:
    """An engine that cannot write: relsynth never changes its source."""
    url = _with_default_driver(url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        path = sqlite_path(url)
        if path is None or not path.is_file():
            raise ConnectionFailed(f"SQLite source {url.database!r} is not a file",
                                   hint="check the path, relative to the current directory")
        engine = sa.create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    elif backend == "postgresql":
        engine = sa.create_engine(url, connect_args={"options": "-c default_transaction_read_only=on"})
    elif backend in ("mysql", "mariadb"):
        engine = sa.create_engine(url)

        @sa.event.listens_for(engine, "connect")
        def _read_only(dbapi_conn, _record):  # every session of the source is read-only
            with dbapi_conn.cursor() as cur:
                cur.execute("SET SESSION TRANSACTION READ ONLY")
    else:
        raise RelsynthError(f"unsupported database {backend!r}", hint="use SQLite, PostgreSQL or MySQL/MariaDB")
    check_connection(engine)
    return engine


def target_url(url: sa.URL, *, source: sa.URL | None = None) -> sa.URL:
    url = _with_default_driver(url)
    if source is not None and same_database(source, url):
        raise TargetError(f"the target {shown(url)} is the source database",
                          hint="choose another target: relsynth never writes to its source")
    return url


def check_connection(engine: sa.Engine) -> None:
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # the driver's message may be long: keep its first line, scrubbed
        first = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConnectionFailed(f"cannot connect to {shown(engine.url)}: {_scrub(first)}") from None
