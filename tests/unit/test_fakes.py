"""Generated identifying values: the source's format, never a source value.

Policy checked here: a generated e-mail, phone or street line never equals a source value
(e-mails by construction: only reserved example domains; phones and streets because the
caller passes the source sample as ``exclude``). A generated person name may coincide with
a real *common* name by chance ("Mary Smith" identifies no one), so names are checked for
format only. The learned format never holds a source value.
"""

import json
import re

import numpy as np
import pandas as pd
import pytest

from relsynth.errors import ConfigError
from relsynth.privacy.fakes import (EXAMPLE_DOMAINS, generate, generate_keys, is_sequence_format,
                                    learn_format, learn_key_format)
from relsynth.schema.kinds import Kind

EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[a-z]{2,}$")
UUID4_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ALL_DOMAINS = {d for ds in EXAMPLE_DOMAINS.values() for d in ds}
FIRST = ["james", "mary", "robert", "patricia", "john", "jennifer", "michael", "linda", "david", "susan",
         "william", "barbara", "richard", "karen", "joseph", "jessica", "thomas", "sarah", "charles", "nancy"]
LAST = ["smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez", "wilson",
        "anderson", "taylor", "thomas", "moore", "jackson", "martin", "lee", "thompson", "white", "harris"]
STREETS = ["Main Street", "Oak Avenue", "Pine Road", "Maple Drive", "Cedar Lane", "Elm Street", "Park Avenue",
           "Lake Road", "Hill Street", "Church Lane"]


def rng(seed=0):
    return np.random.default_rng(seed)


def source(n, make, null_every=0, seed=1):
    r = np.random.default_rng(seed)
    values = [make(r, i) for i in range(n)]
    if null_every:
        values = [None if i % null_every == 0 else v for i, v in enumerate(values)]
    return pd.Series(values, dtype=object)


def src_emails(n=2000, null_every=0):
    domains = ["gmail.com", "yahoo.com", "acme.de", "hospital.org", "uni.edu"]
    return source(n, lambda r, i: f"{FIRST[r.integers(20)]}.{LAST[r.integers(20)]}{r.integers(100)}"
                                  f"@{domains[r.integers(5)]}", null_every)


def src_names(n=1000):
    return source(n, lambda r, i: f"{LAST[r.integers(20)].title()}, {FIRST[r.integers(20)].title()}")


def src_phones(n=1000):
    return source(n, lambda r, i: f"+1 ({r.integers(200, 999)}) {r.integers(200, 999)}-{r.integers(0, 10_000):04d}")


def src_addresses(n=1000):
    return source(n, lambda r, i: f"{r.integers(1, 999)} {STREETS[r.integers(10)]}")


def src_notes(n=500):
    words = "called about the refund delivery was late asked for an invoice copy and a new address".split()
    return source(n, lambda r, i: " ".join(r.choice(words, size=r.integers(2, 15))).capitalize() + ".")


def src_skus(n=500):
    return source(n, lambda r, i: f"SKU-{r.integers(0, 100_000):05d}")


SOURCES = {
    Kind.EMAIL: src_emails, Kind.PERSON_NAME: src_names, Kind.PHONE: src_phones, Kind.ADDRESS: src_addresses,
    Kind.TEXT: src_notes, Kind.FIRST_NAME: lambda: pd.Series(FIRST * 5, dtype=object),
    Kind.LAST_NAME: lambda: pd.Series(LAST * 5, dtype=object),
    Kind.CITY: lambda: pd.Series(["Springfield", "Riverton", "Lakeside", "Fairview", "Greenville"] * 30),
    Kind.POSTCODE: lambda: source(300, lambda r, i: f"{r.integers(0, 100_000):05d}"),
    Kind.UUID: lambda: source(100, lambda r, i: f"{r.integers(16**8):08x}-1234-4abc-8def-{r.integers(16**12):012x}"),
    Kind.JSON: lambda: source(100, lambda r, i: json.dumps({"plan": "pro", "seats": int(r.integers(1, 50)),
                                                             "owner": f"{FIRST[i % 20]}@corp.com"})),
    Kind.BINARY: lambda: source(100, lambda r, i: r.bytes(int(r.integers(20, 40)))),
}


