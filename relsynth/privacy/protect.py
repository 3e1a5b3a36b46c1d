"""Value protection: what a model learns from never holds a value that points at one person.

* a category seen fewer than ``k`` times (a rare job title, a village) is replaced, before any
  model sees it, by frequent categories of the same column drawn in their proportions: it can
  never come out verbatim;
* the ``k`` - 1 smallest and largest values of a number or date are pulled in to the k-th: the
  one record with the highest salary is not copied out;
* a number or date column of fewer than ``2k`` values (a table of nine employees) has no k-th
  value to pull in to: its values are drawn anew, uniformly inside the real range (a birth date of
  one of nine people is not kept, not even as the column's minimum; the type's range and checks hold);
* in a table about people (it has identifying columns), a column whose every category is rarer
  than ``k`` has nothing to fold into: its values are generated in the column's format;
  elsewhere such a column is the database's vocabulary (a lookup table's names) and is kept;
* quasi-identifiers (birth date, zip code, gender, age and the like, found by column name):
  a generated row whose combination of them equals a combination that fewer than ``k`` real rows
  share is drawn again (the relational layer does it with the keyed digests made here), and so
  is a row *near* a real row that fewer than ``k`` real rows are near: dates within a number of
  days, other numbers within a share of their range, categories equal (:func:`tolerances`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from relsynth.models import encoding
from relsynth.schema.kinds import Kind

DEFAULT_K = 5
MIN_ROWS = 100     # in a smaller table nearly every combination is rare: its small columns are drawn anew instead
NUMBERS = frozenset({Kind.INTEGER, Kind.FLOAT, Kind.DECIMAL, Kind.DATETIME, Kind.DATE, Kind.TIME})
NEAR = frozenset({Kind.INTEGER, Kind.FLOAT, Kind.DECIMAL, Kind.DATETIME, Kind.DATE})
MAX_NEAR = 4       # 3**4 neighbouring cells looked up per generated row; further numbers compare exactly
_US_PER_DAY = 86_400 * 1_000_000   # datetimes are encoded in microseconds
PERSONAL = frozenset({Kind.EMAIL, Kind.PERSON_NAME, Kind.FIRST_NAME, Kind.LAST_NAME, Kind.PHONE, Kind.ADDRESS,
                      Kind.NATIONAL_ID, Kind.CARD_NUMBER})
_PLACE_RE = re.compile(r"(^|_)(zip|zipcode|postcode|postal)(_|$)")   # a neighbouring zip is another place
_QUASI_RE = re.compile(r"(^|_)(birth|dob|born|zip|zipcode|postcode|postal|gender|sex|age|ethnicity|race|"
                       r"nationality|marital)(_|$)")


def quasi_identifiers(kinds: Mapping[str, Kind]) -> list[str]:
    """Modeled columns whose names say they describe a person (birth_date, zip, gender, age)."""
    return [c for c, k in kinds.items() if Kind(k).modeled and _QUASI_RE.search(_snake(c))]


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().replace(" ", "_").replace("-", "_")


def protect(frame: pd.DataFrame, kinds: Mapping[str, Kind], *, k: int, rng: np.random.Generator,
            keep: set[str] = frozenset(), personal: bool = False) -> pd.DataFrame:
    """A copy of ``frame`` with rare categories replaced and extreme values pulled in (columns
    in ``keep``, e.g. retained or conditioned on, are left as they are). ``personal``: the
    table describes people (see the module doc)."""
    if k <= 1:
        return frame
    out = frame.copy()
    for column, kind in kinds.items():
        if column in keep or column not in out.columns:
            continue
        if Kind(kind) == Kind.CATEGORICAL:
            out[column] = _replace_rare(out[column], k, rng, personal=personal)
        elif Kind(kind) in NUMBERS:
            out[column] = _pull_in(out[column], Kind(kind), k, rng)
    return out


def is_personal(kinds: Mapping[str, Kind]) -> bool:
    """Whether a table describes people: it has a name, e-mail, phone, address or national id
    column, or a quasi-identifier (birth date, zip, gender)."""
    return bool(PERSONAL & {Kind(k) for k in kinds.values()}) or bool(quasi_identifiers(kinds))


def _replace_rare(values: pd.Series, k: int, rng: np.random.Generator, *, personal: bool) -> pd.Series:
    counts = values.value_counts(dropna=True)
    rare = counts.index[counts < k]
    if not len(rare):
        return values
    frequent = counts[counts >= k]
    if not len(frequent):  # nothing to fold into: a person's category is made up, a lookup's kept
        return _generated(values, rng) if personal else values
    hit = values.isin(rare).to_numpy()
    out = values.astype(object).to_numpy(copy=True)
    out[hit] = rng.choice(frequent.index.to_numpy(dtype=object), size=int(hit.sum()),
                          p=(frequent / frequent.sum()).to_numpy())
    return pd.Series(out, index=values.index, name=values.name)


def _generated(values: pd.Series, rng: np.random.Generator) -> pd.Series:
    """Values in the column's format (its shapes and lengths), none of its own."""
    from relsynth.privacy.fakes import generate, learn_format   # fakes imports the encoding too

    present = values.notna().to_numpy()
    made = generate({**learn_format(Kind.TEXT, values.astype("string")), "null_share": 0.0},
                    int(present.sum()), rng).to_numpy()
    out = values.astype(object).to_numpy(copy=True)
    out[present] = made
    return pd.Series(out, index=values.index, name=values.name)


