"""Personal data inside free text, replaced in place before a model learns the text.

A family that writes text (``autoregressive``) learns it from the real column; an e-mail address,
a phone number, a national id, a card number, an IP address, a person's name or a street address
inside a review or a ticket would be material it could spell back. Patterns find the first five;
:mod:`relsynth.privacy.entities` the names (helped by the database's own name columns) and the
addresses. Each is replaced by its pseudonym (:mod:`relsynth.privacy.pseudonyms`:
reserved e-mail domains, never-issued ids, test card numbers, documentation addresses), keeping the
sentence around it; the same address in two tickets, or in a ticket and the customers table of a
masked copy, becomes the same fake.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from relsynth.privacy import entities, identifiers
from relsynth.privacy.pseudonyms import Pseudonyms
from relsynth.schema.kinds import Kind

# order matters: the more specific patterns first, so a card number is not taken for a phone
PATTERNS: tuple[tuple[Kind, re.Pattern], ...] = (
    (Kind.EMAIL, re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")),
    (Kind.CARD_NUMBER, identifiers.IN_TEXT["card_number"]),
    (Kind.NATIONAL_ID, identifiers.IN_TEXT["national_id"]),
    (Kind.IP_ADDRESS, identifiers.IN_TEXT["ip_address"]),
    (Kind.PHONE, re.compile(r"(?<![\w])\+?\(?\d{2,4}\)?[\s.-]\d{3,4}[\s.-]\d{3,4}\b")),
)


_ANY = re.compile("|".join(f"(?P<{kind.value}>{pattern.pattern})" for kind, pattern in PATTERNS))


MAX_NAMES = 200_000     # distinct real names kept to look for in text


@dataclass
class Names:
    """The real names a database holds (first, last and full), to find them inside its text."""

    full: set[str] = field(default_factory=set)
    last: set[str] = field(default_factory=set)     # casefolded: a lone token found in text is a surname

    def add(self, kind: Kind, values: pd.Series) -> None:
        if len(self.full) >= MAX_NAMES or kind not in (Kind.PERSON_NAME, Kind.FIRST_NAME, Kind.LAST_NAME):
            return
        distinct = values.dropna().astype(str).str.strip().unique()[:MAX_NAMES]
        self.full.update(distinct)
        if kind == Kind.LAST_NAME:
            self.last.update(v.casefold() for v in distinct)


def scrub(values: pd.Series, pseudonyms: Pseudonyms, names: Names | None = None) -> tuple[pd.Series, int]:
    """``values`` with every match of :data:`PATTERNS`, and every person name and street address,
    replaced by its pseudonym (one pass each: a fake is never matched again); and how many were."""
    text = values.astype(object)
    present = np.flatnonzero(text.notna().to_numpy())
    strings = [str(v) for v in text.to_numpy()[present]]
    strings, patterns = _replace_patterns(strings, pseudonyms)
    strings, found = _replace_entities(strings, pseudonyms, names or Names())
    if not patterns + found:
        return values, 0
    out = np.full(len(text), None, dtype=object)   # NULL stays NULL
    out[present] = strings
    return pd.Series(out, index=values.index, name=values.name, dtype=object), patterns + found


def kinds_inside(values: pd.Series, names: Names | None = None) -> list[Kind]:
    """The kinds of personal data found inside these texts (for ``relsynth inspect``)."""
    strings = [str(v) for v in values.dropna()]
    found = {Kind(m.lastgroup) for s in strings for m in _ANY.finditer(s)}
    found |= {kind for spans in entities.find(strings, names=(names or Names()).full) for _s, _e, kind in spans}
    return sorted(found, key=lambda k: k.value)


def pattern_values(strings: list[str]) -> dict[str, list[str]]:
    """Per kind (e-mail, card, national id, IP, phone), the values :data:`PATTERNS` find in ``strings``."""
    found: dict[str, list[str]] = {}
    for s in strings:
        for match in _ANY.finditer(s):
            found.setdefault(match.lastgroup, []).append(match.group())
    return found


def _replace_patterns(strings: list[str], pseudonyms: Pseudonyms) -> tuple[list[str], int]:
    found = pattern_values(strings)
    if not found:
        return strings, 0
    fake_of = {kind: dict(zip(real, pseudonyms.map(Kind(kind), np.array(real, dtype=object))))
               for kind, real in found.items()}
    return ([_ANY.sub(lambda match: fake_of[match.lastgroup][match.group()], s) for s in strings],
            sum(len(v) for v in found.values()))


def _replace_entities(strings: list[str], pseudonyms: Pseudonyms, names: Names) -> tuple[list[str], int]:
    spans = entities.find(strings, names=names.full)
    pieces = [(i, start, end, kind, strings[i][start:end]) for i, found in enumerate(spans)
              for start, end, kind in found]
    # a span that ends a sentence ("12 Elm St.") leaves the full stop to the sentence
    pieces = [(i, s, e - 1, k, r[:-1]) if r.endswith(".") and e - s > 1 else (i, s, e, k, r)
              for i, s, e, k, r in pieces]
    if not pieces:
        return strings, 0
    fake_of = _entity_fakes(pieces, pseudonyms, names)
    out = list(strings)
    for i, start, end, kind, real in reversed(pieces):    # from the end: earlier offsets stay valid
        out[i] = out[i][:start] + fake_of[kind, real] + out[i][end:]
    return out, len(pieces)


def _entity_fakes(pieces: list, pseudonyms: Pseudonyms, names: Names) -> dict[tuple[Kind, str], str]:
    """A lone name token goes through the last- or first-name mapping (as the name columns do),
    a full name token by token, an address as a street line."""
    groups: dict[Kind, set[str]] = {}
    for _i, _s, _e, kind, real in pieces:
        if kind == Kind.PERSON_NAME and " " not in real.strip():
            kind = Kind.LAST_NAME if real.casefold() in names.last else Kind.FIRST_NAME
        groups.setdefault(kind, set()).add(real)
    out: dict[tuple[Kind, str], str] = {}
    for kind, reals in groups.items():
        real = pd.Series(sorted(reals), dtype=object)
        fake = pseudonyms.replace(kind, real)
        shown = Kind.PERSON_NAME if kind in (Kind.FIRST_NAME, Kind.LAST_NAME) else kind
        out.update({(shown, r): f for r, f in zip(real, fake)})
    return out


__all__ = ["scrub", "kinds_inside", "pattern_values", "Names", "PATTERNS"]
