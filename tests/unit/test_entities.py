"""Person names and street addresses inside free text: planted ones are found, ordinary
sentences come through untouched."""

from __future__ import annotations

import pytest

from relsynth.privacy.entities import find
from relsynth.schema.kinds import Kind

NAME, ADDRESS = Kind.PERSON_NAME, Kind.ADDRESS
# the source's own name columns, as scrub would pass them
KNOWN = ["Maria", "Kowalski", "Maria Kowalski", "Okonkwo, Chidi", "Mark", "Grace", "Hope Adeyemi"]

PLANTED = [
    # known names: full, alone, lowercase full, "Last, First" written "First Last"
    ("Hi, this is Maria Kowalski, 12 Elm Street, please call back",
     [("Maria Kowalski", NAME), ("12 Elm Street", ADDRESS)]),
    ("Kowalski called again, angry.", [("Kowalski", NAME)]),
    ("spoke to maria kowalski on the phone", [("maria kowalski", NAME)]),
    ("Escalated by Chidi Okonkwo yesterday", [("Chidi Okonkwo", NAME)]),
    ("Left a voicemail for Okonkwo.", [("Okonkwo", NAME)]),
    ("Hope Adeyemi wants a refund", [("Hope Adeyemi", NAME)]),
    # honorifics: the title stays
    ("Please ask Dr. Okafor about the results.", [("Okafor", NAME)]),
    ("Mrs. May Thompson rang twice", [("May Thompson", NAME)]),
    ("Bitte an Herr Schneider weiterleiten", [("Schneider", NAME)]),
    ("Rendez-vous avec M. Dupont demain", [("Dupont", NAME)]),
    # a first name from Faker's lists and a surname
    ("Contact Mark Davis about the invoice", [("Mark Davis", NAME)]),
    ("The courier handed it to Julia Wagner at the door", [("Julia Wagner", NAME)]),
    # cues
    ("My name is Tomasz Wiśniewski and my order is late", [("Tomasz Wiśniewski", NAME)]),
    ("Hello, this is Lucia speaking", [("Lucia", NAME)]),
    ("Dear Anna,\nyour parcel is on its way", [("Anna", NAME)]),
    ("Thanks,\nAnna Smith", [("Anna Smith", NAME)]),
    ("Still broken. Regards, John", [("John", NAME)]),
    ("Best,\nOlivia", [("Olivia", NAME)]),
    # street addresses, English orders
    ("Ship it to 350 5th Ave, Apt 4B, New York, NY 10001 please",
     [("350 5th Ave, Apt 4B, New York, NY 10001", ADDRESS)]),
    ("Return address: 221B Baker Street, London NW1 6XE", [("221B Baker Street, London NW1 6XE", ADDRESS)]),
    ("Moved to 1600 Pennsylvania Avenue NW last week", [("1600 Pennsylvania Avenue NW", ADDRESS)]),
    ("Deliver to 42 Oak Dr Suite 200, Springfield, IL 62704.",
     [("42 Oak Dr Suite 200, Springfield, IL 62704", ADDRESS)]),
    # continental orders
    ("Lieferung an Hauptstraße 12, 10115 Berlin bitte", [("Hauptstraße 12, 10115 Berlin", ADDRESS)]),
    ("Neue Adresse: Goethestr. 5", [("Goethestr. 5", ADDRESS)]),
    ("Wohnt jetzt in der Berliner Straße 3a", [("Berliner Straße 3a", ADDRESS)]),
    ("Paket an Konrad-Adenauer-Straße 98/57 geschickt", [("Konrad-Adenauer-Straße 98/57", ADDRESS)]),
    ("J'habite au 12 rue de la Paix, 75002 Paris", [("12 rue de la Paix, 75002 Paris", ADDRESS)]),
    ("Vivo en Calle Mayor 3, 28013 Madrid", [("Calle Mayor 3, 28013 Madrid", ADDRESS)]),
    ("Abito in Via Roma 10, Milano", [("Via Roma 10, Milano", ADDRESS)]),
    ("Bezorgen op Keizersgracht 123, 1015 CJ Amsterdam", [("Keizersgracht 123, 1015 CJ Amsterdam", ADDRESS)]),
]

