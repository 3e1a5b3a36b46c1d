"""Children summaries: what a parent row learns about its children."""

import numpy as np
import pandas as pd
import pytest

from relsynth.relational import latents
from relsynth.schema.kinds import Kind


@pytest.fixture(scope="module")
def family():
    """200 parents with 0-8 children; a child's score follows its parent, its noise does not."""
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 9, 200)
    positions = np.repeat(np.arange(200), counts)
    level = rng.normal(0, 3, 200)
    children = pd.DataFrame({"score": level[positions] + rng.normal(0, 1, positions.size),
                             "noise": rng.normal(0, 1, positions.size),
                             "flag": rng.random(positions.size) < 0.5,
                             "kind": rng.choice(["a", "b"], positions.size)})
    kinds = {"score": Kind.FLOAT, "noise": Kind.FLOAT, "flag": Kind.BOOLEAN, "kind": Kind.CATEGORICAL}
    return children, kinds, positions, counts


def test_the_count_comes_first_and_counts_every_parent(family):
    children, kinds, positions, counts = family
    found = latents.summarize("child", children, kinds, positions, 200)
    assert found[0].name == "__children__.child.count" and found[0].kind == Kind.INTEGER
    np.testing.assert_array_equal(found[0].values, counts)


def test_only_columns_the_parents_explain_are_averaged(family):
    children, kinds, positions, counts = family
    found = latents.summarize("child", children, kinds, positions, 200)
    assert [s.name for s in found[1:]] == ["__children__.child.score.mean"]
    mean = found[1].values
    assert np.isnan(mean[counts == 0]).all() and not np.isnan(mean[counts > 0]).any()


def test_a_mean_of_few_children_is_shrunk_towards_the_overall_mean(family):
    children, kinds, positions, counts = family
    mean = latents.summarize("child", children, kinds, positions, 200)[1].values
    raw = pd.Series(children["score"].to_numpy()).groupby(positions).mean().reindex(range(200)).to_numpy()
    overall = children["score"].mean()
    shrink = (mean - overall) / (raw - overall)
    assert (shrink[counts > 0] < 1).all() and (shrink[counts > 0] > 0.5).all()
    assert shrink[counts == 1].mean() < shrink[counts == 8].mean()


def test_summary_names_never_clash_with_the_parents_columns(family):
    children, kinds, positions, _ = family
    found = latents.summarize("child", children, kinds, positions, 200, taken={"__children__.child.count"})
    assert found[0].name == "___children__.child.count"


def test_at_most_three_means_per_child_table():
    rng = np.random.default_rng(1)
    positions = np.repeat(np.arange(100), 5)
    level = rng.normal(0, 1, 100)[positions]
    children = pd.DataFrame({f"c{i}": level * (i + 1) + rng.normal(0, 1, 500) for i in range(5)})
    found = latents.summarize("t", children, {c: Kind.FLOAT for c in children}, positions, 100)
    assert len(found) == 1 + latents.MAX_MEANS
    assert [s.column for s in found[1:]] == ["c4", "c3", "c2"]  # the best explained first


def test_explained_variance_is_adjusted_for_chance():
    rng = np.random.default_rng(2)
    values = rng.normal(0, 1, 3000)
    assert abs(latents.explained(values, rng.integers(0, 1000, 3000))) < 0.05  # about 3 rows a group
    assert latents.explained(values, np.arange(3000)) == 1.0  # one-to-one: the value itself
    groups = np.repeat(np.arange(300), 10)
    assert latents.explained(values + 3 * rng.normal(0, 1, 300)[groups], groups) > 0.8


def test_counts_are_non_negative_integers():
    summary = pd.Series([2, None, 0, -1, 3], dtype="Int64")
    np.testing.assert_array_equal(latents.counts_of(summary), [2, 0, 0, 0, 3])
    np.testing.assert_array_equal(latents.counts_of(pd.Series([1.4, 2.6, np.nan])), [1, 3, 0])


def test_missing_means_of_parents_with_children_come_together_from_one_parent():
    context = pd.DataFrame({"p.a": [1.0, np.nan, 3.0, np.nan], "p.b": [10.0, 20.0, 30.0, np.nan],
                            "p.x": [0.0, 1.0, 2.0, 3.0]})
    counts = np.array([1, 2, 3, 0])
    filled = latents.fill_missing(context, ["p.a", "p.b"], counts, np.random.default_rng(0))
    assert tuple(filled.loc[1, ["p.a", "p.b"]]) in {(1.0, 10.0), (3.0, 30.0)}
    assert np.isnan(filled.loc[3, "p.a"])  # no children: nothing to condition
    pd.testing.assert_frame_equal(filled.drop(index=1), context.drop(index=1))
    assert np.isnan(context.loc[1, "p.a"])  # the caller's frame is left alone
