"""Exact real values: per column, the synthetic values that are real ones (the report's ``pii_found``).

Every column that can point at a person is checked, and every value found is counted, so a
leak can never read 0. Three bases, decided by the column's kind:

* ``identity`` (e-mails, full names, phones, street addresses, national ids, cards, IPs, UUIDs,
  binary, organizations, secrets, URLs and paths, and string keys holding one of them): a
  synthetic value equal to a real value *of the same kind anywhere in the real database* (a
  fake ``ship_name`` equal to a real ``customers.company_name`` too) counts, however many real
  rows hold it: northwind's ``orders.ship_name`` repeats each customer's name in its orders, and
  thirty rows of "Ernst Handel" are still one company. A lone first or last name identifies no
  one (Smith); a row's first *and* last name together are checked as a full name. Full names
  also meet real ones by chance (a fake Melanie Armstrong and pagila's customer): ``expected`` is
  how many would if the synthetic first and last names were paired at random, and only the
  excess over ``expected + 2 sqrt(expected)`` is counted.
* ``rare`` (cities, postcodes, free text, JSON, categories with more than 50 real values): a
  synthetic value counts when it equals a real value of the same column that fewer than
  ``privacy.k`` real rows hold. A value at least k rows share is a common category, not a leak
  ('Gift wrap, please.', a city of 40 customers, an array of labels): the generators may write
  them by design. E-mails, phones, ids, cards and IPs found *inside* synthetic text that equal
  real ones (anywhere in the real database, inside text too) count as well.
* ``quasi`` (quasi-identifiers: birth date, zip, gender, age... see
  :func:`relsynth.privacy.protect.quasi_identifiers`): a synthetic value counts when fewer than k
  real rows lie within one day of it (dates and datetimes; other values: equal). Such
  coincidences also happen by chance (300 birth dates among 22,000 days), so the chance level is
  measured on the real rows themselves: the share of real rows that another real row's rare
  value lies within a day of, times the synthetic values checked (``expected``). What
  ``pii_found`` counts is the excess over ``expected + 2 sqrt(expected)``: northwind's 9
  employees have no two birth dates within a day of each other, so all 9 copied ones count.

Values are compared exactly, then case-folded with spaces collapsed (phones, ids and cards by
their digits, UUIDs without braces and hyphens); ``exact``, ``folded`` and ``near`` (within a
day, not equal) split what was found. Examples (at most :data:`EXAMPLES` per column) are
masked: each run of letters or digits keeps its first character.

Caveat: the ``rare`` basis counts rows, not people; a note copied into 30 rows of one customer
reads as common. Identities in such columns are what the detection of kinds is for.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from relsynth.privacy import protect
from relsynth.privacy.masking import key_identity
from relsynth.privacy.scrub import pattern_values
from relsynth.schema.detect import MAX_CATEGORIES, holds_binary
from relsynth.schema.kinds import Kind
from relsynth.schema.model import Schema, Table

EXAMPLES = 3
DAY = 86_400.0               # dates and datetimes are compared in seconds (report.values)
IDENTITY = "identity"
RARE = "rare"
QUASI = "quasi"
IDENTITY_KINDS = frozenset({Kind.EMAIL, Kind.PERSON_NAME, Kind.PHONE, Kind.ADDRESS, Kind.NATIONAL_ID,
                            Kind.CARD_NUMBER, Kind.IP_ADDRESS, Kind.UUID, Kind.BINARY, Kind.ORGANIZATION,
                            Kind.SECRET, Kind.URL, Kind.USERNAME})
# regions, countries and lookup labels come from public lists or are the database's vocabulary
# (schema.kinds.PUBLIC): never counted; a lone first or last name only paired (LONE_NAMES)
RARE_KINDS = frozenset({Kind.CITY, Kind.POSTCODE, Kind.TEXT, Kind.JSON})
LONE_NAMES = frozenset({Kind.FIRST_NAME, Kind.LAST_NAME})
_DIGITS_ONLY = frozenset({Kind.PHONE, Kind.NATIONAL_ID, Kind.CARD_NUMBER})
_SPACES = re.compile(r"\s+")
_RUN = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class RealValues:
    """One column's synthetic values equal to real ones."""

    column: str                      # a column, or "first_name + last_name"
    kind: str
    basis: str                       # identity | rare | quasi (module docstring)
    checked: int                     # synthetic non-null values compared
    exact: int = 0
    folded: int = 0                  # equal once case-folded, not exactly
    near: int = 0                    # within a day of a real date, not equal
    inside: int = 0                  # identities inside synthetic text equal to real ones
    expected: float | None = None    # found by chance (quasi basis)
    counted: int = 0                 # what pii_found counts
    examples: tuple[str, ...] = ()   # masked

    @property
    def found(self) -> int:
        return self.exact + self.folded + self.near + self.inside

    def to_dict(self) -> dict:
        return {"column": self.column, "kind": self.kind, "basis": self.basis, "checked": self.checked,
                "found": self.found, "exact": self.exact, "folded": self.folded, "near": self.near,
                "inside": self.inside, "expected": None if self.expected is None else round(self.expected, 2),
                "counted": self.counted, "examples": list(self.examples)}


