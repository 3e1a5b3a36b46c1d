"""The autoregressive family writes texts that follow the row, and can be prompted with any fields."""

import datetime as dt
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from relsynth.errors import ModelError  # noqa: E402
from relsynth.models import get_family  # noqa: E402
from relsynth.models.autoregressive import AutoregressiveModel  # noqa: E402
from relsynth.models.base import load_model, save_model  # noqa: E402
from relsynth.models.tokenizer import TextTokenizer  # noqa: E402
from relsynth.schema.kinds import Kind  # noqa: E402

torch.set_num_threads(1)  # tests share the machine

GOOD = ["great", "love", "excellent", "perfect", "happy"]
BAD = ["broken", "refund", "awful", "terrible", "waste"]
NEUTRAL = ["the", "item", "arrived", "it", "is", "and", "this", "was", "ok"]
SMALL = {"target_steps": 300, "max_epochs": 25}  # enough to learn the planted patterns, fast on one core


def share_with(texts: pd.Series, words: list[str]) -> float:
    """Share of (non-null) texts holding at least one of ``words``."""
    texts = texts.dropna()
    return float(texts.str.split().map(lambda ws: bool(set(ws) & set(words))).mean())


def make_reviews(n: int, seed: int = 0) -> pd.DataFrame:
    """Ratings 1-5; good ratings use positive words, bad ones negative words; price follows category."""
    rng = np.random.default_rng(seed)
    rating = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.2, 0.1, 0.15, 0.25, 0.3])
    category = rng.choice(["book", "game", "phone"], size=n, p=[0.5, 0.3, 0.2])
    price = np.select([category == "book", category == "game"], [12.0, 40.0], 600.0) * rng.lognormal(0, 0.2, n)
    mood = np.where(rating >= 4, 0, np.where(rating <= 2, 1, 2))
    pools = [np.array(GOOD), np.array(BAD), np.array(GOOD + BAD)]
    texts = []
    for m in mood:
        words = list(rng.choice(NEUTRAL, size=rng.integers(2, 6))) + list(rng.choice(pools[m], size=rng.integers(1, 3)))
        rng.shuffle(words)
        texts.append(" ".join(words))
    review = pd.Series(texts, dtype=object)
    review[rng.random(n) < 0.1] = None
    return pd.DataFrame({"rating": rating, "category": pd.Series(category, dtype=object), "price": price.round(2),
                         "review": review})


KINDS = {"rating": Kind.INTEGER, "category": Kind.CATEGORICAL, "price": Kind.FLOAT, "review": Kind.TEXT}


@pytest.fixture(scope="module")
def reviews():
    table = make_reviews(2000)
    model = AutoregressiveModel(**SMALL)
    model.fit(table, kinds=KINDS, rng=np.random.default_rng(1))
    return table, model, model.sample(n=2000, rng=np.random.default_rng(2))


def test_samples_keep_the_columns_their_order_and_dtypes(reviews):
    table, _, synth = reviews
    assert list(synth.columns) == list(KINDS)
    assert synth.index.equals(pd.RangeIndex(len(table)))
    assert synth.dtypes.to_dict() == table.dtypes.to_dict()
    assert synth.rating.between(1, 5).all() and set(synth.category) <= {"book", "game", "phone"}


def test_texts_are_null_at_about_the_real_rate(reviews):
    table, _, synth = reviews
    assert abs(synth.review.isna().mean() - table.review.isna().mean()) < 0.04


def test_generated_texts_use_the_training_vocabulary(reviews):
    _, _, synth = reviews
    words = synth.review.dropna().str.split().explode()
    assert words.isin(GOOD + BAD + NEUTRAL).mean() > 0.98
    assert synth.review.dropna().str.len().gt(0).mean() > 0.95


def test_texts_follow_the_rating(reviews):
    _, _, synth = reviews
    top, bottom = synth[synth.rating == 5].review, synth[synth.rating == 1].review
    assert share_with(top, GOOD) - share_with(bottom, GOOD) > 0.5
    assert share_with(bottom, BAD) - share_with(top, BAD) > 0.5


