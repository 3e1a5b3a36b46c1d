"""The plan: parents before children, cycles broken at a nullable FK, one context parent."""

import pytest

from relsynth.errors import CycleError
from relsynth.graph import plan
from relsynth.schema import Column, ForeignKey, Kind, Schema, Table

INT = {"generic": "integer", "native": "INTEGER"}


def table(name, *fks, rows=10, cols=("id",)):
    columns = tuple(Column(c, INT, nullable=c != "id", kind=Kind.KEY) for c in cols)
    return Table(name=name, columns=columns, primary_key=("id",), foreign_keys=tuple(fks), row_count=rows)


def fk(col, parent, nullable=False):
    return ForeignKey(columns=(col,), parent=parent, parent_columns=("id",), nullable=nullable)


def test_parents_come_before_children_and_the_owning_parent_is_the_context():
    schema = Schema("sqlite", (
        table("order_items", fk("order_id", "orders"), fk("product_id", "products"), rows=3000,
              cols=("id", "order_id", "product_id")),
        table("orders", fk("customer_id", "customers"), rows=1000, cols=("id", "customer_id")),
        table("products", rows=50),
        table("customers", rows=300),
        table("settings", rows=3),
    ))
    p = plan(schema)
    order = p.order
    assert order.index("customers") < order.index("orders") < order.index("order_items")
    assert order.index("products") < order.index("order_items")
    step = p.step("order_items")
    assert step.context.parent == "orders"
    assert [f.parent for f in step.others] == ["products"]
    assert p.step("settings").context is None and not p.deferred


def test_an_empty_parent_is_never_the_context():
    """Its children hold NULL there: as a context it would leave them with no rows at all."""
    schema = Schema("sqlite", (
        table("empty", rows=0),
        table("small", rows=5),
        table("child", fk("empty_id", "empty", nullable=True), fk("small_id", "small", nullable=True),
              rows=40, cols=("id", "empty_id", "small_id")),
        table("orphan", fk("empty_id", "empty", nullable=True), rows=40, cols=("id", "empty_id")),
    ))
    p = plan(schema)
    assert p.step("child").context.parent == "small"
    assert p.step("orphan").context is None


def test_a_cycle_is_broken_at_its_nullable_foreign_key():
    schema = Schema("sqlite", (
        table("departments", fk("manager_id", "employees", nullable=True), rows=8, cols=("id", "manager_id")),
        table("employees", fk("department_id", "departments"), fk("boss_id", "employees", nullable=True),
              rows=200, cols=("id", "department_id", "boss_id")),
    ))
    p = plan(schema)
    assert p.order == ("departments", "employees")
    deferred = {(t, f.columns) for t, f in p.deferred}
    assert deferred == {("departments", ("manager_id",)), ("employees", ("boss_id",))}
    assert p.step("employees").context.parent == "departments"


def test_a_cycle_without_a_nullable_foreign_key_is_broken_at_a_not_null_one():
    schema = Schema("sqlite", (
        table("store", fk("manager_id", "staff"), rows=2, cols=("id", "manager_id")),
        table("staff", fk("store_id", "store"), rows=20, cols=("id", "store_id")),
    ))
    p = plan(schema)
    assert p.order == ("staff", "store") or p.order == ("store", "staff")
    ((table_name, deferred),) = p.deferred
    assert table_name == "store" and deferred.columns == ("manager_id",) and not deferred.nullable


def test_a_not_null_cycle_is_not_broken_inside_a_primary_key():
    """The smaller table's FK is its key (others copy it before a deferred FK is filled): the
    other edge is deferred."""
    line = Table(name="line", columns=tuple(Column(c, INT, nullable=False, kind=Kind.KEY) for c in ("store_id", "n")),
                 primary_key=("store_id", "n"), foreign_keys=(fk("store_id", "store"),), row_count=2)
    schema = Schema("sqlite", (
        table("store", ForeignKey(columns=("line_store", "line_n"), parent="line", parent_columns=("store_id", "n"),
                                  nullable=False), rows=20, cols=("id", "line_store", "line_n")),
        line,
    ))
    ((table_name, deferred),) = plan(schema).deferred
    assert table_name == "store" and deferred.columns == ("line_store", "line_n")


def test_a_not_null_self_reference_names_its_table():
    schema = Schema("sqlite", (table("a", fk("a_id", "a"), cols=("id", "a_id")),))
    with pytest.raises(CycleError) as err:
        plan(schema)
    assert err.value.tables == ["a"]


def test_the_config_can_choose_the_context_parent():
    schema = Schema("sqlite", (
        table("flights", fk("origin", "airports"), fk("airline_id", "airlines"), rows=100,
              cols=("id", "origin", "airline_id")),
        table("airports", rows=40),
        table("airlines", rows=5),
    ))
    assert plan(schema).step("flights").context.parent == "airports"
    assert plan(schema, contexts={"flights": "airlines"}).step("flights").context.parent == "airlines"
    assert plan(schema, contexts={"flights": None}).step("flights").context is None
