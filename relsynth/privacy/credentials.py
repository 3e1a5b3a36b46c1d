"""Secrets (passwords, password hashes, API keys, tokens): how to recognize them, and fakes of
the same format that are never a real one.

A secret is never copied, never kept in a format, and never a category (pagila's two staff
rows share one SHA-1 hash: as a category it was copied verbatim). What a format keeps is the
*layout* of the values, per template (the :data:`MAX_TEMPLATES` most common, with their shares):

* a scheme header from a closed list of public markers: modular crypt (``$2b$12$``: bcrypt and
  its cost, ``$6$rounds=5000$``, ``$argon2id$v=19$m=65536,t=3,p=4$``), Django's
  ``pbkdf2_sha256$600000$``, LDAP's ``{SSHA}``, vendor key prefixes (``sk_live_``, ``ghp_``,
  ``xoxb-``, ``AKIA``, ``AIza``, ``glpat-``) and a JWT's ``eyJ`` (base64 of ``{"``). They name an
  algorithm or a vendor, never a person; nothing else of a value is kept;
* after it, the separators (``$``, ``:``, and ``.`` in a JWT) and, for each run between them, its length, its
  alphabet (the smallest of digits, lower / upper hex, lower / upper alphanumerics, all
  alphanumerics, crypt's ``./0-9A-Za-z``, base64, base64url, printable ASCII that holds every
  character the template's values have there) and its ``=`` padding.

Generation fills every run with random characters of its alphabet, one code-point array per
template: a 40-hex SHA-1 stays 40 lowercase hex digits, a bcrypt hash ``$2b$12$`` and 53 crypt
characters, a plain 8-letter password 8 characters of its alphabet. A real value can still be
drawn by chance in a tiny format (a 4-digit PIN): the caller's ``exclude`` (the table passes
every real value) redraws it. Masking (:func:`keyed`) fills each value's own layout from keyed
draws instead, so the same hash maps to the same fake under one salt.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable

import numpy as np
import pandas as pd

MAX_TEMPLATES = 20
SEPARATORS = "$:"              # and "." between a JWT's parts (in crypt and bcrypt bodies "." is a character)
_SPLIT = re.compile(r"([$:])")
_SPLIT_JWT = re.compile(r"([$:.])")

# the smallest alphabet holding a run's characters is the one generated from (order matters)
ALPHABETS: dict[str, str] = {
    "digits": "0123456789",
    "hex": "0123456789abcdef",
    "HEX": "0123456789ABCDEF",
    "lower": "abcdefghijklmnopqrstuvwxyz0123456789",
    "upper": "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "alnum": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "crypt": "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    "base64": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
    "base64url": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
    "printable": "".join(chr(c) for c in range(33, 127) if chr(c) not in SEPARATORS + "."),
}
_SETS = {name: frozenset(chars) for name, chars in ALPHABETS.items()}
_CODES = {name: np.array([ord(c) for c in chars], dtype=np.uint32) for name, chars in ALPHABETS.items()}

# public scheme markers (a closed list): kept verbatim at the start of a value
HEADER = re.compile(
    r"^(?:"
    r"\$(?:2[abxy]?|1|5|6|7|y|gy|md5|sha1|apr1|argon2(?:id|i|d)|scrypt|pbkdf2(?:-sha(?:1|256|512))?)\$"
    r"(?:(?:v=\d+|m=\d+,t=\d+,p=\d+|rounds=\d+|ln=\d+,r=\d+,p=\d+|\d{1,7})\$)*"
    r"|(?:pbkdf2_sha256|pbkdf2_sha1|argon2|bcrypt_sha256|bcrypt|scrypt|sha1|md5|crypt)\$(?:\d{1,7}\$)?"
    r"|\{(?:SSHA|SHA|SSHA256|SSHA512|SHA256|SHA512|MD5|SMD5|CRYPT|PBKDF2)\}"
    r"|(?:sk|pk|rk)_(?:live|test)_|gh[pousr]_|github_pat_|xox[abprs]-|glpat-|AKIA|ASIA|AIza|eyJ"
    r")")
_HEX_DIGEST = re.compile(r"^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{56}|[0-9a-f]{64}|[0-9a-f]{96}|[0-9a-f]{128})$",
                         re.IGNORECASE)
_BODY = re.compile(r"^[./A-Za-z0-9+=$:_-]{16,}$")
_JWT = re.compile(r"^eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*$")
_TOKEN = re.compile(r"^[A-Za-z0-9+/_-]{20,}={0,2}$")
RANDOM_SWITCHES = 0.4       # share of neighbouring characters of another class in a random token


def looks_like_secret(s: str) -> bool:
    """A hex digest (32 to 128 digits), a hash behind a scheme header (bcrypt, crypt, argon2,
    Django, LDAP), a vendor API key, a JWT, or a long token of random-looking base64."""
    s = s.strip()
    if _HEX_DIGEST.match(s):
        return not s.isdigit()
    header = HEADER.match(s)
    if header and header.end() and _BODY.match(s[header.end():]):
        return True
    return bool(_JWT.match(s)) or _looks_random(s)


def _looks_random(s: str) -> bool:
    """Base64 of random bytes: upper, lower and digits mixed, the class changing between most
    neighbouring characters (a CamelCase identifier changes it once a word)."""
    if not _TOKEN.match(s):
        return False
    body = s.rstrip("=")
    classes = [0 if c.isupper() else 1 if c.islower() else 2 if c.isdigit() else 3 for c in body]
    if not {0, 1, 2} <= set(classes):
        return False
    switches = sum(a != b for a, b in zip(classes, classes[1:]))
    return switches >= RANDOM_SWITCHES * (len(body) - 1)


# ---------------------------------------------------------------- layouts

def _alphabet(chars: Iterable[str]) -> str:
    seen = frozenset(chars)
    return next((name for name, members in _SETS.items() if seen <= members), "printable")


def _split(value: str) -> tuple[str, list[str], list[str]]:
    """The header, the separators and the runs between them (one run more than separators)."""
    header = HEADER.match(value)
    head = header.group() if header else ""
    pieces = (_SPLIT_JWT if head == "eyJ" else _SPLIT).split(value[len(head):])
    return head, pieces[1::2], pieces[0::2]


def _layout(head: str, seps: list[str], runs: list[str]) -> tuple:
    """What two values must share to be one template: header, separators, run lengths, padding."""
    pads = tuple(len(r) - len(r.rstrip("=")) for r in runs)
    return head, tuple(seps), tuple(len(r) - p for r, p in zip(runs, pads)), pads


def learn(strs: list[str]) -> dict:
    """The templates of a secret column (see the module docstring): never a real value."""
    groups: dict[tuple, list[list[str]]] = {}
    for value in strs:
        value = value.strip()
        if not value:
            continue
        head, seps, runs = _split(value)
        groups.setdefault(_layout(head, seps, runs), []).append(runs)
    ranked = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))[:MAX_TEMPLATES]
    kept = sum(len(members) for _, members in ranked) or 1
    templates = []
    for (head, seps, lengths, pads), members in ranked:
        parts = []
        for j, (length, pad) in enumerate(zip(lengths, pads)):
            alphabet = _alphabet(c for runs in members for c in runs[j].rstrip("=")) if length else "digits"
            parts.append([seps[j - 1] if j else "", int(length), alphabet, int(pad)])
        templates.append({"head": head, "parts": parts, "share": round(len(members) / kept, 6)})
    return {"templates": templates or [{"head": "", "parts": [["", 40, "hex", 0]], "share": 1.0}]}


# ---------------------------------------------------------------- making new ones

def _spell(head: str, parts: list, draws: Callable[[int], np.ndarray], m: int) -> np.ndarray:
    """``m`` values of one template; ``draws(width)`` gives an (m, width) array of uint64 draws."""
    pieces = [np.full((m, len(head)), 0, dtype=np.uint32) + np.array([ord(c) for c in head], dtype=np.uint32)]
    for sep, length, alphabet, pad in parts:
        if sep:
            pieces.append(np.full((m, 1), ord(sep), dtype=np.uint32))
        if length:
            pool = _CODES.get(alphabet, _CODES["printable"])
            pieces.append(pool[(draws(int(length)) % np.uint64(len(pool))).astype(np.int64)])
        if pad:
            pieces.append(np.full((m, int(pad)), ord("="), dtype=np.uint32))
    codes = np.ascontiguousarray(np.concatenate(pieces, axis=1)) if pieces else np.zeros((m, 0), np.uint32)
    width = codes.shape[1]
    if width == 0:
        return np.full(m, "", dtype=object)
    return codes.view(np.dtype(("U", width))).reshape(m).astype(object)


def make(fmt: dict, m: int, rng: np.random.Generator) -> np.ndarray:
    """``m`` new secrets in the format's templates, drawn by their shares."""
    templates = fmt.get("templates") or learn([])["templates"]
    shares = np.array([float(t.get("share", 0)) for t in templates])
    shares = shares / shares.sum() if shares.sum() > 0 else np.full(len(templates), 1 / len(templates))
    which = rng.choice(len(templates), size=m, p=shares) if len(templates) > 1 else np.zeros(m, dtype=np.int64)
    out = np.empty(m, dtype=object)
    for i, template in enumerate(templates):
        idx = np.flatnonzero(which == i)
        if idx.size:
            out[idx] = _spell(template.get("head", ""), template.get("parts") or [],
                              lambda width, n=idx.size: rng.integers(0, 2 ** 63, size=(n, width), dtype=np.uint64),
                              idx.size)
    return out


