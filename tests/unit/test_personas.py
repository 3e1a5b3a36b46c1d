"""Fakes that look real: one fake person and one place per row, names without decorations,
places that agree, countries that exist (relsynth.privacy.personas, the fakes it draws on)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from relsynth.privacy import fakes, personas
from relsynth.schema.kinds import Kind

SUFFIX = re.compile(r"-\d+$")


def fmt(kind: str, values, **kw) -> dict:
    return fakes.learn_format(kind, pd.Series(values, dtype=object), **kw)


def frame(out: dict) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(v, dtype=object) for c, v in out.items()})


def fold(s: str) -> str:
    return fakes._fold(s).lower()


UPPER_FIRST = ["KRISTEN", "MARY", "PATRICIA", "LINDA", "BARBARA"] * 20
UPPER_LAST = ["SMITH", "JOHNSON", "WILLIAMS", "JONES", "BROWN"] * 20
PAGILA_EMAILS = [f"{f}.{l}@sakilacustomer.org" for f, l in zip(UPPER_FIRST, UPPER_LAST[1:] + ["MOORE"])]


def test_5000_unique_first_names_have_no_counter_suffix_and_keep_upper_case():
    formats = {"first_name": fmt("first_name", UPPER_FIRST)}
    out = personas.generate_columns(formats, 5000, np.random.default_rng(0), unique=[("first_name",)])
    names = pd.Series(out["first_name"])
    assert names.is_unique and names.notna().all()
    assert not names.str.contains(SUFFIX).any()
    assert not names.str.contains(r"\d").any()
    assert (names == names.str.upper()).all()
    # the pool's plain names come first: only what they cannot cover gets a second given name
    assert names.str.contains(" ").mean() < 0.9 and (~names.str.contains(" ")).sum() >= 500


def test_the_format_level_generator_never_decorates_unique_names_either():
    rng = np.random.default_rng(1)
    for kind in ("first_name", "last_name", "person_name", "city"):
        values = fakes.generate(fmt(kind, ["Anna", "Bob"] * 10), 5000, rng, unique=True)
        assert values.is_unique and not values.str.contains(SUFFIX).any(), kind


def test_a_row_is_one_person_name_email_and_username_agree():
    formats = {"first_name": fmt("first_name", UPPER_FIRST), "last_name": fmt("last_name", UPPER_LAST),
               "email": fmt("email", PAGILA_EMAILS), "username": fmt("username", ["Mike", "Jon"]),
               "full_name": fmt("person_name", ["Mary Smith", "Bob Jones"] * 10)}
    out = frame(personas.generate_columns(formats, 3000, np.random.default_rng(2),
                                          unique=[("email",), ("username",)]))
    assert out.email.is_unique and out.username.is_unique
    assert (out.first_name == out.first_name.str.upper()).all()       # KRISTEN, as the source
    assert (out.email.str.split("@").str[0] == out.email.str.split("@").str[0].str.upper()).all()
    assert out.email.str.endswith("@example.org").all()               # the source's .org, reserved
    for row in out.itertuples():
        local = fold(row.email.split("@")[0])
        first, last = fold(row.first_name), fold(row.last_name)
        assert first in local and last in local, row                  # first.last of this very row
        assert fold(row.username).startswith(first), row               # Mike: the first name
        assert row.full_name.upper() == f"{row.first_name} {row.last_name}", row


def test_email_and_username_styles_follow_the_source():
    emails = [f"{f[0]}{l}{i % 90 + 10}@corp.net".lower() for i, (f, l) in
              enumerate(zip(["john", "mary", "linda", "james"] * 25, ["smith", "jones", "brown", "miller"] * 25))]
    handles = [f"{f}_{l}" for f, l in zip(["john", "mary", "linda", "james"] * 25, ["smith", "jones", "brown", "moore"] * 25)]
    formats = {"first_name": fmt("first_name", ["John"]), "last_name": fmt("last_name", ["Smith"]),
               "email": fmt("email", emails), "login": fmt("username", handles)}
    out = frame(personas.generate_columns(formats, 500, np.random.default_rng(3)))
    local = out.email.str.split("@").str[0]
    flast = [f"{fold(f)[0]}{fold(l)}" for f, l in zip(out.first_name, out.last_name)]
    assert (local.str.rstrip("0123456789") == pd.Series(flast)).mean() > 0.95   # jsmith42
    assert local.str.contains(r"\d$").mean() > 0.9
    assert (out.email == out.email.str.lower()).all() and out.email.str.endswith(".net").all()
    assert (out.login == [f"{fold(f)}_{fold(l)}" for f, l in zip(out.first_name, out.last_name)]).all()


def test_usernames_fit_a_narrow_column_and_stay_unique():
    formats = {"first_name": fmt("first_name", ["Anna"]), "last_name": fmt("last_name", ["Lee"]),
               "username": fmt("username", ["annalee", "bobsmith"] * 5, max_length=8)}
    out = frame(personas.generate_columns(formats, 4000, np.random.default_rng(4), unique=[("username",)]))
    assert out.username.is_unique and (out.username.str.len() <= 8).all()
    assert (out.username.str[:2].str.lower() == out.first_name.map(fold).str[:2]).mean() > 0.95


def test_rows_equal_to_a_real_value_are_drawn_again_as_a_whole():
    formats = {"first_name": fmt("first_name", ["Anna"]), "last_name": fmt("last_name", ["Lee"]),
               "email": fmt("email", ["anna.lee@x.com"] * 10)}
    first = personas.generate_columns(formats, 2000, np.random.default_rng(5))
    real = set(first["email"][:1500])       # pretend the source had most of what a draw gives
    out = frame(personas.generate_columns(formats, 2000, np.random.default_rng(5),
                                          is_real=lambda column, values: np.isin(values, list(real))))
    assert not out.email.isin(real).any()
    assert all(fold(f) in fold(e.split("@")[0]) for f, e in zip(out.first_name, out.email))


def test_two_people_in_one_table_are_two_personas():
    groups = personas.person_groups({"first_name": Kind.FIRST_NAME, "email": Kind.EMAIL,
                                     "contact_first_name": Kind.FIRST_NAME, "contact_email": Kind.EMAIL,
                                     "username": Kind.USERNAME})
    assert sorted(map(sorted, groups)) == [["contact_email", "contact_first_name"], ["email", "first_name", "username"]]
    # an e-mail beside the table's only named person is that person's
    assert personas.person_groups({"contact_name": Kind.PERSON_NAME, "email": Kind.EMAIL}) == [["contact_name", "email"]]


def test_a_country_column_gives_real_countries_in_the_source_style():
    real_names = {name for name, _, _ in fakes.countries()}
    rng = np.random.default_rng(6)
    names = fakes.generate(fmt("country", ["Afghanistan", "Algeria", "Zambia"] * 3), 109, rng, unique=True)
    assert names.is_unique and names.isin(real_names).all()
    codes = fakes.generate(fmt("country", ["DE", "FR", "US"] * 3), 50, rng)
    assert codes.isin({a2 for _, a2, _ in fakes.countries()}).all()
    out = personas.generate_columns({"country": fmt("country", ["CHAD", "PERU"])}, 100, rng)
    assert pd.Series(out["country"]).str.isupper().all()
    assert pd.Series(out["country"]).str.title().isin(real_names | {n.title() for n in real_names}).all()


def test_city_region_postcode_and_country_of_a_row_agree():
    formats = {"city": fmt("city", ["Berlin", "Paris"]), "state": fmt("region", ["Texas", "Ohio"]),
               "zip": fmt("postcode", ["75001", "44101"] * 10), "country": fmt("country", ["Germany", "France"])}
    for f in formats.values():
        f["locale"] = "en_US"
    out = frame(personas.generate_columns(formats, 2000, np.random.default_rng(7)))
    located = {fakes.countries()[k][0] for k in fakes.located_countries()}
    assert out.country.isin(located).all()        # a country Faker has places for
    us = out[out.country == "United States"]
    names, abbrs, ranges = fakes.states("en_US")
    assert dict(zip(names, abbrs))["Florida"] == "FL"   # Faker lists DC among the abbreviations only
    assert len(us) > 5 and us.state.isin(names).all()
    to_abbr = dict(zip(names, abbrs))
    for row in us.itertuples():                   # the ZIP code lies in the row's state
        low, high = ranges[to_abbr[row.state]]
        assert low <= int(row.zip) <= high, row
    de = out[out.country == "Germany"]
    german_cities = set(fakes.distinct_pool("de_DE", "city"))
    assert len(de) > 5 and de.city.isin(german_cities).all() and de.zip.str.fullmatch(r"\d{5}").all()
    gb = out[out.country == "United Kingdom"]
    assert len(gb) > 5 and gb.zip.str.contains(" ").all()     # E3W 9NJ, the UK's own shape


def test_places_follow_a_country_the_model_made():
    formats = {"city": fmt("city", ["Berlin", "Paris"]), "postal_code": fmt("postcode", ["12209", "05021"] * 10)}
    given = {"country": pd.Series(["Germany", "UK", "France", "Atlantis"] * 50, dtype=object)}
    out = frame(personas.generate_columns(formats, 200, np.random.default_rng(8), given=given))
    assert out.city[0::4].isin(set(fakes.distinct_pool("de_DE", "city"))).all()
    assert out.city[2::4].isin(set(fakes.distinct_pool("fr_FR", "city"))).all()
    assert out.postal_code[1::4].str.contains(" ").all()       # a UK postcode for the UK rows
    assert out.city[3::4].isin(set(fakes.distinct_pool("en_US", "city"))).all()   # unknown: the locale's


def test_a_us_state_the_model_made_gets_a_zip_code_inside_it():
    formats = {"city": fmt("city", ["Seattle"]), "postal_code": fmt("postcode", ["98122", "98401"] * 10)}
    given = {"region": pd.Series(["WA", "TX", None, "Lagos"] * 25, dtype=object)}
    out = frame(personas.generate_columns(formats, 100, np.random.default_rng(9), given=given))
    _, _, ranges = fakes.states("en_US")
    assert out.postal_code[0::4].astype(int).between(*ranges["WA"]).all()
    assert out.postal_code[1::4].astype(int).between(*ranges["TX"]).all()


def test_postcodes_keep_the_column_shape_when_the_locale_writes_them_otherwise():
    formats = {"city": fmt("city", ["Springfield"]), "zip": fmt("postcode", ["12345-6789", "98765-4321"] * 10)}
    out = frame(personas.generate_columns(formats, 50, np.random.default_rng(10)))
    assert out.zip.str.fullmatch(r"\d{5}-\d{4}").all()


def test_regions_are_places_never_random_words():
    district = fmt("region", ["Alberta", "QLD", "Nagasaki", "Buenos Aires", "California"] * 4)
    out = fakes.generate(district, 500, np.random.default_rng(11))
    names, abbrs, _ = fakes.states("en_US")
    assert out.isin(set(names) | set(abbrs)).all()
    assert 0.05 < out.isin(set(abbrs)).mean() < 0.4              # QLD: one in five is an abbreviation


def test_labels_are_dealt_as_a_deck():
    labels = fmt("label", ["Sales", "Finance", "Marketing", "Development"])
    rng = np.random.default_rng(12)
    assert sorted(fakes.generate(labels, 4, rng, unique=True)) == ["Development", "Finance", "Marketing", "Sales"]
    more = fakes.generate(labels, 8, rng, unique=True)
    assert more.is_unique and more.str.endswith(" II").sum() == 4
    assert fakes.generate(labels, 12, rng).value_counts().eq(3).all()


@pytest.mark.parametrize("seed", [0, 1])
def test_same_seed_same_people(seed):
    formats = {"first_name": fmt("first_name", ["Anna"]), "email": fmt("email", ["a.b@c.com"]),
               "city": fmt("city", ["Rome"]), "country": fmt("country", ["Italy"])}
    one = personas.generate_columns(formats, 300, np.random.default_rng(seed), unique=[("email",)])
    two = personas.generate_columns(formats, 300, np.random.default_rng(seed), unique=[("email",)])
    assert all((one[c] == two[c]).all() for c in formats)


def test_the_labels_of_one_row_are_dealt_together():
    names = ["Beverages", "Condiments", "Seafood", None]
    about = ["Soft drinks, coffees", "Sweet and savory sauces", "Seaweed and fish", "Unsorted"]
    formats = {"category_name": fmt("label", names), "description": fmt("label", about)}
    out = frame(personas.generate_columns(formats, 8, np.random.default_rng(13)))
    pairs = dict(zip(names, about))
    assert all(pairs[None if pd.isna(c) else c] == d for c, d in zip(out.category_name, out.description))
    assert out.description.value_counts().eq(2).all()      # two decks of four rows


def test_a_latin_column_gets_no_places_in_another_script():
    formats = {"city": fmt("city", ["Berlin", "Lyon", "Seattle"]), "country": fmt("country", ["Germany", "USA"])}
    out = frame(personas.generate_columns(formats, 1000, np.random.default_rng(14)))
    assert out.city.map(fakes.is_latin).all() and out.country.nunique() > 20
    given = {"country": pd.Series(["Japan", "Russia", "Germany"] * 10, dtype=object)}
    out = frame(personas.generate_columns({"city": formats["city"]}, 30, np.random.default_rng(15), given=given))
    assert out.city.map(fakes.is_latin).all()                          # Japan keeps the column's locale
    assert out.city[2::3].isin(set(fakes.distinct_pool("de_DE", "city"))).all()
    tokyo = fmt("city", ["東京都", "大阪市"])
    out = frame(personas.generate_columns({"city": tokyo}, 20, np.random.default_rng(16),
                                          given={"country": pd.Series(["Japan"] * 20, dtype=object)}))
    assert not out.city.map(fakes.is_latin).any()                      # a Japanese column gets Japanese places


def test_a_table_of_states_gets_each_state_once():
    states = fmt("region", list(fakes.states("en_US")[0]))
    abbrs = fmt("region", list(fakes.states("en_US")[1]))
    out = frame(personas.generate_columns({"state_name": states, "state_abbr": abbrs}, 50, np.random.default_rng(17)))
    assert out.state_name.is_unique and out.state_abbr.is_unique
    assert (out.state_name.map(dict(zip(*fakes.states("en_US")[:2]))) == out.state_abbr).all()


def test_first_names_follow_the_gender_the_model_made():
    female, women, men = fakes._given_names("en_US")
    formats = {"first_name": fmt("first_name", ["Georgi", "Bezalel"]), "last_name": fmt("last_name", ["Facello"])}
    given = {"gender": pd.Series(["F", "M", None] * 200, dtype=object)}
    out = frame(personas.generate_columns(formats, 600, np.random.default_rng(18), given=given,
                                          unique=[("first_name", "last_name")]))
    assert out.first_name[0::3].isin(set(women)).all() and out.first_name[1::3].isin(set(men)).all()
    assert out[["first_name", "last_name"]].drop_duplicates().shape[0] == 600   # the pair is unique
