"""Learn the format of an identifying column and generate new values in that format.

A *format* is a plain JSON-able dict; it never holds a real value (prose keeps common words,
see below). What it may hold:

* shares and quantiles: the null share, case shares (upper / lower / as generated),
  style shares (``first.last`` e-mails, ``Last, First`` names, house number first ...),
  quantiles of word counts or byte lengths, the longest length seen;
* shape templates: each character replaced by its class (upper letter ``A``, lower
  letter ``a``, digit ``9``; punctuation and spaces kept), with their shares;
* a literal character at a template position only when it is the same in >= 95% of a
  template's values and the template has >= 20 distinct values (so ``SKU-48213`` keeps
  ``SKU-``), and at least 3 positions stay random; the same support is needed to keep a
  string key's prefix (``INV-``), otherwise the prefix keeps only its shape;
* JSON object keys present in >= 90% of >= 20 objects, with the type of their values;
* for prose, words and word pairs seen in >= k rows (``learn_format(..., k=)``, the config's
  ``privacy.k``), never personal ones: no ``@``, no 5+ digit run, nothing inside an e-mail /
  phone / id / card / IP match or a name or address found in the text; digits only as their
  count, rarer words only as their shape (:mod:`relsynth.privacy.wordchain`);
* for a ``label`` column only (a lookup table's category names that many rows reference,
  :func:`relsynth.schema.detect.lookup_label`): its values in row order, which are not personal.

(A value with no letter or digit at all, such as ``-``, is its own shape: it identifies no one.)

Generation is vectorized: pools of a few thousand first names, last names, streets,
cities and words are drawn once per locale (the format's ``locale``, which
:mod:`relsynth.privacy.locales` picks from the source's names and places) from a Faker instance with a fixed seed (no
global state, so the same ``rng`` seed gives the same output in every process), then
combined by numpy indexing; templates are filled as code-point arrays.

Privacy contract:

* e-mails only use RFC 2606 example domains (``example.com/.net/.org`` and their
  subdomains), so a generated address can never be a real person's mailbox and never
  equals a real one unless the source itself used example domains;
* phones, street lines and codes are random within the learned shape; ``exclude`` (the
  source sample, when the caller still has it) guarantees none equals a real value;
* prose repeats the column's common words and may repeat a note many rows share
  ('Gift wrap, please.'); the table excludes the real notes fewer than k rows share;
* a generated person, first or last name may coincide with a real *common* name by
  chance: names come from Faker's public lists, and ``Mary Smith`` alone identifies no
  one. A full e-mail, phone or street line equal to a source value is what must never
  happen, and ``exclude`` enforces it.

``unique=True`` makes every non-null value distinct at any ``n``: duplicates are redrawn
a few rounds (template codes first widen their digit part when the shape is too small),
then the rest of a code, e-mail or text get a counter suffix. Names and places never do
(``Joshua-1`` is no name): their redraws first pick among all the pool's names evenly, then
combine names of the same kind (:func:`draw_names`: ``Anna Maria``, ``Smith-Jones``, a middle
initial, ``North Lake Jason``); a column that still cannot hold enough distinct values fails
with a hint rather than decorate them.

Kinds beyond names: ``region`` (Faker's states with their abbreviations where it lists them,
else the locale's administrative units, in the column's name/abbreviation mix and case),
``country`` (Faker's table of real countries with their ISO codes: names, alpha-2 or alpha-3
as the column writes them), ``username`` (a login handle in the style of an e-mail's local
part) and ``label`` (a lookup table's category names, kept and dealt as a deck). Within a table
the person and place columns are made together, one fake person and one place per row:
:mod:`relsynth.privacy.personas`.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd

from relsynth.errors import ConfigError, ModelError
from relsynth.privacy import credentials, identifiers, locators, organizations, typed, wordchain
from relsynth.schema.detect import as_strings
from relsynth.schema.kinds import Kind

FORMAT_VERSION = 1
DEFAULT_LOCALE = "en_US"
MIN_SUPPORT = 20            # distinct values needed before any literal is kept
CONSTANT_SHARE = 0.95       # a position this constant keeps its literal character
MIN_FREE = 3                # ... as long as this many positions stay random
MAX_TEMPLATES = 20
CODE_COVERAGE = 0.7         # shared non-word shapes covering this share -> codes
MAX_CODE_LENGTH = 64
QUANTILES = 21
REDRAW_ROUNDS = 12
WIDEN_FACTOR = 3            # a unique template needs this many times more shapes than rows
JSON_KEY_SHARE = 0.9
SKELETON_SUPPORT = 5        # distinct values sharing the words around their numbers before the words are kept
SKELETON_COVERAGE = 0.9     # ... and the share of distinct values such skeletons must cover
MAX_SKELETONS = 50
MAX_RUN_LENGTHS = 20        # digit-run length patterns kept per skeleton
POOL_SEED = 7_349_211       # pools are fixed per locale; the caller's rng picks from them

# RFC 2606 reserved names: no generated address can reach a real mailbox
EXAMPLE_DOMAINS = {
    "com": ("example.com", "mail.example.com", "inbox.example.com", "post.example.com",
            "corp.example.com", "web.example.com"),
    "net": ("example.net", "mail.example.net", "home.example.net", "inbox.example.net"),
    "org": ("example.org", "mail.example.org", "members.example.org", "post.example.org"),
}
EMAIL_STYLES = ("first.last", "first.last99", "first_last", "flast", "firstlast", "first99", "word99", "first",
                "flast99", "last")
NAME_STYLES = ("first last", "first m. last", "first middle last", "last, first", "single")
HONORIFICS = ("Mr.", "Ms.", "Mrs.", "Dr.")
_HONORIFIC_RE = re.compile(r"^(mr|mrs|ms|miss|mx|dr|prof|sir|madam)\.?\s+", re.IGNORECASE)
_UNIT_RE = re.compile(r"\b(apt|apartment|suite|ste|unit|floor|fl|room|rm)\b\.?|#\s*\d", re.IGNORECASE)
_UUID_RE = re.compile(r"^\{?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\}?$")
_KEY_SEQ_RE = re.compile(r"(.*?)(\d+)")
_DIGIT_RUN_RE = re.compile(r"\d+")
_HOLE = "\x00"                # where a digit run was, in a skeleton
_JSON_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")

# template character classes -> the code points they draw from
_CLASS_CHARS = {
    "9": "0123456789",
    "A": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "a": "abcdefghijklmnopqrstuvwxyz",
    "L": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    "X": "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "x": "abcdefghijklmnopqrstuvwxyz0123456789",
    "Z": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
}
_CLASS_CODES = {k: np.array([ord(c) for c in v], dtype=np.uint32) for k, v in _CLASS_CHARS.items()}


# ====================================================================== public API

def learn_format(kind: Kind | str, values: pd.Series, *, max_length: int | None = None,
                 k: int = wordchain.DEFAULT_K, spec: dict | None = None) -> dict:
    """The format of one column's sample: JSON-able, without any real value. ``k``: free text
    keeps only the words and word pairs at least this many rows use (1: all of them).
    ``spec``: the column's type spec (a ``typed`` column's syntax comes from it)."""
    kind = Kind(kind)
    if kind is Kind.KEY:
        return learn_key_format(values, max_length=max_length)
    if kind not in _LEARNERS:
        raise ValueError(f"{kind.value} columns are modeled, not generated from a format")
    present, null_share = _present(values)
    fmt: dict[str, Any] = {"kind": kind.value, "version": FORMAT_VERSION, "null_share": round(null_share, 6)}
    if max_length:
        fmt["max_length"] = int(max_length)
    if kind is Kind.TEXT:
        fmt.update(_learn_text(present, k=k))
    elif kind is Kind.LABEL:
        fmt.update(_learn_labels(values))
    elif kind is Kind.JSON:
        fmt.update(_learn_json(present, k=k))
    elif kind is Kind.URL:
        fmt.update(locators.learn(as_strings(present), k))
    elif kind is Kind.TYPED:
        fmt.update(typed.learn(spec or {}, present, k=k))
    else:
        fmt.update(_LEARNERS[kind](present))
    return _jsonable(fmt)


def generate(fmt: dict, n: int, rng: np.random.Generator, *, unique: bool = False,
             locale: str | None = None, exclude: Iterable | None = None) -> pd.Series:
    """``n`` new values in ``fmt`` (nulls at the learned share, None in an object Series).

    ``locale``: the Faker locale of names, places and words; default the format's own
    ``locale`` (set when the model learned the source), else en_US. ``unique``: every non-null
    value distinct. ``exclude``: values never to produce (pass the source sample when it is at
    hand: no phone or street line then equals a real one).
    """
    kind = Kind(fmt["kind"])
    if kind is Kind.KEY:
        return generate_keys(fmt, n, rng)
    n = int(n)
    nulls = _null_mask(fmt.get("null_share", 0.0), n, rng)
    m = n - int(nulls.sum())
    ctx = _Ctx(rng=rng, locale=locale or fmt.get("locale") or DEFAULT_LOCALE, unique=unique, total=m,
               max_length=fmt.get("max_length"))
    maker, suffix = _MAKERS[kind]

    def produce(count: int, attempt: int) -> np.ndarray:
        ctx.attempt = attempt
        out = maker(fmt, count, ctx)
        return out if kind in (Kind.JSON, Kind.BINARY, Kind.TYPED) else _truncate(out, ctx.max_length)

    values = produce(m, 0)
    values = _settle(values, produce, suffix, unique=unique, exclude=exclude, max_length=ctx.max_length)
    out = np.full(n, None, dtype=object)
    out[~nulls] = values
    return pd.Series(out, dtype=object)


def learn_key_format(values: pd.Series, *, max_length: int | None = None) -> dict:
    """The format of a string primary key: a numbered sequence, UUIDs, or code shapes."""
    strs = as_strings(values)
    fmt: dict[str, Any] = {"kind": Kind.KEY.value, "version": FORMAT_VERSION}
    if max_length:
        fmt["max_length"] = int(max_length)
    if strs and _share(strs, lambda s: bool(_UUID_RE.match(s))) >= CONSTANT_SHARE:
        fmt.update(style="uuid", **_learn_uuid_style(strs))
        return _jsonable(fmt)
    seq = _learn_sequence(strs)
    if seq is not None:
        fmt.update(style="sequence", **seq)
        return _jsonable(fmt)
    groups = _shape_groups(strs, _fine_shape)
    fmt.update(style="template", templates=_templates(groups[:MAX_TEMPLATES], len(strs)))
    return _jsonable(fmt)


def generate_keys(fmt: dict, n: int, rng: np.random.Generator, *, offset: int = 0) -> pd.Series:
    """``n`` distinct, non-null keys; a sequence numbers them ``offset + 1 .. offset + n``."""
    n = int(n)
    if n == 0:  # e.g. no invoice for orders that are all pending
        return pd.Series([], dtype=object)
    max_length = fmt.get("max_length")
    style = fmt.get("style", "sequence")
    if style == "uuid":
        values = _uuid_strings(n, rng, fmt)
    elif style == "sequence":
        values = _sequence(fmt, n, rng, offset)
    else:
        ctx = _Ctx(rng=rng, locale=DEFAULT_LOCALE, unique=True, total=n, max_length=max_length)

        def produce(count: int, attempt: int) -> np.ndarray:
            ctx.attempt = attempt
            return _truncate(_make_templates(fmt, count, ctx), max_length)

        values = _settle(produce(n, 0), produce, _append_suffix(""), unique=True, exclude=None,
                         max_length=max_length)
    return pd.Series(values, dtype=object)


def is_sequence_format(fmt: Any) -> bool:
    """True for a string key format numbered as prefix + (zero-padded) 1..n."""
    return isinstance(fmt, dict) and fmt.get("kind") == Kind.KEY.value and fmt.get("style") == "sequence"


# ====================================================================== shared helpers

@dataclass
class _Ctx:
    rng: np.random.Generator
    locale: str
    unique: bool
    total: int                   # non-null values requested in all (for template widening)
    max_length: int | None
    attempt: int = 0             # 0 first draw, then each redraw round


def _present(values: Any) -> tuple[pd.Series, float]:
    series = values if isinstance(values, pd.Series) else pd.Series(list(values or []), dtype=object)
    if len(series) == 0:
        return series, 0.0
    try:
        mask = series.isna().to_numpy(dtype=bool)
    except (TypeError, ValueError):
        mask = np.array([v is None for v in series], dtype=bool)
    return series[~mask], float(mask.mean())


def _share(items: list, test: Callable[[Any], bool]) -> float:
    return sum(1 for s in items if test(s)) / len(items) if items else 0.0


def _shares(counter: Counter, names: Iterable[str]) -> dict[str, float]:
    total = sum(counter[k] for k in names)
    return {k: round(counter[k] / total, 6) for k in names if counter[k]} if total else {}


def _pick(shares: dict[str, float], names: tuple[str, ...], default: str, m: int,
          rng: np.random.Generator) -> np.ndarray:
    """Index into ``names`` per row, drawn by ``shares`` (``default`` when none learned)."""
    p = np.array([float(shares.get(k, 0.0)) for k in names])
    if p.sum() <= 0:
        return np.full(m, names.index(default))
    return rng.choice(len(names), size=m, p=p / p.sum())


def _quantiles(x: list[float] | np.ndarray) -> list[float]:
    return [round(float(v), 3) for v in np.quantile(np.asarray(x, dtype=float), np.linspace(0, 1, QUANTILES))]


def _draw_quantiles(q: list[float], m: int, rng: np.random.Generator) -> np.ndarray:
    """Inverse-CDF draws from stored quantiles (linear between them), rounded to ints."""
    q = np.asarray(q, dtype=float)
    if len(q) == 0:
        return np.zeros(m, dtype=np.int64)
    u = rng.random(m) * (len(q) - 1)
    return np.rint(np.interp(u, np.arange(len(q)), q)).astype(np.int64)


def _null_mask(share: float, n: int, rng: np.random.Generator) -> np.ndarray:
    share = float(share or 0.0)
    if share <= 0:
        return np.zeros(n, dtype=bool)
    if share >= 1:
        return np.ones(n, dtype=bool)
    return rng.random(n) < share


def _learn_case(strs: list[str]) -> dict[str, float]:
    cased = [s for s in strs if s.upper() != s.lower()]
    if not cased:
        return {}
    return {"upper": round(_share(cased, str.isupper), 6), "lower": round(_share(cased, str.islower), 6)}


def _apply_case(values: np.ndarray, case: dict | None, rng: np.random.Generator,
                default: str | None = None) -> np.ndarray:
    """Upper-/lower-case rows at the learned shares; the rest stay as generated."""
    up, low = (float(case.get("upper", 0)), float(case.get("lower", 0))) if case else (0.0, 0.0)
    if not case and default:
        up, low = (1.0, 0.0) if default == "upper" else (0.0, 1.0)
    if up + low <= 0 or len(values) == 0:
        return values
    u = rng.random(len(values))
    for mask, fn in ((u < up, str.upper), ((u >= up) & (u < up + low), str.lower)):
        idx = np.flatnonzero(mask)
        if idx.size:
            values[idx] = [fn(v) for v in values[idx]]
    return values


def _truncate(values: np.ndarray, max_length: int | None) -> np.ndarray:
    if not max_length or len(values) == 0:
        return values
    lengths = np.fromiter((len(v) for v in values), dtype=np.int64, count=len(values))
    idx = np.flatnonzero(lengths > max_length)
    if idx.size:
        values[idx] = [v[:max_length].rstrip() or v[:max_length] for v in values[idx]]
    return values


def _obj(values: Iterable) -> np.ndarray:
    """A 1-d object array of plain Python values (numpy str_ become str)."""
    if isinstance(values, np.ndarray):
        return values.astype(object)
    out = np.empty(len(values), dtype=object)   # type: ignore[arg-type]
    out[:] = list(values)
    return out


def _digits(m: int, rng: np.random.Generator, low: int = 1, high: int = 10_000) -> np.ndarray:
    return rng.integers(low, high, size=m).astype(str).astype(object)


def _jsonable(obj: Any) -> Any:
    """Plain Python types only (numpy scalars become int/float)."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


