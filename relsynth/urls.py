"""Database URLs: from arguments or the environment, opened read-only or for writing.

Passwords never leave this module in clear: everything shown to a user goes through ``shown``.
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from relsynth.errors import ConnectionFailed, RelsynthError, TargetError

from relsynth.envvars import SOURCE_ENV, TARGET_ENV  # noqa: F401 - re-exported
_ENV_REF = re.compile(r"^(?:env:|\$\{?)([A-Za-z_][A-Za-z0-9_]*)\}?$")


def resolve_url(value: str | None, *, env_var: str | None = None) -> sa.URL:
    """Turn what the user typed into a URL.

    Accepts a SQLAlchemy URL, a path to an SQLite file, ``env:NAME`` / ``$NAME`` for a URL held in
    an environment variable, or nothing when ``env_var`` names a variable that is set. A path is
    taken as it is: ``?``, ``#`` and ``%`` in a file name are part of the name.
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
        url = _password_folded(make_url(_escaped_userinfo(value)))
    except Exception:
        raise RelsynthError("not a database URL: " + _scrub(value),
                            hint="use dialect+driver://user@host:port/database or a path to an SQLite file") from None
    return _standard_scheme(url)


def _standard_scheme(url: sa.URL) -> sa.URL:
    """``postgres://`` (Heroku, libpq, docker images) is PostgreSQL: SQLAlchemy knows only ``postgresql``."""
    backend, plus, driver = url.drivername.partition("+")
    if backend == "postgres":
        return url.set(drivername="postgresql" + plus + driver)
    return url


def _escaped_userinfo(text: str) -> str:
    """``u:p@ss@host`` means the password ``p@ss``: the host follows the *last* ``@`` of the
    authority. SQLAlchemy splits at the first one, which put ``ss@host`` in the host (and shown)."""
    scheme, _, rest = text.partition("://")
    first_at = rest.find("@")
    ends = [i for i in (rest.find("/"), rest.find("?")) if i >= 0]
    if first_at < 0 or (ends and min(ends) < first_at):
        return text
    after = [i for i in (rest.find("/", first_at), rest.find("?", first_at)) if i >= 0]
    authority_end = min(after) if after else len(rest)
    userinfo, _, hostport = rest[:authority_end].rpartition("@")
    if "@" not in userinfo:
        return text
    user, colon, password = userinfo.partition(":")
    escaped = quote(user, safe="") + (":" + quote(password, safe="") if colon else "")
    return f"{scheme}://{escaped}@{hostport}{rest[authority_end:]}"


_PASSWORD_KEYS = ("password", "passwd")


def _password_folded(url: sa.URL) -> sa.URL:
    """A ``?password=`` (``passwd=``) query parameter moved into the URL's password field, where
    every rendering hides it; the driver gets it the same way."""
    found = [k for k in _PASSWORD_KEYS if k in url.query]
    if not found:
        return url
    value = url.query[found[0]]
    value = value[-1] if isinstance(value, tuple) else value
    return url.set(password=value).difference_update_query(found)


def shown(url: sa.URL) -> str:
    """The URL as a user may see it: no password, wherever the URL carries one."""
    url = _password_folded(url)
    if url.get_backend_name() == "sqlite" and url.database and not url.query:
        return f"sqlite:///{url.database}"      # the file's name as the user wrote it, unescaped
    return _scrub(url.render_as_string(hide_password=True))


def _scrub(text: str) -> str:
    """Hide a password inside free text that may hold a URL or a ``password=`` setting."""
    # up to the '@' that a host follows: an unescaped '@' inside the password leaks no tail
    text = re.sub(r"(://[^:/@\s]*:)\S*?@(?=[^@/?\s]*(?:[/?\s]|$))", r"\1***@", text)
    return re.sub(r"(\b(?:password|passwd)\s*=\s*)('[^']*'|[^&\s]+)", r"\1***", text, flags=re.IGNORECASE)


