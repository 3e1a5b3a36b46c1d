"""A keyed, consistent mapping from real identifying values to fakes of the same format.

Where a real value must be carried into the copy as an *identity* (``relsynth mask``, a retained
e-mail, PII inside free text), it is replaced by its pseudonym:

* the same real value gives the same fake in every table, column and run under one secret salt,
  so a join on a natural key (an e-mail used as a foreign key) keeps working, and two databases
  masked apart still join; another salt gives another mapping;
* it is a keyed hash (BLAKE2b keyed with the salt), not a seeded sequence: without the salt
  nobody can rebuild the mapping by hashing a list of candidate e-mails;
* the fake keeps the format: e-mails on reserved example domains, names from the locale's pools
  (token by token, so ``first_name``, ``last_name`` and ``full_name`` columns stay consistent),
  phones and postcodes keep their layout and country code, national ids start with the
  never-issued 9, cards get the test prefix and a valid check digit, IPs the documentation ranges;
  organizations are company names of the locale with the real legal form, secrets keep their
  scheme header and each run's length and alphabet, URLs and paths keep only their public parts
  (scheme, ``www``, TLD, extension, common folders), every other word a fake surname;
* distinct real values get distinct fakes (e-mails, phones, ids, cards, IPs, UUIDs, codes), so a
  unique column stays unique at any scale: a fake already taken by another value within the run
  is replaced by the value's next-round fake. That rare case (``n^2 / 2N`` values for ``n`` values
  in ``N`` possible fakes: about 1 in a million e-mails) is the only one where two runs over
  different data can map one value differently. Names and cities map many to one by design.

Nulls stay null. Normalization decides what counts as "the same value": e-mails ignore case and
surrounding spaces; phones, national ids and cards compare their digits only.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import warnings
from typing import Callable

import numpy as np
import pandas as pd

from relsynth.errors import ConfigError
from relsynth.privacy import credentials, fakes, identifiers, locators, organizations
from relsynth.schema.kinds import Kind

SALT_ENV = "RELSYNTH_SALT"
MIN_SALT = 16              # characters: a short salt can be found by trying
ROUNDS = 8                 # next-round fakes tried for a value whose fake is taken
_GOLDEN = 0x9E3779B97F4A7C15
_ROUND = 0x632BE59BD9B4E019
_WORD = 2 ** 64
# kinds whose fakes must stay one-to-one (a join, a unique column); names and cities may merge
ONE_TO_ONE = frozenset({Kind.EMAIL, Kind.PHONE, Kind.NATIONAL_ID, Kind.CARD_NUMBER, Kind.IP_ADDRESS,
                        Kind.UUID, Kind.TEXT, Kind.POSTCODE, Kind.ADDRESS, Kind.BINARY, Kind.USERNAME})
# kinds whose fake follows each value's own layout (the rest: one fake per normalized value)
LAYOUT_KINDS = frozenset({Kind.PHONE, Kind.NATIONAL_ID, Kind.CARD_NUMBER, Kind.POSTCODE, Kind.TEXT, Kind.UUID,
                          Kind.FIRST_NAME, Kind.LAST_NAME, Kind.CITY, Kind.REGION, Kind.COUNTRY, Kind.USERNAME})
_SPACES = re.compile(r"\s+")
_HONORIFIC = r"^((?:mr|mrs|ms|miss|mx|dr|prof|sir)\.?\s+)"


def salt_from_env(name: str = SALT_ENV) -> bytes | None:
    """The secret salt from the environment variable ``name``, or None when it is unset."""
    value = os.environ.get(name)
    if value is None or value == "":
        return None
    if len(value) < MIN_SALT:
        raise ConfigError(f"{name} is shorter than {MIN_SALT} characters: the mapping could be found by trying",
                          hint="make one with: python -c 'import secrets; print(secrets.token_hex(32))'")
    return value.encode()


def random_salt() -> bytes:
    return secrets.token_hex(32).encode()


def run_salt(name: str = SALT_ENV, *, warn: bool = True) -> bytes:
    """The salt of this run: from ``$name``, else a random one (with a warning when ``warn``: the
    user asked for a mapping, and another run will give other fakes)."""
    salt = salt_from_env(name)
    if salt is None and warn:
        warnings.warn(f"{name} is not set: a random salt is used, so another run gives other fakes; set it to "
                      "keep the mapping", stacklevel=3)
    return salt or random_salt()


class Pseudonyms:
    """Replaces identifying values by their keyed pseudonyms; one instance per run (it remembers
    the fakes handed out, so distinct values never share one)."""

    def __init__(self, salt: bytes, *, locale: str = fakes.DEFAULT_LOCALE) -> None:
        # the salt itself is never kept: only a key derived from it
        self._key = hashlib.blake2b(salt, digest_size=32, person=b"relsynth-salt").digest()
        self.locale = locale
        self._given: dict[str, dict[int, int]] = {}     # space -> real seed -> the round it won
        self._owner: dict[str, dict[str, int]] = {}     # space -> normalized fake -> real seed

    # ------------------------------------------------------------------ public

    def replace(self, kind: Kind | str, values: pd.Series, *, max_length: int | None = None) -> pd.Series:
        """``values`` with every non-null value replaced by its pseudonym of ``kind``."""
        kind = Kind(kind)
        if kind not in _BUILDERS and kind is not Kind.PERSON_NAME:
            raise ValueError(f"{kind.value} values have no pseudonym")
        present = values.notna().to_numpy()
        out = np.full(len(values), None, dtype=object)
        if present.any():
            out[present] = self.map(kind, values.to_numpy(dtype=object)[present], max_length=max_length)
        return pd.Series(out, index=values.index, name=values.name, dtype=object)

    def map(self, kind: Kind, raw: np.ndarray, *, max_length: int | None = None) -> np.ndarray:
        """The pseudonyms of ``raw`` (non-null values), one-to-one where the kind needs it, and no
        longer than ``max_length`` (a column's length; a shorter column gets its own mapping).
        Values that normalize alike share their fake's content, each in its own layout."""
        strings = raw if kind is Kind.BINARY else _strings(raw)
        if kind is Kind.PERSON_NAME:       # made of the first- and last-name mappings
            return _fit(self._person_names(strings), max_length)
        normalize = _NORMALIZE.get(kind, _plain)
        unique, inverse = np.unique(normalize(strings).astype(str), return_inverse=True)
        firsts = np.zeros(len(unique), dtype=np.int64)
        firsts[inverse[::-1]] = np.arange(len(inverse))[::-1]   # a representative raw value per group
        seeds = self._seeds(kind.value, unique)
        space = kind.value if not max_length else f"{kind.value}:{max_length}"
        rounds, built = self._rounds(kind, space, strings[firsts], seeds, max_length)
        if kind in LAYOUT_KINDS:   # each value in its own layout
            return self._build(kind, strings, seeds[inverse], rounds[inverse], max_length)
        missing = np.flatnonzero(pd.isna(built))
        built[missing] = self._build(kind, strings[firsts][missing], seeds[missing], rounds[missing], max_length)
        return built[inverse]

    # ------------------------------------------------------------------ mapping

    def _seeds(self, space: str, normal: np.ndarray) -> np.ndarray:
        base = hashlib.blake2b(key=self._key, digest_size=8, person=space.encode()[:16])
        out = np.empty(len(normal), dtype=np.uint64)
        for i, value in enumerate(normal):       # one keyed hash per distinct value
            h = base.copy()
            h.update(value.encode("utf-8", "surrogatepass"))
            out[i] = int.from_bytes(h.digest(), "little")
        return out

    def _build(self, kind: Kind, strings: np.ndarray, seeds: np.ndarray, rounds: np.ndarray,
               max_length: int | None) -> np.ndarray:
        """The fakes of ``strings`` for their seeds and rounds (vectorized per round: nearly all 0)."""
        out = np.empty(len(strings), dtype=object)
        for attempt in np.unique(rounds):
            at = np.flatnonzero(rounds == attempt)
            round_seeds = _round(seeds[at], int(attempt))
            fresh = _BUILDERS[kind](strings[at], round_seeds, self)
            if attempt == ROUNDS:
                fresh = _last_resort(kind, fresh, round_seeds)
            out[at] = _fit(fresh, max_length)
        return out

    def _rounds(self, kind: Kind, space: str, strings: np.ndarray, seeds: np.ndarray,
                max_length: int | None) -> tuple[np.ndarray, np.ndarray]:
        """Per distinct value, the round whose fake it keeps (0 unless another value of the run
        holds that fake already: one-to-one kinds only), and the fakes built on the way."""
        given = self._given.setdefault(space, {})
        owner = self._owner.setdefault(space, {})
        rounds = np.array([given.get(int(s), -1) for s in seeds], dtype=np.int64)
        built = np.full(len(seeds), None, dtype=object)
        todo = np.flatnonzero(rounds < 0)
        if kind not in ONE_TO_ONE:
            rounds[todo] = 0
            return rounds, built
        normalize = _NORMALIZE.get(kind, _plain)
        for attempt in range(ROUNDS + 1):
            if not todo.size:
                break
            made = self._build(kind, strings[todo], seeds[todo], np.full(todo.size, attempt), max_length)
            fresh = normalize(made)
            # the smallest seed wins a fake two new values share, so the outcome is order-free
            left = []
            for j in np.argsort(seeds[todo], kind="stable"):
                fake, seed = fresh[j], int(seeds[todo[j]])
                if owner.get(fake, seed) != seed:
                    left.append(todo[j])
                    continue
                owner[fake] = seed
                given[seed] = attempt
                rounds[todo[j]] = attempt
                built[todo[j]] = made[j]
            todo = np.array(sorted(left), dtype=np.int64)
        return rounds, built

    def _person_names(self, strings: np.ndarray) -> np.ndarray:
        """Token by token: the first given name through the first-name mapping, the family name
        through the last-name one, middle names as initials; honorifics and "Last, First" kept."""
        text = pd.Series(strings, dtype=object).str.strip()
        honorific = text.str.extract(_HONORIFIC, flags=re.IGNORECASE)[0].fillna("")
        rest = text.str.replace(_HONORIFIC, "", regex=True, flags=re.IGNORECASE)
        comma = rest.str.contains(",", regex=False)
        parts = rest.str.replace(",", " ", regex=False).str.split()
        first_tok = parts.str[1].where(comma, parts.str[0]).fillna("")
        last_tok = parts.str[0].where(comma, parts.str[-1]).fillna("")
        single = parts.str.len() <= 1
        middle = parts.str.len() > 2
        middle_tok = parts.str[2].where(comma, parts.str[1]).where(middle, "").fillna("")
        first = self._tokens(Kind.FIRST_NAME, first_tok)
        last = self._tokens(Kind.LAST_NAME, last_tok)
        initial = self._tokens(Kind.FIRST_NAME, middle_tok).str[:1] + "."
        plain = (first + np.where(middle, " " + initial, "") + " " + last)
        flipped = last + ", " + first + np.where(middle, " " + initial, "")
        out = honorific + np.where(comma, flipped, plain)
        out = out.where(~single, honorific + first)
        return out.to_numpy(dtype=object)

    def _tokens(self, kind: Kind, tokens: pd.Series) -> pd.Series:
        out = pd.Series("", index=tokens.index, dtype=object)
        has = (tokens != "").to_numpy()
        if has.any():
            out[has] = self.map(kind, tokens[has].to_numpy(dtype=object))
        return out


# ====================================================================== keyed randomness

def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finalizer: every output bit depends on every input bit (uint64 wraps)."""
    z = x.astype(np.uint64, copy=True)
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return z


def _round(seeds: np.ndarray, attempt: int) -> np.ndarray:
    return seeds if attempt == 0 else _mix(seeds ^ np.uint64(_ROUND * attempt % _WORD))


def _stream(seeds: np.ndarray, j: int, width: int | None = None) -> np.ndarray:
    """Draw ``j`` of each seed (``width`` draws per seed as a (m, width) array when given)."""
    if width is None:
        return _mix(seeds + np.uint64(_GOLDEN * (j + 1) % _WORD))
    steps = (np.arange(width, dtype=np.uint64) + np.uint64(j * 1024 + 1)) * np.uint64(_GOLDEN)
    return _mix(seeds[:, None] + steps[None, :])


def _pick(pool: np.ndarray, seeds: np.ndarray, j: int) -> np.ndarray:
    return pool[(_stream(seeds, j) % np.uint64(len(pool))).astype(np.int64)]


# ====================================================================== normalization

def _strings(raw: np.ndarray) -> np.ndarray:
    return np.array([v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in raw], dtype=object)


def _plain(strings: np.ndarray) -> np.ndarray:
    return pd.Series(strings, dtype=object).str.strip().to_numpy(dtype=object)


def _folded(strings: np.ndarray) -> np.ndarray:
    return pd.Series(strings, dtype=object).str.strip().str.replace(_SPACES, " ", regex=True) \
        .str.casefold().to_numpy(dtype=object)


def _digits_only(strings: np.ndarray) -> np.ndarray:
    return pd.Series(strings, dtype=object).str.replace(r"\D", "", regex=True).to_numpy(dtype=object)


_NORMALIZE: dict[Kind, Callable[[np.ndarray], np.ndarray]] = {
    Kind.EMAIL: _folded, Kind.PERSON_NAME: _folded, Kind.FIRST_NAME: _folded, Kind.LAST_NAME: _folded,
    Kind.CITY: _folded, Kind.REGION: _folded, Kind.COUNTRY: _folded, Kind.USERNAME: _folded, Kind.ADDRESS: _folded,
    Kind.PHONE: _digits_only, Kind.NATIONAL_ID: _digits_only, Kind.CARD_NUMBER: _digits_only, Kind.IP_ADDRESS: _folded,
    Kind.ORGANIZATION: _folded, Kind.URL: _folded,
    Kind.UUID: lambda strings: pd.Series(_folded(strings), dtype=object).str.replace(r"[{}\-]", "", regex=True)
    .to_numpy(dtype=object),                                        # {3F25-...} and 3f25... are one id
    Kind.BINARY: lambda raw: np.array([bytes(v).hex() if isinstance(v, (bytes, bytearray, memoryview)) else str(v)
                                       for v in raw], dtype=object),
}


# ====================================================================== builders: (strings, seeds, pseudonyms) -> fakes

def _code_points(strings: np.ndarray) -> np.ndarray:
    width = max(1, max((len(s) for s in strings), default=1))
    return np.array(list(strings), dtype=f"U{width}").view(np.uint32).reshape(len(strings), width)


def _spell(codes: np.ndarray) -> np.ndarray:
    m, width = codes.shape
    return codes.astype(np.uint32).view(np.dtype(("U", width))).reshape(m).astype(object)


def _in(codes: np.ndarray, low: str, high: str) -> np.ndarray:
    return (codes >= ord(low)) & (codes <= ord(high))


def _keep_layout(strings: np.ndarray, seeds: np.ndarray, *, letters: bool = True,
                 keep: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Every ASCII digit (and letter) replaced by a keyed one of its class; the rest kept.
    Returns the code points and the digit mask (for callers that fix some digits)."""
    codes = _code_points(strings)
    free = np.ones(codes.shape, dtype=bool) if keep is None else ~keep
    digit = _in(codes, "0", "9") & free
    # the k-th digit gets draw k whatever the layout: 123-45-6789 and 123456789 agree
    out = np.where(digit, ord("0") + _by_ordinal(_stream(seeds, 0, codes.shape[1]), digit) % np.uint64(10), codes)
    if letters:
        letter = (_in(codes, "A", "Z") | _in(codes, "a", "z")) & free
        draws = _by_ordinal(_stream(seeds, 1, codes.shape[1]), letter) % np.uint64(26)
        out = np.where(letter & _in(codes, "A", "Z"), ord("A") + draws, out)
        out = np.where(letter & _in(codes, "a", "z"), ord("a") + draws, out)
    return out.astype(np.uint32), digit


def _by_ordinal(draws: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per cell of ``mask``, the draw numbered by its rank among the row's masked cells."""
    rank = np.maximum(np.cumsum(mask, axis=1) - 1, 0)
    return np.take_along_axis(draws, rank, axis=1)


def _first(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows with a True, and the column of their first True."""
    rows = mask.any(axis=1)
    return rows, mask.argmax(axis=1)


def _codes_like(strings, seeds, p):
    return _spell(_keep_layout(strings, seeds)[0])


def _phones(strings, seeds, p):
    """Layout and a leading ``+CC`` country code kept; the first national digit stays non-zero
    when it was (a trunk 0 stays 0)."""
    codes = _code_points(strings)
    digit = _in(codes, "0", "9")
    plus = codes[:, 0] == ord("+")
    run = np.logical_and.accumulate(digit[:, 1:4], axis=1) if codes.shape[1] > 1 else np.zeros((len(codes), 0), bool)
    length = run.sum(axis=1)
    after = np.where(length + 1 < codes.shape[1], codes[np.arange(len(codes)), np.minimum(length + 1,
                                                                                        codes.shape[1] - 1)], 0)
    country = plus & (length > 0) & ~_in(after, "0", "9") & (after != 0)
    keep = np.zeros(codes.shape, dtype=bool)
    cols = np.arange(codes.shape[1])[None, :]
    keep[:] = country[:, None] & (cols >= 1) & (cols <= length[:, None])
    out, replaced = _keep_layout(strings, seeds, letters=False, keep=keep)
    rows, at = _first(replaced)
    zero = codes[np.arange(len(codes)), at] == ord("0")
    out[rows & zero, at[rows & zero]] = ord("0")
    nonzero = rows & ~zero
    out[nonzero, at[nonzero]] = ord("1") + (_stream(seeds[nonzero], 1) % np.uint64(9)).astype(np.uint32)
    return _spell(out)


def _national_ids(strings, seeds, p):
    out, digit = _keep_layout(strings, seeds)
    rows, at = _first(digit)
    out[rows, at[rows]] = ord("9")           # the 9xx area: never issued
    return _spell(out)


def _cards(strings, seeds, p):
    out, digit = _keep_layout(strings, seeds, letters=False)
    counts = digit.sum(axis=1)
    for count in np.unique(counts):         # one pass per digit count (a handful)
        rows = np.flatnonzero(counts == count)
        if count < 12:
            continue
        body = (out[rows][digit[rows]].reshape(len(rows), count) - ord("0")).astype(np.uint8)
        body[:, :6] = np.array([4, 0, 0, 0, 0, 0], dtype=np.uint8)   # the test prefix
        body[:, -1] = identifiers.check_digits(body[:, :-1])
        block = out[rows]
        block[digit[rows]] = (body + ord("0")).reshape(-1)
        out[rows] = block
    return _spell(out)


def _ips(strings, seeds, p):
    out = np.empty(len(strings), dtype=object)
    v6 = np.array([":" in s for s in strings], dtype=bool)
    draws = _stream(seeds, 0)
    if (~v6).any():
        address = np.int64(identifiers.BENCHMARK_V4) + 1 + (draws[~v6] % np.uint64(2 ** 17 - 2)).astype(np.int64)
        octets = [pd.Series((address >> shift) & 255).astype(str) for shift in (24, 16, 8, 0)]
        out[~v6] = octets[0].str.cat(octets[1:], sep=".").to_numpy()
    if v6.any():
        groups = [pd.Series((_stream(seeds[v6], j) % np.uint64(65536)).astype(np.int64)).map("{:x}".format)
                  for j in range(1, 7)]
        out[v6] = ("2001:db8:" + groups[0].str.cat(groups[1:], sep=":")).to_numpy()
    return out


def _emails(strings, seeds, p):
    """``first.last1234@example.com``; a local part made of two names (``ann.lee``, ``ann_lee7``)
    takes them through the name mappings, so a masked row's e-mail matches its masked name."""
    local = pd.Series(strings, dtype=object).str.rsplit("@", n=1).str[0].str.casefold()
    tokens = local.str.replace(r"\d+", "", regex=True).str.strip("._-+").str.split(r"[._\-+]+", regex=True)
    one, two = (tokens.str[i].astype(object).fillna("") for i in (0, 1))
    named = (tokens.str.len() == 2) & one.str.isalpha() & two.str.isalpha() & (one.str.len() > 1) & \
        (two.str.len() > 1)
    first = pd.Series(_pick(fakes._ascii_pool(p.locale, "first_name"), seeds, 0), dtype=object)
    last = pd.Series(_pick(fakes._ascii_pool(p.locale, "last_name"), seeds, 1), dtype=object)
    if named.any():
        first[named] = _ascii(p.map(Kind.FIRST_NAME, one[named].to_numpy(dtype=object)))
        last[named] = _ascii(p.map(Kind.LAST_NAME, two[named].to_numpy(dtype=object)))
    number = pd.Series((_stream(seeds, 2) % np.uint64(10_000)).astype(np.int64)).astype(str)
    tld = pd.Series(strings, dtype=object).str.rsplit(".", n=1).str[-1].str.lower()
    domain = np.empty(len(strings), dtype=object)
    for suffix, names in fakes.EXAMPLE_DOMAINS.items():
        hit = (tld == suffix) if suffix != "com" else ~tld.isin(["net", "org"])
        domain[hit] = _pick(np.array(names, dtype=object), seeds[hit], 3)
    return (first.str.lower() + "." + last.str.lower() + number + "@" + domain).to_numpy(dtype=object)


def _usernames(strings, seeds, p):
    """A handle like the e-mail's local part (``ann.lee1234``, names through the name mappings
    when the handle is two names), in the handle's case."""
    local = pd.Series(_emails(np.array([f"{v}@example.com" for v in strings], dtype=object), seeds, p),
                      dtype=object).str.rsplit("@", n=1).str[0]
    text = pd.Series(strings, dtype=object)
    local = local.where(~text.str.isupper(), local.str.upper())
    return local.where(~text.str[:1].str.isupper() | text.str.isupper(), local.str.capitalize()).to_numpy(dtype=object)


def _countries(strings, seeds, p):
    """Another real country, in the value's spelling: a name, an alpha-2 or an alpha-3 code."""
    table = fakes.countries()
    pick = (_stream(seeds, 0) % np.uint64(len(table))).astype(np.int64)
    style = [fakes.COUNTRY_STYLES.index(fakes._country_style(v)) for v in strings]
    out = pd.Series([table[k][j] for k, j in zip(pick.tolist(), style)], dtype=object)
    upper = pd.Series(strings, dtype=object).str.isupper().to_numpy() & (np.array(style) == 0)
    return np.where(upper, out.str.upper(), out).astype(object)


def _ascii(names: np.ndarray) -> np.ndarray:
    """Jürgen -> jurgen, O'Neil -> oneil: what an e-mail's local part can hold."""
    plain = pd.Series(names, dtype=object).str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii")
    return plain.str.replace(r"[^A-Za-z0-9]", "", regex=True).replace("", "x").to_numpy(dtype=object)


def _pool_of(method: str) -> Callable:
    def build(strings, seeds, p):
        fake = pd.Series(_pick(fakes._pool(p.locale, method), seeds, 0), dtype=object)
        upper = pd.Series(strings, dtype=object).str.isupper().to_numpy()
        return np.where(upper, fake.str.upper(), fake).astype(object)
    return build


def _addresses(strings, seeds, p):
    number = pd.Series((1 + _stream(seeds, 1) % np.uint64(9_999)).astype(np.int64)).astype(str)
    street = pd.Series(_pick(fakes._pool(p.locale, "street_name"), seeds, 2), dtype=object)
    unit = pd.Series(_pick(fakes._pool(p.locale, "secondary_address"), seeds, 3), dtype=object)
    has_unit = np.array([fakes._UNIT_RE.search(s) is not None for s in strings], dtype=bool)
    line = number + " " + street
    return np.where(has_unit, line + " " + unit, line).astype(object)


_HEX_CODES = np.array([ord(c) for c in "0123456789abcdef"], dtype=np.uint32)


def _uuids(strings, seeds, p):
    nibbles = np.concatenate([_stream(seeds, j, 16) % np.uint64(16) for j in (0, 1)], axis=1)[:, :32]
    nibbles[:, 12] = 4                                              # version 4
    nibbles[:, 16] = 8 + nibbles[:, 16] % np.uint64(4)              # the RFC 4122 variant
    joined = pd.Series(_spell(_HEX_CODES[nibbles.astype(np.int64)]), dtype=object)
    out = joined.str[:8] + "-" + joined.str[8:12] + "-" + joined.str[12:16] + "-" + joined.str[16:20] + "-" + \
        joined.str[20:]
    text = pd.Series(strings, dtype=object)
    out = out.where(~text.str.contains("[A-F]", regex=True), out.str.upper())
    out = out.where(~text.str.startswith("{"), "{" + out + "}")
    return out.where(text.str.contains("-", regex=False), out.str.replace("-", "", regex=False)).to_numpy(dtype=object)


def _binary(raw, seeds, p):
    out = np.empty(len(raw), dtype=object)
    for i, (value, seed) in enumerate(zip(raw, seeds)):
        size = len(value) if isinstance(value, (bytes, bytearray, memoryview)) else len(str(value))
        out[i] = hashlib.shake_256(int(seed).to_bytes(8, "little")).digest(size)
    return out


def _organizations(strings, seeds, p):
    return organizations.keyed(strings, _stream(seeds, 0), p.locale)


def _secrets(strings, seeds, p):
    return credentials.keyed(strings, lambda rows, j, width: _stream(seeds[rows], j, width))


def _urls(strings, seeds, p):
    return locators.keyed(strings, lambda rows, j, width: _stream(seeds[rows], j, width))


_BUILDERS: dict[Kind, Callable[[np.ndarray, np.ndarray, "Pseudonyms"], np.ndarray]] = {
    Kind.EMAIL: _emails, Kind.PHONE: _phones, Kind.NATIONAL_ID: _national_ids, Kind.CARD_NUMBER: _cards,
    Kind.IP_ADDRESS: _ips, Kind.FIRST_NAME: _pool_of("first_name"), Kind.LAST_NAME: _pool_of("last_name"),
    Kind.CITY: _pool_of("city"), Kind.ADDRESS: _addresses, Kind.POSTCODE: _codes_like, Kind.TEXT: _codes_like,
    Kind.REGION: _pool_of("administrative_unit"), Kind.COUNTRY: _countries, Kind.USERNAME: _usernames,
    Kind.UUID: _uuids, Kind.BINARY: _binary,      # person names: Pseudonyms._person_names
    Kind.ORGANIZATION: _organizations, Kind.SECRET: _secrets, Kind.URL: _urls,
}


def _last_resort(kind: Kind, fake: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """After every round was taken (a tiny format, or millions of values): widen the fake."""
    tag = pd.Series((_stream(seeds, 9) % np.uint64(10 ** 8)).astype(np.int64)).astype(str).str.zfill(8)
    text = pd.Series(fake, dtype=object)
    if kind is Kind.EMAIL:
        return (text.str.replace("@", "." + tag + "@", n=1, regex=False)).to_numpy(dtype=object)
    if kind is Kind.IP_ADDRESS:   # the IPv4 documentation ranges hold 131,070 addresses: go IPv6
        return _ips(np.array(["::"] * len(fake), dtype=object), seeds, None)
    if kind is Kind.BINARY:
        return fake
    return (text + "-" + tag).to_numpy(dtype=object)


def _fit(values: np.ndarray, max_length: int | None) -> np.ndarray:
    """Fakes longer than the column allows are cut; an e-mail keeps its number and takes the
    plain example domain, its name part shortened."""
    if not max_length:
        return values
    text = pd.Series(values, dtype=object)
    long = (text.str.len() > max_length).to_numpy()
    if not long.any():
        return values
    out = text.str[:max_length].to_numpy(dtype=object, copy=True)
    for i in np.flatnonzero(long & text.str.contains("@", regex=False).to_numpy()):   # rare: short columns
        local, domain = values[i].rsplit("@", 1)
        domain = "example." + domain.rsplit(".", 1)[-1]
        name, number = re.match(r"(.*?)(\d*)$", local).groups()
        room = max(1, max_length - len(domain) - 1 - len(number))
        out[i] = (name[:room].rstrip("._-") or "u") + number + "@" + domain
    return out


__all__ = ["Pseudonyms", "SALT_ENV", "salt_from_env", "random_salt", "run_salt", "ONE_TO_ONE"]