# ---------------------------------------------------------------- the format holds no real value

@pytest.mark.parametrize("kind", list(SOURCES))
def test_learned_format_is_json_and_holds_no_source_value(kind):
    values = SOURCES[kind]()
    fmt = learn_format(kind, values)
    text = json.dumps(fmt)
    assert json.loads(text) == fmt
    leaked = [v for v in values.dropna() if isinstance(v, str) and v in text]
    assert not leaked
    out = generate(fmt, 500, rng())
    assert len(out) == 500


def test_json_keys_are_kept_but_no_value_is():
    values = SOURCES[Kind.JSON]()
    fmt = learn_format(Kind.JSON, values)
    assert "corp.com" not in json.dumps(fmt)
    docs = [json.loads(v) for v in generate(fmt, 200, rng())]
    assert all(set(d) == {"plan", "seats", "owner"} and isinstance(d["seats"], int) for d in docs)
    assert not {d["owner"] for d in docs} & set(values.map(lambda v: json.loads(v)["owner"]))


def test_learn_format_refuses_modeled_kinds():
    with pytest.raises(ValueError):
        learn_format(Kind.INTEGER, pd.Series([1, 2]))


# ---------------------------------------------------------------- e-mails

def test_emails_look_real_live_on_example_domains_and_are_never_a_source_address():
    src = src_emails()
    out = generate(learn_format(Kind.EMAIL, src), 20_000, rng())
    assert out.map(lambda e: bool(EMAIL_RE.match(e))).all()
    assert set(out.str.split("@").str[1]) <= ALL_DOMAINS
    assert not set(out) & set(src)
    assert out.str.contains(r"\.").mean() > 0.5          # the source's first.last style is kept
    assert (out == out.str.lower()).all()


def test_emails_keep_the_tld_mix_of_the_source():
    src = source(1000, lambda r, i: f"user{i}@{'shop.org' if i % 4 == 0 else 'mail.net'}")
    out = generate(learn_format(Kind.EMAIL, src), 10_000, rng())
    tld = out.str.rsplit(".", n=1).str[1]
    assert abs((tld == "org").mean() - 0.25) < 0.03 and abs((tld == "net").mean() - 0.75) < 0.03


def test_200k_unique_emails_are_distinct_valid_and_never_a_source_address():
    src = src_emails()
    out = generate(learn_format(Kind.EMAIL, src), 200_000, rng(), unique=True)
    assert out.notna().all() and out.is_unique
    assert out.map(lambda e: bool(EMAIL_RE.match(e))).all()
    assert not set(out) & set(src)


def test_exclude_keeps_even_example_domain_sources_out():
    src = pd.Series([f"{f}.{l}@example.com" for f in FIRST for l in LAST], dtype=object)
    fmt = learn_format(Kind.EMAIL, src)
    out = generate(fmt, 5000, rng(), exclude=src)
    assert not set(out) & set(src)


def test_emails_fit_the_column():
    fmt = learn_format(Kind.EMAIL, src_emails(), max_length=22)
    out = generate(fmt, 5000, rng(), unique=True)
    assert out.str.len().max() <= 22 and out.is_unique
    assert out.map(lambda e: bool(EMAIL_RE.match(e))).all()


# ---------------------------------------------------------------- names, phones, addresses

def test_person_names_keep_the_source_style():
    out = generate(learn_format(Kind.PERSON_NAME, src_names()), 2000, rng())
    # "Last, First" in the source -> "Last, First" out; a common name may match a real one by chance
    assert out.str.fullmatch(r"[^,]+, [^,]+").all()


def test_unique_person_names_at_scale():
    out = generate(learn_format(Kind.PERSON_NAME, src_names()), 50_000, rng(), unique=True)
    assert out.is_unique


