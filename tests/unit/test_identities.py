"""Secrets, organization names and URLs / paths: fakes keep the format, never a real value, and
the format holds nothing real; masking maps the same value to the same fake."""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pandas as pd
import pytest

from relsynth.privacy import credentials, locators, organizations
from relsynth.privacy.fakes import generate, learn_format
from relsynth.privacy.pseudonyms import Pseudonyms
from relsynth.schema.kinds import Kind

SHA1 = pd.Series([hashlib.sha1(f"pw{i}".encode()).hexdigest() for i in range(200)], dtype=object)
CRYPT64 = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
R = np.random.default_rng(5)
BCRYPT = pd.Series([f"$2b${10 + i % 3}$" + "".join(R.choice(list(CRYPT64), 53)) for i in range(200)], dtype=object)
ARGON = pd.Series(["$argon2id$v=19$m=65536,t=3,p=4$" + "".join(R.choice(list(CRYPT64[2:]), 22)) + "$"
                   + "".join(R.choice(list(CRYPT64[2:]), 43)) for _ in range(50)], dtype=object)
PHOTOS = pd.Series([f"http://accweb/emmployees/{n}.bmp" for n in
                    ["davolio"] * 5 + ["fuller", "leverling", "peacock", "buchanan", "suyama", "king", "callahan"]],
                   dtype=object)


def values_in(fmt: dict) -> str:
    return json.dumps(fmt)


@pytest.mark.parametrize("real, pattern", [
    (SHA1, r"^[0-9a-f]{40}$"),
    (SHA1.str.upper(), r"^[0-9A-F]{40}$"),
    (BCRYPT, r"^\$2b\$1[012]\$[./A-Za-z0-9]{53}$"),
    (ARGON, r"^\$argon2id\$v=19\$m=65536,t=3,p=4\$[A-Za-z0-9./]{22}\$[A-Za-z0-9./]{43}$"),
    (pd.Series(["8cb2237d0679ca88db6464eac60da96345513964"] * 2, dtype=object), r"^[0-9a-f]{40}$"),  # pagila
])
def test_a_secret_comes_out_in_its_format_and_never_real(real, pattern):
    fmt = learn_format(Kind.SECRET, real)
    for value in real:                       # no real hash, salt or body in the format
        assert value not in values_in(fmt) and value[-20:] not in values_in(fmt)
    out = generate(fmt, 2000, np.random.default_rng(0), exclude=real)
    assert out.str.match(pattern).all(), out[~out.str.match(pattern)].head().tolist()
    assert not out.isin(set(real)).any() and out.is_unique


def test_a_tiny_secret_format_still_never_gives_a_real_value():
    pins = pd.Series([f"{i:04d}" for i in range(0, 10_000, 7)], dtype=object)     # 1429 of the 10,000 PINs
    out = generate(learn_format(Kind.SECRET, pins), 3000, np.random.default_rng(1), exclude=pins)
    assert out.str.fullmatch(r"\d{4}").all() and not out.isin(set(pins)).any()


def test_api_keys_and_tokens_keep_the_public_prefix_only():
    keys = pd.Series([f"sk_live_{''.join(R.choice(list('abcdefXYZ0123456789'), 24))}" for _ in range(30)], dtype=object)
    out = generate(learn_format(Kind.SECRET, keys), 100, np.random.default_rng(2))
    assert out.str.fullmatch(r"sk_live_[a-zA-Z0-9]{24}").all() and not out.isin(set(keys)).any()
    assert credentials.looks_like_secret(keys[0]) and not credentials.looks_like_secret("OrderLineItemSummary")


def test_organizations_are_fake_companies_with_the_sources_legal_forms():
    real = pd.Series(["Alfreds Futterkiste", "Plutzer Lebensmittelgroßmärkte AG", "Formaggi Fortini s.r.l.",
                      "Ernst Handel", "Pavlova, Ltd.", "Bigfoot Breweries"] * 20, dtype=object)
    fmt = learn_format(Kind.ORGANIZATION, real)
    assert not any(name.split()[0] in values_in(fmt) for name in real)     # only legal forms are kept
    assert set(fmt["forms"]) == {"AG", "s.r.l.", "Ltd."}
    out = generate(fmt, 3000, np.random.default_rng(3), exclude=real)
    assert not out.isin(set(real)).any() and out.nunique() > 500
    ends = out.map(organizations.legal_form)
    assert 0.4 < ends.notna().mean() < 0.65                                # the source's share: 3 in 6
    assert set(ends.dropna()) <= {"AG", "s.r.l.", "Ltd.", "Inc", "LLC", "Group", "PLC", "Ltd", "and Sons", "Inc."}


