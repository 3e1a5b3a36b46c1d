"""Keys: self-references shaped like the source's hierarchy."""

import numpy as np

from relsynth.relational import keys


def test_a_thin_middle_level_never_orphans_the_rows_below_it():
    # company: 1 chief, 9 heads, 190 staff; with ~100 rows the heads' level is sometimes empty
    for seed in range(300):
        positions = keys.tree_parents(100, [1, 9, 190], np.random.default_rng(seed))
        assert (positions < 0).sum() == 1, seed
        depth = keys.hierarchy_depths(positions)
        assert depth.max() <= 2 and (positions[positions >= 0] < np.flatnonzero(positions >= 0)).all()


def test_a_hierarchy_keeps_as_many_rows_at_each_depth_as_the_source():
    positions = keys.tree_parents(12, [3, 9], np.random.default_rng(0))  # shop: 3 root categories
    assert (positions < 0).sum() == 3
    depth = keys.hierarchy_depths(keys.tree_parents(400, [1, 9, 190], np.random.default_rng(1)))
    np.testing.assert_array_equal(np.bincount(depth), [2, 18, 380])
    assert (keys.tree_parents(5, [1, 99], np.random.default_rng(2)) < 0).sum() == 1  # a root, always


def test_fresh_within_moves_repeated_dates_forward_within_their_group_only():
    import datetime as dt

    import pandas as pd

    from relsynth.relational.keys import fresh_within

    day = dt.date(2002, 8, 1)
    values = pd.Series([day, day, day + dt.timedelta(days=1), day, None], dtype=object)
    groups = pd.DataFrame({"emp_no": [1, 1, 1, 2, 1]})
    out = fresh_within(values, groups, {"generic": "date"})
    assert list(out[:4]) == [day, day + dt.timedelta(days=1), day + dt.timedelta(days=2), day]
    assert out[4] is None


def test_a_suffixed_string_stays_within_its_length():
    import pandas as pd

    values = pd.Series(["ABCDEFGHIJKLMNO"] * 12)      # VARCHAR(15), all clashing but the first
    clash = np.arange(12) > 0
    fresh = keys.suffix_strings(values, clash, 15)
    assert fresh.str.len().max() <= 15 and fresh.is_unique
    assert keys.suffix_strings(values, clash, 3) is None     # "-10" leaves no room for the value


def test_a_nullable_key_held_as_objects_finds_its_parents():
    import pandas as pd

    child = pd.DataFrame({"rental_id": pd.Series([3, None, 1], dtype=object)})   # as gathered with NULLs
    parent = pd.DataFrame({"rental_id": np.array([1, 2, 3], dtype=np.int64)})
    assert keys.locate_parents(child, parent).tolist() == [2, -1, 0]
    assert not keys.dangling(child, ["rental_id"], parent, ["rental_id"]).any()
