"""One fake person and one fake place per row: a table's name, e-mail, username and place
columns made together, so that a row agrees with itself.

Generated columns used to be drawn one by one: ``Joshua | Gill | Brian Leblanc |
paul.terry631@...``. Here a table's generated columns are grouped, and each group gets one
draw per row:

* **persons**: ``first_name``, ``last_name``, ``person_name``, ``email`` and ``username``
  columns of one person (grouped by what their names share besides the role words:
  ``contact_first_name`` and ``contact_email`` are the contact, ``first_name`` and ``email`` the
  row's own person; e-mail and username columns go with the table's only named person) come
  from one fake person per row: a given name, a middle name and a surname from the locale's pools
  (given names of the row's gender when the model made a ``gender``/``sex`` column: F or M).
  Each column renders that person in its own learned style: the name columns in their case
  (``KRISTEN``), the full name in its layout (``Last, First``, a middle initial, a title), the
  e-mail's local part and the username in their learned style (``first.last``, ``flast``,
  ``first_last``, ``first``, with or without digits), case and reserved example domains, built
  from the same names folded to ASCII (``Jürgen`` -> ``jurgen``; a locale whose names have no
  Latin letters, Japanese, takes an ASCII name for its handles). A local part that follows a
  numbered pattern (``customer123``) keeps it.
* **places**: ``city``, ``region`` (state, province, district), ``country`` and ``postcode``
  columns of one place (grouped the same way: ``ship_city`` and ``ship_country`` are one) come
  from one place per row, from Faker's data of one locale: the row's country's locale when the
  row has a country (a generated one is drawn among the countries Faker has a locale for; a
  modeled one, such as a categorical ``country`` column, is read from the row), else the
  column's locale; a column written in Latin letters gets no places of a locale Faker writes in
  another script (a modeled "Japan" then keeps the column's locale). A US state comes with a
  ZIP code inside that state's range; a column as distinct as a table of states or countries
  gets each once while they last. A postcode is
  Faker's for the row's locale, unless the column's own shapes do not look like it (then they
  are kept, as :func:`relsynth.privacy.fakes.generate` makes them).
* **labels** (a lookup table's category names, :data:`Kind.LABEL`): the source's rows dealt as
  a shuffled deck, the label columns of a row together (a category keeps its own description).

Uniqueness comes from combination, never decoration: duplicate rows are drawn again, first
from the pools' weights, then from all their names evenly; only when that cannot give enough
distinct values does a row widen (:func:`relsynth.privacy.fakes.room_for`): a middle initial, two
given names (``Anna Maria``), a double-barrelled surname, digits after an e-mail's or
username's name, a direction before a place (``North Lake Jason``). No value ever gets a
``-1``.

Limit: a modeled column read here (gender, country, state) is the one the model drew first; a
row the table draws again later (its unique or check constraints, value protection's rare
quasi-identifiers, a parent chosen for a reference) gets new modeled values but keeps its
person and place, which may then disagree with them (employees' value protection redraws many
rows: about half the women there keep a man's name drawn first).

Privacy: names, cities, regions, countries and labels come from public lists and may equal a real
value by chance (:data:`relsynth.schema.kinds.PUBLIC`): ``Mary``, ``Smith`` or ``Texas`` alone
identifies nobody. The columns that can identify, the full name, e-mail, username and postcode,
are checked with the caller's ``is_real`` (the table's keyed digests of the real values): a
row that equals a real value is drawn again as a whole, so its columns still agree.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from relsynth.errors import ModelError
from relsynth.privacy import fakes
from relsynth.schema.detect import place_kind
from relsynth.schema.kinds import PUBLIC, Kind

ROUNDS = 24                 # redraw rounds for duplicate or real rows; the room widens as they go
PERSON_KINDS = frozenset({Kind.FIRST_NAME, Kind.LAST_NAME, Kind.PERSON_NAME, Kind.EMAIL, Kind.USERNAME})
PLACE_KINDS = frozenset({Kind.CITY, Kind.REGION, Kind.COUNTRY, Kind.POSTCODE})
POSTCODE_FIT = 0.5          # share of a postcode column's shapes Faker's postcodes must cover to be used

# words that say which role a column plays; what is left names whose person or place it is
_PERSON_WORDS = frozenset({
    "first", "last", "given", "family", "middle", "fore", "sur", "name", "names", "fname", "lname", "mname",
    "full", "surname", "forename", "firstname", "lastname", "givenname", "familyname", "middlename",
    "fullname", "personname", "email", "mail", "e", "address", "addr", "user", "username", "login",
    "loginname", "screen", "screenname", "nick", "nickname", "handle", "id"})
_PLACE_WORDS = frozenset({
    "city", "town", "state", "province", "region", "district", "county", "prefecture", "canton", "country",
    "nation", "zip", "zipcode", "postcode", "postal", "plz", "code", "name", "abbr", "abbrev", "abbreviation",
    "iso"})

IsReal = Callable[[str, np.ndarray], np.ndarray]


def generate_columns(formats: Mapping[str, dict], n: int, rng: np.random.Generator, *,
                     unique: Iterable[str | tuple[str, ...]] = (), given: Mapping[str, Any] | None = None,
                     is_real: IsReal | None = None) -> dict[str, np.ndarray]:
    """The person, place and label columns among ``formats`` (column -> generated format), ``n``
    rows each; the other generated columns are left to the caller.

    ``unique``: columns whose non-null values must all differ, and column sets (the table's
    unique sets: a set made only of one group's columns, ``(first_name, last_name)``, is kept
    distinct as a whole; a set with other columns is the caller's). ``given``: the row's columns
    already made (the model's), read for a country or state that places should agree with.
    ``is_real(column, values)``: True where a value equals a real one (full names, e-mails,
    usernames and postcodes are drawn again there)."""
    kinds = {name: Kind(fmt["kind"]) for name, fmt in formats.items()}
    sets = [(u,) if isinstance(u, str) else tuple(u) for u in unique]
    out: dict[str, np.ndarray] = {}
    groups = person_groups({c: k for c, k in kinds.items() if k in PERSON_KINDS})
    for group in groups:
        gender = _gender_of(group, given or {}, n, alone=len(groups) == 1)
        out.update(_People({c: formats[c] for c in group}, kinds, n, rng, sets, is_real, gender).make())
    for group, read in place_groups({c: k for c, k in kinds.items() if k in PLACE_KINDS}, given or {}):
        out.update(_Places({c: formats[c] for c in group}, kinds, n, rng, sets, is_real, read).make())
    labels = [name for name, kind in kinds.items() if kind is Kind.LABEL]
    dealt = fakes.deal_labels([formats[c] for c in labels], n, rng, [(c,) in sets for c in labels]) if labels else None
    for i, name in enumerate(labels):
        out[name] = dealt[i] if dealt is not None else \
            fakes.generate(formats[name], n, rng, unique=(name,) in sets).to_numpy(dtype=object)
    return out


# ====================================================================== grouping

def _tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name or "")
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", spaced)
    return re.findall(r"[a-z]+|\d+", spaced.lower())


def _owner(column: str, roles: frozenset[str]) -> str:
    """Whose person or place a column holds: its name without the role words
    (``contact_email`` -> contact, ``ShipCity`` -> ship, ``email`` -> '')."""
    return "_".join(t for t in _tokens(column) if t not in roles and not t.isdigit())


def person_groups(kinds: Mapping[str, Kind]) -> list[list[str]]:
    """Columns of one person each. Names group by owner; e-mails and usernames with no named
    owner of their own join the table's only named person (or the one without an owner word)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for column in kinds:
        groups[_owner(column, _PERSON_WORDS)].append(column)
    named = [key for key, cols in groups.items()
             if any(kinds[c] in (Kind.FIRST_NAME, Kind.LAST_NAME, Kind.PERSON_NAME) for c in cols)]
    home = named[0] if len(named) == 1 else ("" if "" in named or not named else None)
    if home is not None:
        for key in [k for k in groups if k not in named and k != home]:
            groups.setdefault(home, []).extend(groups.pop(key))
    return [cols for cols in groups.values() if cols]


_GENDER_WORDS = frozenset({"gender", "sex"})


def _gender_of(group: list[str], given: Mapping[str, Any], n: int, *, alone: bool) -> np.ndarray | None:
    """Per row 'F', 'M' or None from a modeled gender/sex column of the group's owner (the
    table's only person takes the table's gender column): F/female/w/woman, M/male/man."""
    owner = _owner(group[0], _PERSON_WORDS)
    for column, values in given.items():
        tokens = _tokens(column)
        if not set(tokens) & _GENDER_WORDS:
            continue
        if alone or "_".join(t for t in tokens if t not in _GENDER_WORDS) == owner:
            text = pd.Series(_values(values, n), dtype=object).astype(str).str.strip().str.lower()
            return np.where(text.str.match(r"^(f|w|female|woman|girl)$"), "F",
                            np.where(text.str.match(r"^(m|male|man|boy)$"), "M", None)).astype(object)
    return None


def place_groups(kinds: Mapping[str, Kind], given: Mapping[str, Any]) -> list[tuple[list[str], dict[str, Any]]]:
    """Columns of one place each (grouped by owner), with the given columns of the same owner
    that tell the row's country or region: ``(columns, {"country": values, "region": values})``."""
    groups: dict[str, list[str]] = defaultdict(list)
    for column in kinds:
        groups[_owner(column, _PLACE_WORDS)].append(column)
    out = []
    for key, cols in groups.items():
        read: dict[str, Any] = {}
        for column, values in given.items():
            if column in kinds or _owner(column, _PLACE_WORDS) != key:
                continue
            kind = place_kind(column)
            if kind in (Kind.COUNTRY, Kind.REGION) and kind.value not in read:
                read[kind.value] = values
        out.append((cols, read))
    return out


# ====================================================================== shared

def _nulls(fmt: dict, n: int, rng: np.random.Generator) -> np.ndarray:
    share = float(fmt.get("null_share", 0.0) or 0.0)
    if share <= 0:
        return np.zeros(n, dtype=bool)
    return rng.random(n) < share


class _Rows:
    """Draw-render-check rounds over rows: rows that repeat a unique column or equal a real
    value are drawn again (all their columns together) with more room, until none is left."""

    checked: frozenset[Kind] = frozenset()

    def __init__(self, formats: dict[str, dict], kinds: Mapping[str, Kind], n: int, rng: np.random.Generator,
                 unique, is_real: IsReal | None) -> None:
        self.formats, self.n, self.rng = formats, n, rng
        self.kinds = {c: kinds[c] for c in formats}
        self.unique = [c for c in formats if (c,) in unique]
        self.sets = [s for s in unique if len(s) > 1 and all(c in formats for c in s)]
        self.real = [c for c in formats if self.kinds[c] not in PUBLIC and is_real is not None]
        self.is_real = is_real
        self.nulls = {c: _nulls(fmt, n, rng) for c, fmt in formats.items()}
        self.locale = next((f.get("locale") for f in formats.values() if f.get("locale")), None) \
            or fakes.DEFAULT_LOCALE
        self.room = {c: np.zeros(n, dtype=np.int64) for c in formats}   # per column, per row

    # subclasses: fields for some rows, and one column rendered from them
    def draw(self, rows: np.ndarray) -> None:
        raise NotImplementedError

    def render(self, column: str, rows: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def make(self) -> dict[str, np.ndarray]:
        everyone = np.arange(self.n)
        self.draw(everyone)
        values = {c: self._render(c, everyone) for c in self.formats}
        for attempt in range(1, ROUNDS + 2):
            bad_by = self._bad_rows(values)
            bad = np.any(list(bad_by.values()), axis=0) if bad_by else np.zeros(self.n, dtype=bool)
            if not bad.any():
                return self._with_nulls(values)
            if attempt > ROUNDS:
                break
            level = fakes.room_for(attempt)
            for c, b in bad_by.items():
                self.room[c][b] = np.maximum(self.room[c][b], level)
            rows = np.flatnonzero(bad)
            self.draw(rows)
            for c in self.formats:
                values[c][rows] = self._render(c, rows)
        left = [c for c, b in bad_by.items() if b.any()]
        raise ModelError(f"could not generate distinct or non-real values for {', '.join(left)}",
                         hint="widen the column, lift its unique constraint, or give it the kind text in the config")

    def _bad_rows(self, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Per column, the rows repeating a unique column or set, or equal to a real value."""
        bad_by = {c: self._bad(c, values[c]) for c in self.formats}
        for cols in self.sets:   # a unique set of this group's columns: distinct as a whole
            present = ~np.any([self.nulls[c] for c in cols], axis=0)
            clash = pd.DataFrame({c: values[c] for c in cols}).duplicated(keep="first").to_numpy() & present
            for c in cols:
                bad_by[c] = bad_by[c] | clash
        return bad_by

    def _render(self, column: str, rows: np.ndarray) -> np.ndarray:
        out = fakes._obj(self.render(column, rows))
        fmt = self.formats[column]
        if self.kinds[column] is Kind.EMAIL:
            return fakes._fit_emails(out, fmt.get("max_length"))
        if self.kinds[column] is Kind.USERNAME:
            return fakes.fit_handles(out, fmt.get("max_length"))
        return fakes._truncate(out, fmt.get("max_length"))

    def _bad(self, column: str, values: np.ndarray) -> np.ndarray:
        present = ~self.nulls[column]
        bad = np.zeros(self.n, dtype=bool)
        if column in self.unique:
            series = pd.Series(values, dtype=object).where(present, None)
            bad |= series.duplicated(keep="first").to_numpy() & present
        if column in self.real and self.is_real is not None and present.any():
            bad |= np.asarray(self.is_real(column, values), dtype=bool) & present
        return bad

    def _with_nulls(self, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        for c, v in values.items():
            v[self.nulls[c]] = None
        return values


# ====================================================================== persons

class _People(_Rows):
    """One fake person per row: given, middle and last names (as drawn, and folded to ASCII)."""

    def __init__(self, formats, kinds, n, rng, unique, is_real, gender: np.ndarray | None = None) -> None:
        super().__init__(formats, kinds, n, rng, unique, is_real)
        self.gender = gender     # per row F, M or None: given names of that gender
        self.given = np.empty(n, dtype=object)
        self.middle = np.empty(n, dtype=object)
        self.last = np.empty(n, dtype=object)
        self.given_ascii = np.empty(n, dtype=object)
        self.last_ascii = np.empty(n, dtype=object)
        self.middle_columns = {c for c in self.formats
                               if self.kinds[c] is Kind.FIRST_NAME and "middle" in "".join(_tokens(c))}

    def _room(self, rows: np.ndarray, kinds: tuple[Kind, ...], cap: int | None = None) -> np.ndarray:
        """Per row, the widest room asked by the columns of these kinds (capped)."""
        room = np.zeros(len(rows), dtype=np.int64)
        for c in self.formats:
            if self.kinds[c] in kinds and c not in self.middle_columns:
                room = np.maximum(room, self.room[c][rows])
        return np.minimum(room, cap) if cap is not None else room

    def draw(self, rows: np.ndarray) -> None:
        rng, locale = self.rng, self.locale
        # the first name widens for its own column; full names, e-mails and handles only ask
        # for the pool's names evenly (they widen by a middle initial or digits of their own)
        given_room = np.maximum(self._room(rows, (Kind.FIRST_NAME,)),
                                self._room(rows, (Kind.PERSON_NAME, Kind.EMAIL, Kind.USERNAME), cap=1))
        last_room = np.maximum(self._room(rows, (Kind.LAST_NAME,)),
                               self._room(rows, (Kind.EMAIL, Kind.USERNAME), cap=1))
        full = self._room(rows, (Kind.PERSON_NAME,))
        last_room = np.maximum(last_room, np.where(full >= 4, 2, np.minimum(full, 1)))
        middle_room = np.zeros(len(rows), dtype=np.int64)
        for c in self.middle_columns:
            middle_room = np.maximum(middle_room, self.room[c][rows])
        gender = self.gender[rows] if self.gender is not None else np.full(len(rows), None, dtype=object)
        self.given[rows] = _given_by_room(gender, locale, given_room, rng)
        self.middle[rows] = _given_by_room(gender, locale, middle_room, rng)
        same = np.flatnonzero(self.middle[rows] == self.given[rows])
        if same.size:   # a middle name other than the first
            self.middle[rows[same]] = _given_by_room(gender[same], locale, middle_room[same], rng)
        self.last[rows] = _by_room("last_name", locale, last_room, rng)
        self.given_ascii[rows] = _ascii(self.given[rows], locale, "first_name", rng)
        self.last_ascii[rows] = _ascii(self.last[rows], locale, "last_name", rng)

    def render(self, column: str, rows: np.ndarray) -> np.ndarray:
        kind, fmt, rng = self.kinds[column], self.formats[column], self.rng
        if kind is Kind.FIRST_NAME:
            names = self.middle if column in self.middle_columns else self.given
            return fakes._apply_case(names[rows].copy(), fmt.get("case"), rng)
        if kind is Kind.LAST_NAME:
            return fakes._apply_case(self.last[rows].copy(), fmt.get("case"), rng)
        if kind is Kind.PERSON_NAME:
            return self._full_names(fmt, rows, self.room[column][rows])
        return self._handles(column, fmt, rows)

    def _full_names(self, fmt: dict, rows: np.ndarray, room: np.ndarray) -> np.ndarray:
        rng, m = self.rng, len(rows)
        styles = fakes._pick(fmt.get("styles") or {}, fakes.NAME_STYLES, "first last", m, rng)
        plain, initial, middle = (fakes.NAME_STYLES.index(s) for s in ("first last", "first m. last",
                                                                      "first middle last"))
        styles = np.where((room >= 2) & (styles == plain), initial, styles)   # a middle initial adds room
        styles = np.where((room >= 3) & (styles == initial), middle, styles)  # ... then a middle name
        first, mid, last = self.given[rows], self.middle[rows], self.last[rows]
        builders = {
            "first last": lambda i: first[i] + " " + last[i],
            "first m. last": lambda i: first[i] + " " + fakes._obj([f"{m[:1]}." for m in mid[i]]) + " " + last[i],
            "first middle last": lambda i: first[i] + " " + mid[i] + " " + last[i],
            "last, first": lambda i: last[i] + ", " + first[i],
            "single": lambda i: first[i].copy(),
        }
        out = np.empty(m, dtype=object)
        for s, style in enumerate(fakes.NAME_STYLES):
            idx = np.flatnonzero(styles == s)
            if idx.size:
                out[idx] = builders[style](idx)
        title = float(fmt.get("title", 0) or 0)
        if title > 0:
            idx = np.flatnonzero(rng.random(m) < title)
            out[idx] = fakes._draw(fakes._obj(fakes.HONORIFICS), idx.size, rng) + " " + out[idx]
        return fakes._apply_case(out, fmt.get("case"), rng)

    def _handles(self, column: str, fmt: dict, rows: np.ndarray) -> np.ndarray:
        """An e-mail or username from the row's names, in the column's style."""
        rng, m = self.rng, len(rows)
        email = self.kinds[column] is Kind.EMAIL
        room = self.room[column][rows]
        if _numbered(fmt):   # customer123@, user42: the source's pattern, not a name
            local = fakes._make_skeletons(fmt["skeletons"], m, rng, attempt=int(max(room.max(initial=0) - 1, 0)))
        else:
            styles = fakes._pick(fmt.get("styles") or {}, fakes.EMAIL_STYLES, "first.last" if email else "flast",
                                 m, rng)
            local = fakes._local_parts(styles, self.given_ascii[rows], self.last_ascii[rows], rng)
            wide = np.flatnonzero(room >= 2)   # past the names' room: digits, more of them each round
            if wide.size:
                local[wide] = local[wide] + fakes._obj(
                    [str(rng.integers(10 ** (k - 1), 10 ** k)) for k in np.minimum(room[wide], 9).tolist()])
        local = fakes._apply_case(local, fmt.get("case"), rng, default="lower")
        if not email:
            return local
        return local + "@" + fakes._email_domains(fmt, m, rng, fmt.get("max_length"))


def _numbered(fmt: dict) -> bool:
    """Whether handles follow a numbered pattern of words (``customer123``) rather than names:
    a pattern whose words are names (``jsmith12``, ``jsmith13``...) is made from the row's name."""
    styles = fmt.get("styles") or {}
    return bool(fmt.get("skeletons")) and float(styles.get("word99", 0.0)) >= 0.5


def _by_room(method: str, locale: str, room: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = np.empty(len(room), dtype=object)
    for level in np.unique(room).tolist():
        idx = np.flatnonzero(room == level)
        out[idx] = fakes.draw_names(method, locale, idx.size, rng, room=int(level))
    return out


def _given_by_room(gender: np.ndarray, locale: str, room: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Given names of each row's gender (any where it is unknown)."""
    out = np.empty(len(room), dtype=object)
    for sex, method in (("F", "first_name_female"), ("M", "first_name_male"), (None, "first_name")):
        idx = np.flatnonzero(np.array([g == sex for g in gender], dtype=bool))
        if idx.size:
            out[idx] = _by_room(method, locale, room[idx], rng)
    return out


def _ascii(names: np.ndarray, locale: str, method: str, rng: np.random.Generator) -> np.ndarray:
    """Names folded to ASCII letters for handles; a name with too few Latin letters (Japanese)
    takes a name of the locale's ASCII pool."""
    out = fakes._obj([fakes._fold(v) for v in names])
    short = np.flatnonzero(np.fromiter((len(v) < 2 for v in out), dtype=bool, count=len(out)))
    if short.size:
        out[short] = fakes._draw(fakes._ascii_pool(locale, method), short.size, rng)
    return out


# ====================================================================== places

class _Places(_Rows):
    """One place per row: a country (when the group has or is given one), that country's locale,
    and a city, a region and a postcode of that locale."""

    def __init__(self, formats, kinds, n, rng, unique, is_real, read: dict[str, Any]) -> None:
        super().__init__(formats, kinds, n, rng, unique, is_real)
        self.country_columns = [c for c in formats if self.kinds[c] is Kind.COUNTRY]
        self.others = [c for c in formats if self.kinds[c] is not Kind.COUNTRY]
        self.number = np.full(n, -1, dtype=np.int64)
        self.row_locale = np.full(n, self.locale, dtype=object)
        self.foreign = np.zeros(n, dtype=bool)   # a row whose locale comes from its country
        self.given_region = None
        # a column written in Latin letters gets no places of a Cyrillic, Arabic or CJK locale
        self.latin = all(float(f.get("latin", 1.0)) >= fakes.LATIN_SHARE for c, f in formats.items()
                         if self.kinds[c] in (Kind.CITY, Kind.REGION))
        if "country" in read:
            numbers = [fakes.country_number(v) for v in _values(read["country"], n)]
            self.number = np.array([-1 if k is None else k for k in numbers], dtype=np.int64)
            self._locales_from_countries(np.arange(n))
        if "region" in read:
            self.given_region = _values(read["region"], n)
        self.city = np.empty(n, dtype=object)
        self.region = np.empty(n, dtype=object)
        self.region_abbr = np.empty(n, dtype=object)
        self.postcode = np.empty(n, dtype=object)

    def _locales_from_countries(self, rows: np.ndarray) -> None:
        locales = [fakes.country_locale(int(k)) if k >= 0 else None for k in self.number[rows].tolist()]
        if self.latin:
            locales = [loc if loc and fakes.latin_locale(loc) else None for loc in locales]
        self.row_locale[rows] = [loc or self.locale for loc in locales]
        self.foreign[rows] = [loc is not None and loc != self.locale for loc in locales]

    def draw(self, rows: np.ndarray) -> None:
        rng = self.rng
        if self.country_columns:
            room = np.max([self.room[c][rows] for c in self.country_columns], axis=0)
            unique = any(c in self.unique or fakes.distinct_countries(self.formats[c]) for c in self.country_columns)
            first = len(rows) == self.n and not room.any()
            self.number[rows] = fakes.draw_countries(len(rows), rng, unique=unique and first,
                                                     attempt=0 if first else 1, located=bool(self.others),
                                                     latin=self.latin)
            self._locales_from_countries(rows)
        for locale in np.unique(self.row_locale[rows].astype(str)).tolist():
            idx = rows[self.row_locale[rows] == locale]
            self._draw_in(locale, idx)

    def _draw_in(self, locale: str, rows: np.ndarray) -> None:
        rng, m = self.rng, len(rows)
        room = np.zeros(m, dtype=np.int64)
        for c in self.others:
            room = np.maximum(room, self.room[c][rows])
        top = int(room.max(initial=0))
        self.city[rows] = fakes.draw_names("city", locale, m, rng, room=top)
        # a column as distinct as a table of states gets each state once while they last
        distinct = m == self.n and any(self.kinds[c] is Kind.REGION and float(self.formats[c].get("distinct", 0))
                                       >= fakes.DISTINCT_COUNTRIES for c in self.formats)
        names, abbrs = fakes.draw_regions(locale, m, rng, room=top, distinct=distinct)
        if self.given_region is not None:   # the row's own state, when the model made one
            known = _states_of(locale, self.given_region[rows])
            has = np.flatnonzero(known != None)  # noqa: E711  (object array)
            abbrs[has] = known[has]
        self.region[rows], self.region_abbr[rows] = names, abbrs
        inside = fakes.postcodes_in(locale, abbrs, rng)
        self.postcode[rows] = inside if inside is not None else fakes.draw_names("postcode", locale, m, rng,
                                                                                 room=min(top, 1))

    def render(self, column: str, rows: np.ndarray) -> np.ndarray:
        kind, fmt, rng = self.kinds[column], self.formats[column], self.rng
        if kind is Kind.CITY:
            return fakes._apply_case(self.city[rows].copy(), fmt.get("case"), rng)
        if kind is Kind.REGION:
            return fakes.render_regions(fmt, self.region[rows], self.region_abbr[rows], rng)
        if kind is Kind.COUNTRY:
            room = self.room[column][rows]
            out = fakes.render_countries(fmt, self.number[rows], rng)
            wide = np.flatnonzero(room >= 3)   # a unique column past the world's countries
            if wide.size:
                out[wide] = fakes.render_countries(fmt, self.number[rows][wide], rng, room=2)
            return out
        return self._postcodes(column, fmt, rows)

    def _postcodes(self, column: str, fmt: dict, rows: np.ndarray) -> np.ndarray:
        """Faker's postcodes of the row's locale; the column's own shapes for the rows of the
        column's locale when Faker's do not look like them (ZIP+4, a source of another country)."""
        out = self.postcode[rows].copy()
        home = np.flatnonzero(~self.foreign[rows])
        if home.size and not _postcodes_fit(fmt, self.locale):
            ctx = fakes._Ctx(rng=self.rng, locale=self.locale, unique=column in self.unique, total=self.n,
                             max_length=fmt.get("max_length"), attempt=int(self.room[column][rows[home]].max()))
            out[home] = fakes._make_templates(fmt, home.size, ctx)
        return out


def _values(values: Any, n: int) -> np.ndarray:
    arr = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else np.asarray(values, dtype=object)
    return arr[:n] if len(arr) >= n else np.concatenate([arr, np.full(n - len(arr), None, dtype=object)])


def _states_of(locale: str, values: np.ndarray) -> np.ndarray:
    """The abbreviation of each given region that is one of the locale's states (else None)."""
    names, abbrs, _ = fakes.states(locale)
    lookup = {a.casefold(): a for a in abbrs} | {nm.casefold(): a for nm, a in zip(names, abbrs)}
    return fakes._obj([lookup.get(str(v).strip().casefold()) if v is not None else None for v in values])


def _postcodes_fit(fmt: dict, locale: str) -> bool:
    """Whether Faker's postcodes of ``locale`` have the shapes most of the column's values have."""
    templates = fmt.get("templates") or []
    if not templates:
        return True
    shapes = _postcode_shapes(locale)
    covered = sum(float(t.get("share", 0)) for t in templates if t.get("template") in shapes)
    return covered >= POSTCODE_FIT


_SHAPES: dict[str, frozenset[str]] = {}


def _postcode_shapes(locale: str) -> frozenset[str]:
    if locale not in _SHAPES:
        _SHAPES[locale] = frozenset(fakes._fine_shape(v) for v in fakes._pool(locale, "postcode").tolist())
    return _SHAPES[locale]


__all__ = ["generate_columns", "person_groups", "place_groups", "PERSON_KINDS", "PLACE_KINDS"]
