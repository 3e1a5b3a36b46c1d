"""Partition bounds: read from PostgreSQL's text, kept as typed values, rendered re-quoted, and
anything else in a model directory refused."""

import pytest

from relsynth.errors import UnsafeExpression
from relsynth.schema.integrity import check_structure
from relsynth.schema.model import Column, Partition, Partitioning, Schema, Table
from relsynth.schema.partitions import parse_bound, parse_key, render_bound


@pytest.mark.parametrize("text", [
    "FOR VALUES FROM ('2022-01-01 00:00:00+00') TO ('2022-02-01 00:00:00+00')",
    "FOR VALUES FROM (MINVALUE, 5) TO (10, MAXVALUE)",
    "FOR VALUES IN ('a', 'it''s', NULL)",
    "FOR VALUES IN (1, -2.5)",
    "FOR VALUES WITH (MODULUS 4, REMAINDER 3)",
    "DEFAULT"])
def test_a_bound_reads_back_as_postgresql_shows_it(text):
    assert render_bound(parse_bound(text)) == text


def test_a_key_of_expressions_is_not_taken():
    assert parse_key('RANGE (payment_date)') == ("range", ("payment_date",))
    assert parse_key('LIST ("Kind", b)') == ("list", ("Kind", "b"))
    assert parse_key("RANGE (date_trunc('month', d))") is None


def _schema(bound: dict, name: str = "t_1") -> dict:
    table = Table(name="t", columns=(Column("d", {"generic": "date"}),),
                  partitioning=Partitioning("range", ("d",), (Partition(name, {"default": True}),)))
    d = Schema("postgresql", (table,)).to_dict()
    d["tables"][0]["partitioning"]["partitions"][0]["bound"] = bound
    return d


def test_a_literal_is_quoted_again_whatever_it_holds():
    schema = Schema.from_dict(_schema({"in": [["literal", "x'); DROP TABLE t; --"]]}))
    assert render_bound(schema["t"].partitioning.partitions[0].bound) == "FOR VALUES IN ('x''); DROP TABLE t; --')"


@pytest.mark.parametrize("bound", [{"in": [["raw", "1) x"]]}, {"in": [["number", "1; x"]]},
                                   {"modulus": "2", "remainder": 0}, {"from": [["null"]]}, {"default": "yes"}])
def test_anything_but_typed_values_is_refused(bound):
    with pytest.raises(UnsafeExpression, match="partitioning is refused"):
        Schema.from_dict(_schema(bound))


def test_a_partition_named_like_a_table_is_refused():
    with pytest.raises(ValueError, match="partition names"):
        check_structure(Schema.from_dict(_schema({"default": True}, name="t")))
