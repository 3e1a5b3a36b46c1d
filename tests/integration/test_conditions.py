"""Conditional generation: every condition holds in every row, and the rest of the row (and its
parent) looks like the real rows that meet it. Planted: accounts of three risk tiers; fraud is
rare, more frequent on high-risk accounts and comes with large amounts; refunds come mostly
through the web and are larger."""

from __future__ import annotations

import sqlite3
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from relsynth.conditions import ConditionError, Conditions
from relsynth.errors import ConfigError
from relsynth.impute import impute
from fixtures.bank import build_bank
from relsynth.synthesizer import Synthesizer


@pytest.fixture(scope="module")
def bank(tmp_path_factory) -> Path:
    return build_bank(tmp_path_factory.mktemp("bank") / "bank.sqlite")


def real(bank: Path) -> pd.DataFrame:
    con = sqlite3.connect(bank)
    try:
        return pd.read_sql("SELECT t.*, a.tier FROM transactions t JOIN accounts a ON a.id = t.account_id", con)
    finally:
        con.close()


def generated(bank: Path, conditions: Conditions, seed: int = 1) -> dict[str, pd.DataFrame]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synth = Synthesizer().fit(str(bank), seed=seed, conditions=conditions)
        frames = synth.sample(seed=seed, conditions=conditions)
    frames["joined"] = frames["transactions"].merge(frames["accounts"], left_on="account_id", right_on="id",
                                                    suffixes=("", "_account"))
    return frames


def shares(values: pd.Series) -> pd.Series:
    return values.astype(str).value_counts(normalize=True)


def tvd(a: pd.Series, b: pd.Series) -> float:
    return float(shares(a).subtract(shares(b), fill_value=0).abs().sum() / 2)


def test_a_seeded_child_value_goes_to_parents_that_fit(bank):
    rows = generated(bank, Conditions.parse(where=["transactions.is_fraud=true"]))["joined"]
    source = real(bank)
    real_fraud = source[source.is_fraud.astype(bool)]
    assert rows.is_fraud.astype(bool).all()
    assert tvd(rows.tier, real_fraud.tier) < 0.2 < tvd(source.tier, real_fraud.tier)


def test_a_seeded_value_is_in_every_row_and_the_rest_follows_it(bank):
    rows = generated(bank, Conditions.parse(where=["transactions.status=refunded"]))["transactions"]
    source = real(bank)
    refunded = source[source.status == "refunded"]
    assert len(rows) > 1000 and (rows.status == "refunded").all()
    # the channel of refunds, not of all transactions
    assert tvd(rows.channel, refunded.channel) < 0.1 < tvd(source.channel, refunded.channel)
    ratio = rows.amount.astype(float).median() / refunded.amount.astype(float).median()
    assert 0.7 < ratio < 1.4


def test_a_range_holds_in_every_row_and_children_pick_parents_that_fit(bank):
    rows = generated(bank, Conditions.parse(where=["transactions.amount>=500"]))["joined"]
    source = real(bank)
    big = source[source.amount >= 500]
    assert (rows.amount.astype(float) >= 500).all()
    assert abs(rows.is_fraud.astype(bool).mean() - big.is_fraud.mean()) < 0.15
    # large amounts live on high-risk accounts: the rows moved to parents where they happen
    assert (rows.tier == "high").mean() > 2 * (source.tier == "high").mean()


def test_rebalancing_raises_the_minority_and_related_rows_follow(bank):
    frames = generated(bank, Conditions.parse(rebalance=["transactions.is_fraud=true:0.5"]))
    rows = frames["joined"]
    source = real(bank)
    fraud = rows[rows.is_fraud.astype(bool)]
    real_fraud = source[source.is_fraud.astype(bool)]
    assert abs(len(fraud) / len(rows) - 0.5) < 0.01
    assert 0.6 < fraud.amount.astype(float).median() / real_fraud.amount.astype(float).median() < 1.6
    # a fraud's account looks like the accounts of real fraud: mostly high risk
    assert tvd(fraud.tier, real_fraud.tier) < 0.2 < tvd(source.tier, real_fraud.tier)


