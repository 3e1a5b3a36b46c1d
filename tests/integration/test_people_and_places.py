"""Fakes that look real, end to end on a corpus-like shape (pagila's customers and staff,
sakila's addresses and countries, employees' departments): one person and one place per row,
no decorated names, real countries, lookup labels kept."""

from __future__ import annotations

import re
import sqlite3
import warnings

import numpy as np
import pandas as pd
import pytest

import relsynth
from relsynth.privacy import fakes
from relsynth.schema.kinds import Kind
from relsynth.schema.reflect import reflect
from relsynth.urls import resolve_url, source_engine

FIRST = ["MARY", "PATRICIA", "LINDA", "BARBARA", "ELIZABETH", "JENNIFER", "MARIA", "SUSAN", "MARGARET", "DOROTHY",
         "LISA", "NANCY", "KAREN", "BETTY", "HELEN", "SANDRA", "DONNA", "CAROL", "RUTH", "SHARON", "KRISTEN"]
LAST = ["SMITH", "JOHNSON", "WILLIAMS", "JONES", "BROWN", "DAVIS", "MILLER", "WILSON", "MOORE", "TAYLOR",
        "ANDERSON", "THOMAS", "JACKSON", "WHITE", "HARRIS", "MARTIN", "THOMPSON", "GARCIA", "BLAKE"]
DEPARTMENTS = ["Marketing", "Finance", "Human Resources", "Production", "Development", "Quality Management",
               "Sales", "Research", "Customer Service"]
COUNTRIES = [name for name, _, _ in fakes.countries()][::2][:90]
DISTRICTS = ["Alberta", "QLD", "Nagasaki", "Buenos Aires", "California", "Texas", "Bihar", "Gelderland",
             "Hanoi", "Ontario", "Punjab", "Sichuan", "Baja California", "Kanagawa", "Kaduna"]


def build(path, n: int = 600, seed: int = 0):
    rng = np.random.default_rng(seed)
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE country (country_id INTEGER PRIMARY KEY, country VARCHAR(50) NOT NULL);
        CREATE TABLE address (address_id INTEGER PRIMARY KEY, address VARCHAR(50) NOT NULL,
            district VARCHAR(20) NOT NULL, postal_code VARCHAR(10), country_id INTEGER NOT NULL REFERENCES country);
        CREATE TABLE departments (dept_no CHAR(4) PRIMARY KEY, dept_name VARCHAR(40) NOT NULL UNIQUE);
        CREATE TABLE customer (customer_id INTEGER PRIMARY KEY, first_name VARCHAR(45) NOT NULL,
            last_name VARCHAR(45) NOT NULL, email VARCHAR(50) UNIQUE, username VARCHAR(16) NOT NULL UNIQUE,
            address_id INTEGER NOT NULL REFERENCES address, dept_no CHAR(4) NOT NULL REFERENCES departments,
            active INTEGER NOT NULL);
    """)
    con.executemany("INSERT INTO country VALUES (?, ?)", [(i + 1, c) for i, c in enumerate(COUNTRIES)])
    con.executemany("INSERT INTO address VALUES (?, ?, ?, ?, ?)",
                    [(i + 1, f"{rng.integers(1, 1999)} {rng.choice(['Hanoi', 'Lillydale', 'Workhaven'])} Way",
                      f"{rng.choice(DISTRICTS)}{'' if i < 30 else ' ' + chr(65 + i % 26)}"[:20],
                      f"{rng.integers(10000, 99999)}", int(rng.integers(1, len(COUNTRIES) + 1)))
                     for i in range(n)])
    con.executemany("INSERT INTO departments VALUES (?, ?)", [(f"d{i + 1:03d}", d) for i, d in enumerate(DEPARTMENTS)])
    first, last = rng.choice(FIRST, n), rng.choice(LAST, n)
    seen: set = set()
    emails = [f"{f}.{l}{'' if (f, l) not in seen and not seen.add((f, l)) else i}@sakilacustomer.org"
              for i, (f, l) in enumerate(zip(first, last))]      # MARY.SMITH@, a number when taken
    con.executemany("INSERT INTO customer VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(i + 1, f, l, emails[i], f"{f[0]}{l}{i}".lower()[:16],
                      i + 1, f"d{rng.integers(1, 10):03d}", int(rng.integers(0, 2)))
                     for i, (f, l) in enumerate(zip(first, last))])
    con.commit()
    con.close()
    return path


@pytest.fixture(scope="module")
def cloned(tmp_path_factory):
    source = build(tmp_path_factory.mktemp("corpus") / "shape.sqlite")
    target = tmp_path_factory.mktemp("copy") / "copy.sqlite"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        relsynth.clone(str(source), str(target), seed=5)
    con = sqlite3.connect(target)
    try:
        yield source, {t: pd.read_sql(f"SELECT * FROM {t}", con) for t in ("country", "address", "departments",
                                                                           "customer")}
    finally:
        con.close()


def test_the_shape_is_detected_as_places_handles_and_labels(cloned):
    schema = reflect(source_engine(resolve_url(str(cloned[0]))))
    assert schema["address"].column("district").kind is Kind.REGION
    assert schema["country"].column("country").kind is Kind.COUNTRY
    assert schema["customer"].column("username").kind is Kind.USERNAME
    assert schema["departments"].column("dept_name").kind is Kind.LABEL


def test_a_customer_row_is_one_person_without_decorations(cloned):
    customers = cloned[1]["customer"]
    assert len(customers) == 600
    assert not customers.first_name.str.contains(r"-\d+$").any() and not customers.last_name.str.contains(r"\d").any()
    assert (customers.first_name == customers.first_name.str.upper()).all()          # KRISTEN, as pagila
    assert customers.email.dropna().is_unique and customers.username.is_unique
    assert (customers.username.str.len() <= 16).all()
    for row in customers.itertuples():
        first, last = fakes._fold(row.first_name).lower(), fakes._fold(row.last_name).lower()
        if row.email is not None:
            local = row.email.split("@")[0].lower()
            assert local.startswith(first) and last in local and row.email.endswith("@example.org"), row
        assert row.username.startswith(first[0]) and (last[:8] in row.username or first in row.username), row


def test_places_are_real_countries_and_regions_never_words(cloned):
    countries = cloned[1]["country"].country
    assert countries.is_unique and countries.isin({name for name, _, _ in fakes.countries()}).all()
    districts = cloned[1]["address"].district
    names, abbrs, _ = fakes.states("en_US")
    known = {v.casefold() for v in names + abbrs}      # 'QLD A' is upper case: some states are too
    assert districts.str.casefold().isin(known).all()


def test_department_names_are_kept_as_labels(cloned):
    assert sorted(cloned[1]["departments"].dept_name) == sorted(DEPARTMENTS)
