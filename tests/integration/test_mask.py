"""`relsynth mask`: real rows, every identifier replaced by its keyed pseudonym. Nothing planted
survives, joins on a natural key (an e-mail used as a foreign key) still match, the e-mail inside
a ticket becomes the same fake as the customer's, and the same salt gives the same copy."""

from __future__ import annotations

import sqlite3
import warnings

import pandas as pd
import pytest

import relsynth
from relsynth.conditions import Conditions
from tests.integration.test_pii import build_crm, leaked

SALT = "a-secret-salt-for-tests-0123"


@pytest.fixture(scope="module")
def crm(tmp_path_factory):
    return build_crm(tmp_path_factory.mktemp("crm") / "crm.sqlite", n=300)


def _mask(source, target, salt, monkeypatch):
    monkeypatch.setenv("RELSYNTH_SALT", salt)
    return relsynth.mask(str(source), str(target))


def _read(path, table):
    with sqlite3.connect(path) as con:
        return pd.read_sql(f"SELECT * FROM {table} ORDER BY id", con)


def test_nothing_planted_survives_and_joins_still_match(crm, tmp_path, monkeypatch):
    source, planted = crm
    target = tmp_path / "masked.sqlite"
    result = _mask(source, target, SALT, monkeypatch)
    assert result.passed and result.rows == {"customers": 300, "tickets": 900}
    assert leaked(target, planted) == []
    real, masked = _read(source, "customers"), _read(target, "customers")
    assert masked.segment.tolist() == real.segment.tolist()            # other values stay real
    assert masked.email.str.contains(r"@(\w+\.)?example\.net$").all() and masked.email.is_unique
    assert masked.ssn.str.startswith("9").all()
    named = masked.first_name.str.lower() + "." + masked.last_name.str.lower()
    assert (masked.email.str.split("@").str[0].str.rstrip("0123456789") == named).mean() > 0.95  # row agrees
    tickets = _read(target, "tickets")
    assert tickets.customer_email.isin(masked.email).all()           # the natural-key join holds
    owner = tickets.customer_email.map(dict(zip(masked.email, masked.id)))
    assert (owner.to_numpy() == _read(source, "tickets").customer_email.map(dict(zip(real.email, real.id)))).all()
    mentioned = tickets.body.str.extract(r"Reach me at (\S+@\S+) or")[0].dropna()
    assert len(mentioned) > 200
    assert (mentioned == tickets.customer_email[mentioned.index]).all()   # text and column agree


def test_the_same_salt_gives_the_same_copy_and_another_salt_another(crm, tmp_path, monkeypatch):
    source, _ = crm
    one, two, other = (tmp_path / f"{n}.sqlite" for n in ("one", "two", "other"))
    _mask(source, one, SALT, monkeypatch)
    _mask(source, two, SALT, monkeypatch)
    _mask(source, other, "another-secret-salt-0123456", monkeypatch)
    assert _read(one, "customers").equals(_read(two, "customers"))
    assert _read(one, "tickets").equals(_read(two, "tickets"))
    assert (_read(one, "customers").email != _read(other, "customers").email).mean() > 0.99


def test_a_retained_email_in_a_clone_is_its_pseudonym(crm, tmp_path, monkeypatch):
    source, planted = crm
    masked = tmp_path / "masked.sqlite"
    _mask(source, masked, SALT, monkeypatch)
    cloned = tmp_path / "clone.sqlite"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        relsynth.clone(str(source), str(cloned), seed=1, conditions=Conditions.parse(retain=["customers.email"]))
    assert leaked(cloned, planted) == []
    assert sorted(_read(cloned, "customers").email) == sorted(_read(masked, "customers").email)


def test_without_a_salt_mask_warns_and_still_masks(crm, tmp_path, monkeypatch):
    source, planted = crm
    monkeypatch.delenv("RELSYNTH_SALT", raising=False)
    with pytest.warns(UserWarning, match="RELSYNTH_SALT is not set"):
        relsynth.mask(str(source), str(tmp_path / "m.sqlite"))
    assert leaked(tmp_path / "m.sqlite", planted) == []


@pytest.mark.parametrize("server", [pytest.param("RELSYNTH_TEST_POSTGRES_URL", marks=pytest.mark.postgres),
                                    pytest.param("RELSYNTH_TEST_MARIADB_URL", marks=pytest.mark.mariadb)])
