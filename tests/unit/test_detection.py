"""Detection scores distributions, not the exact values a copy would share with the source."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.report.detection import detection_auc
from relsynth.report.values import NUMERIC


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