def test_a_photo_path_keeps_the_columns_folders_and_names_nobody():
    fmt = learn_format(Kind.URL, PHOTOS, k=5)
    assert "davolio" not in values_in(fmt) and "fuller" not in values_in(fmt)
    assert "accweb" in values_in(fmt) and "emmployees" in values_in(fmt)   # 12 values hold them
    out = generate(fmt, 500, np.random.default_rng(4), exclude=PHOTOS)
    assert out.str.fullmatch(r"http://accweb/emmployees/[a-z]+\.bmp").all()
    assert not out.str.contains("davolio|fuller|leverling|peacock|buchanan|suyama|callahan").any()


def test_with_fewer_than_k_values_only_public_parts_of_a_url_survive():
    homepages = pd.Series(["Mayumi's (on the World Wide Web)#http://www.microsoft.com/accessdev/sampleapps/mayumi.htm#",
                           "#CAJUN.HTM#", "#FORMAGGI.HTM#"], dtype=object)
    fmt = learn_format(Kind.URL, homepages, k=5)
    assert "mayumi" not in values_in(fmt).lower() and "CAJUN" not in values_in(fmt)
    out = generate(fmt, 50, np.random.default_rng(6))
    assert out.str.fullmatch(r"#[A-Z]+\.HTM#|[A-Z][a-z]+'[a-z]+ \([a-z]+ [a-z]+ [A-Z][a-z]+ [A-Z][a-z]+ [A-Z][a-z]+\)"
                             r"#http://www\.[a-z]+\.com/[a-z]+/[a-z]+/[a-z]+\.htm#").all(), out.head().tolist()
    assert locators.looks_like_locator(homepages[0]) and locators.looks_like_locator("C:\\Users\\ann\\cv.docx")


@pytest.mark.parametrize("kind, values", [
    (Kind.SECRET, pd.concat([SHA1[:50], BCRYPT[:50]], ignore_index=True)),
    (Kind.ORGANIZATION, pd.Series(["Ernst Handel", "Formaggi Fortini s.r.l.", "UPS"] * 3, dtype=object)),
    (Kind.URL, PHOTOS),
])
def test_masking_maps_the_same_value_to_the_same_fake_in_its_format(kind, values):
    salt = b"a-salt-of-sixteen-or-more"
    first, again = Pseudonyms(salt).replace(kind, values), Pseudonyms(salt).replace(kind, values.iloc[::-1])
    assert first.tolist() == again.iloc[::-1].tolist()
    assert not first.isin(set(values)).any()
    same = values.duplicated(keep=False)
    assert first[same].groupby(values[same]).nunique().eq(1).all()
    if kind is Kind.SECRET:
        assert [len(v) for v in first] == [len(v) for v in values]
        assert first[50:].str.match(r"^\$2b\$1[012]\$").all() and first[:50].str.fullmatch(r"[0-9a-f]{40}").all()
    if kind is Kind.URL:
        assert first.str.fullmatch(r"http://[a-z]+/[a-z]+/[a-z]+\.bmp").all()
    if kind is Kind.ORGANIZATION:
        assert first[1].endswith(" s.r.l.") and first[2].isupper()


def test_keyed_secrets_use_their_own_alphabet_per_run():
    draws = lambda rows, j, width: np.random.default_rng(j).integers(0, 2 ** 63, (len(rows), width), dtype=np.uint64)  # noqa: E731
    out = credentials.keyed(np.array(["abc123:DEF456", "$2b$12$" + "A" * 53], dtype=object), draws)
    assert re.fullmatch(r"[0-9a-f]{6}:[0-9A-F]{6}", out[0]) and out[1].startswith("$2b$12$") and len(out[1]) == 60
