"""URLs and file paths that may point at a person (``photo_path``, ``avatar_url``, ``homepage``,
``cv_file``): how to recognize them, and fakes of the same shape with fake name parts.

northwind's ``employees.photo_path`` is ``http://accweb/emmployees/davolio.bmp``: the host,
the folder and the extension are the column's, the file is named after Nancy Davolio. A value is
split into letter runs, digit runs and single other characters. A format keeps, per template
(the :data:`MAX_TEMPLATES` most common, with their shares):

* the punctuation, and the letter runs that at least ``k`` *distinct values* hold (case-folded;
  distinct values, not rows: five rows sharing Davolio's photo are still one person's file) or
  that are public parts of any address (URL schemes, ``www``, top-level domains, file
  extensions, common folder names: :data:`PUBLIC`);
* every other letter run as a *hole* that remembers only its case (``davolio`` -> a lower-case
  fake surname), and every digit run as its length (drawn anew).

So the clone writes ``http://accweb/emmployees/hartmann.bmp``. With fewer than ``k`` values
nothing but :data:`PUBLIC` parts survives (``http://hill/lopez/moore.bmp``). Masking
(:func:`keyed`) keeps only :data:`PUBLIC` parts and fills the rest from keyed draws.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd

MAX_TEMPLATES = 20
_PIECE = re.compile(r"[^\W\d_]+|\d+|[\s\S]")
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]{1,9}://|www\.)\S+$", re.IGNORECASE)
_PATH = re.compile(r"^(?:~?/|[A-Za-z]:[\\/]|\\\\|\.{1,2}[\\/])\S*$|^[^\s/\\]+(?:[\\/][^\s/\\]+)+\.[A-Za-z0-9]{2,5}$")
_ACCESS_LINK = re.compile(r"^[^#]*#[^#\s]*[./][^#\s]*#")     # Access hyperlinks: "text#address#"

PUBLIC = frozenset("""
http https ftp ftps sftp file mailto s3 gs smb www
com org net edu gov mil int io co uk de fr es it nl be ch at se no dk fi pl pt br ca au jp cn ru in us
info biz me tv eu ie nz za mx ar cl
jpg jpeg png gif bmp tif tiff webp svg ico heic raw pdf doc docx xls xlsx ppt pptx odt ods txt rtf csv
json xml htm html php asp aspx jsp js css zip gz tar rar mp3 mp4 wav avi mov mkv ogg webm
images image img pics pictures photos photo avatars avatar uploads upload files file static media assets
public private home users user profiles profile documents docs data content thumbnails thumbs thumb
download downloads default index api cdn resumes cv attachments scans
""".split())


def looks_like_locator(s: str) -> bool:
    s = s.strip()
    return bool(_URL.match(s) or _PATH.match(s) or _ACCESS_LINK.match(s))


def _pieces(value: str) -> list[str]:
    return _PIECE.findall(value)


def _support(strs: list[str]) -> pd.Series:
    """Per case-folded letter run, how many distinct values hold it."""
    distinct = pd.Series(list(dict.fromkeys(strs)), dtype=object)
    runs = distinct.str.findall(r"[^\W\d_]+").explode().dropna().str.casefold()
    frame = pd.DataFrame({"value": runs.index, "run": runs.to_numpy()}).drop_duplicates()
    return frame["run"].value_counts()


def _case(run: str) -> str:
    return "U" if run.isupper() and len(run) > 1 else "A" if run[:1].isupper() else "a"


def _template(value: str, kept: frozenset[str]) -> tuple:
    """Literals and holes: ("w", case) for a letter run not kept, ("d", n) for n digits."""
    out: list = []
    for piece in _pieces(value):
        if piece.isdigit():
            item = ("d", len(piece))
        elif piece[0].isalpha() and piece.casefold() not in kept:
            item = ("w", _case(piece))
        else:
            item = piece
        if isinstance(item, str) and out and isinstance(out[-1], str):
            out[-1] += item
        else:
            out.append(item)
    return tuple(out)


def learn(strs: list[str], k: int) -> dict:
    strs = [s.strip() for s in strs if s and s.strip()]
    support = _support(strs) if strs else pd.Series(dtype=np.int64)
    kept = frozenset(support.index[support >= max(int(k), 2)]) | PUBLIC
    counts = pd.Series([_template(s, kept) for s in strs], dtype=object).value_counts() if strs else pd.Series()
    top = counts.iloc[:MAX_TEMPLATES]
    total = int(top.sum()) or 1
    templates = [{"parts": [p if isinstance(p, str) else list(p) for p in template],
                  "share": round(int(n) / total, 6)} for template, n in top.items()]
    return {"templates": templates or [{"parts": ["https://www.", ["w", "a"], ".com/", ["w", "a"]], "share": 1.0}]}


@lru_cache(maxsize=1)
def names() -> np.ndarray:
    """ASCII surnames of Faker's person lists (static data), for the holes."""
    from relsynth.privacy.entities import faker_names

    last = sorted(n for n in faker_names()[1] if n.isascii() and n.isalpha() and 3 <= len(n) <= 12)
    return np.array(last, dtype=object)


def _fill(parts: list, m: int, draw) -> np.ndarray:
    """``m`` values of one template; ``draw(j, width)`` gives uint64 draws for hole ``j``."""
    pool = names()
    out = np.full(m, "", dtype=object)
    for j, part in enumerate(parts):
        if isinstance(part, str):
            out = out + part
        elif part[0] == "d":
            width = int(part[1])
            digits = (draw(j, width) % np.uint64(10)).astype(np.int64)
            if width > 1:
                digits[:, 0] = 1 + digits[:, 0] % 9
            codes = np.ascontiguousarray((digits + ord("0")).astype(np.uint32))
            out = out + codes.view(np.dtype(("U", width))).reshape(m).astype(object)
        else:
            word = pd.Series(pool[(draw(j, 1)[:, 0] % np.uint64(len(pool))).astype(np.int64)], dtype=object)
            word = word.str.upper() if part[1] == "U" else word.str.capitalize() if part[1] == "A" else word
            out = out + word.to_numpy(dtype=object)
    return out


def make(fmt: dict, m: int, rng: np.random.Generator) -> np.ndarray:
    templates = fmt.get("templates") or learn([], 2)["templates"]
    shares = np.array([float(t.get("share", 0)) for t in templates])
    shares = shares / shares.sum() if shares.sum() > 0 else np.full(len(templates), 1 / len(templates))
    which = rng.choice(len(templates), size=m, p=shares)
    out = np.empty(m, dtype=object)
    for i, template in enumerate(templates):
        idx = np.flatnonzero(which == i)
        if idx.size:
            out[idx] = _fill(template["parts"], idx.size,
                             lambda j, width, n=idx.size: rng.integers(0, 2 ** 63, size=(n, width), dtype=np.uint64))
    return out


def keyed(strings: np.ndarray, stream) -> np.ndarray:
    """Pseudonyms: each value's own template with only :data:`PUBLIC` parts kept, holes filled
    from ``stream(rows, j, width)`` (keyed draws: the same value gives the same fake)."""
    templates = [_template(str(s).strip(), PUBLIC) for s in strings]
    out = np.empty(len(strings), dtype=object)
    groups = pd.Series([repr(t) for t in templates], dtype=object)
    for idx in groups.groupby(groups, sort=False).indices.values():
        out[idx] = _fill(list(templates[idx[0]]), len(idx), lambda j, width, rows=idx: stream(rows, j, width))
    return out


__all__ = ["PUBLIC", "looks_like_locator", "learn", "make", "keyed", "MAX_TEMPLATES"]
