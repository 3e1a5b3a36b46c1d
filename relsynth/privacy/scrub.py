"""Personal data inside free text, replaced in place before a model learns the text.

A family that writes text (``autoregressive``) learns it from the real column; an e-mail address,
a phone number, a national id, a card number or an IP address inside a review or a ticket would
be material it could spell back. Each is replaced by a fake of the same kind (reserved e-mail
domains, never-issued ids, test card numbers, documentation addresses), keeping the sentence
around it.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from relsynth.privacy import identifiers
from relsynth.privacy.fakes import generate, learn_format
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


def scrub(values: pd.Series, rng: np.random.Generator, *, locale: str | None = None) -> tuple[pd.Series, int]:
    """``values`` with every match of :data:`PATTERNS` replaced by a fake of its kind (one pass:
    a fake is never matched again), and how many were replaced. ``locale``: of the names in fake
    e-mail addresses (default en_US)."""
    text = values.astype(object)
    present = np.flatnonzero(text.notna().to_numpy())
    strings = [str(v) for v in text.to_numpy()[present]]
    found: dict[str, list[str]] = {}
    for s in strings:
        for match in _ANY.finditer(s):
            found.setdefault(match.lastgroup, []).append(match.group())
    if not found:
        return values, 0
    fakes = {kind: iter(generate(learn_format(Kind(kind), pd.Series(real, dtype=object)), len(real), rng,
                                 locale=locale).fillna("").tolist())
             for kind, real in found.items()}
    out = np.full(len(text), None, dtype=object)   # NULL stays NULL
    out[present] = [_ANY.sub(lambda match: next(fakes[match.lastgroup]), s) for s in strings]
    return pd.Series(out, index=values.index, name=values.name, dtype=object), sum(len(v) for v in found.values())


__all__ = ["scrub", "PATTERNS"]