def test_retained_keys_and_labels_come_out_as_in_the_source(bank):
    frames = generated(bank, Conditions.parse(retain=["accounts.id", "transactions.id,transactions.is_fraud"]))
    source = real(bank).sort_values("id")
    rows = frames["transactions"].sort_values("id")
    assert rows.id.tolist() == source.id.tolist()
    assert rows.is_fraud.astype(bool).tolist() == source.is_fraud.astype(bool).tolist()
    assert rows.account_id.tolist() == source.account_id.tolist()  # children of kept keys keep their parent
    assert sorted(frames["accounts"].id) == sorted(source.account_id.unique().tolist() +
                                                   [i for i in range(1, 601) if i not in set(source.account_id)])


def test_seed_rows_give_one_row_each_with_their_cells_kept(bank, tmp_path):
    seeds = tmp_path / "seeds.csv"
    pd.DataFrame({"status": ["refunded", "pending", "", "settled"] * 25,
                  "channel": ["phone", "", "web", ""] * 25}).to_csv(seeds, index=False)
    rows = generated(bank, Conditions.parse(seed_files=[f"transactions={seeds}"]))["transactions"]
    assert len(rows) == 100
    assert rows.status.iloc[:4].tolist()[:2] == ["refunded", "pending"] and rows.status.iloc[3] == "settled"
    assert (rows.channel.iloc[0::4] == "phone").all() and (rows.channel.iloc[2::4] == "web").all()


@pytest.mark.parametrize("ask, message", [
    (["transactions.status=lost"], "never occurs"),
    (["transactions.amount>=1000000"], "none meets it"),
    (["transactions.nothing=1"], "no column"),
    (["transactions.account_id=3"], "a key"),
])
def test_impossible_requests_stop_before_any_work_with_a_hint(bank, ask, message):
    with pytest.raises((ConditionError, ConfigError), match=message) as caught:
        generated(bank, Conditions.parse(where=ask))
    assert caught.value.hint


def test_a_condition_reached_too_rarely_says_how_many_rows_missed(bank):
    # a tiny amount on a fraud row: both exist, together they (almost) never do
    with pytest.raises(ConditionError, match=r"rows still miss") as caught:
        generated(bank, Conditions.parse(where=["transactions.is_fraud=true", "transactions.amount<=10"]))
    assert "widen" in caught.value.hint


def test_clone_takes_conditions_from_the_command_line(bank, tmp_path):
    from typer.testing import CliRunner

    from relsynth.cli import app

    target = tmp_path / "out.sqlite"
    result = CliRunner().invoke(app, ["clone", str(bank), str(target), "-q", "--where", "transactions.channel=web",
                                      "--rebalance", "transactions.is_fraud=true:0.3"])
    assert result.exit_code == 0, result.output
    con = sqlite3.connect(target)
    channels = {r[0] for r in con.execute("SELECT DISTINCT channel FROM transactions")}
    share = con.execute("SELECT AVG(is_fraud) FROM transactions").fetchone()[0]
    con.close()
    assert channels == {"web"} and abs(share - 0.3) < 0.01


def test_impute_fills_nulls_given_the_row_and_leaves_observed_cells(bank, tmp_path):
    target = tmp_path / "filled.csv"
    result = impute(str(bank), target, table="transactions", columns=["category"])
    source = real(bank).sort_values("id").reset_index(drop=True)
    out = pd.read_csv(target).sort_values("id").reset_index(drop=True)
    assert result.filled == {"category": int(source.category.isna().sum())} and out.category.notna().all()
    seen = source.category.notna()
    assert (out.category[seen] == source.category[seen]).all()
    assert np.allclose(out.amount.astype(float), source.amount.astype(float))  # the other columns as they were
    assert (out.channel == source.channel).all()
    assert set(out.category) <= set(source.category.dropna())