# ====================================================================== uniqueness

def _bad_rows(values: np.ndarray, unique: bool, exclude: pd.Index | None) -> np.ndarray:
    series = pd.Series(values, dtype=object, copy=False)
    bad = series.duplicated(keep="first").to_numpy() if unique else np.zeros(len(values), dtype=bool)
    if exclude is not None and len(exclude):
        bad |= series.isin(exclude).to_numpy()
    return bad


def _settle(values: np.ndarray, produce: Callable[[int, int], np.ndarray],
            suffix: Callable[[np.ndarray, np.ndarray, int | None], np.ndarray], *,
            unique: bool, exclude: Iterable | None, max_length: int | None) -> np.ndarray:
    """Redraw duplicate / excluded rows a few rounds, then give the rest a counter suffix."""
    if not unique and exclude is None:
        return values
    excluded = None
    if exclude is not None:
        present, _ = _present(exclude if isinstance(exclude, pd.Series) else pd.Series(list(exclude), dtype=object))
        excluded = pd.Index(present.tolist(), dtype=object).unique()
    for attempt in range(1, REDRAW_ROUNDS + 1):
        idx = np.flatnonzero(_bad_rows(values, unique, excluded))
        if idx.size == 0:
            return values
        values[idx] = produce(idx.size, attempt)
    counter = 1
    for _ in range(64):
        idx = np.flatnonzero(_bad_rows(values, unique, excluded))
        if idx.size == 0:
            return values
        values[idx] = suffix(values[idx], np.arange(counter, counter + idx.size), max_length)
        counter += idx.size
    raise ModelError("could not generate enough distinct values for a unique column",
                     hint="widen the column, or override its kind in the config")


def _append_suffix(sep: str) -> Callable[[np.ndarray, np.ndarray, int | None], np.ndarray]:
    def suffix(values: np.ndarray, numbers: np.ndarray, max_length: int | None) -> np.ndarray:
        out = []
        for v, k in zip(values, numbers):
            tail = f"{sep}{k}"
            if max_length and len(tail) >= max_length:
                raise ModelError(f"a unique column of length {max_length} cannot hold this many values",
                                 hint="widen the column or lift its unique constraint")
            base = v[: max_length - len(tail)] if max_length else v
            out.append(base + tail)
        return _obj(out)
    return suffix


def _no_suffix(values: np.ndarray, numbers: np.ndarray, max_length: int | None) -> np.ndarray:
    """A suffix would break these formats: the column cannot hold more distinct values."""
    raise ModelError(f"could not draw {len(values)} more distinct values in this format",
                     hint="lift the column's unique constraint, or give it the kind text in the config")


def _text_suffix(values: np.ndarray, numbers: np.ndarray, max_length: int | None) -> np.ndarray:
    """Sentences get `` 7``, codes get their digit part widened: ``SKU-482137``."""
    spaced = np.array([any(c.isspace() for c in v) for v in values], dtype=bool)
    out = np.empty(len(values), dtype=object)
    for sep, mask in ((" ", spaced), ("", ~spaced)):
        if mask.any():
            out[mask] = _append_suffix(sep)(values[mask], numbers[mask], max_length)
    return out


def _email_suffix(values: np.ndarray, numbers: np.ndarray, max_length: int | None) -> np.ndarray:
    out = []
    for v, k in zip(values, numbers):
        local, _, domain = v.rpartition("@")
        tail = str(k)
        if max_length:
            room = max_length - len(domain) - 1 - len(tail)
            if room < 1:
                domain = "example.com"
                room = max_length - len(domain) - 1 - len(tail)
            if room < 1:
                raise ModelError(f"an e-mail column of length {max_length} cannot hold this many distinct values",
                                 hint="widen the column or lift its unique constraint")
            local = local[:room]
        out.append(f"{local}{tail}@{domain}")
    return _obj(out)


def _bytes_suffix(values: np.ndarray, numbers: np.ndarray, max_length: int | None) -> np.ndarray:
    out = []
    for v, k in zip(values, numbers):
        tail = int(k).to_bytes(8, "big").lstrip(b"\0") or b"\0"
        base = v[: max_length - len(tail)] if max_length else v
        out.append(bytes(base) + tail)
    return _obj(out)


# ====================================================================== Faker pools

@lru_cache(maxsize=32)   # locale detection builds pools for a dozen locales
def _faker(locale: str):
    from faker import Faker

    try:
        return Faker(locale)
    except Exception as exc:        # Faker raises AttributeError for an unknown locale
        raise ConfigError(f"unknown locale {locale!r} for generated values",
                          hint="use a Faker locale such as en_US, en_GB, de_DE or fr_FR") from exc


_POOL_SIZES = {"first_name": 4000, "last_name": 4000, "street_name": 3000, "city": 3000,
               "word": 2000, "secondary_address": 400, "administrative_unit": 2000, "postcode": 3000,
               "first_name_female": 3000, "first_name_male": 3000}
# each pool's seed offset: the first six in their old (sorted) order, so the same seed gives the same names
_POOL_ORDER = ("city", "first_name", "last_name", "secondary_address", "street_name", "word",
               "administrative_unit", "postcode", "first_name_female", "first_name_male")


@lru_cache(maxsize=256)
def _pool(locale: str, method: str) -> np.ndarray:
    """Draws (with Faker's own weights, duplicates kept) from one Faker method, fixed seed."""
    cached = _cached_pool(locale, method)
    if cached is not None:
        return _obj(cached)
    fake = _faker(locale)
    if method == "word" and locale != DEFAULT_LOCALE and not _has_own_words(fake):
        return _pool(DEFAULT_LOCALE, method)    # English words rather than Faker's lorem ipsum
    fake.seed_instance(POOL_SEED + _POOL_ORDER.index(method))
    try:
        values = _weighted_draws(fake, method, _POOL_SIZES[method])
        if values is None:
            draw = getattr(fake, method)
            values = [str(draw()) for _ in range(_POOL_SIZES[method])]
    except AttributeError:          # a locale without this provider method
        values = []
    values = [v for v in values if v.strip()]
    if not values and locale != DEFAULT_LOCALE:
        return _pool(DEFAULT_LOCALE, method)
    if not values:                  # secondary_address outside en_*: a plain unit pattern
        values = [f"Apt. {i}" for i in range(1, 400)]
    _store_pool(locale, method, values)
    return _obj(values)


