"""Values of database types with their own syntax, generated valid in that syntax.

PostgreSQL's inet / cidr / macaddr / macaddr8, bit / varbit (and MySQL BIT), xml, hstore,
the range and multirange types, the geometric types and MySQL's spatial types
(:mod:`relsynth.privacy.wkt`). ``learn(spec, values, k)`` keeps a
column's *shape* (address family and prefix lengths, bound inclusivity, element structure,
hstore keys) and the distributions of its numbers (range bounds and widths, coordinates) as
quantiles; ``make(fmt, m, rng, words)`` writes new values as PostgreSQL's text input, which
other databases keep as text. No real value fewer than ``k`` rows share is kept: a quantile
that lands on such a value is moved halfway to the next real one, categories and names
(structures, keys) need ``k`` rows. Numbers: :mod:`relsynth.privacy.numbers`; ranges and
geometry: :mod:`relsynth.privacy.geometry`; xml and hstore: :mod:`relsynth.privacy.documents`.
"""

from __future__ import annotations

import ipaddress
from typing import Any

import numpy as np
import pandas as pd

from relsynth.privacy import documents, geometry, wkt
from relsynth.privacy.numbers import category_stats, draw_categories

NETWORK = ("inet", "cidr")
MACS = {"macaddr": 6, "macaddr8": 8}
# where generated addresses live: private and documentation networks, never a real host
_V4_BASE, _V4_BITS = int(ipaddress.IPv4Address("10.0.0.0")), 8
_V6_BASE, _V6_BITS = int(ipaddress.IPv6Address("2001:db8::")), 32
_HEX = np.array([f"{i:02x}" for i in range(256)], dtype=object)


def identifies(special: str) -> bool:
    """Whether a value of this type can point at something real (a host, a device) and must
    never equal a real one. Ranges, shapes, documents and bits are put together from learned
    numbers and shared structures, each already under the k rule, like a modeled number: over a
    dense domain (ranges [n, n+10) for every n) every generated value equals some real one, and
    checking them all would leave the column NULL."""
    return special in NETWORK or special in MACS


def supported(special: str) -> bool:
    return special in NETWORK or special in MACS or special == "bit" or documents.supported(special) \
        or geometry.supported(special) or special == "wkt"


def as_text(values: pd.Series, spec: dict) -> list[str]:
    """Non-null values as their text form (MySQL BIT bytes as 0/1 digits)."""
    present = values[values.notna()].tolist()
    if spec.get("special") == "bit" and present and isinstance(present[0], (bytes, bytearray)):
        width = int(spec.get("length") or 1)
        return [format(int.from_bytes(bytes(v), "big"), f"0{width}b") for v in present]
    return [str(v) for v in present]


def learn(spec: dict, values: pd.Series, *, k: int) -> dict:
    special = str(spec.get("special"))
    strs = as_text(values, spec)
    out: dict[str, Any] = {"special": special}
    if special in NETWORK:
        out.update(_learn_network(strs, special, k))
    elif special == "bit":
        out.update(_learn_bits(strs, int(spec.get("length") or 1), bool(spec.get("fixed")), k))
    elif special in MACS:
        out["bytes"] = MACS[special]
    elif geometry.supported(special):
        out.update(geometry.learn(special, strs, k))
    elif special == "wkt":
        out.update(wkt.learn(str(spec.get("shape") or "GEOMETRY"), strs, k))
    else:
        out.update(documents.learn(special, strs, k))
    return out


def make(fmt: dict, m: int, rng: np.random.Generator, words: np.ndarray) -> np.ndarray:
    special = fmt.get("special")
    if m == 0:
        return np.empty(0, dtype=object)
    if special in NETWORK:
        return _make_network(fmt, m, rng)
    if special == "bit":
        return _make_bits(fmt, m, rng)
    if special in MACS:
        return _make_mac(int(fmt.get("bytes", 6)), m, rng)
    if geometry.supported(special):
        return geometry.make(fmt, m, rng)
    if special == "wkt":
        return wkt.make(fmt, m, rng)
    return documents.make(fmt, m, rng, words)


# ---------------------------------------------------------------- addresses

def _learn_network(strs: list[str], special: str, k: int) -> dict:
    """The share of IPv6, the prefix lengths per family (those >= k rows use), whether inet
    text shows a full-length prefix."""
    families, prefixes, shown = [], [], 0
    for s in strs:
        try:
            net = ipaddress.ip_interface(s.strip()).network if special == "inet" else ipaddress.ip_network(s.strip())
        except ValueError:
            continue
        families.append(net.version)
        prefixes.append(f"{net.version}/{net.prefixlen}")
        shown += "/" in s
    stats = category_stats(prefixes, k)
    v6 = sum(f == 6 for f in families) / len(families) if families else 0.0
    return {"ipv6_share": round(v6, 6), "prefixes": stats}


