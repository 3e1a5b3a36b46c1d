"""A German customer table gets German fakes; the config can force another locale, per database
or per column; a saved model keeps its locale."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest
from faker import Faker

import relsynth
from relsynth.config import ColumnConfig, Config, PrivacyConfig, TableConfig
from relsynth.errors import ConfigError
from relsynth.privacy import fakes
from relsynth.synthesizer import Synthesizer


def build_german_shop(path, n: int = 300):
    fake = Faker("de_DE")
    fake.seed_instance(5)
    rng = np.random.default_rng(5)
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE customers (id INTEGER PRIMARY KEY, first_name VARCHAR(40) NOT NULL,
            last_name VARCHAR(40) NOT NULL, city VARCHAR(60), phone VARCHAR(30), segment VARCHAR(10) NOT NULL);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id),
            total REAL NOT NULL);
    """)
    con.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)",
                    [(i + 1, fake.first_name(), fake.last_name(), fake.city(), f"+49 30 {1000000 + i}",
                      str(rng.choice(["a", "b"]))) for i in range(n)])
    con.executemany("INSERT INTO orders VALUES (?, ?, ?)",
                    [(k + 1, int(rng.integers(1, n + 1)), float(rng.gamma(2, 30))) for k in range(2 * n)])
    con.commit()
    con.close()
    return path


@pytest.fixture(scope="module")
def german(tmp_path_factory):
    return build_german_shop(tmp_path_factory.mktemp("locale") / "de.sqlite")


def in_pool(values: pd.Series, locale: str, method: str) -> float:
    return float(values.dropna().isin(set(fakes._pool(locale, method))).mean())


def customers(path) -> pd.DataFrame:
    con = sqlite3.connect(path)
    try:
        return pd.read_sql("SELECT * FROM customers", con)
    finally:
        con.close()


def test_a_german_table_gets_german_names(german, tmp_path):
    relsynth.clone(str(german), str(tmp_path / "out.sqlite"), seed=1)
    out = customers(tmp_path / "out.sqlite")
    assert in_pool(out["last_name"], "de_DE", "last_name") > 0.9
    assert in_pool(out["last_name"], "en_US", "last_name") < 0.5
    assert in_pool(out["city"], "de_DE", "city") > 0.9


def test_the_config_forces_a_locale_for_the_database_or_a_column(german, tmp_path):
    config = Config(privacy=PrivacyConfig(locale="fr_FR"),
                    tables={"customers": TableConfig(columns={"city": ColumnConfig(locale="it_IT")})})
    relsynth.clone(str(german), str(tmp_path / "fr.sqlite"), seed=1, config=config)
    out = customers(tmp_path / "fr.sqlite")
    assert in_pool(out["first_name"], "fr_FR", "first_name") > 0.9
    assert in_pool(out["city"], "it_IT", "city") > 0.9


@pytest.mark.parametrize("config", [Config(privacy=PrivacyConfig(locale="xx_YY")),
                                    Config(tables={"customers": TableConfig(columns={"city": ColumnConfig(
                                        locale="xx_YY")})})])
def test_an_unknown_locale_fails_before_training(german, tmp_path, config):
    with pytest.raises(ConfigError, match="unknown locale 'xx_YY'"):
        relsynth.clone(str(german), str(tmp_path / "x.sqlite"), config=config)
    assert not (tmp_path / "x.sqlite").exists()


def test_a_saved_model_keeps_its_locale(german, tmp_path):
    synth = Synthesizer().fit(str(german), seed=0)
    assert synth.locale.describe() == "de_DE (detected from names, cities and phone numbers)"
    assert synth.tables["customers"].formats["first_name"]["locale"] == "de_DE"
    loaded = Synthesizer.load(synth.save(tmp_path / "model"))
    assert loaded.locale.locale == "de_DE"
    frame = loaded.sample(seed=3)["customers"]
    assert in_pool(frame["first_name"], "de_DE", "first_name") > 0.9


def test_mask_gives_german_pseudonyms_to_a_german_table(german, tmp_path, monkeypatch):
    monkeypatch.setenv("RELSYNTH_SALT", "a-secret-salt-for-tests-0123")
    relsynth.mask(str(german), str(tmp_path / "masked.sqlite"))
    real, out = customers(german), customers(tmp_path / "masked.sqlite")
    assert (out.first_name != real.first_name).mean() > 0.9
    assert in_pool(out.first_name, "de_DE", "first_name") > 0.9 and in_pool(out.last_name, "de_DE", "last_name") > 0.9
    assert out.phone.str.startswith("+49 ").all()