def test_a_fixed_low_rating_prompts_negative_texts(reviews):
    _, model, _ = reviews
    synth = model.sample(fixed=pd.DataFrame({"rating": [1] * 400}), rng=np.random.default_rng(3))
    assert (synth.rating == 1).all()
    assert share_with(synth.review, BAD) > 0.75 and share_with(synth.review, GOOD) < 0.25


def test_fixed_cells_come_out_unchanged_and_na_cells_are_free(reviews):
    _, model, _ = reviews
    price = pd.array([13.37, None, 599.999, None] * 50, dtype="Float64")
    category = pd.Series(["phone", "book", None, None] * 50, dtype=object)
    synth = model.sample(fixed=pd.DataFrame({"price": price, "category": category}), rng=np.random.default_rng(5))
    given = ~pd.isna(price)
    assert (synth.price.to_numpy()[given] == np.asarray(price[given], dtype=float)).all()
    assert (synth.category[category.notna()] == category[category.notna()]).all()
    assert synth.price[~given].notna().all() and synth.category.notna().all()
    # a free price follows its fixed category
    free_phones = synth.price[~given & (category == "book").to_numpy()]
    assert free_phones.median() < 30


def test_the_category_price_relation_survives(reviews):
    table, _, synth = reviews
    real, fake = table.groupby("category").price.median(), synth.groupby("category").price.median()
    assert ((fake - real).abs() / real).max() < 0.15


def test_a_category_never_seen_is_refused(reviews):
    _, model, _ = reviews
    with pytest.raises(ModelError, match="'toy'.*never appeared") as caught:
        model.sample(fixed=pd.DataFrame({"category": ["book", "toy"]}), rng=np.random.default_rng(0))
    assert caught.value.hint


def test_a_number_outside_the_training_range_is_refused(reviews):
    table, model, _ = reviews
    with pytest.raises(ModelError, match=r"'price'.*5000.*outside the training range") as caught:
        model.sample(fixed=pd.DataFrame({"price": [12.0, 5000.0]}), rng=np.random.default_rng(0))
    assert str(table.price.max()) in str(caught.value) and "extrapolate" in caught.value.hint


def test_save_and_load_give_identical_samples_for_the_same_seed(reviews, tmp_path):
    _, model, _ = reviews
    save_model(model, tmp_path, "reviews")
    loaded = load_model(tmp_path, "reviews")
    assert isinstance(loaded, AutoregressiveModel)
    fixed = pd.DataFrame({"rating": [5, None, 1] * 20}, dtype="Int64")
    pd.testing.assert_frame_equal(model.sample(fixed=fixed, rng=np.random.default_rng(7)),
                                  loaded.sample(fixed=fixed, rng=np.random.default_rng(7)))


def test_parent_context_conditions_the_children():
    rng = np.random.default_rng(0)
    n = 1500
    segment = rng.choice(["retail", "wholesale"], size=n)
    context = pd.DataFrame({"parent.segment": segment, "parent.since": rng.integers(2000, 2020, n).astype(float)})
    context.loc[rng.random(n) < 0.05, "parent.segment"] = np.nan  # rows without a parent
    amount = np.where(segment == "wholesale", 900.0, 30.0) * rng.lognormal(0, 0.1, n)
    table = pd.DataFrame({"amount": amount, "paid": rng.random(n) < np.where(segment == "wholesale", 0.9, 0.2)})
    model = AutoregressiveModel(**SMALL)
    model.fit(table, kinds={"amount": Kind.FLOAT, "paid": Kind.BOOLEAN}, context=context,
              context_kinds={"parent.segment": Kind.CATEGORICAL, "parent.since": Kind.FLOAT},
              rng=np.random.default_rng(1))
    asked = pd.DataFrame({"parent.segment": ["retail", "wholesale"] * 200, "parent.since": 2010.0})
    synth = model.sample(context=asked, rng=np.random.default_rng(2))
    wholesale = (asked["parent.segment"] == "wholesale").to_numpy()
    assert synth.amount[wholesale].median() > 600 and synth.amount[~wholesale].median() < 60
    assert synth.paid[wholesale].mean() - synth.paid[~wholesale].mean() > 0.5
    with pytest.raises(ModelError, match="context"):
        model.sample(n=5, rng=np.random.default_rng(0))