ORDINARY = [
    "May I return it on Monday?",
    "The Apple Watch arrived",
    "Order 12 items by Friday",
    "Grace period ends in June",
    "Thanks, great service",
    "I love my Ocean Drive sunglasses",          # a product named like a street, no house number
    "I ordered 2 Ocean Drive sunglasses",        # a quantity, not a house number
    "Will it arrive before Christmas?",
    "Mark the box as fragile, please.",
    "Hope you can help me with this.",
    "Victoria Station was closed, so the courier came late",
    "Bought it at Best Buy last week.",
    "Customer Service never answered",
    "Via Amazon 3 days ago, still nothing",
    "The Spring 2024 collection is sold out",
    "Please contact Customer Support on Tuesday",
    "Delivered in 3 days, very happy",
    "Thanks Amazon for the fast delivery",
    "I am Happy with the product",
    "This is Great value for money",
    "Hi Team, the invoice is wrong",
    "Received 2 boxes, 1 damaged",
    "New York is where I live now",
    "The USB cable from DHL Express works",
    "Send it to maria.kowalski@example.com, not the old address",
    "Our Black Friday sale starts in November",
    "We have 3 Service Centers nearby.",          # a rarer street suffix needs a 2+ digit number
    "Version 2 Pro Club edition is great",
    "It costs 12 Dollars Point",                  # a quantity in any case
    "I waited 45 Minutes Square",
]


def spans_of(text: str, names=KNOWN) -> list[tuple[str, Kind]]:
    (spans,) = find([text], names=names)
    return [(text[start:end], kind) for start, end, kind in spans]


@pytest.mark.parametrize(("text", "expected"), PLANTED)
def test_planted_names_and_addresses_are_found(text, expected):
    assert spans_of(text) == expected


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_sentences_yield_no_span(text):
    assert spans_of(text) == []


def test_known_common_word_names_only_count_next_to_another_name():
    # "Grace" and "Mark" are real first names in the source, but alone they are words
    assert spans_of("Grace called about the refund") == []
    assert spans_of("Please Mark it as urgent") == []
    assert spans_of("Spoke with Grace Kowalski today") == [("Grace Kowalski", NAME)]


def test_lowercase_single_names_are_not_matched():
    assert spans_of("maria called back") == []


def test_nothing_inside_an_email_address_or_url():
    text = "Write to Maria.Kowalski@example.com or see www.example.com/Anna-Smith"
    assert spans_of(text) == []


def test_spans_are_sorted_non_overlapping_and_longest_wins():
    texts = [text for text, _ in PLANTED] + ORDINARY + [
        "Mr. John Smith, 10 Downing Street, London SW1A 2AA. Thanks,\nJohn Smith",
        "12 Oak Dr Smith",   # the street suffix "Dr" is not an honorific here
    ]
    for text, spans in zip(texts, find(texts, names=KNOWN)):
        assert spans == sorted(spans)
        for (_, end, _), (start, _, _) in zip(spans, spans[1:]):
            assert end <= start, text
    assert spans_of("12 Oak Dr Smith") == [("12 Oak Dr", ADDRESS)]


def test_no_names_list_and_non_strings():
    assert find([], names=()) == []
    assert find(["Thanks,\nAnna Smith", None], names=()) == [[(8, 18, NAME)], []]


def test_the_rarer_us_street_suffixes_are_found():
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(3)
    addresses = [fake.street_address() for _ in range(300)]
    texts = [f"Please ship to {a} by Friday." for a in addresses]
    found = [[t[s:e] for s, e, _ in spans] for t, spans in zip(texts, find(texts))]
    assert sum(any(a.startswith(f) or f.startswith(a.split(" Apt")[0].split(" Suite")[0]) for f in spans)
               for a, spans in zip(addresses, found)) >= 0.95 * len(addresses)


@pytest.mark.parametrize("locale", ["en_US", "es_ES", "it_IT"])
def test_street_addresses_of_several_locales_are_found(locale):
    from faker import Faker

    fake = Faker(locale)
    fake.seed_instance(3)
    texts = [f"Please send to {fake.street_address()} thanks." for _ in range(300)]
    assert sum(bool(spans) for spans in find(texts)) >= 0.95 * len(texts)