def _pull_in(values: pd.Series, kind: Kind, k: int, rng: np.random.Generator) -> pd.Series:
    meta = encoding.analyze(values, kind)
    codes = encoding.encode(values, meta)
    present = np.sort(codes[~np.isnan(codes)])
    if present.size < 2:
        return values
    if present.size < 2 * k:  # no k-th value to pull in to: every value drawn anew inside the range
        low, high = present[0], present[-1]
        pulled = np.where(np.isnan(codes), np.nan, low + rng.random(codes.size) * (high - low))
        outside = ~np.isnan(codes)
    else:
        low, high = present[k - 1], present[-k]
        outside = (codes < low) | (codes > high)
        if not outside.any():
            return values
        pulled = np.clip(codes, low, high)
    decoded = encoding.decode(pulled, {**meta, "endings": None}, name=values.name)
    if isinstance(values.dtype, pd.Float64Dtype):   # NaN values held apart from NULL stay apart
        floats = values.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
        floats[outside] = decoded.to_numpy(dtype=np.float64, na_value=np.nan)[outside]
        return pd.Series(pd.arrays.FloatingArray(floats, values.isna().to_numpy(copy=True)),
                         index=values.index, name=values.name)
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


def tolerances(columns: list[str], metas: Mapping[str, Mapping], *, days: float, share: float) -> dict[str, float]:
    """Per date, datetime or number among the quasi-identifiers ``columns``, how far apart two
    values still point at the same person, in encoded units (days for dates, microseconds for
    datetimes, the column's own units for numbers: ``share`` of its real range). Columns left
    out (zip codes stored as numbers, a zero tolerance, beyond :data:`MAX_NEAR`) compare exactly."""
    out: dict[str, float] = {}
    for column in columns:
        meta = metas[column]
        kind = Kind(meta["kind"])
        if kind not in NEAR or _PLACE_RE.search(_snake(column)) or len(out) == MAX_NEAR:
            continue
        width = _width(meta, kind, days=days, share=share)
        if width > 0:
            out[column] = width
    return out


def _width(meta: Mapping, kind: Kind, *, days: float, share: float) -> float:
    if kind == Kind.DATE:
        return float(days)
    if kind == Kind.DATETIME:
        return float(days) * _US_PER_DAY
    if meta.get("min") is None or meta.get("max") is None:
        return 0.0
    return float(share) * (float(meta["max"]) - float(meta["min"]))


def rare_neighbourhoods(frame: pd.DataFrame, columns: list[str], metas: Mapping[str, Mapping],
                        widths: Mapping[str, float], *, k: int, key: str) -> np.ndarray:
    """Keyed digests of the grid cells holding a real row that fewer than ``k`` real rows
    (itself included) are near: within ``widths`` on every numeric quasi-identifier (one cell
    of the grid is one tolerance wide), equal on the others.

    :func:`near_rare` flags a row whose own cell or a neighbouring one is among them: every row
    within the tolerance of such a real row is caught, and some rows up to twice as far."""
    if not widths or frame.empty:
        return np.zeros(0, dtype=np.uint64)
    scaled, exact = _coordinates(frame, columns, metas, widths, key)
    rare = _near_counts(scaled, exact, scaled, exact) < k
    return np.unique(_cell_digests(np.floor(scaled[rare]).astype(np.int64), exact[rare]))