def test_the_tokenizer_spells_rare_words_in_characters_and_gives_the_text_back():
    tokenizer = TextTokenizer.fit(["good day", "good night", "good day!"] * 3 + ["Zyx"], min_count=3)
    assert " day" in tokenizer.words and "Zyx" not in tokenizer.words
    ids, lengths = tokenizer.encode_many(["good Zyx day!", "good  day", "good ~"], limit=10)
    assert lengths.tolist() == [7, 6, 2]  # " Zyx" is 4 characters, "  " 2 and "day" 3; "~" is unknown
    assert tokenizer.decode_many(ids) == ["good Zyx day!", "good  day", "good "]
    assert TextTokenizer.from_meta(tokenizer.to_meta()).vocabulary == tokenizer.vocabulary


def test_the_family_is_registered_and_importing_models_stays_torch_free():
    assert get_family("autoregressive") is AutoregressiveModel and AutoregressiveModel.handles_text
    code = "import sys, relsynth.models; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_times_and_timestamps_keep_their_grain():
    rng = np.random.default_rng(0)
    n = 400
    table = pd.DataFrame({
        "clock": pd.Series([dt.time(int(h), int(m)) for h, m in zip(rng.integers(0, 24, n), rng.integers(0, 60, n))],
                           dtype=object),
        "at": pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 10**5, n), unit="min")})
    model = AutoregressiveModel(target_steps=30, max_epochs=3)
    model.fit(table, kinds={"clock": Kind.TIME, "at": Kind.DATETIME}, rng=np.random.default_rng(1))
    synth = model.sample(n=300, rng=np.random.default_rng(2))
    assert all(t.second == 0 and t.microsecond == 0 for t in synth.clock)
    assert (synth["at"].dt.second == 0).all()


# ---------------------------------------------------------------- early stop on held-out rows


def make_easy(n: int, seed: int = 0) -> pd.DataFrame:
    """A category that decides a second category and (up to a little noise) a number."""
    rng = np.random.default_rng(seed)
    shop = rng.choice(["north", "south", "east", "west"], size=n)
    region = pd.Series(shop).map({"north": "A", "south": "A", "east": "B", "west": "C"})
    level = pd.Series(shop).map({"north": 10.0, "south": 50.0, "east": 200.0, "west": 1000.0}).to_numpy()
    return pd.DataFrame({"shop": pd.Series(shop, dtype=object), "region": region.astype(object),
                         "amount": (level * rng.lognormal(0, 0.05, n)).round(2)})


EASY_KINDS = {"shop": Kind.CATEGORICAL, "region": Kind.CATEGORICAL, "amount": Kind.FLOAT}


@pytest.fixture(scope="module")
def easy():
    """The easy table fitted with the default step budget, the held-out batches recorded on the way."""
    from relsynth.models import autoregressive

    seen = []
    original = autoregressive._held_out_loss

    def recording(net, layout, batches):
        seen.append(batches)
        return original(net, layout, batches)

    table = make_easy(1500)
    model = AutoregressiveModel()
    autoregressive._held_out_loss = recording
    try:
        model.fit(table, kinds=EASY_KINDS, rng=np.random.default_rng(2))
    finally:
        autoregressive._held_out_loss = original
    return table, model, seen


def test_an_easy_table_stops_well_before_the_planned_steps(easy):
    _, model, _ = easy
    from relsynth.models.autoregressive import _training_plan

    train_rows = 1500 - 150  # a tenth is held out
    batch, epochs = _training_plan(train_rows, model.params)
    planned = epochs * int(np.ceil(train_rows / batch))
    assert model.steps < planned / 2
    assert len(model.losses) == len(model.validation_losses) >= model.params.patience + 1
    assert all(np.isfinite(model.losses)) and all(np.isfinite(model.validation_losses))
    assert model.validation_losses[-1] < model.validation_losses[0]


def test_the_weights_kept_are_those_of_the_lowest_held_out_loss(easy):
    _, model, seen = easy
    from relsynth.models.autoregressive import _held_out_loss

    assert len(seen) == len(model.validation_losses) and all(b is seen[0] for b in seen)  # one fixed set
    best = int(np.argmin(model.validation_losses))
    assert best < len(model.validation_losses) - 1  # training went on past the best, then stopped
    assert _held_out_loss(model._net, model._layout, seen[0]) == pytest.approx(min(model.validation_losses),
                                                                               rel=1e-6)
    assert not model._net.training