def test_phones_keep_the_digit_pattern_and_never_equal_a_source_phone():
    src = src_phones()
    out = generate(learn_format(Kind.PHONE, src), 20_000, rng(), exclude=src)
    assert out.str.fullmatch(r"\+1 \(\d{3}\) \d{3}-\d{4}").all()      # "+1" is shared by all: kept
    assert not set(out) & set(src)


def test_exclude_prevents_collisions_even_in_a_tiny_pattern_space():
    src = pd.Series([f"{i:04d}" for i in range(0, 10_000, 2)], dtype=object)   # half of all 4-digit values
    fmt = learn_format(Kind.PHONE, src)
    assert generate(fmt, 2000, rng()).isin(set(src)).any()                  # without exclude they do collide
    out = generate(fmt, 2000, rng(), exclude=src)
    assert not out.isin(set(src)).any()


def test_addresses_keep_the_street_line_shape_and_never_equal_a_source_address():
    src = src_addresses()
    out = generate(learn_format(Kind.ADDRESS, src), 10_000, rng(), exclude=src)
    assert out.str.match(r"^\d{1,3} \S").all()
    assert not set(out) & set(src)


def test_first_last_names_and_cities_keep_the_case_of_the_source():
    upper = pd.Series([c.upper() for c in ["Springfield", "Riverton", "Lakeside"]] * 20)
    assert (generate(learn_format(Kind.CITY, upper), 300, rng()).str.isupper()).all()
    out = generate(learn_format(Kind.FIRST_NAME, pd.Series(FIRST)), 300, rng())
    assert out.str.islower().all()


def test_names_follow_the_locale():
    fmt = learn_format(Kind.EMAIL, src_emails())
    out = generate(fmt, 1000, rng(), locale="de_DE")
    assert out.map(lambda e: bool(EMAIL_RE.match(e))).all()               # umlauts folded to ASCII
    names = generate(learn_format(Kind.LAST_NAME, pd.Series(LAST)), 1000, rng(), locale="de_DE")
    assert names.str.len().gt(0).all()
    with pytest.raises(ConfigError):
        generate(fmt, 10, rng(), locale="xx_NOPE")


# ---------------------------------------------------------------- text and codes

def test_sku_codes_keep_their_constant_prefix_and_digit_count():
    fmt = learn_format(Kind.TEXT, src_skus())
    assert fmt["mode"] == "codes"
    out = generate(fmt, 5000, rng())
    assert out.str.fullmatch(r"SKU-\d{5}").all()


def test_100k_unique_codes_widen_the_digit_part_when_needed():
    out = generate(learn_format(Kind.TEXT, src_skus()), 100_000, rng(), unique=True)
    assert out.is_unique and out.str.fullmatch(r"SKU-\d{5,}").all()


def test_a_prefix_shared_by_too_few_values_is_not_kept():
    fmt = learn_format(Kind.TEXT, pd.Series(["JSMITH-0001", "JSMITH-0002", "JSMITH-0003"]))
    assert "JSMITH" not in json.dumps(fmt)
    assert generate(fmt, 100, rng()).str.fullmatch(r"[A-Z]{6}-\d{4}").all()


def test_hex_tokens_are_codes_of_the_same_length():
    src = source(300, lambda r, i: r.bytes(16).hex())
    fmt = learn_format(Kind.TEXT, src)
    assert fmt["mode"] == "codes"
    out = generate(fmt, 1000, rng())
    assert out.str.fullmatch(r"[a-z0-9]{32}").all()


def test_free_text_keeps_the_word_count_and_rarely_repeats_a_note():
    src = src_notes()
    fmt = learn_format(Kind.TEXT, src)
    assert fmt["mode"] == "words"
    out = generate(fmt, 5000, rng())
    counts = out.str.split().str.len()
    assert counts.between(2, 14).all()
    assert abs(counts.mean() - src.str.split().str.len().mean()) < 1.0
    assert out.str.endswith(".").all() and out.str[0].str.isupper().all()
    # words of this column in its own order: a two- or three-word note may come out again
    # (the table drops those fewer than k rows share), a longer one does not
    copies = out[out.isin(set(src))]
    assert len(copies) < 0.02 * len(out) and (copies.str.split().str.len() <= 3).all()