@dataclass(frozen=True)
class _Column:
    name: str
    kind: Kind
    basis: str
    parts: tuple[str, ...] = ()      # a first and a last name column read together


# ====================================================================== which columns

def checked_columns(table: Table, real: pd.DataFrame) -> list[_Column]:
    """The columns of ``table`` to check and their basis (decided on the real rows)."""
    quasi = set(protect.quasi_identifiers({c.name: c.kind for c in table.columns}))
    out: list[_Column] = []
    firsts, lasts = [], []
    for c in table.columns:
        if c.name not in real.columns:
            continue
        if c.kind == Kind.KEY:
            kind = key_identity(table, c, real[c.name])
            if kind is not None:
                out.append(_Column(c.name, kind, IDENTITY))
        elif c.kind in IDENTITY_KINDS:
            out.append(_Column(c.name, c.kind, IDENTITY))
        elif c.kind in RARE_KINDS:
            out.append(_Column(c.name, c.kind, RARE))
        elif c.kind in LONE_NAMES:
            (firsts if c.kind == Kind.FIRST_NAME else lasts).append(c.name)
        elif c.name in quasi:
            out.append(_Column(c.name, c.kind, QUASI))
        elif c.kind == Kind.CATEGORICAL and real[c.name].nunique() > MAX_CATEGORIES:
            out.append(_Column(c.name, c.kind, RARE))
    if firsts and lasts:
        out.append(_Column(f"{firsts[0]} + {lasts[0]}", Kind.PERSON_NAME, IDENTITY, (firsts[0], lasts[0])))
    return out


# ====================================================================== values as text

def _texts(frame: pd.DataFrame, column: _Column) -> pd.Series:
    """The column's non-null values as text (binary as hex, JSON canonical, two names joined)."""
    if column.parts:
        first, last = (frame[p] for p in column.parts)
        both = first.notna() & last.notna()
        return (first[both].astype(str).str.strip() + " " + last[both].astype(str).str.strip())
    present = frame[column.name].dropna()
    if holds_binary(present):
        return present.map(lambda value: bytes(value).hex())
    if column.kind == Kind.JSON:
        return present.map(_canonical_json)
    return present.astype(str)


def _canonical_json(value) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        value = bytes(value).decode("utf-8", "replace")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def fold(texts: pd.Series, kind: Kind) -> pd.Series:
    """What counts as the same value of ``kind``: digits for phones, ids and cards; case-folded
    with spaces collapsed for the rest (UUIDs also without braces and hyphens); binary as is."""
    if kind == Kind.BINARY:
        return texts
    if kind in _DIGITS_ONLY:
        return texts.str.replace(r"\D", "", regex=True)
    folded = texts.str.replace(_SPACES, " ", regex=True).str.strip().str.casefold()
    if kind == Kind.UUID:
        folded = folded.str.replace(r"[{}\-]", "", regex=True)
    return folded


# ====================================================================== the real side

@dataclass
class Reference:
    """Per identity kind, every real value of that kind in the database (exact and folded)."""

    exact: dict[str, np.ndarray]
    folded: dict[str, np.ndarray]
    columns: dict[str, list[_Column]]    # per table, the columns checked


