"""Decide each column's logical kind from its SQL type family, its name and a sample of values.

Key columns (primary and foreign) are decided elsewhere and never reach this module.

Rules, first match wins:

1. **Typed columns** map straight to a modeled kind: the integer family -> ``integer``,
   ``float`` and ``interval`` -> ``float``, ``decimal`` -> ``decimal``, ``boolean`` ->
   ``boolean``, ``datetime``/``date``/``time`` -> the same, ``enum`` -> ``categorical``;
   ``uuid``/``json``/``binary`` -> the same generated kind. A unique integer that looks like
   an identifier number stays ``integer``: keys are handled elsewhere. ``other`` is decided
   from the sample's pandas dtype (numbers, booleans, timestamps) or else like a string.
2. **String-like columns** (string, text, other), by the column name, split into lower-case
   tokens (``ContactName`` -> contact, name; ``e_mail`` -> e, mail):
   email / e_mail / mail -> ``email``; first_name / given_name / forename / middle_name ->
   ``first_name``; last_name / surname / family_name -> ``last_name``; full_name /
   contact_name / person_name and ``<person>_name`` (customer_name, employee_name, ...) ->
   ``person_name``; a bare ``name`` only in a table about people (customer(s), user(s),
   employee(s), person/people, member(s), contact(s), patient(s), student(s), author(s),
   staff, client(s), ...) -> ``person_name`` (``products.name`` is text); phone / mobile /
   tel / fax / cell -> ``phone``; zip / postcode / postal_code -> ``postcode``;
   city / town -> ``city``; state / province / region / district / county / prefecture ->
   ``region`` and country / nation -> ``country`` (by the last word of the name, past a
   ``name`` / ``code`` / ``abbr``: ``state_abbr``, ``country_code``, ``ship_region``, not
   ``region_description``; a bare ``name`` in a table of countries, states or cities too);
   user_name / username / login / screen_name / nickname / handle ->
   ``username`` (a login handle, built from the row's fake person, not a random word);
   address / street / addr (not ip/mac address) -> ``address``.
   A name hint is dropped when the sample contradicts it (an ``email_*`` column whose
   values hold no ``@``, a ``phone`` column without digits, a name without letters).
3. **By values** (non-null sample): >= 80% match an e-mail regex -> ``email``; >= 80% look
   like UUIDs -> ``uuid``; >= 80% look like phone numbers (7-15 digits with phone
   punctuation: a leading ``+``, or a space, dash, dot or parenthesis) -> ``phone``. A bare
   run of digits is not taken for a phone: it is as likely an account number, and the
   ``text`` generator keeps its digit shape anyway.
4. **Identifying even when repeated**: emails, usernames, person/first/last names, phones and
   street addresses keep their identifying kind at any cardinality. City, region, country and
   postcode with low cardinality become ``categorical`` (a handful of cities identifies nobody
   and the model keeps their joint distribution with the other columns); with many distinct
   values they are generated from the locale's place pools, never as random words.
5. **Low cardinality -> categorical**: at most 50 distinct values each seen twice on
   average, or a distinct ratio of at most 5%. A column declared unique is never
   categorical, and a small sample with no repeats is not either (its values would be
   copied verbatim by a categorical model).
6. Everything else string-like -> ``text`` (codes, titles, notes, all-null columns).
7. **Lookup labels** (:func:`lookup_label`, decided once every table is read, as it needs the
   foreign keys pointing *into* a table): a ``text`` column of a small lookup table (at most
   :data:`MAX_LABELS` rows, not a table about people) whose name ends in a label word (name,
   title, description, type, category, department, language ...) and whose rows are referenced
   by at least ``privacy.k`` rows per label on average becomes ``label``: its real values are
   category names shared by many rows (``Sales``, ``Action``, ``English``), not personal, and
   are kept (each drawn once before any repeats), where ``text`` would make them random words.
   A lookup table nothing references enough stays ``text``.

Odd data never raises: bytes are decoded with replacement, other objects go through
``str``, and an empty or all-null sample falls back on the name alone.
"""

from __future__ import annotations

import re
from typing import Iterable

import pandas as pd

from relsynth.privacy import identifiers
from relsynth.schema.kinds import Kind

MAX_CATEGORIES = 50         # at most this many distinct values ...
MIN_MEAN_REPEAT = 2.0       # ... each seen this often on average -> categorical
MAX_DISTINCT_RATIO = 0.05   # or this few distinct values per row, at any count
VALUE_SHARE = 0.8           # share of values that must match a value pattern
HINT_SHARE = 0.5            # share of values that must agree with a name hint

