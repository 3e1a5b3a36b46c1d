"""Choosing a non-context parent that fits the row, and the rules rows keep across tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.relational import references, rules
from relsynth.schema.kinds import Kind


def test_rooms_add_up_to_the_rows_and_follow_the_weights():
    rng = np.random.default_rng(0)
    room = references.apportion(np.array([1.0, 3.0, 0.0, 6.0]), 1000, rng)
    assert room.sum() == 1000
    assert room[2] == 0
    assert abs(room[3] / room[1] - 2.0) < 0.05


def test_each_row_gets_the_nearest_parent_with_room():
    rng = np.random.default_rng(1)
    offered = np.array([[0.0], [10.0], [20.0]])
    wanted = np.concatenate([np.full(50, 0.1), np.full(30, 10.2), np.full(20, 19.7)])[:, None]
    positions = references.assign(wanted, offered, np.array([50, 30, 20]), rng)
    assert (positions[:50] == 0).all() and (positions[50:80] == 1).all() and (positions[80:] == 2).all()


def test_no_parent_takes_more_rows_than_its_room():
    rng = np.random.default_rng(2)
    offered = rng.normal(size=(40, 2))
    wanted = rng.normal(size=(1000, 2)) + 0.5
    room = references.apportion(rng.integers(1, 60, 40).astype(float), 1000, rng)
    positions = references.assign(wanted, offered, room, rng)
    assert (positions >= 0).all()
    assert (np.bincount(positions, minlength=40) == room).all()
    # nearer than a random assignment
    mine = np.linalg.norm(wanted - offered[positions], axis=1).mean()
    shuffled = np.linalg.norm(wanted - offered[rng.permutation(positions)], axis=1).mean()
    assert mine < 0.8 * shuffled


def test_categories_count_in_the_distance():
    wanted = pd.DataFrame({"kind": ["a", "b", "a"], "price": [1.0, 1.0, 5.0]})
    offered = pd.DataFrame({"kind": ["b", "a", "b", "a"], "price": [1.0, 1.5, 5.0, 6.0]})
    here, there = references.distance_space(wanted, offered, {"kind": Kind.CATEGORICAL, "price": Kind.FLOAT})
    positions = references.assign(here, there, np.array([3, 3, 3, 3]), np.random.default_rng(0))
    assert positions.tolist() == [1, 0, 3]  # the same kind first, then the nearest price


def _related(frame, kinds, parent, parent_kinds, positions):
    related = rules.Related(frame, kinds)
    related.add_parent("fk", np.asarray(positions), parent, parent_kinds)
    return related


def test_a_column_equal_to_its_parents_is_copied_from_the_generated_parent():
    rng = np.random.default_rng(3)
    parent = pd.DataFrame({"price": rng.uniform(1, 100, 30).round(2)})
    at = rng.integers(0, 30, 500)
    child = pd.DataFrame({"unit_price": parent["price"].to_numpy()[at], "quantity": rng.integers(1, 5, 500)})
    kinds = {"unit_price": Kind.DECIMAL, "quantity": Kind.INTEGER}
    copies = rules.learn_copies(_related(child, kinds, parent, {"price": Kind.DECIMAL}, at))
    assert copies == {"unit_price": {"fk": "fk", "column": "price"}}

    new_parent = pd.DataFrame({"price": [5.0, 7.5]})
    new_child = pd.DataFrame({"unit_price": [1.0, 2.0, 3.0], "quantity": [1, 2, 3]})
    out = rules.apply_copies(new_child, copies, _related(new_child, kinds, new_parent, {}, [1, 0, 1]))
    assert out["unit_price"].tolist() == [7.5, 5.0, 7.5]


def test_a_date_never_before_its_parents_stays_after_it():
    rng = np.random.default_rng(4)
    signup = pd.Series(pd.to_datetime("2022-01-01") + pd.to_timedelta(rng.integers(0, 365, 40), unit="D"))
    parent = pd.DataFrame({"signed_up_at": signup})
    at = rng.integers(0, 40, 400)
    ordered = signup.to_numpy()[at] + pd.to_timedelta(rng.integers(1, 90, 400), unit="D").to_numpy()
    child = pd.DataFrame({"ordered_at": ordered})
    kinds = {"ordered_at": Kind.DATETIME}
    orders = rules.learn_orders(_related(child, kinds, parent, {"signed_up_at": Kind.DATETIME}, at))
    assert [(r["later"], r["fk"], r["earlier"]) for r in orders] == [("ordered_at", "fk", "signed_up_at")]

    too_early = pd.DataFrame({"ordered_at": pd.to_datetime(["2021-01-01"] * 100)})
    fixed = rules.apply_orders(too_early, orders, _related(too_early, kinds, parent, {}, at[:100]), rng)
    gaps = pd.to_datetime(fixed["ordered_at"]).to_numpy() - signup.to_numpy()[at[:100]]
    assert (gaps >= np.timedelta64(0)).all()
    assert gaps.max() <= np.timedelta64(90, "D")  # the gaps come from the real ones


def test_ids_that_follow_time_are_found():
    when = pd.Series(pd.date_range("2024-01-01", periods=100, freq="h"))
    frame = pd.DataFrame({"id": np.arange(1, 101), "at": when, "other": pd.Series(when.sample(frac=1, random_state=0).to_numpy())})
    assert rules.learn_key_order(frame, "id", {"other": Kind.DATETIME, "at": Kind.DATETIME}) == "at"
    assert rules.learn_key_order(frame, "id", {"other": Kind.DATETIME}) is None
