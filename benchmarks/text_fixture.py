"""A text-heavy fixture: free-text bodies whose words depend on the row and its parent.

    python benchmarks/text_fixture.py [--out out/families/text.sqlite] [--scale S] [--seed N]

SQLite, plain DDL, numpy (seeded, vectorized). Two families of tables:

* ``products`` (category, price, quality) -> ``reviews`` (rating 1-5 driven by the product's
  quality, helpful votes, date, ``body``): the body mixes shared filler words, words of the
  product's category (``battery``, ``pan``, ``chapter``...) and sentiment words whose mix follows
  the rating (rating 5: mostly positive words; 1: mostly negative; 3: neutral ones);
* ``customers`` (plan, country, seats) -> ``tickets`` (category billing/shipping/technical/
  account driven by the plan, priority driven by category and plan, hours to resolve, ``body``):
  the body mixes filler, words of the ticket's category and words of its priority.

Bodies are one to five sentences (5 to 45 words), so relsynth sees them as free text (``text``).

Measures (``text_measures``), the same code on the real and any synthetic copy:

* vocabulary: share of the synthetic words that are real words, and share of the real top-200
  words that appear in the synthetic bodies; and the share of synthetic bodies that are a real
  body verbatim (privacy: should stay near 0);
* relation: a word-count classifier (multinomial naive Bayes) trained on real bodies to predict
  the rating class (1-2 / 3 / 4-5) or the ticket category, scored on the copy's own rows (on real
  rows its accuracy is the ceiling, on bodies that ignore their row it falls to chance); and the
  gap in the share of positive words between rating-5 and rating-1 reviews.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "fidelity"))

from sqlite_io import connect_ro, insert_frames, schema  # noqa: E402

DDL = """
    CREATE TABLE products (
        id INTEGER PRIMARY KEY,
        category VARCHAR(12) NOT NULL,
        price NUMERIC(10, 2) NOT NULL CHECK (price > 0),
        quality FLOAT NOT NULL CHECK (quality BETWEEN 0 AND 1),
        launched DATE NOT NULL);
    CREATE TABLE reviews (
        id INTEGER PRIMARY KEY,
        product_id INTEGER NOT NULL REFERENCES products(id),
        rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
        helpful_votes INTEGER NOT NULL CHECK (helpful_votes >= 0),
        created DATE NOT NULL,
        body TEXT NOT NULL);
    CREATE TABLE customers (
        id INTEGER PRIMARY KEY,
        plan VARCHAR(10) NOT NULL CHECK (plan IN ('free', 'pro', 'enterprise')),
        country VARCHAR(2) NOT NULL,
        seats INTEGER NOT NULL CHECK (seats > 0),
        signup DATE NOT NULL);
    CREATE TABLE tickets (
        id INTEGER PRIMARY KEY,
        customer_id INTEGER NOT NULL REFERENCES customers(id),
        category VARCHAR(10) NOT NULL,
        priority VARCHAR(6) NOT NULL,
        opened_at TIMESTAMP NOT NULL,
        hours_to_resolve FLOAT NOT NULL CHECK (hours_to_resolve > 0),
        body TEXT NOT NULL);
