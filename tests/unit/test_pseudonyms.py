"""Keyed pseudonyms: the same value and salt give the same fake, another salt another one, distinct
values stay distinct, and every fake keeps its format without being real."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from relsynth.errors import ConfigError
from relsynth.privacy import pseudonyms as ps
from relsynth.privacy.identifiers import luhn_ok
from relsynth.privacy.pseudonyms import Pseudonyms
from relsynth.schema.kinds import Kind

SALT, OTHER = b"salt-one-0123456789", b"salt-two-0123456789"
EMAILS = pd.Series([f"person{i}@corp-mail.net" for i in range(500)])


def test_the_same_salt_gives_the_same_mapping_in_every_column_and_run():
    first = Pseudonyms(SALT).replace(Kind.EMAIL, EMAILS)
    shuffled = EMAILS.sample(frac=1, random_state=0)
    second = Pseudonyms(SALT).replace(Kind.EMAIL, shuffled)       # another run, another table order
    assert second.to_dict() == first[shuffled.index].to_dict()
    same_run = Pseudonyms(SALT)
    a = same_run.replace(Kind.EMAIL, EMAILS[:10])                  # one run, two columns
    b = same_run.replace(Kind.EMAIL, EMAILS[:10].str.upper().str.pad(30))   # case and spaces do not count
    assert a.tolist() == b.tolist() == first[:10].tolist()


def test_another_salt_gives_another_mapping():
    for kind, values in [(Kind.EMAIL, EMAILS), (Kind.PHONE, pd.Series([f"+1 415-555-{i:04d}" for i in range(500)])),
                         (Kind.PERSON_NAME, pd.Series([f"Ann{chr(97 + i % 26)} Lee{i}" for i in range(500)]))]:
        one, two = Pseudonyms(SALT).replace(kind, values), Pseudonyms(OTHER).replace(kind, values)
        assert (one != two).mean() > 0.9, kind


def test_distinct_values_stay_distinct_at_scale():
    n = 100_000
    emails = pd.Series([f"user{i}@corp.com" for i in range(n)])
    phones = pd.Series([f"({200 + i // 10_000}) 555-{i % 10_000:04d}" for i in range(n)])
    p = Pseudonyms(SALT)
    assert p.replace(Kind.EMAIL, emails).nunique() == n
    assert p.replace(Kind.PHONE, phones).nunique() == n


def test_a_crowded_format_stays_one_to_one_whatever_the_order():
    letters = pd.Series(list("abcdefghijklmnopqrstuvwxyz"))     # 26 codes of one letter: fakes collide
    forward = Pseudonyms(SALT).replace(Kind.TEXT, letters)
    backward = Pseudonyms(SALT).replace(Kind.TEXT, letters[::-1])
    assert forward.nunique() == 26
    assert backward[letters.index].tolist() == forward.tolist()


def test_fakes_keep_the_format_and_are_never_real():
    p = Pseudonyms(SALT)
    cards = p.replace(Kind.CARD_NUMBER, pd.Series(["4111 1111 1111 1111", "5500-0000-0000-0004"]))
    assert all(luhn_ok(c) and c.replace(" ", "").replace("-", "").startswith("400000") for c in cards)
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", cards[0]) and re.fullmatch(r"(\d{4}-){3}\d{4}", cards[1])
    ssn = p.replace(Kind.NATIONAL_ID, pd.Series(["123-45-6789", "123456789"]))
    assert ssn[0].startswith("9") and re.fullmatch(r"\d{3}-\d{2}-\d{4}", ssn[0])
    assert ssn[1] == ssn[0].replace("-", "")                       # same digits: same person
    ips = p.replace(Kind.IP_ADDRESS, pd.Series(["81.2.69.160", "2a00:1450:4001:81b::200e"]))
    assert ips[0].startswith(("198.18.", "198.19.")) and ips[1].startswith("2001:db8:")
    phone = p.replace(Kind.PHONE, pd.Series(["+44 20 7946 0958", "0171 234 5678"]))
    assert phone[0].startswith("+44 ") and re.fullmatch(r"\+44 \d\d \d{4} \d{4}", phone[0])
    assert phone[1].startswith("0") and phone[1] != "0171 234 5678"
    email = p.replace(Kind.EMAIL, pd.Series(["ann@corp.org", None]))
    assert email[0].endswith("example.org") and email[1] is None


def test_names_map_token_by_token_so_columns_agree():
    p = Pseudonyms(SALT)
    first = p.replace(Kind.FIRST_NAME, pd.Series(["Olivia"]))[0]
    last = p.replace(Kind.LAST_NAME, pd.Series(["Garcia"]))[0]
    full = p.replace(Kind.PERSON_NAME, pd.Series(["Olivia Garcia", "Garcia, Olivia", "Dr. Olivia Garcia"]))
    assert full.tolist() == [f"{first} {last}", f"{last}, {first}", f"Dr. {first} {last}"]


def test_long_fakes_fit_the_column():
    out = Pseudonyms(SALT).replace(Kind.EMAIL, EMAILS[:50], max_length=24)
    assert (out.str.len() <= 24).all() and out.str.contains("@example", regex=False).all()


def test_a_short_salt_is_refused(monkeypatch):
    monkeypatch.setenv("RELSYNTH_SALT", "short")
    with pytest.raises(ConfigError, match="shorter than 16"):
        ps.salt_from_env()
    monkeypatch.delenv("RELSYNTH_SALT")
    assert ps.salt_from_env() is None
    assert ps.random_salt() != ps.random_salt()
