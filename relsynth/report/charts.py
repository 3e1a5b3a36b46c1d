"""What the HTML draws, computed once: shared-bin histograms, top-category bars, children counts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from relsynth.report.result import Histogram
from relsynth.schema.kinds import Kind

BINS = 24               # numeric histogram bins (shared by both sides)
TOP = 12                # categories drawn, the rest is "other"
MAX_INTEGER_BARS = 30   # an integer column with a range this small gets one bar per value
MAX_COUNT_BARS = 15     # children per parent: one bar per count up to 15, then ranges
NULL = "NULL"


def numeric_histogram(real: np.ndarray, synth: np.ndarray, kind: Kind | None) -> Histogram:
    """Shares of each side's rows in bins over the two sides' common range (0.5-99.5% quantiles:
    outliers land in the edge bins), plus a NULL bar when there are NULLs."""
    present = np.concatenate([real[~np.isnan(real)], synth[~np.isnan(synth)]])
    ticks: tuple[str, ...] = ()
    if len(present) == 0:
        edges = np.array([0.0, 1.0])
        labels = [""]
    elif kind in (Kind.INTEGER, None) and np.all(present % 1 == 0) and np.ptp(present) < MAX_INTEGER_BARS:
        lo, hi = present.min(), present.max()
        edges = np.arange(lo - 0.5, hi + 1.0, 1.0)
        labels = [f"{v:.0f}" for v in np.arange(lo, hi + 1)]
    else:
        lo, hi = np.quantile(present, [0.005, 0.995])
        if hi <= lo:
            lo, hi = present.min(), present.max()
        if hi <= lo:
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, BINS + 1)
        text = [format_value(v, kind, span=hi - lo) for v in edges]
        labels = [f"{a} – {b}" for a, b in zip(text[:-1], text[1:])]
        ticks = (text[0], format_value((lo + hi) / 2, kind, span=hi - lo), text[-1])
    real_shares, synth_shares = _binned(real, edges), _binned(synth, edges)
    if np.isnan(real).any() or np.isnan(synth).any():
        labels.append(NULL)
        real_shares.append(_share(np.isnan(real)))
        synth_shares.append(_share(np.isnan(synth)))
    return Histogram(tuple(labels), tuple(real_shares), tuple(synth_shares), ticks)


def _binned(values: np.ndarray, edges: np.ndarray) -> list[float]:
    present = np.clip(values[~np.isnan(values)], edges[0], edges[-1])
    counts, _ = np.histogram(present, bins=edges)
    return list(counts / len(values)) if len(values) else [0.0] * (len(edges) - 1)


def _share(mask: np.ndarray) -> float:
    return float(mask.mean()) if len(mask) else 0.0


def category_histogram(real: pd.Series, synth: pd.Series) -> Histogram:
    """The most frequent real categories, "other" (synthetic-only values included), NULL."""
    top = real.value_counts(dropna=True).index[:TOP]
    real_shares: list[float] = []
    synth_shares: list[float] = []
    for side, shares in ((real, real_shares), (synth, synth_shares)):
        counts = side.value_counts(dropna=True)
        n = max(len(side), 1)
        shares.extend(counts.reindex(top, fill_value=0).to_numpy() / n)
        shares.append(counts.drop(top, errors="ignore").sum() / n)
        shares.append(side.isna().sum() / n)
    labels = [str(v) for v in top] + ["other", NULL]
    keep = [i for i in range(len(labels)) if i < len(top) or real_shares[i] > 0 or synth_shares[i] > 0]
    return Histogram(tuple(labels[i] for i in keep), tuple(float(real_shares[i]) for i in keep),
                     tuple(float(synth_shares[i]) for i in keep))


def count_histogram(real: np.ndarray, synth: np.ndarray) -> Histogram:
    """Share of parents with 0, 1, 2, ... children; past ``MAX_COUNT_BARS``, 0 keeps its own bar and
    the counts above it share equal-width bars (``1–7``, ``8–14``, ...)."""
    peak = int(max(real.max(initial=0), synth.max(initial=0)))
    if peak <= MAX_COUNT_BARS:
        edges = np.arange(peak + 2)
    else:
        width = -(-peak // MAX_COUNT_BARS)  # ceil
        edges = np.concatenate([[0], np.arange(1, peak + width + 1, width)])
        edges = edges[: np.searchsorted(edges, peak, side="right") + 1]
    labels = tuple(str(a) if b - a == 1 else f"{a}–{b - 1}" for a, b in zip(edges[:-1], edges[1:]))

    def shares(counts: np.ndarray) -> tuple[float, ...]:
        if len(counts) == 0:
            return (0.0,) * len(labels)
        binned = np.searchsorted(edges, counts, side="right") - 1
        return tuple(float(v) for v in np.bincount(binned, minlength=len(labels))[: len(labels)] / len(counts))

    return Histogram(labels, shares(real), shares(synth))


def format_value(value: float, kind: Kind | None, *, span: float = 0.0) -> str:
    """A bin edge as the column's own kind of value: dates, times or a short number."""
    if kind in (Kind.DATETIME, Kind.DATE):
        try:
            stamp = pd.Timestamp(value, unit="s")
        except (ValueError, OverflowError):  # beyond any calendar: show the number
            return f"{value:.3g}"
        return stamp.strftime("%Y-%m-%d %H:%M" if kind == Kind.DATETIME and span < 3 * 86400 else "%Y-%m-%d")
    if kind == Kind.TIME:
        seconds = int(round(value))
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
        return f"{value:.3g}"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
