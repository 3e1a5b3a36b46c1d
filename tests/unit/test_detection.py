"""Detection scores distributions, not the exact values a copy would share with the source."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from relsynth.report.detection import detection_auc
from relsynth.report.values import FREE_TEXT, NUMERIC


def lines(rng: np.random.Generator, n: int = 3000, products: int = 300) -> pd.DataFrame:
    """Order lines of a few hundred products: each price repeats on about ten lines, quantity
    falls with price."""
    prices = np.round(rng.lognormal(3, 0.8, products), 2)
    price = prices[rng.integers(0, products, n)]
    quantity = np.maximum(1, np.round(rng.normal(40 / np.sqrt(price), 1)))
    return pd.DataFrame({"price": price, "quantity": quantity})


def test_a_fresh_draw_from_the_same_process_is_not_detected():
    # the fresh draw's prices differ from the source's: a classifier that learns exact values tells
    # most rows apart (AUC 0.8 with a bin per value), though the process is the same
    real, fresh = lines(np.random.default_rng(0)), lines(np.random.default_rng(1))
    families = {"price": NUMERIC, "quantity": NUMERIC}
    assert detection_auc(real, fresh, families, seed=0).auc < 0.65


def test_a_broken_relation_is_detected():
    real = lines(np.random.default_rng(0))
    broken = real.assign(quantity=np.random.default_rng(2).permutation(real["quantity"].to_numpy()))
    assert detection_auc(real, broken, {"price": NUMERIC, "quantity": NUMERIC}, seed=0).auc > 0.75


def test_children_of_few_parents_are_not_told_apart_by_their_parents():
    """Stores of 40 regions, each store carrying its region's level: a fresh draw of the regions
    gives new levels. With siblings spread over folds the classifier learns the 40 real levels by
    heart; kept together, only what holds across parents counts."""
    def stores(rng):
        level = rng.lognormal(0, 0.5, 40)
        region = rng.integers(0, 40, 2000)
        return pd.DataFrame({"level": level[region], "sales": level[region] * rng.lognormal(0, 0.3, 2000)}), region

    (real, real_region), (fresh, fresh_region) = stores(np.random.default_rng(0)), stores(np.random.default_rng(1))
    families = {"level": NUMERIC, "sales": NUMERIC}
    groups = np.concatenate([real_region, 40 + fresh_region])
    assert detection_auc(real, fresh, families, seed=0).auc > 0.7            # the fingerprint
    assert detection_auc(real, fresh, families, seed=0, families_of=groups).auc < 0.65


# ------------------------------------------------------------------------------ free text

LEXICON = np.array(["".join(w) for w in np.random.default_rng(99).choice(list("abcdefghijklmnopqrstuvwxyz"),
                                                                          size=(1500, 6))])


def notes(rng: np.random.Generator, n: int = 2000, *, flat: bool = False) -> pd.DataFrame:
    """Sentences of 3 to 14 words drawn from one lexicon, Zipf-shaped (rare words included) or
    flat, and a number beside them."""
    weights = np.ones(len(LEXICON)) if flat else 1.0 / np.arange(1, len(LEXICON) + 1)
    lengths = rng.integers(3, 15, n)
    words = LEXICON[rng.choice(len(LEXICON), size=lengths.sum(), p=weights / weights.sum())]
    sentences = pd.Series(words).groupby(np.repeat(np.arange(n), lengths)).agg(" ".join)
    return pd.DataFrame({"note": sentences.to_numpy(), "amount": rng.lognormal(3, 1, n)})


def word_salad(real: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Each note's words replaced by random letters: same lengths, same spaces."""
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    salad = [" ".join("".join(rng.choice(letters, len(w))) for w in note.split(" ")) for note in real["note"]]
    return real.assign(note=salad)


def shuffled_characters(real: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    return real.assign(note=["".join(rng.permutation(list(note))) for note in real["note"]])


TEXT_FAMILIES = {"note": FREE_TEXT, "amount": NUMERIC}


@pytest.mark.parametrize("flat", [False, True])
def test_a_fresh_draw_of_the_same_text_is_not_detected(flat):
    # flat: the 200 words most frequent in the real rows are those the real rows happened to use
    # more; a vocabulary picked from the real rows alone marks them real (AUC 0.55 and up)
    real, fresh = notes(np.random.default_rng(0), flat=flat), notes(np.random.default_rng(1), flat=flat)
    assert detection_auc(real, fresh, TEXT_FAMILIES, seed=0).auc < 0.56


def test_text_of_the_right_length_but_not_real_words_is_detected():
    real = notes(np.random.default_rng(0))
    fresh = notes(np.random.default_rng(1))   # the other columns as good as can be
    for fake in (word_salad(fresh, np.random.default_rng(2)), shuffled_characters(fresh, np.random.default_rng(3))):
        assert detection_auc(real, fake, TEXT_FAMILIES, seed=0).auc > 0.9


def test_codes_without_spaces_are_left_out():
    real = notes(np.random.default_rng(0)).assign(note=lambda f: "SKU-" + pd.Series(range(len(f))).astype(str))
    fake = real.assign(note="X")
    assert detection_auc(real, fake, TEXT_FAMILIES, seed=0).features == 1
    assert detection_auc(real[["note"]], fake[["note"]], {"note": FREE_TEXT}, seed=0) is None