def test_text_is_clipped_to_the_column_and_unique_when_asked():
    fmt = learn_format(Kind.TEXT, src_notes(), max_length=15)
    out = generate(fmt, 20_000, rng(), unique=True)
    assert out.str.len().max() <= 15 and out.is_unique


# ---------------------------------------------------------------- uuid, binary

def test_uuids_are_fresh_version_4():
    out = generate(learn_format(Kind.UUID, SOURCES[Kind.UUID]()), 10_000, rng(), unique=True)
    assert out.str.fullmatch(UUID4_RE.pattern).all() and out.is_unique


def test_binary_values_have_a_similar_length():
    src = SOURCES[Kind.BINARY]()
    out = generate(learn_format(Kind.BINARY, src, max_length=30), 1000, rng())
    lengths = out.map(len)
    assert out.map(lambda b: isinstance(b, bytes)).all()
    assert lengths.between(20, 30).all()


# ---------------------------------------------------------------- nulls and determinism

@pytest.mark.parametrize("unique", [False, True])
def test_the_null_share_is_kept(unique):
    fmt = learn_format(Kind.EMAIL, src_emails(null_every=4))          # 25% nulls
    assert fmt["null_share"] == pytest.approx(0.25)
    out = generate(fmt, 20_000, rng(), unique=unique)
    assert abs(out.isna().mean() - 0.25) < 0.02
    if unique:
        assert out.dropna().is_unique


@pytest.mark.parametrize("kind", list(SOURCES))
def test_same_seed_same_output(kind):
    fmt = learn_format(kind, SOURCES[kind]())
    a = generate(fmt, 300, rng(42), unique=kind is not Kind.CITY)
    b = generate(fmt, 300, rng(42), unique=kind is not Kind.CITY)
    assert a.tolist() == b.tolist()
    assert generate(fmt, 300, rng(43)).tolist() != a.tolist()


# ---------------------------------------------------------------- string keys

def test_invoice_keys_become_a_fresh_padded_sequence():
    src = source(200, lambda r, i: f"INV-{r.integers(1, 999_999):06d}")
    fmt = learn_key_format(src)
    assert is_sequence_format(fmt)
    out = generate_keys(fmt, 5, rng())
    assert out.tolist() == ["INV-000001", "INV-000002", "INV-000003", "INV-000004", "INV-000005"]
    assert generate_keys(fmt, 3, rng(), offset=10).tolist() == ["INV-000011", "INV-000012", "INV-000013"]


def test_the_padding_widens_when_n_needs_it():
    fmt = learn_key_format(pd.Series([f"A-{i:02d}" for i in range(1, 60)]))
    out = generate_keys(fmt, 150, rng())
    assert out.iloc[0] == "A-001" and out.iloc[-1] == "A-150" and out.is_unique


def test_unpadded_keys_count_from_one():
    out = generate_keys(learn_key_format(pd.Series(["C17", "C5", "C123"])), 3, rng())
    assert out.tolist() == ["C1", "C2", "C3"]


def test_a_long_key_prefix_seen_on_few_keys_keeps_only_its_shape():
    fmt = learn_key_format(pd.Series(["SMITHJ01", "SMITHJ02"]))
    assert "SMITHJ" not in json.dumps(fmt)
    out = generate_keys(fmt, 10, rng())
    assert out.str.fullmatch(r"[A-Z]{6}\d{2}").all() and out.str[:6].nunique() == 1


