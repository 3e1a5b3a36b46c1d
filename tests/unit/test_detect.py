"""Column kinds: typed columns are modeled, identifying strings are found by name and by value,
low-cardinality categories stay categories, and odd samples never crash detection."""

import base64
import hashlib

import numpy as np
import pandas as pd
import pytest

from relsynth.schema.detect import detect_kind
from relsynth.schema.kinds import Kind

RNG = np.random.default_rng(0)
FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
         "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen"]
LAST = ["Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson",
        "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White"]


def s(values):
    return pd.Series(values, dtype=object)


def full_names(n=300):
    return s([f"{FIRST[i % len(FIRST)]} {LAST[(i * 7) % len(LAST)]}" for i in range(n)])


def emails(n=300):
    return s([f"{FIRST[i % 20].lower()}.{LAST[(i * 7) % 19].lower()}{i}@gmail.com" for i in range(n)])


def phones(n=300):
    return s([f"+1 ({RNG.integers(200, 999)}) {RNG.integers(200, 999)}-{RNG.integers(0, 9999):04d}" for _ in range(n)])


def notes(n=300):
    words = "call back later about the refund delivery was late customer asked for invoice copy".split()
    return s([" ".join(RNG.choice(words, size=RNG.integers(3, 12))) + f" ref {i}" for i in range(n)])


def kind(column, values=(), table="t", generic="string", unique=False):
    return detect_kind(table=table, column=column, generic=generic, values=s(list(values)), unique=unique)


@pytest.mark.parametrize("generic, expected", [
    ("integer", Kind.INTEGER), ("smallint", Kind.INTEGER), ("bigint", Kind.INTEGER),
    ("float", Kind.FLOAT), ("interval", Kind.FLOAT), ("decimal", Kind.DECIMAL), ("boolean", Kind.BOOLEAN),
    ("datetime", Kind.DATETIME), ("date", Kind.DATE), ("time", Kind.TIME), ("enum", Kind.CATEGORICAL),
    ("uuid", Kind.UUID), ("json", Kind.JSON), ("binary", Kind.BINARY),
])
def test_typed_columns_map_to_their_kind_whatever_the_name(generic, expected):
    assert detect_kind(table="customers", column="email", generic=generic, values=s([])) is expected


def test_a_unique_identifier_number_is_still_an_integer():
    values = pd.Series(np.arange(100_000, 100_500))
    assert detect_kind(table="orders", column="order_number", generic="bigint", values=values, unique=True) \
        is Kind.INTEGER


def test_other_sql_types_follow_the_sample_dtype_or_the_string_rules():
    assert detect_kind(table="t", column="x", generic="other", values=pd.Series([1, 2, 3])) is Kind.INTEGER
    assert detect_kind(table="t", column="x", generic="other", values=pd.Series([0.5, 2.0])) is Kind.FLOAT
    assert detect_kind(table="t", column="x", generic="other", values=emails()) is Kind.EMAIL


@pytest.mark.parametrize("column", ["email", "EMail", "e_mail", "contactEmail", "email_address", "mail"])
def test_emails_are_found_by_name(column):
    assert kind(column, emails()) is Kind.EMAIL
    assert kind(column) is Kind.EMAIL              # an empty sample cannot contradict the name


def test_emails_are_found_by_value_and_stay_emails_when_repeated():
    assert kind("contact", emails()) is Kind.EMAIL
    repeated = s(["ops@acme.com", "sales@acme.com", "ops@acme.com"] * 100)
    assert kind("reply_to", repeated) is Kind.EMAIL


def test_a_name_hint_the_values_contradict_is_dropped():
    assert kind("email_verified", ["yes", "no"] * 100) is Kind.CATEGORICAL
    assert kind("phone_type", ["home", "work", "mobile"] * 100) is Kind.CATEGORICAL


