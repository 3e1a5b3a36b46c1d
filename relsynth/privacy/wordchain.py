"""A k-safe word chain of a free-text column: its own common words, in their usual order.

Learning splits each value on whitespace (punctuation stays on its word, so ``wrap,`` and
``please.`` keep the column's style) and keeps

* a word only when at least ``k`` distinct rows use it and it never looked personal: no ``@``,
  no run of 5+ digits, never inside an e-mail / phone / id / card / IP match
  (:data:`relsynth.privacy.scrub.PATTERNS`) or a person name / street address
  (:func:`relsynth.privacy.entities.find`) in any sampled row;
* a word pair (START -> first word, word -> word, last word -> END) only when at least ``k``
  distinct rows hold it; the others are dropped and the rest renormalized.

Digits are kept as their count only (``M2`` and ``M7`` are both ``M9``; ``number 12`` is
``number 99``) and drawn anew at generation. A word that is not kept leaves a *hole*: only
its shape (upper-case, lower-case or a number, and its trailing punctuation, ``A.``), which is
filled with a Faker word at generation; so ``Apex Tent L11`` with a rare ``Tent`` still
teaches ``brand, some word, code``.

The chain is plain JSON: ``vocab`` (the kept words), ``holes`` (the shapes) and ``pairs``
``[[from, to, count]]`` over their ids (words first, then holes; ``-1`` is START as a source
and END as a target). Generation walks every row at once, one word position per step.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np
import pandas as pd

from relsynth.privacy import entities

DEFAULT_K = 5
MAX_ROWS = 20_000          # rows learned from (evenly spaced over the column)
MAX_VOCAB = 2_000          # words kept, the most widely used first
MAX_STEPS = 400            # word positions generated at most
CANDIDATES = 3             # walks per generated text, to choose one of the wanted word count
EDGE = -1                  # START as a pair's source, END as its target
_DIGIT = re.compile(r"\d")
_TOKEN = re.compile(r"\S+")
_PERSONAL_TOKEN = r"@|\d{5,}"
_SENTENCE_END = (".", "!", "?")
_PUNCT = ".,;:!?\"'()-"
WEAK_PASSES = 3            # rounds of turning words reached by rare steps into holes
_MARK = "\ue000"           # hole, START and END markers while learning (removed from real words)
_START, _END = _MARK + "^", _MARK + "$"


# ====================================================================== learning

def learn(strs: Sequence[str], k: int = DEFAULT_K) -> dict | None:
    """The chain of ``strs`` keeping only what ``k`` rows share; None when no word is left."""
    k = max(int(k), 1)
    rows = _spread(list(strs), MAX_ROWS)
    tokens = [s.split() for s in rows]
    counts = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
    if not counts.sum():
        return None
    raw = pd.Series([t for row in tokens for t in row], dtype=object)
    row_of = np.repeat(np.arange(len(rows)), counts)
    personal = raw.isin(_personal_tokens(rows)).to_numpy() | raw.str.contains(_PERSONAL_TOKEN).to_numpy()
    folded = raw.str.replace(_MARK, "", regex=False).str.replace(_DIGIT, "9", regex=True)
    vocab = _vocabulary(folded[~personal].to_numpy(), row_of[~personal], k)
    if not vocab:
        return None
    holes = _hole_shapes(raw)
    tok = np.where(folded.isin(vocab).to_numpy() & ~personal, folded.to_numpy(dtype=object), holes)
    steps = _Steps(tok, row_of, counts)
    for _ in range(WEAK_PASSES):   # a rare step turns one of its words into a hole: the step keeps its shape
        weak = _weak_ends(tok, row_of, counts, steps.support() < k)
        if not weak.any():
            break
        tok[weak] = holes[weak]
        steps = _Steps(tok, row_of, counts)
    return _chain(steps, vocab, k)


def _weak_ends(tok: np.ndarray, row_of: np.ndarray, counts: np.ndarray, weak: np.ndarray) -> np.ndarray:
    """Per token, whether to make it a hole: of each rare step, the word fewer rows use (a
    word next to START, END or a hole is the one)."""
    n = len(tok)
    hole = np.array([t.startswith(_MARK) for t in tok], dtype=bool)
    used = pd.DataFrame({"row": row_of, "tok": tok}).groupby("tok")["row"].transform("nunique").to_numpy()
    first = np.zeros(n, dtype=bool)
    first[(np.cumsum(counts) - counts)[counts > 0]] = True
    prev = np.roll(np.arange(n), 1)
    into = weak[:n]                          # step from the previous token (or START) to this one
    take_prev = into & ~first & ~hole[prev] & (hole | (used[prev] < used))
    out = into & ~take_prev
    out[prev[take_prev]] = True
    out[(np.cumsum(counts) - 1)[counts > 0][weak[n:]]] = True    # a rare last step before END
    return out & ~hole


def _spread(strs: list[str], limit: int) -> list[str]:
    """At most ``limit`` of ``strs``, evenly spaced (the same rows on every run)."""
    if len(strs) <= limit:
        return strs
    return [strs[i] for i in np.linspace(0, len(strs) - 1, limit).astype(np.int64)]


def _personal_tokens(rows: list[str]) -> set[str]:
    """Raw tokens that were ever part of a name, an address or a pattern match in ``rows``."""
    from relsynth.privacy.scrub import PATTERNS   # here: scrub imports fakes, which imports this
    spans = entities.find(rows)
    found: set[str] = set()
    for text, row_spans in zip(rows, spans):
        row_spans = list(row_spans) + [m.span() + (kind,) for kind, p in PATTERNS for m in p.finditer(text)]
        for a, b, _kind in row_spans:
            found.update(m.group() for m in _TOKEN.finditer(text) if m.start() < b and m.end() > a)
    return found


def _vocabulary(tokens: np.ndarray, row_of: np.ndarray, k: int) -> list[str]:
    """Tokens used by >= k distinct rows, the most widely used first (ties by the token)."""
    if not len(tokens):
        return []
    support = pd.DataFrame({"row": row_of, "token": tokens}).drop_duplicates()["token"].value_counts()
    support = support[support >= k]
    order = sorted(support.items(), key=lambda item: (-item[1], item[0]))
    return [token for token, _ in order[:MAX_VOCAB]]


def _hole_shapes(raw: pd.Series) -> np.ndarray:
    """What a word too rare (or too personal) to keep leaves behind: whether it starts upper-case
    (``A``), with a digit (``9``) or otherwise (``a``), and its trailing punctuation."""
    first = raw.str[:1]
    case = np.where(first.str.isupper(), "A", np.where(first.str.isdigit(), "9", "a"))
    tail = raw.str.extract(r"([^\w\s]{0,2})$", expand=False).fillna("")
    return (_MARK + pd.Series(case, index=raw.index) + tail).to_numpy(dtype=object)


class _Steps:
    """Every step of every text: (row, from, to), the word steps first (in token order), then
    each text's step to END; START and END are marker strings."""

    def __init__(self, tok: np.ndarray, row_of: np.ndarray, counts: np.ndarray):
        firsts = (np.cumsum(counts) - counts)[counts > 0]
        lasts = np.cumsum(counts)[counts > 0] - 1
        before = np.roll(tok, 1)
        before[firsts] = _START
        self.frame = pd.DataFrame({"row": np.concatenate([row_of, row_of[lasts]]),
                                   "src": np.concatenate([before, tok[lasts]]),
                                   "dst": np.concatenate([tok, np.full(len(lasts), _END, dtype=object)])})

    def support(self) -> np.ndarray:
        """Per step: how many distinct rows take the same step."""
        return self.frame.groupby(["src", "dst"])["row"].transform("nunique").to_numpy()


