"""Planted personal data, including inside free text and an e-mail used as a natural-key foreign
key: none of it survives into the target, and the join still works."""

from __future__ import annotations

import re
import sqlite3
import warnings

import numpy as np
import pandas as pd
import pytest

import relsynth
from relsynth.config import Config, with_models
from relsynth.schema.kinds import Kind
from relsynth.schema.reflect import reflect
from relsynth.urls import resolve_url, source_engine

FIRST = ["Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "Lucas"]
LAST = ["Garcia", "Smith", "Nguyen", "Okafor", "Kowalski", "Haddad", "Rossi", "Tanaka"]


def build_crm(path, n: int = 400, seed: int = 0):
    rng = np.random.default_rng(seed)
    first, last = rng.choice(FIRST, n), rng.choice(LAST, n)
    email = [f"{f.lower()}.{l.lower()}{i}@corp-mail.net" for i, (f, l) in enumerate(zip(first, last))]
    ssn = [f"{rng.integers(100, 899):03d}-{rng.integers(10, 99):02d}-{1000 + i:04d}" for i in range(n)]
    card = [f"4{rng.integers(0, 10**14):014d}" for _ in range(n)]
    card = [c + str((10 - sum(int(d) * 2 - 9 if int(d) * 2 > 9 else int(d) * 2 if k % 2 == 0 else int(d)
                               for k, d in enumerate(reversed(c))) % 10) % 10) for c in card]   # Luhn
    ip = [f"81.{rng.integers(0, 255)}.{rng.integers(0, 255)}.{i % 250 + 1}" for i in range(n)]
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE customers (id INTEGER PRIMARY KEY, first_name VARCHAR(40) NOT NULL, last_name VARCHAR(40) NOT NULL,
            email VARCHAR(80) NOT NULL UNIQUE, ssn VARCHAR(11) NOT NULL, card_number VARCHAR(19),
            last_login_ip VARCHAR(45), segment VARCHAR(10) NOT NULL);
        CREATE TABLE tickets (id INTEGER PRIMARY KEY, customer_email VARCHAR(80) NOT NULL REFERENCES customers(email),
            priority VARCHAR(6) NOT NULL, body TEXT NOT NULL);
    """)
    con.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(i + 1, first[i], last[i], email[i], ssn[i], card[i], ip[i], rng.choice(["a", "b"]))
                     for i in range(n)])
    owner = rng.integers(0, n, 3 * n)
    phrases = ["cannot log in", "refund please", "parcel is late", "wrong size", "billing question"]
    streets = [f"{rng.integers(1, 999)} {rng.choice(['Elm', 'Birch', 'Harbor'])} Street" for _ in range(n)]
    bodies = [f"{rng.choice(phrases)}. Reach me at {email[o]} or {ssn[o]}, card {card[o]}.\nRegards, {first[o]} {last[o]}"
              if k % 3 == 0 else f"{rng.choice(phrases)}, ship to {streets[o]} please." if k % 3 == 1
              else f"{rng.choice(phrases)} again, thanks." for k, o in enumerate(owner)]
    con.executemany("INSERT INTO tickets VALUES (?, ?, ?, ?)",
                    [(k + 1, email[o], rng.choice(["low", "high"]), bodies[k]) for k, o in enumerate(owner)])
    con.commit()
    con.close()
    return path, {"email": email, "ssn": ssn, "card": card, "ip": ip, "street": streets,
                  "name": [f"{f} {l}" for f, l in zip(first, last)]}


def leaked(target, planted: dict) -> list[str]:
    con = sqlite3.connect(target)
    try:
        text = " ".join(str(v) for table in ("customers", "tickets")
                        for row in con.execute(f"SELECT * FROM {table}") for v in row)
    finally:
        con.close()
    with sqlite3.connect(target) as con:
        bodies = " ".join(str(v) for (v,) in con.execute("SELECT body FROM tickets"))
    return [v for kind in ("email", "ssn", "card", "ip") for v in planted[kind] if v in text] + \
        [v for kind in ("name", "street") for v in set(planted[kind]) if v in bodies]


@pytest.fixture(scope="module")
def crm(tmp_path_factory):
    return build_crm(tmp_path_factory.mktemp("crm") / "crm.sqlite")


def test_each_kind_of_personal_data_is_detected(crm):
    schema = reflect(source_engine(resolve_url(str(crm[0]))))
    kinds = {c.name: c.kind for c in schema["customers"].columns}
    assert kinds["ssn"] is Kind.NATIONAL_ID and kinds["card_number"] is Kind.CARD_NUMBER
    assert kinds["last_login_ip"] is Kind.IP_ADDRESS and kinds["email"] is Kind.EMAIL


def test_no_planted_value_survives_and_the_email_join_still_works(crm, tmp_path):
    source, planted = crm
    target = tmp_path / "copy.sqlite"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        relsynth.clone(str(source), str(target), seed=3)
    assert leaked(target, planted) == []
    con = sqlite3.connect(target)
    orphans = con.execute("SELECT COUNT(*) FROM tickets t LEFT JOIN customers c ON c.email = t.customer_email "
                          "WHERE c.email IS NULL").fetchone()[0]
    rows = con.execute("SELECT COUNT(*) FROM tickets").fetchone()[0]
    con.close()
    assert rows > 600 and orphans == 0


class Parrot:
    """A text-writing family that replays the rows it was trained on: the worst memorizer."""

    handles_text = True

    def fit(self, table, *, kinds, context=None, context_kinds=None, rng):
        self.rows = table.reset_index(drop=True)

    def sample(self, *, n=None, context=None, rng, fixed=None):
        n = len(context) if context is not None else (len(fixed) if n is None else n)
        out = self.rows.iloc[rng.integers(0, len(self.rows), n)].reset_index(drop=True)
        if fixed is not None:
            for column in fixed.columns:
                out[column] = fixed[column].where(fixed[column].notna(), out[column]).to_numpy()
        return out


def test_a_text_writing_model_never_sees_the_pii_inside_the_text(crm, tmp_path):
    from relsynth.models import register

    register("parrot")(Parrot)
    source, planted = crm
    target = tmp_path / "copy.sqlite"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        relsynth.clone(str(source), str(target), seed=3, config=with_models(Config(), ["tickets=parrot"]))
    assert leaked(target, planted) == []
    bodies = pd.read_sql("SELECT body FROM tickets", sqlite3.connect(target)).body
    assert bodies.str.contains("Reach me at").mean() > 0.1     # the sentence kept, the data inside replaced


# ---------------------------------------------------------------- secrets, companies, paths, biographies

CRYPT64 = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
PLACES = ["Colorado", "Boston", "Dallas", "Andrews", "Toronto", "Leeds", "Utrecht", "Bologna", "Krakow", "Porto",
          "Lyon", "Geneva", "Tartu", "Bergen", "Ghent", "Aarhus", "Coimbra", "Uppsala", "Leiden", "Tromso",
          "Salamanca", "Padua", "Graz", "Brno", "Cork", "Galway", "Durham", "Exeter", "Bath", "York",
          "Kent", "Essex", "Sussex", "Surrey", "Reading", "Keele", "Bangor", "Aberdeen", "Dundee", "Stirling"]


def build_staff(path, n: int = 150, seed: int = 1):
    """Staff with password hashes (one shared by two admins, as in pagila), API keys, employers,
    photo paths and biographies: a school three or four people went to, a club of one."""
    import hashlib

    from faker import Faker

    rng = np.random.default_rng(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    firsts = list(dict.fromkeys(fake.first_name() for _ in range(400)))[:60]
    lasts = list(dict.fromkeys(fake.last_name() for _ in range(400)))[:60]
    sha1 = [hashlib.sha1(f"pw{i % (n - 1)}".encode()).hexdigest() for i in range(n)]
    bcrypt = ["$2b$12$" + "".join(rng.choice(list(CRYPT64), 53)) for _ in range(n)]
    keys = ["sk_live_" + "".join(rng.choice(list("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"), 24))
            for _ in range(n)]
    first, last = rng.choice(firsts, n), rng.choice(lasts, n)
    photo = [f"http://intranet/staff/photos/{l.lower()}{i}.jpg" for i, l in enumerate(last)]
    employer = [f"{rng.choice(lasts)} {rng.choice(['Trading', 'Imports', 'Logistics'])} {i} GmbH" for i in range(n)]
    bio = [f"{f} has a BA in {rng.choice(['psychology', 'chemistry', 'English'])} from {PLACES[i % 40]} University "
           f"in {1960 + i % 20}. {'She' if i % 2 else 'He'} joined the company as a sales representative in "
           f"{1990 + i % 5}. {f} is a member of the {rng.choice(lasts)} {rng.choice(PLACES)} Club."
           for i, (f, l) in enumerate(zip(first, last))]
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE staff (id INTEGER PRIMARY KEY, first_name VARCHAR(20), last_name VARCHAR(20), "
                    "password CHAR(40), password_hash VARCHAR(60), api_key VARCHAR(32), employer VARCHAR(60), "
                    "photo_path VARCHAR(255), notes TEXT)")
        con.executemany("INSERT INTO staff VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [(i + 1, first[i], last[i], sha1[i], bcrypt[i], keys[i], employer[i], photo[i], bio[i])
                         for i in range(n)])
    return path, {"password": sha1, "password_hash": bcrypt, "api_key": keys, "employer": employer,
                  "photo_path": photo, "notes": bio, "names": set(firsts) | set(lasts)}


def test_secrets_companies_and_paths_clone_in_their_format_and_are_never_real(tmp_path):
    source, real = build_staff(tmp_path / "staff.sqlite")
    kinds = {c.name: c.kind for c in reflect(source_engine(resolve_url(str(source))))["staff"].columns}
    assert kinds["password"] is kinds["password_hash"] is kinds["api_key"] is Kind.SECRET
    assert kinds["employer"] is Kind.ORGANIZATION and kinds["photo_path"] is Kind.URL and kinds["notes"] is Kind.TEXT
    target = tmp_path / "copy.sqlite"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        relsynth.clone(str(source), str(target), seed=4)
    copy = pd.read_sql("SELECT * FROM staff", sqlite3.connect(target))
    assert copy.password.str.fullmatch(r"[0-9a-f]{40}").all()
    assert copy.password_hash.str.fullmatch(r"\$2b\$12\$[./A-Za-z0-9]{53}").all()
    assert copy.api_key.str.fullmatch(r"sk_live_[A-Za-z0-9]{24}").all()
    assert copy.photo_path.str.fullmatch(r"http://intranet/staff/photos/[a-z]+\d+\.jpg").all()
    for column in ("password", "password_hash", "api_key", "employer", "photo_path", "notes"):
        assert not copy[column].isin(set(real[column])).any(), column
    from relsynth.report import build_report

    report = build_report(str(source), str(target))
    counted = {c.column: c.counted for c in report.table("staff").privacy.real_values}
    assert all(counted[c] == 0 for c in ("password", "password_hash", "api_key", "employer", "photo_path", "notes"))


def _pairs(text: str) -> set[tuple[str, str]]:
    words = re.sub(r"\d", "9", text).split()
    return set(zip(words, words[1:]))


def test_a_biography_never_gives_back_what_fewer_than_k_people_share(tmp_path):
    """Names are not all that identifies: the school three people went to, one person's club.
    Every real word and word pair of the generated notes is one at least k (5) real biographies
    hold, unless a word the chain could not keep was filled with a random dictionary word that
    happens to be a real one too ('the Rich Club' from a hole after 'the')."""
    from faker.providers.lorem.en_US import Provider

    dictionary = {w.casefold() for w in Provider.word_list}
    source, real = build_staff(tmp_path / "staff.sqlite")
    target = tmp_path / "copy.sqlite"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        relsynth.clone(str(source), str(target), seed=5)
    notes = pd.read_sql("SELECT notes FROM staff", sqlite3.connect(target)).notes.dropna()
    assert len(notes) > 100 and notes.str.contains("a member of the|a BA in").mean() > 0.5   # common phrases kept
    folded = lambda text: re.sub(r"\d", "9", text).split()  # noqa: E731
    word_rows = pd.Series([w for text in real["notes"] for w in set(folded(text))]).value_counts()
    pair_rows = pd.Series([p for text in real["notes"] for p in _pairs(text)]).value_counts()
    filled = lambda word: word.strip(".,").casefold() in dictionary  # noqa: E731
    words = {w for text in notes for w in folded(text)}
    assert not {w for w in words if 0 < word_rows.get(w, 0) < 5 and not filled(w)}
    pairs = {p for text in notes for p in _pairs(text)}
    assert not {p for p in pairs if 0 < pair_rows.get(p, 0) < 5 and not (filled(p[0]) or filled(p[1]))}
    rare_names = {w for w in real["names"] | set(PLACES) if word_rows.get(w, 0) + word_rows.get(w + ".", 0) < 5}
    assert not {w.strip(".,") for w in words} & {w for w in rare_names if not filled(w)}