def keyed(strings: np.ndarray, stream: Callable[[np.ndarray, int, int], np.ndarray]) -> np.ndarray:
    """Each value replaced by a fake of its own layout (header kept, runs of the same length
    and alphabet), filled from ``stream(rows, j, width)``: keyed draws of rows ``rows``, stream
    ``j`` (one per run), ``width`` per row (masking: the same value, the same fake)."""
    layouts = []
    for value in strings:
        head, seps, runs = _split(str(value).strip())
        parts = [[seps[j - 1] if j else "", len(r.rstrip("=")), _alphabet(r.rstrip("=")),
                  len(r) - len(r.rstrip("="))] for j, r in enumerate(runs)]
        layouts.append((head, parts))
    out = np.empty(len(strings), dtype=object)
    groups = pd.Series([f"{head}\x00{parts!r}" for head, parts in layouts], dtype=object)
    for idx in groups.groupby(groups, sort=False).indices.values():
        head, parts = layouts[idx[0]]
        runs = iter(range(len(parts)))
        out[idx] = _spell(head, parts, lambda width, rows=idx: stream(rows, next(runs), width), len(idx))
    return out


__all__ = ["looks_like_secret", "learn", "make", "keyed", "ALPHABETS", "HEADER", "MAX_TEMPLATES"]