def reference(schema: Schema, frames: dict[str, pd.DataFrame]) -> Reference:
    exact: dict[str, list[np.ndarray]] = {}
    folded: dict[str, list[np.ndarray]] = {}
    columns = {}
    for table in schema:
        frame = frames[table.name]
        columns[table.name] = checked_columns(table, frame)
        for column in columns[table.name]:
            if column.basis == QUASI:
                continue
            texts = _texts(frame, column)
            if column.basis == IDENTITY:
                _add(exact, folded, column.kind, texts)
            if column.kind == Kind.TEXT:    # e-mails, ids, cards, IPs, phones inside the real text
                for inner, values in pattern_values(texts.tolist()).items():
                    _add(exact, folded, Kind(inner), pd.Series(values, dtype=object))
    unique = lambda parts: np.unique(np.concatenate(parts).astype(str))  # noqa: E731
    return Reference({k: unique(v) for k, v in exact.items()}, {k: unique(v) for k, v in folded.items()}, columns)


def _add(exact: dict, folded: dict, kind: Kind, texts: pd.Series) -> None:
    exact.setdefault(kind.value, []).append(texts.to_numpy(dtype=object))
    folded.setdefault(kind.value, []).append(fold(texts, kind).to_numpy(dtype=object))


# ====================================================================== per table

def real_values(table: Table, real: pd.DataFrame, synth: pd.DataFrame, ref: Reference, *,
                k: int) -> tuple[RealValues, ...]:
    """Every checked column of ``table`` (``real`` and ``synth`` as the report prepared them:
    dates in seconds, categories as text); ``k``: the config's ``privacy.k``."""
    k = max(int(k), 2)          # a value one real row holds is never common
    out = []
    for column in ref.columns.get(table.name, []):
        if any(p not in synth.columns for p in column.parts or (column.name,)):
            continue
        if column.basis == IDENTITY:
            out.append(_identity(column, synth, ref))
        elif column.basis == RARE:
            out.append(_rare(column, real, synth, ref, k))
        else:
            out.append(_quasi(column, real, synth, k))
    return tuple(out)


def _member(values: pd.Series, reference: np.ndarray | None) -> np.ndarray:
    if reference is None or not len(reference) or values.empty:
        return np.zeros(len(values), dtype=bool)
    return np.isin(values.to_numpy(dtype=object).astype(str), reference)


def _identity(column: _Column, synth: pd.DataFrame, ref: Reference) -> RealValues:
    texts = _texts(synth, column)
    folded = fold(texts, column.kind)
    real = ref.folded.get(column.kind.value)
    found = _member(folded, real) & (folded.str.len() > 0).to_numpy()
    exact = found & _member(texts, ref.exact.get(column.kind.value))
    if column.kind != Kind.PERSON_NAME:
        return _result(column, texts, exact, found & ~exact)
    expected = _names_by_chance(folded, real)
    beyond = int(found.sum()) - math.floor(expected + 2 * math.sqrt(expected))
    return _result(column, texts, exact, found & ~exact, expected=expected, counted=max(0, beyond))


def _names_by_chance(names: pd.Series, real: np.ndarray | None) -> float:
    """How many of the synthetic full names would be a real person's if their first and last
    names were paired at random: n * sum over real names of p(first) * p(last), with p the
    synthetic share of that first (last) name. A copy scores far above it; Faker's Melanie
    Armstrong meeting pagila's customer of that name does not."""
    if real is None or not len(real) or names.empty:
        return 0.0
    parts = names.str.split()
    first, last = parts.str[0].value_counts(normalize=True), parts.str[-1].value_counts(normalize=True)
    real_parts = pd.Series(real, dtype=object).str.split()
    p = real_parts.str[0].map(first).fillna(0.0) * real_parts.str[-1].map(last).fillna(0.0)
    return float(p.sum()) * len(names)


