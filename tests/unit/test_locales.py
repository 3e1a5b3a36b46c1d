"""Locale detection from names and places, and generation in the locale a format holds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from faker import Faker

from relsynth.errors import ConfigError
from relsynth.privacy import fakes
from relsynth.privacy.locales import check_locale, detect_locale
from relsynth.schema.kinds import Kind


def faker_columns(locale: str, n: int = 2000, seed: int = 99) -> list[tuple[Kind, pd.Series]]:
    fake = Faker(locale)
    fake.seed_instance(seed)   # not the pools' seed: other draws than the ones scored against
    return [(Kind.FIRST_NAME, pd.Series([fake.first_name() for _ in range(n)])),
            (Kind.LAST_NAME, pd.Series([fake.last_name() for _ in range(n)])),
            (Kind.CITY, pd.Series([fake.city() for _ in range(n)]))]


@pytest.mark.parametrize("locale", ["de_DE", "fr_FR", "en_US", "es_ES", "it_IT", "nl_NL", "pl_PL"])
def test_faker_samples_are_detected_as_their_locale(locale):
    assert detect_locale(faker_columns(locale)).locale == locale


def test_hand_written_names_and_places():
    german = [(Kind.PERSON_NAME, pd.Series(["Hans Müller", "Jürgen Schmidt", "Anna Schneider", "Klaus Fischer",
                                            "Ursula Weber", "Dieter Meyer", "Sabine Wagner", "Uwe Becker"] * 5)),
              (Kind.CITY, pd.Series(["München", "Köln", "Hamburg", "Berlin", "Stuttgart", "Dresden"] * 5))]
    french = [(Kind.PERSON_NAME, pd.Series(["Jean Dupont", "Marie Martin", "Pierre Bernard", "Camille Dubois",
                                            "Nicolas Lefebvre", "Isabelle Moreau", "Julien Girard"] * 5))]
    english = [(Kind.PERSON_NAME, pd.Series(["James Johnson", "Mary Williams", "Robert Brown", "Linda Jones",
                                             "Michael Davis", "Jennifer Wilson", "David Taylor"] * 5)),
               (Kind.CITY, pd.Series(["Chicago", "Houston", "Phoenix", "Dallas", "Austin"] * 5))]
    assert detect_locale(german).locale == "de_DE"
    assert detect_locale(french).locale == "fr_FR"
    assert detect_locale(english).locale == "en_US"


def test_no_evidence_means_en_us():
    assert detect_locale([]).locale == "en_US"
    codes = pd.Series(["XK-2231", "QZ-9912", None, "AB-0001"])
    detection = detect_locale([(Kind.CITY, codes), (Kind.FIRST_NAME, pd.Series([], dtype=object))])
    assert detection.locale == "en_US" and detection.evidence.startswith("default")


def test_phone_codes_and_domains_hint_without_names():
    phones = pd.Series(["+49 30 1234567", "+49 (0)89 765432", "0049 40 998877", None] * 10)
    assert detect_locale([(Kind.PHONE, phones)]).describe() == "de_DE (detected from phone numbers)"
    emails = pd.Series(["a.b@firma.fr", "c@poste.fr", "d@orange.fr", "x@example.com"] * 10)
    assert detect_locale([(Kind.EMAIL, emails)]).locale == "fr_FR"


def test_en_gb_needs_a_clear_lead_over_en_us():
    names = [(Kind.PERSON_NAME, pd.Series(["James Smith", "Sarah Jones", "David Brown"] * 10))]
    assert detect_locale(names).locale == "en_US"
    postcodes = pd.Series(["SW1A 1AA", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT"] * 10)
    assert detect_locale(names + [(Kind.POSTCODE, postcodes)]).locale == "en_GB"


def test_japanese_script_points_at_ja_jp():
    names = pd.Series(["山田太郎", "佐藤花子", "鈴木一郎", "たなか ゆき"] * 10)
    assert detect_locale([(Kind.PERSON_NAME, names)]).locale == "ja_JP"


def test_an_unknown_locale_fails_with_a_hint():
    assert check_locale("auto") == "auto" and check_locale("de_DE") == "de_DE"
    with pytest.raises(ConfigError, match="unknown locale 'xx_YY'") as err:
        check_locale("xx_YY")
    assert err.value.hint and "de_DE" in err.value.hint


def test_generate_uses_the_locale_in_the_format():
    fmt = fakes.learn_format(Kind.LAST_NAME, pd.Series(["Smith", "Jones"] * 20))
    german = set(fakes._pool("de_DE", "last_name"))
    made = fakes.generate({**fmt, "locale": "de_DE"}, 300, np.random.default_rng(0))
    assert made.isin(german).mean() > 0.95
    forced = fakes.generate({**fmt, "locale": "de_DE"}, 300, np.random.default_rng(0), locale="fr_FR")
    assert forced.isin(set(fakes._pool("fr_FR", "last_name"))).mean() > 0.95
    assert fakes.generate(fmt, 300, np.random.default_rng(0)).isin(set(fakes._pool("en_US", "last_name"))).all()


def test_locales_without_words_of_their_own_write_english_not_lorem():
    assert list(fakes._pool("en_GB", "word")) == list(fakes._pool("en_US", "word"))
    assert list(fakes._pool("de_DE", "word")) != list(fakes._pool("en_US", "word"))