def near_rare(frame: pd.DataFrame, columns: list[str], metas: Mapping[str, Mapping],
              widths: Mapping[str, float], rare: np.ndarray, *, key: str) -> np.ndarray:
    """Rows whose cell or a neighbouring cell (one step either way on each numeric
    quasi-identifier: 3**d lookups) is among ``rare`` (see :func:`rare_neighbourhoods`)."""
    hit = np.zeros(len(frame), dtype=bool)
    if not widths or not rare.size or frame.empty:
        return hit
    scaled, exact = _coordinates(frame, columns, metas, widths, key)
    cells = np.floor(scaled).astype(np.int64)
    rare = np.sort(rare)   # sorted once: 3**d binary searches instead of 3**d set builds
    for step in itertools.product((-1, 0, 1), repeat=len(widths)):
        hit |= _members(_cell_digests(cells + np.array(step, dtype=np.int64), exact), rare)
    return hit


def _members(values: np.ndarray, ordered: np.ndarray) -> np.ndarray:
    at = np.minimum(np.searchsorted(ordered, values), len(ordered) - 1)
    return ordered[at] == values


def count_near_rare(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[str],
                    metas: Mapping[str, Mapping], widths: Mapping[str, float], *, k: int) -> int:
    """How many synthetic rows lie within the tolerance of a real row that fewer than ``k`` real
    rows are near (exact distances, no grid: what :func:`near_rare` guarantees never comes out)."""
    if not widths or real.empty or synthetic.empty:
        return 0
    real_scaled, real_exact = _coordinates(real, columns, metas, widths, "0" * 16)
    synth_scaled, synth_exact = _coordinates(synthetic, columns, metas, widths, "0" * 16)
    rare = _near_counts(real_scaled, real_exact, real_scaled, real_exact) < k
    if not rare.any():
        return 0
    return int((_near_counts(real_scaled[rare], real_exact[rare], synth_scaled, synth_exact) > 0).sum())


def _coordinates(frame: pd.DataFrame, columns: list[str], metas: Mapping[str, Mapping],
                 widths: Mapping[str, float], key: str) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the numeric quasi-identifiers in tolerances (NULL as 0), and a keyed digest of
    what must be equal: the other quasi-identifiers and which numbers are NULL."""
    near = list(widths)
    scaled = np.column_stack([encoding.encode(frame[c].reset_index(drop=True), metas[c]) / widths[c]
                              for c in near])
    missing = np.isnan(scaled)
    exact = {c: _exact_values(frame[c], metas[c]) for c in columns if c not in widths}
    exact.update({f"\x00null:{c}": missing[:, i] for i, c in enumerate(near)})
    exact["\x00keyed"] = np.full(len(frame), "near", dtype=object)  # the digest depends on the key
    digests = pd.util.hash_pandas_object(pd.DataFrame(exact), index=False, hash_key=key).to_numpy()
    return np.where(missing, 0.0, scaled), digests


def _exact_values(values: pd.Series, meta: Mapping) -> np.ndarray:
    """Values encoded as the models see them: the source's 1950-01-02 and a generated date agree,
    and so do a category read as 1.0 (an integer column with NULLs) and a generated 1."""
    return np.nan_to_num(encoding.encode(values.reset_index(drop=True), meta), nan=np.inf)


def _near_counts(ref_scaled: np.ndarray, ref_exact: np.ndarray, scaled: np.ndarray,
                 exact: np.ndarray) -> np.ndarray:
    """Per query row, the reference rows with the same exact digest and within one tolerance on
    every numeric quasi-identifier (Chebyshev distance <= 1 in tolerances)."""
    groups = np.unique(np.concatenate([ref_exact, exact]), return_inverse=True)[1].astype(np.float64)
    # different groups 3 apart on an extra axis: never within the radius of 1
    reference = np.column_stack([3.0 * groups[:len(ref_exact)], ref_scaled])
    query = np.column_stack([3.0 * groups[len(ref_exact):], scaled])
    from sklearn.neighbors import KDTree   # fit time only: loading sklearn costs a generate ~1.5 s

    return KDTree(reference, metric="chebyshev").query_radius(query, r=1.0, count_only=True)


def _cell_digests(cells: np.ndarray, exact: np.ndarray) -> np.ndarray:
    parts = {"exact": exact, **{f"cell{i}": cells[:, i] for i in range(cells.shape[1])}}
    return pd.util.hash_pandas_object(pd.DataFrame(parts), index=False).to_numpy()


__all__ = ["DEFAULT_K", "quasi_identifiers", "is_personal", "protect", "rare_combinations",
           "combination_digests", "tolerances", "rare_neighbourhoods", "near_rare", "count_near_rare"]