def test_the_planted_relation_survives_an_early_stop(easy):
    table, model, _ = easy
    synth = model.sample(n=1500, rng=np.random.default_rng(2))
    pairs = synth.groupby("shop").region.agg(lambda r: r.value_counts(normalize=True).iloc[0])
    assert (pairs > 0.9).all()
    real, fake = table.groupby("shop").amount.median(), synth.groupby("shop").amount.median()
    assert ((fake - real).abs() / real).max() < 0.1


def test_a_seeded_fit_is_reproducible_with_the_early_stop():
    table = make_easy(600)
    runs = []
    for _ in range(2):
        model = AutoregressiveModel(target_steps=150, max_epochs=12)
        model.fit(table, kinds=EASY_KINDS, rng=np.random.default_rng(4))
        runs.append((model, model.sample(n=300, rng=np.random.default_rng(5))))
    (a, synth_a), (b, synth_b) = runs
    assert len(a.validation_losses) > 0
    assert a.losses == b.losses and a.validation_losses == b.validation_losses and a.steps == b.steps
    pd.testing.assert_frame_equal(synth_a, synth_b)


def test_a_tiny_table_holds_nothing_out_and_runs_every_planned_step():
    from relsynth.models.autoregressive import _training_plan

    table = make_easy(120)
    model = AutoregressiveModel(target_steps=40, max_epochs=4)
    model.fit(table, kinds=EASY_KINDS, rng=np.random.default_rng(1))
    batch, epochs = _training_plan(120, model.params)
    assert model.validation_losses == [] and len(model.losses) == epochs
    assert model.steps == epochs * int(np.ceil(120 / batch))
    synth = model.sample(n=50, rng=np.random.default_rng(2))
    assert len(synth) == 50 and set(synth.shop) <= {"north", "south", "east", "west"}


def test_big_tables_are_evaluated_several_times_an_epoch():
    from relsynth.models.autoregressive import _evaluation_ends

    params = AutoregressiveModel(eval_steps=200).params
    assert _evaluation_ends(17, params) == {16}
    assert _evaluation_ends(500, params) == {166, 333, 499}


def test_a_model_saved_before_the_early_stop_still_loads(easy, tmp_path):
    import json

    _, model, _ = easy
    save_model(model, tmp_path, "easy")
    path = tmp_path / "easy.json"
    document = json.loads(path.read_text())
    meta = document["meta"]
    for key in ("validation_share", "min_validation_rows", "eval_steps", "patience", "patience_share",
                "min_improvement", "cooldown_share"):
        del meta["params"][key]
    del meta["validation_losses"], meta["steps"]
    path.write_text(json.dumps(document))
    loaded = load_model(tmp_path, "easy")
    assert loaded.params == model.params and loaded.validation_losses == [] and loaded.losses == model.losses
    pd.testing.assert_frame_equal(model.sample(n=100, rng=np.random.default_rng(3)),
                                  loaded.sample(n=100, rng=np.random.default_rng(3)))


def test_patience_running_out_starts_a_cool_down_before_the_stop(easy):
    from relsynth.models.autoregressive import _training_plan

    table, model, _ = easy
    abrupt = AutoregressiveModel(cooldown_share=0.0)
    abrupt.fit(table, kinds=EASY_KINDS, rng=np.random.default_rng(2))
    batch, epochs = _training_plan(1350, model.params)
    planned = epochs * int(np.ceil(1350 / batch))
    # the same run up to the trigger, then an eighth of the planned steps more at a falling rate
    assert model.validation_losses[:len(abrupt.validation_losses)] == abrupt.validation_losses
    assert model.steps - abrupt.steps >= np.ceil(model.params.cooldown_share * planned)


def test_a_table_with_text_runs_every_planned_step(reviews):
    from relsynth.models.autoregressive import _training_plan

    table, model, _ = reviews
    batch, epochs = _training_plan(len(table), model.params)
    assert model.validation_losses == [] and model.steps == epochs * math.ceil(len(table) / batch)
