"""A PostgreSQL schema's objects as ``pg_dump`` writes them.

``pg_dump --schema-only`` is the real component here: it knows every kind of object, the
order they must be created in, and how each server version spells them. Its plain output is
split at the table-of-contents headers it writes before each object
(``-- Name: actor; Type: TABLE; Schema: public; Owner: -``); the ``pre-data`` section runs
before the rows, ``post-data`` (keys, indexes, triggers) after them. Owners and privileges
are left out: they name roles of the source's server.

The password reaches pg_dump through its environment, never its command line.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import warnings
from typing import Sequence

import sqlalchemy as sa

from relsynth.errors import Note
from relsynth.schema.objects import POST, PRE, NativeSchema, SchemaObject

_HEADER = re.compile(r"^--\n-- Name: (?P<name>.*?); Type: (?P<kind>[^;]+); Schema: (?P<schema>[^;]+); Owner: [^\n]*\n--\n",
                     re.M)
_END = "\n--\n-- PostgreSQL database dump complete"
# kinds whose TOC name is "<table> <object>"
_ON_TABLE = frozenset({"CONSTRAINT", "FK CONSTRAINT", "TRIGGER", "DEFAULT", "RULE", "POLICY", "ROW SECURITY"})
_INDEX_ON = re.compile(r"\bON (?:ONLY )?(?:\"?[^\s.\"]+\"?\.)?\"?(?P<table>[^\s\"(]+)\"?", re.I)
_VERSION = re.compile(r"(\d+)(?:\.(\d+))?")
TIMEOUT_S = 600


def read_postgres(engine: sa.Engine, *, schema_name: str | None, excluded: Sequence[str] = ()) -> NativeSchema | None:
    """Every object of ``schema_name`` (public by default), or None with a Note when pg_dump
    is missing or fails (the writer then creates tables, keys and checks only)."""
    schema = schema_name or "public"
    with engine.connect() as conn:
        server = conn.dialect.server_version_info or (0,)
        sequences = _sequence_positions(conn, schema)
    tool = find_pg_dump(server[0])
    if tool is None:
        warnings.warn(f"pg_dump {server[0]} or newer was not found, so views, functions, triggers, indexes and "
                      f"other objects beside the tables are not carried; install the PostgreSQL client tools "
                      f"(e.g. postgresql-client-{server[0]}) or set RELSYNTH_PG_DUMP", Note, stacklevel=3)
        return None
    path, version = tool
    objects: list[SchemaObject] = []
    for section, name in ((PRE, "pre-data"), (POST, "post-data")):
        text = _dump(path, engine.url, [f"--section={name}", *_excludes(schema, excluded)])
        if text is None:
            return None
        objects += split_dump(text, section, schema)
    return NativeSchema(dialect="postgresql", tool=f"pg_dump {version}", objects=tuple(objects), sequences=sequences)


def find_pg_dump(server_major: int) -> tuple[str, str] | None:
    """The pg_dump to use and its version: RELSYNTH_PG_DUMP, else the first on PATH or in the
    usual install folders whose major version is at least the server's (an older pg_dump
    refuses a newer server)."""
    chosen = os.environ.get("RELSYNTH_PG_DUMP")
    candidates = [chosen] if chosen else [shutil.which("pg_dump"),
                                          *sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"), reverse=True),
                                          *sorted(glob.glob("/usr/pgsql-*/bin/pg_dump"), reverse=True),
                                          *sorted(glob.glob("/opt/homebrew/opt/postgresql@*/bin/pg_dump"), reverse=True)]
    for path in filter(None, candidates):
        try:
            out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        found = _VERSION.search(out.rsplit(")", 1)[-1]) or _VERSION.search(out)
        if found and int(found.group(1)) >= server_major:
            return path, found.group(0)
    return None


def _pg_environment(url: sa.URL) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update({"PGHOST": url.host or "", "PGPORT": str(url.port or 5432), "PGDATABASE": url.database or "",
                "PGUSER": url.username or "", "PGCONNECT_TIMEOUT": "10"})
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    for key, value in url.query.items():     # sslmode=require and the like
        if key in ("sslmode", "sslrootcert", "sslcert", "sslkey", "options", "application_name"):
            env["PG" + key.upper()] = value if isinstance(value, str) else value[-1]
    return {k: v for k, v in env.items() if v != ""}


def _excludes(schema: str, excluded: Sequence[str]) -> list[str]:
    # pg_dump's -T takes a pattern: quote the names so case, dots and wildcards are literal
    return [f"--exclude-table={_pattern(schema)}.{_pattern(t)}" for t in excluded]


def _pattern(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _dump(path: str, url: sa.URL, args: list[str]) -> str | None:
    command = [path, "--schema-only", "--no-owner", "--no-privileges", "--no-password", *args]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, env=_pg_environment(url))
    except (OSError, subprocess.SubprocessError) as exc:
        warnings.warn(f"pg_dump could not run ({exc}); only tables, keys and checks are carried", Note, stacklevel=4)
        return None
    if done.returncode != 0:
        error = (done.stderr.strip().splitlines() or ["no message"])[-1]
        warnings.warn(f"pg_dump failed ({error}); only tables, keys and checks are carried", Note, stacklevel=4)
        return None
    return done.stdout


def split_dump(text: str, section: str, schema: str) -> list[SchemaObject]:
    """The objects of a plain pg_dump script that belong to ``schema`` (or to no schema, as an
    extension does), each with the SQL that follows its header."""
    text = text.split(_END, 1)[0]
    headers = list(_HEADER.finditer(text))
    objects = []
    for header, following in zip(headers, headers[1:] + [None]):
        owner = header["schema"]
        if owner not in (schema, "-"):
            continue
        body = text[header.end():following.start() if following else len(text)]
        sql = "\n".join(line for line in body.splitlines() if not line.startswith("\\")).strip()
        if not sql:
            continue
        kind, name = header["kind"], header["name"]
        objects.append(SchemaObject(kind=kind, name=name, sql=sql + "\n", section=section,
                                    table=_table_of(kind, name, sql)))
    return objects


def _table_of(kind: str, name: str, sql: str) -> str | None:
    if kind in _ON_TABLE:
        return name.split(" ", 1)[0]
    if kind in ("TABLE", "TABLE ATTACH"):
        return name.split(" ", 1)[0]
    if kind in ("INDEX", "INDEX ATTACH"):
        found = _INDEX_ON.search(sql)
        return found["table"] if found else None
    return None


def _sequence_positions(conn: sa.Connection, schema: str) -> dict[str, int]:
    """Where each of the source's sequences stands: the clone's go on from there (or from its
    largest key, when that is further), so a default such as ``'P-' || nextval('code_seq')``
    does not meet a value it gave before."""
    rows = conn.execute(sa.text("SELECT sequencename, last_value FROM pg_sequences "
                                "WHERE schemaname = :schema AND last_value IS NOT NULL"), {"schema": schema})
    return {str(name): int(value) for name, value in rows}