@pytest.mark.parametrize("column, expected", [
    ("first_name", Kind.FIRST_NAME), ("FirstName", Kind.FIRST_NAME), ("given_name", Kind.FIRST_NAME),
    ("last_name", Kind.LAST_NAME), ("surname", Kind.LAST_NAME), ("FamilyName", Kind.LAST_NAME),
    ("full_name", Kind.PERSON_NAME), ("ContactName", Kind.PERSON_NAME), ("customer_name", Kind.PERSON_NAME),
])
def test_person_names_are_found_by_name_even_when_common_names_repeat(column, expected):
    values = s([FIRST[i % 5] for i in range(300)])      # 5 distinct values: still a name, not a category
    assert kind(column, values, table="suppliers") is expected


@pytest.mark.parametrize("table", ["customers", "users", "Employees", "person", "people", "members",
                                   "contacts", "patients", "students", "authors", "staff", "clients"])
def test_a_bare_name_in_a_table_about_people_is_a_person_name(table):
    assert kind("name", full_names(), table=table) is Kind.PERSON_NAME


def test_a_product_name_is_text_not_a_person_name():
    products = s([f"{c} {m} {i}" for i, (c, m) in enumerate(zip(["Blue", "Red", "Green"] * 100,
                                                                ["Widget", "Gadget", "Lamp", "Chair"] * 75))])
    assert kind("name", products, table="products") is Kind.TEXT
    assert kind("name", full_names(), table="products") is Kind.TEXT
    # a login handle, not a person's name (generated from the row's fake person, or its pattern)
    assert kind("user_name", s([f"user{i}" for i in range(300)]), table="accounts") is Kind.USERNAME


@pytest.mark.parametrize("column", ["phone", "HomePhone", "mobile", "tel", "fax", "phone_number"])
def test_phones_are_found_by_name(column):
    assert kind(column, phones()) is Kind.PHONE


def test_phones_are_found_by_value_but_bare_digit_runs_are_not():
    assert kind("contact_no", phones()) is Kind.PHONE
    assert kind("contact_no", s(["555-0100", "555 0101", "(555) 010-2000"] * 100)) is Kind.PHONE
    assert kind("account_no", s([str(4_000_000_000 + i) for i in range(300)])) is Kind.TEXT


def test_uuids_are_found_by_value():
    values = s(["3fa85f64-5717-4562-b3fc-2c963f66afa6", "7c9e6679-7425-40de-944b-e07fc1f90ae7"] * 3)
    assert kind("external_ref", values) is Kind.UUID


def test_addresses_postcodes_and_cities_by_name():
    streets = s([f"{i} Main Street" for i in range(300)])
    assert kind("address", streets) is Kind.ADDRESS
    assert kind("AddressLine1", streets) is Kind.ADDRESS
    assert kind("street", s(["Main Street", "Oak Road"] * 150)) is Kind.ADDRESS   # identifying when repeated
    assert kind("zip", s([f"{i:05d}" for i in range(300)])) is Kind.POSTCODE
    assert kind("PostalCode", s([f"{i:05d}" for i in range(300)])) is Kind.POSTCODE
    assert kind("ShipCity", s([f"Town{i}" for i in range(300)])) is Kind.CITY


def test_low_cardinality_cities_and_postcodes_stay_categories():
    cities = s(["Berlin", "Paris", "London", "Madrid", "Rome"] * 200)
    assert kind("city", cities) is Kind.CATEGORICAL
    assert kind("zip", s(["10115", "75001", "SW1A 1AA"] * 100)) is Kind.CATEGORICAL


def test_words_that_merely_end_like_a_hint_are_not_taken():
    assert kind("ethnicity", s([f"group {i}" for i in range(300)])) is Kind.TEXT
    assert kind("ip_address", s([f"10.0.{i // 250}.{i % 250}" for i in range(300)])) is Kind.IP_ADDRESS  # not a street


def test_national_ids_cards_and_ip_addresses_are_found_by_name_and_by_value():
    ssns = s([f"{100 + i % 700:03d}-{10 + i % 80:02d}-{1000 + i:04d}" for i in range(300)])
    assert kind("customer_ref", ssns) is Kind.NATIONAL_ID          # by value, not taken for a phone
    assert kind("ssn", s([f"{100000000 + i}" for i in range(300)])) is Kind.NATIONAL_ID
    cards = s(["4111 1111 1111 1111", "5500 0000 0000 0004", "3400 0000 0000 009", "6011 0000 0000 0004"] * 75)
    assert kind("payment", cards) is Kind.CARD_NUMBER
    assert kind("visitor", s([f"192.168.{i // 256}.{i % 256}" for i in range(300)])) is Kind.IP_ADDRESS
    assert kind("client_ip", s([f"2001:0db8:85a3::{i:x}" for i in range(300)])) is Kind.IP_ADDRESS


