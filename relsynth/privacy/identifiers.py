"""National ids, payment card numbers and IP addresses: how to recognize them, and fakes that
can never be real.

* national ids keep the source's shape (``123-45-6789``, ``123456789``) but always start with a
  9: US social security numbers are never issued in the 9xx area;
* card numbers keep the length and grouping, start with the test prefix ``400000`` and end with
  a valid Luhn check digit (a form that passes validation, an issuer that does not exist);
* IPv4 addresses come from the ranges reserved for documentation and benchmarks
  (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, then 198.18.0.0/15), IPv6 ones from
  2001:db8::/32.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

NATIONAL_ID_RE = re.compile(r"^\d{3}-\d{2}-\d{4}$|^\d{3} \d{2} \d{4}$")
CARD_RE = re.compile(r"^\d{4}([ -]?\d{4}){2}[ -]?\d{1,7}$")
IPV4_RE = re.compile(r"^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$")
IPV6_RE = re.compile(r"^[0-9a-fA-F]{0,4}(:[0-9a-fA-F]{0,4}){2,7}$")
# the same, found inside free text
IN_TEXT = {
    "national_id": re.compile(r"\b\d{3}-\d{2}-\d{4}\b"),
    "card_number": re.compile(r"\b\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{1,7}\b|\b\d{16}\b"),
    "ip_address": re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b"),
}
_TEST_PREFIX = "400000"
SAMPLE = 10_000        # values a shape is learned from


def luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) < 12:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        total += (d * 2 - 9 if d * 2 > 9 else d * 2) if i % 2 else d
    return total % 10 == 0


def looks_like_card(s: str) -> bool:
    s = s.strip()
    return bool(CARD_RE.match(s)) and luhn_ok(s)


def looks_like_ip(s: str) -> bool:
    s = s.strip()
    return bool(IPV4_RE.match(s)) or (":" in s and bool(IPV6_RE.match(s)))


def looks_like_national_id(s: str) -> bool:
    return bool(NATIONAL_ID_RE.match(s.strip()))


# ---------------------------------------------------------------- learning shapes


def learn_shape(strs: list[str]) -> dict:
    """The most common layout: digits as 9, the rest literal (``999-99-9999``)."""
    shapes = pd.Series(strs[:SAMPLE], dtype=object).str.strip().str.replace(r"\d", "9", regex=True)
    return {"shape": shapes.value_counts().index[0] if len(shapes) else "999-99-9999"}


def learn_ip(strs: list[str]) -> dict:
    sample = strs[:SAMPLE]
    v6 = sum(":" in s for s in sample)
    return {"ipv6_share": round(v6 / len(sample), 6) if sample else 0.0}


# ---------------------------------------------------------------- making new ones


def _digits(m: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """``m`` rows of ``width`` random digits as a (m, width) uint8 array."""
    return rng.integers(0, 10, size=(m, width), dtype=np.uint8)


def _spell(digit_rows: np.ndarray, shape: str) -> np.ndarray:
    """Digits poured into a shape's 9s, vectorized over rows."""
    m = digit_rows.shape[0]
    codes = np.empty((m, len(shape)), dtype=np.uint32)
    k = 0
    for j, ch in enumerate(shape):
        if ch == "9":
            codes[:, j] = digit_rows[:, k] + ord("0")
            k += 1
        else:
            codes[:, j] = ord(ch)
    return codes.view(np.dtype(("U", len(shape)))).reshape(m).astype(object) if len(shape) else \
        np.full(m, "", dtype=object)


def make_national_ids(shape: str, m: int, rng: np.random.Generator) -> np.ndarray:
    width = shape.count("9") or 9
    shape = shape if shape.count("9") else "9" * width
    digits = _digits(m, width, rng)
    digits[:, 0] = 9              # the 9xx area: never issued
    return _spell(digits, shape)


def make_cards(shape: str, m: int, rng: np.random.Generator) -> np.ndarray:
    width = shape.count("9")
    if width < 13:
        shape, width = "9999 9999 9999 9999", 16
    digits = _digits(m, width, rng)
    digits[:, :len(_TEST_PREFIX)] = np.array([int(c) for c in _TEST_PREFIX], dtype=np.uint8)
    digits[:, -1] = check_digits(digits[:, :-1])
    return _spell(digits, shape)


def check_digits(body: np.ndarray) -> np.ndarray:
    """The Luhn check digit of each row of digits (vectorized)."""
    reversed_body = body[:, ::-1].astype(np.int64)
    doubled = reversed_body[:, 0::2] * 2
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    total = doubled.sum(axis=1) + reversed_body[:, 1::2].sum(axis=1)
    return ((10 - total % 10) % 10).astype(np.uint8)


_V4_BLOCKS = np.array([(192 << 24) | (0 << 16) | (2 << 8), (198 << 24) | (51 << 16) | (100 << 8),
                       (203 << 24) | (0 << 16) | (113 << 8)], dtype=np.int64)
BENCHMARK_V4 = (198 << 24) | (18 << 16)   # 198.18.0.0/15: 131,072 addresses


def make_ips(fmt: dict, m: int, rng: np.random.Generator, *, attempt: int = 0) -> np.ndarray:
    v6 = rng.random(m) < float(fmt.get("ipv6_share", 0.0))
    out = np.empty(m, dtype=object)
    n4 = int((~v6).sum())
    if n4:
        small = rng.random(n4) < (0.5 if attempt == 0 else 0.0)   # redraws go to the big range
        address = np.where(small, _V4_BLOCKS[rng.integers(0, 3, n4)] + rng.integers(1, 255, n4),
                           BENCHMARK_V4 + rng.integers(1, 2 ** 17 - 1, n4))
        octets = [(address >> shift) & 255 for shift in (24, 16, 8, 0)]
        out[~v6] = pd.Series(octets[0]).astype(str).str.cat([pd.Series(o).astype(str) for o in octets[1:]],
                                                               sep=".").to_numpy()
    n6 = int(v6.sum())
    if n6:
        groups = rng.integers(0, 65536, size=(n6, 4))
        words = [pd.Series(groups[:, i]).map("{:x}".format) for i in range(4)]
        out[v6] = ("2001:db8:" + words[0].str.cat(words[1:], sep=":") + "::1").to_numpy()
    return out


__all__ = ["NATIONAL_ID_RE", "IN_TEXT", "luhn_ok", "looks_like_card", "looks_like_ip", "looks_like_national_id",
           "learn_shape", "learn_ip", "make_national_ids", "make_cards", "make_ips"]