"""
TABLES = ["products", "reviews", "customers", "tickets"]
TEXT_TABLES = {"reviews": "rating", "tickets": "category"}   # text table -> the column its words follow

# ------------------------------------------------------------------------------- vocabularies

FILLER = ("the it this and was is i for with my a to of after very really would again just "
          "product item bought use used got one time days week when but so have had on in").split()
POSITIVE = ("great excellent love perfect amazing recommend happy sturdy fast beautiful reliable "
            "comfortable worth fantastic best solid pleased easy gorgeous flawless").split()
NEGATIVE = ("broken terrible waste disappointed refund poor cheap flimsy returned awful defective "
            "slow worst useless stopped cracked junk annoying unusable faulty").split()
NEUTRAL = ("okay average decent fine expected mixed acceptable alright ordinary fair "
           "nothing special enough though somewhat").split()
PRODUCT_WORDS = {
    "electronics": "battery screen charger cable sound bluetooth speaker headphones volume remote".split(),
    "kitchen": "pan knife blender kettle handle lid pot dishwasher coffee nonstick".split(),
    "books": "story author pages chapter plot characters ending writing novel read".split(),
    "toys": "kids son daughter puzzle pieces batteries lego doll game birthday".split(),
    "garden": "hose plants soil shovel seeds lawn watering roses pots weeds".split(),
}
TICKET_WORDS = {
    "billing": "invoice charged payment refund card subscription price receipt twice overcharged".split(),
    "shipping": "package delivery tracking courier arrived late address lost box damaged".split(),
    "technical": "error crash app bug update loading server sync timeout freezes".split(),
    "account": "password email username locked reset profile settings delete verify login".split(),
}
TICKET_FILLER = ("hello hi i my the a to and is it not please can you help with this since "
                 "we our account have has been thanks team on".split())
PRIORITY_WORDS = {
    "low": "whenever question curious wondering minor small no rush".split(),
    "normal": "issue problem noticed again today seems".split(),
    "high": "important soon customers blocked urgently need".split(),
    "urgent": "asap immediately urgent critical down losing money now".split(),
}

# a rating's sentiment mix over (filler, positive, negative, neutral, product words)
RATING_MIX = np.array([[0.50, 0.02, 0.30, 0.03, 0.15],
                       [0.50, 0.04, 0.22, 0.09, 0.15],
                       [0.50, 0.06, 0.06, 0.23, 0.15],
                       [0.50, 0.22, 0.04, 0.09, 0.15],
                       [0.50, 0.31, 0.02, 0.02, 0.15]])
TICKET_MIX = np.array([0.55, 0.33, 0.12])    # filler, category words, priority words

# ------------------------------------------------------------------------------ the texts


def _zipf(size: int) -> np.ndarray:
    """Word weights within a pool: a few words common, most rarer (as in real text)."""
    w = 1.0 / np.arange(1, size + 1) ** 0.9
    return w / w.sum()


def _draw_from_pools(rng: np.random.Generator, pool_of_word: np.ndarray, pools: list[list[str]]) -> np.ndarray:
    """One word per entry of ``pool_of_word`` (an index into ``pools``), Zipf-weighted inside its pool."""
    words = np.empty(pool_of_word.size, dtype=object)
    for p, pool in enumerate(pools):
        at = np.flatnonzero(pool_of_word == p)
        if at.size:
            words[at] = np.asarray(pool, dtype=object)[rng.choice(len(pool), size=at.size, p=_zipf(len(pool)))]
    return words


def _row_pools(rng: np.random.Generator, mix: np.ndarray, row_of_word: np.ndarray) -> np.ndarray:
    """Each word's mixture component, drawn from its row's ``mix`` (n_rows x k) without a Python loop."""
    cumulative = np.cumsum(mix, axis=1)[row_of_word]
    u = rng.random(row_of_word.size)[:, None] * cumulative[:, -1:]
    return (u >= cumulative).sum(axis=1)


def _join_sentences(rng: np.random.Generator, words: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Rows of ``lengths`` consecutive words as sentences: a period after about one word in nine
    (always after the row's last), a capital after each period."""
    n_words = words.size
    starts = np.cumsum(lengths) - lengths
    last = np.zeros(n_words, dtype=bool)
    last[starts + lengths - 1] = True
    stop = last | (rng.random(n_words) < 1 / 9)
    first = np.zeros(n_words, dtype=bool)
    first[starts] = True
    first[1:] |= stop[:-1] & ~last[:-1]
    text = pd.Series(words)
    text = text.where(~first, text.str.capitalize()) + np.where(stop, ".", "") + np.where(last, "", " ")
    text = text.to_numpy(dtype=object)
    # one long string cut at the row boundaries: no per-row join
    flat = "".join(text.tolist())
    ends = np.cumsum([len(t) for t in text.tolist()])
    cut = np.concatenate([[0], ends[starts + lengths - 1]])
    return np.array([flat[a:b] for a, b in zip(cut[:-1].tolist(), cut[1:].tolist())], dtype=object)


def _lengths(rng: np.random.Generator, n: int) -> np.ndarray:
    """Words per body: 5 to 45, most around 12-20, a long tail."""
    return np.clip(np.round(rng.gamma(3.0, 5.5, n)), 5, 45).astype(int)


def review_bodies(rng: np.random.Generator, rating: np.ndarray, category: np.ndarray) -> np.ndarray:
    """``rating`` 1-5 sets the sentiment mix; ``category`` (the product's) the topic words."""
    lengths = _lengths(rng, rating.size)
    row = np.repeat(np.arange(rating.size), lengths)
    component = _row_pools(rng, RATING_MIX[rating - 1], row)
    topics = sorted(PRODUCT_WORDS)
    topic = np.searchsorted(np.array(topics), category)
    pool = np.where(component == 4, 4 + topic[row], component)
    pools = [FILLER, POSITIVE, NEGATIVE, NEUTRAL] + [PRODUCT_WORDS[t] for t in topics]
    return _join_sentences(rng, _draw_from_pools(rng, pool, pools), lengths)


