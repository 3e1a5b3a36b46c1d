"""Planted personal data, including inside free text and an e-mail used as a natural-key foreign
key: none of it survives into the target, and the join still works."""

from __future__ import annotations

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