def test_notes_codes_and_titles_with_many_values_are_text():
    assert kind("notes", notes()) is Kind.TEXT
    assert kind("sku", s([f"SKU-{i:05d}" for i in range(300)])) is Kind.TEXT


def test_low_cardinality_strings_are_categorical_unless_unique():
    status = s(["open", "closed", "pending"] * 100)
    assert kind("status", status) is Kind.CATEGORICAL
    # 1000 distinct values in 40k rows: a distinct ratio of 2.5%
    assert kind("category", s([f"cat{i % 1000}" for i in range(40_000)])) is Kind.CATEGORICAL
    assert kind("code", s(["A1", "B2", "C3"]), unique=True) is Kind.TEXT
    assert kind("code", s(["A1", "B2", "C3"] * 10), unique=True) is Kind.TEXT


def test_a_small_sample_without_repeats_is_not_copied_as_categories():
    assert kind("remark", s(["first remark", "second one", "a third"])) is Kind.TEXT


@pytest.mark.parametrize("values", [
    [], [None, None], [np.nan, None, pd.NA], [b"\xff\xfe", b"ok", None], [1, "a", 2.5, None, b"x", {"k": 1}],
    [object(), object()],
])
def test_odd_samples_never_crash(values):
    result = detect_kind(table="t", column="weird", generic="string", values=pd.Series(values, dtype=object))
    assert isinstance(result, Kind)


def test_an_all_null_sample_falls_back_on_the_name():
    assert kind("notes", [None] * 10) is Kind.TEXT
    assert kind("email", [None] * 10) is Kind.EMAIL


def places(n=300):
    return s([f"Place {chr(65 + i % 26)}{chr(97 + i // 26 % 26)}{chr(97 + i // 676)}" for i in range(n)])


@pytest.mark.parametrize("column, expected", [
    ("district", Kind.REGION), ("state", Kind.REGION), ("ShipRegion", Kind.REGION), ("province", Kind.REGION),
    ("state_abbr", Kind.REGION), ("county", Kind.REGION), ("country", Kind.COUNTRY),
    ("country_code", Kind.COUNTRY), ("billing_country", Kind.COUNTRY), ("username", Kind.USERNAME),
    ("user_name", Kind.USERNAME), ("login", Kind.USERNAME), ("screen_name", Kind.USERNAME),
    ("region_description", Kind.TEXT), ("statement", Kind.TEXT), ("countdown", Kind.TEXT)])
def test_places_and_usernames_by_name_are_never_random_words(column, expected):
    # sakila's address.district, pagila's staff.username, a country table: not words
    values = s([f"user{i}" for i in range(300)]) if expected is Kind.USERNAME else places()
    assert kind(column, values) is expected


def test_a_bare_name_in_a_table_of_places_is_that_place():
    assert kind("name", places(), table="countries") is Kind.COUNTRY
    assert kind("name", places(), table="states") is Kind.REGION
    assert kind("name", places(), table="cities") is Kind.CITY
    assert kind("name", places(), table="products") is Kind.TEXT


def test_a_handful_of_countries_or_states_stays_a_category():
    assert kind("country", ["USA", "UK", "Germany"] * 30) is Kind.CATEGORICAL
    assert kind("region", ["WA", "OR", None] * 30) is Kind.CATEGORICAL
    assert kind("username", ["Mike", "Jon"] * 30) is Kind.USERNAME      # a login identifies at any count


def test_a_username_with_spaces_is_not_a_login():
    assert kind("username", full_names()) is not Kind.USERNAME