def _make_network(fmt: dict, m: int, rng: np.random.Generator) -> np.ndarray:
    cidr = fmt.get("special") == "cidr"
    v6 = rng.random(m) < float(fmt.get("ipv6_share", 0.0))
    out = np.empty(m, dtype=object)
    for version, rows in ((4, np.flatnonzero(~v6)), (6, np.flatnonzero(v6))):
        if not len(rows):
            continue
        bits = 32 if version == 4 else 128
        lengths = _prefix_lengths(fmt.get("prefixes") or {}, version, len(rows), rng, cidr)
        out[rows] = _addresses(version, lengths, rng, zero_host=cidr, show_full=cidr, bits=bits)
    return out


def _prefix_lengths(stats: dict, version: int, m: int, rng: np.random.Generator, cidr: bool) -> np.ndarray:
    own = {c: p for c, p in zip(stats.get("values", []), stats.get("p", [])) if c.startswith(f"{version}/")}
    if not own:
        default = {4: 24 if cidr else 32, 6: 64 if cidr else 128}[version]
        return np.full(m, default, dtype=np.int64)
    picked = draw_categories({"values": list(own), "p": list(own.values())}, m, rng)
    return np.array([int(c.split("/")[1]) for c in picked], dtype=np.int64)


def _addresses(version: int, lengths: np.ndarray, rng: np.random.Generator, *, zero_host: bool,
               show_full: bool, bits: int) -> np.ndarray:
    """Hosts inside 10.0.0.0/8 or 2001:db8::/32; networks (cidr: host bits zero) anywhere in
    IPv4, so a /16 has room to differ from every real one; ``a/len`` text."""
    m = len(lengths)
    if version == 4:
        value = rng.integers(0, 1 << 32, size=m, dtype=np.int64) if zero_host else \
            _V4_BASE + rng.integers(0, 1 << (32 - _V4_BITS), size=m, dtype=np.int64)
        if zero_host:
            value &= ~((np.int64(1) << (32 - lengths)) - 1) & 0xFFFFFFFF
        quads = [(value >> shift) & 255 for shift in (24, 16, 8, 0)]
        text = pd.Series(quads[0].astype(str), dtype=object)
        for q in quads[1:]:
            text = text + "." + q.astype(str)
        addresses = text.to_numpy(object)
    else:
        low = rng.integers(0, 1 << 62, size=m, dtype=np.int64).tolist()
        mid = rng.integers(0, 1 << 32, size=m, dtype=np.int64).tolist()
        ints = [_V6_BASE | (b << 64) | (a << 2) for a, b in zip(low, mid)]
        if zero_host:
            ints = [v & ~((1 << (bits - p)) - 1) for v, p in zip(ints, lengths.tolist())]
        addresses = np.array([str(ipaddress.IPv6Address(v)) for v in ints], dtype=object)
    suffix = np.where((lengths < bits) | show_full, "/" + lengths.astype(str).astype(object), "")
    return (pd.Series(addresses, dtype=object) + suffix).to_numpy(object)


def _make_mac(width: int, m: int, rng: np.random.Generator) -> np.ndarray:
    """Locally administered unicast MAC addresses: no vendor ever assigned one."""
    octets = rng.integers(0, 256, size=(m, width))
    octets[:, 0] = (octets[:, 0] & 0xFC) | 0x02
    text = pd.Series(_HEX[octets[:, 0]], dtype=object)
    for j in range(1, width):
        text = text + ":" + _HEX[octets[:, j]]
    return text.to_numpy(object)


# ---------------------------------------------------------------- bit strings

def _learn_bits(strs: list[str], length: int, fixed: bool, k: int) -> dict:
    """The share of ones at each position, and (bit varying) the lengths."""
    bits = [s for s in strs if s and set(s) <= {"0", "1"}]
    lengths = np.array([len(s) for s in bits], dtype=np.int64)
    width = int(max(lengths.max(initial=0), 1)) if not fixed else length
    ones = np.zeros(width)
    if bits:
        padded = np.array([list(s.ljust(width, "0")[:width]) for s in bits]) == "1"
        counted = np.array([np.minimum(lengths, width) > j for j in range(width)]).T
        ones = padded.sum(axis=0) / np.maximum(counted.sum(axis=0), 1)
    return {"length": length, "fixed": fixed, "ones": np.round(ones, 3).tolist(),
            "lengths": category_stats([str(n) for n in lengths.tolist()], k) if bits and not fixed else {}}


def _make_bits(fmt: dict, m: int, rng: np.random.Generator) -> np.ndarray:
    length = int(fmt.get("length") or 1)
    ones = np.asarray(fmt.get("ones") or [0.5] * length, dtype=float)
    width = len(ones) if not fmt.get("fixed") else length
    ones = np.resize(ones, width) if len(ones) != width else ones
    digits = (rng.random((m, width)) < ones).astype(np.uint32) + ord("0")
    text = np.ascontiguousarray(digits).view(np.dtype(("U", width))).reshape(m).astype(object)
    if fmt.get("fixed"):
        return text
    seen = fmt.get("lengths") or {"values": [str(width)], "p": [1.0]}
    sizes = draw_categories(seen, m, rng).astype(np.int64)
    sizes = np.clip(sizes, 0, min(width, length))
    return np.array([t[:n] for t, n in zip(text, sizes.tolist())], dtype=object)
