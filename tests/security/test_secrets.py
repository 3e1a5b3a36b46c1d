"""No output, report, config or model file ever holds a password (issue 11, part 3).

The servers here trust local connections, so any password gets in: each run goes all the way
and every output it makes is searched for the password and for any tail of it (an unescaped
``@`` in a password once leaked the part after it).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import POSTGRES_URL_ENV, fresh_database
from tests.security.conftest import relsynth, seed_people

PASSWORD = "Pw@9tail#x"
PIECES = [PASSWORD, "Pw@9tail", "9tail#x", "9tail", "tail#x", "Pw%409tail", "9tail%23x"]


def _spellings(url: str) -> dict[str, str]:
    """The same URL with the password carried each way a user may write it."""
    u = sa.make_url(url)
    base = f"postgresql://{u.username}"
    where = f"{u.host}:{u.port or 5432}/{u.database}"
    return {
        "query parameter": f"{base}@{where}?password={PASSWORD.replace('#', '%23').replace('@', '%40')}",
        "unescaped @": f"{base}:{PASSWORD.replace('#', '%23')}@{where}",
    }


def _leaks(text: str) -> list[str]:
    return [piece for piece in PIECES if piece in text]


def _files(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): p.read_bytes().decode("utf-8", "replace")
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.postgres
def test_no_output_of_any_command_holds_the_password(pg_database_url, tmp_path):
    seed_people(pg_database_url)
    found: list[str] = []
    with fresh_database(POSTGRES_URL_ENV) as other:
        for way, source in _spellings(pg_database_url).items():
            target = _spellings(other)[way]
            out = tmp_path / way.replace(" ", "-")
            out.mkdir()
            runs = {
                "clone": relsynth("clone", source, target, "--replace", "-q", "--seed", "1"),
                "inspect": relsynth("inspect", source, "-o", str(out / "config.yaml")),
                "train": relsynth("train", source, "-o", str(out / "model"), "-q"),
                "report": relsynth("report", source, target, "-o", str(out / "report.html"),
                                   "--json", str(out / "report.json")),
                "bad port": relsynth("clone", source.replace(":5432/", ":1/"), str(out / "x.sqlite"), "-q"),
            }
            for name, run in runs.items():
                assert name.startswith("bad") or run.returncode == 0, f"{way}, {name}: {run.stderr}"
                found += [f"{way}, {name} output: {piece!r}" for piece in _leaks(run.stdout + run.stderr)]
            assert {"config.yaml", "report.html", "report.json", "model/relsynth.json"} <= set(_files(out))
            for file, text in _files(out).items():
                found += [f"{way}, file {file}: {piece!r}" for piece in _leaks(text)]
    assert not found, "\n".join(found)


def test_resolved_urls_keep_the_whole_password_and_show_none_of_it():
    from relsynth.urls import _scrub, resolve_url, shown

    for text in ("postgresql://u:p@Zq:w@host:5432/db", "mysql://u@host/db?password=p%40Zq%3Aw",
                 "postgresql://u@host/db?x=1&passwd=p%40Zq%3Aw"):
        url = resolve_url(text)
        assert (url.password, url.host) == ("p@Zq:w", "host"), text
        assert "Zq" not in shown(url), shown(url)
        assert "Zq" not in _scrub(f"cannot connect to {text}: refused"), text
