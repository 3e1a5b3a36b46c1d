"""Row counts: lookup tables kept whole, children brought to their table's total, losses refused."""

import numpy as np
import pytest

from relsynth.errors import RelsynthError
from relsynth.relational.rows import RowCounts, RowLedger, ShrinkError, calibrated, lookup_tables
from relsynth.schema import Column, ForeignKey, Kind, Schema, Table

INT = {"generic": "integer", "native": "INTEGER"}
TEXT = {"generic": "string", "native": "VARCHAR(40)"}


def table(name, *fks, rows, extra=()):
    columns = (Column("id", INT, nullable=False, kind=Kind.KEY),) + tuple(
        Column(f.columns[0], INT, nullable=False, kind=Kind.KEY) for f in fks) + tuple(extra)
    return Table(name=name, columns=columns, primary_key=("id",), foreign_keys=tuple(fks), row_count=rows)


def fk(col, parent):
    return ForeignKey(columns=(col,), parent=parent, parent_columns=("id",), nullable=False)


SCHEMA = Schema("sqlite", (
    table("departments", fk("parent_id", "departments"), rows=9, extra=(Column("name", TEXT, kind=Kind.LABEL),)),
    table("customers", rows=300, extra=(Column("email", TEXT, kind=Kind.EMAIL),)),
    table("employees", fk("department_id", "departments"), rows=10_000),
    table("salaries", fk("employee_id", "employees"), rows=95_000),
    table("settings", rows=3),
))


def test_a_small_referenced_table_without_people_is_a_lookup():
    # departments point at themselves only; customers are people; settings is referenced by
    # nothing; employees point at another table
    assert lookup_tables(SCHEMA) == {"departments"}


def test_scale_keeps_lookups_whole_never_empties_a_table_and_rows_win():
    counts = RowCounts.asked(SCHEMA, scale=0.05, rows={"customers": 7})
    assert [counts.count(SCHEMA[t]) for t in ("departments", "customers", "settings")] == [9, 7, 1]
    # under a lookup, a child scales; under data, it keeps the source's rows per parent
    assert counts.count(SCHEMA["employees"], SCHEMA["departments"], 9) == 500
    assert counts.count(SCHEMA["salaries"], SCHEMA["employees"], 480) == 4560
    assert counts.count(SCHEMA["salaries"], SCHEMA["employees"], 0) == 0


@pytest.mark.parametrize("asked", [{"nowhere": 3}, {"customers": -1}])
def test_rows_naming_no_table_or_below_zero_are_refused(asked):
    with pytest.raises(RelsynthError):
        RowCounts.asked(SCHEMA, rows=asked)


def test_calibrated_counts_hit_the_total_and_keep_their_shape():
    rng = np.random.default_rng(0)
    drawn = rng.poisson(3, size=1000) * (rng.random(1000) < 0.7)   # 30% of parents childless
    for total in (int(drawn.sum() * 0.9), int(drawn.sum() * 1.1)):
        out = calibrated(drawn, total, np.random.default_rng(1))
        assert out.sum() == total
        assert (out[drawn == 0] == 0).all()                          # childless parents stay so
        assert np.abs(out - drawn * total / drawn.sum()).max() < 1  # each within one of its share


def test_a_one_to_one_child_never_gets_two_rows_per_parent():
    out = calibrated(np.array([1, 1, 0, 0, 1]), 4, np.random.default_rng(0), cap=1)
    assert out.sum() == 4 and out.max() == 1


def test_the_ledger_refuses_an_empty_or_short_table_and_says_why():
    ledger = RowLedger(expected={"employees": 10_000, "titles": 100, "notes": 5})
    ledger.drop("employees", "near a real row fewer than 5 share", 371)
    produced = {"employees": 9_629, "titles": 99, "notes": 0}
    with pytest.raises(ShrinkError) as refused:
        ledger.check(produced, allow_shrink=False)
    message = str(refused.value)
    assert "employees: 9,629 of 10,000 rows (371 near a real row" in message and "notes: 0 of 5" in message
    assert "titles" not in message                       # 1% short is within tolerance
    ledger.check(produced, allow_shrink=True)            # asked for: no error
    ledger.exempt.add("employees"), ledger.exempt.add("notes")
    ledger.check(produced, allow_shrink=False)           # counts set by kept or seeded rows
