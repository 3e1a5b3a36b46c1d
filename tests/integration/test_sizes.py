"""A value longer than its VARCHAR(n), or wider than its NUMERIC(p, s), is relsynth's error naming
the column, raised before any row is sent, never the database's refusal mid-write."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from relsynth.errors import OversizedValue
from relsynth.schema.kinds import Kind
from relsynth.schema.model import Column, Schema, Table
from relsynth.write import write_database
from tests.conftest import POSTGRES_URL_ENV, fresh_database, query

pytestmark = pytest.mark.postgres

SCHEMA = Schema(dialect="postgresql", tables=(Table(name="shop", primary_key=("id",), columns=(
    Column("id", {"generic": "integer"}, nullable=False, kind=Kind.KEY),
    Column("code", {"generic": "string", "length": 15}, kind=Kind.TEXT),
    Column("price", {"generic": "decimal", "precision": 5, "scale": 2}, kind=Kind.DECIMAL))),))


@pytest.mark.parametrize(("column", "value", "said"), [
    ("code", "x" * 16, r"shop\.code: 1 generated values are longer than its 15 characters"),
    ("price", Decimal("1000.00"), r"shop\.price: 1 generated values do not fit NUMERIC\(5, 2\)")])
def test_an_oversized_value_is_named_before_any_row_is_written(column, value, said) -> None:
    frame = pd.DataFrame({"id": [1, 2], "code": ["a", "b"], "price": [Decimal("1.50"), Decimal("999.99")]})
    frame.loc[1, column] = value
    with fresh_database(POSTGRES_URL_ENV) as url:
        with pytest.raises(OversizedValue, match=said):
            write_database(SCHEMA, {"shop": frame}, url, order=["shop"])
        assert query(url, "SELECT count(*) FROM pg_tables WHERE tablename = 'shop'") == [(0,)]


def test_values_that_fit_are_written() -> None:
    frame = pd.DataFrame({"id": [1], "code": ["x" * 15], "price": [Decimal("999.994")]})
    with fresh_database(POSTGRES_URL_ENV) as url:
        write_database(SCHEMA, {"shop": frame}, url, order=["shop"])
        assert query(url, "SELECT code, price FROM shop") == [("x" * 15, Decimal("999.99"))]
