"""The autoregressive family: a row is written field by field by a small causal transformer.

Every field becomes tokens from its own small vocabulary (local id 0 always means null):

* categoricals and booleans: one token per value; rare values share an *other* token, resolved
  at sampling by a draw from the real tail (value ∝ count);
* numbers, datetimes, dates and times: one token per quantile bin (exact values when a column
  has few distinct ones), refined by the bin's interpolated quantile function, so the values
  inside a bin keep their real spread and skew;
* free text (``Kind.TEXT``): tokens of a tokenizer learned from the column (frequent words,
  characters for the rest, see :mod:`relsynth.models.tokenizer`), ended by an *end* token.

Parent columns (``context``) are tokenized the same way and always come first. The table's
fields follow in a random order for every training row, and each input carries the field (and
the position within the field) of the token it must predict next, so the network learns
``p(any field | any subset of the others)``. That is what makes prompting work: at sampling the
context and the ``fixed`` cells are fed first, then the free fields are generated (numbers and
categories first, texts last so they follow the rest of the row), all rows in parallel, one
token per step, with a key/value cache.

Training runs at most about ``target_steps`` optimizer steps; a tenth of the rows (when that is at
least 50) is held out; once their loss has not fallen by 0.2 % for a few evaluations and an
eighth of the planned steps, the learning rate is cooled down over another eighth and training
stops, keeping the weights of the lowest held-out loss.

Torch is imported only when a model is fitted or loaded; the weights are stored as float32
numpy arrays, the vocabularies and bins as JSON meta, so nothing is pickled.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from relsynth.errors import ModelError
from relsynth.models import encoding, register
from relsynth.models.base import fitting_weights
from relsynth.models.trees import check_kinds
from relsynth.models.tokenizer import TextTokenizer
from relsynth.privacy.rare import off_grain, periods_of, private_codes
from relsynth.schema.kinds import Kind

NULL = 0  # local token of every field: the cell is null
END = 1   # local token of a text field: the text ends here
_CATEGORY_KINDS = frozenset({Kind.CATEGORICAL, Kind.BOOLEAN})
_EXACT_KINDS = frozenset({Kind.FLOAT, Kind.DECIMAL})  # fixed cells written back as given (no rounding)
# Coarse units (encoded: seconds of the day, microseconds) that times and timestamps may all be
# multiples of; refined values are rounded to the coarsest one that fits, so whole minutes stay whole.
_GRAINS = {Kind.TIME: (3600.0, 60.0, 1.0), Kind.DATETIME: (3600e6, 60e6)}


@dataclass(frozen=True)
class AutoregressiveParams:
    """Sizes of the vocabularies and of the network, and how long it trains."""

    max_rows: int = 100_000        # training subsample: bounds fit time on big tables
    max_bins: int = 48             # quantile bins per number (fewer distinct values: one token each)
    rows_per_bin: int = 25         # small columns get fewer bins, so each bin holds real rows
    bin_points: int = 16           # quantile points kept per bin for the refinement
    max_categories: int = 100      # category tokens per column; the rest share the "other" token
    min_count: int = 3             # rarer categories go to "other", rarer words are spelled in characters
    max_words: int = 2000          # word tokens per text column
    max_chars: int = 256           # character tokens per text column
    max_text_tokens: int = 64      # texts are cut to this many tokens (end token included)
    width: int = 64                # transformer width
    heads: int = 4
    layers: int = 2
    dropout: float = 0.1
    batch_size: int = 256          # cap; small tables use smaller batches
    target_steps: int = 2000       # epochs are chosen to reach about this many optimizer steps (the cap)
    min_epochs: int = 2
    max_epochs: int = 40
    validation_share: float = 0.1  # rows held out to decide when to stop (their loss, not trained on)
    min_validation_rows: int = 50  # fewer held-out rows than this: no early stop, every planned step runs
    eval_steps: int = 200          # the held-out loss is taken every epoch, or about this often on big tables
    patience: int = 3              # stop after this many evaluations without a real improvement ...
    patience_share: float = 0.125  # ... spanning at least this share of the planned steps ...
    min_improvement: float = 0.002  # ... a real one lowering the held-out loss by this share
    cooldown_share: float = 0.125  # then this share of the planned steps more, the rate falling to its floor
    learning_rate: float = 1e-2
    text_last_share: float = 0.5   # share of training rows whose texts come after all other fields
    temperature: float = 1.0       # for categories and bins
    threads: int = 1               # torch CPU threads (0: torch's own); more than free cores spin-wait
    text_temperature: float = 1.0
    text_top_k: int = 40           # 0: no cut
    sample_batch: int = 2048       # rows generated together
    device: str | None = None      # None: CUDA when present, else CPU

    def to_meta(self) -> dict:
        return asdict(self)

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> "AutoregressiveParams":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in meta.items() if k in known})


# ---------------------------------------------------------------- fields as tokens


class _CategoryField:
    """One token per kept value, an "other" token for the tail, token 0 for null."""

    width = 1
    text = False

    def __init__(self, name: str, meta: dict, kept: np.ndarray, tail_codes: np.ndarray,
                 tail_counts: np.ndarray, nullable: bool) -> None:
        self.name, self.meta, self.nullable = name, meta, nullable
        self.kept = np.asarray(kept, dtype=np.int64)
        self.tail_codes = np.asarray(tail_codes, dtype=np.int64)
        self.tail_counts = np.asarray(tail_counts, dtype=np.int64)
        self.other = 1 + self.kept.size if self.tail_codes.size else None
        self.size = 1 + self.kept.size + (1 if self.tail_codes.size else 0)
        self.only_null = self.size == 1

    @classmethod
    def fit(cls, name: str, series: pd.Series, kind: Kind, params: AutoregressiveParams) -> "_CategoryField":
        meta = encoding.analyze(series, kind)
        codes = encoding.encode(series, meta)
        present = codes[~np.isnan(codes)].astype(np.int64)
        n_codes = 2 if kind is Kind.BOOLEAN else len(meta["categories"])
        counts = np.bincount(present, minlength=n_codes)
        ranked = np.argsort(-counts, kind="stable")
        ranked = ranked[counts[ranked] > 0]
        kept = ranked[counts[ranked] >= params.min_count][:params.max_categories]
        if kept.size == 0:  # every value is rare: keep the most frequent one as a token anyway
            kept = ranked[:1]
        tail = ranked[~np.isin(ranked, kept)]
        return cls(name, meta, kept, tail, counts[tail], nullable=bool(np.isnan(codes).any()))

    def encoded(self, series: pd.Series) -> np.ndarray:
        return encoding.encode(series, self.meta)

    def tokens(self, encoded: np.ndarray) -> np.ndarray:
        """(n, 1) local tokens of encoded codes; unknown codes become null."""
        lookup = np.full(self._code_count(), self.other if self.other is not None else NULL, dtype=np.int64)
        lookup[self.kept] = np.arange(1, self.kept.size + 1)
        known = ~np.isnan(encoded) & (encoded >= 0) & (encoded < lookup.size)
        out = np.full(encoded.size, NULL, dtype=np.int64)
        out[known] = lookup[encoded[known].astype(np.int64)]
        return out[:, None]

    def _code_count(self) -> int:
        return int(max(self.kept.max(initial=-1), self.tail_codes.max(initial=-1)) + 1)

    def values(self, tokens: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        token = tokens[:, 0]
        out = np.full(token.size, np.nan)
        kept = (token >= 1) & (token <= self.kept.size)
        out[kept] = self.kept[token[kept] - 1]
        if self.other is not None:
            other = np.flatnonzero(token == self.other)
            cumulative = np.cumsum(self.tail_counts)
            pick = np.searchsorted(cumulative, rng.random(other.size) * cumulative[-1], side="right")
            out[other] = self.tail_codes[pick]
        return out

    def to_meta(self) -> dict:
        return {"type": "category", "name": self.name, "meta": self.meta, "nullable": self.nullable}

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}.kept": self.kept, f"{prefix}.tail_codes": self.tail_codes,
                f"{prefix}.tail_counts": self.tail_counts}

    @classmethod
    def from_state(cls, meta: dict, arrays: Mapping[str, np.ndarray], prefix: str) -> "_CategoryField":
        return cls(meta["name"], meta["meta"], arrays[f"{prefix}.kept"], arrays[f"{prefix}.tail_codes"],
                   arrays[f"{prefix}.tail_counts"], nullable=bool(meta["nullable"]))


class _NumberField:
    """One token per quantile bin; a value is drawn from the bin's interpolated quantile function."""

    width = 1
    text = False

    def __init__(self, name: str, meta: dict, cuts: np.ndarray, quantiles: np.ndarray, nullable: bool,
                 grain: float | None = None) -> None:
        self.name, self.meta, self.nullable, self.grain = name, meta, nullable, grain
        self.cuts = np.asarray(cuts, dtype=np.float64)
        self.quantiles = np.asarray(quantiles, dtype=np.float64)  # (bins, points + 1)
        self.size = 1 + self.quantiles.shape[0]
        self.only_null = self.size == 1

    @classmethod
    def fit(cls, name: str, series: pd.Series, kind: Kind, params: AutoregressiveParams, *, k: int = 1,
            rng: np.random.Generator | None = None, structure: bool = False) -> "_NumberField":
        meta = encoding.analyze(series, kind)
        values = encoding.encode(series, meta)
        present = np.sort(values[~np.isnan(values)])
        grain = next((g for g in _GRAINS.get(kind, ()) if present.size and not np.any(present % g)), None)
        if k > 1:  # cuts and quantiles from numbers no fewer than k rows share (structure: kept to its grain)
            rng = rng or np.random.default_rng()
            present = np.sort(off_grain(present, rng) if structure
                              else private_codes(present, k, rng, period=periods_of([kind.value])[0]))
        bins = int(np.clip(present.size // params.rows_per_bin, 4, params.max_bins))
        cuts, quantiles = _quantile_bins(present, bins=bins, exact_up_to=params.max_bins, points=params.bin_points)
        return cls(name, meta, cuts, quantiles, nullable=bool(np.isnan(values).any()), grain=grain)

    def encoded(self, series: pd.Series) -> np.ndarray:
        return encoding.encode(series, self.meta)

    def tokens(self, encoded: np.ndarray) -> np.ndarray:
        out = np.full(encoded.size, NULL, dtype=np.int64)
        present = ~np.isnan(encoded)
        if self.quantiles.shape[0]:  # values outside the range fall into the first or last bin
            out[present] = 1 + np.searchsorted(self.cuts, encoded[present], side="right")
        return out[:, None]

    def values(self, tokens: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        token = tokens[:, 0]
        out = np.full(token.size, np.nan)
        rows = np.flatnonzero(token >= 1)
        if rows.size == 0:
            return out
        table = self.quantiles[token[rows] - 1]
        points = table.shape[1] - 1
        at = rng.random(rows.size) * points
        left = np.minimum(at.astype(np.int64), points - 1) if points else np.zeros(rows.size, np.int64)
        low = table[np.arange(rows.size), left]
        high = table[np.arange(rows.size), np.minimum(left + 1, points)]
        out[rows] = low + (at - left) * (high - low)
        if self.grain:
            out[rows] = np.round(out[rows] / self.grain) * self.grain
        return out

    def to_meta(self) -> dict:
        return {"type": "number", "name": self.name, "meta": self.meta, "nullable": self.nullable, "grain": self.grain}

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}.cuts": self.cuts, f"{prefix}.quantiles": self.quantiles}

    @classmethod
    def from_state(cls, meta: dict, arrays: Mapping[str, np.ndarray], prefix: str) -> "_NumberField":
        return cls(meta["name"], meta["meta"], arrays[f"{prefix}.cuts"], arrays[f"{prefix}.quantiles"],
                   nullable=bool(meta["nullable"]), grain=meta.get("grain"))


def _quantile_bins(ordered: np.ndarray, *, bins: int, exact_up_to: int, points: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut points (a value goes to bin ``searchsorted(cuts, v, 'right')``) and each bin's quantiles.

    Few distinct values get a bin each (exact); otherwise the cuts are real values at equal-count
    quantiles, so every bin holds data and a spike (a value repeated a lot) starts its own bin.
    """
    if ordered.size == 0:
        return np.zeros(0), np.zeros((0, points + 1))
    distinct = np.unique(ordered)
    if distinct.size <= exact_up_to:
        cuts = distinct[1:]
    else:
        levels = np.linspace(0, 1, bins + 1)[1:-1]
        cuts = np.unique(np.quantile(ordered, levels, method="inverted_cdf"))
        cuts = cuts[cuts > ordered[0]]
    size = np.bincount(np.searchsorted(cuts, ordered, side="right"), minlength=cuts.size + 1)
    start = np.cumsum(size) - size
    at = start[:, None] + (size[:, None] - 1) * np.linspace(0, 1, points + 1)[None, :]
    low = np.floor(at).astype(np.int64)
    high = np.minimum(low + 1, (start + size - 1)[:, None])
    quantiles = ordered[low] + (at - low) * (ordered[high] - ordered[low])
    return cuts, quantiles


class _TextField:
    """Tokenizer ids shifted by two (null, end), then the end token; cut to ``width`` tokens."""

    text = True

    def __init__(self, name: str, tokenizer: TextTokenizer, width: int, nullable: bool, only_null: bool) -> None:
        self.name, self.tokenizer, self.width, self.nullable = name, tokenizer, int(width), nullable
        self.only_null = only_null  # never held a text: not even an empty one may be written
        self.size = 2 + tokenizer.size

    @classmethod
    def fit(cls, name: str, series: pd.Series, params: AutoregressiveParams, *, k: int = 1) -> "_TextField":
        texts = series.dropna().astype(str)
        tokenizer = TextTokenizer.fit(texts, max_words=params.max_words, min_count=max(params.min_count, k),
                                      max_chars=params.max_chars)
        _, lengths = tokenizer.encode_many(texts, limit=params.max_text_tokens)
        longest = int(np.quantile(lengths, 0.99)) if lengths.size else 0  # a few very long texts are cut
        width = min(params.max_text_tokens, longest + 1)
        return cls(name, tokenizer, width, nullable=bool(series.isna().any()), only_null=texts.empty)

    def encoded(self, series: pd.Series) -> pd.Series:
        return series

    def tokens(self, series: pd.Series) -> np.ndarray:
        nulls = series.isna().to_numpy()
        texts = series.astype(object).where(~nulls, "").astype(str)
        ids, lengths = self.tokenizer.encode_many(texts, limit=self.width - 1)
        out = np.full((len(series), self.width), -1, dtype=np.int64)
        out[:, : self.width - 1] = np.where(ids >= 0, ids + 2, -1)
        out[np.arange(len(series)), lengths] = END
        out[nulls, 0] = NULL
        out[nulls, 1:] = -1
        return out

    def values(self, tokens: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        ended = np.cumsum(tokens <= END, axis=1) > 0  # the end token and all after it
        ids = np.where(ended, -1, tokens - 2)
        out = np.array(self.tokenizer.decode_many(ids), dtype=object)
        out[tokens[:, 0] == NULL] = None
        return out

    def to_meta(self) -> dict:
        return {"type": "text", "name": self.name, "tokenizer": self.tokenizer.to_meta(), "width": self.width,
                "nullable": self.nullable, "only_null": self.only_null}

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {}

    @classmethod
    def from_state(cls, meta: dict, arrays: Mapping[str, np.ndarray], prefix: str) -> "_TextField":
        return cls(meta["name"], TextTokenizer.from_meta(meta["tokenizer"]), meta["width"],
                   nullable=bool(meta["nullable"]), only_null=bool(meta["only_null"]))


_FIELD_TYPES = {"category": _CategoryField, "number": _NumberField, "text": _TextField}


def _context_values(values: pd.Series, kind: Kind) -> pd.Series:
    """What a context field learns its bins from: each distinct number once (whose value it is
    cannot be told from the children's rows, so each counts as one person's, see
    :func:`relsynth.privacy.rare.private_rows`); categories as they are, their rare ones folded."""
    if kind in _CATEGORY_KINDS:
        return values
    return pd.Series(pd.unique(values.dropna()), dtype=values.dtype)


def _one_per_group(values: pd.Series, groups: np.ndarray | None) -> pd.Series:
    """A column repeated from parent rows, one value per parent (its rarity counts among parents)."""
    if groups is None:
        return values
    _, first = np.unique(groups, return_index=True)
    return values.iloc[np.sort(first)]


def _fit_field(name: str, series: pd.Series, kind: Kind, params: AutoregressiveParams, *, k: int,
               rng: np.random.Generator, structure: bool = False):
    if kind is Kind.TEXT:
        return _TextField.fit(name, series, params, k=k)
    if kind in _CATEGORY_KINDS:
        return _CategoryField.fit(name, series, kind, params)
    return _NumberField.fit(name, series, kind, params, k=k, rng=rng, structure=structure)


# ---------------------------------------------------------------- the row as one token sequence


class _Layout:
    """Where each field's tokens live: its block of the shared vocabulary and its slot in a row.

    A row is stored as an (n, total_width) matrix of global token ids ("slots"), field after
    field in a fixed order, -1 where a text ended early; training shuffles the fields' slots.
    """

    def __init__(self, fields_: list, n_context: int) -> None:
        self.fields = fields_
        self.n_context = n_context
        self.sizes = np.array([f.size for f in fields_], dtype=np.int64)
        self.widths = np.array([f.width for f in fields_], dtype=np.int64)
        self.offsets = np.cumsum(self.sizes) - self.sizes
        self.starts = np.cumsum(self.widths) - self.widths
        self.vocab = int(self.sizes.sum())
        self.total_width = int(self.widths.sum())
        self.max_width = int(self.widths.max(initial=1))
        self.slot_field = np.repeat(np.arange(len(fields_)), self.widths)
        self.slot_at = np.arange(self.total_width) - np.repeat(self.starts, self.widths)
        self.is_text = np.array([f.text for f in fields_], dtype=bool)
        self.nullable = np.array([f.nullable for f in fields_], dtype=bool)
        self.only_null = np.array([f.only_null for f in fields_], dtype=bool)

    def slots(self, columns: list, rows: int) -> np.ndarray:
        """Global ids of every field's local tokens (one (n, width) array per field), -1 kept."""
        blocks = [np.where(tokens >= 0, tokens + self.offsets[f], -1) for f, tokens in enumerate(columns)]
        return np.hstack(blocks) if blocks else np.zeros((rows, 0), dtype=np.int64)

    def shuffled(self, slots: np.ndarray, rng: np.random.Generator, *, text_last_share: float):
        """Tokens, their fields and positions in the field, for rows in random field orders.

        Context fields stay first; texts come after every other field in ``text_last_share`` of the
        rows (the order used at sampling), and anywhere in the others.
        """
        rows, n_fields = slots.shape[0], len(self.fields)
        keys = rng.random((rows, n_fields))
        keys[:, : self.n_context] = -1.0 - (self.n_context - np.arange(self.n_context))
        keys[:, self.is_text] += rng.random((rows, 1)) < text_last_share
        return self._gather(slots, np.argsort(keys, axis=1))

    def _gather(self, slots: np.ndarray, order: np.ndarray):
        rows = slots.shape[0]
        widths = self.widths[order]
        candidate = self.starts[order][:, :, None] + np.arange(self.max_width)
        columns = candidate[np.arange(self.max_width) < widths[:, :, None]].reshape(rows, self.total_width)
        tokens = np.take_along_axis(slots, columns, axis=1)
        to_end = np.argsort(tokens < 0, axis=1, kind="stable")  # unused text slots move to the end
        columns = np.take_along_axis(columns, to_end, axis=1)
        tokens = np.take_along_axis(tokens, to_end, axis=1)
        length = int((tokens >= 0).sum(axis=1).max(initial=0))
        columns = columns[:, :length]
        return tokens[:, :length], self.slot_field[columns], self.slot_at[columns]


# ---------------------------------------------------------------- the network (torch, loaded lazily)


@functools.cache
def _torch():
    try:
        import torch
    except ImportError:
        raise ModelError("the autoregressive family needs PyTorch", hint="pip install 'relsynth[neural]'") from None
    return torch


@functools.cache
def _network_class():
    torch = _torch()
    nn, functional = torch.nn, torch.nn.functional

    class Block(nn.Module):
        """Pre-norm causal self-attention and feed-forward; appends to ``cache`` when given one."""

        def __init__(self, width: int, heads: int, dropout: float) -> None:
            super().__init__()
            self.heads, self.dropout = heads, dropout
            self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
            self.qkv, self.out = nn.Linear(width, 3 * width), nn.Linear(width, width)
            # a narrow ReLU feed-forward: on a CPU the wide GELU one costs more than it brings
            self.feed = nn.Sequential(nn.Linear(width, 2 * width), nn.ReLU(), nn.Linear(2 * width, width))
            self.drop = nn.Dropout(dropout)

        def forward(self, x, cache: list | None = None):
            batch, steps, width = x.shape
            q, k, v = self.qkv(self.norm1(x)).view(batch, steps, 3, self.heads, width // self.heads).permute(
                2, 0, 3, 1, 4)
            if cache is not None:  # one new step: attend to everything before it
                if cache:
                    k, v = torch.cat((cache[0], k), dim=2), torch.cat((cache[1], v), dim=2)
                cache[:] = [k, v]
            mixed = functional.scaled_dot_product_attention(
                q, k, v, is_causal=cache is None, dropout_p=self.dropout if self.training else 0.0)
            x = x + self.drop(self.out(mixed.transpose(1, 2).reshape(batch, steps, width)))
            return x + self.drop(self.feed(self.norm2(x)))

    class RowTransformer(nn.Module):
        """Input at step t: the previous token (and its place in its field) plus the field and
        place of the token to predict, so any field order can be trained and prompted."""

        def __init__(self, *, vocab: int, n_fields: int, max_width: int, width: int, heads: int,
                     layers: int, dropout: float) -> None:
            super().__init__()
            self.begin = vocab  # the token fed before the first one
            self.token = nn.Embedding(vocab + 1, width)
            self.came_at = nn.Embedding(max_width, width)
            self.field = nn.Embedding(max(n_fields, 1), width)
            self.at = nn.Embedding(max_width, width)
            self.drop = nn.Dropout(dropout)
            self.blocks = nn.ModuleList(Block(width, heads, dropout) for _ in range(layers))
            self.norm = nn.LayerNorm(width)
            self.head = nn.Linear(width, max(vocab, 1))

        def forward(self, previous, previous_at, field, at, caches: list | None = None):
            x = self.drop(self.token(previous) + self.came_at(previous_at) + self.field(field) + self.at(at))
            for i, block in enumerate(self.blocks):
                x = block(x, None if caches is None else caches[i])
            return self.norm(x)

        def logits(self, hidden, first: int, size: int):
            """Scores of one field's tokens only."""
            return functional.linear(hidden, self.head.weight[first:first + size], self.head.bias[first:first + size])

    return RowTransformer


def _device(params: AutoregressiveParams):
    torch = _torch()
    if params.device:
        return torch.device(params.device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _build_network(layout: _Layout, params: AutoregressiveParams):
    return _network_class()(vocab=layout.vocab, n_fields=len(layout.fields), max_width=layout.max_width,
                            width=params.width, heads=params.heads, layers=params.layers, dropout=params.dropout)


# ---------------------------------------------------------------- training


def _training_plan(n_rows: int, params: AutoregressiveParams) -> tuple[int, int]:
    """(batch size, epochs): small tables get small batches and more passes, big ones fewer."""
    batch = int(np.clip(n_rows // 16, 16, params.batch_size))
    steps_per_epoch = math.ceil(n_rows / batch)
    epochs = int(np.clip(math.ceil(params.target_steps / steps_per_epoch), params.min_epochs, params.max_epochs))
    return batch, epochs


def _held_out(n_rows: int, params: AutoregressiveParams, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, held-out rows): ``validation_share`` of the rows, none if that is fewer than
    ``min_validation_rows`` (a small table then trains on every row for every planned step)."""
    held = int(round(n_rows * params.validation_share))
    if held < params.min_validation_rows or n_rows - held < params.min_validation_rows:
        return np.arange(n_rows), np.zeros(0, dtype=np.int64)
    order = rng.permutation(n_rows)
    return np.sort(order[held:]), np.sort(order[:held])


def _evaluation_ends(steps_per_epoch: int, params: AutoregressiveParams) -> set[int]:
    """The batches of an epoch after which the held-out loss is taken: the last one, and on big
    tables (more than ``eval_steps`` batches an epoch) the ends of equal parts of the epoch."""
    parts = max(1, math.ceil(steps_per_epoch / max(params.eval_steps, 1)))
    return {int(part[-1]) for part in np.array_split(np.arange(steps_per_epoch), parts) if part.size}


class _Training:
    """What training did: the mean training loss of every period between two evaluations (an
    epoch, or part of one on big tables), the held-out loss at its end, and the steps taken."""

    def __init__(self) -> None:
        self.losses: list[float] = []
        self.validation_losses: list[float] = []
        self.steps = 0


def _train(net, layout: _Layout, slots: np.ndarray, params: AutoregressiveParams, rng: np.random.Generator,
           device) -> _Training:
    """Fit the network on rows in random field orders, stopping when the held-out loss stops falling.

    The held-out rows keep one field order each (drawn once), so their loss is comparable from one
    evaluation to the next; training stops once ``patience`` evaluations, spanning at least
    ``patience_share`` of the planned steps, have not lowered the loss by ``min_improvement`` of it
    (the loss often idles a while before the network finds a table's structure), then runs a
    cool-down of ``cooldown_share`` of the planned steps with the learning rate falling linearly to
    the schedule's floor (weights taken at a high rate are noisier than annealed ones), or stops at
    the planned steps; the weights of the lowest held-out loss are put back.
    """
    torch = _torch()
    if layout.is_text.any():
        # text keeps sharpening its tie to the other fields after the held-out loss stops falling
        # (benchmarks/families.py: rating read from the review 0.74 with every step, 0.63 stopped)
        params = replace(params, validation_share=0.0)
    train_rows, held_rows = _held_out(slots.shape[0], params, rng)
    n_rows = train_rows.size
    batch, epochs = _training_plan(n_rows, params)
    per_epoch = math.ceil(n_rows / batch)
    total = epochs * per_epoch
    optimizer = torch.optim.AdamW(net.parameters(), lr=params.learning_rate, weight_decay=0.01)
    warmup = max(1, total // 20)
    cooling: dict = {}  # from, until: the steps of the cool-down once patience runs out

    def rate(step: int) -> float:  # warm up, then cosine down to a tenth; a cool-down goes there linearly
        def planned(at: int) -> float:
            return min(1.0, (at + 1) / warmup) * (0.55 + 0.45 * math.cos(math.pi * at / total))
        if not cooling:
            return planned(step)
        share = min(1.0, (step - cooling["from"]) / max(cooling["until"] - cooling["from"], 1))
        return planned(cooling["from"]) + share * (0.1 - planned(cooling["from"]))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, rate)
    held = _held_out_batches(layout, slots[held_rows], batch, params, rng, device) if held_rows.size else None
    ends = _evaluation_ends(per_epoch, params) if held is not None else {per_epoch - 1}
    done = _Training()
    best_loss, best_weights, reference, stale, since = math.inf, None, math.inf, 0, 0
    patience_steps = params.patience_share * total
    net.train()
    for _ in range(epochs):
        period_loss, batches = 0.0, 0
        for i, rows in enumerate(np.array_split(train_rows[rng.permutation(n_rows)], per_epoch)):
            tokens, field, at = layout.shuffled(slots[rows], rng, text_last_share=params.text_last_share)
            loss = _batch_loss(net, layout, *(torch.from_numpy(a).to(device) for a in (tokens, field, at)))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            period_loss, batches, done.steps = period_loss + float(loss.detach()), batches + 1, done.steps + 1
            if i not in ends:
                continue
            done.losses.append(period_loss / max(batches, 1))
            period_loss, batches = 0.0, 0
            if held is None:
                continue
            loss_now = _held_out_loss(net, layout, held)
            done.validation_losses.append(loss_now)
            if loss_now < best_loss:  # the weights kept are the lowest loss's, however small the gain
                best_loss = loss_now
                best_weights = {k: v.detach().clone() for k, v in net.state_dict().items()}
            if loss_now < reference * (1.0 - params.min_improvement):
                reference, stale, since = loss_now, 0, done.steps
            else:
                stale += 1
            if cooling and done.steps >= cooling["until"]:
                break
            if not cooling and stale >= params.patience and done.steps - since >= patience_steps:
                if params.cooldown_share <= 0:
                    break
                cooling.update({"from": done.steps, "until": done.steps + math.ceil(params.cooldown_share * total)})
        else:
            continue
        break  # patience ran out, and the cool-down too
    if best_weights is not None:
        net.load_state_dict(best_weights)
    net.eval()
    return done


def _held_out_batches(layout: _Layout, slots: np.ndarray, batch: int, params: AutoregressiveParams,
                      rng: np.random.Generator, device) -> list:
    """The held-out rows as tensors in batches, each row in one field order drawn once, from its own
    seeded generator (a fixed set of orders: the loss moves only when the weights do)."""
    torch = _torch()
    orders = np.random.default_rng(int(rng.integers(2**63 - 1)))
    out = []
    for rows in np.array_split(np.arange(slots.shape[0]), math.ceil(slots.shape[0] / batch)):
        arrays = layout.shuffled(slots[rows], orders, text_last_share=params.text_last_share)
        out.append(tuple(torch.from_numpy(a).to(device) for a in arrays))
    return out


def _held_out_loss(net, layout: _Layout, batches: list) -> float:
    """Mean cross-entropy per token of the held-out rows, without dropout or gradients."""
    torch = _torch()
    training = net.training
    net.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for tokens, field, at in batches:
            loss, tokens_scored = _token_loss(net, layout, tokens, field, at)
            total, count = total + float(loss), count + tokens_scored
    net.train(training)
    return total / max(count, 1)


def _batch_loss(net, layout: _Layout, tokens, field, at):
    """Mean cross-entropy of the table's tokens, each scored among its own field's tokens."""
    total, count = _token_loss(net, layout, tokens, field, at)
    return total / max(count, 1)


def _token_loss(net, layout: _Layout, tokens, field, at):
    """Summed cross-entropy of the table's tokens (each among its own field's tokens), and their count."""
    torch = _torch()
    begin = torch.full_like(tokens[:, :1], net.begin)
    previous = torch.cat((begin, tokens[:, :-1].clamp(min=0)), dim=1)
    previous_at = torch.cat((torch.zeros_like(at[:, :1]), at[:, :-1]), dim=1)
    hidden = net(previous, previous_at, field, at)
    target = (tokens >= 0) & (field >= layout.n_context)
    total, count = hidden.new_zeros(()), 0
    for f in torch.unique(field[target]).tolist():
        chosen = target & (field == f)
        first, size = int(layout.offsets[f]), int(layout.sizes[f])
        logits = net.logits(hidden[chosen], first, size)
        total = total + torch.nn.functional.cross_entropy(logits, tokens[chosen] - first, reduction="sum")
        count += int(chosen.sum())
    return total, count


# ---------------------------------------------------------------- sampling


def _generate(net, layout: _Layout, known: np.ndarray, order: np.ndarray, params: AutoregressiveParams,
              seed: int, device) -> np.ndarray:
    """Slots of every row: ``known`` tokens (>= 0) are fed as given, the others generated.

    Fields are visited in each row's ``order``; all rows advance together, one token per step.
    """
    torch = _torch()
    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    out = np.empty_like(known)
    with torch.no_grad():
        for first in range(0, known.shape[0], params.sample_batch):
            chunk = slice(first, first + params.sample_batch)
            out[chunk] = _generate_chunk(net, layout, torch.from_numpy(known[chunk]).to(device),
                                         torch.from_numpy(order[chunk]).to(device), params, generator).cpu().numpy()
    return out


def _generate_chunk(net, layout: _Layout, known, order, params: AutoregressiveParams, generator):
    torch = _torch()
    device = known.device
    tables = {name: torch.from_numpy(getattr(layout, name)).to(device)
              for name in ("offsets", "starts", "widths", "is_text")}
    rows, n_fields = order.shape
    index = torch.arange(rows, device=device)
    slots = known.clone()
    step = torch.zeros(rows, dtype=torch.long, device=device)  # how many fields each row has finished
    at = torch.zeros_like(step)
    previous = torch.full_like(step, net.begin)
    previous_at = torch.zeros_like(step)
    caches: list = [[] for _ in net.blocks]
    while n_fields and bool((step < n_fields).any()):
        active = step < n_fields
        field = order[index, step.clamp(max=n_fields - 1)]
        column = tables["starts"][field] + at
        hidden = net(previous[:, None], previous_at[:, None], field[:, None], at[:, None], caches)[:, 0]
        token = slots[index, column]
        free = active & (token < 0)
        for f in torch.unique(field[free]).tolist():
            chosen = free & (field == f)
            token[chosen] = _draw(net, layout, f, hidden[chosen], at[chosen], params, generator)
        slots[index[active], column[active]] = token[active]
        local = token - tables["offsets"][field]
        ended = (at + 1 >= tables["widths"][field]) | (tables["is_text"][field] & (local <= END))
        previous = torch.where(active, token, torch.full_like(token, net.begin))
        previous_at = at
        step = step + (ended & active).long()
        at = torch.where(ended, torch.zeros_like(at), at + 1)
    return slots


def _draw(net, layout: _Layout, f: int, hidden, at, params: AutoregressiveParams, generator):
    """Global ids of one field's next tokens, drawn from the network's scores."""
    torch = _torch()
    first, size = int(layout.offsets[f]), int(layout.sizes[f])
    logits = net.logits(hidden, first, size)
    text = bool(layout.is_text[f])
    if layout.only_null[f]:
        return torch.full_like(at, NULL + first)
    if not layout.nullable[f]:
        logits[:, NULL] = -math.inf
    if text:
        logits[at > 0, NULL] = -math.inf  # a text is null as a whole or not at all
        last = at + 1 >= int(layout.widths[f])
        logits[last] = torch.where(torch.arange(size, device=logits.device) == END, logits[last], -math.inf)
        logits = logits / params.text_temperature
        if 0 < params.text_top_k < size:
            cut = torch.topk(logits, params.text_top_k, dim=1).values[:, -1:]
            logits = logits.masked_fill(logits < cut, -math.inf)
    else:
        logits = logits / params.temperature
    return torch.multinomial(torch.softmax(logits, dim=1), 1, generator=generator)[:, 0] + first


# ---------------------------------------------------------------- the table model


@contextlib.contextmanager
def _threads(count: int):
    """Torch's CPU threads for the block, restored after: with more threads than free cores the
    workers spin-wait (a shared 2-core machine fitted several times slower with 2)."""
    torch = _torch()
    before = torch.get_num_threads()
    if count > 0:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@register("autoregressive")
class AutoregressiveModel:
    """Rows written token by token by a small transformer; any subset of fields can be given."""

    family: ClassVar[str] = "autoregressive"
    handles_text: ClassVar[bool] = True

    def __init__(self, *, params: AutoregressiveParams | None = None, **overrides: Any) -> None:
        base = params or AutoregressiveParams()
        self.params = AutoregressiveParams(**{**asdict(base), **overrides})
        self._columns: list[str] = []
        self._context_columns: list[str] = []
        self._layout: _Layout | None = None
        self._net = None
        self._rows_seen = 0
        self.losses: list[float] = []             # mean training loss per epoch (or part of one, big tables)
        self.validation_losses: list[float] = []  # held-out loss at the same points (none: no rows held out)
        self.steps = 0                            # optimizer steps taken (early stop: fewer than planned)

    # -- fit

    def fit(self, table: pd.DataFrame, *, kinds: Mapping[str, Kind], context: pd.DataFrame | None = None,
            context_kinds: Mapping[str, Kind] | None = None, rng: np.random.Generator, k: int = 1,
            groups: Mapping[str, np.ndarray] | None = None, exact: Collection[str] = ()) -> None:
        torch = _torch()
        groups = {c: np.asarray(g) for c, g in (groups or {}).items() if g is not None}
        columns = _checked_columns(table, kinds)
        if context is not None and len(context) != len(table):
            raise ModelError(f"context has {len(context)} rows but the table has {len(table)}",
                             hint="pass one parent row per table row (row i of context is the parent of row i)")
        if len(table) > self.params.max_rows:
            keep = np.sort(rng.choice(len(table), size=self.params.max_rows, replace=False))
            table = table.iloc[keep]
            context = context.iloc[keep] if context is not None else None
            groups = {c: g[keep] for c, g in groups.items()}
        context_kinds = context_kinds or {}
        self._context_columns = [str(c) for c in (context.columns if context is not None else [])
                                 if c in context_kinds and Kind(context_kinds[c]).modeled]
        context_fields = [_fit_field(str(c), _context_values(context[c], Kind(context_kinds[c])),
                                     Kind(context_kinds[c]), self.params, k=k, rng=rng)
                          for c in self._context_columns]
        for f in context_fields:
            f.nullable = True  # a row may have no parent
            if "min" in f.meta:  # encoded, never decoded: the parents' extremes are not kept
                f.meta = {**f.meta, "min": None, "max": None}
        table_fields = [_fit_field(str(c), _one_per_group(table[c], groups.get(c)), Kind(kinds[c]), self.params,
                                   k=k, rng=rng, structure=c in exact) for c in columns]
        self._columns = [str(c) for c in columns]
        self._layout = _Layout(context_fields + table_fields, n_context=len(context_fields))
        self._rows_seen = len(table)
        slots = self._slots(table.set_axis([str(c) for c in table.columns], axis=1),
                            context.set_axis([str(c) for c in context.columns], axis=1)
                            if context is not None else None)
        device = _device(self.params)
        with _threads(self.params.threads), torch.random.fork_rng(devices=[]):  # seeded, caller's state kept
            torch.manual_seed(int(rng.integers(2**63 - 1)))
            self._net = _build_network(self._layout, self.params).to(device)
            learn = len(table) and len(table_fields)
            done = _train(self._net, self._layout, slots, self.params, rng, device) if learn else _Training()
        self.losses, self.validation_losses, self.steps = done.losses, done.validation_losses, done.steps

    def _slots(self, table: pd.DataFrame | None, context: pd.DataFrame | None, *, rows: int | None = None,
               given: np.ndarray | None = None) -> np.ndarray:
        """Token slots of the context and table cells; -1 for cells not given (``given`` False)."""
        layout = self._layout
        blocks = []
        for f, field in enumerate(layout.fields):
            source = context if f < layout.n_context else table
            if source is None or field.name not in source.columns:
                blocks.append(np.full((rows, field.width), -1, dtype=np.int64))
                continue
            tokens = field.tokens(field.encoded(source[field.name].reset_index(drop=True)))
            if given is not None and f >= layout.n_context:
                tokens[~given[:, f - layout.n_context]] = -1
            blocks.append(tokens)
        return layout.slots(blocks, rows if rows is not None else len(table))

    # -- sample

    def sample(self, *, n: int | None = None, context: pd.DataFrame | None = None,
               rng: np.random.Generator, fixed: pd.DataFrame | None = None) -> pd.DataFrame:
        if self._layout is None or self._net is None:
            raise ModelError("the model is not fitted yet", hint="call fit() (or train) before sampling")
        n = self._rows_to_sample(n, context, fixed)
        fixed = self._checked_fixed(fixed, n)
        given = np.zeros((n, len(self._columns)), dtype=bool)
        if fixed is not None:
            given = np.column_stack([fixed[c].notna().to_numpy() if c in fixed.columns else np.zeros(n, bool)
                                     for c in self._columns]) if self._columns else given
        if self._context_columns:
            missing = [c for c in self._context_columns if c not in context.columns]
            if missing:
                raise ModelError(f"context lacks the column(s) the model was trained with: {', '.join(missing)}")
        context = context.reset_index(drop=True) if context is not None else None
        known = self._slots(fixed, context, rows=n, given=given)
        if self._rows_seen == 0:  # nothing was learned: every free cell is null
            known = np.where(known >= 0, known, np.repeat(self._layout.offsets, self._layout.widths)[None, :])
            slots = known
        else:
            with _threads(self.params.threads):
                slots = _generate(self._net, self._layout, known, self._order(given), self.params,
                                  int(rng.integers(2**63 - 1)), next(self._net.parameters()).device)
        return self._frame(slots, fixed, given, rng)

    def _order(self, given: np.ndarray) -> np.ndarray:
        """Each row's field order: context, given fields, free fields; texts after the others."""
        layout = self._layout
        n, n_fields = given.shape[0], len(layout.fields)
        group = np.zeros((n, n_fields), dtype=np.int64)
        table_text = layout.is_text[layout.n_context:]
        group[:, layout.n_context:] = np.where(given, 1, 3) + table_text[None, :]
        return np.argsort(group * n_fields + np.arange(n_fields), axis=1).astype(np.int64)

    def _frame(self, slots: np.ndarray, fixed: pd.DataFrame | None, given: np.ndarray,
               rng: np.random.Generator) -> pd.DataFrame:
        layout = self._layout
        columns = {}
        for j, name in enumerate(self._columns):
            f = layout.n_context + j
            field = layout.fields[f]
            block = slots[:, layout.starts[f]: layout.starts[f] + layout.widths[f]]
            values = field.values(np.where(block >= 0, block - layout.offsets[f], -1), rng)
            columns[name] = self._column(field, values, fixed, given[:, j])
        return pd.DataFrame(columns, index=pd.RangeIndex(slots.shape[0]), columns=self._columns)

    @staticmethod
    def _column(field, values: np.ndarray, fixed: pd.DataFrame | None, given: np.ndarray) -> pd.Series:
        """The decoded column, with the fixed cells exactly as given."""
        if field.text:
            if given.any():
                values[given] = fixed[field.name].to_numpy(dtype=object)[given]
            return pd.Series(values, dtype=object, name=field.name)
        if given.any():
            values[given] = field.encoded(fixed[field.name].reset_index(drop=True))[given]
        series = encoding.decode(values, field.meta, name=field.name).reset_index(drop=True)
        if given.any() and Kind(field.meta["kind"]) in _EXACT_KINDS:  # decoding rounds to the training scale
            exact = series.to_numpy(dtype=np.float64, copy=True)
            exact[given] = values[given]
            series = pd.Series(exact, name=field.name)
        return series

    def _rows_to_sample(self, n: int | None, context: pd.DataFrame | None, fixed: pd.DataFrame | None) -> int:
        if self._context_columns and context is None:
            raise ModelError("this model was trained with parent context: pass context= to sample")
        sizes = {len(frame) for frame in (context, fixed) if frame is not None}
        if n is not None:
            if n < 0:
                raise ModelError(f"cannot sample n={n} rows")
            sizes.add(int(n))
        if not sizes:
            raise ModelError("pass n (the number of rows), context or fixed to sample")
        if len(sizes) > 1:
            raise ModelError(f"n, context and fixed disagree on the number of rows ({sorted(sizes)})",
                             hint="context and fixed give one row per output row; leave n out")
        return sizes.pop()

    def _checked_fixed(self, fixed: pd.DataFrame | None, n: int) -> pd.DataFrame | None:
        """``fixed`` with a fresh index, after refusing values the model cannot condition on."""
        if fixed is None:
            return None
        fixed = fixed.set_axis([str(c) for c in fixed.columns], axis=1).reset_index(drop=True)
        unknown = [c for c in fixed.columns if c not in self._columns]
        if unknown:
            raise ModelError(f"fixed has column(s) the model does not know: {', '.join(unknown)}",
                             hint=f"the model's columns: {', '.join(self._columns)}")
        for field in self._layout.fields[self._layout.n_context:]:
            if field.name in fixed.columns and not field.text:
                _refuse_unseen(field, fixed[field.name])
        return fixed

    # -- storage

    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        if self._layout is None or self._net is None:
            raise ModelError("the model is not fitted yet", hint="call fit() before saving")
        layout = self._layout
        arrays: dict[str, np.ndarray] = {f"net.{name}": value.detach().cpu().numpy().astype(np.float32)
                                         for name, value in self._net.state_dict().items()}
        for f, field in enumerate(layout.fields):
            arrays.update(field.arrays(f"field{f}"))
        meta = {"family": self.family, "params": self.params.to_meta(), "columns": self._columns,
                "context_columns": self._context_columns, "n_context": layout.n_context,
                "fields": [field.to_meta() for field in layout.fields], "rows_seen": self._rows_seen,
                "losses": self.losses, "validation_losses": self.validation_losses, "steps": self.steps}
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict, arrays: Mapping[str, np.ndarray]) -> "AutoregressiveModel":
        torch = _torch()
        model = cls(params=AutoregressiveParams.from_meta(meta.get("params", {})))
        model._columns = list(meta["columns"])
        model._context_columns = list(meta["context_columns"])
        fields_ = [_FIELD_TYPES[spec["type"]].from_state(spec, arrays, f"field{f}")
                   for f, spec in enumerate(meta["fields"])]
        model._layout = _Layout(fields_, n_context=int(meta["n_context"]))
        model._rows_seen = int(meta["rows_seen"])
        model.losses = list(meta.get("losses", []))
        model.validation_losses = list(meta.get("validation_losses", []))  # older models: none recorded
        model.steps = int(meta.get("steps", 0))
        stored = fitting_weights(lambda: _build_network(model._layout, model.params), arrays, "net.")
        net = _build_network(model._layout, model.params)
        net.load_state_dict({name: torch.from_numpy(np.array(value, dtype=np.float32))
                             for name, value in stored.items()})
        model._net = net.to(_device(model.params)).eval()
        return model


def _checked_columns(table: pd.DataFrame, kinds: Mapping[str, Kind]) -> list:
    """The table's columns in the order of ``kinds``, after checking each kind can be learned."""
    check_kinds(table, kinds, text=True)
    return [c for c in kinds if c in table.columns]


def _refuse_unseen(field, series: pd.Series) -> None:
    """A fixed value the model never saw cannot be a prompt: raise ModelError naming it."""
    series = series.reset_index(drop=True).astype(object)  # numpy scalars are shown as plain values
    encoded = field.encoded(series)
    present = series.notna().to_numpy()
    if isinstance(field, _CategoryField):
        seen = np.concatenate((field.kept, field.tail_codes)).astype(np.float64)
        bad = np.flatnonzero(present & ~np.isin(encoded, seen))
        if bad.size:
            raise ModelError(f"column {field.name!r}: value {series.iloc[bad[0]]!r} never appeared in training",
                             hint="fix only values the model has seen, or leave the cell NA to let the model "
                                  "choose")
        return
    lo, hi = field.meta.get("min"), field.meta.get("max")
    outside = present & (np.isnan(encoded) | (encoded < (lo if lo is not None else np.inf))
                         | (encoded > (hi if hi is not None else -np.inf)))
    bad = np.flatnonzero(outside)
    if bad.size:
        if lo is None:
            raise ModelError(f"column {field.name!r}: value {series.iloc[bad[0]]!r} given, but the column was "
                             "always null in training", hint="leave the cell NA")
        shown = encoding.decode(np.array([lo, hi]), field.meta).tolist()
        raise ModelError(f"column {field.name!r}: value {series.iloc[bad[0]]!r} is outside the training range "
                         f"[{shown[0]}, {shown[1]}]",
                         hint="this model cannot extrapolate: fix values inside the range, or leave the cell NA")


__all__ = ["AutoregressiveModel", "AutoregressiveParams"]