def _chain(steps: _Steps, vocab: list[str], k: int) -> dict | None:
    """The steps >= k distinct rows take, as counts over word and hole ids; the rest dropped."""
    frame = steps.frame[steps.support() >= k]
    if not (frame["src"] == _START).any():
        return None                         # no first word k rows share
    seen = set(frame["src"]) | set(frame["dst"])
    vocab = [w for w in vocab if w in seen]
    holes = sorted(t for t in seen if t.startswith(_MARK) and t not in (_START, _END))
    ids = {t: i for i, t in enumerate(vocab + holes)} | {_START: EDGE, _END: EDGE}
    uses = frame.groupby(["src", "dst"]).size()
    return {"vocab": vocab, "holes": [h[len(_MARK):] for h in holes],
            "pairs": [[ids[a], ids[b], int(c)] for (a, b), c in uses.items()]}


# ====================================================================== generation

def render(chain: dict, ids: np.ndarray, plain: np.ndarray, capitalized: np.ndarray,
           rng: np.random.Generator) -> np.ndarray:
    """The words of ``ids`` (from :func:`walk`); a hole becomes a word of the ``plain`` pool (or
    its ``capitalized`` twin, or a number) with the hole's trailing punctuation."""
    vocab = np.empty(len(chain["vocab"]), dtype=object)
    vocab[:] = chain["vocab"]
    # a hole stands for a word the column rarely uses: never fill it with one it often uses
    common = {w.casefold().strip(_PUNCT) for w in chain["vocab"]}
    other = np.array([w.casefold() not in common for w in plain], dtype=bool)
    if other.any():
        plain, capitalized = plain[other], capitalized[other]
    out = np.empty(len(ids), dtype=object)
    known = ids < len(vocab)
    out[known] = vocab[ids[known]]
    for h, shape in enumerate(chain.get("holes") or []):
        idx = np.flatnonzero(ids == len(vocab) + h)
        if idx.size:
            out[idx] = _fill_hole(shape, idx.size, plain, capitalized, rng)
    return out