def ticket_bodies(rng: np.random.Generator, category: np.ndarray, priority: np.ndarray) -> np.ndarray:
    lengths = _lengths(rng, category.size)
    row = np.repeat(np.arange(category.size), lengths)
    component = _row_pools(rng, np.tile(TICKET_MIX, (category.size, 1)), row)
    cats, levels = list(TICKET_WORDS), list(PRIORITY_WORDS)
    cat = pd.Categorical(category, categories=cats).codes[row]
    level = pd.Categorical(priority, categories=levels).codes[row]
    pool = np.select([component == 0, component == 1], [0, 1 + cat], 1 + len(cats) + level)
    pools = [TICKET_FILLER] + [TICKET_WORDS[c] for c in cats] + [PRIORITY_WORDS[p] for p in levels]
    return _join_sentences(rng, _draw_from_pools(rng, pool, pools), lengths)


# ------------------------------------------------------------------------------ the tables


def _dates(rng: np.random.Generator, n: int, start: str, days: int) -> np.ndarray:
    return np.datetime64(start) + rng.integers(0, days, n).astype("timedelta64[D]")


def _ids(n: int) -> np.ndarray:
    return np.arange(1, n + 1)


def make_reviews(rng: np.random.Generator, scale: float) -> dict[str, pd.DataFrame]:
    n = max(5, round(400 * scale))
    category = rng.choice(np.array(sorted(PRODUCT_WORDS)), size=n)
    base_price = pd.Series({"books": 15.0, "electronics": 80.0, "garden": 30.0, "kitchen": 35.0, "toys": 25.0})
    quality = np.round(rng.beta(2.5, 1.6, n), 3)
    products = pd.DataFrame({"id": _ids(n), "category": category,
                             "price": np.round(base_price[category].to_numpy() * rng.lognormal(0, 0.4, n), 2),
                             "quality": quality, "launched": _dates(rng, n, "2018-01-01", 5 * 365)})
    # better products get more and better reviews
    owner = np.repeat(np.arange(n), rng.poisson(4 + 8 * quality))
    m = owner.size
    rating = np.clip(np.round(1 + 4 * quality[owner] + rng.normal(0, 0.8, m)), 1, 5).astype(int)
    reviews = pd.DataFrame({
        "id": _ids(m), "product_id": owner + 1, "rating": rating,
        "helpful_votes": rng.poisson(np.where(np.isin(rating, [1, 5]), 4.0, 1.5)),
        "created": _dates(rng, m, "2023-01-01", 730),
        "body": review_bodies(rng, rating, category[owner]),
    })
    return {"products": products, "reviews": reviews}


def make_tickets(rng: np.random.Generator, scale: float) -> dict[str, pd.DataFrame]:
    n = max(5, round(1000 * scale))
    plans = np.array(["free", "pro", "enterprise"])
    plan = rng.choice(plans, size=n, p=[0.5, 0.35, 0.15])
    seats = np.where(plan == "enterprise", 20 + rng.poisson(60, n), np.where(plan == "pro", 1 + rng.poisson(4, n), 1))
    customers = pd.DataFrame({"id": _ids(n), "plan": plan,
                              "country": rng.choice(np.array(["US", "DE", "FR", "GB", "BR", "IN"]), size=n,
                                                    p=[0.35, 0.15, 0.12, 0.13, 0.1, 0.15]),
                              "seats": seats, "signup": _dates(rng, n, "2020-01-01", 4 * 365)})
    owner = np.repeat(np.arange(n), rng.poisson(np.select([plan == "free", plan == "pro"], [2.0, 3.5], 6.0)))
    m = owner.size
    # the plan sets the category mix: free users lose passwords, enterprises hit bugs
    cats = np.array(list(TICKET_WORDS))
    mix = {"free": [0.15, 0.25, 0.2, 0.4], "pro": [0.35, 0.25, 0.25, 0.15], "enterprise": [0.2, 0.1, 0.55, 0.15]}
    u = rng.random(m)
    cum = np.cumsum(np.array([mix[p] for p in plans]), axis=1)[np.searchsorted(plans, plan[owner], sorter=np.argsort(plans))]
    category = cats[(u[:, None] >= cum).sum(axis=1)]
    urgency = rng.normal(0, 1, m) + 0.9 * (category == "technical") + 0.8 * (plan[owner] == "enterprise")
    priority = np.array(list(PRIORITY_WORDS))[np.digitize(urgency, [-0.8, 0.5, 1.4])]
    hours = np.round(rng.lognormal(np.log(48) - 0.8 * np.digitize(urgency, [-0.8, 0.5, 1.4]), 0.6), 2) + 0.1
    opened = _dates(rng, m, "2024-01-01", 365).astype("datetime64[s]") + rng.integers(0, 86400, m).astype("timedelta64[s]")
    tickets = pd.DataFrame({"id": _ids(m), "customer_id": owner + 1, "category": category, "priority": priority,
                            "opened_at": opened, "hours_to_resolve": hours,
                            "body": ticket_bodies(rng, category, priority)})
    return {"customers": customers, "tickets": tickets}