def _rare(column: _Column, real: pd.DataFrame, synth: pd.DataFrame, ref: Reference, k: int) -> RealValues:
    real_texts = _texts(real, column)
    counts = fold(real_texts, column.kind).value_counts()
    rare = counts.index[counts < k].to_numpy(dtype=object).astype(str)
    texts = _texts(synth, column)
    found = _member(fold(texts, column.kind), rare)
    exact = found & _member(texts, np.unique(real_texts.to_numpy(dtype=object).astype(str)))
    inside = 0
    if column.kind == Kind.TEXT:
        for inner, values in pattern_values(texts.tolist()).items():
            inner_kind = Kind(inner)
            inside += int(_member(fold(pd.Series(values, dtype=object), inner_kind),
                                  ref.folded.get(inner_kind.value)).sum())
    return _result(column, texts, exact, found & ~exact, inside=inside)


def _quasi(column: _Column, real: pd.DataFrame, synth: pd.DataFrame, k: int) -> RealValues:
    """Within a day (dates) or equal (the rest), fewer than k real rows; against chance."""
    numeric = pd.api.types.is_numeric_dtype(real[column.name].dtype) and column.kind != Kind.CATEGORICAL
    if numeric:
        reals = np.sort(real[column.name].to_numpy(dtype=float))
        reals = reals[~np.isnan(reals)]
        values = synth[column.name].to_numpy(dtype=float)
        values = values[~np.isnan(values)]
        width = DAY if column.kind in (Kind.DATE, Kind.DATETIME) else 0.0

        def within(x: np.ndarray, w: float) -> np.ndarray:
            return np.searchsorted(reals, x + w, side="right") - np.searchsorted(reals, x - w, side="left")

        near, equal = within(values, width), within(values, 0.0)
        others = within(reals, width) - 1                  # each real row against the other real rows
        shown = _shown(values, column.kind)
    else:
        real_text = fold(_texts(real, column), column.kind)
        texts = _texts(synth, column)
        counts = real_text.value_counts()
        near = equal = fold(texts, column.kind).map(counts).fillna(0).to_numpy(dtype=np.int64)
        others = real_text.map(counts).to_numpy(dtype=np.int64) - 1
        shown = texts
    found = (near >= 1) & (near < k)
    exact = found & (equal >= 1)
    chance = float(np.mean((others >= 1) & (others < k))) if len(others) else 0.0
    expected = chance * len(found)
    beyond = int(found.sum()) - math.floor(expected + 2 * math.sqrt(expected))
    return _result(column, shown, exact, found & ~exact, near_values=True, expected=expected,
                   counted=max(0, beyond))


def _shown(seconds: np.ndarray, kind: Kind) -> pd.Series:
    """Seconds since 1970 as the dates or datetimes they were (numbers as they are)."""
    if kind in (Kind.DATE, Kind.DATETIME):
        stamps = pd.to_datetime(pd.Series(seconds), unit="s", errors="coerce")
        return stamps.dt.strftime("%Y-%m-%d" if kind == Kind.DATE else "%Y-%m-%d %H:%M:%S").fillna("")
    return pd.Series(seconds).map(lambda v: f"{v:g}")


def _result(column: _Column, shown: pd.Series, exact: np.ndarray, other: np.ndarray, *, near_values: bool = False,
            inside: int = 0, expected: float | None = None, counted: int | None = None) -> RealValues:
    found = exact | other
    examples = pd.Series(shown.to_numpy(dtype=object)[found], dtype=object).value_counts().index[:EXAMPLES]
    n_exact, n_other = int(exact.sum()), int(other.sum())
    total = n_exact + n_other + inside
    return RealValues(column=column.name, kind=column.kind.value, basis=column.basis, checked=len(shown),
                      exact=n_exact, folded=0 if near_values else n_other, near=n_other if near_values else 0,
                      inside=inside, expected=expected, counted=total if counted is None else counted,
                      examples=tuple(mask(str(v)) for v in examples))


def mask(value: str, keep: int = 1, longest: int = 8) -> str:
    """Each run of letters or digits keeps its first character, the rest become dots (at most
    ``longest``, then an ellipsis): ``Ernst Handel`` -> ``E•••• H•••••``."""
    def hide(match: re.Match) -> str:
        run = match.group()
        hidden = len(run) - keep
        return run[:keep] + "•" * min(hidden, longest) + ("…" if hidden > longest else "")
    return _RUN.sub(hide, value)


__all__ = ["RealValues", "Reference", "reference", "real_values", "checked_columns", "fold", "mask",
           "IDENTITY", "RARE", "QUASI"]