def _pool_file(locale: str, method: str) -> str | None:
    """Where a pool is kept between runs: a pool is fixed by Faker's version, the locale, the
    method, its seed and size, so a file named by all of them holds the very same draws; the
    street and city pools cost a run ~0.3 s to draw. ``RELSYNTH_CACHE_DIR=off``: never kept."""
    import os

    folder = os.environ.get("RELSYNTH_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "relsynth")
    if folder.lower() in ("off", "0", "none") or not re.fullmatch(r"[A-Za-z_]+", locale + method):
        return None
    from importlib.metadata import version

    key = f"{version('faker')}-{POOL_SEED + _POOL_ORDER.index(method)}-{_POOL_SIZES[method]}"
    return os.path.join(folder, "pools", f"{locale}.{method}.{key}.json")


def _cached_pool(locale: str, method: str) -> list[str] | None:
    path = _pool_file(locale, method)
    try:
        with open(path, encoding="utf-8") as held:      # type: ignore[arg-type]
            values = json.load(held)
    except (TypeError, OSError, ValueError):
        return None
    ok = isinstance(values, list) and 0 < len(values) <= _POOL_SIZES[method] and all(isinstance(v, str) for v in values)
    return values if ok else None


def _store_pool(locale: str, method: str, values: list[str]) -> None:
    import os
    import tempfile

    path = _pool_file(locale, method)
    if path is None:
        return
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(values, out)
        os.replace(temp, path)       # whole or not at all: runs in parallel read a complete file
    except OSError:
        pass                         # a read-only home: the pool is drawn again next run


def _weighted_draws(fake, method: str, n: int) -> list[str] | None:
    """``n`` calls of ``first_name`` / ``last_name`` in one: when the locale keeps Faker's own
    method over a weighted name list, one ``random.choices`` of ``n`` draws the very names ``n``
    calls would (one ``random()`` each), in a fraction of the time (a generate's startup)."""
    from faker.providers import person

    names = {"first_name": "first_names", "last_name": "last_names"}.get(method)
    try:
        provider = fake.provider("faker.providers.person")
    except Exception:   # noqa: BLE001 - no person provider: the plain calls decide
        return None
    if names is None or provider is None or getattr(type(provider), method) is not getattr(person.Provider, method):
        return None
    weighted = getattr(provider, names, None)
    if not isinstance(weighted, dict) or len(weighted) < 2:   # a list: random.choice, not random.choices
        return None
    return [str(v) for v in fake.random_elements(weighted, length=n, use_weighting=True)]


def _has_own_words(fake) -> bool:
    """False when a locale's words are Faker's Latin fallback (en_GB, pt_BR, sv_SE ...)."""
    return not any(type(p).__module__ in ("faker.providers.lorem", "faker.providers.lorem.la")
                   for p in fake.providers)


def _fold(s: str) -> str:
    """ASCII letters only (for e-mail local parts): Jürgen -> Jurgen."""
    plain = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")
    return "".join(c for c in plain if c.isalnum())


@lru_cache(maxsize=32)
def _ascii_pool(locale: str, method: str) -> np.ndarray:
    folded = [f for f in (_fold(v) for v in _pool(locale, method)) if len(f) >= 2]
    if len(folded) < 50 and locale != DEFAULT_LOCALE:   # e.g. CJK names: fall back on en_US
        return _ascii_pool(DEFAULT_LOCALE, method)
    return _obj([f.capitalize() for f in folded])


def _draw(pool: np.ndarray, m: int, rng: np.random.Generator) -> np.ndarray:
    return pool[rng.integers(len(pool), size=m)]


# ====================================================================== shape templates

class _ShapeTable(dict):
    """str.translate table: digits -> 9, upper letters -> A, other letters -> a."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        if ch.isdigit():
            out = "9"
        elif ch.isalpha():
            out = "A" if ch.isupper() else "a"
        else:
            out = ch
        self[code] = out
        return out


_SHAPES = _ShapeTable()
_RUN_RE = re.compile(r"[^\W_]+")


def _fine_shape(s: str) -> str:
    return s.translate(_SHAPES)


def _run_class(run: str) -> str:
    if run.isdigit():
        return "9"
    upper, lower = any(c.isupper() for c in run), any(c.islower() for c in run)
    if run.isalpha():
        return "L" if upper and lower else ("A" if upper else "a")
    return "Z" if upper and lower else ("X" if upper else "x")


def _coarse_shape(s: str) -> str:
    """One class per alphanumeric run: hex hashes and mixed tokens share a shape."""
    return _RUN_RE.sub(lambda mt: _run_class(mt.group()) * len(mt.group()), s)


def _shape_groups(strs: list[str], shape: Callable[[str], str]) -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = {}
    for s in strs:
        groups.setdefault(shape(s), []).append(s)
    return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def _fixed_positions(template: str, values: list[str]) -> dict[str, str]:
    """Literal characters constant in >= 95% of >= 20 distinct values, leaving >= 3 random."""
    if len(set(values)) < MIN_SUPPORT or not template:
        return {}
    width = len(template)
    codes = np.array(values, dtype=f"U{width}").view(np.uint32).reshape(len(values), width)
    fixed, free = {}, 0
    for j, ch in enumerate(template):
        if ch not in _CLASS_CODES:
            continue
        points, counts = np.unique(codes[:, j], return_counts=True)
        top = int(counts.argmax())
        if counts[top] >= CONSTANT_SHARE * len(values):
            fixed[str(j)] = chr(int(points[top]))
        else:
            free += 1
    return fixed if free >= MIN_FREE else {}


def _templates(groups: list[tuple[str, list[str]]], total: int, fine: bool = True) -> list[dict]:
    kept = sum(len(v) for _, v in groups) or 1
    out = []
    for template, values in groups:
        entry: dict[str, Any] = {"template": template, "share": round(len(values) / kept, 6)}
        fixed = _fixed_positions(template, values) if fine else {}
        if fixed:
            entry["fixed"] = fixed
        out.append(entry)
    return out


def _learn_templates(strs: list[str]) -> list[dict]:
    return _templates(_shape_groups(strs, _fine_shape)[:MAX_TEMPLATES], len(strs))


def _fill(template: str, fixed: dict[str, str], m: int, rng: np.random.Generator) -> np.ndarray:
    """``m`` strings of one template, built as a (m, width) code-point array."""
    width = len(template)
    if width == 0 or m == 0:
        return np.full(m, "", dtype=object)
    codes = np.empty((m, width), dtype=np.uint32)
    for j, ch in enumerate(template):
        literal = fixed.get(str(j))
        if literal is not None:
            codes[:, j] = ord(literal)
        elif ch in _CLASS_CODES:
            pool = _CLASS_CODES[ch]
            codes[:, j] = pool[rng.integers(len(pool), size=m)]
        else:
            codes[:, j] = ord(ch)
    return codes.view(np.dtype(("U", width))).reshape(m).astype(object)


def _capacity_log10(template: str, fixed: dict[str, str]) -> float:
    return sum(math.log10(len(_CLASS_CHARS[ch])) for j, ch in enumerate(template)
               if ch in _CLASS_CHARS and str(j) not in fixed)


def _widen(template: str, fixed: dict[str, str], rows: int, max_length: int | None) -> tuple[str, dict[str, str]]:
    """Add digits after the last random digit (or class) position until ``rows`` fit easily."""
    need = math.log10(max(1, rows) * WIDEN_FACTOR)
    while _capacity_log10(template, fixed) < need and (not max_length or len(template) < max_length):
        free = [j for j, ch in enumerate(template) if ch in _CLASS_CHARS and str(j) not in fixed]
        digits = [j for j in free if template[j] == "9"]
        at = (digits or free or [len(template) - 1])[-1] + 1
        template = template[:at] + "9" + template[at:]
        fixed = {str(int(j) + 1 if int(j) >= at else int(j)): c for j, c in fixed.items()}
    return template, fixed


def _make_templates(fmt: dict, m: int, ctx: _Ctx) -> np.ndarray:
    templates = fmt.get("templates") or [{"template": "AAA-99999", "share": 1.0}]
    shares = np.array([float(t.get("share", 0)) for t in templates])
    shares = shares / shares.sum() if shares.sum() > 0 else np.full(len(templates), 1 / len(templates))
    which = ctx.rng.choice(len(templates), size=m, p=shares) if len(templates) > 1 else np.zeros(m, dtype=int)
    out = np.empty(m, dtype=object)
    for i, entry in enumerate(templates):
        idx = np.flatnonzero(which == i)
        if idx.size == 0:
            continue
        template, fixed = entry["template"], dict(entry.get("fixed") or {})
        if ctx.unique:
            template, fixed = _widen(template, fixed, int(ctx.total * shares[i]) + 1, ctx.max_length)
        out[idx] = _fill(template, fixed, idx.size, ctx.rng)
    return out


# ====================================================================== e-mail

def _learn_email(present: pd.Series) -> dict:
    styles, tlds, domains, locals_ = Counter(), Counter(), set(), []
    for s in as_strings(present):
        local, at, domain = s.strip().rpartition("@")
        if not at or not local:
            continue
        locals_.append(local)
        domains.add(domain.lower())
        tld = domain.rsplit(".", 1)[-1].lower()
        tlds[tld if tld in EXAMPLE_DOMAINS else "com"] += 1
        styles[_email_style(local)] += 1
    return {"styles": _shares(styles, EMAIL_STYLES), "tlds": _shares(tlds, tuple(EXAMPLE_DOMAINS)),
            "domains": max(1, min(len(domains), max(len(d) for d in EXAMPLE_DOMAINS.values()))),
            "case": _learn_case(locals_), "skeletons": _learn_skeletons(locals_)}


def _email_style(local: str) -> str:
    """Which generator style a real local part (or username) resembles; the part itself is not
    kept. ``word99`` is letters that are no known name followed by digits (``jsmi42``): it is made
    as ``flast99`` from the row's name."""
    if "." in local:
        return "first.last99" if any(c.isdigit() for c in local) else "first.last"
    if "_" in local:
        return "first_last"
    firsts, lasts = _name_sets()
    letters = local.rstrip("0123456789").lower()
    if letters != local.lower():
        if letters in firsts:
            return "first99"
        return "flast99" if letters[1:] in lasts else "word99"
    if letters in firsts:
        return "first"
    if letters in lasts:
        return "last"
    return "flast" if letters[1:] in lasts else "firstlast"


@lru_cache(maxsize=1)
def _name_sets() -> tuple[frozenset, frozenset]:
    return (frozenset(v.lower() for v in _ascii_pool(DEFAULT_LOCALE, "first_name")),
            frozenset(v.lower() for v in _ascii_pool(DEFAULT_LOCALE, "last_name")))


def _local_parts(styles: np.ndarray, first: np.ndarray, last: np.ndarray, rng: np.random.Generator,
                 names: tuple[str, ...] = EMAIL_STYLES) -> np.ndarray:
    """Local parts (or usernames) of one name per row in the style ``names[styles[i]]``:
    ``first``/``last`` are the row's names folded to ASCII letters (``Jürgen`` -> ``Jurgen``)."""
    m = len(styles)
    digits = _digits(m, rng, 1, 1000)
    initial = _obj([f[:1] for f in first])
    builders = {
        "first.last": lambda i: first[i] + "." + last[i],
        "first.last99": lambda i: first[i] + "." + last[i] + digits[i],
        "first_last": lambda i: first[i] + "_" + last[i],
        "flast": lambda i: initial[i] + last[i],
        "firstlast": lambda i: first[i] + last[i],
        "first99": lambda i: first[i] + digits[i],
        "word99": lambda i: initial[i] + last[i] + digits[i],
        "first": lambda i: first[i].copy(),
        "flast99": lambda i: initial[i] + last[i] + digits[i],
        "last": lambda i: last[i].copy(),
    }
    local = np.empty(m, dtype=object)
    for s, style in enumerate(names):
        idx = np.flatnonzero(styles == s)
        if idx.size:
            local[idx] = builders[style](idx)
    return local


def _make_email(fmt: dict, m: int, ctx: _Ctx) -> np.ndarray:
    rng = ctx.rng
    styles = _pick(fmt.get("styles") or {}, EMAIL_STYLES, "first.last", m, rng)
    first = _draw(_ascii_pool(ctx.locale, "first_name"), m, rng)
    last = _draw(_ascii_pool(ctx.locale, "last_name"), m, rng)
    local = _local_parts(styles, first, last, rng)
    if fmt.get("skeletons"):  # generated addresses like customer123@: the pattern, new numbers
        local = _make_skeletons(fmt["skeletons"], m, rng, attempt=ctx.attempt)
    if ctx.attempt >= 1 and m and not fmt.get("skeletons"):  # redraws of a unique column: more room
        local = local + _digits(m, rng, 10, 10_000)
    local = _apply_case(local, fmt.get("case"), rng, default="lower")
    emails = local + "@" + _email_domains(fmt, m, rng, ctx.max_length)
    return _fit_emails(emails, ctx.max_length)


def _email_domains(fmt: dict, m: int, rng: np.random.Generator, max_length: int | None) -> np.ndarray:
    tld_names = tuple(EXAMPLE_DOMAINS)
    tld = _pick(fmt.get("tlds") or {}, tld_names, "com", m, rng)
    spread = int(fmt.get("domains", 1) or 1)
    out = np.empty(m, dtype=object)
    for t, name in enumerate(tld_names):
        idx = np.flatnonzero(tld == t)
        if idx.size:
            names = EXAMPLE_DOMAINS[name][: max(1, min(spread, len(EXAMPLE_DOMAINS[name])))]
            if max_length:           # a narrow column: short domains leave room for the local part
                names = tuple(d for d in names if len(d) + 7 <= max_length) or names[:1]
            pool = _obj(names)
            out[idx] = _draw(pool, idx.size, rng)
    return out


def _fit_emails(emails: np.ndarray, max_length: int | None) -> np.ndarray:
    """Shorten the local part (never the domain) of addresses longer than the column."""
    if not max_length or len(emails) == 0:
        return emails
    lengths = np.fromiter((len(e) for e in emails), dtype=np.int64, count=len(emails))
    idx = np.flatnonzero(lengths > max_length)
    fitted = []
    for e in emails[idx]:
        local, _, domain = e.rpartition("@")
        if len(domain) + 2 > max_length:
            domain = "example.com"
        fitted.append(local[: max(1, max_length - len(domain) - 1)].rstrip("._") + "@" + domain)
    if idx.size:
        emails[idx] = fitted
    return emails


# ====================================================================== names

def _learn_person_name(present: pd.Series) -> dict:
    strs = [s.strip() for s in as_strings(present) if s.strip()]
    styles, titled = Counter(), 0
    for s in strs:
        bare = _HONORIFIC_RE.sub("", s)
        titled += bare != s
        styles[_name_style(bare)] += 1
    return {"styles": _shares(styles, NAME_STYLES), "title": round(titled / len(strs), 6) if strs else 0.0,
            "case": _learn_case(strs)}


def _name_style(s: str) -> str:
    if "," in s:
        return "last, first"
    tokens = s.split()
    if len(tokens) <= 1:
        return "single"
    if len(tokens) == 2:
        return "first last"
    middle = tokens[1:-1]
    if any(len(t.rstrip(".")) == 1 for t in middle):
        return "first m. last"
    return "first middle last"


def _make_person_name(fmt: dict, m: int, ctx: _Ctx) -> np.ndarray:
    rng = ctx.rng
    styles = _pick(fmt.get("styles") or {}, NAME_STYLES, "first last", m, rng)
    room = room_for(ctx.attempt)
    # first the names evenly, then a middle initial and name; past that (and for a single name,
    # which has no middle) two given names and a double-barrelled surname
    first = draw_names("first_name", ctx.locale, m, rng, room=min(room, 1) if room < 3 else room - 1)
    last = draw_names("last_name", ctx.locale, m, rng, room=min(room, 1) if room < 3 else 2)
    if ctx.attempt >= 2:           # redraws of a unique column: a middle initial adds room
        styles = np.where(styles == NAME_STYLES.index("first last"), NAME_STYLES.index("first m. last"), styles)
    if room >= 3:                  # ... then a middle name
        styles = np.where(styles == NAME_STYLES.index("first m. last"), NAME_STYLES.index("first middle last"),
                          styles)
    builders = {
        "first last": lambda i: first[i] + " " + last[i],
        "first m. last": lambda i: first[i] + " " + _initials(i.size, rng) + " " + last[i],
        "first middle last": lambda i: first[i] + " " + _draw(_pool(ctx.locale, "first_name"), i.size, rng)
        + " " + last[i],
        "last, first": lambda i: last[i] + ", " + first[i],
        "single": lambda i: first[i],
    }
    out = np.empty(m, dtype=object)
    for s, style in enumerate(NAME_STYLES):
        idx = np.flatnonzero(styles == s)
        if idx.size:
            out[idx] = builders[style](idx)
    title = float(fmt.get("title", 0) or 0)
    if title > 0:
        idx = np.flatnonzero(rng.random(m) < title)
        out[idx] = _draw(_obj(HONORIFICS), idx.size, rng) + " " + out[idx]
    return _apply_case(out, fmt.get("case"), rng)


def _initials(m: int, rng: np.random.Generator) -> np.ndarray:
    return _obj(np.char.add(_fill("A", {}, m, rng).astype(str), "."))


def _learn_single_name(present: pd.Series) -> dict:
    strs = as_strings(present)
    return {"case": _learn_case(strs), "latin": round(_share(strs, is_latin), 6) if strs else 1.0,
            "distinct": round(len(set(strs)) / len(strs), 6) if strs else 0.0}


LATIN_SHARE = 0.9    # a column (or a locale's city pool) this Latin is written in Latin letters


def is_latin(s: str) -> bool:
    """Written in Latin letters (accents allowed: Jürgen, Saint-Étienne), not Cyrillic, Arabic, CJK."""
    letters = [c for c in str(s) if c.isalpha()]
    return not letters or sum(1 for c in letters if c.isascii() or unicodedata.name(c, "").startswith("LATIN")) \
        >= 0.8 * len(letters)


@lru_cache(maxsize=128)
def latin_locale(locale: str) -> bool:
    """Whether a locale's places are written in Latin letters (de_DE, pl_PL; not ja_JP, ru_RU)."""
    pool = _pool(locale, "city")[:300]
    return _share(list(pool), is_latin) >= LATIN_SHARE


def _pool_maker(method: str) -> Callable[[dict, int, _Ctx], np.ndarray]:
    def make(fmt: dict, m: int, ctx: _Ctx) -> np.ndarray:
        out = draw_names(method, ctx.locale, m, ctx.rng, room=room_for(ctx.attempt))
        return _apply_case(out, fmt.get("case"), ctx.rng)
    return make


COMPOUND_AFTER = 3     # redraw rounds of plain names before a unique column widens them
SPACE_AFTER = 1        # ... and before redraws pick among the pool's names evenly


def room_for(attempt: int) -> int:
    """How much a redraw round widens a unique name column: 0 the pool's names by their
    frequency, 1 its distinct names evenly, 2 and up compound names (``room - 1`` extra parts)."""
    if attempt < SPACE_AFTER:
        return 0
    return 1 if attempt < COMPOUND_AFTER else 2 + (attempt - COMPOUND_AFTER) // 4


@lru_cache(maxsize=64)
def distinct_pool(locale: str, method: str) -> np.ndarray:
    """The pool's distinct values (the rare ones too: a unique column needs them all)."""
    values = list(dict.fromkeys(_pool(locale, method).tolist()))
    source = _faker(locale)
    extra = {"first_name": "first_names", "last_name": "last_names", "first_name_female": "first_names_female",
             "first_name_male": "first_names_male"}.get(method)
    if extra:   # Faker's whole list, beyond the few thousand weighted draws of the pool
        try:
            whole = getattr(source.provider("faker.providers.person"), extra)
            values += [str(v) for v in whole if str(v).strip()]
        except (AttributeError, TypeError):
            pass
    return _obj(list(dict.fromkeys(values)))


def draw_names(method: str, locale: str, m: int, rng: np.random.Generator, *, room: int = 0) -> np.ndarray:
    """``m`` names of one pool (first_name, last_name, city ...). ``room`` (see :func:`room_for`)
    widens the choice for a unique column: never a counter suffix (``Joshua-1``), but the rarer
    names, then names of the same kind combined: two given names (``Anna Maria``), a
    double-barrelled surname (``Smith-Jones``), a two-part city (``Lake Jason Hills``)."""
    if room <= 0:
        return _draw(_pool(locale, method), m, rng).copy()
    pool = distinct_pool(locale, method)
    out = _draw(pool, m, rng).copy()
    if method not in ("first_name", "last_name", "first_name_female", "first_name_male"):   # places
        for part in range(room - 1):
            words = _obj(PLACE_PREFIXES if part % 2 == 0 else PLACE_SUFFIXES)
            more = _draw(words, m, rng)
            out = more + " " + out if part % 2 == 0 else out + " " + more
        return out
    joint = "-" if method == "last_name" else " "
    for _ in range(room - 1):
        more = _draw(pool, m, rng) if method == "last_name" else _same_gender(out, locale, rng)
        same = more == out
        out = out + joint + np.where(same, _draw(pool, m, rng) if method == "last_name"
                                     else _same_gender(out, locale, rng), more)
    return out


@lru_cache(maxsize=32)
def _given_names(locale: str) -> tuple[frozenset, np.ndarray, np.ndarray]:
    """(female names, female list, male list) of a locale, where Faker tells them apart."""
    try:
        provider = _faker(locale).provider("faker.providers.person")
        female = [str(v) for v in provider.first_names_female]
        male = [str(v) for v in provider.first_names_male]
    except (AttributeError, TypeError):
        female, male = [], []
    if not female or not male:
        whole = distinct_pool(locale, "first_name")
        return frozenset(), whole, whole
    return frozenset(female), _obj(list(dict.fromkeys(female))), _obj(list(dict.fromkeys(male)))


def _same_gender(names: np.ndarray, locale: str, rng: np.random.Generator) -> np.ndarray:
    """A second given name per row, of the first one's gender (``Anna Maria``, ``John Paul``)."""
    female, women, men = _given_names(locale)
    firsts = [str(v).split(" ", 1)[0] for v in names]
    is_female = np.fromiter((f in female for f in firsts), dtype=bool, count=len(firsts))
    return np.where(is_female, _draw(women, len(names), rng), _draw(men, len(names), rng)).astype(object)


# the words a unique place column adds once its pool is used up (never a number)
PLACE_PREFIXES = ("North", "South", "East", "West", "New", "Upper", "Lower", "Old", "Port", "Lake", "Mount",
                  "Fort", "Saint", "Little", "Great")
PLACE_SUFFIXES = ("Heights", "Springs", "Valley", "Park", "Hills", "Junction", "Falls", "Harbor", "Ridge",
                  "Crossing", "Center", "Bay", "Meadows", "Grove")


# ====================================================================== usernames

def _learn_username(present: pd.Series) -> dict:
    """Like an e-mail's local part: the name style, digits, case, or words around numbers."""
    strs = [s.strip() for s in as_strings(present) if s.strip()]
    styles = Counter(_email_style(s) for s in strs)
    return {"styles": _shares(styles, EMAIL_STYLES), "case": _learn_case(strs), "skeletons": _learn_skeletons(strs)}


def _make_username(fmt: dict, m: int, ctx: _Ctx) -> np.ndarray:
    rng = ctx.rng
    if fmt.get("skeletons"):   # user123: the pattern, new numbers
        return _make_skeletons(fmt["skeletons"], m, rng, attempt=ctx.attempt)
    styles = _pick(fmt.get("styles") or {}, EMAIL_STYLES, "flast", m, rng)
    first = _draw(_ascii_pool(ctx.locale, "first_name"), m, rng)
    last = _draw(_ascii_pool(ctx.locale, "last_name"), m, rng)
    local = _local_parts(styles, first, last, rng)
    if ctx.attempt >= 1 and m:
        local = local + _digits(m, rng, 10, 10_000)
    return fit_handles(_apply_case(local, fmt.get("case"), rng, default="lower"), ctx.max_length)


def fit_handles(values: np.ndarray, max_length: int | None) -> np.ndarray:
    """Handles longer than the column lose letters of their name part, never their digits."""
    if not max_length or len(values) == 0:
        return values
    out = values.copy()
    for i in np.flatnonzero(np.fromiter((len(v) > max_length for v in values), dtype=bool, count=len(values))):
        v = values[i]
        letters = v.rstrip("0123456789")
        digits = v[len(letters):][: max_length - 1]
        out[i] = letters[: max_length - len(digits)].rstrip("._") + digits
    return out


# ====================================================================== places: regions, countries

# names people write for countries that Faker's table spells otherwise (lower case -> ISO alpha-2)
COUNTRY_ALIASES = {"usa": "US", "u.s.a.": "US", "u.s.": "US", "united states of america": "US", "america": "US",
                   "uk": "GB", "u.k.": "GB", "great britain": "GB", "britain": "GB", "england": "GB",
                   "scotland": "GB", "wales": "GB", "northern ireland": "GB", "russia": "RU", "korea": "KR",
                   "south korea": "KR", "czech republic": "CZ", "czechia": "CZ", "holland": "NL",
                   "the netherlands": "NL", "viet nam": "VN", "vietnam": "VN", "iran": "IR", "turkey": "TR",
                   "türkiye": "TR", "syria": "SY", "taiwan": "TW", "bolivia": "BO", "venezuela": "VE",
                   "tanzania": "TZ", "laos": "LA", "moldova": "MD", "macedonia": "MK", "ivory coast": "CI",
                   "congo": "CG", "brunei": "BN", "cape verde": "CV", "swaziland": "SZ", "burma": "MM"}
# locales preferred when several speak for one country (locales.CANDIDATES first, then English)
_PREFERRED_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR", "pl_PL",
                      "sv_SE", "da_DK", "ja_JP")