def test_lookup_labels_are_category_names_many_rows_share():
    from relsynth.schema.detect import lookup_label

    depts = s(["Marketing", "Finance", "Human Resources", "Production", "Development", "Quality Management",
               "Sales", "Research", "Customer Service"])
    label = dict(table="departments", column="dept_name", kind=Kind.TEXT, rows=9, k=5, values=depts)
    assert lookup_label(**label, referencing_rows=331_603)
    assert not lookup_label(**label, referencing_rows=20)                          # shared by too few rows
    assert not lookup_label(**{**label, "rows": 500}, referencing_rows=10**6)       # not a small lookup
    assert not lookup_label(**{**label, "column": "password"}, referencing_rows=10**6)
    assert not lookup_label(**{**label, "table": "staff"}, referencing_rows=10**6)  # people are not labels
    assert not lookup_label(**{**label, "kind": Kind.PERSON_NAME}, referencing_rows=10**6)
    long_notes = s([" ".join(["the refund was late again"] * 4)] * 9)             # notes, not names
    assert not lookup_label(**{**label, "column": "description", "values": long_notes}, referencing_rows=10**6)


# ---------------------------------------------------------------- organizations, secrets, URLs, titles

COMPANIES = s([f"{w} {v}" for w in ["Alfreds", "Around", "Berglunds", "Blauer", "Cactus", "Ernst", "Folk", "Great",
                                      "Hanari", "Island", "Lazy", "Magazzini", "North", "Ottilies", "Pericles"]
               for v in ["Futterkiste", "the Horn", "snabbköp", "See", "Comidas", "Handel", "och fä", "Lakes",
                         "Carnes", "Trading", "K Kountry", "Riuniti", "South", "Käseladen", "Hermanos", "Bar",
                         "Delikatessen", "Market", "Grocers", "Imports"]])     # 300 companies


@pytest.mark.parametrize("table, column", [
    ("customers", "company_name"), ("suppliers", "CompanyName"), ("orders", "ship_name"), ("orders", "ShipName"),
    ("shippers", "name"), ("suppliers", "name"), ("people", "employer"), ("invoices", "bill_to_name"),
    ("products", "vendor_name"), ("contacts", "organization"),
])
def test_organizations_are_found_by_name_and_stay_identifying_when_many(table, column):
    assert kind(column, COMPANIES, table=table) is Kind.ORGANIZATION


def test_a_few_repeated_organizations_are_categories_like_cities():
    assert kind("carrier_name", s(["Speedy Express", "United Package", "Federal Shipping"] * 100)) \
        is Kind.CATEGORICAL
    assert kind("company_name", s(["Speedy Express", "United Package", "UPS", "DHL"]), table="shippers") \
        is Kind.ORGANIZATION                       # a small table without repeats is not copied as categories


def test_a_ship_to_name_holding_people_is_a_person_name():
    assert kind("ship_name", full_names()) is Kind.PERSON_NAME
    assert kind("company_name", full_names(), table="customers") is Kind.ORGANIZATION   # a sole trader is a company


def test_organizations_are_found_by_their_legal_form():
    firms = s([f"{LAST[i % 19]} {['GmbH', 'Inc.', 'S.A.', 's.r.l.', 'Ltd'][i % 5]}" for i in range(300)])
    assert kind("party", firms) is Kind.ORGANIZATION
    assert kind("label", s([f"{LAST[i % 19]} widget {i}" for i in range(300)])) is Kind.TEXT