_TYPED = {
    "integer": Kind.INTEGER, "smallint": Kind.INTEGER, "bigint": Kind.INTEGER,
    "float": Kind.FLOAT, "interval": Kind.FLOAT, "decimal": Kind.DECIMAL,
    "boolean": Kind.BOOLEAN, "datetime": Kind.DATETIME, "date": Kind.DATE, "time": Kind.TIME,
    "enum": Kind.CATEGORICAL, "uuid": Kind.UUID, "json": Kind.JSON, "binary": Kind.BINARY,
}

# tables whose bare ``name`` column names a person
_PEOPLE = frozenset({
    "customer", "user", "employee", "person", "people", "member", "contact", "patient",
    "student", "author", "staff", "client", "teacher", "doctor", "driver", "passenger",
    "subscriber", "applicant", "candidate", "guest", "player", "worker", "owner", "tenant",
    "recipient", "sender", "buyer", "seller", "agent", "volunteer", "donor", "instructor",
})
_PERSON_PREFIXES = _PEOPLE - {"user"}   # user_name is a login handle, not a person's name
_USERNAMES = frozenset({"username", "login", "loginname", "userlogin", "loginid", "screenname", "nickname",
                        "nick", "handle"})
_REGION_WORDS = frozenset({"state", "province", "region", "district", "county", "prefecture", "canton"})
_COUNTRY_WORDS = frozenset({"country", "nation"})
_PLACE_TAILS = frozenset({"name", "code", "abbr", "abbrev", "abbreviation", "iso"})
MAX_LABELS = 50             # a lookup table with at most this many rows may hold labels
# the last word of a lookup table's column that names its category (departments.dept_name)
_LABEL_WORDS = frozenset({"name", "title", "label", "description", "desc", "type", "category", "kind", "genre",
                          "class", "group", "status", "department", "dept", "division", "language", "lang",
                          "team", "level", "grade", "tier", "segment", "channel", "method", "role", "rank",
                          "section", "unit"})

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_UUID_RE = re.compile(r"^\{?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\}?$")
_PHONE_CHARS_RE = re.compile(r"^\+?[\d\s().\-/]+((x|ext\.?)\s*\d{1,6})?$", re.IGNORECASE)
_PHONE_PUNCT_RE = re.compile(r"^\+|[\s().\-/]")


def detect_kind(*, table: str, column: str, generic: str, values: pd.Series, unique: bool = False) -> Kind:
    """The logical kind of one non-key column (rules in the module docstring)."""
    generic = (generic or "other").lower()
    if generic in ("integer", "bigint", "decimal") and _identifier_hint(set(_tokens(column)),
                                                                        "".join(_tokens(column))) in (
            Kind.NATIONAL_ID, Kind.CARD_NUMBER):
        return _identifier_hint(set(_tokens(column)), "".join(_tokens(column)))  # an ssn stored as a number
    if generic in _TYPED:
        return _TYPED[generic]
    if generic == "other":
        typed = _kind_from_dtype(values)
        if typed is not None:
            return typed
    return _string_kind(table, column, as_strings(values), unique)


def _kind_from_dtype(values: pd.Series) -> Kind | None:
    """For an ``other`` SQL type, trust a sample that pandas already typed."""
    try:
        dtype = values.dtype
        if pd.api.types.is_bool_dtype(dtype):
            return Kind.BOOLEAN
        if pd.api.types.is_integer_dtype(dtype):
            return Kind.INTEGER
        if pd.api.types.is_float_dtype(dtype):
            return Kind.FLOAT
        if pd.api.types.is_datetime64_any_dtype(dtype):
            return Kind.DATETIME
    except (AttributeError, TypeError):
        pass
    return None


def _string_kind(table: str, column: str, strs: list[str], unique: bool) -> Kind:
    hint = _name_hint(table, column)
    if hint is not None and not _hint_agrees(hint, strs):
        hint = None
    kind = hint or _value_kind(strs)
    if kind in (Kind.EMAIL, Kind.USERNAME, Kind.PERSON_NAME, Kind.FIRST_NAME, Kind.LAST_NAME, Kind.PHONE,
                Kind.ADDRESS, Kind.UUID, Kind.NATIONAL_ID, Kind.CARD_NUMBER, Kind.IP_ADDRESS):
        return kind                      # identifying even when repeated
    if not unique and _low_cardinality(strs):
        return Kind.CATEGORICAL
    return kind or Kind.TEXT


# ---------------------------------------------------------------- names

