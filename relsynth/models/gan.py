"""The "gan" family: a conditional tabular GAN (CTGAN-like) in PyTorch.

How a table row looks to the networks (one block per column, in column order):

* numbers, timestamps, dates and times (``encoding``'s numeric form): standardized, then
  *mode-specific normalization*: a small Gaussian mixture per column (its size chosen by BIC)
  says which mode a value belongs to (a one-hot) and where it sits in it (a scalar in [-1, 1]).
  A column with few distinct values gets one exact mode per value. A nullable column gets one
  more slot in that one-hot meaning "null", so the null rate is learned with the modes.
* categoricals and booleans: a one-hot over the ``max_categories`` most frequent values, one
  "other" slot for the rest, and a "null" slot when the column had nulls. Rows that come out as
  "other" get a value drawn from the real frequencies of the rare ones. We chose this over an
  embedding: a generator must still *output* one choice among all values, so an embedding only
  moves the huge layer from the input to the output; top-K bounds both, and the values it lumps
  are rare by construction.
* the parent's context (``parent.col``): numbers mapped through their quantiles into [-1, 1]
  with a null flag, categoricals one-hot over their top values with "other" and null flags. It
  is fed to the generator and to the critic.

Training follows CTGAN: a conditional vector over the discrete columns filled by
*training-by-sampling* (pick a column, a value by log-frequency, a real row having it), a
generator penalized when it ignores the vector, and a WGAN-GP critic that judges packs of rows
(PacGAN). Departures, each for a measured reason: half the training rows get an empty vector
and a uniformly drawn real row, and conditioned rows reveal their other discrete values at a
random rate; sampling runs the generator twice, first for the discrete columns (empty vector, so
they follow the parent's context), then for the numbers with every discrete value in the vector
(the conditional path learns "category -> price" far sooner than the unconditioned joint); the
generator kept is a moving average of its weights (GAN marginals swing from step to step).

``fixed`` cells: discrete ones go through the conditional vector; numeric ones are matched by
rejection (a draw is kept when it lands within a tolerance of the fixed value, measured in the
width of the value's mode), a bounded number of rounds. Every fixed cell is then set exactly.

Only the generator is saved: its weights as float32 arrays, everything else as JSON meta.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Collection, Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from relsynth.errors import ModelError
from relsynth.models import encoding, register
from relsynth.models.base import fitting_weights
from relsynth.models.trees import analyze_frame, encode_frame, numeric_columns, private_table, training_rows
from relsynth.privacy.rare import periods_of, private_rows
from relsynth.schema.kinds import Kind

try:
    import torch
    from torch import nn
    from torch.nn import functional as F
except ImportError as exc:  # the registry turns this into a one-line error for `--model gan`
    raise ModelError("the gan family needs PyTorch", hint="pip install 'relsynth[neural]'") from exc

_DISCRETE = frozenset({Kind.CATEGORICAL, Kind.BOOLEAN})
_WHOLE = frozenset({Kind.INTEGER, Kind.DATE})  # encoded in whole units: a fixed value matches its unit
_MIN_STD = 1e-3           # narrowest mode (standardized units): spikes keep a finite alpha
_MIN_MODE_WEIGHT = 0.005  # mixture components lighter than this are dropped
_ALPHA_SPAN = 4.0         # a mode's scalar covers mean ± 4 std
_QUANTILES = 33           # grid points mapping a numeric context column into [-1, 1]
_CHUNK = 8192             # rows generated at once when sampling
_PACKS = 50               # packs the critic judges per step, at least, when the batch allows


@dataclass(frozen=True)
class GanParams:
    """Network sizes, training budget and encoding limits."""

    max_rows: int = 200_000      # training subsample
    batch_size: int = 500
    pac: int = 10                # rows per critic decision (PacGAN); fewer on small batches
    epochs: int = 300            # nominal passes over the data, bounded by the step limits
    min_steps: int = 300
    max_steps: int = 3000        # bounds fit time on big tables (CPU)
    noise_dim: int = 64
    width: int = 256             # hidden units per layer, generator and critic
    depth: int = 2               # hidden layers, generator and critic
    learning_rate: float = 1e-3  # CTGAN's 2e-4 needs more steps than the budget allows on CPU
    dropout: float = 0.0         # critic dropout; 0.5 (CTGAN) learned correlations slower here
    gradient_penalty: float = 10.0
    max_modes: int = 10          # mixture components per numeric column
    mode_rows: int = 3000        # rows the mixture is fitted on
    max_categories: int = 50     # one-hot slots per categorical before "other"
    context_categories: int = 20
    free_share: float = 0.5      # training rows with an empty conditional vector
    fixed_rounds: int = 8        # redraw rounds for rows whose fixed numbers were not matched
    fixed_candidates: int = 8    # draws per unmatched row and round
    fixed_tolerance: float = 0.5  # match width in stds of the fixed value's mode (grows 25% a round)
    # torch CPU threads while fitting/sampling (0: torch's own setting). The networks are small, so
    # one thread loses little on idle cores, while two on a busy 2-core machine took 4x as long
    threads: int = 1

    def to_meta(self) -> dict:
        return asdict(self)

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> "GanParams":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in meta.items() if k in known})

    def batch_shape(self, n_rows: int) -> tuple[int, int]:
        """(pac, batch): the batch is a multiple of pac and no larger than the table.

        Packs shrink with the batch so the critic still judges about 50 of them per step (CTGAN:
        10 rows x 50 packs): fewer, larger packs made it learn conditional relations much slower.
        """
        rows = max(1, min(self.batch_size, n_rows))
        pac = max(1, min(self.pac, rows // _PACKS))
        return pac, max(pac, rows // pac * pac)

    def steps(self, n_rows: int, batch: int) -> int:
        per_epoch = -(-n_rows // batch)
        return int(np.clip(self.epochs * per_epoch, self.min_steps, self.max_steps))


# ---------------------------------------------------------------- torch plumbing


def _device() -> "torch.device":
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@contextlib.contextmanager
def _seeded(rng: np.random.Generator, threads: int = 0) -> Iterator[None]:
    """Torch's global generators seeded from ``rng`` (and its CPU threads set) for the block, restored after.

    Threads matter on a shared machine: with more threads than free cores, OpenMP workers
    spin-wait and a fit burned 20x the CPU time of a single thread.
    """
    seed = int(rng.integers(2**63 - 1))
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    before = torch.get_num_threads()
    if threads > 0:
        torch.set_num_threads(threads)
    try:
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            yield
    finally:
        torch.set_num_threads(before)


class _Residual(nn.Module):
    """Linear -> LayerNorm -> ReLU, concatenated with its input (CTGAN's generator block).

    LayerNorm rather than BatchNorm: a row's output never depends on the other rows of its batch,
    so redrawing a few rows or sampling in chunks gives the same distribution.
    """

    def __init__(self, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_dim, out_dim)
        self.norm = nn.LayerNorm(out_dim)

    def forward(self, x: "torch.Tensor") -> "torch.Tensor":
        return torch.cat([F.relu(self.norm(self.linear(x))), x], dim=1)


class _Generator(nn.Module):
    def __init__(self, in_dim: int, width: int, depth: int, out_dim: int) -> None:
        super().__init__()
        blocks, dim = [], in_dim
        for _ in range(depth):
            blocks.append(_Residual(dim, width))
            dim += width
        self.body = nn.Sequential(*blocks)
        self.head = nn.Linear(dim, out_dim)

    def forward(self, x: "torch.Tensor") -> "torch.Tensor":
        return self.head(self.body(x))


class _Critic(nn.Module):
    """Scores packs of ``pac`` rows at once (PacGAN)."""

    def __init__(self, row_dim: int, width: int, depth: int, pac: int, dropout: float) -> None:
        super().__init__()
        self.pack_dim = row_dim * pac
        layers: list[nn.Module] = []
        dim = self.pack_dim
        for _ in range(depth):
            layers += [nn.Linear(dim, width), nn.LeakyReLU(0.2), nn.Dropout(dropout)]
            dim = width
        layers.append(nn.Linear(dim, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, rows: "torch.Tensor") -> "torch.Tensor":
        return self.net(rows.reshape(-1, self.pack_dim))


# ---------------------------------------------------------------- column transforms


def _fit_numeric(values: np.ndarray, kind: Kind, params: GanParams, rng: np.random.Generator) -> dict:
    """Standardization and mixture modes of one numeric-like column (encoded units)."""
    finite = values[~np.isnan(values)]
    transform = {"type": "numeric", "nullable": bool(finite.size < values.size or finite.size == 0),
                 "step": 0.5 if kind in _WHOLE else 0.0, "center": 0.0, "scale": 1.0,
                 "means": [], "stds": [], "weights": [], "spikes": False}
    if finite.size == 0:
        return transform
    center = float(np.median(finite))
    scale = float(np.std(finite - center)) or 1.0
    means, stds, weights, spikes = _fit_modes((finite - center) / scale, params, rng)
    transform.update(center=center, scale=scale, means=means, stds=stds, weights=weights, spikes=spikes)
    return transform


def _fit_modes(z: np.ndarray, params: GanParams, rng: np.random.Generator) -> tuple[list, list, list, bool]:
    """(means, stds, weights, spikes) of the column's modes in standardized units.

    A column with at most ``max_modes`` distinct values gets one exact mode per value (spikes:
    ratings, quantities, list prices come back verbatim). Otherwise a Gaussian mixture whose size
    is chosen by BIC on a subsample: a variational Dirichlet-process mixture kept 9 overlapping
    modes for a plain normal, and a mode drawn at random among overlapping ones hides correlations.
    """
    distinct, counts = np.unique(z, return_counts=True)
    if distinct.size <= params.max_modes:
        return distinct.tolist(), [_MIN_STD] * distinct.size, (counts / counts.sum()).tolist(), True
    from sklearn.mixture import GaussianMixture

    sample = (z if z.size <= params.mode_rows else rng.choice(z, params.mode_rows, replace=False)).reshape(-1, 1)
    seed = int(rng.integers(2**31 - 1))
    best, best_bic = None, np.inf
    for k in range(1, params.max_modes + 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence warnings on near-degenerate data
            mixture = GaussianMixture(k, max_iter=100, random_state=seed).fit(sample)
        bic = mixture.bic(sample)
        if bic < best_bic:
            best, best_bic = mixture, bic
        elif k >= best.n_components + 2:  # two more modes did not help: stop looking
            break
    keep = best.weights_ > _MIN_MODE_WEIGHT
    order = np.argsort(best.means_[keep, 0])
    weights = best.weights_[keep][order]
    stds = np.maximum(np.sqrt(best.covariances_.reshape(-1)[keep][order]), _MIN_STD)
    return best.means_[keep, 0][order].tolist(), stds.tolist(), (weights / weights.sum()).tolist(), False


def _mode_log_probs(z: np.ndarray, transform: Mapping) -> np.ndarray:
    """(rows, modes) unnormalized log posterior of each mode for standardized values ``z``."""
    means, stds = np.asarray(transform["means"]), np.asarray(transform["stds"])
    gap = (z[:, None] - means) / stds
    return np.log(np.asarray(transform["weights"])) - np.log(stds) - 0.5 * gap**2


def _numeric_parts(values: np.ndarray, transform: Mapping, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(alpha, slot) per row; a mode is drawn from its posterior, nulls take the last slot."""
    modes = len(transform["means"])
    slot = np.full(values.size, modes, dtype=np.int64)
    alpha = np.zeros(values.size, dtype=np.float32)
    present = np.flatnonzero(~np.isnan(values))
    if present.size == 0 or modes == 0:
        return alpha, slot
    z = (values[present] - transform["center"]) / transform["scale"]
    if transform["spikes"]:
        slot[present] = _nearest(z, np.asarray(transform["means"]))
        return alpha, slot
    logp = _mode_log_probs(z, transform)
    prob = np.exp(logp - logp.max(axis=1, keepdims=True))
    cum = np.cumsum(prob, axis=1)
    chosen = np.minimum((cum < rng.random(z.size)[:, None] * cum[:, -1:]).sum(axis=1), modes - 1)
    spread = _ALPHA_SPAN * np.asarray(transform["stds"])[chosen]
    slot[present] = chosen
    alpha[present] = np.clip((z - np.asarray(transform["means"])[chosen]) / spread, -0.99, 0.99)
    return alpha, slot


def _nearest(z: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Index of the nearest of the sorted ``points`` for each value."""
    if points.size == 1:
        return np.zeros(z.size, dtype=np.int64)
    right = np.clip(np.searchsorted(points, z), 1, points.size - 1)
    left = right - 1
    return np.where(z - points[left] <= points[right] - z, left, right)


def _numeric_values(alpha: np.ndarray, slot: np.ndarray, transform: Mapping) -> np.ndarray:
    """Encoded values back from (alpha, slot); the null slot gives NaN."""
    means, stds = np.asarray(transform["means"] + [np.nan]), np.asarray(transform["stds"] + [np.nan])
    z = means[slot] if transform["spikes"] else alpha.astype(np.float64) * _ALPHA_SPAN * stds[slot] + means[slot]
    return z * transform["scale"] + transform["center"]


def _fit_discrete(codes: np.ndarray, n_codes: int, limit: int) -> tuple[dict, np.ndarray]:
    """Slots for one categorical/boolean column, and the counts of the values lumped as "other"."""
    present = codes[~np.isnan(codes)].astype(np.int64)
    counts = np.bincount(present, minlength=n_codes)
    top = min(n_codes, limit)
    transform = {"type": "discrete", "top": top, "other": bool(n_codes > top),
                 "nullable": bool(present.size < codes.size or present.size == 0), "freq": counts[:top].tolist()}
    return transform, counts[top:].astype(np.int64)


def _discrete_slots(codes: np.ndarray, transform: Mapping) -> np.ndarray:
    """Top values keep their code, the rest share "other", nulls the last slot."""
    top = transform["top"]
    null_slot = top + int(transform["other"])
    filled = np.nan_to_num(codes, nan=-1).astype(np.int64)
    return np.where(filled < 0, null_slot, np.minimum(filled, top)).astype(np.int64)


def _discrete_values(slot: np.ndarray, transform: Mapping, tail: np.ndarray,
                     rng: np.random.Generator) -> np.ndarray:
    """Codes back from slots; "other" draws a rare value by its real frequency."""
    top = transform["top"]
    codes = slot.astype(np.float64)
    codes[slot > top - (0 if transform["other"] else 1)] = np.nan  # the null slot
    if transform["other"]:
        lumped = np.flatnonzero(slot == top)
        cum = np.cumsum(tail)
        codes[lumped] = top + np.searchsorted(cum, rng.random(lumped.size) * cum[-1], side="right")
    return codes


def _slot_count(transform: Mapping) -> int:
    if transform["type"] == "numeric":
        return len(transform["means"]) + int(transform["nullable"])
    return transform["top"] + int(transform["other"]) + int(transform["nullable"])


# ---------------------------------------------------------------- context features


def _fit_context(values: np.ndarray, meta: Mapping, limit: int) -> dict:
    """Quantile grid of a numeric context column, or the top codes of a discrete one."""
    kind = Kind(meta["kind"])
    if kind in _DISCRETE:
        n_codes = len(meta["categories"]) if kind == Kind.CATEGORICAL else 2
        return {"type": "discrete", "top": min(n_codes, limit), "other": bool(n_codes > limit)}
    finite = values[~np.isnan(values)]
    grid = np.quantile(finite, np.linspace(0, 1, _QUANTILES)) if finite.size else np.zeros(1)
    return {"type": "numeric", "grid": grid.tolist()}


def _context_features(values: np.ndarray, transforms: list[dict]) -> np.ndarray:
    """(rows, features) float32: each context column as [-1, 1] numbers or one-hots, plus a null flag."""
    blocks = []
    for j, transform in enumerate(transforms):
        column = values[:, j]
        null = np.isnan(column)
        if transform["type"] == "numeric":
            grid = np.asarray(transform["grid"])
            scaled = np.interp(np.nan_to_num(column), grid, np.linspace(-1, 1, grid.size)) if grid.size > 1 \
                else np.zeros(column.size)
            blocks.append(np.where(null, 0.0, scaled)[:, None])
        else:
            slots = transform["top"] + int(transform["other"])
            code = np.minimum(np.nan_to_num(column, nan=-1), transform["top"]).astype(np.int64)
            blocks.append((code[:, None] == np.arange(slots)) & ~null[:, None])
        blocks.append(null[:, None])
    if not blocks:
        return np.zeros((values.shape[0], 0), dtype=np.float32)
    return np.hstack(blocks).astype(np.float32)


def _context_width(transforms: list[dict]) -> int:
    return sum(2 if t["type"] == "numeric" else t["top"] + int(t["other"]) + 1 for t in transforms)


# ---------------------------------------------------------------- row layout


@dataclass(frozen=True)
class _Layout:
    """Where each column sits in the generator's output and in the conditional vector."""

    alpha_at: np.ndarray     # output position of each numeric column's scalar (in numeric-column order)
    start: np.ndarray        # output position of each column's first slot
    size: np.ndarray         # slots per column
    numeric: np.ndarray      # column indices of numeric columns
    discrete: np.ndarray     # column indices of discrete columns
    cond_start: np.ndarray   # position of each discrete column's block in the conditional vector
    unseen: np.ndarray       # output positions of discrete values never seen in training (never drawn)
    width: int
    cond_width: int

    @classmethod
    def of(cls, transforms: list[dict]) -> "_Layout":
        alpha_at, start, size, numeric, discrete, cond_start, unseen = [], [], [], [], [], [], []
        position = cond = 0
        for j, transform in enumerate(transforms):
            if transform["type"] == "numeric":
                numeric.append(j)
                alpha_at.append(position)
                position += 1
            else:
                discrete.append(j)
                cond_start.append(cond)
                unseen += [position + k for k, count in enumerate(transform["freq"]) if count == 0]
                cond += _slot_count(transform)
            start.append(position)
            size.append(_slot_count(transform))
            position += size[-1]
        as_int = lambda xs: np.asarray(xs, dtype=np.int64)  # noqa: E731
        return cls(as_int(alpha_at), as_int(start), as_int(size), as_int(numeric), as_int(discrete),
                   as_int(cond_start), as_int(unseen), position, cond)


def _activate(raw: "torch.Tensor", layout: _Layout, tau: float = 0.2) -> "torch.Tensor":
    """Training output: tanh scalars, Gumbel-softmax slots (differentiable, nearly one-hot)."""
    pieces = []
    numeric = set(layout.numeric.tolist())
    for j, (start, size) in enumerate(zip(layout.start.tolist(), layout.size.tolist())):
        if j in numeric:
            pieces.append(torch.tanh(raw[:, start - 1:start]))
        pieces.append(F.gumbel_softmax(raw[:, start:start + size], tau=tau, hard=False))
    return torch.cat(pieces, dim=1)


# ---------------------------------------------------------------- training-by-sampling


class _CondSampler:
    """Draws training rows with their conditional vectors (as per-column target slots, -1 when hidden)."""

    def __init__(self, slots: np.ndarray, sizes: np.ndarray, params: GanParams) -> None:
        self.slots = slots  # (rows, discrete columns)
        self.free_share = params.free_share if slots.shape[1] else 1.0
        self.order, self.first, self.count, self.cum = [], [], [], []
        for d, size in enumerate(sizes.tolist()):
            count = np.bincount(slots[:, d], minlength=size)
            self.order.append(np.argsort(slots[:, d], kind="stable"))
            self.first.append(np.cumsum(count) - count)
            self.count.append(count)
            self.cum.append(np.cumsum(np.log1p(count)))  # log-frequency: rare values get their turn

    def draw(self, batch: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        n_rows, n_discrete = self.slots.shape
        rows = rng.integers(n_rows, size=batch)
        targets = np.full((batch, n_discrete), -1, dtype=np.int64)
        if n_discrete == 0:
            return rows, targets
        conditioned = rng.random(batch) >= self.free_share
        column = rng.integers(n_discrete, size=batch)
        for d in range(n_discrete):
            mine = np.flatnonzero(conditioned & (column == d))
            cum = self.cum[d]
            slot = np.searchsorted(cum, rng.random(mine.size) * cum[-1], side="right")
            offset = (rng.random(mine.size) * self.count[d][slot]).astype(np.int64)
            rows[mine] = self.order[d][self.first[d][slot] + offset]
        # the other discrete values are revealed at a rate drawn per row, so every pattern from
        # "this column only" (fixing one column) to "all of them" (sampling's second pass) is seen
        rate = rng.random(batch)[:, None]
        shown = conditioned[:, None] & ((column[:, None] == np.arange(n_discrete))
                                        | (rng.random((batch, n_discrete)) < rate))
        targets[shown] = self.slots[rows][shown]
        return rows, targets


# ---------------------------------------------------------------- the table model


@register("gan")
class GanModel:
    """Conditional tabular GAN with mode-specific normalization; CUDA when available, else CPU."""

    family: ClassVar[str] = "gan"

    def __init__(self, *, params: GanParams | None = None, **overrides: Any) -> None:
        base = params or GanParams()
        self.params = GanParams(**{**asdict(base), **overrides})
        self._columns: list[str] = []
        self._metas: dict[str, dict] = {}
        self._transforms: list[dict] = []
        self._tails: dict[int, np.ndarray] = {}
        self._context_metas: dict[str, dict] = {}
        self._context_transforms: list[dict] = []
        self._layout = _Layout.of([])
        self._generator: _Generator | None = None
        self._device = _device()
        self._fitted = False

    # -- fit

    def fit(self, table: pd.DataFrame, *, kinds: Mapping[str, Kind], context: pd.DataFrame | None = None,
            context_kinds: Mapping[str, Kind] | None = None, rng: np.random.Generator, k: int = 1,
            groups: Mapping[str, np.ndarray] | None = None, exact: Collection[str] = ()) -> None:
        table, context, self._metas, grouped = training_rows(table, kinds, context, max_rows=self.params.max_rows,
                                                             rng=rng, groups=groups)
        self._columns = list(self._metas)
        # modes, quantile grids and exact values are learned from numbers no fewer than k rows share
        encoded = private_table(encode_frame(table, self._metas, what="table"), self._metas, k, rng, grouped, exact)
        self._fit_transforms(encoded, rng)
        self._context_metas = analyze_frame(context, context_kinds or {}) if context is not None else {}
        context_values = (encode_frame(context, self._context_metas) if self._context_metas
                          else np.zeros((len(table), 0)))
        context_values = private_rows(context_values, numeric_columns(list(self._context_metas.values())), k, rng,
                                      periods_of([m["kind"] for m in self._context_metas.values()]))
        self._context_transforms = [_fit_context(context_values[:, j], meta, self.params.context_categories)
                                    for j, meta in enumerate(self._context_metas.values())]
        alphas, slots = self._row_parts(encoded, rng)
        with _seeded(rng, self.params.threads):  # weight init, noise and dropout: all from the seeded generator
            self._generator = self._new_generator()
            if len(table) and self._columns:
                self._train(alphas, slots, _context_features(context_values, self._context_transforms), rng)
        self._fitted = True

    def _fit_transforms(self, encoded: np.ndarray, rng: np.random.Generator) -> None:
        self._transforms, self._tails = [], {}
        for j, column in enumerate(self._columns):
            meta = self._metas[column]
            kind = Kind(meta["kind"])
            if kind in _DISCRETE:
                n_codes = len(meta["categories"]) if kind == Kind.CATEGORICAL else 2
                transform, tail = _fit_discrete(encoded[:, j], n_codes, self.params.max_categories)
                if transform["other"]:
                    self._tails[j] = tail
            else:
                transform = _fit_numeric(encoded[:, j], kind, self.params, rng)
            self._transforms.append(transform)
        self._layout = _Layout.of(self._transforms)

    def _row_parts(self, encoded: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(rows, numeric columns) scalars and (rows, columns) slots: the compact training data."""
        layout = self._layout
        alphas = np.zeros((encoded.shape[0], layout.numeric.size), dtype=np.float32)
        slots = np.zeros(encoded.shape, dtype=np.int64)
        for j, transform in enumerate(self._transforms):
            if transform["type"] == "numeric":
                k = int(np.searchsorted(layout.numeric, j))
                alphas[:, k], slots[:, j] = _numeric_parts(encoded[:, j], transform, rng)
            else:
                slots[:, j] = _discrete_slots(encoded[:, j], transform)
        return alphas, slots

    def _new_generator(self) -> _Generator:
        return self._network().to(self._device)

    def _network(self) -> _Generator:
        layout = self._layout
        in_dim = self.params.noise_dim + layout.cond_width + _context_width(self._context_transforms)
        return _Generator(in_dim, self.params.width, self.params.depth, max(layout.width, 1))

    def _train(self, alphas: np.ndarray, slots: np.ndarray, context: np.ndarray, rng: np.random.Generator) -> None:
        params, layout, device = self.params, self._layout, self._device
        n_rows = slots.shape[0]
        pac, batch = params.batch_shape(n_rows)
        generator = self._generator
        critic = _Critic(layout.width + layout.cond_width + context.shape[1], params.width, params.depth,
                         pac, params.dropout).to(device)
        adam = {"lr": params.learning_rate, "betas": (0.5, 0.9), "weight_decay": 1e-6, "foreach": True}
        g_opt, c_opt = torch.optim.Adam(generator.parameters(), **adam), torch.optim.Adam(critic.parameters(), **adam)
        sampler = _CondSampler(slots[:, layout.discrete], layout.size[layout.discrete], params)
        hot = torch.as_tensor(slots + layout.start, device=device)  # output position of each row's slots
        alphas_t, context_t = torch.as_tensor(alphas, device=device), torch.as_tensor(context, device=device)
        alpha_at = torch.as_tensor(layout.alpha_at, device=device)
        steps = params.steps(n_rows, batch)
        average = _WeightAverage(generator, steps)
        generator.train()
        for _ in range(steps):
            rows, targets = sampler.draw(batch, rng)
            rows_t, targets_t = torch.as_tensor(rows, device=device), torch.as_tensor(targets, device=device)
            given = torch.cat([self._cond_vector(targets_t), context_t[rows_t]], dim=1)
            real = torch.zeros(batch, layout.width, device=device).scatter_(1, hot[rows_t], 1.0)
            real[:, alpha_at] = alphas_t[rows_t]
            self._critic_step(critic, c_opt, real, given, pac)
            self._generator_step(critic, g_opt, given, targets_t)
            average.update(generator)
        average.copy_to(generator)
        generator.eval()

    def _critic_step(self, critic: _Critic, optimizer: "torch.optim.Optimizer", real: "torch.Tensor",
                     given: "torch.Tensor", pac: int) -> None:
        """One WGAN-GP update: real rows up, generated rows down, gradients near norm 1 in between."""
        with torch.no_grad():  # the generator is not updated here: no graph needed
            fake = _activate(self._generator(self._generator_input(given)), self._layout)
        real_in, fake_in = torch.cat([real, given], 1), torch.cat([fake, given], 1)
        loss = critic(fake_in).mean() - critic(real_in).mean() \
            + self.params.gradient_penalty * _gradient_penalty(critic, real_in, fake_in, pac)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    def _generator_step(self, critic: _Critic, optimizer: "torch.optim.Optimizer", given: "torch.Tensor",
                        targets: "torch.Tensor") -> None:
        """One generator update: fool the critic and obey the conditional vector."""
        raw = self._generator(self._generator_input(given))
        fake = _activate(raw, self._layout)
        loss = -critic(torch.cat([fake, given], 1)).mean() + self._cond_loss(raw, targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    def _generator_input(self, given: "torch.Tensor") -> "torch.Tensor":
        noise = torch.randn(given.shape[0], self.params.noise_dim, device=given.device)
        return torch.cat([noise, given], dim=1)

    def _cond_vector(self, targets: "torch.Tensor") -> "torch.Tensor":
        """One-hot conditional vector from per-discrete-column target slots (-1: not given)."""
        layout = self._layout
        cond = torch.zeros(targets.shape[0], layout.cond_width, device=targets.device)
        if targets.shape[1]:
            at = torch.as_tensor(layout.cond_start, device=targets.device) + targets.clamp(min=0)
            cond.scatter_(1, at, (targets >= 0).float())
        return cond

    def _cond_loss(self, raw: "torch.Tensor", targets: "torch.Tensor") -> "torch.Tensor":
        """Cross-entropy of the generated slots against the revealed ones, per row."""
        layout = self._layout
        loss = raw.new_zeros(raw.shape[0])
        for d, j in enumerate(layout.discrete.tolist()):
            start, size = int(layout.start[j]), int(layout.size[j])
            target = targets[:, d]
            ce = F.cross_entropy(raw[:, start:start + size], target.clamp(min=0), reduction="none")
            loss = loss + ce * (target >= 0)
        return loss.mean()

    # -- sample

    def sample(self, *, n: int | None = None, context: pd.DataFrame | None = None,
               rng: np.random.Generator, fixed: pd.DataFrame | None = None) -> pd.DataFrame:
        if not self._fitted:
            raise ModelError("the model is not fitted yet", hint="call fit() (or train) before sampling")
        n = self._rows_to_sample(n, context, fixed)
        features = self._context_input(context, n)
        fixed_values, fixed_mask = self._fixed_cells(fixed, n)
        cond_targets = self._fixed_targets(fixed_values, fixed_mask)
        with _seeded(rng, self.params.threads):
            values, slots = self._draw(features, cond_targets, rng)
            if fixed_mask.any():
                values, unmatched = self._match_fixed(values, slots, features, cond_targets,
                                                      fixed_values, fixed_mask, rng)
                if unmatched:
                    warnings.warn(f"gan: {unmatched} of {n} rows found no draw matching their fixed values; "
                                  "the fixed values were set anyway, so the other columns of those rows may not "
                                  "fit them (the 'trees' family conditions exactly: try it for this table)",
                                  stacklevel=2)
        values[fixed_mask] = fixed_values[fixed_mask]
        columns = {}
        for j, name in enumerate(self._columns):
            meta = _loosened(self._metas[name], fixed_values[fixed_mask[:, j], j])
            columns[name] = encoding.decode(values[:, j], meta, name=name).reset_index(drop=True)
        return pd.DataFrame(columns, index=pd.RangeIndex(n), columns=self._columns)

    def _rows_to_sample(self, n: int | None, context: pd.DataFrame | None, fixed: pd.DataFrame | None) -> int:
        if self._context_metas and context is None:
            raise ModelError("this model was trained with parent context: pass context= to sample")
        given = {"context": len(context) if context is not None else None,
                 "fixed": len(fixed) if fixed is not None else None}
        lengths = {v for v in given.values() if v is not None}
        if len(lengths) > 1:
            raise ModelError(f"context has {given['context']} rows but fixed has {given['fixed']}",
                             hint="context and fixed are row-aligned with the output: give them the same length")
        if not lengths:
            if n is None or n < 0:
                raise ModelError("pass n (the number of rows), context or fixed to sample")
            return int(n)
        rows = lengths.pop()
        if n is not None and n != rows:
            raise ModelError(f"n={n} but context/fixed have {rows} rows: one row is sampled per given row")
        return rows

    def _context_input(self, context: pd.DataFrame | None, n: int) -> "torch.Tensor":
        values = encode_frame(context, self._context_metas) if self._context_metas else np.zeros((n, 0))
        return torch.as_tensor(_context_features(values, self._context_transforms), device=self._device)

    def _draw(self, features: "torch.Tensor", targets: np.ndarray,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Encoded values (rows, columns) and their slots, in two generator passes.

        The first pass draws the discrete columns (given the context and the ``targets``); the
        second draws the numbers with every discrete value in the conditional vector. The
        conditional path learns "category -> price" much sooner than the unconditioned joint.
        """
        layout = self._layout
        alphas, slots = self._generate(features, targets)
        if layout.discrete.size and layout.numeric.size:
            drawn = slots[:, layout.discrete]
            alphas, second = self._generate(features, np.where(targets >= 0, targets, drawn))
            slots[:, layout.numeric] = second[:, layout.numeric]
        values = np.empty(slots.shape, dtype=np.float64)
        for j, transform in enumerate(self._transforms):
            if transform["type"] == "numeric":
                k = int(np.searchsorted(layout.numeric, j))
                values[:, j] = _numeric_values(alphas[:, k], slots[:, j], transform)
            else:
                values[:, j] = _discrete_values(slots[:, j], transform, self._tails.get(j, np.zeros(0)), rng)
        return values, slots

    def _generate(self, features: "torch.Tensor", targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One generator pass: (rows, numeric columns) scalars and (rows, columns) drawn slots."""
        layout = self._layout
        alpha_at = torch.as_tensor(layout.alpha_at, device=self._device)
        n = features.shape[0]
        alphas = np.zeros((n, layout.numeric.size), dtype=np.float32)
        slots = np.zeros((n, len(self._columns)), dtype=np.int64)
        with torch.no_grad():
            for lo in range(0, n, _CHUNK):
                part = slice(lo, min(lo + _CHUNK, n))
                given = torch.cat([self._cond_vector(torch.as_tensor(targets[part], device=self._device)),
                                   features[part]], dim=1)
                raw = self._generator(self._generator_input(given))
                alphas[part] = torch.tanh(raw[:, alpha_at]).cpu().numpy()
                slots[part] = _pick_slots(raw, layout).cpu().numpy()
        return alphas, slots

    # -- fixed cells

    def _fixed_cells(self, fixed: pd.DataFrame | None, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Encoded fixed values (rows, columns) and which cells are fixed; unseen categories refused."""
        values = np.full((n, len(self._columns)), np.nan)
        if fixed is None:
            return values, np.zeros(values.shape, dtype=bool)
        unknown = [str(c) for c in fixed.columns if str(c) not in self._metas]
        if unknown:
            raise ModelError(f"fixed names column(s) the model does not learn: {', '.join(unknown)}",
                             hint=f"fix only modeled columns: {', '.join(self._columns)}")
        fixed = fixed.set_axis([str(c) for c in fixed.columns], axis=1)
        for j, column in enumerate(self._columns):
            if column in fixed.columns:
                values[:, j] = encoding.encode(fixed[column].reset_index(drop=True), self._metas[column])
                self._check_fixed(column, fixed[column], values[:, j], self._transforms[j])
        return values, ~np.isnan(values)

    def _check_fixed(self, column: str, given: pd.Series, encoded: np.ndarray, transform: Mapping) -> None:
        lost = given.notna().to_numpy() & np.isnan(encoded)
        if transform["type"] == "discrete":
            codes = np.nan_to_num(encoded, nan=-1).astype(np.int64)
            in_top = (codes >= 0) & (codes < transform["top"])
            freq = np.asarray(transform["freq"] or [0], dtype=np.int64)
            lost |= in_top & (freq[np.where(in_top, codes, 0)] == 0)
        if lost.any():
            value = given[lost].iloc[0]
            raise ModelError(f"fixed value {value!r} of column {column!r} was never seen in training",
                             hint="fix only values the table had, or train the model on data that has them")

    def _fixed_targets(self, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Conditional-vector slots (rows, discrete columns) for fixed categoricals/booleans; -1 elsewhere."""
        layout = self._layout
        targets = np.full((values.shape[0], layout.discrete.size), -1, dtype=np.int64)
        for d, j in enumerate(layout.discrete.tolist()):
            slots = _discrete_slots(values[:, j], self._transforms[j])
            targets[:, d] = np.where(mask[:, j], slots, -1)
        return targets

    def _match_fixed(self, values: np.ndarray, slots: np.ndarray, features: "torch.Tensor", targets: np.ndarray,
                     fixed_values: np.ndarray, fixed_mask: np.ndarray,
                     rng: np.random.Generator) -> tuple[np.ndarray, int]:
        """Redraw rows whose draw does not fit their fixed cells; returns the values and how many never fit."""
        widths = self._match_widths(fixed_values, fixed_mask)
        todo = np.flatnonzero(~self._fits(values, slots, targets, fixed_values, fixed_mask, widths))
        k = self.params.fixed_candidates
        for round_ in range(1, self.params.fixed_rounds + 1):
            if todo.size == 0:
                break
            repeat = np.repeat(todo, k)
            tries, try_slots = self._draw(features[torch.as_tensor(repeat, device=self._device)], targets[repeat], rng)
            fits = self._fits(tries, try_slots, targets[repeat], fixed_values[repeat], fixed_mask[repeat],
                              widths[repeat] * 1.25**round_).reshape(todo.size, k)
            hit = fits.any(axis=1)
            first = np.arange(todo.size) * k + fits.argmax(axis=1)
            values[todo[hit]] = tries[first[hit]]
            todo = todo[~hit]
        return values, int(todo.size)

    def _match_widths(self, fixed_values: np.ndarray, fixed_mask: np.ndarray) -> np.ndarray:
        """Per fixed numeric cell: how far a draw may land from it (tolerance × its mode's std)."""
        widths = np.zeros(fixed_values.shape)
        for j in self._layout.numeric.tolist():
            transform, rows = self._transforms[j], np.flatnonzero(fixed_mask[:, j])
            if rows.size == 0 or not transform["means"]:
                continue
            z = (fixed_values[rows, j] - transform["center"]) / transform["scale"]
            mode = _mode_log_probs(z, transform).argmax(axis=1)
            std = np.asarray(transform["stds"])[mode] * transform["scale"]
            widths[rows, j] = np.maximum(self.params.fixed_tolerance * std, transform["step"])
        return widths

    def _fits(self, values: np.ndarray, slots: np.ndarray, targets: np.ndarray, fixed_values: np.ndarray,
              fixed_mask: np.ndarray, widths: np.ndarray) -> np.ndarray:
        """Rows whose every fixed cell is matched: same slot (discrete) or within the width (numbers)."""
        layout = self._layout
        ok = np.ones(values.shape[0], dtype=bool)
        for d, j in enumerate(layout.discrete.tolist()):
            ok &= (targets[:, d] < 0) | (slots[:, j] == targets[:, d])
        for j in layout.numeric.tolist():
            near = np.abs(values[:, j] - fixed_values[:, j]) <= widths[:, j]  # NaN draws never match
            ok &= ~fixed_mask[:, j] | near
        return ok

    # -- storage

    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        arrays = {f"tail.{j}": tail for j, tail in self._tails.items()}
        if self._generator is not None:
            arrays.update({f"generator.{name}": tensor.detach().cpu().numpy().astype(np.float32)
                           for name, tensor in self._generator.state_dict().items()})
        meta = {"family": self.family, "params": self.params.to_meta(), "fitted": self._fitted,
                "columns": self._columns, "column_meta": [self._metas[c] for c in self._columns],
                "transforms": self._transforms, "tails": sorted(self._tails),
                "context_columns": list(self._context_metas), "context_meta": list(self._context_metas.values()),
                "context_transforms": self._context_transforms}
        return meta, arrays

    @classmethod
    def from_state(cls, meta: dict, arrays: Mapping[str, np.ndarray]) -> "GanModel":
        model = cls(params=GanParams.from_meta(meta.get("params", {})))
        model._columns = list(meta["columns"])
        model._metas = dict(zip(model._columns, meta["column_meta"]))
        model._transforms = list(meta["transforms"])
        model._layout = _Layout.of(model._transforms)
        model._tails = {int(j): np.asarray(arrays[f"tail.{j}"], dtype=np.int64) for j in meta["tails"]}
        model._context_metas = dict(zip(meta["context_columns"], meta["context_meta"]))
        model._context_transforms = list(meta["context_transforms"])
        model._fitted = bool(meta.get("fitted", True))
        if model._fitted:
            stored = fitting_weights(model._network, arrays, "generator.")
            model._generator = model._new_generator()
            model._generator.load_state_dict({name: torch.tensor(np.asarray(value)) for name, value in stored.items()})
            model._generator.eval()
        return model


class _WeightAverage:
    """Exponential moving average of the generator's weights, sampled from after training.

    GAN outputs oscillate from step to step (a marginal share swings by several points); the
    average over the last tenth of training is steadier than wherever the last step landed.
    """

    def __init__(self, module: nn.Module, steps: int) -> None:
        self.decay = float(np.clip(1 - 10 / max(steps, 1), 0.9, 0.999))
        self.weights = [p.detach().clone() for p in module.parameters()]

    @torch.no_grad()
    def update(self, module: nn.Module) -> None:
        for average, current in zip(self.weights, module.parameters()):
            average.lerp_(current, 1 - self.decay)

    @torch.no_grad()
    def copy_to(self, module: nn.Module) -> None:
        for average, current in zip(self.weights, module.parameters()):
            current.copy_(average)


def _gradient_penalty(critic: _Critic, real: "torch.Tensor", fake: "torch.Tensor", pac: int) -> "torch.Tensor":
    """WGAN-GP on points between real and fake packs (one mixing weight per pack)."""
    packs = real.shape[0] // pac
    mix = torch.rand(packs, 1, 1, device=real.device).expand(packs, pac, 1).reshape(-1, 1)
    between = (mix * real + (1 - mix) * fake).requires_grad_(True)
    grad = torch.autograd.grad(critic(between).sum(), between, create_graph=True)[0]
    return ((grad.reshape(packs, -1).norm(dim=1) - 1) ** 2).mean()


def _pick_slots(raw: "torch.Tensor", layout: _Layout) -> "torch.Tensor":
    """One slot per column, drawn from the softmax of its logits (Gumbel-max)."""
    noisy = raw - torch.log(-torch.log(torch.rand_like(raw).clamp(1e-12, 1 - 1e-7)))
    noisy[:, torch.as_tensor(layout.unseen, device=raw.device)] = -torch.inf
    picks = [noisy[:, s:s + k].argmax(dim=1) for s, k in zip(layout.start.tolist(), layout.size.tolist())]
    if not picks:
        return torch.zeros(raw.shape[0], 0, dtype=torch.int64, device=raw.device)
    return torch.stack(picks, dim=1)


def _loosened(meta: Mapping, fixed: np.ndarray) -> Mapping:
    """Decoding meta that leaves fixed values as given (range widened, finer rounding if they need it)."""
    if fixed.size == 0:
        return meta
    meta = dict(meta)
    if meta.get("min") is not None:
        meta["min"], meta["max"] = min(meta["min"], float(fixed.min())), max(meta["max"], float(fixed.max()))
    if meta["kind"] in (Kind.FLOAT.value, Kind.DECIMAL.value) and meta.get("scale") is not None:
        while meta["scale"] < 12 and not np.allclose(np.round(fixed, meta["scale"]), fixed, rtol=1e-12, atol=0):
            meta["scale"] += 1
        if meta["kind"] == Kind.FLOAT.value and meta["scale"] >= 12:
            meta["scale"] = None
    if meta["kind"] == Kind.DATETIME.value and np.any(np.round(fixed) % int(meta.get("resolution_us") or 1)):
        meta["resolution_us"] = 1
    return meta


__all__ = ["GanModel", "GanParams"]