def sqlite_path(url: sa.URL) -> Path | None:
    """The file an SQLite URL names, links resolved (``file:`` URIs decoded)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    database = url.database
    if str(url.query.get("uri", "")).lower() in ("true", "1") and database.startswith("file:"):
        database = unquote(urlsplit(database).path)
        if not database or database == ":memory:":
            return None
    return Path(database).expanduser().resolve()


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
    if url.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path is None or not path.is_file():
            raise ConnectionFailed(f"SQLite source {url.database!r} is not a file",
                                   hint="check the path, relative to the current directory")
    engine = _read_only_engine(url)
    check_connection(engine, shown_as=url)
    return engine


def _read_only_engine(url: sa.URL, **kw: Any) -> sa.Engine:
    backend = url.get_backend_name()
    if backend == "sqlite":
        # a URI, percent-encoded: '?', '#' and '%' in the file name name that very file
        uri = sa.URL.create("sqlite", database="file:" + quote(str(sqlite_path(url))),
                            query={"mode": "ro", "uri": "true"})
        return sa.create_engine(uri, **kw)
    if backend == "postgresql":
        connect_args = {"options": "-c default_transaction_read_only=on", **kw.pop("connect_args", {})}
        return sa.create_engine(url, connect_args=connect_args, **kw)
    if backend in ("mysql", "mariadb"):
        engine = sa.create_engine(url, **kw)

        @sa.event.listens_for(engine, "connect")
        def _read_only(dbapi_conn, _record):  # every session of the source is read-only
            with dbapi_conn.cursor() as cur:
                cur.execute("SET SESSION TRANSACTION READ ONLY")
        return engine
    raise RelsynthError(f"unsupported database {backend!r}", hint="use SQLite, PostgreSQL or MySQL/MariaDB")


def target_url(url: sa.URL, *, source: sa.URL | None = None, source_schema: str | None = None) -> sa.URL:
    """The target's URL, refused when it is the source (``source_schema``: the schema read there)
    or an SQLite file that cannot be written; checked before any training."""
    url = _with_default_driver(url)
    if url.get_backend_name() == "sqlite":
        _check_sqlite_target(url)
    if source is not None and same_database(source, url, source_schema=source_schema):
        raise TargetError(f"the target {shown(url)} is the source database",
                          hint="choose another target: relsynth never writes to its source")
    return url


def _check_sqlite_target(url: sa.URL) -> None:
    path = sqlite_path(url)
    if path is None:
        return              # in memory: the writer refuses it
    if not path.parent.is_dir():
        raise TargetError(f"folder {path.parent} of the SQLite target does not exist",
                          hint=f"create it first: mkdir -p {path.parent}")
    if not os.access(path.parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise TargetError(f"the SQLite target {path} cannot be written (permission denied)",
                          hint="choose a file in a folder you can write to")


# --------------------------------------------------------------------------- same database?

_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}


def same_database(source: sa.URL, target: sa.URL, *, source_schema: str | None = None) -> bool:
    """Whether writing to ``target`` would write into ``source`` (``source_schema`` read there).

    Asked of the servers, never decided by the URLs' text: ``localhost`` and ``127.0.0.1``, a
    left-out default port, a Unix socket or a symlinked file all reach the same database.
    SQLite: the same device and inode. PostgreSQL: the cluster's ``system_identifier`` (else its
    data directory, else its address) plus the database and schema. MySQL: ``@@server_uuid``;
    MariaDB: ``@@hostname``, ``@@port``, ``@@datadir``, ``@@server_id``; plus the database. A
    target database that does not exist yet is not the source. Both are opened read-only.
    """
    source, target = _with_default_driver(source), _with_default_driver(target)
    family = {"mariadb": "mysql"}
    backend = source.get_backend_name()
    if family.get(backend, backend) != family.get(target.get_backend_name(), target.get_backend_name()):
        return False
    if backend == "sqlite":
        a, b = _file_identity(source), _file_identity(target)
        return a is not None and a == b
    a = _server_identity(source, schema=source_schema)
    b = _server_identity(target, schema=None)
    if a is None or b is None:
        return False
    (servers_a, place_a), (servers_b, place_b) = a, b
    if place_a != place_b:
        return False
    common = [kind for kind in servers_a if kind in servers_b]
    if common:
        return servers_a[common[0]] == servers_b[common[0]]
    return _network_identity(source) == _network_identity(target)     # the servers cannot tell


def _file_identity(url: sa.URL) -> tuple[int, int] | None:
    path = sqlite_path(url)
    if path is None or not path.exists():
        return None
    stat = path.stat()
    return stat.st_dev, stat.st_ino


_Identity = tuple[dict[str, object], tuple[object, ...]]     # server facts by kind, database (+ schema)


def _server_identity(url: sa.URL, *, schema: str | None) -> _Identity | None:
    """What the server says about itself and the database ``url`` opens; None when that
    database does not exist."""
    engine = _read_only_engine(url, poolclass=sa.pool.NullPool, **_timeout(url))
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")    # a refused query spoils nothing
            if url.get_backend_name() == "postgresql":
                return _postgres_identity(conn, schema)
            return _mysql_identity(conn, schema)
    except sa.exc.DBAPIError as exc:
        message = _first_line(exc)
        code = exc.orig.args[0] if exc.orig is not None and exc.orig.args else None
        if re.search(r'database ".*" does not exist', message) or code == 1049:
            return None
        raise ConnectionFailed(f"cannot connect to {shown(url)}: {_scrub(message)}") from None
    finally:
        engine.dispose()


def _postgres_identity(conn: sa.Connection, schema: str | None) -> _Identity:
    database, current = conn.exec_driver_sql("SELECT current_database(), current_schema()").one()
    servers = {}
    for kind, sql in (("system", "SELECT system_identifier::text FROM pg_control_system()"),
                      ("data", "SELECT current_setting('data_directory')"),   # superuser or pg_read_all_settings
                      ("address", "SELECT host(inet_server_addr()) || ' ' || inet_server_port()")):  # NULL on a socket
        value = _answer(conn, sql)
        if value is not None:
            servers[kind] = value
    return servers, (database, schema or current)


def _mysql_identity(conn: sa.Connection, schema: str | None) -> _Identity:
    servers = {}
    uuid = _answer(conn, "SELECT @@server_uuid")       # MySQL only
    if uuid is not None:
        servers["uuid"] = uuid
    servers["instance"] = tuple(conn.exec_driver_sql("SELECT @@hostname, @@port, @@datadir, @@server_id").one())
    return servers, (schema or conn.exec_driver_sql("SELECT DATABASE()").scalar(),)


def _answer(conn: sa.Connection, sql: str) -> object | None:
    try:
        return conn.exec_driver_sql(sql).scalar()
    except sa.exc.DBAPIError:        # not allowed, or not this server's
        return None


def _network_identity(url: sa.URL) -> tuple[object, ...]:
    """Where the URL's connection goes: a socket's file, or the host's addresses and the port."""
    backend = {"mariadb": "mysql"}.get(url.get_backend_name(), url.get_backend_name())
    socket_path = url.query.get("unix_socket") or url.query.get("host") or url.host or ""
    socket_path = socket_path[-1] if isinstance(socket_path, tuple) else socket_path
    if socket_path.startswith("/"):
        return "socket", os.path.realpath(socket_path)
    port = url.port or _DEFAULT_PORTS.get(backend)
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(url.host or "localhost", port)}
    except OSError:
        addresses = {url.host}
    return "network", frozenset(addresses), port


def _timeout(url: sa.URL) -> dict[str, object]:
    # an unreachable host fails in seconds (an explicit connect_timeout in the URL wins)
    return {} if "connect_timeout" in url.query else {"connect_args": {"connect_timeout": 10}}


def _first_line(exc: sa.exc.DBAPIError) -> str:
    text = str(exc.orig if exc.orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def check_connection(engine: sa.Engine, *, shown_as: sa.URL | None = None) -> None:
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except Exception as exc:  # the driver's message may be long: keep its first line, scrubbed
        first = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConnectionFailed(f"cannot connect to {shown(shown_as or engine.url)}: {_scrub(first)}") from None