def test_uuid_and_code_keys():
    uuid_fmt = learn_key_format(SOURCES[Kind.UUID]())
    assert not is_sequence_format(uuid_fmt)
    assert generate_keys(uuid_fmt, 1000, rng()).str.fullmatch(UUID4_RE.pattern).all()
    code_fmt = learn_key_format(pd.Series(["ALFKI", "ANATR", "ANTON", "AROUT", "BERGS"]))
    out = generate_keys(code_fmt, 5000, rng())
    assert out.is_unique and out.notna().all() and out.str.fullmatch(r"[A-Z]{5,}").all()


def test_keys_that_cannot_fit_the_column_fail_with_a_hint():
    from relsynth.errors import ModelError

    fmt = learn_key_format(pd.Series([f"INV-{i:03d}" for i in range(1, 100)]), max_length=6)
    assert generate_keys(fmt, 99, rng()).str.len().max() <= 6
    with pytest.raises(ModelError):
        generate_keys(fmt, 1000, rng())


def test_words_around_numbers_keep_their_words_and_get_new_numbers():
    names = pd.Series([f"{d} line {i:02d}" for i, d in enumerate(["Toys", "Home", "Garden", "Food", "Books"] * 12)])
    fmt = learn_format(Kind.TEXT, names)
    assert fmt["mode"] == "skeletons"
    out = generate(fmt, 500, rng(), unique=True)
    assert out.is_unique and out.str.fullmatch(r"(Toys|Home|Garden|Food|Books) line \d{2,}").all()


def test_words_shared_by_too_few_values_are_not_kept():
    notes = pd.Series([f"Called Jane Doe {i} times" for i in range(3)] + [f"Note {w}" for w in "abcdefghij"])
    assert "Jane" not in json.dumps(learn_format(Kind.TEXT, notes))


def test_numbered_addresses_keep_their_pattern_on_example_domains():
    emails = pd.Series([f"customer{i}@shop.test" for i in range(1, 2000)])
    out = generate(learn_format(Kind.EMAIL, emails), 1000, rng(), unique=True)
    assert out.is_unique and out.str.fullmatch(r"customer\d+@example\.\w+").all()
    assert out.str.fullmatch(r"customer(0|[1-9]\d{0,3})@example\.\w+").mean() > 0.9  # clashes are redrawn one digit wider


def test_fake_national_ids_cards_and_ips_keep_the_shape_and_can_never_be_real():
    from relsynth.privacy import identifiers

    ssn = generate(learn_format(Kind.NATIONAL_ID, pd.Series(["123-45-6789", "987-65-4321"] * 20)), 2000, rng(),
                   unique=True)
    assert ssn.is_unique and ssn.str.fullmatch(r"9\d\d-\d\d-\d{4}").all()       # 9xx: never issued
    cards = generate(learn_format(Kind.CARD_NUMBER, pd.Series(["4111-1111-1111-1111"] * 40)), 2000, rng(), unique=True)
    assert cards.is_unique and cards.str.fullmatch(r"4000-00\d\d-\d{4}-\d{4}").all()
    assert cards.map(identifiers.luhn_ok).all()                                  # passes validation
    ips = generate(learn_format(Kind.IP_ADDRESS, pd.Series(["10.1.2.3"] * 40)), 5000, rng(), unique=True)
    reserved = ips.str.match(r"^(192\.0\.2|198\.51\.100|203\.0\.113|198\.1[89])\.")
    assert ips.is_unique and reserved.all()


def test_binary_keeps_the_file_signature_and_lengths_not_the_bytes() -> None:
    real = pd.Series([b"\x89PNG\r\nZ\n" + bytes([i]) * (10 + i) for i in range(30)] + [None] * 10, dtype=object)
    fmt = learn_format("binary", real)
    out = generate(fmt, 200, np.random.default_rng(3)).dropna()
    assert all(isinstance(v, bytes) and v.startswith(b"\x89PNG") for v in out)
    assert 18 <= min(map(len, out)) and max(map(len, out)) <= 8 + 39
    assert not set(out) & set(real.dropna())
    assert "5a0a" not in str(fmt)        # only the public signature, never a value's own bytes