def _tokens(name: str) -> list[str]:
    """``ShipCity`` -> [ship, city]; ``e_mail`` -> [e, mail]; ``address2`` -> [address, 2]."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name or "")
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", spaced)
    return re.findall(r"[a-z]+|\d+", spaced.lower())


def _forms(word: str) -> set[str]:
    """The word and its possible singulars: employees -> employee, employe; people -> people."""
    forms = {word}
    if word.endswith("ies") and len(word) > 4:
        forms.add(word[:-3] + "y")
    if word.endswith("es") and len(word) > 4:
        forms.add(word[:-2])
    if word.endswith("s") and len(word) > 3:
        forms.add(word[:-1])
    return forms


def _about_people(table: str) -> bool:
    return any(_forms(t) & _PEOPLE for t in _tokens(table))


def _name_hint(table: str, column: str) -> Kind | None:
    tokens = _tokens(column)
    words = set(tokens)
    joined = "".join(t for t in tokens if not t.isdigit())
    special = _identifier_hint(words, joined)
    if special is not None:
        return special
    if "email" in joined or "mail" in words:
        return Kind.EMAIL
    if joined in _USERNAMES or joined.endswith("username"):
        return Kind.USERNAME
    if any(k in joined for k in ("firstname", "givenname", "forename", "middlename")) or "fname" in words:
        return Kind.FIRST_NAME
    if any(k in joined for k in ("lastname", "surname", "familyname")) or "lname" in words:
        return Kind.LAST_NAME
    if _is_person_name(table, joined):
        return Kind.PERSON_NAME
    if "phone" in joined or words & {"tel", "telephone", "mobile", "fax", "cell", "msisdn"}:
        return Kind.PHONE
    if (words & {"zip", "zipcode", "postcode", "plz"} or "postalcode" in joined
            or "postcode" in joined or "zipcode" in joined or joined.endswith("zip")):
        return Kind.POSTCODE
    if words & {"city", "town"} or (joined.endswith("city") and joined[-5:-4] not in "aeio"):
        return Kind.CITY
    place = _place_word(tokens)
    if place == "name" and len(tokens) == 1:   # countries.name, cities.name: the table says what
        place = next((f for t in _tokens(table) for f in _forms(t)
                      if f in _REGION_WORDS | _COUNTRY_WORDS | {"city"}), None)
        if place == "city":
            return Kind.CITY
    if place in _REGION_WORDS:
        return Kind.REGION
    if place in _COUNTRY_WORDS:
        return Kind.COUNTRY
    if (words & {"address", "street", "addr", "addressline"} or "address" in joined or "street" in joined) \
            and not words & {"ip", "mac", "web", "url", "host", "wallet", "server", "remote"}:
        return Kind.ADDRESS
    return None


def _place_word(tokens: list[str]) -> str | None:
    """The word a place column is named by: ``ship_region`` -> region, ``state_abbr`` -> state."""
    core = [t for t in tokens if not t.isdigit()]
    while len(core) > 1 and core[-1] in _PLACE_TAILS:
        core.pop()
    return core[-1] if core else None


def place_kind(column: str) -> Kind | None:
    """``city``, ``region``, ``country`` or ``postcode`` when the column's name says it holds
    one (whatever kind it was given: a categorical ``country`` still tells the row's country)."""
    hint = _name_hint("", column)
    return hint if hint in (Kind.CITY, Kind.REGION, Kind.COUNTRY, Kind.POSTCODE) else None


def lookup_label(*, table: str, column: str, kind: Kind, rows: int, referencing_rows: int, k: int,
                 values: pd.Series | None = None) -> bool:
    """Whether a column of a lookup table holds category names to keep (rule 7 above):
    ``rows`` in the table, ``referencing_rows`` in the tables whose foreign keys point at it."""
    if kind is not Kind.TEXT or not 0 < rows <= MAX_LABELS or _about_people(table):
        return False
    tokens = [t for t in _tokens(column) if not t.isdigit()]
    if not tokens or tokens[-1] not in _LABEL_WORDS:
        return False
    if values is not None:   # short names, not notes: a label is a few words
        strs = as_strings(values)
        if strs and max(len(s.split()) for s in strs) > 12:
            return False
    return referencing_rows >= max(int(k), 1) * rows


def _identifier_hint(words: set[str], joined: str) -> Kind | None:
    """National ids, card numbers and IP addresses by name (also for integer-typed columns)."""
    if words & {"ssn", "sin", "nin", "nino", "passport", "tin"} or any(
            k in joined for k in ("socialsecurity", "nationalid", "taxid", "nationalnumber", "passportnumber")):
        return Kind.NATIONAL_ID
    if words & {"pan", "cc"} and words & {"number", "num", "no"} or any(
            k in joined for k in ("cardnumber", "creditcard", "debitcard", "ccnumber", "cardno")):
        return Kind.CARD_NUMBER
    if words & {"ip", "ipv4", "ipv6"} or "ipaddress" in joined:
        return Kind.IP_ADDRESS
    return None


def _is_person_name(table: str, joined: str) -> bool:
    if joined in ("fullname", "contactname", "personname"):
        return True
    if joined.endswith("name") and _forms(joined[:-4]) & _PERSON_PREFIXES:
        return True                      # customer_name, employee_name, author_name ...
    return joined == "name" and _about_people(table)


# ---------------------------------------------------------------- values

FREE_TEXT_SPACES = 0.5     # share of values holding a space that makes a text column prose, not codes


BINARY_TYPES = (bytes, bytearray, memoryview)


def holds_binary(present: pd.Series) -> bool:
    """Whether a column's non-null values are bytes (a driver hands out one kind per column)."""
    return bool(len(present)) and isinstance(present.iloc[0], BINARY_TYPES)


def is_free_text(values: pd.Series) -> bool:
    """Prose (notes, reviews, product names) rather than codes: most values hold a space."""
    present = values.dropna().astype(str)
    return len(present) > 0 and float(present.str.contains(" ", regex=False).mean()) >= FREE_TEXT_SPACES


def as_strings(values: pd.Series | Iterable | None) -> list[str]:
    """Non-null values as str, whatever they were (bytes, numbers, mixed objects)."""
    if values is None:
        return []
    try:
        series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
        present = series[~series.isna()].tolist()
    except (TypeError, ValueError):
        present = [v for v in values if v is not None]
    out = []
    for v in present:
        if isinstance(v, (bytes, bytearray, memoryview)):
            out.append(bytes(v).decode("utf-8", "replace"))
        else:
            try:
                out.append(str(v))
            except Exception:            # an object whose __str__ fails: treat as missing
                continue
    return out


def _share(strs: list[str], test) -> float:
    return sum(1 for s in strs if test(s)) / len(strs) if strs else 0.0


def _hint_agrees(kind: Kind, strs: list[str]) -> bool:
    """An empty sample cannot contradict the name."""
    if not strs:
        return True
    if kind is Kind.EMAIL:
        return _share(strs, lambda s: "@" in s) >= HINT_SHARE
    if kind is Kind.PHONE:
        return _share(strs, lambda s: sum(c.isdigit() for c in s) >= 5) >= HINT_SHARE
    if kind is Kind.POSTCODE:
        return _share(strs, lambda s: 2 <= len(s.strip()) <= 12 and any(c.isalnum() for c in s)) >= HINT_SHARE
    if kind in (Kind.NATIONAL_ID, Kind.CARD_NUMBER):
        return _share(strs, lambda s: sum(c.isdigit() for c in s) >= 6) >= HINT_SHARE
    if kind is Kind.IP_ADDRESS:
        return _share(strs, identifiers.looks_like_ip) >= HINT_SHARE
    if kind is Kind.USERNAME:   # a handle is one token with a letter
        return _share(strs, lambda s: any(c.isalpha() for c in s) and not any(c.isspace() for c in s.strip())) \
            >= HINT_SHARE
    return _share(strs, lambda s: any(c.isalpha() for c in s)) >= HINT_SHARE


def _looks_like_phone(s: str) -> bool:
    s = s.strip()
    digits = sum(c.isdigit() for c in s)
    return 7 <= digits <= 15 and bool(_PHONE_CHARS_RE.match(s)) and bool(_PHONE_PUNCT_RE.search(s))


def _value_kind(strs: list[str]) -> Kind | None:
    if not strs:
        return None
    if _share(strs, lambda s: bool(_EMAIL_RE.match(s.strip()))) >= VALUE_SHARE:
        return Kind.EMAIL
    if _share(strs, lambda s: bool(_UUID_RE.match(s.strip()))) >= VALUE_SHARE:
        return Kind.UUID
    # before phones: an SSN or an IPv4 address has a phone's digits and punctuation
    if _share(strs, identifiers.looks_like_national_id) >= VALUE_SHARE:
        return Kind.NATIONAL_ID
    if _share(strs, identifiers.looks_like_ip) >= VALUE_SHARE:
        return Kind.IP_ADDRESS
    if _share(strs, identifiers.looks_like_card) >= VALUE_SHARE:
        return Kind.CARD_NUMBER
    if _share(strs, _looks_like_phone) >= VALUE_SHARE:
        return Kind.PHONE
    return None


def _low_cardinality(strs: list[str]) -> bool:
    if not strs:
        return False
    distinct = len(set(strs))
    if distinct <= MAX_CATEGORIES and len(strs) >= MIN_MEAN_REPEAT * distinct:
        return True
    return distinct < len(strs) and distinct / len(strs) <= MAX_DISTINCT_RATIO
