"""Which Faker locale the source's names and places come from, so fakes look local.

A German customer table should get German names. The evidence is the tokens of the name, city
and street columns: each candidate locale scores the share of those tokens its own Faker pools
(the ones :mod:`relsynth.privacy.fakes` generates from) hold. Cheap hints add to that score:
phone country codes (``+49``), e-mail country domains (``.de``), UK postcodes, Japanese script.

The best score wins; ``en_US`` wins ties, wins when nothing explains at least
:data:`MIN_SHARE` of the evidence, and is only given up for ``en_GB`` (whose name pools look
alike) when ``en_GB`` is clearly ahead. Only lower-cased tokens and shares are compared:
nothing from the source is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Mapping

import numpy as np
import pandas as pd
import sqlalchemy as sa

from relsynth.config import Config
from relsynth.privacy.fakes import DEFAULT_LOCALE, _faker, _pool
from relsynth.schema.kinds import Kind

# common Faker locales, all present in Faker's offline data; the first one wins ties
CANDIDATES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR", "pl_PL",
              "sv_SE", "da_DK", "ja_JP")
AUTO = "auto"
TOKEN_KINDS = frozenset({Kind.FIRST_NAME, Kind.LAST_NAME, Kind.PERSON_NAME, Kind.CITY, Kind.ADDRESS})
HINT_KINDS = {Kind.PHONE: "phone numbers", Kind.EMAIL: "e-mail domains", Kind.POSTCODE: "postcodes"}
SAMPLE_VALUES = 10_000       # per column: plenty to tell languages apart
MIN_SHARE = 0.2              # a locale explaining less than this share is no evidence
MIN_LEAD = 0.01              # a locale must beat en_US by this much ...
EN_GB_LEAD = 0.05            # ... and en_GB, whose name pools look like en_US's, by this much
HINT_WEIGHT = 0.3            # a hint seen on every value is worth 30% more token share
POOL_METHODS = ("first_name", "last_name", "city", "street_name")

_TOKEN_RE = r"[^\W\d_]{2,}"  # runs of two or more letters: initials and numbers say nothing
_CJK_RE = r"[\u3040-\u30ff\u4e00-\u9fff]"
_UK_POSTCODE_RE = r"^\s*[A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2}\s*$"
# two-digit phone country codes -> locale (+1 is left out: it is the default anyway)
PHONE_CODES = {"44": "en_GB", "49": "de_DE", "33": "fr_FR", "34": "es_ES", "39": "it_IT",
               "31": "nl_NL", "55": "pt_BR", "48": "pl_PL", "46": "sv_SE", "45": "da_DK", "81": "ja_JP"}
EVIDENCE_ORDER = ("names", "cities", "phone numbers", "e-mail domains", "postcodes")
EMAIL_TLDS = {"uk": "en_GB", "de": "de_DE", "fr": "fr_FR", "es": "es_ES", "it": "it_IT", "nl": "nl_NL",
              "br": "pt_BR", "pl": "pl_PL", "se": "sv_SE", "dk": "da_DK", "jp": "ja_JP"}


@dataclass(frozen=True)
class Detection:
    locale: str
    evidence: str                      # what decided: "names and cities", "phone numbers", ...
    scores: Mapping[str, float]        # per candidate: token share plus hints

    def describe(self) -> str:
        return f"{self.locale} ({self.evidence})"


def source_locale(engine: sa.Engine, schema, metadata: sa.MetaData, config: Config) -> Detection:
    """The locale of the database's fakes: the config's, else detected from a sample of every
    table's name, place, phone and e-mail columns (those with a locale of their own left out)."""
    for table in schema:  # a misspelt column locale fails too, before any training
        for locale in config.column_locales(table.name).values():
            check_locale(locale)
    if config.privacy.locale != AUTO:
        return configured(config.privacy.locale)
    columns = []
    for table in schema:
        own = config.column_locales(table.name)
        sa_table = metadata.tables.get(f"{schema.name}.{table.name}" if schema.name else table.name)
        wanted = [c.name for c in table.columns if (c.kind in TOKEN_KINDS or c.kind in HINT_KINDS) and c.name not in own]
        if sa_table is not None and wanted:
            sample = head(engine, sa_table, wanted)
            columns += [(table.column(name).kind, sample[name]) for name in wanted]
    return detect_locale(columns)