_MISNAMED = frozenset({"en_MS", "es_CA"})   # Malaysia and Catalonia, not Montserrat and Canada
COUNTRY_STYLES = ("name", "alpha2", "alpha3")
REGION_STYLES = ("name", "abbr")


@lru_cache(maxsize=1)
def countries() -> tuple[tuple[str, str, str], ...]:
    """(English name, ISO alpha-2, ISO alpha-3) of the world's countries, from Faker's own table."""
    from faker.providers.date_time import Provider

    return tuple((c.name, c.alpha_2_code, c.alpha_3_code) for c in Provider.countries)


@lru_cache(maxsize=1)
def _country_index() -> dict[str, int]:
    index: dict[str, int] = {}
    for i, (name, alpha2, alpha3) in enumerate(countries()):
        for key in (name, alpha2, alpha3):
            index.setdefault(key.casefold(), i)
    for alias, alpha2 in COUNTRY_ALIASES.items():
        if alpha2.casefold() in index:
            index.setdefault(alias, index[alpha2.casefold()])
    return index


def country_number(value: Any) -> int | None:
    """The row of :func:`countries` a name, alias or ISO code stands for (None: unknown)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return _country_index().get(str(value).strip().casefold())


@lru_cache(maxsize=1)
def _country_locales() -> dict[str, str]:
    """ISO alpha-2 -> the Faker locale of that country (de_DE for DE, en_CA for CA, th_TH for TH):
    only locales with address data of their own (ar_EG would give US cities and states)."""
    from importlib.util import find_spec

    from faker.config import AVAILABLE_LOCALES

    def rank(locale: str) -> tuple:
        return (locale not in _PREFERRED_LOCALES, not locale.startswith("en_"), locale)

    out: dict[str, str] = {}
    for locale in sorted(AVAILABLE_LOCALES, key=rank):
        if "_" in locale and locale not in _MISNAMED and find_spec(f"faker.providers.address.{locale}") is not None:
            out.setdefault(locale.rsplit("_", 1)[1], locale)
    return out


def country_locale(number: int | None) -> str | None:
    """The Faker locale of a country of :func:`countries` (None when Faker has none)."""
    if number is None:
        return None
    return _country_locales().get(countries()[number][1])


@lru_cache(maxsize=2)
def located_countries(latin: bool = False) -> np.ndarray:
    """The countries Faker has a locale for: places drawn there agree with their country
    (``latin``: only those whose places Faker writes in Latin letters)."""
    return np.array([i for i in range(len(countries())) if country_locale(i)
                     and (not latin or latin_locale(country_locale(i)))], dtype=np.int64)


def _country_style(s: str) -> str:
    t = s.strip()
    if len(t) == 2 and t.isalpha():
        return "alpha2"
    if len(t) == 3 and t.isalpha() and t.isupper():
        return "alpha3"
    return "name"


def _learn_country(present: pd.Series) -> dict:
    strs = [s.strip() for s in as_strings(present) if s.strip()]
    names = [s for s in strs if _country_style(s) == "name"]
    return {"styles": _shares(Counter(_country_style(s) for s in strs), COUNTRY_STYLES),
            "case": _learn_case(names or strs), "distinct": round(len(set(strs)) / len(strs), 6) if strs else 0.0}


DISTINCT_COUNTRIES = 0.95   # a column this distinct (a country table) gets distinct countries, as long as they last


def distinct_countries(fmt: dict) -> bool:
    return float(fmt.get("distinct", 0.0) or 0.0) >= DISTINCT_COUNTRIES


def draw_countries(m: int, rng: np.random.Generator, *, unique: bool = False, attempt: int = 0,
                   located: bool = False, latin: bool = False) -> np.ndarray:
    """Row numbers of :func:`countries`: distinct ones first for a unique column (a shuffled
    list), ``located``: only countries with a Faker locale (their places can agree), ``latin``:
    and whose places are written in Latin letters."""
    choice = located_countries(latin) if located else np.arange(len(countries()))
    if unique and attempt == 0 and m <= len(choice):
        return rng.permutation(choice)[:m]
    return choice[rng.integers(len(choice), size=m)]


def render_countries(fmt: dict, numbers: np.ndarray, rng: np.random.Generator, *, room: int = 0) -> np.ndarray:
    """Country numbers in the column's style (name, alpha-2 or alpha-3 code) and case; ``room``
    >= 2 (a unique column past the world's countries) prefixes names: ``North Chad``."""
    table = countries()
    styles = _pick(fmt.get("styles") or {}, COUNTRY_STYLES, "name", len(numbers), rng)
    out = _obj([table[k][s] if s else table[k][0] for k, s in zip(numbers.tolist(), styles.tolist())])
    names = np.flatnonzero(styles == 0)
    if room >= 2 and names.size:
        out[names] = _draw(_obj(PLACE_PREFIXES), names.size, rng) + " " + out[names]
    if names.size:
        out[names] = _apply_case(out[names], fmt.get("case"), rng)
    return out


def _make_country(fmt: dict, m: int, ctx: _Ctx) -> np.ndarray:
    numbers = draw_countries(m, ctx.rng, unique=ctx.unique or distinct_countries(fmt), attempt=ctx.attempt)
    return render_countries(fmt, numbers, ctx.rng, room=room_for(ctx.attempt) if ctx.attempt >= COMPOUND_AFTER else 0)


def _region_style(s: str) -> str:
    t = s.strip()
    return "abbr" if 1 < len(t) <= 3 and t.isalpha() and t.isupper() else "name"


def _learn_region(present: pd.Series) -> dict:
    strs = [s.strip() for s in as_strings(present) if s.strip()]
    names = [s for s in strs if _region_style(s) == "name"]
    return {"styles": _shares(Counter(_region_style(s) for s in strs), REGION_STYLES),
            "case": _learn_case(names or strs), "latin": round(_share(strs, is_latin), 6) if strs else 1.0,
            "distinct": round(len(set(strs)) / len(strs), 6) if strs else 0.0}


@lru_cache(maxsize=32)
def states(locale: str) -> tuple[tuple[str, ...], tuple[str, ...], dict]:
    """A locale's states with their abbreviations and postcode ranges (en_US: from Faker's
    address data); empty where Faker has none of these."""
    try:
        provider = _faker(locale).provider("faker.providers.address")
        names, abbrs = _aligned(tuple(provider.states), tuple(provider.states_abbr))
        ranges = dict(getattr(provider, "states_postcode", {}) or {})
    except (AttributeError, TypeError):
        return (), (), {}
    return (names, abbrs, ranges) if names else ((), (), {})


def _aligned(names: tuple[str, ...], abbrs: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """States and abbreviations paired in order, skipping abbreviations of places the names
    leave out (en_US lists DC among the abbreviations only); nothing when they do not pair up."""
    out, j = [], 0
    for name in names:
        while j < len(abbrs) and _fold(abbrs[j])[:1].upper() != _fold(name)[:1].upper():
            j += 1
        if j == len(abbrs):
            return (), ()
        out.append(abbrs[j])
        j += 1
    return names, tuple(out)


def region_abbr(names: np.ndarray) -> np.ndarray:
    """Upper-case initials where the locale has no abbreviations (``Nordrhein-Westfalen`` -> NW)."""
    out = []
    for name in names:
        words = [w for w in re.split(r"[\s\-]+", _fold_keep_spaces(name)) if w]
        out.append(("".join(w[0] for w in words[:3]) if len(words) > 1 else (words[0][:2] if words else "XX")).upper())
    return _obj(out)


def _fold_keep_spaces(s: str) -> str:
    plain = unicodedata.normalize("NFKD", str(s)).encode("ascii", "ignore").decode("ascii")
    return "".join(c for c in plain if c.isalnum() or c in " -")


def render_regions(fmt: dict, names: np.ndarray, abbrs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per row the region's name or abbreviation, in the column's style and case."""
    styles = _pick(fmt.get("styles") or {}, REGION_STYLES, "name", len(names), rng)
    out = np.where(styles == 1, abbrs, names).astype(object)
    named = np.flatnonzero(styles == 0)
    if named.size:
        out[named] = _apply_case(out[named], fmt.get("case"), rng)
    return out


def draw_regions(locale: str, m: int, rng: np.random.Generator, *, room: int = 0,
                 distinct: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(names, abbreviations) of ``m`` regions of a locale: its states where Faker lists them
    (so a postcode can agree, see :func:`postcodes_in`), else its administrative units.
    ``distinct``: each state once as long as they last (a table of states)."""
    names, abbrs, _ = states(locale)
    if names and room < 2:
        if distinct:
            k = np.concatenate([rng.permutation(len(names)) for _ in range(-(-m // len(names)))])[:m]
        else:
            k = rng.integers(len(names), size=m)
        return _obj(names)[k], _obj(abbrs)[k]
    if distinct and room < 1:
        pool = distinct_pool(locale, "administrative_unit")
        if m <= len(pool):
            drawn = pool[rng.permutation(len(pool))[:m]].copy()
            return drawn, region_abbr(drawn)
    drawn = draw_names("administrative_unit", locale, m, rng, room=room)
    return drawn, region_abbr(drawn)


def postcodes_in(locale: str, abbrs: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """Postcodes inside each row's state (en_US ZIP ranges), or None where the locale has none."""
    _, _, ranges = states(locale)
    if not ranges or not all(a in ranges for a in abbrs):
        return None
    low = np.array([ranges[a][0] for a in abbrs], dtype=np.int64)
    high = np.array([ranges[a][1] for a in abbrs], dtype=np.int64)
    return np.char.zfill((low + (rng.random(len(abbrs)) * (high - low + 1)).astype(np.int64)).astype(str), 5) \
        .astype(object)


def _make_region(fmt: dict, m: int, ctx: _Ctx) -> np.ndarray:
    names, abbrs = draw_regions(ctx.locale, m, ctx.rng, room=room_for(ctx.attempt) if ctx.unique else 0)
    return render_regions(fmt, names, abbrs, ctx.rng)


# ====================================================================== lookup labels

def _learn_labels(values: pd.Series) -> dict:
    """A lookup table's category names, how many rows hold each, and the column in row order
    (None for NULL), so the label columns of one table are dealt row by row (a category keeps
    its own description). schema.detect rule 7 keeps them: names many rows share, not personal."""
    present, _ = _present(values)
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    rows = [None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip()
            for v in series.tolist()]
    return {"labels": dict(Counter(s.strip() for s in as_strings(present) if s.strip())), "rows": rows}


def deal_labels(fmts: list[dict], n: int, rng: np.random.Generator, unique: list[bool]) -> list[np.ndarray] | None:
    """The label columns of one table dealt together, ``n`` rows: the source's rows as a
    shuffled deck (each once before any repeats), so the labels of one row stay together; a
    unique column numbers its later decks (``Sales II``). None when the columns do not line up."""
    rows = [f.get("rows") for f in fmts]
    if not rows or any(not r for r in rows) or len({len(r) for r in rows}) != 1:
        return None
    size = len(rows[0])
    deck = np.concatenate([rng.permutation(size) for _ in range(-(-n // size))])[:n] if n else np.empty(0, np.int64)
    rounds = np.arange(n) // size
    out = []
    for column, keep_unique in zip(rows, unique):
        values = _obj(column)[deck].copy()
        later = np.flatnonzero((rounds > 0) & np.array([v is not None for v in values], dtype=bool))
        if keep_unique and later.size:
            values[later] = _obj([f"{v} {_roman(int(r) + 1)}" for v, r in zip(values[later], rounds[later])])
        out.append(values)
    return out


_ROMAN = (("M", 1000), ("CM", 900), ("D", 500), ("CD", 400), ("C", 100), ("XC", 90), ("L", 50), ("XL", 40),
          ("X", 10), ("IX", 9), ("V", 5), ("IV", 4), ("I", 1))


def _roman(k: int) -> str:
    out = ""
    for sign, value in _ROMAN:
        while k >= value:
            out, k = out + sign, k - value
    return out


def _make_labels(fmt: dict, m: int, ctx: _Ctx) -> np.ndarray:
    """The labels as a shuffled deck: each once before any repeats (a scaled-up lookup table of a
    unique column numbers its second deck: ``Sales II``)."""
    labels = _obj(list(fmt.get("labels") or {}))
    if not len(labels):
        return _sentences({"words": [1, 2], "capital": 1.0, "period": 0.0}, m, ctx)
    size = len(labels)
    if ctx.attempt:
        deck = ctx.rng.integers(size, size=m)
        rounds = np.full(m, 0)
    else:
        deck = np.concatenate([ctx.rng.permutation(size) for _ in range(-(-m // size))])[:m] if m else \
            np.empty(0, dtype=np.int64)
        rounds = np.arange(m) // size
    out = labels[deck].copy()
    if ctx.unique:
        later = np.flatnonzero(rounds > 0)
        out[later] = _obj([f"{v} {_roman(int(r) + 1)}" for v, r in zip(out[later], rounds[later])])
    return out


# ====================================================================== phone, postcode

def _learn_pattern(default: str) -> Callable[[pd.Series], dict]:
    def learn(present: pd.Series) -> dict:
        strs = [s.strip() for s in as_strings(present) if s.strip()]
        return {"templates": _learn_templates(strs) if strs else [{"template": default, "share": 1.0}]}
    return learn


# ====================================================================== street address

def _learn_address(present: pd.Series) -> dict:
    strs = [s.strip() for s in as_strings(present) if s.strip()]
    layout, digits, parts, tails = Counter(), Counter(), Counter(), []
    newline = 0
    for s in strs:
        newline += "\n" in s
        pieces = [p for p in re.split(r"\s*[,\n]\s*", s) if p]
        parts[min(len(pieces), 3)] += 1
        if len(pieces) >= 3:
            tails.append(pieces[-1])
        street = pieces[0] if pieces else s
        head, tail = re.match(r"^(\d+)", street), re.search(r"(\d+)\w?$", street)
        if head:
            layout["number first"] += 1
            digits[str(min(len(head.group(1)), 6))] += 1
        elif tail:
            layout["number last"] += 1
            digits[str(min(len(tail.group(1)), 6))] += 1
        else:
            layout["no number"] += 1
    total = len(strs) or 1
    return {"layout": _shares(layout, ("number first", "number last", "no number")),
            "digits": _shares(digits, tuple(str(d) for d in range(1, 7))),
            "unit": round(_share(strs, lambda s: bool(_UNIT_RE.search(s))), 6),
            "parts": _shares(Counter({str(k): v for k, v in parts.items()}), ("1", "2", "3")),
            "newline": newline / total > 0.5,
            "tail_templates": _learn_templates(tails) if tails else [],
            "case": _learn_case(strs)}


def _make_address(fmt: dict, m: int, ctx: _Ctx) -> np.ndarray:
    rng = ctx.rng
    street = _draw(_pool(ctx.locale, "street_name"), m, rng)
    width = _pick(fmt.get("digits") or {}, tuple(str(d) for d in range(1, 7)), "3", m, rng) + 1
    number = _obj(rng.integers(10 ** (width - 1), 10 ** width).astype(str))
    layout = _pick(fmt.get("layout") or {}, ("number first", "number last", "no number"), "number first", m, rng)
    out = street.copy()
    first, last = np.flatnonzero(layout == 0), np.flatnonzero(layout == 1)
    out[first] = number[first] + " " + street[first]
    out[last] = street[last] + " " + number[last]
    unit = float(fmt.get("unit", 0) or 0)
    if unit > 0:
        idx = np.flatnonzero(rng.random(m) < unit)
        out[idx] = out[idx] + " " + _draw(_pool(ctx.locale, "secondary_address"), idx.size, rng)
    parts = _pick(fmt.get("parts") or {}, ("1", "2", "3"), "1", m, rng) + 1
    sep = "\n" if fmt.get("newline") else ", "
    more = np.flatnonzero(parts >= 2)
    if more.size:
        out[more] = out[more] + sep + _draw(_pool(ctx.locale, "city"), more.size, rng)
    most = np.flatnonzero(parts >= 3)
    if most.size:
        tail_fmt = {"templates": fmt.get("tail_templates") or [{"template": "AA 99999", "share": 1.0}]}
        tail_ctx = _Ctx(rng=rng, locale=ctx.locale, unique=False, total=most.size, max_length=None)
        out[most] = out[most] + sep + _make_templates(tail_fmt, most.size, tail_ctx)
    return _apply_case(out, fmt.get("case"), rng)


# ====================================================================== text

def _learn_text(present: pd.Series, k: int = wordchain.DEFAULT_K) -> dict:
    strs = as_strings(present)
    codes = _learn_codes(strs)
    if codes is not None:
        return {"mode": "codes", "templates": codes}
    skeletons = _learn_skeletons(strs)
    if skeletons is not None:
        return {"mode": "skeletons", "skeletons": skeletons}
    if not strs:
        return {"mode": "words", "words": _quantiles([3, 12]), "max_chars": 200, "capital": 1.0, "period": 1.0}
    words = [len(s.split()) for s in strs]
    fmt = {"mode": "words", "words": _quantiles(words), "max_chars": max(len(s) for s in strs),
           "capital": round(_share(strs, lambda s: s[:1].isupper()), 6),
           "period": round(_share(strs, lambda s: s.rstrip().endswith(".")), 6)}
    chain = wordchain.learn(strs, k)
    if chain is not None:   # the column's own common words; else Faker words as before
        fmt["chain"] = chain
    return fmt


def _is_wordish(template: str) -> bool:
    return bool(re.fullmatch(r"[Aa]?a*", template)) or bool(re.fullmatch(r"L+", template))


def _learn_codes(strs: list[str]) -> list[dict] | None:
    """Shape templates when the values are codes: short, no spaces, mostly shared shapes."""
    if not strs or _share(strs, lambda s: not any(c.isspace() for c in s)) < 0.9:
        return None
    if max(len(s) for s in strs) > MAX_CODE_LENGTH:
        return None
    for shape, fine in ((_fine_shape, True), (_coarse_shape, False)):
        groups = [(t, v) for t, v in _shape_groups(strs, shape) if len(v) >= 2 and not _is_wordish(t)]
        groups = groups[:MAX_TEMPLATES]
        if sum(len(v) for _, v in groups) >= CODE_COVERAGE * len(strs):
            return _templates(groups, len(strs), fine=fine)
    return None


def _learn_skeletons(strs: list[str]) -> list[dict] | None:
    """Words around numbers ('Region 007', 'Toys line 03', 'customer12'), when many distinct
    values share the same words: the words are a pattern, not a person, so they are kept and
    the numbers drawn anew with the real numbers' lengths."""
    counts = Counter(strs)
    if not counts:
        return None
    by_skeleton: dict[str, Counter] = {}
    for value, count in counts.items():
        runs = _DIGIT_RUN_RE.findall(value)
        if runs:
            by_skeleton.setdefault(_DIGIT_RUN_RE.sub(_HOLE, value), Counter())[tuple(map(len, runs))] += count
    support = Counter({sk: 0 for sk in by_skeleton})
    padded = set()  # skeletons whose numbers have leading zeros ('007')
    for value in counts:
        runs = _DIGIT_RUN_RE.findall(value)
        if runs:
            skeleton = _DIGIT_RUN_RE.sub(_HOLE, value)
            support[skeleton] += 1
            if any(len(r) > 1 and r[0] == "0" for r in runs):
                padded.add(skeleton)
    kept = [sk for sk, n in support.most_common(MAX_SKELETONS) if n >= SKELETON_SUPPORT]
    if sum(support[sk] for sk in kept) < SKELETON_COVERAGE * len(counts):
        return None
    rows = sum(sum(by_skeleton[sk].values()) for sk in kept)
    return [{"skeleton": sk, "share": round(sum(by_skeleton[sk].values()) / rows, 6), "padded": sk in padded,
             "lengths": [[list(lengths), n] for lengths, n in by_skeleton[sk].most_common(MAX_RUN_LENGTHS)]}
            for sk in kept]


def _make_skeletons(skeletons: list[dict], m: int, rng: np.random.Generator, *, attempt: int = 0) -> np.ndarray:
    """``m`` values: a skeleton by its share, its holes filled with random digits (one more
    digit per hole on each redraw of a unique column, for room)."""
    shares = np.array([float(s["share"]) for s in skeletons])
    which = rng.choice(len(skeletons), size=m, p=shares / shares.sum())
    out = np.empty(m, dtype=object)
    for i, entry in enumerate(skeletons):
        idx = np.flatnonzero(which == i)
        if not idx.size:
            continue
        patterns = [lengths for lengths, _ in entry["lengths"]]
        weights = np.array([n for _, n in entry["lengths"]], dtype=np.float64)
        chosen = rng.choice(len(patterns), size=idx.size, p=weights / weights.sum())
        parts = entry["skeleton"].split(_HOLE)
        for p, lengths in enumerate(patterns):
            rows = idx[chosen == p]
            if not rows.size:
                continue
            text = np.full(rows.size, parts[0], dtype=object)
            for hole, length in enumerate(lengths):
                width = length + attempt
                digits = _fill("9" * width, {}, rows.size, rng) if entry.get("padded", True) or width == 1 \
                    else rng.integers(10 ** (width - 1), 10 ** width, rows.size).astype(str).astype(object)
                text = text + digits + parts[hole + 1]
            out[rows] = text
    return out


def _make_text(fmt: dict, m: int, ctx: _Ctx) -> np.ndarray:
    if fmt.get("mode") == "skeletons":
        return _make_skeletons(fmt["skeletons"], m, ctx.rng, attempt=ctx.attempt)
    if fmt.get("mode") == "codes":
        return _make_templates(fmt, m, ctx)
    return _sentences(fmt, m, ctx)


@lru_cache(maxsize=8)
def _word_variants(locale: str) -> tuple[np.ndarray, np.ndarray]:
    """The word pool four times: plain, Capitalized, plain + '.', Capitalized + '.'."""
    words = _pool(locale, "word")
    caps = _obj([w[:1].upper() + w[1:] for w in words])
    variants = np.concatenate([words, caps, words + ".", caps + "."])
    return variants, np.fromiter((len(w) for w in variants), dtype=np.int64, count=len(variants))


def _sentences(fmt: dict, m: int, ctx: _Ctx) -> np.ndarray:
    """Word-pool sentences with the learned word counts, joined once and sliced per row."""
    if fmt.get("chain"):
        return _chain_sentences(fmt, m, ctx)
    rng = ctx.rng
    if m == 0:
        return np.empty(0, dtype=object)
    counts = np.maximum(_draw_quantiles(fmt.get("words") or [1, 8], m, rng), 0)
    if ctx.unique or ctx.attempt:
        counts = np.maximum(counts, 1)
    variants, lengths = _word_variants(ctx.locale)
    size = len(variants) // 4
    total = int(counts.sum())
    token = rng.integers(size, size=total)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    has = counts > 0
    capital = has & (rng.random(m) < float(fmt.get("capital", 1.0)))
    period = has & (rng.random(m) < float(fmt.get("period", 0.0)))
    token[starts[capital]] += size
    token[(starts + counts - 1)[period]] += 2 * size
    return _join_rows(variants[token], lengths[token], counts, _char_limit(fmt, ctx), period)


def _chain_sentences(fmt: dict, m: int, ctx: _Ctx) -> np.ndarray:
    """Texts walked along the column's word chain, their digits drawn anew."""
    if m == 0:
        return np.empty(0, dtype=object)
    chain = fmt["chain"]
    targets = np.maximum(_draw_quantiles(fmt.get("words") or [1, 8], m, ctx.rng), 1)
    ids, counts = wordchain.walk(chain, targets, ctx.rng)
    variants, _ = _word_variants(ctx.locale)
    size = len(variants) // 4
    words = wordchain.render(chain, ids, variants[:size], variants[size:2 * size], ctx.rng)
    lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
    last = np.maximum(np.cumsum(counts) - 1, 0)
    period = (counts > 0) & wordchain.ends_sentence(chain)[ids[last]] if ids.size else np.zeros(m, dtype=bool)
    numbered = any(c.isdigit() for w in chain["vocab"] + (chain.get("holes") or []) for c in w)
    return _join_rows(words, lengths, counts, _char_limit(fmt, ctx), period,
                      transform=(lambda text: wordchain.fill_digits(text, ctx.rng)) if numbered else None)


def _char_limit(fmt: dict, ctx: _Ctx) -> int:
    return max(2, min(int(fmt.get("max_chars") or 10**9), int(ctx.max_length or 10**9)))


def _join_rows(words: np.ndarray, lengths: np.ndarray, counts: np.ndarray, limit: int, period: np.ndarray,
               transform: Callable[[str], str] | None = None) -> np.ndarray:
    """Each row's ``counts`` words (``words`` flat, in row order) joined by spaces: one join,
    sliced per row; a row longer than ``limit`` ends on a whole word (and its '.' when it had one)."""
    text = " ".join(words.tolist())
    if transform is not None:   # must keep the length: the offsets below stay valid
        text = transform(text)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    has = counts > 0
    offsets = np.concatenate([[0], np.cumsum(lengths + 1)])
    begin = offsets[starts]
    end = np.where(has, offsets[starts + counts] - 1, begin)
    cut = end > begin + limit
    end = np.where(cut, begin + limit - period, end)       # room for the final '.'
    return _obj([_cut_at_word(text[a:b], p) if c else text[a:b]
                 for a, b, c, p in zip(begin.tolist(), end.tolist(), cut.tolist(), period.tolist())])


def _cut_at_word(s: str, period: bool) -> str:
    """A sentence clipped to the column: end on a whole word when there is one."""
    head = s.rsplit(" ", 1)[0] if " " in s.strip() else s
    head = head.rstrip(" ,;:.")
    return head + "." if period else head


# ====================================================================== uuid, json, binary

def _learn_uuid_style(strs: list[str]) -> dict:
    return {"upper": _share(strs, lambda s: any(c in "ABCDEF" for c in s)) > 0.5,
            "hyphens": _share(strs, lambda s: "-" in s) >= 0.5 if strs else True,
            "braces": _share(strs, lambda s: s.startswith("{")) > 0.5}


def _learn_uuid(present: pd.Series) -> dict:
    return _learn_uuid_style([s.strip() for s in as_strings(present)])


def _uuid_strings(m: int, rng: np.random.Generator, fmt: dict) -> np.ndarray:
    """Version-4 UUID text from ``rng`` bytes, formatted without a Python loop."""
    if m == 0:
        return np.empty(0, dtype=object)
    raw = np.frombuffer(rng.bytes(16 * m), dtype=np.uint8).reshape(m, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    nibbles = np.empty((m, 32), dtype=np.uint8)
    nibbles[:, 0::2], nibbles[:, 1::2] = raw >> 4, raw & 0x0F
    hexdigits = b"0123456789ABCDEF" if fmt.get("upper") else b"0123456789abcdef"
    chars = np.frombuffer(hexdigits, dtype=np.uint8)[nibbles]
    if fmt.get("hyphens", True):
        chars = np.insert(chars, [8, 12, 16, 20], ord("-"), axis=1)
    if fmt.get("braces"):
        chars = np.concatenate([np.full((m, 1), ord("{"), np.uint8), chars, np.full((m, 1), ord("}"), np.uint8)], axis=1)
    chars = np.ascontiguousarray(chars)
    return chars.view(f"S{chars.shape[1]}").reshape(m).astype(str).astype(object)


def _make_uuid(fmt: dict, m: int, ctx: _Ctx) -> np.ndarray:
    return _uuid_strings(m, ctx.rng, fmt)


def _json_type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, dict):
        return "object"
    if isinstance(v, (list, tuple)):
        return "array"
    return "string"


def _parse_json(v: Any) -> Any:
    if isinstance(v, (bytes, bytearray, memoryview)):
        v = bytes(v).decode("utf-8", "replace")
    if isinstance(v, str):
        try:
            return json.loads(v)
        except ValueError:
            return v                 # not JSON text: treat as a string value
    return v


JSON_DEPTH = 3   # levels of nested objects and arrays learned below the top


def _learn_json(present: pd.Series, k: int = wordchain.DEFAULT_K, depth: int = 0) -> dict:
    """The top-level type; for objects, the keys nearly all share and their value types; for
    arrays (PostgreSQL ``text[]`` too), their lengths, item type and the items >= ``k`` rows hold."""
    docs = [_parse_json(v) for v in present.tolist()]
    if not docs:
        return {"top": "object", "keys": []}
    top = Counter(_json_type(d) for d in docs).most_common(1)[0][0]
    out: dict[str, Any] = {"top": top, "keys": []}
    if top == "array":
        return {**out, **_learn_array([d for d in docs if isinstance(d, (list, tuple))], k)}
    objects = [d for d in docs if isinstance(d, dict)]
    if top != "object" or len(objects) < MIN_SUPPORT:
        return out
    seen, types = Counter(), {}
    for d in objects:
        for key, v in d.items():
            if isinstance(key, str):
                seen[key] += 1
                types.setdefault(key, Counter())[_json_type(v)] += 1
    order = list(dict.fromkeys(k for d in objects for k in d if isinstance(k, str)))
    out["keys"] = [[k, types[k].most_common(1)[0][0]] for k in order
                   if seen[k] >= JSON_KEY_SHARE * len(objects) and _JSON_KEY_RE.fullmatch(k)][:30]
    if depth < JSON_DEPTH:   # nested objects and arrays keep their own structure
        out["children"] = {key: _learn_json(pd.Series([d[key] for d in objects if key in d], dtype=object), k,
                                            depth + 1)
                           for key, kind in out["keys"] if kind in ("object", "array")}
    return out


def _json_values(kind: str, m: int, ctx: _Ctx) -> np.ndarray:
    rng = ctx.rng
    if kind == "integer":
        return _digits(m, rng, 0, 1000)
    if kind == "number":
        return _obj(np.round(rng.random(m) * 1000, 2).astype(str))
    if kind == "boolean":
        return _obj(np.where(rng.random(m) < 0.5, "true", "false"))
    if kind == "string":
        return _draw(_json_words(ctx.locale), m, rng)
    return np.full(m, {"array": "[]", "object": "{}"}.get(kind, "null"), dtype=object)


@lru_cache(maxsize=8)
def _json_words(locale: str) -> np.ndarray:
    return _obj([json.dumps(w) for w in _pool(locale, "word")])


def _learn_array(arrays: list, k: int) -> dict:
    """Lengths, the most common item type, and the items at least ``k`` rows hold (with the
    share of rows holding each): a set of labels such as ``{Trailers,Commentaries}`` keeps them."""
    items = [x for a in arrays for x in a if x is not None]
    item = Counter(_json_type(x) for x in items).most_common(1)[0][0] if items else "string"
    rows_holding = Counter(x for a in arrays for x in set(map(str, a)) if x != "None")
    common = {x: c / len(arrays) for x, c in rows_holding.items() if c >= max(k, 2)}
    return {"lengths": _quantiles([len(a) for a in arrays]), "item": item, "items": common}


def _array_items(fmt: dict, lengths: np.ndarray, ctx: _Ctx) -> list:
    """Per row, ``lengths[i]`` distinct common items (weighted by their share), else random ones."""
    common = fmt.get("items") or {}
    m, width = len(lengths), int(lengths.max(initial=0))
    if common and width <= len(common):
        names = np.asarray(list(common), dtype=object)
        scores = np.log(np.asarray(list(common.values()), dtype=float)) + ctx.rng.gumbel(size=(m, len(names)))
        picked = names[np.argsort(-scores, axis=1)[:, :width]]
    else:
        picked = np.array([json.loads(v) for v in _json_values(fmt.get("item", "string"), m * width, ctx)],
                          dtype=object).reshape(m, width) if width else np.empty((m, 0), dtype=object)
    if fmt.get("item") == "integer" and common:
        picked = np.vectorize(int, otypes=[object])(picked) if picked.size else picked
    return [list(row[:n]) for row, n in zip(picked, lengths.tolist())]


def _make_array(fmt: dict, m: int, ctx: _Ctx) -> np.ndarray:
    lengths = np.maximum(_draw_quantiles(fmt.get("lengths") or [0, 3], m, ctx.rng), 0)
    out = np.empty(m, dtype=object)
    out[:] = _array_items(fmt, lengths, ctx)
    return out


def _make_json(fmt: dict, m: int, ctx: _Ctx) -> np.ndarray:
    top = fmt.get("top", "object")
    if top == "array" and "lengths" in fmt:
        return _make_array(fmt, m, ctx)
    if top != "object":
        return _json_values(top, m, ctx)
    keys = fmt.get("keys") or []
    if not keys or m == 0:
        if ctx.unique and m:          # distinct documents need some content
            keys = [["id", "integer"]]
        else:
            return np.full(m, "{}", dtype=object)
    out = np.full(m, "{", dtype=object)
    children = fmt.get("children") or {}
    for i, (key, kind) in enumerate(keys):
        if key in children:
            value = _obj([v if isinstance(v, str) else json.dumps(_jsonable(list(v)))
                          for v in _make_json(children[key], m, ctx)])
        else:
            value = _json_values(kind, m, ctx)
        if ctx.unique and i == 0 and kind in ("integer", "number", "string"):
            value = _obj(_digits(m, ctx.rng, 0, 10**9)) if kind != "string" else value
        out = out + (", " if i else "") + json.dumps(key) + ": " + value
    return out + "}"


def _json_suffix(values: np.ndarray, numbers: np.ndarray, max_length: int | None) -> np.ndarray:
    return _obj([v[:-1] + (", " if len(v) > 2 else "") + f'"_n": {k}}}' for v, k in zip(values, numbers)])


# Public file signatures: a generated blob keeps its file type (a PNG stays a PNG to a viewer).
# Only these constants are ever kept from a real value's bytes.
FILE_SIGNATURES = tuple(bytes.fromhex(h) for h in (
    "89504e470d0a1a0a", "89504e47", "ffd8ff", "474946383961", "474946383761", "255044462d", "504b0304",
    "1f8b", "424d", "52494646", "49492a00", "4d4d002a", "7f454c46", "425a68", "377abcaf271c",
    "4f676753", "494433", "0061736d"))


def _as_bytes(v: Any) -> bytes:
    return bytes(v) if isinstance(v, (bytes, bytearray, memoryview)) else str(v).encode("utf-8")


def _signature(blob: bytes) -> str:
    """The hex file signature ``blob`` starts with ('' for none)."""
    return next((sig.hex() for sig in FILE_SIGNATURES if blob.startswith(sig)), "")


def _learn_binary(present: pd.Series) -> dict:
    blobs = [_as_bytes(v) for v in present.tolist()]
    lengths = [len(b) for b in blobs]
    signatures = Counter(_signature(b) for b in blobs)
    return {"lengths": _quantiles(lengths) if lengths else _quantiles([16, 64]),
            "signatures": {sig: count / len(blobs) for sig, count in signatures.items()} if blobs else {}}


def _draw_signatures(fmt: dict, m: int, rng: np.random.Generator) -> np.ndarray:
    shares = fmt.get("signatures") or {"": 1.0}
    names = list(shares)
    p = np.asarray([shares[k] for k in names], dtype=float)
    return np.asarray([bytes.fromhex(h) for h in names], dtype=object)[rng.choice(len(names), size=m, p=p / p.sum())]


def _make_binary(fmt: dict, m: int, ctx: _Ctx) -> np.ndarray:
    rng = ctx.rng
    heads = _draw_signatures(fmt, m, rng)
    head_lengths = np.fromiter((len(h) for h in heads), dtype=np.int64, count=m)
    lengths = np.maximum(_draw_quantiles(fmt.get("lengths") or [16], m, rng), 1 if ctx.unique else 0)
    if ctx.max_length:
        lengths = np.minimum(lengths, ctx.max_length)
    random_lengths = np.maximum(lengths - head_lengths, 0)
    blob = rng.bytes(int(random_lengths.sum()))
    ends = np.cumsum(random_lengths)
    return _obj([h + blob[e - k:e] for h, e, k in zip(heads.tolist(), ends.tolist(), random_lengths.tolist())])


# ====================================================================== string keys

def _learn_sequence(strs: list[str]) -> dict | None:
    """prefix + number keys (``INV-000123``, ``C17``): prefix, zero-padding width."""
    if not strs:
        return {"prefix": "", "pad": 0}
    matches = [_KEY_SEQ_RE.fullmatch(s) for s in strs]
    if _share(matches, lambda mt: mt is not None) < CONSTANT_SHARE:
        return None
    prefixes = Counter(mt.group(1) for mt in matches if mt)
    prefix, count = prefixes.most_common(1)[0]
    if count < CONSTANT_SHARE * len(strs):
        return None
    numbers = [mt.group(2) for mt in matches if mt and mt.group(1) == prefix]
    widths = {len(d) for d in numbers}
    padded = any(len(d) > 1 and d.startswith("0") for d in numbers) or (len(widths) == 1 and len(numbers) > 1)
    out: dict[str, Any] = {"pad": max(widths) if padded else 0}
    distinct = len({mt.group(0) for mt in matches if mt and mt.group(1) == prefix})
    if not any(c.isalnum() for c in prefix) or distinct >= MIN_SUPPORT or (len(prefix) <= 3 and distinct >= 2):
        out["prefix"] = prefix
    else:                            # too few keys to vouch that the prefix identifies nobody
        out["prefix_template"] = _fine_shape(prefix)
    return out


def _sequence(fmt: dict, n: int, rng: np.random.Generator, offset: int) -> np.ndarray:
    prefix = fmt.get("prefix")
    if prefix is None:
        prefix = str(_fill(fmt.get("prefix_template", ""), {}, 1, rng)[0]) if fmt.get("prefix_template") else ""
    last = offset + n
    numbers = np.arange(offset + 1, last + 1).astype(str)
    pad = int(fmt.get("pad", 0) or 0)
    width = max(pad, len(str(last))) if pad else 0
    max_length = fmt.get("max_length")
    if max_length and len(prefix) + width > max_length:
        width = 0                    # the padding goes first ...
    if max_length and len(prefix) + len(str(last)) > max_length:
        raise ModelError(f"{n} keys numbered after {prefix!r} do not fit in {max_length} characters",
                         hint="widen the key column, or override the key format in the config")
    if width:
        numbers = np.char.zfill(numbers, width)
    return _obj(np.char.add(prefix, numbers)) if n else np.empty(0, dtype=object)


# ====================================================================== dispatch

_LEARNERS: dict[Kind, Callable[[pd.Series], dict]] = {
    Kind.EMAIL: _learn_email,
    Kind.PERSON_NAME: _learn_person_name,
    Kind.FIRST_NAME: _learn_single_name,
    Kind.LAST_NAME: _learn_single_name,
    Kind.CITY: _learn_single_name,
    Kind.REGION: _learn_region,
    Kind.COUNTRY: _learn_country,
    Kind.USERNAME: _learn_username,
    Kind.LABEL: _learn_labels,
    Kind.PHONE: _learn_pattern("(999) 999-9999"),
    Kind.POSTCODE: _learn_pattern("99999"),
    Kind.ADDRESS: _learn_address,
    Kind.TEXT: _learn_text,
    Kind.UUID: _learn_uuid,
    Kind.JSON: _learn_json,
    Kind.BINARY: _learn_binary,
    Kind.NATIONAL_ID: lambda present: identifiers.learn_shape(as_strings(present)),
    Kind.CARD_NUMBER: lambda present: identifiers.learn_shape(as_strings(present)),
    Kind.IP_ADDRESS: lambda present: identifiers.learn_ip(as_strings(present)),
    Kind.ORGANIZATION: lambda present: organizations.learn(as_strings(present)),
    Kind.SECRET: lambda present: credentials.learn(as_strings(present)),
    Kind.URL: lambda present: locators.learn(as_strings(present), wordchain.DEFAULT_K),
    Kind.TYPED: lambda present: {},
}

_MAKERS: dict[Kind, tuple[Callable[[dict, int, _Ctx], np.ndarray], Callable]] = {
    Kind.EMAIL: (_make_email, _email_suffix),
    Kind.PERSON_NAME: (_make_person_name, _no_suffix),
    Kind.FIRST_NAME: (_pool_maker("first_name"), _no_suffix),
    Kind.LAST_NAME: (_pool_maker("last_name"), _no_suffix),
    Kind.CITY: (_pool_maker("city"), _no_suffix),
    Kind.REGION: (_make_region, _no_suffix),
    Kind.COUNTRY: (_make_country, _no_suffix),
    Kind.USERNAME: (_make_username, _append_suffix("")),
    Kind.LABEL: (_make_labels, _no_suffix),
    Kind.PHONE: (_make_templates, _append_suffix("")),
    Kind.POSTCODE: (_make_templates, _append_suffix("")),
    Kind.ADDRESS: (_make_address, _append_suffix(" ")),
    Kind.TEXT: (_make_text, _text_suffix),
    Kind.UUID: (_make_uuid, _append_suffix("")),
    Kind.JSON: (_make_json, _json_suffix),
    Kind.BINARY: (_make_binary, _bytes_suffix),
    Kind.NATIONAL_ID: (lambda fmt, m, ctx: identifiers.make_national_ids(fmt["shape"], m, ctx.rng), _no_suffix),
    Kind.CARD_NUMBER: (lambda fmt, m, ctx: identifiers.make_cards(fmt["shape"], m, ctx.rng), _no_suffix),
    Kind.IP_ADDRESS: (lambda fmt, m, ctx: identifiers.make_ips(fmt, m, ctx.rng, attempt=ctx.attempt), _no_suffix),
    Kind.ORGANIZATION: (lambda fmt, m, ctx: organizations.make(fmt, m, ctx.rng, ctx.locale, attempt=ctx.attempt),
                        _append_suffix(" ")),
    Kind.SECRET: (lambda fmt, m, ctx: credentials.make(fmt, m, ctx.rng), _append_suffix("")),
    Kind.URL: (lambda fmt, m, ctx: locators.make(fmt, m, ctx.rng), _append_suffix("")),
    Kind.TYPED: (lambda fmt, m, ctx: typed.make(fmt, m, ctx.rng, _pool(ctx.locale, "word")), _no_suffix),
}
