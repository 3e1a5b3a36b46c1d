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
   secrets first: password / passwd / pwd / passcode / passphrase / secret / salt / otp /
   credential(s), ``<api|access|secret|private|auth|license|client...>_key``, session_id,
   access/refresh/auth token -> ``secret`` whatever the values (but for a flag or a sentence:
   at least half the values must be 4+ characters without a space); hash / hashed / digest /
   token / nonce / signature -> ``secret`` only when at least half the values look like one
   (rule 3); a name ending in a word *about* the secret (password_changed_at, password_hint,
   token_count, secret_question) is not one. Then national id, card and IP names; url / uri /
   link / homepage / website / avatar and ``*_path``, ``*_url``, ``*_filename`` (photo_path) ->
   ``url``; email / e_mail / mail -> ``email``; first_name / given_name / forename /
   middle_name -> ``first_name``; last_name / surname / family_name -> ``last_name``;
   full_name / contact_name / person_name and ``<person>_name`` (customer_name,
   employee_name, ...) -> ``person_name``; a bare ``name`` only in a table about people
   (customer(s), user(s), employee(s), person/people, member(s), contact(s), patient(s),
   student(s), author(s), staff, client(s), ...) -> ``person_name`` (``products.name`` is text);
   company / organization / employer and ``<organization>_name`` (company_name, vendor_name,
   supplier_name, account_name, ...) or the name of whom an order goes to (ship_name,
   bill_to_name, consignee) -> ``organization``, and a bare ``name`` in a table about
   organizations (suppliers, shippers, companies, vendors, ...); a ship-to name whose values
   are mostly "First Last" with a known first name is a ``person_name``; phone / mobile / tel /
   fax / cell -> ``phone``; zip / postcode / postal_code -> ``postcode``; city / town ->
   ``city``; state / province / region / district / county / prefecture -> ``region`` and
   country / nation -> ``country`` (by the last word of the name, past a ``name`` / ``code`` /
   ``abbr``: ``state_abbr``, ``country_code``, ``ship_region``, not ``region_description``; a
   bare ``name`` in a table of countries, states or cities too); user_name / username / login /
   screen_name / nickname / handle -> ``username`` (a login handle, built from the row's fake
   person, not a random word); address / street / addr (not ip/mac/web address; ship_address
   is a street) -> ``address``. A name hint is dropped when the sample contradicts it (an
   ``email_*`` column whose values hold no ``@``, a ``phone`` column without digits, a name
   without letters, a ``url`` column without ``/``, ``\\``, ``#`` or ``.``).
3. **By values** (non-null sample): >= 80% match an e-mail regex -> ``email``; >= 80% look
   like UUIDs -> ``uuid``; >= 80% look like phone numbers (7-15 digits with phone
   punctuation: a leading ``+``, or a space, dash, dot or parenthesis) -> ``phone``. A bare
   run of digits is not taken for a phone: it is as likely an account number, and the
   ``text`` generator keeps its digit shape anyway. Then >= 80% secrets (hex digests of 32 to
   128 digits, bcrypt / crypt / argon2 / Django / LDAP hashes behind their scheme header,
   vendor API keys, JWTs, 20+ characters of random-looking base64: :mod:`relsynth.privacy.
   credentials`) -> ``secret``; >= 80% URLs or file paths -> ``url``; >= 50% names ending in
   a legal form (GmbH, Inc., S.A., s.r.l. ...) -> ``organization``.
4. **Identifying even when repeated**: emails, usernames, person/first/last names, phones,
   street addresses and secrets keep their identifying kind at any cardinality (two staff
   sharing one password hash must not make it a category, which would copy it). City, region,
   country, postcode, organization and URL with low cardinality become ``categorical`` (a
   handful of cities or carriers identifies nobody and the model keeps their joint
   distribution with the other columns; a rare one is replaced by frequent ones before the
   model sees it); with many distinct values places are generated from the locale's place
   pools, never as random words.
5. **Job titles** (title, job_title, contact_title, position, occupation, role ...) with at
   most 50 distinct values of which most rows hold one another row holds too (northwind
   suppliers: 15 titles in 29 rows) -> ``categorical``: rare titles are then replaced by
   frequent ones, where free text would have kept words of them.
6. **Low cardinality -> categorical**: at most 50 distinct values each seen twice on
   average, or a distinct ratio of at most 5%. A column declared unique is never
   categorical, and a small sample with no repeats is not either (its values would be
   copied verbatim by a categorical model).
7. Everything else string-like -> ``text`` (codes, titles, notes, all-null columns).
8. **Lookup labels** (:func:`lookup_label`, decided once every table is read, as it needs the
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

from relsynth.privacy import credentials, identifiers, locators, organizations
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
    if hint is not None and not _hint_agrees(hint, strs, column):
        hint = None
    if hint is Kind.ORGANIZATION and _is_party(column) and _share(strs, _looks_like_person) >= HINT_SHARE:
        hint = Kind.PERSON_NAME          # a ship-to name that holds people's names
    kind = hint or _value_kind(strs)
    if kind in (Kind.EMAIL, Kind.USERNAME, Kind.PERSON_NAME, Kind.FIRST_NAME, Kind.LAST_NAME, Kind.PHONE,
                Kind.ADDRESS, Kind.UUID, Kind.NATIONAL_ID, Kind.CARD_NUMBER, Kind.IP_ADDRESS, Kind.SECRET):
        return kind                      # identifying even when repeated
    if kind is None and not unique and _is_job_title(column) and _title_vocabulary(strs):
        return Kind.CATEGORICAL          # a job-title vocabulary: rare titles are replaced, never copied
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
    if _secret_strength(tokens) is not None:
        return Kind.SECRET               # before e-mails and ids: an email_token, an ssn_hash
    special = _identifier_hint(words, joined)
    if special is not None:
        return special
    if _is_locator(words, joined):
        return Kind.URL
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
    if _is_organization(table, joined):
        return Kind.ORGANIZATION
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
    if words & {"ip", "ipv4", "ipv6"} or any(w.startswith("ipaddr") for w in words):
        return Kind.IP_ADDRESS           # not ship_address / shipaddress
    return None


def _is_person_name(table: str, joined: str) -> bool:
    if joined in ("fullname", "contactname", "personname"):
        return True
    if joined.endswith("name") and _forms(joined[:-4]) & _PERSON_PREFIXES:
        return True                      # customer_name, employee_name, author_name ...
    return joined == "name" and _about_people(table)


def _secret_strength(tokens: list[str]) -> str | None:
    """``strong`` for a name that says secret whatever the values (password, api_key, salt),
    ``weak`` for one that needs secret-looking values too (hash, digest, token); None otherwise.
    A name ending in a word about the secret rather than the secret itself (password_changed_at,
    password_hint, token_count) is not one."""
    if not tokens or tokens[-1] in _ABOUT_A_SECRET:
        return None
    words, joined = set(tokens), "".join(tokens)
    if (words & _SECRET_WORDS or any(w in joined for w in ("password", "passwd", "passphrase", "passcode"))
            or ("key" in words and words & _KEY_QUALIFIERS) or joined in _SECRET_JOINED
            or ("session" in words and words & {"id", "key"})):
        return "strong"
    if words & {"hash", "hashed", "digest", "token", "tokens", "nonce", "signature"}:
        return "weak"
    return None


_SECRET_WORDS = frozenset({"password", "passwords", "passwd", "pwd", "passcode", "passphrase", "secret",
                           "secrets", "salt", "apikey", "credential", "credentials", "otp", "totp"})
_KEY_QUALIFIERS = frozenset({"api", "access", "secret", "private", "auth", "license", "licence", "signing",
                             "encryption", "ssh", "client", "app", "master"})
_SECRET_JOINED = frozenset({"apikey", "accesskey", "secretkey", "privatekey", "authkey", "licensekey", "sessionid",
                            "sessionkey", "clientsecret", "authtoken", "accesstoken", "refreshtoken"})
_ABOUT_A_SECRET = frozenset({"at", "on", "date", "time", "ts", "count", "length", "len", "changed", "updated",
                             "expires", "expiry", "expiration", "policy", "hint", "required", "set", "enabled",
                             "type", "algorithm", "algo", "scheme", "version", "age", "reset", "attempts",
                             "strength", "last", "question"})
_ORG_NAMES = frozenset({"company", "companies", "organization", "organisation", "org", "business", "firm",
                        "employer", "vendor", "supplier", "shipper", "carrier", "merchant", "agency", "institution",
                        "account", "partner", "enterprise", "corporation", "legal", "trade", "trading", "brand"})
_PARTY_NAMES = frozenset({"ship", "shipto", "bill", "billto", "sold", "soldto", "deliver", "delivery",
                          "consignee", "payee", "payer", "invoice"})
_ORG_TABLES = frozenset({"company", "companies", "organization", "organisation", "business", "firm", "employer",
                         "vendor", "supplier", "shipper", "carrier", "merchant", "agency", "institution",
                         "partner", "enterprise", "corporation", "manufacturer", "publisher", "distributor"})


def _is_organization(table: str, joined: str) -> bool:
    """company_name, organization, employer, vendor_name, ship_name (the party an order goes to),
    and a bare ``name`` in a table about organizations (suppliers.name, shippers.name)."""
    if joined in ("company", "organization", "organisation", "employer", "consignee"):
        return True
    if joined.endswith("name") and len(joined) > 4:
        return bool(_forms(joined[:-4]) & (_ORG_NAMES | _PARTY_NAMES))
    return joined == "name" and any(_forms(t) & _ORG_TABLES for t in _tokens(table))


def _is_party(column: str) -> bool:
    """A name of whoever an order is shipped or billed to: a company or a person."""
    return bool(set(_tokens(column)) & _PARTY_NAMES) or "consignee" in "".join(_tokens(column))


def _is_locator(words: set[str], joined: str) -> bool:
    """url, uri, link, homepage, website, avatar, photo_path, file_name, picture (stored as text)."""
    return bool(words & {"url", "uri", "urls", "href", "homepage", "website", "link", "avatar", "webpage"}
                or joined.endswith(("path", "url", "uri", "filename", "website", "homepage"))
                or joined in ("photo", "picture", "image", "img", "attachment", "webaddress", "web"))


_TITLE_NAMES = frozenset({"title", "jobtitle", "position", "jobposition", "occupation", "job", "designation",
                          "role", "jobrole", "profession"})
TITLE_SHARED = 0.5         # share of rows whose title another row holds too: a vocabulary, not free text


def _is_job_title(column: str) -> bool:
    tokens = _tokens(column)
    return bool(tokens) and ("".join(tokens) in _TITLE_NAMES or tokens[-1] in ("title", "position", "occupation"))


def _title_vocabulary(strs: list[str]) -> bool:
    """At most 50 titles, and most rows hold one that another row holds too (suppliers'
    Sales Representative x6, Marketing Manager x5 ... among 29 rows): categories."""
    if not strs:
        return False
    counts = pd.Series(strs, dtype=object).value_counts()
    return len(counts) <= MAX_CATEGORIES and float(counts[counts >= 2].sum()) / len(strs) >= TITLE_SHARED


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


def _hint_agrees(kind: Kind, strs: list[str], column: str = "") -> bool:
    """An empty sample cannot contradict the name."""
    if not strs:
        return True
    if kind is Kind.SECRET:   # a flag (Y/N) or a sentence is no secret; a hash, a key or a password is
        if _secret_strength(_tokens(column)) == "weak":
            return _share(strs, credentials.looks_like_secret) >= HINT_SHARE
        return _share(strs, lambda s: len(s.strip()) >= 4 and not any(c.isspace() for c in s.strip())) >= HINT_SHARE
    if kind is Kind.URL:
        return _share(strs, lambda s: any(c in s for c in "/\\#") or "." in s.strip(". ")) >= HINT_SHARE
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
    if _share(strs, credentials.looks_like_secret) >= VALUE_SHARE:
        return Kind.SECRET
    if _share(strs, locators.looks_like_locator) >= VALUE_SHARE:
        return Kind.URL
    if _share(strs, organizations.looks_like_organization) >= organizations.ORGANIZATION_SHARE:
        return Kind.ORGANIZATION
    return None


def _looks_like_person(s: str) -> bool:
    """Two or three capitalized words, the first a known first name, no legal form."""
    from relsynth.privacy.entities import faker_names   # Faker's static name lists, loaded once

    words = s.strip().split()
    return (2 <= len(words) <= 3 and all(w[:1].isupper() for w in words)
            and words[0].casefold() in faker_names()[0] and not organizations.looks_like_organization(s))


def _low_cardinality(strs: list[str]) -> bool:
    if not strs:
        return False
    distinct = len(set(strs))
    if distinct <= MAX_CATEGORIES and len(strs) >= MIN_MEAN_REPEAT * distinct:
        return True
    return distinct < len(strs) and distinct / len(strs) <= MAX_DISTINCT_RATIO
