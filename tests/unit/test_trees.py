"""The default "trees" model keeps what a user looks at: correlations, per-group means, nulls, types."""

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from relsynth.errors import ModelError
from relsynth.models import DEFAULT_FAMILY, get_family
from relsynth.models.base import TableModel, load_model, save_model
from relsynth.models.trees import DonorTree, TreeParams, TreesModel
from relsynth.schema.kinds import Kind


def fitted(table, kinds, *, context=None, context_kinds=None, seed=1, **params):
    model = TreesModel(**params)
    model.fit(table, kinds=kinds, context=context, context_kinds=context_kinds, rng=np.random.default_rng(seed))
    return model


@pytest.fixture(scope="module")
def shop():
    """Orders: category drives price, x drives y, a nullable integer, a decimal, dates and times."""
    rng = np.random.default_rng(0)
    n = 6000
    category = rng.choice(["book", "game", "phone"], size=n, p=[0.6, 0.3, 0.1])
    price = np.select([category == "book", category == "game"], [12.0, 40.0], 600.0) * rng.lognormal(0, 0.2, n)
    x = rng.normal(size=n)
    quantity = pd.array(rng.integers(1, 9, size=n), dtype="Int64")
    quantity[rng.random(n) < 0.25] = pd.NA
    fee = pd.Series([Decimal(f"{v:.2f}") for v in rng.random(n) * 5], dtype=object)
    day = pd.Series(np.datetime64("2021-01-01") + rng.integers(0, 700, n).astype("timedelta64[D]")).dt.date
    at = pd.Series(pd.Timestamp("2022-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 10**7, n), unit="s"))
    clock = pd.Series([dt.time(h, m) for h, m in zip(rng.integers(0, 24, n), rng.integers(0, 60, n))], dtype=object)
    table = pd.DataFrame({"category": category, "price": price, "x": x, "y": 2 * x + rng.normal(0, 0.5, n),
                          "quantity": quantity, "fee": fee, "day": day.astype(object), "at": at, "clock": clock,
                          "gift": rng.random(n) < 0.3})
    kinds = {"category": Kind.CATEGORICAL, "price": Kind.FLOAT, "x": Kind.FLOAT, "y": Kind.FLOAT,
             "quantity": Kind.INTEGER, "fee": Kind.DECIMAL, "day": Kind.DATE, "at": Kind.DATETIME,
             "clock": Kind.TIME, "gift": Kind.BOOLEAN}
    model = fitted(table, kinds)
    return table, kinds, model, model.sample(n=n, rng=np.random.default_rng(2))


def test_output_has_the_table_columns_in_order_and_a_fresh_index(shop):
    table, _, _, synth = shop
    assert list(synth.columns) == list(table.columns)
    assert synth.index.equals(pd.RangeIndex(len(table)))


def test_a_planted_correlation_survives(shop):
    table, _, _, synth = shop
    real = np.corrcoef(table.x, table.y)[0, 1]
    assert abs(np.corrcoef(synth.x, synth.y)[0, 1] - real) < 0.1
    slope = np.polyfit(synth.x, synth.y, 1)[0]
    assert abs(slope - 2) < 0.3


def test_price_per_category_keeps_its_mean(shop):
    table, _, _, synth = shop
    real = table.groupby("category").price.mean()
    fake = synth.groupby("category").price.mean()
    assert ((fake - real).abs() / real < 0.15).all()
    share = synth.category.value_counts(normalize=True)
    assert abs(share["book"] - 0.6) < 0.05 and abs(share["phone"] - 0.1) < 0.05


def test_no_category_is_invented(shop):
    table, _, _, synth = shop
    assert set(synth.category) <= set(table.category)


def test_rare_categories_survive():
    values = ["common"] * 5000 + [f"rare{i}" for i in range(300)] * 2
    table = pd.DataFrame({"label": values, "n": np.arange(len(values)) % 7})
    synth = fitted(table, {"label": "categorical", "n": "integer"}).sample(n=len(values), rng=np.random.default_rng(0))
    assert synth.label.nunique() > 200 and set(synth.label) <= set(values)


def test_null_share_is_kept(shop):
    table, _, _, synth = shop
    assert abs(synth.quantity.isna().mean() - table.quantity.isna().mean()) < 0.05


def test_integers_stay_integers_within_the_observed_range(shop):
    table, _, _, synth = shop
    assert str(synth.quantity.dtype) == "Int64"
    present = synth.quantity.dropna()
    assert present.min() >= table.quantity.min() and present.max() <= table.quantity.max()


def test_decimals_keep_their_scale_and_floats_are_not_all_verbatim_copies(shop):
    table, _, _, synth = shop
    cents = synth.fee.to_numpy() * 100
    assert np.allclose(cents, np.round(cents))
    assert synth.fee.min() >= 0 and synth.fee.max() <= 5
    copied = np.isin(synth.price.to_numpy(), table.price.to_numpy()).mean()
    assert copied < 0.5


def test_dates_times_and_datetimes_keep_their_types(shop):
    table, _, _, synth = shop
    assert synth.day.dtype == object and all(type(v) is dt.date for v in synth.day)
    assert min(synth.day) >= min(table.day) and max(synth.day) <= max(table.day)
    assert str(synth["at"].dtype) == "datetime64[ns, UTC]"
    assert all(type(v) is dt.time for v in synth.clock)
    assert synth.gift.dtype == bool and abs(synth.gift.mean() - 0.3) < 0.05


def test_a_skewed_marginal_keeps_its_quantiles():
    rng = np.random.default_rng(8)
    table = pd.DataFrame({"amount": rng.lognormal(3, 1, 20_000), "count": rng.poisson(3, 20_000)})
    synth = fitted(table, {"amount": "float", "count": "integer"}).sample(n=20_000, rng=np.random.default_rng(9))
    levels = [0.05, 0.25, 0.5, 0.75, 0.95]
    real, fake = table.amount.quantile(levels), synth.amount.quantile(levels)
    assert ((fake - real).abs() / real < 0.08).all()
    assert abs(synth["count"].mean() - 3) < 0.1


def test_same_seed_gives_the_same_frame(shop):
    table, _, model, _ = shop
    first = model.sample(n=500, rng=np.random.default_rng(7))
    again = model.sample(n=500, rng=np.random.default_rng(7))
    pd.testing.assert_frame_equal(first, again)
    refit = fitted(table, shop[1]).sample(n=500, rng=np.random.default_rng(7))
    pd.testing.assert_frame_equal(first, refit)


def test_state_round_trip_samples_identically_and_loads_without_pickle(shop, tmp_path):
    _, _, model, _ = shop
    meta, arrays = model.state()
    json.dumps(meta, allow_nan=False)
    assert not any(np.asarray(a).dtype.hasobject for a in arrays.values())
    expected = model.sample(n=800, rng=np.random.default_rng(3))
    pd.testing.assert_frame_equal(TreesModel.from_state(meta, arrays).sample(n=800, rng=np.random.default_rng(3)),
                                  expected)
    save_model(model, tmp_path, "orders")
    assert json.loads((tmp_path / "orders.json").read_text())["family"] == "trees"
    with np.load(tmp_path / "orders.npz", allow_pickle=False) as stored:
        assert stored.files
    loaded = load_model(tmp_path, "orders")
    assert isinstance(loaded, TreesModel) and isinstance(loaded, TableModel)
    pd.testing.assert_frame_equal(loaded.sample(n=800, rng=np.random.default_rng(3)), expected)


def context_tables(n=5000, seed=0):
    rng = np.random.default_rng(seed)
    parent = pd.DataFrame({"tier": rng.choice(["basic", "gold"], size=n), "age": rng.integers(18, 80, n)})
    amount = np.where(parent.tier == "gold", 100.0, 10.0) * rng.lognormal(0, 0.1, n)
    late = rng.random(n) < np.where(parent.age > 50, 0.6, 0.1)
    child = pd.DataFrame({"amount": amount, "late": late})
    return parent, {"tier": Kind.CATEGORICAL, "age": Kind.INTEGER, "id": Kind.KEY}, child, \
        {"amount": Kind.FLOAT, "late": Kind.BOOLEAN}


def test_a_child_column_follows_its_parent_context():
    parent, parent_kinds, child, kinds = context_tables()
    model = fitted(child, kinds, context=parent, context_kinds=parent_kinds)
    ages = np.random.default_rng(9).integers(18, 51, 2000)
    old = np.r_[0:500, 1000:1500]
    ages[old] += 30  # 48..80: mostly over 50
    new_parents = pd.DataFrame({"tier": ["gold"] * 1000 + ["basic"] * 1000, "age": ages},
                               index=np.arange(5000, 7000))  # any index: rows pair up by position
    synth = model.sample(context=new_parents, rng=np.random.default_rng(4))
    assert len(synth) == 2000 and synth.index.equals(pd.RangeIndex(2000))
    gold, basic = synth.amount[:1000].mean(), synth.amount[1000:].mean()
    assert abs(gold / 100 - 1) < 0.15 and abs(basic / 10 - 1) < 0.15
    young = np.r_[500:1000, 1500:2000]
    expected_old = np.where(ages[old] > 50, 0.6, 0.1).mean()
    assert abs(synth.late[old].mean() - expected_old) < 0.1 and abs(synth.late[young].mean() - 0.1) < 0.1


def test_context_is_required_when_trained_with_it_and_n_must_match():
    parent, parent_kinds, child, kinds = context_tables(n=300)
    model = fitted(child, kinds, context=parent, context_kinds=parent_kinds)
    with pytest.raises(ModelError):
        model.sample(n=10, rng=np.random.default_rng(0))
    with pytest.raises(ModelError):
        model.sample(n=10, context=parent, rng=np.random.default_rng(0))
    with pytest.raises(ModelError, match="lacks"):
        model.sample(context=parent[["tier"]], rng=np.random.default_rng(0))
    with pytest.raises(ModelError):
        TreesModel().fit(child, kinds=kinds, context=parent.iloc[:5], context_kinds=parent_kinds,
                         rng=np.random.default_rng(0))


def test_null_share_follows_the_category_it_depends_on():
    rng = np.random.default_rng(5)
    kind = rng.choice(["card", "cash"], size=4000)
    tip = np.where(rng.random(4000) < np.where(kind == "card", 0.1, 0.7), np.nan, rng.random(4000))
    table = pd.DataFrame({"kind": kind, "tip": tip})
    synth = fitted(table, {"kind": "categorical", "tip": "float"}).sample(n=4000, rng=np.random.default_rng(6))
    by_kind = synth.tip.isna().groupby(synth.kind).mean()
    assert abs(by_kind["card"] - 0.1) < 0.05 and abs(by_kind["cash"] - 0.7) < 0.05


@pytest.mark.parametrize("rows", [0, 1, 3])
def test_tiny_tables_do_not_crash(rows):
    table = pd.DataFrame({"a": np.arange(rows, dtype=float), "b": ["x"] * rows, "c": [None] * rows,
                          "d": np.arange(rows, dtype=np.int64)})
    kinds = {"a": "float", "b": "categorical", "c": "integer", "d": "integer"}
    model = fitted(table, kinds)
    synth = model.sample(n=5, rng=np.random.default_rng(0))
    assert list(synth.columns) == ["a", "b", "c", "d"] and len(synth) == 5
    assert synth.c.isna().all()
    if rows:
        assert set(synth.b) == {"x"} and synth.d.between(0, rows - 1).all()
    else:
        assert synth.isna().all().all()
    assert len(model.sample(n=0, rng=np.random.default_rng(0))) == 0
    TreesModel.from_state(*model.state()).sample(n=2, rng=np.random.default_rng(0))


def test_constant_and_all_null_columns():
    table = pd.DataFrame({"k": [7] * 50, "nothing": [np.nan] * 50, "v": np.linspace(0, 1, 50)})
    synth = fitted(table, {"k": "integer", "nothing": "float", "v": "float"}).sample(
        n=100, rng=np.random.default_rng(0))
    assert (synth.k == 7).all() and synth.nothing.isna().all() and synth.v.between(0, 1).all()


def test_training_is_capped_at_max_rows():
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"v": rng.normal(size=20_000), "w": rng.integers(0, 5, 20_000)})
    model = fitted(table, {"v": "float", "w": "integer"}, max_rows=1000)
    tree = model._steps[1].value
    assert tree.total.sum() == 1000
    assert model.sample(n=10, rng=np.random.default_rng(0)).shape == (10, 2)


