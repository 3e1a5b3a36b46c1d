"""Free text seen through its words: detection features and a column score.

A ``text`` column is free text when most of its real values hold a space (notes, reviews, product
names: ``schema.detect.is_free_text``); codes and ids without spaces are left to their length. Words are counted against a
vocabulary: the ``VOCABULARY`` most frequent words found in at least ``MIN_WORD_ROWS`` rows.

For detection the vocabulary comes from both sides pooled, without the labels. Picked from the
real rows alone it would favour them: among words about as frequent as each other, the 200 kept
are those the real rows happened to use more, so real rows hold more "known" words than a fresh
draw of the same process (AUC 0.58 on a flat vocabulary, ``tests/unit/test_detection.py``). Rare
words are left out for the same reason. The column score compares against the real column's
vocabulary, as category scores compare against the real categories.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize

from relsynth.report.metrics import tvd_codes
from relsynth.report.values import text_length

VOCABULARY = 200           # words the features and the score know
MIN_WORD_ROWS = 5          # a word in fewer real rows is not known (too rare to tell anything)
WORD_DIMENSIONS = 8        # the words present in a row, reduced to this many numbers
TOKEN = r"(?u)\b\w\w+\b"   # scikit-learn's default: words of two or more letters or digits


def present_text(series: pd.Series) -> pd.Series:
    return series.dropna().astype(str)


def _counter() -> CountVectorizer:
    return CountVectorizer(token_pattern=TOKEN, min_df=MIN_WORD_ROWS, max_features=VOCABULARY, dtype=np.float32)


def vocabulary(values: pd.Series) -> pd.Index:
    """The frequent words of these values (empty when no word is frequent)."""
    counter = _counter()
    try:
        counter.fit(present_text(values))
    except ValueError:  # no word in MIN_WORD_ROWS rows (or no word at all)
        return pd.Index([], dtype=object)
    return pd.Index(counter.get_feature_names_out())


def word_counts(values: pd.Series) -> sparse.csr_matrix | None:
    """How often each of the values' frequent words appears in each value (NULL: none); None
    when no word is frequent. Sparse: 50k rows of 200 words stay small."""
    try:
        return _counter().fit_transform(values.fillna("").astype(str)).tocsr()
    except ValueError:
        return None


def word_features(real: pd.Series, synth: pd.Series, name: str) -> pd.DataFrame:
    """Per row of both sides (real first): the length, the number of words, the share of them
    in the pooled vocabulary, and which vocabulary words appear (reduced to ``WORD_DIMENSIONS``
    numbers). NaN for NULL."""
    pooled = pd.concat([real, synth], ignore_index=True)
    present = pooled.notna().to_numpy()
    words = np.where(present, pooled.astype(str).str.count(TOKEN).to_numpy(dtype=float), np.nan)
    out = {f"{name} length": text_length(pooled), f"{name} words": words}
    counts = word_counts(pooled)
    if counts is not None:
        known = np.asarray(counts.sum(axis=1)).ravel()
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"{name} known words"] = np.where(words > 0, known / words, np.nan)
        for i, column in enumerate(_reduced(counts).T):
            out[f"{name} words {i + 1}"] = np.where(present, column, np.nan)
    return pd.DataFrame(out)


def _reduced(counts: sparse.csr_matrix) -> np.ndarray:
    """Which vocabulary words each row holds (presence, rows scaled to unit length so long texts
    do not dominate), projected on the ``WORD_DIMENSIONS`` leading singular vectors: those of
    both sides pooled, unlabelled like the quantile bins of numbers. The vocabulary is small, so
    the eigenvectors of its 200 x 200 co-occurrence matrix give them exactly and at once."""
    presence = normalize((counts > 0).astype(np.float64))
    _values, vectors = np.linalg.eigh((presence.T @ presence).toarray())
    leading = vectors[:, ::-1][:, :WORD_DIMENSIONS]
    return np.asarray(presence @ leading)


def words_of(series: pd.Series) -> pd.Series:
    """Every lower-case word of every value, one per entry."""
    return present_text(series).str.lower().str.findall(TOKEN).explode().dropna().astype(str)


def word_score(real: pd.Series, synth: pd.Series) -> tuple[float, pd.Series, pd.Series]:
    """1 - TVD of the words over the real column's vocabulary (the rest as one "other" word);
    returns it with both sides' words (for the chart)."""
    real_words, synth_words = words_of(real), words_of(synth)
    known = vocabulary(real)
    n = len(known)

    def codes(words: pd.Series) -> np.ndarray:
        found = known.get_indexer(words)
        return np.where(found < 0, n, found)

    return 1.0 - tvd_codes(codes(real_words), codes(synth_words), n + 1), real_words, synth_words
