"""Fixture databases for the fidelity benchmark, each with planted structure and its measures.

    python benchmarks/fidelity/fixtures.py [--out DIR] [--scale S] [--seed N]

Three SQLite databases, built with plain DDL (PKs, FKs, NOT NULL, CHECKs, UNIQUEs) and numpy
(vectorized, seeded):

* ``retail``  customers -> orders: business customers order twice as often as retail ones; orders
  follow a season (month of year) and a week (weekends busier); ``orders.returned`` depends on
  ``customers.age`` (one table) and ``orders.discount`` (the other).
* ``catalog`` categories -> products: the price depends on the category (and its department).
* ``chain``   regions -> stores -> receipts -> receipt_lines: a chain of four levels, where each
  level's number of children depends on a column of the parent, and the line price depends on the
  region three hops up.

``MEASURES[name](con)`` computes the planted statistics from any SQLite database with that schema
(the real one or a synthetic copy), so both sides are measured by the same code.
"""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from sqlite_io import connect_ro, insert_frames, schema

# ------------------------------------------------------------------------------------------ DDL

DDL = {
    "retail": """
        CREATE TABLE customers (
            id INTEGER PRIMARY KEY,
            email VARCHAR(80) NOT NULL UNIQUE,
            segment VARCHAR(10) NOT NULL CHECK (segment IN ('retail', 'business')),
            age INTEGER NOT NULL CHECK (age BETWEEN 18 AND 95),
            signup_date DATE NOT NULL);
        CREATE TABLE orders (
            id INTEGER PRIMARY KEY,
            customer_id INTEGER NOT NULL REFERENCES customers(id),
            ordered_at TIMESTAMP NOT NULL,
            channel VARCHAR(8) NOT NULL,
            discount FLOAT NOT NULL CHECK (discount >= 0 AND discount <= 0.5),
            amount NUMERIC(10, 2) NOT NULL CHECK (amount > 0),
            returned BOOLEAN NOT NULL);
    """,
    "catalog": """
        CREATE TABLE categories (
            id INTEGER PRIMARY KEY,
            name VARCHAR(40) NOT NULL UNIQUE,
            department VARCHAR(20) NOT NULL);
        CREATE TABLE products (
            id INTEGER PRIMARY KEY,
            category_id INTEGER NOT NULL REFERENCES categories(id),
            sku VARCHAR(12) NOT NULL UNIQUE,
            price NUMERIC(10, 2) NOT NULL CHECK (price > 0),
            weight_kg FLOAT NOT NULL CHECK (weight_kg > 0),
            launched DATE NOT NULL,
            discontinued BOOLEAN NOT NULL);
    """,
    "chain": """
        CREATE TABLE regions (
            id INTEGER PRIMARY KEY,
            name VARCHAR(40) NOT NULL UNIQUE,
            population_m FLOAT NOT NULL CHECK (population_m > 0),
            price_level FLOAT NOT NULL);
        CREATE TABLE stores (
            id INTEGER PRIMARY KEY,
            region_id INTEGER NOT NULL REFERENCES regions(id),
            format VARCHAR(8) NOT NULL CHECK (format IN ('mall', 'street', 'outlet')),
            size_sqm INTEGER NOT NULL CHECK (size_sqm > 0),
            opened DATE NOT NULL);
        CREATE TABLE receipts (
            id INTEGER PRIMARY KEY,
            store_id INTEGER NOT NULL REFERENCES stores(id),
            issued_at TIMESTAMP NOT NULL,
            payment VARCHAR(6) NOT NULL);
        CREATE TABLE receipt_lines (
            id INTEGER PRIMARY KEY,
            receipt_id INTEGER NOT NULL REFERENCES receipts(id),
            quantity INTEGER NOT NULL CHECK (quantity > 0),
            unit_price NUMERIC(10, 2) NOT NULL CHECK (unit_price > 0));
    """,
}

# parents first: the order tables are generated and inserted in
TABLES = {"retail": ["customers", "orders"], "catalog": ["categories", "products"],
          "chain": ["regions", "stores", "receipts", "receipt_lines"]}

# ------------------------------------------------------------------------------- value helpers


def _n(base: int, scale: float) -> int:
    return max(2, int(round(base * scale)))


def _ids(n: int) -> np.ndarray:
    return np.arange(1, n + 1)


def _dates(rng: np.random.Generator, n: int, start: str, days: int) -> np.ndarray:
    return np.datetime64(start) + rng.integers(0, days, n).astype("timedelta64[D]")


