"""XML and hstore values: the source's structure kept, every text generated.

XML keeps the element structures (tags, attribute names, which elements hold text) at least
``k`` rows share; each text and attribute slot of a structure learns its leaf (a number's
distribution, categories ``k`` rows hold, or a count of words) and is filled anew. hstore keeps
the keys ``k`` rows use, each key's share of rows, and its values' leaf.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd

from relsynth.privacy.numbers import leaf_stats, make_leaf

_PAIR_RE = re.compile(r'"((?:[^"\\]|\\.)*)"\s*=>\s*(NULL|"((?:[^"\\]|\\.)*)")')
MAX_STRUCTURES = 5


def supported(special: str) -> bool:
    return special in ("xml", "hstore")


def learn(special: str, strs: list[str], k: int) -> dict:
    return _learn_hstore(strs, k) if special == "hstore" else _learn_xml(strs, k)


def make(fmt: dict, m: int, rng: np.random.Generator, words: np.ndarray) -> np.ndarray:
    return _make_hstore(fmt, m, rng, words) if fmt.get("special") == "hstore" else _make_xml(fmt, m, rng, words)


# ---------------------------------------------------------------- xml

def _pieces(element: ET.Element, slots: list[str]) -> list:
    """An element as literal pieces and slot numbers: ``['<a id="', 0, '">', 1, '</a>']``."""
    out: list = ["<" + element.tag]
    for name, value in element.attrib.items():
        out += [f' {name}="', len(slots), '"']
        slots.append(value)
    out.append(">")
    if (element.text or "").strip():
        out.append(len(slots))
        slots.append(element.text.strip())
    for child in element:
        out += _pieces(child, slots)
        if (child.tail or "").strip():
            out.append(len(slots))
            slots.append(child.tail.strip())
    out.append(f"</{element.tag}>")
    return out


def _learn_xml(strs: list[str], k: int) -> dict:
    parsed: dict[str, tuple[list, list[list[str]]]] = {}
    for s in strs:
        try:
            root = ET.fromstring(s)
        except ET.ParseError:
            continue
        slots: list[str] = []
        pieces = _pieces(root, slots)
        key = repr([p for p in pieces if isinstance(p, str)])
        parsed.setdefault(key, (pieces, []))[1].append(slots)
    counts = Counter({key: len(rows) for key, (_, rows) in parsed.items()})
    structures = []
    for key, count in counts.most_common(MAX_STRUCTURES):
        if count < max(k, 1):
            break
        pieces, rows = parsed[key]
        columns = list(zip(*rows)) if rows and rows[0] else []
        structures.append({"pieces": pieces, "slots": [leaf_stats(list(c), k) for c in columns], "rows": count})
    if not structures:   # no structure enough rows share: a generic one, nothing of the source
        structures = [{"pieces": ["<doc>", 0, "</doc>"], "slots": [leaf_stats([], k)], "rows": 1}]
    total = sum(s["rows"] for s in structures)
    for s in structures:
        s["share"] = round(s.pop("rows") / total, 6)
    return {"structures": structures}


def _make_xml(fmt: dict, m: int, rng: np.random.Generator, words: np.ndarray) -> np.ndarray:
    structures = fmt.get("structures") or []
    p = np.asarray([s["share"] for s in structures], dtype=float)
    which = rng.choice(len(structures), size=m, p=p / p.sum())
    out = np.empty(m, dtype=object)
    for i, structure in enumerate(structures):
        rows = np.flatnonzero(which == i)
        if not len(rows):
            continue
        filled = [make_leaf(leaf, len(rows), rng, words) for leaf in structure["slots"]]
        text = pd.Series([""] * len(rows), dtype=object)
        for j, piece in enumerate(structure["pieces"]):
            if isinstance(piece, str):
                text = text + piece
            else:
                inside_attribute = j > 0 and str(structure["pieces"][j - 1]).endswith('="')
                values = filled[piece]
                text = text + [quoteattr(v)[1:-1] if inside_attribute else escape(v) for v in values]
        out[rows] = text.to_numpy(object)
    return out


# ---------------------------------------------------------------- hstore

def _unescape(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s)


def _learn_hstore(strs: list[str], k: int) -> dict:
    docs = [{_unescape(key): (None if raw == "NULL" else _unescape(value)) for key, raw, value in _PAIR_RE.findall(s)}
            for s in strs]
    held = Counter(key for d in docs for key in d)
    keys = []
    for key, count in held.most_common(30):
        if count < max(k, 1):
            break
        values = [d[key] for d in docs if key in d]
        present = [v for v in values if v is not None]
        keys.append({"key": key, "share": round(count / max(len(docs), 1), 6),
                     "null": round(1 - len(present) / len(values), 6), "leaf": leaf_stats(present, k)})
    return {"keys": keys}


def _quote(values: np.ndarray) -> pd.Series:
    return '"' + pd.Series(values, dtype=object).str.replace("\\", "\\\\", regex=False).str.replace(
        '"', '\\"', regex=False) + '"'


def _make_hstore(fmt: dict, m: int, rng: np.random.Generator, words: np.ndarray) -> np.ndarray:
    parts = []
    for spec in fmt.get("keys") or []:
        value = _quote(make_leaf(spec["leaf"], m, rng, words))
        value[rng.random(m) < float(spec.get("null", 0.0))] = "NULL"
        pair = _quote(np.full(m, spec["key"], dtype=object)) + "=>" + value
        pair[rng.random(m) >= float(spec.get("share", 1.0))] = ""
        parts.append(pair.to_numpy(object))
    if not parts:
        return np.full(m, "", dtype=object)
    return np.array([", ".join(p for p in row if p) for row in zip(*parts)], dtype=object)
