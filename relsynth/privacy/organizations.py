"""Organization names used as a party's identity (``company_name``, ``ship_name``,
``supplier_name``): how to recognize them by value, and fakes from Faker's company lists.

A company that buys from you is identified by its name as a person is by theirs: northwind's
clone copied 735 of 830 real ``orders.ship_name`` values because each customer's name repeats
in its orders, so every word of it passed the free-text rule "used by k rows".

A format keeps what identifies nobody: the case shares, the share of names ending in a legal
form and which ones (a closed public list: ``GmbH``, ``Inc.``, ``S.A.``, ``s.r.l.`` ...).
Generation draws from a pool of Faker ``company()`` names of
the locale (fixed seed, like the other pools), drops the pool's own legal form, and adds one of
the source's at the source's share; the caller's ``exclude`` guarantees no real name comes out.
Masking (:func:`keyed`) picks a pool name per keyed draw and keeps the real legal form.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd

POOL_SIZE = 3000
POOL_SEED = 5_112_031
ORGANIZATION_SHARE = 0.5      # share of values ending in a legal form that makes a column organizations

# legal forms, longest first (a closed public list: never a value of the source)
LEGAL_FORMS = tuple(sorted({
    "Inc.", "Inc", "Incorporated", "LLC", "L.L.C.", "Ltd.", "Ltd", "Limited", "PLC", "plc", "Corp.", "Corp",
    "Corporation", "Co.", "Company", "LLP", "LP", "L.P.", "GmbH", "gGmbH", "AG", "KG", "KGaA", "OHG", "GbR",
    "e.V.", "eG", "mbH", "OHG mbH", "Stiftung", "GmbH & Co. KG", "GmbH & Co. KGaA", "S.A.", "SA", "S/A", "S.A.S.",
    "SAS", "SARL", "S.A.R.L.",
    "S.L.", "SL", "S.Coop.", "S.r.l.", "s.r.l.", "Srl", "S.p.A.", "SpA", "SPA", "B.V.", "BV", "N.V.", "NV", "AB",
    "HB", "A/S", "AS", "ASA", "ApS", "Oy", "Oyj", "Pty Ltd", "Pty", "K.K.", "Ltda.", "Ltda", "S.A. de C.V.",
    "& Co.", "& Co", "and Sons", "& Sons", "e figli", "et fils", "y Cía.", "Group", "Holdings", "Associates",
}, key=lambda f: (-len(f), f)))
_FORM_RE = re.compile(r"(?:,?\s+)(" + "|".join(re.escape(f) for f in LEGAL_FORMS) + r")\s*$", re.IGNORECASE)
_CANONICAL = {f.casefold(): f for f in reversed(LEGAL_FORMS)}


def legal_form(name: str) -> str | None:
    """The legal form a name ends with, as spelled in :data:`LEGAL_FORMS` (None without one)."""
    match = _FORM_RE.search(name.strip())
    if match is None or match.start() == 0:
        return None
    found = match.group(1)
    return found if found in LEGAL_FORMS else _CANONICAL.get(found.casefold())


def looks_like_organization(s: str) -> bool:
    return legal_form(s) is not None


def learn(strs: list[str]) -> dict:
    strs = [s.strip() for s in strs if s and s.strip()]
    forms = pd.Series([legal_form(s) for s in strs], dtype=object)
    cased = [s for s in strs if s.upper() != s.lower()]
    out: dict = {"form_share": round(float(forms.notna().mean()), 6) if strs else 0.0,
                 "forms": {f: round(float(c), 6) for f, c in forms.value_counts(normalize=True).items()}}
    if cased:
        out["case"] = {"upper": round(sum(s.isupper() for s in cased) / len(cased), 6),
                       "lower": round(sum(s.islower() for s in cased) / len(cased), 6)}
    return out


@lru_cache(maxsize=32)
def pool(locale: str) -> np.ndarray:
    """Faker company names of ``locale`` without their legal form (fixed seed), distinct."""
    from relsynth.privacy.fakes import DEFAULT_LOCALE, _faker

    fake = _faker(locale)
    fake.seed_instance(POOL_SEED)
    try:
        names = [str(fake.company()) for _ in range(POOL_SIZE)]
    except AttributeError:        # a locale without a company provider
        names = []
    bare = pd.Series(names, dtype=object)
    for _ in range(3):          # "Stroh GmbH & Co. KGaA": one form after the other
        bare = bare.str.replace(_FORM_RE, "", regex=True).str.strip(" ,")
    bare = bare[bare.str.len() > 0].drop_duplicates()
    if len(bare) < 50 and locale != DEFAULT_LOCALE:
        return pool(DEFAULT_LOCALE)
    return bare.to_numpy(dtype=object)


def _with_forms(names: np.ndarray, fmt: dict, uniform: np.ndarray, pick: np.ndarray) -> np.ndarray:
    """Names ending in one of the source's legal forms at the source's share (``uniform`` and
    ``pick``: a draw in [0, 1) per name, for whether and which)."""
    forms = fmt.get("forms") or {}
    if not forms or float(fmt.get("form_share", 0)) <= 0:
        return names
    labels = np.array(list(forms), dtype=object)
    weights = np.cumsum(np.array(list(forms.values()), dtype=float))
    chosen = labels[np.minimum(np.searchsorted(weights / weights[-1], pick, side="right"), len(labels) - 1)]
    out = names.copy()
    hit = uniform < float(fmt["form_share"])
    out[hit] = out[hit] + " " + chosen[hit]
    return out


def _case(names: np.ndarray, case: dict | None, u: np.ndarray) -> np.ndarray:
    if not case:
        return names
    up, low = float(case.get("upper", 0)), float(case.get("lower", 0))
    out = pd.Series(names, dtype=object)
    out = out.where(~(u < up), out.str.upper())
    out = out.where(~((u >= up) & (u < up + low)), out.str.lower())
    return out.to_numpy(dtype=object)


def make(fmt: dict, m: int, rng: np.random.Generator, locale: str, *, attempt: int = 0) -> np.ndarray:
    """``m`` fake organization names; a redraw round (``attempt``) may join two pool names."""
    names = pool(locale)
    out = names[rng.integers(len(names), size=m)]
    if attempt >= 2:            # redraws of a unique column: room from a second name
        out = out + " " + names[rng.integers(len(names), size=m)]
    out = _with_forms(out, fmt, rng.random(m), rng.random(m))
    return _case(out, fmt.get("case"), rng.random(m))


def keyed(strings: np.ndarray, draw: np.ndarray, locale: str) -> np.ndarray:
    """Pseudonyms: a pool name per keyed draw (uint64), the real name's legal form and case kept."""
    names = pool(locale)
    out = names[(draw % np.uint64(len(names))).astype(np.int64)].copy()
    forms = [legal_form(str(s)) for s in strings]
    for i, form in enumerate(forms):
        if form:
            out[i] = f"{out[i]} {form}"
    upper = pd.Series([str(s) for s in strings], dtype=object).str.isupper().to_numpy()
    out[upper] = [v.upper() for v in out[upper]]
    return out


__all__ = ["LEGAL_FORMS", "legal_form", "looks_like_organization", "learn", "make", "keyed", "pool"]
