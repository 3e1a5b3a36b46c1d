"""Privacy: does the synthetic table copy real rows? Both numbers on the table's modeled columns.

- ``exact_match_share``: share of synthetic rows equal to some real row (ideal: near 0; a table of
  a few categories matches naturally, so the same share among the real rows themselves, a 20%
  holdout against the rest, is given as the baseline);
- distance to closest record (DCR): 20% of the real rows are held out and an equally large part
  of the rest is the "training" reference; ``dcr_share`` is the share of synthetic rows closer to
  the training part than to the holdout (ties count half; 0.5 is right, well above means the
  synthesizer memorized its training rows). The median synthetic-to-training distance is given
  beside the median holdout-to-training distance: a copy sits far below that real baseline;
- nearest-neighbour distance ratio (NNDR): per synthetic row, the distance to its nearest real
  (training-part) row over the distance to the second nearest; the median is given, and a value
  near 0 means rows sit on one real record rather than among several (real rows among themselves
  give the baseline);
- ``pii_found``: how many synthetic values are real ones, summed over ``real_values``, the
  per-column count of every identifying, quasi-identifying and free-text column
  (:mod:`relsynth.report.leaks`: identities equal to a real value of their kind anywhere in the
  real database, also inside text; free text, places and large categories equal to a value
  fewer than ``k`` real rows hold; quasi-identifiers within a day of such a value, beyond the
  chance level). Must be 0. A lone first or last name is not counted ("Smith" identifies no one,
  and a fake drawn from public name lists meets a real one by chance), a first and last name
  of one row together are;
- ``quasi_near``: how many synthetic rows lie within the privacy tolerances (``qi_days``,
  ``qi_share``; categories equal) of a real row that fewer than ``k`` real rows are near, on the
  quasi-identifiers (birth date, zip code, gender...): 0 on a relsynth clone of a table of at
  least ``protect.MIN_ROWS`` rows (None: fewer than two quasi-identifiers, or no tolerance).

Caveat: a synthesizer trained on *every* real row (``relsynth clone``) saw the holdout too, so its
``dcr_share`` is ~0.5 whatever it memorized; the medians still show a copy.
Distances: numeric columns scaled by the real standard deviation (NULL: the real mean plus a
NULL indicator), categories one-hot (the 20 most frequent real ones, "other", NULL).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors

from relsynth.config import PrivacyConfig
from relsynth.models import encoding
from relsynth.privacy import protect
from relsynth.report.leaks import RealValues
from relsynth.report.metrics import category_codes
from relsynth.report.values import NUMERIC
from relsynth.schema.kinds import Kind

HOLDOUT = 0.2
MIN_DCR_ROWS = 20
ONE_HOT = 20


@dataclass(frozen=True)
class Privacy:
    exact_match_share: float | None
    exact_match_baseline: float | None   # the same share, real holdout rows against the other real rows
    dcr_share: float | None
    dcr_synthetic_median: float | None   # synthetic row -> nearest training-part row
    dcr_real_median: float | None        # holdout row -> nearest training-part row
    columns: int
    nndr_median: float | None = None     # nearest / second-nearest training-part distance, synthetic rows
    nndr_real_median: float | None = None  # the same for holdout rows: the baseline
    pii_found: int | None = None         # synthetic values equal to a real one (the real_values' counted)
    quasi_near: int | None = None        # synthetic rows near a real row few real rows are near
    real_values: tuple[RealValues, ...] = ()   # per checked column: the exact real values found

    def to_dict(self) -> dict:
        r = lambda v: None if v is None else round(float(v), 4)  # noqa: E731
        return {"exact_match_share": r(self.exact_match_share), "exact_match_baseline": r(self.exact_match_baseline),
                "dcr_share": r(self.dcr_share), "dcr_synthetic_median": r(self.dcr_synthetic_median),
                "dcr_real_median": r(self.dcr_real_median), "nndr_median": r(self.nndr_median),
                "nndr_real_median": r(self.nndr_real_median), "pii_found": self.pii_found, "quasi_near": self.quasi_near, "columns": self.columns,
                "real_values": [c.to_dict() for c in self.real_values]}


def privacy(real: pd.DataFrame, synth: pd.DataFrame, families: dict[str, str], *, rng: np.random.Generator,
            max_rows: int) -> Privacy:
    """``real`` and ``synth``: comparable modeled columns, every row (the distances use at most
    ``max_rows`` rows of each side)."""
    if not families or len(real) == 0 or len(synth) == 0:
        return Privacy(None, None, None, None, None, len(families))
    real_hash, synth_hash = _row_hashes(real), _row_hashes(synth)
    exact = float(np.isin(synth_hash, real_hash).mean())
    order = rng.permutation(len(real))
    n_hold = max(1, int(round(HOLDOUT * len(real))))
    hold, rest = order[:n_hold], order[n_hold:]
    baseline = float(np.isin(real_hash[hold], real_hash[rest]).mean()) if len(rest) else None
    share = synth_median = real_median = nndr = nndr_real = None
    if len(real) >= MIN_DCR_ROWS:
        n_hold = max(1, int(round(HOLDOUT * min(len(real), max_rows))))
        used = real.iloc[order[:2 * n_hold]]          # the holdout, then the training part
        synth = synth.iloc[rng.permutation(len(synth))[:max_rows]]
        x_real, x_synth = _design(used, synth, families)
        hold, train = x_real[:n_hold], x_real[n_hold:]
        d_train, d_hold = _nearest(train, x_synth), _nearest(hold, x_synth)
        share = float(np.mean(d_train < d_hold) + 0.5 * np.mean(d_train == d_hold))
        synth_median = float(np.median(d_train))
        real_median = float(np.median(_nearest(train, hold)))
        nndr, nndr_real = _nndr(train, x_synth), _nndr(train, hold)
    return Privacy(exact, baseline, share, synth_median, real_median, len(families), nndr, nndr_real)


def quasi_near(real: pd.DataFrame, synth: pd.DataFrame, kinds: dict[str, Kind], settings: PrivacyConfig) -> int | None:
    """``quasi_near`` (see above); ``real`` and ``synth`` as read from the databases, ``kinds``
    the table's column kinds."""
    quasi = [c for c in protect.quasi_identifiers(kinds) if c in real.columns and c in synth.columns]
    if len(quasi) < 2 or settings.k <= 1 or real.empty:
        return None
    metas = {c: encoding.analyze(real[c], kinds[c]) for c in quasi}
    widths = protect.tolerances(quasi, metas, days=settings.qi_days, share=settings.qi_share)
    if not widths:
        return None
    return protect.count_near_rare(real, synth, quasi, metas, widths, k=settings.k)


