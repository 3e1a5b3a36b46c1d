"""Free text from the column's own word chain: its common words in their usual order, and
nothing fewer than k rows wrote (no rare word, no rare word pair, nothing personal)."""

import json
import re

import numpy as np
import pandas as pd

from relsynth.privacy import wordchain
from relsynth.privacy.fakes import generate, learn_format
from relsynth.schema.kinds import Kind

TEMPLATES = ["Gift wrap, please.", "Call before delivery.", "Please leave the parcel at the back door.",
             "Leave with the neighbour at number 12 if I am out.", "Fragile - handle with care.",
             "Office delivery, reception desk on the ground floor.", "Deliver after 5 pm.",
             "Second attempt, last one was returned.", "The doorbell is broken, please knock."]
PLANTED = ["Zanzibarqx", "jane.doe@corp.com", "Margaret", "Thornbury"]


def notes(n=2000, seed=0):
    """Shop-like notes: one or two templates, some with a rare word or personal data planted."""
    rng = np.random.default_rng(seed)
    first = rng.choice(TEMPLATES, n)
    second = np.where(rng.random(n) < 0.3, rng.choice(TEMPLATES, n), "")
    out = [f"{a} {b}".strip() for a, b in zip(first, second)]
    for i in range(3):
        out[i] = f"Zanzibarqx {out[i]}"                      # a word only 3 rows use
    for i in range(3, 13):
        out[i] = f"Ask for Margaret Thornbury at the desk. Mail jane.doe@corp.com {out[i]}"  # 10 rows
    return pd.Series(out, dtype=object)


def words_of(values):
    return [w for v in values for w in v.split()]


def fold(word):
    return re.sub(r"\d", "9", word)


def support(values, unit):
    """How many distinct rows hold each unit (a word, or a pair of neighbouring words)."""
    counts = {}
    for v in values:
        for u in set(unit(["^"] + [fold(w) for w in v.split()] + ["$"])):
            counts[u] = counts.get(u, 0) + 1
    return counts


def single(tokens):
    return tokens[1:-1]


def pairs(tokens):
    return list(zip(tokens[:-1], tokens[1:]))


def test_rare_and_personal_words_are_neither_in_the_format_nor_in_the_output():
    src = notes()
    fmt = learn_format(Kind.TEXT, src, k=5)
    stored = json.dumps(fmt)
    assert fmt["chain"]["vocab"] and not any(p in stored for p in PLANTED)
    out = generate(fmt, 20_000, np.random.default_rng(1))
    assert not any(p in v for v in out for p in PLANTED)
    assert not any("@" in w for w in words_of(out))


def test_every_word_and_word_pair_of_the_output_was_used_by_k_rows_or_never():
    src = notes()
    fmt = learn_format(Kind.TEXT, src, k=5)
    out = generate(fmt, 20_000, np.random.default_rng(2))
    real_words, real_pairs = support(src, single), support(src, pairs)
    out_words, out_pairs = support(out, single), support(out, pairs)
    assert all(real_words.get(w, 0) == 0 or real_words[w] >= 5 for w in out_words)
    assert all(real_pairs.get(p, 0) == 0 or real_pairs[p] >= 5 for p in out_pairs)
    stored = {fold(w) for w in fmt["chain"]["vocab"]}
    assert all(real_words.get(w, 0) >= 5 for w in stored)


def test_common_notes_may_come_out_again_but_long_rare_ones_barely():
    src = notes()
    out = generate(learn_format(Kind.TEXT, src, k=5), 20_000, np.random.default_rng(3))
    shared = src.value_counts()
    rare = set(shared[shared < 5].index)
    assert len(rare) > 20
    # two templates joined in an order fewer than 5 rows wrote: the walk can join them too (the
    # table then draws such a note again); it must stay a small share
    assert out.isin(rare).mean() < 0.05
    assert out.isin(set(shared[shared >= 5].index)).mean() > 0.3


def test_the_words_and_their_counts_follow_the_real_column():
    src = notes()
    out = generate(learn_format(Kind.TEXT, src, k=5), 20_000, np.random.default_rng(4))
    real = pd.Series(words_of(src)).value_counts(normalize=True)
    fake = pd.Series(words_of(out)).value_counts(normalize=True)
    tvd = 0.5 * (real - fake.reindex(real.index, fill_value=0)).abs().sum() \
        + 0.5 * fake.drop(real.index, errors="ignore").sum()
    assert 1 - tvd >= 0.8
    q = [0.1, 0.25, 0.5, 0.75, 0.9]
    real_counts = src.str.split().str.len().quantile(q).to_numpy()
    fake_counts = out.str.split().str.len().quantile(q).to_numpy()
    assert np.abs(real_counts - fake_counts).max() <= 2


def test_numbers_keep_their_length_and_are_drawn_anew():
    out = generate(learn_format(Kind.TEXT, notes(), k=5), 5000, np.random.default_rng(5))
    numbers = out.str.extract(r"at number (\d+) ", expand=False).dropna()
    assert len(numbers) > 100 and numbers.str.len().eq(2).all() and numbers.nunique() > 30


def test_rare_words_leave_their_shape_and_products_keep_brand_and_code():
    rng = np.random.default_rng(6)
    brands = ["Apex", "Vista", "Orbit", "Lumen"]
    kinds = [f"Qu{a}{b}lander" for a in "aeiou" for b in "bcdfghjklmnpqrstvwxz"]   # 100: each in ~3 rows
    names = pd.Series([f"{rng.choice(brands)} {rng.choice(kinds)} {rng.choice(['M', 'X'])}{rng.integers(1, 20)}"
                       for _ in range(300)], dtype=object)
    fmt = learn_format(Kind.TEXT, names, k=5)
    assert not any(k in json.dumps(fmt) for k in kinds)
    out = generate(fmt, 2000, np.random.default_rng(7))
    assert out.str.fullmatch(r"(Apex|Vista|Orbit|Lumen) [A-Z][a-z]+ [MX]\d{1,2}").mean() > 0.9


def test_k_one_keeps_every_word_and_too_few_rows_fall_back_to_faker_words():
    src = notes(200)
    assert "Zanzibarqx" in learn_format(Kind.TEXT, src, k=1)["chain"]["vocab"]
    assert "chain" not in learn_format(Kind.TEXT, src[:4], k=5)
    assert wordchain.learn(["one two three"] * 4, k=5) is None


def test_unique_and_clipped_chain_text():
    fmt = learn_format(Kind.TEXT, notes(), k=5, max_length=20)
    out = generate(fmt, 5000, np.random.default_rng(8), unique=True)
    assert out.is_unique and out.str.len().max() <= 20


def test_the_same_seed_gives_the_same_text():
    fmt = learn_format(Kind.TEXT, notes(), k=5)
    a = generate(fmt, 1000, np.random.default_rng(9))
    b = generate(json.loads(json.dumps(fmt)), 1000, np.random.default_rng(9))
    assert a.equals(b)