SHA1 = s([hashlib.sha1(str(i).encode()).hexdigest() for i in range(300)])
BCRYPT = s(["$2b$12$" + "".join(RNG.choice(list("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
                                           53)) for _ in range(300)])


@pytest.mark.parametrize("column", ["password", "passwd", "pwd", "Password", "password_hash", "hashed_password",
                                    "encrypted_password", "api_key", "apiKey", "client_secret", "salt",
                                    "reset_password_token", "access_token", "session_id"])
def test_secrets_are_found_by_name(column):
    assert kind(column, SHA1) is Kind.SECRET
    assert kind(column, BCRYPT) is Kind.SECRET


def test_a_password_column_is_a_secret_even_with_two_rows_and_one_value():
    """pagila's staff share one SHA-1 hash: as a category it was copied."""
    assert kind("password", ["8cb2237d0679ca88db6464eac60da96345513964"] * 2, table="staff") is Kind.SECRET
    assert kind("password", ["hunter22", "correcthorse", "letmein1"] * 30) is Kind.SECRET   # plain text too


def test_a_name_about_a_secret_is_not_one():
    assert kind("password_changed_on", s(["Monday", "Tuesday"] * 100)) is Kind.CATEGORICAL
    assert kind("password_reset_required", s(["Y", "N"] * 100)) is Kind.CATEGORICAL
    assert kind("password_hint", notes()) is Kind.TEXT
    assert kind("token", notes()) is Kind.TEXT                  # a weak name needs secret-looking values
    assert kind("email_digest", s(["daily", "weekly", "never"] * 100)) is Kind.CATEGORICAL


@pytest.mark.parametrize("values", [
    SHA1, BCRYPT,
    s([hashlib.sha256(str(i).encode()).hexdigest().upper() for i in range(300)]),
    s([f"sk_live_{''.join(RNG.choice(list('abcdefghijkABCDEFGH0123456789'), 24))}" for _ in range(300)]),
    s([f"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOi{i:08d}In0.{''.join(RNG.choice(list('abcXYZ0123_-'), 43))}"
       for i in range(300)]),
    s([base64.b64encode(RNG.bytes(24)).decode() for _ in range(300)]),
])
def test_secrets_are_found_by_value(values):
    assert kind("value", values) is Kind.SECRET


def test_identifiers_and_words_are_not_taken_for_secrets():
    camel = s([f"ProductCategoryName{i}Value" for i in range(300)])
    assert kind("value", camel) is Kind.TEXT
    assert kind("value", s([str(10 ** 40 + i) for i in range(300)])) is Kind.TEXT   # 41 digits: a number, not hex


@pytest.mark.parametrize("column", ["photo_path", "PhotoPath", "avatar_url", "homepage", "website", "cv_file_path",
                                    "picture", "profile_url", "link"])
def test_urls_and_paths_are_found_by_name(column):
    paths = s([f"http://accweb/employees/{LAST[i % 19].lower()}{i}.bmp" for i in range(300)])
    assert kind(column, paths) is Kind.URL


def test_urls_and_paths_are_found_by_value():
    assert kind("x", s([f"https://www.example.org/u/{i}" for i in range(300)])) is Kind.URL
    assert kind("x", s([f"/home/{LAST[i % 19].lower()}/photo{i}.jpg" for i in range(300)])) is Kind.URL
    assert kind("x", s([f"C:\\Users\\{LAST[i % 19]}\\cv{i}.docx" for i in range(300)])) is Kind.URL
    assert kind("x", s([f"{LAST[i % 19]} (web)#http://www.example.com/{i}.htm#" for i in range(300)])) is Kind.URL


def test_a_ship_address_is_an_address_not_an_ip_address():
    assert kind("ship_address", s([f"Rua do Paço, {i}" for i in range(300)]), table="orders") is Kind.ADDRESS
    assert kind("ShipAddress", s([f"Luisenstr. {i}" for i in range(300)]), table="orders") is Kind.ADDRESS


def test_a_job_title_vocabulary_is_categorical_even_with_few_repeats():
    titles = ["Sales Representative"] * 6 + ["Marketing Manager"] * 5 + ["Sales Manager"] * 4 + \
        ["Accounting Manager"] * 2 + ["Order Administrator"] * 2 + \
        ["Owner", "Sales Agent", "Product Manager", "Export Administrator", "Purchasing Manager",
         "Regional Account Rep.", "Wholesale Account Agent", "Coordinator Foreign Markets",
         "International Marketing Mgr.", "Marketing Representative"]   # northwind suppliers: 29 rows, 15 titles
    assert kind("contact_title", s(titles), table="suppliers") is Kind.CATEGORICAL
    assert kind("title", s([f"Film number {i}" for i in range(1000)]), table="film") is Kind.TEXT
    assert kind("job_title", s(titles[-10:])) is Kind.TEXT          # no vocabulary: every title once
