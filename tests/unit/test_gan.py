"""The "gan" family: planted structure survives, fixed cells are kept, saves load back exactly.

Models here are tiny (narrow layers, a few hundred steps), so the checks ask for the direction and
rough size of a planted effect, not for fidelity; `benchmarks/` is where fidelity is measured.
"""

import datetime as dt
import json
import subprocess
import sys
import warnings
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from relsynth.errors import ModelError  # noqa: E402
from relsynth.models import get_family  # noqa: E402
from relsynth.models.base import TableModel, load_model, save_model  # noqa: E402
from relsynth.models.gan import GanModel, GanParams  # noqa: E402
from relsynth.schema.kinds import Kind  # noqa: E402

SMALL = {"width": 64, "batch_size": 250, "min_steps": 700, "max_steps": 700}
TINY = {"width": 16, "batch_size": 50, "min_steps": 20, "max_steps": 20}


def fitted(table, kinds, *, context=None, context_kinds=None, seed=1, **params):
    model = GanModel(**{**SMALL, **params})
    model.fit(table, kinds=kinds, context=context, context_kinds=context_kinds, rng=np.random.default_rng(seed))
    return model


@pytest.fixture(scope="module")
def shop():
    """Orders: the category drives the price, a nullable integer, a decimal, dates and times."""
    rng = np.random.default_rng(0)
    n = 2000
    category = rng.choice(["book", "game", "phone"], size=n, p=[0.5, 0.3, 0.2])
    price = np.select([category == "book", category == "game"], [10.0, 50.0], 200.0) * rng.lognormal(0, 0.1, n)
    quantity = pd.array(rng.integers(1, 6, size=n), dtype="Int64")
    quantity[rng.random(n) < 0.25] = pd.NA
    fee = pd.Series([Decimal(f"{v:.2f}") for v in rng.random(n) * 5], dtype=object)
    day = pd.Series(np.datetime64("2021-01-01") + rng.integers(0, 700, n).astype("timedelta64[D]")).dt.date
    at = pd.Series(pd.Timestamp("2022-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 10**7, n), unit="s"))
    clock = pd.Series([dt.time(h, m) for h, m in zip(rng.integers(0, 24, n), rng.integers(0, 60, n))], dtype=object)
    table = pd.DataFrame({"category": category, "price": price, "quantity": quantity, "fee": fee,
                          "day": day.astype(object), "at": at, "clock": clock, "gift": rng.random(n) < 0.3})
    kinds = {"category": Kind.CATEGORICAL, "price": Kind.FLOAT, "quantity": Kind.INTEGER, "fee": Kind.DECIMAL,
             "day": Kind.DATE, "at": Kind.DATETIME, "clock": Kind.TIME, "gift": Kind.BOOLEAN}
    model = fitted(table, kinds)
    return table, kinds, model, model.sample(n=n, rng=np.random.default_rng(2))


def test_output_has_the_columns_in_order_with_the_encoding_dtypes(shop):
    table, _, _, synth = shop
    assert list(synth.columns) == list(table.columns)
    assert synth.index.equals(pd.RangeIndex(len(table)))
    assert str(synth.quantity.dtype) == "Int64" and synth.gift.dtype == bool
    assert str(synth["at"].dtype) == "datetime64[ns, UTC]" and synth.price.dtype == np.float64
    assert all(type(v) is dt.date for v in synth.day) and all(type(v) is dt.time for v in synth.clock)
    cents = synth.fee.to_numpy() * 100
    assert np.allclose(cents, np.round(cents)) and synth.fee.between(0, 5).all()
    assert set(synth.category) <= set(table.category)
    present = synth.quantity.dropna()
    assert present.min() >= 1 and present.max() <= 5


def test_the_null_share_is_close(shop):
    table, _, _, synth = shop
    assert abs(synth.quantity.isna().mean() - table.quantity.isna().mean()) < 0.1
    assert synth.drop(columns="quantity").notna().all().all()


def test_the_category_still_shifts_the_price(shop):
    table, _, _, synth = shop
    fake = synth.groupby("category").price.mean()
    assert fake["phone"] - fake["book"] > 0.5 * (200 - 10)
    assert fake["game"] < fake["phone"]
    share = synth.category.value_counts(normalize=True)
    assert abs(share["book"] - 0.5) < 0.15 and abs(share["phone"] - 0.2) < 0.15


def test_fixed_categories_are_kept_and_the_rest_follows_them(shop):
    table, _, model, _ = shop
    fixed = pd.DataFrame({"category": ["phone"] * 500 + ["book"] * 500})
    synth = model.sample(fixed=fixed, rng=np.random.default_rng(3))
    assert len(synth) == 1000 and (synth.category == fixed.category).all()
    real = table.groupby("category").price.mean()
    gap = real["phone"] - real["book"]
    phone, book = synth.price[:500].mean(), synth.price[500:].mean()
    assert abs(phone - real["phone"]) < 0.25 * gap and abs(book - real["book"]) < 0.1 * gap
    assert phone - book > 0.6 * gap


def test_fixed_numbers_are_kept_exactly_and_condition_the_rest(shop):
    _, _, model, _ = shop
    price = pd.Series([205.5] * 300 + [9.75] * 300 + [None] * 100, dtype="Float64")
    day = pd.Series([dt.date(2022, 3, 1)] * 200 + [None] * 500, dtype=object)
    fixed = pd.DataFrame({"price": price, "day": day, "quantity": pd.array([3] * 700, dtype="Int64")})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few rows may be set without a match; not the point here
        synth = model.sample(fixed=fixed, rng=np.random.default_rng(4))
    assert (synth.price[:600].to_numpy() == price[:600].to_numpy(dtype=float)).all()
    assert synth.price[600:].notna().all() and (synth.quantity == 3).all()
    assert (synth.day[:200] == dt.date(2022, 3, 1)).all()
    assert (synth.category[:300] == "phone").mean() > 0.6 and (synth.category[300:600] == "book").mean() > 0.6


def test_a_fixed_value_outside_the_range_is_still_kept(shop):
    _, _, model, _ = shop
    fixed = pd.DataFrame({"price": [123.456789, 99999.5], "fee": [Decimal("1.25"), None]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synth = model.sample(fixed=fixed, rng=np.random.default_rng(5))
    assert synth.price.tolist() == [123.456789, 99999.5] and synth.fee[0] == 1.25


def test_unmatched_fixed_rows_are_set_anyway_with_a_warning(shop):
    _, kinds, model, _ = shop
    strict = GanModel.from_state(*model.state())
    strict.params = GanParams(**{**strict.params.to_meta(), "fixed_rounds": 1, "fixed_candidates": 2})
    fixed = pd.DataFrame({"price": [1e6] * 10})
    with pytest.warns(UserWarning, match=r"10 of 10 rows.*trees"):
        synth = strict.sample(fixed=fixed, rng=np.random.default_rng(6))
    assert (synth.price == 1e6).all()


def test_an_unseen_fixed_category_is_refused_with_a_hint(shop):
    _, _, model, _ = shop
    with pytest.raises(ModelError, match="'tablet'.*never seen") as caught:
        model.sample(fixed=pd.DataFrame({"category": ["book", "tablet"]}), rng=np.random.default_rng(0))
    assert caught.value.hint
    with pytest.raises(ModelError, match="does not learn"):
        model.sample(fixed=pd.DataFrame({"colour": ["red"]}), rng=np.random.default_rng(0))
    with pytest.raises(ModelError):
        model.sample(n=3, fixed=pd.DataFrame({"category": ["book"]}), rng=np.random.default_rng(0))


def test_same_seed_gives_the_same_frame(shop):
    table, kinds, model, _ = shop
    first = model.sample(n=300, rng=np.random.default_rng(7))
    pd.testing.assert_frame_equal(first, model.sample(n=300, rng=np.random.default_rng(7)))
    assert not first.equals(model.sample(n=300, rng=np.random.default_rng(8)))
    small = table.iloc[:300]
    once = fitted(small, kinds, **TINY).sample(n=50, rng=np.random.default_rng(1))
    pd.testing.assert_frame_equal(once, fitted(small, kinds, **TINY).sample(n=50, rng=np.random.default_rng(1)))


def test_state_round_trip_samples_identically_and_loads_without_pickle(shop, tmp_path):
    _, _, model, _ = shop
    meta, arrays = model.state()
    json.dumps(meta, allow_nan=False)
    weights = {k: v for k, v in arrays.items() if k.startswith("generator.")}
    assert weights and all(v.dtype == np.float32 for v in weights.values())
    fixed = pd.DataFrame({"category": ["game"] * 200, "price": [60.0] * 100 + [None] * 100})
    expected = model.sample(fixed=fixed, rng=np.random.default_rng(3))
    save_model(model, tmp_path, "orders")
    assert json.loads((tmp_path / "orders.json").read_text())["family"] == "gan"
    loaded = load_model(tmp_path, "orders")
    assert isinstance(loaded, GanModel) and isinstance(loaded, TableModel)
    pd.testing.assert_frame_equal(loaded.sample(fixed=fixed, rng=np.random.default_rng(3)), expected)


def test_a_damaged_model_file_is_an_artifact_error(shop, tmp_path):
    from relsynth.errors import ArtifactError

    save_model(shop[2], tmp_path, "orders")
    with np.load(tmp_path / "orders.npz", allow_pickle=False) as stored:
        arrays = {k: stored[k] for k in stored.files if not k.startswith("generator.head")}
    np.savez_compressed(tmp_path / "orders.npz", **arrays)
    with pytest.raises(ArtifactError):
        load_model(tmp_path, "orders")


def context_tables(n=2000):
    """Customers (tier, age) and one order each: the tier sets the amount, age makes late orders likelier."""
    rng = np.random.default_rng(3)
    tier = rng.choice(["gold", "basic"], size=n)
    age = rng.integers(18, 80, n)
    parent = pd.DataFrame({"parent.tier": tier, "parent.age": age})
    amount = np.where(tier == "gold", 100.0, 10.0) * rng.lognormal(0, 0.1, n)
    late = rng.random(n) < np.where(age > 50, 0.7, 0.1)
    child = pd.DataFrame({"amount": amount, "late": late})
    kinds = {"amount": Kind.FLOAT, "late": Kind.BOOLEAN}
    return parent, {"parent.tier": Kind.CATEGORICAL, "parent.age": Kind.INTEGER}, child, kinds


def test_a_child_follows_its_parent_context():
    parent, parent_kinds, child, kinds = context_tables()
    model = fitted(child, kinds, context=parent, context_kinds=parent_kinds)
    new = pd.DataFrame({"parent.tier": ["gold"] * 500 + ["basic"] * 500,
                        "parent.age": np.tile([70] * 250 + [25] * 250, 2)}, index=np.arange(5000, 6000))
    synth = model.sample(context=new, rng=np.random.default_rng(4))
    assert len(synth) == 1000 and synth.index.equals(pd.RangeIndex(1000))
    gold, basic = synth.amount[:500].mean(), synth.amount[500:].mean()
    assert gold > 3 * basic
    old, young = np.r_[0:250, 500:750], np.r_[250:500, 750:1000]
    assert synth.late[old].mean() - synth.late[young].mean() > 0.2
    with pytest.raises(ModelError, match="context"):
        model.sample(n=10, rng=np.random.default_rng(0))
    with pytest.raises(ModelError, match="lacks"):
        model.sample(context=new[["parent.tier"]], rng=np.random.default_rng(0))
    missing = new.assign(**{"parent.age": np.nan})  # rows without a parent still sample
    assert len(model.sample(context=missing, rng=np.random.default_rng(0))) == 1000


def test_rare_categories_come_from_the_real_tail_and_can_be_fixed():
    values = ["common"] * 1500 + [f"rare{i}" for i in range(300)] * 2
    table = pd.DataFrame({"label": values, "n": np.arange(len(values)) % 7})
    model = fitted(table, {"label": "categorical", "n": "integer"}, max_categories=10, **TINY)
    assert model._layout.width < 40  # no 301-wide one-hot
    synth = model.sample(n=3000, rng=np.random.default_rng(0))
    assert set(synth.label) <= set(values) and synth.label.nunique() > 100
    kept = model.sample(fixed=pd.DataFrame({"label": ["rare7", None]}), rng=np.random.default_rng(0))
    assert kept.label[0] == "rare7" and kept.label[1] in set(values)


@pytest.mark.parametrize("rows", [0, 1, 3])
def test_tiny_tables_do_not_crash(rows):
    table = pd.DataFrame({"a": np.arange(rows, dtype=float), "b": ["x"] * rows, "c": [None] * rows,
                          "d": np.arange(rows, dtype=np.int64), "e": [True] * rows})
    kinds = {"a": "float", "b": "categorical", "c": "integer", "d": "integer", "e": "boolean"}
    model = fitted(table, kinds, **TINY)
    synth = model.sample(n=5, rng=np.random.default_rng(0))
    assert list(synth.columns) == ["a", "b", "c", "d", "e"] and len(synth) == 5
    assert synth.c.isna().all()
    if rows:
        assert set(synth.b) == {"x"} and synth.d.between(0, rows - 1).all() and synth.e.all()
    else:
        assert synth.isna().all().all()
    assert len(model.sample(n=0, rng=np.random.default_rng(0))) == 0
    GanModel.from_state(*model.state()).sample(n=2, rng=np.random.default_rng(0))


def test_columns_with_few_values_come_back_verbatim():
    rng = np.random.default_rng(2)
    table = pd.DataFrame({"list_price": rng.choice([9.99, 19.99, 49.5], 500), "stars": rng.integers(1, 6, 500),
                          "k": [7] * 500})
    synth = fitted(table, {"list_price": "float", "stars": "integer", "k": "integer"}, **TINY).sample(
        n=500, rng=np.random.default_rng(0))
    assert set(synth.list_price) <= {9.99, 19.99, 49.5} and set(synth.stars) <= {1, 2, 3, 4, 5}
    assert (synth.k == 7).all()


def test_misuse_is_a_model_error():
    with pytest.raises(ModelError, match="not fitted"):
        GanModel().sample(n=3, rng=np.random.default_rng(0))
    with pytest.raises(ModelError):
        GanModel().fit(pd.DataFrame({"mail": ["a@b.c"]}), kinds={"mail": Kind.EMAIL}, rng=np.random.default_rng(0))
    table = pd.DataFrame({"v": [1.0, 2.0]})
    with pytest.raises(ModelError, match="context"):
        GanModel().fit(table, kinds={"v": "float"}, context=pd.DataFrame({"parent.x": [1.0]}),
                       context_kinds={"parent.x": "float"}, rng=np.random.default_rng(0))


def test_the_registry_finds_gan_and_training_size_adapts():
    assert get_family("gan") is GanModel
    params = GanParams()
    assert params.batch_shape(50_000) == (10, 500) and params.batch_shape(250) == (5, 250)
    assert params.batch_shape(100) == (2, 100)
    assert params.batch_shape(7) == (1, 7)
    assert params.steps(50_000, 500) == params.max_steps and params.steps(100, 100) == params.min_steps


def test_without_torch_the_family_says_how_to_get_it():
    code = ("import sys; sys.modules['torch'] = None\n"
            "from relsynth.errors import ModelError\nfrom relsynth.models import get_family\n"
            "try:\n    get_family('gan')\nexcept ModelError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "needs PyTorch" in out.stdout and "relsynth[neural]" in out.stdout
