"""Value protection: what a model learns from never holds a value that points at one person.

* a category seen fewer than ``k`` times (a rare job title, a village) is replaced, before any
  model sees it, by frequent categories of the same column drawn in their proportions: it can
  never come out verbatim;
* the ``k`` - 1 smallest and largest values of a number or date are pulled in to the k-th: the
  one record with the highest salary is not copied out;
* quasi-identifiers (birth date, zip code, gender, age and the like, found by column name):
  a generated row whose combination of them equals a combination that fewer than ``k`` real rows
  share is drawn again (the relational layer does it with the keyed digests made here).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from relsynth.models import encoding
from relsynth.schema.kinds import Kind

DEFAULT_K = 5
MIN_ROWS = 100     # in a smaller table nearly every combination is rare: only categories and extremes
NUMBERS = frozenset({Kind.INTEGER, Kind.FLOAT, Kind.DECIMAL, Kind.DATETIME, Kind.DATE, Kind.TIME})
_QUASI_RE = re.compile(r"(^|_)(birth|dob|born|zip|zipcode|postcode|postal|gender|sex|age|ethnicity|race|"
                       r"nationality|marital)(_|$)")


def quasi_identifiers(kinds: Mapping[str, Kind]) -> list[str]:
    """Modeled columns whose names say they describe a person (birth_date, zip, gender, age)."""
    return [c for c, k in kinds.items() if Kind(k).modeled and _QUASI_RE.search(_snake(c))]


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().replace(" ", "_").replace("-", "_")


def protect(frame: pd.DataFrame, kinds: Mapping[str, Kind], *, k: int, rng: np.random.Generator,
            keep: set[str] = frozenset()) -> pd.DataFrame:
    """A copy of ``frame`` with rare categories replaced and extreme values pulled in (columns
    in ``keep``, e.g. retained or conditioned on, are left as they are)."""
    if k <= 1:
        return frame
    out = frame.copy()
    for column, kind in kinds.items():
        if column in keep or column not in out.columns:
            continue
        if Kind(kind) == Kind.CATEGORICAL:
            out[column] = _replace_rare(out[column], k, rng)
        elif Kind(kind) in NUMBERS:
            out[column] = _pull_in(out[column], Kind(kind), k)
    return out


def _replace_rare(values: pd.Series, k: int, rng: np.random.Generator) -> pd.Series:
    counts = values.value_counts(dropna=True)
    rare = counts.index[counts < k]
    if not len(rare):
        return values
    frequent = counts[counts >= k]
    if not len(frequent):  # a table too small for k: nothing to replace them with
        return values
    hit = values.isin(rare).to_numpy()
    out = values.astype(object).to_numpy(copy=True)
    out[hit] = rng.choice(frequent.index.to_numpy(dtype=object), size=int(hit.sum()),
                          p=(frequent / frequent.sum()).to_numpy())
    return pd.Series(out, index=values.index, name=values.name)


def _pull_in(values: pd.Series, kind: Kind, k: int) -> pd.Series:
    meta = encoding.analyze(values, kind)
    codes = encoding.encode(values, meta)
    present = np.sort(codes[~np.isnan(codes)])
    if present.size < 2 * k:
        return values
    low, high = present[k - 1], present[-k]
    outside = (codes < low) | (codes > high)
    if not outside.any():
        return values
    pulled = np.clip(codes, low, high)
    decoded = encoding.decode(pulled, {**meta, "endings": None}, name=values.name)
    out = values.astype(object).to_numpy(copy=True)
    out[outside] = decoded.astype(object).to_numpy()[outside]
    return pd.Series(out, index=values.index, name=values.name).infer_objects()


def rare_combinations(frame: pd.DataFrame, columns: list[str], *, k: int, key: str) -> np.ndarray:
    """Keyed digests of the quasi-identifier combinations fewer than ``k`` real rows share."""
    if not columns or frame.empty:
        return np.zeros(0, dtype=np.uint64)
    digests = combination_digests(frame, columns, key)
    found, counts = np.unique(digests, return_counts=True)
    return found[counts < k]


def combination_digests(frame: pd.DataFrame, columns: list[str], key: str) -> np.ndarray:
    """One keyed 64-bit digest per row of its values in ``columns`` (compared as text: a date
    read from the source and the same date generated give the same digest)."""
    text = frame[columns].astype(str).fillna("\x00null")
    return pd.util.hash_pandas_object(text, index=False, hash_key=key).to_numpy()


__all__ = ["DEFAULT_K", "quasi_identifiers", "protect", "rare_combinations", "combination_digests"]