def _children_of(counts: np.ndarray) -> np.ndarray:
    """Each child row's parent position, for ``counts[i]`` children of parent ``i``."""
    return np.repeat(np.arange(len(counts)), counts)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _seasonal_timestamps(rng: np.random.Generator, n: int) -> np.ndarray:
    """Timestamps in 2023-2024 whose month follows a winter peak (December 3x June) and whose
    weekday follows a busier weekend; drawn as days weighted by month x weekday, then a time."""
    days = np.arange(np.datetime64("2023-01-01"), np.datetime64("2025-01-01"))
    month = days.astype("datetime64[M]").astype(int) % 12 + 1
    weekday = (days.astype(int) + 3) % 7          # 1970-01-01 was a Thursday: 0 = Monday
    weight = (1 + 0.5 * np.cos(2 * np.pi * (month - 12) / 12)) * np.where(weekday >= 5, 1.6, 1.0)
    day = rng.choice(days, size=n, p=weight / weight.sum())
    # shopping hours, 8:00 to 21:59, busiest around 18:00
    hour = np.clip(np.round(rng.normal(15, 3.5, n)), 8, 21).astype(int)
    seconds = hour * 3600 + rng.integers(0, 3600, n)
    return day.astype("datetime64[s]") + seconds.astype("timedelta64[s]")


# ------------------------------------------------------------------------------------ retail

RETAIL_SEGMENT_RATE = {"retail": 3.0, "business": 6.0}   # orders per customer (Poisson mean)


def retail_score(young: np.ndarray, discount: np.ndarray) -> np.ndarray:
    """The planted log-odds of a return: young customers and big discounts return more."""
    return -2.6 + 1.4 * young + 5.0 * discount


def make_retail(rng: np.random.Generator, scale: float) -> dict[str, pd.DataFrame]:
    n = _n(3000, scale)
    segment = rng.choice(np.array(["retail", "business"]), size=n, p=[0.7, 0.3])
    customers = pd.DataFrame({
        "id": _ids(n),
        "email": [f"customer{i}@example.com" for i in range(n)],
        "segment": segment,
        "age": np.clip(np.round(rng.gamma(6.0, 7.0, n)), 18, 95).astype(int),
        "signup_date": _dates(rng, n, "2019-01-01", 4 * 365),
    })
    rate = np.where(segment == "business", RETAIL_SEGMENT_RATE["business"], RETAIL_SEGMENT_RATE["retail"])
    owner = _children_of(rng.poisson(rate))
    m = len(owner)
    business = segment[owner] == "business"
    # 60% of orders without a discount, the rest 5%..40% in steps of 5
    discount = np.where(rng.random(m) < 0.6, 0.0, rng.integers(1, 9, m) * 0.05).round(2)
    young = customers["age"].to_numpy()[owner] < 30
    orders = pd.DataFrame({
        "id": _ids(m),
        "customer_id": owner + 1,
        "ordered_at": _seasonal_timestamps(rng, m),
        "channel": rng.choice(np.array(["web", "store", "phone"]), size=m, p=[0.55, 0.35, 0.10]),
        "discount": discount,
        "amount": np.round(rng.lognormal(3.5 + 0.7 * business, 0.6), 2) + 0.5,
        "returned": rng.random(m) < _sigmoid(retail_score(young, discount)),
    })
    return {"customers": customers, "orders": orders}


# ----------------------------------------------------------------------------------- catalog

DEPARTMENTS = {"grocery": 1.2, "home": 3.0, "garden": 3.4, "toys": 2.8, "electronics": 5.0}  # mean log price


def make_catalog(rng: np.random.Generator, scale: float) -> dict[str, pd.DataFrame]:
    k = 60                                           # a reference table: fixed size
    department = rng.choice(np.array(list(DEPARTMENTS)), size=k)
    category_level = np.array([DEPARTMENTS[d] for d in department]) + rng.normal(0, 0.6, k)
    categories = pd.DataFrame({"id": _ids(k), "name": [f"{d.title()} line {i:02d}" for i, d in enumerate(department)],
                               "department": department})
    n = _n(4000, scale)
    cat = rng.integers(0, k, n)
    heavy = np.isin(department[cat], ["garden", "home"])
    products = pd.DataFrame({
        "id": _ids(n),
        "category_id": cat + 1,
        "sku": [f"SKU-{i:06d}" for i in rng.permutation(900_000)[:n] + 100_000],
        "price": np.round(np.exp(category_level[cat] + rng.normal(0, 0.25, n)), 2) + 0.01,
        "weight_kg": np.round(rng.lognormal(np.where(heavy, 1.5, -0.5), 0.5), 3),
        "launched": _dates(rng, n, "2015-01-01", 9 * 365),
        "discontinued": rng.random(n) < 0.1,
    })
    return {"categories": categories, "products": products}


