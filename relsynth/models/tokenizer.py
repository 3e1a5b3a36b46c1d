"""A text tokenizer learned from the column itself: frequent words, and characters for the rest.

Text is cut into *pieces*: a word with its leading space (" great"), a run of punctuation, or a
run of other white space. Pieces seen at least ``min_count`` times (up to ``max_words`` of them)
are tokens; any other piece is spelled with character tokens, so a rare word (a name, a typo)
never enters the vocabulary as a whole, yet new words can still be written. Decoding is plain
concatenation, so encoding then decoding gives the text back (characters outside the kept
alphabet are dropped).

Nothing is downloaded: the vocabulary is a list of strings, saved in the model's JSON meta.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

_PIECE = re.compile(r" ?\w+| ?[^\w\s]+|\s+")


def pieces(text: str) -> list[str]:
    """The text cut into words (with their leading space), punctuation runs and white space."""
    return _PIECE.findall(text)


class TextTokenizer:
    """Word tokens with a character fallback; ids index :attr:`vocabulary`."""

    def __init__(self, words: Sequence[str], chars: Sequence[str]) -> None:
        self.words = list(words)
        self.chars = list(chars)
        self.vocabulary = self.words + self.chars
        self._word_ids = {w: i for i, w in enumerate(self.words)}
        self._char_ids = {c: len(self.words) + i for i, c in enumerate(self.chars)}
        self._strings = np.array(self.vocabulary + [""], dtype=object)  # the last entry spells padding

    @property
    def size(self) -> int:
        return len(self.vocabulary)

    @classmethod
    def fit(cls, texts: Iterable[str], *, max_words: int = 2000, min_count: int = 3,
            max_chars: int = 256) -> "TextTokenizer":
        """Learn the frequent pieces and the alphabet of ``texts``."""
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(pieces(text))
        words = [w for w, c in sorted(counts.items(), key=lambda wc: (-wc[1], wc[0]))
                 if c >= min_count][:max_words]
        letters: Counter[str] = Counter()
        for piece, count in counts.items():
            for char in piece:
                letters[char] += count
        chars = [c for c, _ in sorted(letters.items(), key=lambda cc: (-cc[1], cc[0]))][:max_chars]
        return cls(words, chars)

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        for piece in pieces(text):
            word = self._word_ids.get(piece)
            if word is not None:
                ids.append(word)
            else:  # a rare piece is spelled out; unknown characters are dropped
                ids.extend(self._char_ids[c] for c in piece if c in self._char_ids)
        return ids

    def encode_many(self, texts: Iterable[str], *, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """Ids of each text cut to ``limit`` tokens, as an (n, limit) matrix padded with -1, and the lengths."""
        encoded = [self.encode(text)[:limit] for text in texts]
        out = np.full((len(encoded), max(limit, 0)), -1, dtype=np.int64)
        lengths = np.fromiter((len(ids) for ids in encoded), dtype=np.int64, count=len(encoded))
        if encoded and limit > 0:
            flat = np.fromiter((i for ids in encoded for i in ids), dtype=np.int64, count=int(lengths.sum()))
            rows = np.repeat(np.arange(len(encoded)), lengths)
            columns = np.arange(flat.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            out[rows, columns] = flat
        return out, lengths

    def decode_many(self, ids: np.ndarray) -> list[str]:
        """Texts from an (n, w) id matrix; negative ids are padding."""
        ids = np.asarray(ids, dtype=np.int64)
        spelled = self._strings[np.where((ids >= 0) & (ids < self.size), ids, self.size)]
        return ["".join(row) for row in spelled]

    def to_meta(self) -> dict:
        return {"words": self.words, "chars": self.chars}

    @classmethod
    def from_meta(cls, meta: Mapping) -> "TextTokenizer":
        return cls(meta["words"], meta["chars"])


__all__ = ["TextTokenizer", "pieces"]
