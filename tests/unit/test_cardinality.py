"""Children per parent: segment ratios, childless parents and the count distribution survive."""

import numpy as np
import pandas as pd
import pytest

from relsynth.errors import ModelError
from relsynth.models.base import load_model, save_model
from relsynth.relational.cardinality import CardinalityModel
from relsynth.schema.kinds import Kind


@pytest.fixture(scope="module")
def customers():
    """Business customers have twice as many orders; a quarter of all customers have none."""
    rng = np.random.default_rng(0)
    n = 8000
    parent = pd.DataFrame({"segment": rng.choice(["private", "business"], size=n, p=[0.7, 0.3]),
                           "since": pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 3000, n), unit="D"),
                           "email": [f"u{i}@x.org" for i in range(n)]})
    mean = np.where(parent.segment == "business", 6.0, 3.0)
    counts = rng.poisson(mean) * (rng.random(n) > 0.25)
    kinds = {"segment": Kind.CATEGORICAL, "since": Kind.DATETIME, "email": Kind.EMAIL}
    model = CardinalityModel()
    model.fit(parent, kinds, counts, rng=np.random.default_rng(1))
    return parent, kinds, counts, model


def test_a_segment_with_twice_the_children_keeps_the_ratio(customers):
    parent, _, counts, model = customers
    drawn = model.sample(parent, rng=np.random.default_rng(2))
    assert drawn.dtype == np.int64 and drawn.shape == (len(parent),) and (drawn >= 0).all()
    business = (parent.segment == "business").to_numpy()
    real = counts[business].mean() / counts[~business].mean()
    fake = drawn[business].mean() / drawn[~business].mean()
    assert abs(fake / real - 1) < 0.2
    assert abs(drawn.sum() / counts.sum() - 1) < 0.1


def test_the_share_of_childless_parents_is_kept(customers):
    parent, _, counts, model = customers
    drawn = model.sample(parent, rng=np.random.default_rng(3))
    assert abs((drawn == 0).mean() - (counts == 0).mean()) < 0.05


def test_new_parents_get_counts_by_their_own_segment(customers):
    parent, _, counts, model = customers
    fresh = pd.DataFrame({"segment": ["business"] * 2000 + ["private"] * 2000,
                          "since": pd.Timestamp("2018-06-01")}, index=np.arange(100, 4100))
    drawn = model.sample(fresh, rng=np.random.default_rng(4))
    assert abs(drawn[:2000].mean() / drawn[2000:].mean() - 2) < 0.4


def test_same_seed_and_state_round_trip_give_the_same_counts(customers, tmp_path):
    parent, _, _, model = customers
    expected = model.sample(parent, rng=np.random.default_rng(5))
    assert (model.sample(parent, rng=np.random.default_rng(5)) == expected).all()
    meta, arrays = model.state()
    assert not any(np.asarray(a).dtype.hasobject for a in arrays.values())
    again = CardinalityModel.from_state(meta, arrays).sample(parent, rng=np.random.default_rng(5))
    assert (again == expected).all()
    save_model(model, tmp_path, "orders.per_customer")
    loaded = load_model(tmp_path, "orders.per_customer", cls=CardinalityModel)
    assert (loaded.sample(parent, rng=np.random.default_rng(5)) == expected).all()


def test_without_parent_columns_it_is_the_empirical_distribution():
    counts = np.array([0] * 300 + [1] * 500 + [5] * 200)
    parent = pd.DataFrame(index=range(1000))
    model = CardinalityModel()
    model.fit(parent, {}, counts, rng=np.random.default_rng(0))
    drawn = model.sample(pd.DataFrame(index=range(20_000)), rng=np.random.default_rng(1))
    assert set(np.unique(drawn)) == {0, 1, 5}
    assert abs((drawn == 0).mean() - 0.3) < 0.02 and abs(drawn.mean() - 1.5) < 0.1


def test_no_parents_at_training_time_means_no_children():
    model = CardinalityModel()
    model.fit(pd.DataFrame({"segment": pd.Series([], dtype=object)}), {"segment": Kind.CATEGORICAL},
              np.array([], dtype=np.int64), rng=np.random.default_rng(0))
    drawn = model.sample(pd.DataFrame({"segment": ["a", "b"]}), rng=np.random.default_rng(0))
    assert drawn.tolist() == [0, 0]


def test_counts_must_line_up_with_parents():
    with pytest.raises(ModelError):
        CardinalityModel().fit(pd.DataFrame({"a": [1, 2]}), {"a": Kind.INTEGER}, np.array([1]),
                               rng=np.random.default_rng(0))
    with pytest.raises(ModelError):
        CardinalityModel().fit(pd.DataFrame({"a": [1, 2]}), {"a": Kind.INTEGER}, np.array([1, -1]),
                               rng=np.random.default_rng(0))
    with pytest.raises(ModelError):
        CardinalityModel().sample(pd.DataFrame({"a": [1]}), rng=np.random.default_rng(0))