def test_a_server_database_with_an_email_primary_key(server, monkeypatch):
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    from tests.conftest import fresh_database

    monkeypatch.setenv("RELSYNTH_SALT", SALT)
    emails = [f"client{i}@corp-mail.net" for i in range(60)]
    with fresh_database(server) as source, fresh_database(server) as target:
        engine = sa.create_engine(source, poolclass=NullPool)
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE clients (email VARCHAR(80) PRIMARY KEY, tier VARCHAR(8) NOT NULL)")
            conn.exec_driver_sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, client_email VARCHAR(80) NOT NULL "
                                 "REFERENCES clients(email), body TEXT NOT NULL)")
            conn.execute(sa.text("INSERT INTO clients VALUES (:e, :t)"),
                         [{"e": e, "t": "gold" if i % 3 else "basic"} for i, e in enumerate(emails)])
            conn.execute(sa.text("INSERT INTO notes VALUES (:i, :e, :b)"),
                         [{"i": i, "e": emails[i % 60], "b": f"call back {emails[i % 60]} today"} for i in range(180)])
        engine.dispose()
        result = relsynth.mask(source, target)
        assert result.passed and result.rows == {"clients": 60, "notes": 180}
        engine = sa.create_engine(target, poolclass=NullPool)
        with engine.connect() as conn:
            notes = pd.read_sql("SELECT n.client_email, n.body, c.tier FROM notes n JOIN clients c "
                                "ON c.email = n.client_email", conn)
        engine.dispose()
    assert len(notes) == 180 and not notes.client_email.isin(emails).any()
    assert (notes.body == "call back " + notes.client_email + " today").all()


def test_inspect_shows_what_each_column_tells_about_a_person(crm):
    from typer.testing import CliRunner

    from relsynth.cli import app

    source, _ = crm
    shown = CliRunner().invoke(app, ["inspect", str(source)], env={"COLUMNS": "200"}).output
    line = {row.split()[0]: row for row in shown.splitlines() if row.strip() and not row.startswith(" ━")}
    assert "identifier" in line["ssn"] and "key: email" in line["customer_email"]
    for kind in ("address", "card_number", "email", "national_id", "person_name"):
        assert kind in line["body"], kind
    assert "identifier" not in line["segment"] and "identifier" not in line["priority"]


def test_the_report_finds_no_real_identifier_in_a_masked_copy_and_every_one_in_the_real(crm, tmp_path, monkeypatch):
    import shutil

    from relsynth.report.build import build_report

    source, planted = crm
    masked, same = tmp_path / "masked.sqlite", tmp_path / "same.sqlite"
    _mask(source, masked, SALT, monkeypatch)
    shutil.copy(source, same)
    assert build_report(str(source), str(masked)).pii_found == 0
    real = {t.name: t.privacy.pii_found for t in build_report(str(source), str(same)).tables}
    # customers: 4 identifier columns (lone names are not counted); tickets: the e-mail key and the e-mails, ids, cards inside text
    assert real["customers"] == 4 * 300 and real["tickets"] >= 900 + 3 * 300


def test_impute_with_mask_writes_pseudonyms_and_fills_the_nulls(tmp_path, monkeypatch):
    from relsynth.impute import impute
    from relsynth.privacy.pseudonyms import Pseudonyms
    from relsynth.schema.kinds import Kind

    source = tmp_path / "people.sqlite"
    with sqlite3.connect(source) as con:
        con.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, email VARCHAR(80) NOT NULL UNIQUE, age INTEGER)")
        con.executemany("INSERT INTO people VALUES (?, ?, ?)",
                        [(i, f"p{i}@corp-mail.net", None if i % 4 == 0 else 20 + i % 50) for i in range(200)])
    monkeypatch.setenv("RELSYNTH_SALT", SALT)
    out = tmp_path / "filled.csv"
    impute(str(source), out, table="people", mask=True)
    filled, real = pd.read_csv(out), _read(source, "people")
    assert filled.age.notna().all() and (filled.age[real.age.notna()] == real.age.dropna()).all()
    assert filled.email.tolist() == Pseudonyms(SALT.encode()).replace(Kind.EMAIL, real.email).tolist()


def test_strict_mask_fails_before_writing_when_a_column_is_unreviewed(crm, tmp_path, monkeypatch):
    from relsynth.config import ColumnConfig, Config, TableConfig
    from relsynth.errors import ConfigError

    source, _ = crm
    monkeypatch.setenv("RELSYNTH_SALT", SALT)
    reviewed = Config(strict=True, tables={"customers": TableConfig(columns={"segment": ColumnConfig()})})
    target = tmp_path / "never.sqlite"
    with pytest.raises(ConfigError, match=r"tickets\.priority"):
        relsynth.mask(str(source), str(target), config=reviewed)
    assert not target.exists()


def test_json_documents_keep_their_structure_with_the_pii_inside_replaced(tmp_path, monkeypatch):
    import json

    source = tmp_path / "events.sqlite"
    with sqlite3.connect(source) as con:
        con.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, payload JSON NOT NULL)")
        con.executemany("INSERT INTO events VALUES (?, ?)",
                        [(i, json.dumps({"user": f"u{i}@corp-mail.net", "step": i % 4})) for i in range(50)])
    _mask(source, tmp_path / "out.sqlite", SALT, monkeypatch)
    payloads = [json.loads(p) if isinstance(p, str) else p for p in _read(tmp_path / "out.sqlite", "events").payload]
    assert [p["step"] for p in payloads] == [i % 4 for i in range(50)]
    assert not any("corp-mail" in p["user"] for p in payloads) and all("example." in p["user"] for p in payloads)