def _fill_hole(shape: str, n: int, plain: np.ndarray, capitalized: np.ndarray,
               rng: np.random.Generator) -> np.ndarray:
    if shape[0] == "9":
        head = rng.integers(1, 1000, size=n).astype(str).astype(object)
    else:
        pool = capitalized if shape[0] == "A" else plain
        head = pool[rng.integers(len(pool), size=n)]
    return head + shape[1:]


def walk(chain: dict, targets: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One text per entry of ``targets`` (word counts drawn from the real ones): the word ids of
    all texts in row order, and each text's word count.

    A first-order chain stops at its own pace, which matches the real word counts only when
    the text is templated; so several walks are made per text and each text takes a walk of
    its target's count (or the nearest count walked)."""
    targets = np.asarray(targets, dtype=np.int64)
    # one step more than wanted: a walk the cap cut short is only taken when nothing else fits
    steps = max(1, min(int(targets.max(initial=1)), MAX_STEPS)) + 1
    ids, counts = _walks(_Table(chain), CANDIDATES * len(targets), steps, rng)
    chosen = _by_count(counts, targets, rng)
    starts = np.cumsum(counts) - counts
    picked = counts[chosen]
    within = np.arange(int(picked.sum())) - np.repeat(np.cumsum(picked) - picked, picked)
    return ids[np.repeat(starts[chosen], picked) + within], picked


def _walks(table: "_Table", n: int, steps: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` walks from START, all rows one word per step, until END or ``steps`` words."""
    state = np.full(n, table.start)
    alive = np.arange(n)
    rows, ids = [], []
    for _ in range(steps):
        if not alive.size:
            break
        nxt = table.draw(state[alive], rng)
        going = nxt != table.end
        alive, nxt = alive[going], nxt[going]
        rows.append(alive)
        ids.append(nxt)
        state[alive] = nxt
    counts = np.zeros(n, dtype=np.int64)
    for alive in rows:       # the rows still walking at each step: a text's count is how often it appears
        counts[alive] += 1
    out = np.empty(int(counts.sum()), dtype=np.int64)
    starts = np.cumsum(counts) - counts
    for step, (alive, nxt) in enumerate(zip(rows, ids)):
        out[starts[alive] + step] = nxt
    return out, counts


def _by_count(counts: np.ndarray, targets: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per target, a random walk among those of the target's word count (else the nearest count)."""
    order = np.argsort(counts, kind="stable")
    walked, first, size = np.unique(counts[order], return_index=True, return_counts=True)
    above = np.clip(np.searchsorted(walked, targets), 0, len(walked) - 1)
    below = np.clip(above - 1, 0, len(walked) - 1)
    nearest = np.where(np.abs(walked[below] - targets) <= np.abs(walked[above] - targets), below, above)
    return order[first[nearest] + np.floor(rng.random(len(targets)) * size[nearest]).astype(np.int64)]


def ends_sentence(chain: dict) -> np.ndarray:
    """Per word id (holes after the words): whether it closes a sentence (``please.``)."""
    return np.array([w.endswith(_SENTENCE_END) for w in chain["vocab"] + (chain.get("holes") or [])], dtype=bool)


def fill_digits(text: str, rng: np.random.Generator) -> str:
    """Every digit drawn anew (a number of two or more digits never starts with 0)."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).copy()
    digit = (codes >= 48) & (codes <= 57)
    if not digit.any():
        return text
    follows = np.concatenate([[False], digit[:-1]])
    precedes = np.concatenate([digit[1:], [False]])
    leading = digit & ~follows & precedes
    codes[digit] = 48 + rng.integers(0, 10, size=int(digit.sum()))
    codes[leading] = 48 + rng.integers(1, 10, size=int(leading.sum()))
    return codes.tobytes().decode("utf-32-le")


class _Table:
    """The chain as one flat cumulative array: states are word ids (holes after the words),
    then START; targets are word ids, then END. A word with no kept pair out of it ends the text."""

    def __init__(self, chain: dict):
        size = len(chain["vocab"]) + len(chain.get("holes") or [])
        self.start = self.end = size
        pairs = np.asarray(chain["pairs"], dtype=np.int64).reshape(-1, 3)
        src = np.where(pairs[:, 0] == EDGE, self.start, pairs[:, 0])
        order = np.argsort(src, kind="stable")
        self.target = np.where(pairs[:, 1] == EDGE, self.end, pairs[:, 1])[order]
        self.cum = np.cumsum(pairs[order, 2])
        self.total = np.bincount(src, weights=pairs[:, 2], minlength=size + 1).astype(np.int64)
        self.before = np.cumsum(self.total) - self.total

    def draw(self, states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Each state's next target, by the pairs' counts (integers: no rounding at the edges)."""
        total = self.total[states]
        point = self.before[states] + np.floor(rng.random(states.size) * total).astype(np.int64)
        picked = np.minimum(np.searchsorted(self.cum, point, side="right"), len(self.cum) - 1)
        return np.where(total > 0, self.target[picked], self.end)