# ------------------------------------------------------------------------------------- chain

STORE_FORMATS = {"mall": 1500.0, "street": 600.0, "outlet": 2500.0}   # median size in m²


def make_chain(rng: np.random.Generator, scale: float) -> dict[str, pd.DataFrame]:
    k = _n(40, scale)
    population = np.round(rng.lognormal(0.4, 0.6, k), 3)
    price_level = np.round(rng.uniform(0.7, 1.4, k), 3)
    regions = pd.DataFrame({"id": _ids(k), "name": [f"Region {i:03d}" for i in range(k)],
                            "population_m": population, "price_level": price_level})
    # level 2: stores per region grow with the population
    region_of = _children_of(rng.poisson(3 + 6 * population))
    s = len(region_of)
    fmt = rng.choice(np.array(list(STORE_FORMATS)), size=s, p=[0.3, 0.5, 0.2])
    size = np.round(np.array([STORE_FORMATS[f] for f in fmt]) * rng.lognormal(0, 0.35, s)).astype(int)
    stores = pd.DataFrame({"id": _ids(s), "region_id": region_of + 1, "format": fmt, "size_sqm": size,
                           "opened": _dates(rng, s, "2000-01-01", 20 * 365)})
    # level 3: receipts per store grow with the store's floor space
    store_of = _children_of(rng.poisson(size / 50.0))
    r = len(store_of)
    payment = rng.choice(np.array(["card", "cash"]), size=r, p=[0.7, 0.3])
    receipts = pd.DataFrame({"id": _ids(r), "store_id": store_of + 1, "issued_at": _seasonal_timestamps(rng, r),
                             "payment": payment})
    # level 4: card baskets are bigger; the unit price follows the region, three hops up
    receipt_of = _children_of(1 + rng.poisson(np.where(payment == "card", 3.0, 1.0)))
    line_region = region_of[store_of[receipt_of]]
    m = len(receipt_of)
    lines = pd.DataFrame({
        "id": _ids(m), "receipt_id": receipt_of + 1,
        "quantity": 1 + rng.geometric(0.6, m) - 1,
        "unit_price": np.round(price_level[line_region] * rng.lognormal(2.0, 0.5, m), 2) + 0.01,
    })
    return {"regions": regions, "stores": stores, "receipts": receipts, "receipt_lines": lines}


MAKERS: dict[str, Callable[[np.random.Generator, float], dict[str, pd.DataFrame]]] = {
    "retail": make_retail, "catalog": make_catalog, "chain": make_chain}

# ------------------------------------------------------------------------------------- write

def build(name: str, path: Path, *, scale: float = 1.0, seed: int = 0) -> Path:
    """Write fixture ``name`` to a new SQLite file at ``path`` (replaced if present)."""
    path = Path(path)
    path.unlink(missing_ok=True)
    frames = MAKERS[name](np.random.default_rng([seed, sorted(MAKERS).index(name)]), scale)
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA foreign_keys = ON")
        con.executescript(DDL[name])
        dropped = insert_frames(con, frames, schema(con))
        con.commit()
        if any(dropped.values()):
            raise AssertionError(f"fixture {name} breaks a constraint: rows dropped {dropped}")
        if con.execute("PRAGMA foreign_key_check").fetchone() is not None:
            raise AssertionError(f"fixture {name} breaks a foreign key")
    finally:
        con.close()
    return path


# ----------------------------------------------------------------------------------- measures


def _frame(con: sqlite3.Connection, sql: str) -> pd.DataFrame:
    return pd.read_sql_query(sql, con)


def _per_parent(con: sqlite3.Connection, parent: str, child: str, fk: str, columns: str) -> pd.DataFrame:
    """The parent's ``columns`` and its number of children ``n`` (zeros included)."""
    parents = _frame(con, f"SELECT id AS _key, {columns} FROM {parent}")
    counts = _frame(con, f"SELECT {fk} AS _key, COUNT(*) AS n FROM {child} GROUP BY {fk}")
    out = parents.merge(counts, on="_key", how="left").drop(columns="_key")
    out["n"] = out["n"].fillna(0)
    return out


def _spearman(a: pd.Series, b: pd.Series) -> float:
    return float(a.rank().corr(b.rank())) if len(a) > 2 else float("nan")


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b else float("nan")


def _auc(score: np.ndarray, label: np.ndarray) -> float:
    """ROC AUC from ranks (ties averaged): how well ``score`` orders positives above negatives."""
    pos = int(label.sum())
    neg = len(label) - pos
    if pos == 0 or neg == 0:
        return float("nan")
    ranks = pd.Series(score).rank().to_numpy()
    return float((ranks[label].sum() - pos * (pos + 1) / 2) / (pos * neg))


