"""MySQL / MariaDB spatial values: learned from ``SRID=n;WKT`` text, written as WKT or WKB.

A column keeps the kinds of its values (POINT ... GEOMETRYCOLLECTION, and the kinds inside
collections), their SRIDs, and as quantiles the centres and half-sizes of the values, the
number of parts of a multi value and of points per line or ring (the privacy rule of
:mod:`relsynth.privacy.numbers`: kinds and SRIDs need ``k`` rows, no quantile is a rare real
value). New values are built so they are valid in their kind: lines and rings are drawn
around a centre in angle order (never crossing themselves), rings are closed, the parts of a
multi value lie side by side without touching. ``to_wkb`` gives the bytes MySQL stores (a
4-byte SRID, then WKB), which its bulk insert takes as they are.
"""

from __future__ import annotations

import math
import re
import struct
from typing import Any

import numpy as np

from relsynth.privacy.numbers import category_stats, draw_categories, draw_numbers, number_stats

KINDS = ("POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION")
_CODES = {kind: i + 1 for i, kind in enumerate(KINDS)}
_SINGLE = {"MULTIPOINT": "POINT", "MULTILINESTRING": "LINESTRING", "MULTIPOLYGON": "POLYGON"}
_DEFAULT_KIND = {"GEOMETRY": "POINT", "GEOMCOLLECTION": "GEOMETRYCOLLECTION"}
_TOKEN = re.compile(r"[A-Za-z]+|[()]|,|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_SRID = re.compile(r"^SRID=(\d+);")
MAX_POINTS, MAX_PARTS = 32, 8
FINEST = 1e-6


# ---------------------------------------------------------------- parsing and WKB

def split_srid(text: str) -> tuple[int, str]:
    found = _SRID.match(text)
    return (int(found.group(1)), text[found.end():]) if found else (0, text)


def parse(wkt: str) -> tuple[str, Any]:
    """(kind, body) of a WKT value: a point is [(x, y)], a line a list of points, a polygon a
    list of rings, a multi value a list of its parts' bodies, a collection a list of (kind, body)."""
    tokens = _TOKEN.findall(wkt)
    geometry, _ = _geometry(tokens, 0)
    return geometry


def _geometry(tokens: list[str], i: int) -> tuple[tuple[str, Any], int]:
    kind = tokens[i].upper()
    kind = "GEOMETRYCOLLECTION" if kind == "GEOMCOLLECTION" else kind
    i += 1
    if i < len(tokens) and tokens[i].upper() == "EMPTY":
        return (kind, []), i + 1
    if kind == "GEOMETRYCOLLECTION":
        members, i = [], i + 1                         # past "("
        while tokens[i] != ")":
            member, i = _geometry(tokens, i)
            members.append(member)
            i += tokens[i] == ","
        return (kind, members), i + 1
    body, i = _nested(tokens, i)
    if kind == "POINT":
        body = body[:1]
    elif kind == "MULTIPOINT":     # MULTIPOINT(1 2,3 4) and MULTIPOINT((1 2),(3 4)) alike
        body = [part if isinstance(part, list) else [part] for part in body]
    return (kind, body), i


def _nested(tokens: list[str], i: int) -> tuple[Any, int]:
    if tokens[i] != "(":
        numbers = []
        while i < len(tokens) and tokens[i] not in ("(", ")", ","):
            numbers.append(float(tokens[i]))
            i += 1
        return tuple(numbers[:2]), i
    items, i = [], i + 1
    while True:
        item, i = _nested(tokens, i)
        items.append(item)
        i += 1
        if tokens[i - 1] == ")":
            return items, i


def to_wkb(text: str) -> bytes:
    """``SRID=n;WKT`` (or plain WKT, SRID 0) as MySQL's internal value: SRID, then WKB."""
    srid, wkt = split_srid(text)
    return struct.pack("<I", srid) + _wkb(*parse(wkt))


def _wkb(kind: str, body: Any) -> bytes:
    head = struct.pack("<BI", 1, _CODES[kind])
    if kind == "POINT":
        return head + (struct.pack("<dd", *body[0]) if body else struct.pack("<dd", float("nan"), float("nan")))
    if kind == "LINESTRING":
        return head + _points(body)
    if kind == "POLYGON":
        return head + struct.pack("<I", len(body)) + b"".join(_points(ring) for ring in body)
    if kind == "GEOMETRYCOLLECTION":
        return head + struct.pack("<I", len(body)) + b"".join(_wkb(*member) for member in body)
    return head + struct.pack("<I", len(body)) + b"".join(_wkb(_SINGLE[kind], part) for part in body)


def _points(points: list[tuple[float, float]]) -> bytes:
    return struct.pack("<I", len(points)) + b"".join(struct.pack("<dd", *p) for p in points)


def _coordinates(body: Any) -> list[tuple[float, float]]:
    if isinstance(body, tuple):
        return [body] if len(body) == 2 else []
    if body and isinstance(body[0], tuple) and isinstance(body[0][0], str):   # a collection's members
        return [p for _, member in body for p in _coordinates(member)]
    return [p for item in body for p in _coordinates(item)]


def _lines(kind: str, body: Any) -> list[list]:
    """The point lists (lines and rings) of a value."""
    if kind == "LINESTRING":
        return [body]
    if kind == "POLYGON":
        return list(body)
    if kind in ("MULTILINESTRING", "MULTIPOLYGON"):
        return [line for part in body for line in _lines(_SINGLE[kind], part)]
    if kind == "GEOMETRYCOLLECTION":
        return [line for member in body for line in _lines(*member)]
    return []


# ---------------------------------------------------------------- learning

def learn(shape: str, strs: list[str], k: int) -> dict:
    srids, kinds, members, parts, points, centres, spans, every = [], [], [], [], [], [], [], []
    for text in strs:
        srid, wkt = split_srid(text.strip())
        try:
            kind, body = parse(wkt)
        except (IndexError, ValueError):
            continue
        srids.append(str(srid))
        kinds.append(kind)
        if kind == "GEOMETRYCOLLECTION":
            members += [m for m, _ in body]
        if kind in _SINGLE or kind == "GEOMETRYCOLLECTION":
            parts.append(len(body))
        points += [len(line) - (len(line) > 3 and line[0] == line[-1]) for line in _lines(kind, body)]   # rings: once
        xy = np.array(_coordinates(body), dtype=np.float64).reshape(-1, 2)
        if len(xy):
            centres.append((xy.max(axis=0) + xy.min(axis=0)) / 2)
            if kind != "POINT":     # a point has no size: sizes are those of the other values
                spans.append((xy.max(axis=0) - xy.min(axis=0)) / 2)
            every.append(xy)
    centres_ = np.array(centres).reshape(-1, 2)
    spans_ = np.array(spans).reshape(-1, 2)
    coords = np.concatenate(every) if every else np.zeros((0, 2))
    unit = min(number_stats(coords[:, 0], 1)["unit"], number_stats(coords[:, 1], 1)["unit"]) if len(coords) else 1.0
    return {"shape": shape.upper(), "srids": category_stats(srids, k), "kinds": category_stats(kinds, k),
            "members": category_stats(members, k), "x": number_stats(centres_[:, 0], k),
            "y": number_stats(centres_[:, 1], k), "dx": number_stats(spans_[:, 0], k),
            "dy": number_stats(spans_[:, 1], k), "unit": unit,
            "parts": number_stats(parts or [2], 1) | {"unit": 1.0},
            "points": number_stats(points or [4], 1) | {"unit": 1.0}}


# ---------------------------------------------------------------- generation

def make(fmt: dict, m: int, rng: np.random.Generator) -> np.ndarray:
    shape = str(fmt.get("shape") or "GEOMETRY")
    default = _DEFAULT_KIND.get(shape, shape)
    kinds = draw_categories(fmt.get("kinds") or {}, m, rng) if (fmt.get("kinds") or {}).get("values") \
        else np.full(m, default, dtype=object)
    kinds = np.where(np.isin(kinds, KINDS), kinds, default)
    if shape != "GEOMETRY":       # a typed column takes its own kind only
        kinds[:] = default
    srids = draw_categories(fmt.get("srids") or {}, m, rng) if (fmt.get("srids") or {}).get("values") \
        else np.full(m, "0", dtype=object)
    unit = float(fmt.get("unit") or 1e-6)
    x, y = (draw_numbers(fmt.get(key) or {"q": [0.0]}, m, rng) for key in ("x", "y"))
    least = 200 * FINEST     # room for distinct points after rounding
    dx, dy = (np.maximum(np.abs(draw_numbers(fmt.get(key) or {"q": [1.0]}, m, rng)), least) for key in ("dx", "dy"))
    parts = np.clip(draw_numbers(fmt.get("parts") or {"q": [2.0]}, m, rng).astype(np.int64), 1, MAX_PARTS)
    members = fmt.get("members") or {}
    counts = iter(draw_numbers(fmt.get("points") or {"q": [4.0]}, m * MAX_PARTS, rng).astype(np.int64).tolist())
    out = np.empty(m, dtype=object)
    for i in range(m):
        kind = str(kinds[i])
        if kind in _SINGLE or kind == "GEOMETRYCOLLECTION":
            count = int(parts[i])
            inner = [str(v) for v in draw_categories(members, count, rng)] if kind == "GEOMETRYCOLLECTION" \
                and members.get("values") else [_SINGLE.get(kind, "POINT")] * count
            inner = [v if v in ("POINT", "LINESTRING", "POLYGON") else "POINT" for v in inner]
            radius = max(dx[i] / count * 0.4, least)
            bodies = [_single(v, x[i] + (j - (count - 1) / 2) * 2.5 * radius, y[i], radius, max(dy[i] * 0.4, least),
                              next(counts), unit, rng) for j, v in enumerate(inner)]
            if kind == "GEOMETRYCOLLECTION":
                text = f"GEOMETRYCOLLECTION({','.join(f'{v}{b}' for v, b in zip(inner, bodies))})"
            elif kind == "MULTIPOINT":    # MULTIPOINT(1 2,3 4): the form MariaDB and PostGIS both read
                text = f"MULTIPOINT({','.join(b[1:-1] for b in bodies)})"
            else:
                text = f"{kind}({','.join(bodies)})"
        else:
            text = kind + _single(kind, x[i], y[i], dx[i], dy[i], next(counts), unit, rng)
        out[i] = f"SRID={srids[i]};{text}"
    return out


def _single(kind: str, cx: float, cy: float, rx: float, ry: float, n: int, unit: float,
            rng: np.random.Generator) -> str:
    """The parenthesized body of one POINT, LINESTRING or POLYGON with about ``n`` points."""
    if kind == "POINT":
        return f"({_text([cx], [cy], unit)[0]})"
    # a unit fine enough that rounding keeps the points of a small shape apart (and in angle order)
    unit = max(min(unit, 10.0 ** math.floor(math.log10(min(rx, ry) / 200))), FINEST)
    n = min(max(n, 3 if kind == "POLYGON" else 2), MAX_POINTS)
    u = rng.random(2 * n).tolist()
    angle = [2 * math.pi * (j + 0.6 * u[j]) / n for j in range(n)]   # ascending, never closer than 0.4 / n turn
    reach = [0.5 + 0.5 * r for r in u[n:]]
    points = _text([cx + rx * r * math.cos(a) for a, r in zip(angle, reach)],
                   [cy + ry * r * math.sin(a) for a, r in zip(angle, reach)], unit)
    if kind == "POLYGON":
        return f"(({','.join(points)},{points[0]}))"
    return f"({','.join(points)})"


def _text(x: list[float], y: list[float], unit: float) -> list[str]:
    """``x y`` pairs on the unit, with as many decimals as it has."""
    digits = max(0, round(-math.log10(unit))) if unit < 1 else 0
    return [f"{round(a / unit) * unit:.{digits}f} {round(b / unit) * unit:.{digits}f}" for a, b in zip(x, y)]
