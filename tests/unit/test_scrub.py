"""Personal data inside free text is replaced in place, the sentence around it kept."""

from __future__ import annotations

import pandas as pd

from relsynth.privacy.pseudonyms import Pseudonyms
from relsynth.privacy.scrub import Names, scrub
from relsynth.schema.kinds import Kind


def test_pii_inside_text_is_replaced_and_the_sentence_kept():
    notes = pd.Series([
        "Customer jane.doe@gmail.com called from +1 415-555-0199 about the refund.",
        "Card 4111 1111 1111 1111 declined, SSN 123-45-6789 on file, login from 81.2.69.160",
        "Great product, would buy again.",
        None,
    ])
    out, replaced = scrub(notes, Pseudonyms(b"a test salt, 16+ chars"))
    assert replaced == 5
    joined = " ".join(out.dropna())
    for real in ("jane.doe@gmail.com", "415-555-0199", "4111 1111 1111 1111", "123-45-6789", "81.2.69.160"):
        assert real not in joined
    assert out[0].startswith("Customer ") and out[0].endswith(" about the refund.") and "example.com" in out[0]
    assert out[2] == "Great product, would buy again." and out[3] is None


def test_the_same_value_in_two_texts_becomes_the_same_fake():
    salt = b"a test salt, 16+ chars"
    notes = pd.Series(["write to ann@corp.net", "ann@corp.net again, or bob@corp.net"])
    out, _ = scrub(notes, Pseudonyms(salt))
    first = out[0].split()[-1]
    assert out[1].startswith(first + " again") and first not in out[1].split()[-1]
    again, _ = scrub(notes, Pseudonyms(salt))              # another run, the same salt
    assert again.tolist() == out.tolist()
    other, _ = scrub(notes, Pseudonyms(b"another salt, 16+ chars"))
    assert other[0] != out[0]


def test_names_and_addresses_inside_text_are_replaced_consistently():
    salt = b"a test salt, 16+ chars"
    names = Names()
    names.add(Kind.FIRST_NAME, pd.Series(["Maria", "Tomasz"]))
    names.add(Kind.LAST_NAME, pd.Series(["Kowalski", "Nowak"]))
    notes = pd.Series(["Hi, this is Maria Kowalski, 12 Elm Street. Please call back.",
                       "Kowalski again: parcel never came.",
                       "May I return it on Monday?"])
    pseudonyms = Pseudonyms(salt)
    out, replaced = scrub(notes, pseudonyms, names)
    assert replaced == 3
    assert not any(real in " ".join(out) for real in ("Maria", "Kowalski", "Elm Street"))
    first = pseudonyms.replace(Kind.FIRST_NAME, pd.Series(["Maria"]))[0]
    last = pseudonyms.replace(Kind.LAST_NAME, pd.Series(["Kowalski"]))[0]
    assert out[0].startswith(f"Hi, this is {first} {last}, ") and out[0].endswith(". Please call back.")
    assert out[1] == f"{last} again: parcel never came."        # the lone surname: the same fake
    assert out[2] == "May I return it on Monday?"


def test_json_read_back_as_dicts_stays_dicts_with_the_pii_replaced():
    from relsynth.privacy.masking import _scrub_json

    docs = pd.Series([{"mail": "ann@corp.net", "n": 3}, None, '{"a": "bob@corp.net"}'], dtype=object)
    out = _scrub_json(docs, Pseudonyms(b"a test salt, 16+ chars"), Names())
    assert isinstance(out[0], dict) and out[0]["n"] == 3 and "example." in out[0]["mail"]
    assert out[1] is None and "bob@corp.net" not in out[2] and out[2].startswith('{"a": ')
