"""What a user may type as a database URL."""

from __future__ import annotations

from relsynth.urls import resolve_url, shown


def test_postgres_scheme_is_taken_as_postgresql() -> None:
    url = resolve_url("postgres://alice:secret@db.example:5433/shop")
    assert url.get_backend_name() == "postgresql"
    assert (url.username, url.password, url.host, url.port, url.database) == ("alice", "secret", "db.example", 5433, "shop")
    assert "secret" not in shown(url)


def test_postgres_scheme_keeps_its_driver() -> None:
    assert resolve_url("postgres+psycopg2://u@h/d").drivername == "postgresql+psycopg2"