def build(path: Path, *, scale: float = 1.0, seed: int = 0) -> Path:
    """Write the text fixture to a new SQLite file at ``path`` (replaced if present)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    rng = np.random.default_rng([seed, 7])
    frames = {**make_reviews(rng, scale), **make_tickets(rng, scale)}
    con = sqlite3.connect(path)
    try:
        con.executescript(DDL)
        dropped = insert_frames(con, frames, schema(con))
        con.commit()
        if any(dropped.values()):
            raise AssertionError(f"text fixture breaks a constraint: rows dropped {dropped}")
    finally:
        con.close()
    return path


# ---------------------------------------------------------------------------- the measures

_WORD = re.compile(r"[a-z]+")


def words_of(bodies: pd.Series) -> pd.Series:
    """Every lower-case word of every body, one per entry (the index repeats the row's)."""
    return bodies.fillna("").str.lower().str.findall(_WORD).explode().dropna()


def vocabulary_scores(real: pd.Series, synth: pd.Series, top: int = 200) -> dict[str, float]:
    real_words, synth_words = words_of(real), words_of(synth)
    vocabulary = pd.Index(real_words.unique())
    top_words = real_words.value_counts().index[:top]
    return {"in_vocab": float(synth_words.isin(vocabulary).mean()) if len(synth_words) else float("nan"),
            "top200_kept": float(pd.Index(top_words).isin(synth_words.unique()).mean()),
            "copied": float(synth.isin(set(real.dropna())).mean()) if len(synth) else float("nan")}


def _labels(table: str, frame: pd.DataFrame) -> pd.Series:
    """What the body should reveal: the rating class (1-2, 3, 4-5) or the ticket category."""
    if table == "reviews":
        rating = pd.to_numeric(frame["rating"], errors="coerce")
        return pd.Series(np.select([rating <= 2, rating == 3], ["low", "mid"], "high"), index=frame.index)
    return frame["category"].astype(str)


def relation_accuracy(table: str, real: pd.DataFrame, synth: pd.DataFrame, seed: int = 0) -> dict[str, float]:
    """A word-count classifier trained on half the real rows: its accuracy on the other half (the
    ceiling) and on the synthetic rows (a copy whose bodies ignore their row scores near chance)."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import MultinomialNB

    y_real, y_synth = _labels(table, real), _labels(table, synth)
    train = np.random.default_rng(seed).random(len(real)) < 0.5
    vectorizer = CountVectorizer(token_pattern=r"[a-z]+", lowercase=True)
    x = vectorizer.fit_transform(real["body"].fillna("")[train])
    model = MultinomialNB().fit(x, y_real[train])

    def accuracy(bodies: pd.Series, labels: pd.Series) -> float:
        return float((model.predict(vectorizer.transform(bodies.fillna(""))) == labels.to_numpy()).mean())

    return {"acc_real": accuracy(real["body"][~train], y_real[~train]), "acc_synth": accuracy(synth["body"], y_synth),
            "chance": float(y_synth.value_counts(normalize=True).max()) if len(y_synth) else float("nan")}


def positive_gap(frame: pd.DataFrame) -> float:
    """Share of positive words in rating-5 bodies minus that in rating-1 bodies."""
    words = words_of(frame["body"])
    positive = words.isin(POSITIVE).groupby(level=0).mean()
    rating = pd.to_numeric(frame["rating"], errors="coerce").reindex(positive.index)
    return float(positive[rating == 5].mean() - positive[rating == 1].mean())


def read(path: Path | str, table: str) -> pd.DataFrame:
    con = connect_ro(path)
    try:
        return pd.read_sql_query(f'SELECT * FROM "{table}"', con)
    finally:
        con.close()


def text_measures(real_path: Path | str, synth_path: Path | str) -> dict[str, dict[str, float]]:
    """Per text table: vocabulary kept, body-to-row relation kept (see the module's docstring)."""
    out = {}
    for table in TEXT_TABLES:
        real, synth = read(real_path, table), read(synth_path, table)
        scores = {**vocabulary_scores(real["body"], synth["body"]), **relation_accuracy(table, real, synth)}
        if table == "reviews":
            scores.update(pos_gap_real=positive_gap(real), pos_gap_synth=positive_gap(synth))
        out[table] = scores
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out/families/text.sqlite")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    path = build(Path(args.out), scale=args.scale, seed=args.seed)
    con = sqlite3.connect(path)
    print(", ".join(f"{t} {con.execute(f'SELECT COUNT(*) FROM {t}').fetchone()[0]:,}" for t in TABLES))
    for table in TEXT_TABLES:
        print(table, con.execute(f"SELECT body FROM {table} LIMIT 2").fetchall())
    con.close()
    for table, scores in text_measures(path, path).items():
        print(table, {k: round(v, 3) for k, v in scores.items()})


if __name__ == "__main__":
    main()
