"""The report tells the truth: real values planted into a synthetic database are counted per
column (exact, case-folded, a day off, inside text), and nothing else is."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from relsynth.cli import app
from relsynth.report import build_report

FIRST = ["Maria", "Ana", "Thomas", "Hanna", "Martin", "Laurence", "Elizabeth", "Victoria", "Patricio", "Yang",
         "Pedro", "Aria", "Diego", "Janine", "Paolo", "Carine", "Helvetius", "Rene", "Henriette", "Jose"]
LAST = ["Anders", "Trujillo", "Hardy", "Moos", "Sommer", "Lebihan", "Lincoln", "Ashworth", "Simpson", "Wang",
        "Afonso", "Cruz", "Roel", "Labrune", "Accorti", "Schmitt", "Nagy", "Phillips", "Pfalzheim", "Pavarotti"]
WORDS = ["Alfreds", "Around", "Berglunds", "Blauer", "Bottom", "Cactus", "Consolidated", "Drachenblut", "Eastern",
         "Folies", "Frankenversand", "Galeria", "Hungry", "Island", "Koniglich", "Lonesome", "Magazzini", "Mere"]
NOTES = ["Leave at the back door.", "Call before delivery.", "Gift wrap, please."]
N_CUSTOMERS, N_EMPLOYEES, N_ORDERS = 60, 30, 300


def real_rows() -> dict[str, list[tuple]]:
    customers = [(i + 1, f"{WORDS[i % 18]} {WORDS[(i * 7 + 3) % 18]} {['Handel', 'Markt', 'GmbH', 'Imports'][i % 4]} {i}",
                  f"{FIRST[i % 20]} {LAST[(i * 3) % 20]}", f"{FIRST[i % 20].lower()}.{LAST[(i * 3) % 20].lower()}{i}@corp.net",
                  f"(503) 555-{1000 + i:04d}") for i in range(N_CUSTOMERS)]
    start = date(1950, 1, 1)
    employees = [(i + 1, FIRST[(i * 7) % 20], LAST[(i * 11 + 1) % 20], (start + timedelta(days=487 * i)).isoformat(),
                  f"http://intranet/staff/{LAST[(i * 11 + 1) % 20].lower()}{i}.bmp",
                  hashlib.sha1(f"secret{i}".encode()).hexdigest(), f"Joined in {1980 + i} from {WORDS[i % 18]} College.")
                 for i in range(N_EMPLOYEES)]
    orders = []
    for i in range(N_ORDERS):
        c = i % N_CUSTOMERS
        note = NOTES[i % 3] if i % 5 else f"Ring {WORDS[i % 18]} twice, order {i}."   # 3 common notes, 60 rare ones
        orders.append((i + 1, c + 1, customers[c][1], f"{100 + c} {WORDS[c % 18]} Street",
                       (date(2020, 1, 1) + timedelta(days=i)).isoformat(), note))
    return {"customers": customers, "employees": employees, "orders": orders}


SCHEMA = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, company_name VARCHAR(60) NOT NULL, contact_name VARCHAR(40),
    email VARCHAR(80), phone VARCHAR(24));
CREATE TABLE employees (id INTEGER PRIMARY KEY, first_name VARCHAR(20) NOT NULL, last_name VARCHAR(20) NOT NULL,
    birth_date DATE, photo_path VARCHAR(255), password VARCHAR(40), notes TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), ship_name VARCHAR(60),
    ship_address VARCHAR(60), order_date DATE, note TEXT);
"""


def write(path: Path, rows: dict[str, list[tuple]]) -> Path:
    with sqlite3.connect(path) as con:
        con.executescript(SCHEMA)
        for table, values in rows.items():
            con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(values[0]))})", values)
    return path