def test_a_damaged_model_file_is_an_artifact_error(shop, tmp_path):
    from relsynth.errors import ArtifactError

    save_model(shop[2], tmp_path, "orders")
    with np.load(tmp_path / "orders.npz", allow_pickle=False) as stored:
        arrays = {k: stored[k] for k in stored.files if not k.startswith("c1.")}
    np.savez_compressed(tmp_path / "orders.npz", **arrays)
    with pytest.raises(ArtifactError):
        load_model(tmp_path, "orders")
    (tmp_path / "orders.npz").write_bytes(b"not a zip")
    with pytest.raises(ArtifactError):
        load_model(tmp_path, "orders")


def test_columns_without_a_modeled_kind_are_refused():
    with pytest.raises(ModelError):
        fitted(pd.DataFrame({"mail": ["a@b.c"]}), {"mail": Kind.EMAIL})
    with pytest.raises(ModelError):
        fitted(pd.DataFrame({"v": [1.0]}), {})


def test_the_walk_matches_sklearn_including_missing_values():
    from sklearn.tree import DecisionTreeRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 4)).astype(np.float32)
    X[rng.random(5000) < 0.2, 1] = np.nan
    y = X[:, 0] * 3 + np.nan_to_num(X[:, 1], nan=5.0) + rng.normal(size=5000)
    params = TreeParams(min_leaf=5, rows_per_leaf=10**9)
    tree = DonorTree.fit(X, y, classifier=False, jitter=False, params=params, rng=np.random.default_rng(0))
    seed = int(np.random.default_rng(0).integers(2**31 - 1))  # the seed DonorTree.fit hands to sklearn
    estimator = DecisionTreeRegressor(min_samples_leaf=5, max_depth=20, random_state=seed).fit(X, y)
    assert tree.left.size == estimator.tree_.node_count > 100
    test = rng.normal(size=(3000, 4)).astype(np.float32)
    test[rng.random(3000) < 0.3, 1] = np.nan
    test[rng.random(3000) < 0.1, 2] = np.nan  # never missing in training
    expected = estimator.apply(test)
    assert (tree.apply(test) == expected).all()
    rows = np.array([5, 3, 2999])
    assert (tree.apply(test, rows=rows) == expected[rows]).all()


