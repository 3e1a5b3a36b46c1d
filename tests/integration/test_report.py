"""relsynth report: a database against itself, against deliberately broken copies, against a clone."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

import relsynth
from relsynth.report import FAMILIES, build_report
from relsynth.schema.reflect import reflect
from relsynth.urls import resolve_url, source_engine

SHOP = Path(__file__).resolve().parents[2] / "fixtures" / "shop.sqlite"


@pytest.fixture(scope="module")
def shop_self():
    return build_report(str(SHOP), str(SHOP), seed=0)


@pytest.fixture(scope="module")
def shop_clone(tmp_path_factory):
    target = tmp_path_factory.mktemp("clone") / "shop.synth.sqlite"
    relsynth.clone(str(SHOP), f"sqlite:///{target}", seed=0)
    return target


def broken_copy(tmp_path: Path, *statements: str) -> Path:
    copy = tmp_path / "broken.sqlite"
    shutil.copy(SHOP, copy)
    with sqlite3.connect(copy) as conn:
        for statement in statements:
            conn.execute(statement)
    return copy


def column(report, table: str, name: str):
    return next(c for c in report.table(table).columns if c.name == name)


def test_a_database_against_itself_scores_one(shop_self):
    overall = shop_self.overall
    for family in ("column_shapes", "column_pairs", "cardinality", "parent_child"):
        assert overall[family] == pytest.approx(1.0, abs=1e-9), family
    # identical rows: the classifier cannot separate them
    assert abs(overall["detection_auc"] - 0.5) <= 0.1
    for table in shop_self.tables:
        if table.detection is not None:
            assert abs(table.detection.auc - 0.5) <= 0.1, table.name
    assert shop_self.table("customers").privacy.exact_match_share == 1.0
    assert not shop_self.problems
    # the real database is full of real people: every identifying value is found
    emails = shop_self.table("customers")
    assert emails.privacy.pii_found >= 300 and shop_self.pii_found >= emails.privacy.pii_found
    assert emails.privacy.nndr_median < emails.privacy.nndr_real_median   # copies sit on real rows


def test_free_text_is_scored_by_its_words_too(shop_self, shop_clone):
    """orders.note is free text: beside its length, its words. The clone walks the column's own
    common words (k-safe), so both scores are high; codes (coupons.code) stay out."""
    def bases(report, table, name):
        return {c.basis: c.score for c in report.table(table).columns if c.name == name}

    assert bases(shop_self, "orders", "note") == {"length_ks": pytest.approx(1.0), "word_tvd": pytest.approx(1.0)}
    report = build_report(str(SHOP), str(shop_clone))
    clone = bases(report, "orders", "note")
    assert clone["length_ks"] > 0.8 and clone["word_tvd"] > 0.7
    assert set(bases(report, "coupons", "code")) == {"length_ks"}
    assert report.table("products").detection.auc < 0.8   # brand, a random word, a code: as the real names


def test_a_constant_price_hurts_column_shapes(tmp_path, shop_self):
    report = build_report(str(SHOP), str(broken_copy(tmp_path, "UPDATE products SET price = 10.99")))
    assert column(report, "products", "price").score < 0.1
    assert report.table("products").scores["column_shapes"] < shop_self.table("products").scores["column_shapes"] - 0.1
    # the other tables are untouched
    assert report.table("customers").scores["column_shapes"] == pytest.approx(1.0)


def test_a_shuffled_column_hurts_pair_trends(tmp_path):
    copy = broken_copy(tmp_path)
    with sqlite3.connect(copy) as conn:
        rows = conn.execute("SELECT order_id, line_no, unit_price FROM order_items").fetchall()
        prices = np.random.default_rng(0).permutation([r[2] for r in rows])
        conn.executemany("UPDATE order_items SET unit_price = ? WHERE order_id = ? AND line_no = ?",
                         [(float(p), r[0], r[1]) for p, r in zip(prices, rows)])
    report = build_report(str(SHOP), str(copy))
    items = report.table("order_items")
    assert items.scores["column_shapes"] == pytest.approx(1.0)       # same values, other rows
    pair = next(p for p in items.pairs if set(p.columns) == {"quantity", "unit_price"})
    assert pair.corr_real < -0.4 and abs(pair.corr_synthetic) < 0.1
    assert pair.score < 0.8
    assert items.scores["column_pairs"] < 0.9
    # unit_price against the product's price, one hop up
    link = next(link for link in items.parent_child
                if link.column == "unit_price" and link.ancestor == "products.price")
    assert link.score < 0.7
    assert items.detection.auc > 0.7


def test_one_customer_for_every_order_hurts_cardinality(tmp_path):
    report = build_report(str(SHOP), str(broken_copy(tmp_path, "UPDATE orders SET customer_id = 1")))
    orders = report.table("orders")
    by_fk = {c.foreign_key: c for c in orders.cardinality}
    assert by_fk["orders(customer_id) -> customers(id)"].score < 0.2
    assert by_fk["orders(coupon_id) -> coupons(id)"].score == pytest.approx(1.0)
    assert by_fk["orders(customer_id) -> customers(id)"].max_synthetic == 931
    assert orders.scores["column_shapes"] == pytest.approx(1.0)


def test_a_clone_report_has_every_table_and_foreign_key(shop_clone, tmp_path):
    report = build_report(str(SHOP), str(shop_clone), seed=1)
    data = json.loads(json.dumps(report.to_dict()))
    engine = source_engine(resolve_url(str(SHOP)))
    schema = reflect(engine)
    engine.dispose()
    assert set(data["tables"]) == {t.name for t in schema}
    for table in schema:
        labels = {fk["foreign_key"] for fk in data["tables"][table.name]["foreign_keys"]}
        assert labels == {f"{table.name}({', '.join(fk.columns)}) -> {fk.parent}({', '.join(fk.parent_columns)})"
                          for fk in table.foreign_keys}
        assert set(data["tables"][table.name]["scores"]) == set(FAMILIES)
    assert set(data["overall"]) == set(FAMILIES)
    for family in ("column_shapes", "column_pairs", "cardinality", "parent_child"):
        assert 0.5 < data["overall"][family] <= 1.0, family
    assert 0.0 <= data["overall"]["dcr_share"] <= 1.0
    customers = data["tables"]["customers"]["privacy"]
    assert customers["exact_match_share"] < 0.5 and customers["exact_match_baseline"] == 0.0
    rows = report.summary_rows()
    assert rows[0][0] == "(overall)" and all(isinstance(score, float) for _, _, score in rows)

    html = report.write_html(tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html and "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.IGNORECASE)
    assert "http://" not in html and "https://" not in html and "@import" not in html
    assert len(html) < 2_000_000


@pytest.fixture(scope="module")
def shop_clone_report(shop_clone):
    return build_report(str(SHOP), str(shop_clone))


def test_a_clone_copies_almost_no_real_customer(shop_clone_report):
    report = shop_clone_report
    assert report.table("customers").privacy.exact_match_share < 0.05
    # no real email, name, phone, address, note or code anywhere in the copy; the birth dates: below
    assert not {(table, c.column) for table, c in report.real_values if c.counted}
    assert all(c.counted == 0 for t in report.tables for c in t.privacy.real_values if c.basis != "quasi")
    nndr = report.table("orders").privacy
    assert nndr.nndr_median > 0.5 * nndr.nndr_real_median


def test_a_clone_copies_no_real_birth_date(shop_clone_report):
    birth = next(c for c in shop_clone_report.table("customers").privacy.real_values if c.column == "birth_date")
    assert birth.counted == 0 and shop_clone_report.pii_found == 0


def tiny_pair(tmp_path: Path) -> tuple[Path, Path]:
    labels = ["<script>alert(1)</script>", "fish & chips", 'say "hi"']
    paths = []
    for name, weights in (("real", [0.5, 0.3, 0.2]), ("synth", [0.2, 0.3, 0.5])):
        path = tmp_path / f"{name}.sqlite"
        rng = np.random.default_rng(len(name))
        with sqlite3.connect(path) as conn:
            conn.execute('CREATE TABLE "t<b>" (id INTEGER PRIMARY KEY, label TEXT NOT NULL, "x&y" REAL)')
            picks = rng.choice(len(labels), size=200, p=weights)
            conn.executemany('INSERT INTO "t<b>" VALUES (?, ?, ?)',
                             [(i + 1, labels[k], float(rng.normal())) for i, k in enumerate(picks)])
        paths.append(path)
    return paths[0], paths[1]


def test_the_html_escapes_names_and_values(tmp_path):
    real, synth = tiny_pair(tmp_path)
    report = build_report(str(real), str(synth))
    assert column(report, "t<b>", "label").kind == "categorical"
    html = report.write_html(tmp_path / "tiny.html").read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "t&lt;b&gt;" in html and "x&amp;y" in html and "fish &amp; chips" in html
    assert column(report, "t<b>", "label").score == pytest.approx(0.7, abs=0.1)


def test_a_column_null_in_every_row_is_reported_not_fatal(tmp_path):
    """pagila's film has such a column; the detection classifier died on it (window shape error)."""
    source, copy = tmp_path / "real.sqlite", tmp_path / "copy.sqlite"
    with sqlite3.connect(source) as con:
        con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b TEXT, gone TIMESTAMP, never INTEGER)")
        con.executemany("INSERT INTO t VALUES (?, ?, ?, NULL, NULL)", [(i, i * 1.5, f"x{i % 3}") for i in range(1, 60)])
    relsynth.clone(str(source), f"sqlite:///{copy}", seed=1)
    report = build_report(str(source), str(copy), seed=0)
    (table,) = report.tables
    assert table.detection is not None and 0.0 <= table.detection.auc <= 1.0