def head(engine: sa.Engine, sa_table: sa.Table, columns: list[str], rows: int = SAMPLE_VALUES) -> pd.DataFrame:
    """The first ``rows`` rows of some columns: enough to tell a language."""
    query = sa.select(*[sa_table.c[c] for c in columns]).limit(rows)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return pd.DataFrame({c: pd.Series(values, dtype=object)
                         for c, values in zip(columns, zip(*rows) if rows else [()] * len(columns))})


def check_locale(name: str) -> str:
    """``name`` if Faker knows it (``auto`` passes too); else a one-line ConfigError with a hint."""
    if name != AUTO:
        _faker(name)
    return name


def detect_locale(columns: Iterable[tuple[Kind, pd.Series]]) -> Detection:
    """The candidate locale whose pools best explain these (kind, sample values) columns."""
    tokens, hints, sources = [], {}, set()   # hints: per kind of hint, one {locale: share} per column
    for kind, values in columns:
        strings = _strings(values)
        if not len(strings):
            continue
        if kind in TOKEN_KINDS:
            tokens.append(strings.str.lower().str.findall(_TOKEN_RE).explode().dropna())
            sources.add("cities" if kind in (Kind.CITY, Kind.ADDRESS) else "names")
            hints.setdefault("script", []).append({"ja_JP": float(strings.str.contains(_CJK_RE).mean())})
        elif kind in HINT_KINDS:
            source = HINT_KINDS[kind]
            hints.setdefault(source, []).append(_hint_shares(kind, strings))
            sources.add(source)
    shares = _token_shares(pd.concat(tokens) if tokens else pd.Series([], dtype=object))
    # a hint counts once however many columns show it: averaged over its columns
    hinted = {loc: float(sum(np.mean([h.get(loc, 0.0) for h in found]) for found in hints.values()))
              for loc in CANDIDATES}
    scores = {loc: shares.get(loc, 0.0) + HINT_WEIGHT * hinted[loc] for loc in CANDIDATES}
    return _decide(scores, sources)


def _strings(values: pd.Series) -> pd.Series:
    present = values.dropna()
    if len(present) > SAMPLE_VALUES:
        present = present.sample(SAMPLE_VALUES, random_state=0)
    return present.astype(str)


def _token_shares(tokens: pd.Series) -> dict[str, float]:
    """Per locale, the share of tokens (counted with repeats) its pools hold."""
    if not len(tokens):
        return {}
    counts = tokens.value_counts()
    vocabulary = counts.index
    return {loc: float(counts[vocabulary.isin(_vocabulary(loc))].sum() / counts.sum()) for loc in CANDIDATES}


@lru_cache(maxsize=len(CANDIDATES))
def _vocabulary(locale: str) -> np.ndarray:
    """Lower-cased tokens of the pools a locale generates names, cities and streets from."""
    values = pd.Series(np.concatenate([_pool(locale, m) for m in POOL_METHODS]), dtype=object)
    return values.str.lower().str.findall(_TOKEN_RE).explode().dropna().unique()


def _hint_shares(kind: Kind, strings: pd.Series) -> dict[str, float]:
    """Per locale, the share of values pointing at it by country code, domain or postcode."""
    if kind is Kind.POSTCODE:
        return {"en_GB": float(strings.str.match(_UK_POSTCODE_RE).mean())}
    if kind is Kind.PHONE:
        codes = strings.str.replace(r"[\s().-]", "", regex=True).str.extract(r"^(?:\+|00)(\d{2})", expand=False)
        found = codes.map(PHONE_CODES)
    else:
        found = strings.str.lower().str.extract(r"\.([a-z]{2})\s*$", expand=False).map(EMAIL_TLDS)
    return {loc: float(share) for loc, share in found.value_counts().div(len(strings)).items()}


def _decide(scores: dict[str, float], sources: set[str]) -> Detection:
    best = max(CANDIDATES, key=lambda loc: scores[loc])   # max keeps the first of equals: en_US
    lead = EN_GB_LEAD if best == "en_GB" else MIN_LEAD
    if scores[best] < MIN_SHARE or (best != DEFAULT_LOCALE and scores[best] - scores[DEFAULT_LOCALE] < lead):
        evidence = "default: the source's values do not point elsewhere" if sources else "default: no names or places"
        return Detection(DEFAULT_LOCALE, evidence, scores)
    return Detection(best, "detected from " + _listed([s for s in EVIDENCE_ORDER if s in sources]), scores)


def _listed(items: list[str]) -> str:
    return " and ".join(items) if len(items) < 3 else ", ".join(items[:-1]) + " and " + items[-1]


def configured(locale: str) -> Detection:
    """A locale the config names (no detection), reported like a detected one."""
    return Detection(check_locale(locale), "from the config", {})