def fake_rows(real: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """The same rows, every value that could point at someone replaced by an obvious fake
    (dates moved 200 days: never within a day of a real one, whose are 487 days apart)."""
    customers = [(i, f"Fakename Trading {i}", f"Zq{i} Xw{i}", f"zq{i}@example.com", f"+1 (999) 000-{i:04d}")
                 for i, *_ in real["customers"]]
    employees = [(i, f"Zq{i}", f"Xw{i}", (date.fromisoformat(b) + timedelta(days=200)).isoformat(),
                  f"http://intranet/staff/xw{i}.bmp", hashlib.sha1(f"other{i}".encode()).hexdigest(),
                  f"Started work {i}.") for i, _f, _l, b, *_ in real["employees"]]
    orders = [(i, c, f"Fakename Trading {c}", f"{i} Nowhere Road", d, f"Fake note {i}.") for i, c, _s, _a, d, _n in
              real["orders"]]
    return {"customers": customers, "employees": employees, "orders": orders}


def plant(rows: dict[str, list[tuple]], real: dict[str, list[tuple]]) -> None:
    """The leaks the report must count, column by column (see EXPECTED)."""
    def set_(table, row, col, value):
        values = list(rows[table][row])
        values[col] = value
        rows[table][row] = tuple(values)

    for row in range(3):                                       # customers.email: 3 exact, 1 case-folded
        set_("customers", row, 3, real["customers"][row + 5][3])
    set_("customers", 3, 3, real["customers"][9][3].upper())
    set_("customers", 4, 2, real["customers"][20][2])          # contact_name: a real full name
    for row in range(7):                                       # orders.ship_name: 7 real company names
        set_("orders", row, 2, real["orders"][row + 40][2])
    set_("orders", 7, 3, real["orders"][8][3])                 # ship_address: 2 real
    set_("orders", 8, 3, real["orders"][9][3].lower())
    set_("orders", 10, 5, real["orders"][5][5])                # note: a rare real note (1 row holds it) ...
    set_("orders", 11, 5, NOTES[1])                            # ... a common one (~80 rows): not a leak
    set_("orders", 12, 5, f"Write to {real['customers'][2][3]} please.")   # an e-mail inside text
    born = lambda i: date.fromisoformat(real["employees"][i][3])  # noqa: E731
    set_("employees", 0, 3, born(10).isoformat())              # birth_date: 2 exact, 2 a day off
    set_("employees", 1, 3, born(11).isoformat())
    set_("employees", 2, 3, (born(12) + timedelta(days=1)).isoformat())
    set_("employees", 3, 3, (born(13) - timedelta(days=1)).isoformat())
    set_("employees", 4, 5, real["employees"][4][5])           # password: 2 real hashes
    set_("employees", 5, 5, real["employees"][17][5])
    set_("employees", 6, 1, real["employees"][14][1])          # a real first and last name together
    set_("employees", 6, 2, real["employees"][14][2])
    set_("employees", 7, 1, real["employees"][15][1])          # a real first name alone: not counted
    set_("employees", 8, 4, real["employees"][3][4])           # photo_path: 1 real


# column -> (kind, basis, exact, folded, near, inside)
EXPECTED = {
    ("customers", "email"): ("email", "identity", 3, 1, 0, 0),
    ("customers", "contact_name"): ("person_name", "identity", 1, 0, 0, 0),
    ("orders", "ship_name"): ("organization", "identity", 7, 0, 0, 0),
    ("orders", "ship_address"): ("address", "identity", 1, 1, 0, 0),
    ("orders", "note"): ("text", "rare", 1, 0, 0, 1),
    ("employees", "birth_date"): ("date", "quasi", 2, 0, 2, 0),
    ("employees", "password"): ("secret", "identity", 2, 0, 0, 0),
    ("employees", "first_name + last_name"): ("person_name", "identity", 1, 0, 0, 0),
    ("employees", "photo_path"): ("url", "identity", 1, 0, 0, 0),
}


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("leaks")
    real = real_rows()
    rows = fake_rows(real)
    plant(rows, real)
    return write(folder / "real.sqlite", real), write(folder / "synthetic.sqlite", rows), real


@pytest.fixture(scope="module")
def report(planted):
    return build_report(str(planted[0]), str(planted[1]))


def test_every_planted_real_value_is_counted_in_its_column(report):
    found = {(table, c.column): (c.kind, c.basis, c.exact, c.folded, c.near, c.inside)
             for table, c in report.real_values}
    assert found == EXPECTED
    counted = {(table, c.column): c.counted for table, c in report.real_values}
    assert all(counted[key] == sum(EXPECTED[key][2:]) for key in EXPECTED)
    assert report.pii_found == sum(sum(v[2:]) for v in EXPECTED.values()) == 24
    assert {t.name: t.privacy.pii_found for t in report.tables} == {"customers": 5, "employees": 8, "orders": 11}


def test_every_column_that_could_leak_is_checked_even_when_nothing_leaked(report):
    checked = {(t.name, c.column): c.basis for t in report.tables for c in t.privacy.real_values}
    assert checked[("customers", "phone")] == "identity" and checked[("customers", "company_name")] == "identity"
    assert checked[("employees", "notes")] == "rare"
    birth = next(c for c in report.table("employees").privacy.real_values if c.column == "birth_date")
    assert birth.expected == pytest.approx(0.0) and birth.checked == N_EMPLOYEES   # no two real birth dates a day apart


def test_the_json_and_html_show_the_counts_with_masked_examples(report, planted, tmp_path):
    data = json.loads(json.dumps(report.to_dict()))
    assert data["pii_found"] == 24
    ship = next(c for c in data["tables"]["orders"]["privacy"]["real_values"] if c["column"] == "ship_name")
    assert ship["exact"] == 7 and ship["counted"] == 7 and 1 <= len(ship["examples"]) <= 3
    assert {(c["table"], c["column"]) for c in data["real_values_found"]} == set(EXPECTED)
    html = report.write_html(tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Exact real values" in html and "ship_name" in html and "a day off" in html
    real = planted[2]
    shown = json.dumps(data) + html
    for value in [real["orders"][40][2], real["customers"][5][3], real["employees"][4][5], real["orders"][8][3]]:
        assert value not in shown                          # examples are masked
    assert "F" + "•" in shown or "W" + "•" in shown


def test_the_cli_prints_every_leaking_column(planted):
    out = CliRunner().invoke(app, ["report", str(planted[0]), str(planted[1])], env={"COLUMNS": "200"}).output
    assert "real identifying values found in the synthetic copy: 24" in out
    assert "orders.ship_name (organization, identity): 7 of 300 real (exact 7); counted 7" in out
    assert "employees.birth_date (date, quasi): 4 of 30 real (exact 2, a day off 2, 0.0 expected by chance)" in out


def test_a_common_value_is_not_a_leak_unless_fewer_than_k_rows_hold_it(planted, tmp_path):
    """With privacy.k = 100 the common note (held by ~80 real rows) counts as rare too."""
    config = tmp_path / "relsynth.yaml"
    config.write_text("privacy:\n  k: 100\n")
    strict = build_report(str(planted[0]), str(planted[1]), config=str(config))
    note = next(c for c in strict.table("orders").privacy.real_values if c.column == "note")
    assert note.exact == 2
