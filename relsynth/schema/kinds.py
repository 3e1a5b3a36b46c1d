"""The closed set of logical column kinds, and how each is produced.

A kind says what a column *means* for synthesis, not how the database stores it:
``integer``/``float``/``decimal``/``boolean``/``categorical``/``datetime``/``date``/``time``
are learned by the table model; identifying and near-unique kinds are never sampled from
real values but generated in the same format; ``label`` columns (a lookup table's category
names) keep their real values, each drawn once before any repeats; ``key`` columns get fresh keys.
"""

from __future__ import annotations

from enum import Enum


class Kind(str, Enum):
    INTEGER = "integer"
    FLOAT = "float"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    CATEGORICAL = "categorical"
    DATETIME = "datetime"
    DATE = "date"
    TIME = "time"
    # generated in the source's format, never copied
    TEXT = "text"              # free text or near-unique strings (codes, titles, notes)
    EMAIL = "email"
    PERSON_NAME = "person_name"
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    PHONE = "phone"
    ADDRESS = "address"
    CITY = "city"
    REGION = "region"          # state, province, district, county: a place pool of the locale
    COUNTRY = "country"        # country names or ISO codes, from the list of real countries
    POSTCODE = "postcode"
    USERNAME = "username"      # a login handle, built from the row's fake person
    NATIONAL_ID = "national_id"   # social security and other national numbers
    CARD_NUMBER = "card_number"   # payment cards
    IP_ADDRESS = "ip_address"
    ORGANIZATION = "organization"  # a company or organization named as a party (company_name, ship_name)
    SECRET = "secret"             # passwords, password hashes, API keys, tokens: never copied, same format
    URL = "url"                   # URLs and file paths (photo_path, homepage): same shape, fake name parts
    UUID = "uuid"
    JSON = "json"
    BINARY = "binary"
    # a value of a database type with its own syntax (inet, cidr, macaddr, ranges, geometry,
    # bit strings, xml, hstore): generated valid in that syntax from learned shapes and numbers
    TYPED = "typed"
    # the category names of a small lookup table (departments, film categories): kept, not
    # personal, because every one is shared by many referencing rows (see schema.detect)
    LABEL = "label"
    # primary and foreign key columns: fresh keys, FKs point at generated parents
    KEY = "key"

    def __str__(self) -> str:  # YAML and tables show the plain name
        return self.value

    @property
    def modeled(self) -> bool:
        """Learned jointly by the table model (with the parent's context)."""
        return self in MODELED

    @property
    def identifying(self) -> bool:
        """Identifies a person or a record: generated, never sampled from real values."""
        return self in IDENTIFYING


MODELED = frozenset({Kind.INTEGER, Kind.FLOAT, Kind.DECIMAL, Kind.BOOLEAN, Kind.CATEGORICAL,
                     Kind.DATETIME, Kind.DATE, Kind.TIME})
IDENTIFYING = frozenset({Kind.TEXT, Kind.EMAIL, Kind.PERSON_NAME, Kind.FIRST_NAME, Kind.LAST_NAME,
                         Kind.PHONE, Kind.ADDRESS, Kind.CITY, Kind.REGION, Kind.COUNTRY, Kind.POSTCODE,
                         Kind.USERNAME, Kind.UUID, Kind.JSON, Kind.BINARY, Kind.TYPED, Kind.NATIONAL_ID, Kind.CARD_NUMBER,
                         Kind.IP_ADDRESS, Kind.ORGANIZATION, Kind.SECRET, Kind.URL})
# drawn from public lists (Faker's names and places, the lookup table's own labels): a fake equal
# to a real value by chance identifies nobody, so these are never checked against the source
PUBLIC = frozenset({Kind.FIRST_NAME, Kind.LAST_NAME, Kind.CITY, Kind.REGION, Kind.COUNTRY, Kind.LABEL})


def parse_kind(value: str) -> Kind:
    try:
        return Kind(value)
    except ValueError:
        from relsynth.errors import ConfigError

        known = ", ".join(k.value for k in Kind)
        raise ConfigError(f"unknown column kind {value!r}", hint=f"use one of: {known}") from None