def _eta2(values: pd.Series, groups: pd.Series) -> float:
    """Share of the variance of ``values`` explained by ``groups`` (correlation ratio squared)."""
    total = float(((values - values.mean()) ** 2).sum())
    means = values.groupby(groups).transform("mean")
    return 1.0 - float(((values - means) ** 2).sum()) / total if total else float("nan")


def measure_retail(con: sqlite3.Connection) -> dict[str, float]:
    per = _per_parent(con, "customers", "orders", "customer_id", "segment")
    mean = per.groupby("segment")["n"].mean()
    orders = _frame(con, "SELECT o.ordered_at, o.discount, o.returned, c.age FROM orders o "
                         "JOIN customers c ON c.id = o.customer_id")
    when = pd.to_datetime(orders["ordered_at"], format="mixed")
    month = when.dt.month
    returned = orders["returned"].astype(bool).to_numpy()
    young = orders["age"].to_numpy() < 30
    big = orders["discount"].to_numpy() >= 0.2
    winter, summer = month.isin([12, 1]).sum(), month.isin([6, 7]).sum()
    return {
        "orders per customer, business/retail": _ratio(mean.get("business", np.nan), mean.get("retail", np.nan)),
        "orders Dec+Jan / Jun+Jul": _ratio(winter, summer),
        "weekend share of orders": float((when.dt.day_of_week >= 5).mean()),
        "return rate, age<30 minus age>=30": float(returned[young].mean() - returned[~young].mean()),
        "return rate, discount>=20% minus <20%": float(returned[big].mean() - returned[~big].mean()),
        "returned AUC of the planted score": _auc(retail_score(young, orders["discount"].to_numpy()), returned),
    }


def measure_catalog(con: sqlite3.Connection) -> dict[str, float]:
    rows = _frame(con, "SELECT p.category_id, p.price, c.department FROM products p "
                       "JOIN categories c ON c.id = p.category_id")
    log_price = np.log(rows["price"].astype(float))
    median = rows.groupby("department")["price"].median()
    return {
        "eta² of log price by category": _eta2(log_price, rows["category_id"]),
        "eta² of log price by department": _eta2(log_price, rows["department"]),
        "median price electronics/grocery": _ratio(median.get("electronics", np.nan), median.get("grocery", np.nan)),
    }


def measure_chain(con: sqlite3.Connection) -> dict[str, float]:
    regions = _per_parent(con, "regions", "stores", "region_id", "id, population_m, price_level")
    stores = _per_parent(con, "stores", "receipts", "store_id", "size_sqm")
    receipts = _per_parent(con, "receipts", "receipt_lines", "receipt_id", "payment")
    per_payment = receipts.groupby("payment")["n"].mean()
    lines = _frame(con, "SELECT s.region_id, l.unit_price FROM receipt_lines l "
                        "JOIN receipts r ON r.id = l.receipt_id JOIN stores s ON s.id = r.store_id")
    region_price = lines.groupby("region_id")["unit_price"].mean()
    level = regions.set_index("id")["price_level"].reindex(region_price.index)
    return {
        "stores per region": float(regions["n"].mean()),
        "receipts per store": float(stores["n"].mean()),
        "lines per receipt": float(receipts["n"].mean()),
        "spearman stores/region vs population": _spearman(regions["n"], regions["population_m"]),
        "spearman receipts/store vs size": _spearman(stores["n"], stores["size_sqm"]),
        "lines per receipt, card/cash": _ratio(per_payment.get("card", np.nan), per_payment.get("cash", np.nan)),
        "spearman region price level vs line price (3 hops)": _spearman(level, region_price),
    }


MEASURES: dict[str, Callable[[sqlite3.Connection], dict[str, float]]] = {
    "retail": measure_retail, "catalog": measure_catalog, "chain": measure_chain}


def measure(name: str, path: Path) -> dict[str, float]:
    """The planted statistics of fixture ``name`` in the SQLite file at ``path``."""
    con = connect_ro(path)
    try:
        return MEASURES[name](con)
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out/fidelity", help="directory for NAME.sqlite")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in MAKERS:
        path = build(name, out / f"{name}.sqlite", scale=args.scale, seed=args.seed)
        con = sqlite3.connect(path)
        counts = {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES[name]}
        con.close()
        print(f"{name}: " + ", ".join(f"{t} {c:,}" for t, c in counts.items()))
        for stat, value in measure(name, path).items():
            print(f"  {stat:<52}{value:>8.3f}")


if __name__ == "__main__":
    main()
