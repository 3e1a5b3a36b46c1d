"""Keys: self-references shaped like the source's hierarchy."""

import numpy as np

from relsynth.relational import keys


def test_a_thin_middle_level_never_orphans_the_rows_below_it():
    # company: 1 chief, 9 heads, 190 staff; with ~100 rows the heads' level is sometimes empty
    for seed in range(300):
        positions = keys.tree_parents(100, [1, 9, 190], np.random.default_rng(seed))
        assert (positions < 0).sum() <= 3, seed  # the root, and rarely another one drawn at depth 0
        depth = keys.hierarchy_depths(positions)
        assert depth.max() <= 2 and (positions[positions >= 0] < np.flatnonzero(positions >= 0)).all()