def _nndr(reference: np.ndarray, query: np.ndarray) -> float | None:
    if len(reference) < 2:
        return None
    distances = NearestNeighbors(n_neighbors=2).fit(reference).kneighbors(query, return_distance=True)[0]
    ratio = np.divide(distances[:, 0], distances[:, 1], out=np.ones(len(query)), where=distances[:, 1] > 0)
    return float(np.median(ratio))


def _row_hashes(frame: pd.DataFrame) -> np.ndarray:
    return pd.util.hash_pandas_object(frame.reset_index(drop=True), index=False).to_numpy()


def _nearest(reference: np.ndarray, query: np.ndarray) -> np.ndarray:
    nn = NearestNeighbors(n_neighbors=1).fit(reference)
    return nn.kneighbors(query, return_distance=True)[0][:, 0]


def _design(real: pd.DataFrame, synth: pd.DataFrame, families: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    real_parts, synth_parts = [], []
    for name, fam in families.items():
        if fam == NUMERIC:
            r, s = real[name].to_numpy(dtype=float), synth[name].to_numpy(dtype=float)
            present = r[~np.isnan(r)]
            mean = float(present.mean()) if len(present) else 0.0
            std = float(present.std()) if len(present) > 1 else 0.0
            std = std if std > 0 else 1.0
            real_parts.append(np.nan_to_num((r - mean) / std, nan=0.0)[:, None])
            synth_parts.append(np.nan_to_num((s - mean) / std, nan=0.0)[:, None])
            if np.isnan(r).any() or np.isnan(s).any():
                real_parts.append(np.isnan(r)[:, None].astype(float))
                synth_parts.append(np.isnan(s)[:, None].astype(float))
        else:
            a, b, n = category_codes(real[name], synth[name], top=ONE_HOT)
            eye = np.eye(n)
            real_parts.append(eye[a])
            synth_parts.append(eye[b])
    return np.hstack(real_parts), np.hstack(synth_parts)