def test_donor_leaves_match_the_fitted_estimator():
    """Training rows land where sklearn put them, so each leaf's donors are its own rows."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(4000, 3)).astype(np.float32)
    y = np.round(X[:, 0] * 10)
    tree = DonorTree.fit(X, y, classifier=False, jitter=False, params=TreeParams(min_leaf=20, rows_per_leaf=10**9),
                         rng=np.random.default_rng(0))
    leaves = tree.apply(X)
    for leaf in np.unique(leaves)[:20]:
        donors = tree.donors[tree.cum.searchsorted(tree.start[leaf], "right"):][:1]
        assert donors[0] in set(y[leaves == leaf])
    assert tree.total[leaves].min() >= 20


def test_sampling_a_million_rows_is_vectorized():
    rng = np.random.default_rng(0)
    n = 3000
    table = pd.DataFrame({"a": rng.normal(size=n), "b": rng.integers(0, 100, n), "c": rng.choice(list("pqrs"), n),
                          "d": rng.random(n) < 0.5, "e": rng.normal(size=n), "f": rng.lognormal(size=n)})
    table.loc[rng.random(n) < 0.1, "e"] = np.nan
    kinds = {"a": "float", "b": "integer", "c": "categorical", "d": "boolean", "e": "float", "f": "float"}
    synth = fitted(table, kinds).sample(n=1_000_000, rng=np.random.default_rng(1))
    assert synth.shape == (1_000_000, 6)
    assert abs(synth.e.isna().mean() - table.e.isna().mean()) < 0.02


def test_the_registry_knows_trees_and_names_the_known_families():
    assert DEFAULT_FAMILY == "trees" and get_family("trees") is TreesModel
    with pytest.raises(ModelError, match="trees"):
        get_family("no-such-family")


def test_importing_the_registry_stays_light():
    code = "import sys, relsynth.models, relsynth.models.base; print('torch' in sys.modules, 'sklearn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_fixed_values_are_kept_and_later_columns_follow_them():
    rng = np.random.default_rng(7)
    group = rng.choice(["low", "high"], 3000)
    value = np.where(group == "high", 100.0, 10.0) + rng.normal(0, 1, 3000)
    model = TreesModel()
    model.fit(pd.DataFrame({"group": group, "value": value}),
              kinds={"group": Kind.CATEGORICAL, "value": Kind.FLOAT}, rng=rng)
    fixed = pd.DataFrame({"group": ["high"] * 500 + [None] * 500})
    out = model.sample(n=1000, fixed=fixed, rng=rng)
    assert (out["group"].iloc[:500] == "high").all()
    assert out["value"].iloc[:500].mean() > 90
    assert 0.3 < (out["group"].iloc[500:] == "high").mean() < 0.7
