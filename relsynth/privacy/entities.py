"""Person names and street addresses inside free text, found by rules (no model, no download).

:func:`find` returns, per string, the sorted non-overlapping ``(start, end, kind)`` spans of
person names (``Kind.PERSON_NAME``) and street addresses (``Kind.ADDRESS``); ``scrub`` replaces
them. Precision matters as much as recall: an ordinary sentence must come through untouched, so
every rule needs a cue beyond "a capitalized word".

Names:

* *known names* (the database's own first, last and full names): a full name matches in any
  case ("maria kowalski"); a single first or last name matches when capitalized, unless it is
  also a common word (May, Will, Grace, Brown ...), which only counts next to another name;
* *first name + surname*: a first name from Faker's lists (several locales) followed by one or
  two capitalized words. When the first name is also a common word or a place (Will, Victoria,
  Jordan) or stands first in a sentence (where any word is capitalized), the surname must be a
  known or Faker last name too ("Victoria Station" stays, "Will Smith" goes);
* cues: an honorific (``Dr. Okafor``; the span is the name, the title stays), "my name is X",
  "this is Anna", a greeting ("Hi Anna,") and a sign-off ("Regards,\\nAnna Smith").

Addresses: a house number, one to four capitalized words and a street suffix ("12 Elm Street",
"350 5th Ave, Apt 4B, New York, NY 10001"), and the continental orders ("Hauptstraße 12",
"Goethestr. 5, 10115 Berlin", "12 rue de la Paix", "Calle Mayor 3", "Via Roma 10").

Edge cases decided: a product named like a street ("Ocean Drive sunglasses") is left alone
without a house number; with one, after a buying verb ("ordered 2 Ocean Drive sunglasses") it is
a quantity, otherwise it is taken for an address (scrubbing a product name costs less than
leaking an address). ALL-CAPS names and lowercase names not in ``names`` are not found.
Nothing inside an e-mail address or a URL is ever matched.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from functools import lru_cache
from typing import Collection, NamedTuple, Sequence

from relsynth.schema.kinds import Kind

Span = tuple[int, int, Kind]

# --- character classes and word shapes -------------------------------------------------------

_LATIN = [chr(c) for c in range(0x41, 0x250) if unicodedata.category(chr(c)) in ("Lu", "Ll")]
UPPER = "[" + "".join(re.escape(c) for c in _LATIN if c.isupper()) + "]"
LOWER = "[" + "".join(re.escape(c) for c in _LATIN if c.islower()) + "]"
_CAP = f"{UPPER}{LOWER}+"
# Anna, McDonald, Jean-Luc, O'Brien; never an all-caps acronym (DHL, USB)
NAME_WORD = rf"(?:{_CAP}(?:[-'’]?{_CAP})?|{UPPER}['’]{_CAP})"
_WORD = re.compile(rf"(?<![\w'’-]){NAME_WORD}(?![\w@])")
# a run of capitalized words on one line; a middle initial ("John F. Kennedy") does not break it
# (it starts with one capital and checks what precedes it afterwards: a leading look-behind
# stops the engine from skipping ahead to capitals, which made it several times slower)
_RUN = re.compile(rf"{UPPER}(?<![\w'’-]{UPPER})(?:{LOWER}+(?:[-'’]?{_CAP})?|['’]{_CAP})"
                  rf"(?:[ \t]+(?:{UPPER}\.[ \t]+)?{NAME_WORD})*(?![\w@])")
_DIGIT = re.compile("[0-9]")
# what scrub has already handled or must not be cut into: e-mail addresses and URLs
_PROTECTED = re.compile(r"\S*@\S*|\b(?:https?://|www\.)\S+")

# --- word lists --------------------------------------------------------------------------------

# words that are also first or last names (or look like one when capitalized): never a name alone
_STOP_WORDS = """
january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday
will mark grace hope bill faith joy rose ruby pearl jade iris lily daisy holly ivy dawn
sunny summer autumn winter spring star sky river brook miles max frank guy jack art pat
sue rich sterling chase hunter taylor drew dean page price young long brown white green
black gray grey king cook baker miller walker wood stone hill field rice bush lane ford
best good great happy dear thanks thank regards cheers sincerely hello hi hey
team support customer service sir madam everyone all there guys folks friend friends
christmas easter god lord jesus amazon apple google paypal ebay visa
""".split()
# first names that are also places or brands: need a known surname after them
_PLACE_FIRST_NAMES = """
paris georgia jordan austin victoria florence sydney chelsea madison brooklyn dallas houston
phoenix savannah charlotte virginia carolina india china kenya lincoln washington jackson
troy orlando regina adelaide alexandria columbia santiago mercedes porsche tesla camden
""".split()
STREET_SUFFIXES = """
Street St Avenue Ave Av Road Rd Lane Ln Boulevard Blvd Drive Dr Court Ct Way Place Pl
Terrace Ter Crescent Cres Close Square Sq Parkway Pkwy Highway Hwy Circle Cir Trail Trl
Row Mews Grove Gardens Alley Plaza Loop Pike Quay Wharf
""".split()


@lru_cache(maxsize=1)
def more_street_suffixes() -> tuple[str, ...]:
    """The rarer US street suffixes (Crossing, Ridge, Ports...): Faker's static list of postal
    suffixes less the common ones. Many are ordinary words ("3 Service Centers"), so an address
    ending in one needs a house number of two digits or more; they are not common words for
    names ("Hill" stays a surname)."""
    listed = importlib.import_module("faker.providers.address.en_US").Provider.street_suffixes
    return tuple(sorted(set(listed) - set(STREET_SUFFIXES)))


_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pl_PL", "pt_PT", "pt_BR")


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Lowercase words that are names only next to another name: the stop list above and
    Faker's list of common English words."""
    lorem = importlib.import_module("faker.providers.lorem.en_US").Provider.word_list
    suffixes = (s.lower() for s in STREET_SUFFIXES)
    return frozenset(_STOP_WORDS) | {w.lower() for w in lorem} | frozenset(suffixes)


@lru_cache(maxsize=1)
def faker_names() -> tuple[frozenset[str], frozenset[str]]:
    """Lowercase first and last names of Faker's person providers (static data, no sampling)."""
    first: set[str] = set()
    last: set[str] = set()
    for locale in _LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attribute in dir(provider):
            if attribute.startswith("first_names"):
                first.update(n.lower() for n in getattr(provider, attribute))
            elif attribute.startswith("last_names"):
                last.update(n.lower() for n in getattr(provider, attribute))
    return frozenset(first), frozenset(last)


# --- known names -------------------------------------------------------------------------------

class KnownNames(NamedTuple):
    tokens: frozenset[str]          # lowercase first and last names, alone
    full: frozenset[str]            # lowercase "first last", single-spaced
    full_pattern: re.Pattern | None  # finds candidate full names in lowercased text


def known_names(names: Collection[str]) -> KnownNames:
    tokens: set[str] = set()
    full: set[str] = set()
    for name in names:
        if not isinstance(name, str):
            continue
        parts = [p for p in re.split(r"[\s,]+", name.strip()) if len(p) >= 2 and not p.isdigit()]
        tokens.update(p.lower() for p in parts)
        if len(parts) >= 2:
            full.add(" ".join(parts).lower())
            if "," in name:  # "Kowalski, Maria" is written "Maria Kowalski" in text
                full.add(" ".join(parts[1:] + parts[:1]).lower())
    firsts = {f.split(" ")[0] for f in full}
    longest = max((f.count(" ") for f in full), default=0)
    pattern = None
    if firsts:
        # words without a possessive "'s"; case-sensitive on lowercased text (IGNORECASE is twice as slow)
        follow = rf"(?:[ \t]+[^\W\d_]+(?:['’-][^\W\d_]{{2,}})*){{1,{longest}}}"
        pattern = re.compile(rf"(?<![\w@.])(?:{trie_pattern(firsts)}){follow}")
    return KnownNames(frozenset(tokens), frozenset(full), pattern)


def trie_pattern(words: Collection[str]) -> str:
    """One regex alternation for many words, shared prefixes factored out (the regex engine
    then branches per character instead of trying each word in turn)."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _trie_to_regex(trie)


def _trie_to_regex(node: dict) -> str:
    ends_here = "" in node
    branches = [re.escape(char) + _trie_to_regex(child) for char, child in sorted(node.items()) if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if ends_here else body


def _known_full_spans(text: str, known: KnownNames) -> list[tuple[int, int]]:
    """Full known names in any case; the regex over-reads words, so the longest prefix of the
    match that is a known full name is kept."""
    lowered = text.lower()
    if len(lowered) != len(text):   # a rare letter lowercases to two: offsets would shift, and
        lowered = text              # capitalized names are found in the runs anyway
    spans = []
    for match in known.full_pattern.finditer(lowered):
        words = list(re.finditer(r"\S+", match.group()))
        for stop in range(len(words), 1, -1):
            candidate = " ".join(w.group() for w in words[:stop]).lower()
            if candidate in known.full and _ends_at_word(text, match.start() + words[stop - 1].end()):
                spans.append((match.start(), match.start() + words[stop - 1].end()))
                break
    return spans


def _ends_at_word(text: str, end: int) -> bool:
    return end == len(text) or not (text[end].isalnum() or text[end] == "@")


# --- capitalized runs: known tokens and first name + surname ---------------------------------

def _sentence_start(text: str, start: int) -> bool:
    """Whether a word at ``start`` opens a sentence or a line (so it is capitalized anyway)."""
    before = text[:start].rstrip(" \t\"'“‘(-*•")
    return not before or before[-1] in ".!?:\n"


class _Rules(NamedTuple):
    common: frozenset[str]
    place_first: frozenset[str]
    first: frozenset[str]
    last: frozenset[str]
    known: KnownNames


def _run_spans(text: str, rules: _Rules) -> list[tuple[int, int]]:
    spans = []
    for run in _RUN.finditer(text):
        word = run.group()
        if " " not in word and "\t" not in word:   # a lone word can only be a known name
            word = word.lower()
            if word in rules.known.tokens and word not in rules.common:
                spans.append(run.span())
            continue
        words = [(m.start() + run.start(), m.end() + run.start(), m.group().lower())
                 for m in _WORD.finditer(run.group())]
        initial = _sentence_start(text, run.start())
        i = 0
        while i < len(words):
            end = max(_known_end(words, i, rules), _first_last_end(words, i, initial and i == 0, rules))
            if end > i:
                spans.append((words[i][0], words[end - 1][1]))
                i = end
            else:
                i += 1
    return spans


def _known_end(words: list, i: int, rules: _Rules) -> int:
    """End of the stretch of known first/last names starting at ``i``; a lone common word
    (May, Will) is no stretch."""
    j = i
    while j < len(words) and words[j][2] in rules.known.tokens:
        j += 1
    if j - i == 1 and words[i][2] in rules.common:
        return i
    return j


def _first_last_end(words: list, i: int, opens_sentence: bool, rules: _Rules) -> int:
    word = words[i][2]
    if word not in rules.first and word not in rules.known.tokens:
        return i
    ambiguous = opens_sentence or word in rules.common or word in rules.place_first
    j = i + 1
    while j < len(words) and j - i <= 2 and _surname_ok(words[j][2], ambiguous, rules):
        j += 1
    return j if j > i + 1 else i


def _surname_ok(word: str, ambiguous: bool, rules: _Rules) -> bool:
    if word in rules.common:
        return False
    return not ambiguous or word in rules.last or word in rules.known.tokens


# --- cue phrases: honorifics, introductions, greetings, sign-offs ----------------------------

_TWO_NAMES = rf"(?P<name>{NAME_WORD}(?:[ \t]+{NAME_WORD})?)"


def _cue(words: str, after: str, *, follow: str = r"(?![\w@])") -> re.Pattern:
    """A cue phrase, then ``after``, then one or two name words (tried where the gate below
    found the phrase)."""
    return re.compile(rf"(?:{'|'.join(map(re.escape, words.split('|')))}){after}{_TWO_NAMES}{follow}")


def _both_cases(words: str) -> str:
    return "|".join(f"{w}|{w[0].swapcase()}{w[1:]}" for w in words.split("|"))


class _Cue(NamedTuple):
    words: str                 # the cue phrases, "|"-separated
    pattern: re.Pattern
    first_word_listed: bool    # the first name word must be a first or last name
    honorific: bool            # any first word ("Mrs. May"); the title is claimed, not replaced
    opens_line: bool           # the cue must start a line or a sentence (sign-offs)


_HONORIFICS = "Mr|Mrs|Ms|Mx|Dr|Prof|Herr|Frau|Mme|Mlle|Sr|Sra|Srta|M."   # "M" only with its dot
_INTRODUCTIONS = _both_cases("My name is|My name's|My name’s|Je m'appelle|Je m’appelle|Me llamo|Mi chiamo"
                             "|Ich heiße")
_WEAK_INTRODUCTIONS = _both_cases("This is|Ich bin|Je suis|Soy|Sono") + "|I am|I'm|I’m"
_GREETINGS = "Dear|Hi|Hello|Hey|Hallo|Liebe|Lieber|Bonjour|Cher|Chère|Hola|Estimado|Estimada|Ciao|Gentile"
_SIGN_OFFS = ("Best regards|Kind regards|Warm regards|Regards|Best wishes|Best|Thanks|Thank you|Many thanks"
              "|Cheers|Sincerely|Yours sincerely|Yours truly|Yours|Cordialement|Viele Grüße|Beste Grüße"
              "|Liebe Grüße|Mit freundlichen Grüßen|Grüße|Gruß|Saludos|Un saludo|Atentamente|Cordiali saluti"
              "|Saluti|Grazie")
_CUES = (
    # honorific: the title stays, the name goes
    _Cue(_HONORIFICS, _cue(_HONORIFICS, r"\.?[ \t]+"), False, True, False),
    # "my name is" is a strong cue: any capitalized word that is not a common one
    _Cue(_INTRODUCTIONS, _cue(_INTRODUCTIONS, r"[ \t]+"), False, False, False),
    # weaker introductions and greetings: the first word must be a first or last name
    _Cue(_WEAK_INTRODUCTIONS, _cue(_WEAK_INTRODUCTIONS, r"[ \t]+"), True, False, False),
    _Cue(_GREETINGS, _cue(_GREETINGS, r",?[ \t]+", follow=r"(?=[ \t]*(?:[,!:\n]|$))"), True, False, False),
    # sign-off, then a comma or a line break, then the name ending the line or the sentence
    _Cue(_SIGN_OFFS, _cue(_SIGN_OFFS, r"[ \t]*(?:,[ \t]*\n?|\n)[ \t]*", follow=r"(?=[ \t]*(?:$|\n|[.!,;)]))"),
         False, False, True),
)
# One search for every cue phrase (a trie of literal words, so the engine skips ahead to their
# first letters), then the cue's own pattern is tried where a phrase was found: five separate
# searches, or one regex with groups and look-behinds, were several times slower.
_CUE_BY_PHRASE = {phrase: cue for cue in _CUES for phrase in cue.words.split("|")}
_CUE_GATE = re.compile(trie_pattern(_CUE_BY_PHRASE))


def _cue_spans(text: str, rules: _Rules) -> list[tuple[int, int, int]]:
    """(claim start, start, end): an honorific's claim includes the title, so an address
    ending in "Dr" keeps its suffix rather than lending it to a name."""
    spans = []
    for phrase in _CUE_GATE.finditer(text):
        cue = _CUE_BY_PHRASE[phrase.group()]
        match = cue.pattern.match(text, phrase.start())
        span = match and _cue_name(text, match, cue, rules)
        if span:
            spans.append(span)
    return spans


def _cue_name(text: str, match: re.Match, cue: _Cue, rules: _Rules) -> tuple[int, int, int] | None:
    start = match.start()
    if not _starts_word(text, start) or (cue.opens_line and not _sentence_start(text, start)):
        return None
    offset = match.start("name")
    words = [(m.start() + offset, m.end() + offset, m.group().lower()) for m in _WORD.finditer(match.group("name"))]
    first = words[0][2]
    if cue.first_word_listed and not _is_listed_name(first, rules):
        return None
    if not cue.honorific and first in rules.common:
        return None
    if len(words) == 2 and words[1][2] in rules.common:
        words = words[:1]
    return (start if cue.honorific else words[0][0]), words[0][0], words[-1][1]


def _starts_word(text: str, start: int) -> bool:
    return start == 0 or not (text[start - 1].isalnum() or text[start - 1] in "_'’-@.")


def _is_listed_name(word: str, rules: _Rules) -> bool:
    return word in rules.first or word in rules.last or word in rules.known.tokens


# --- street addresses --------------------------------------------------------------------------

def _alternation(words: Sequence[str]) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


_STREET_WORD = rf"(?:{UPPER}[\w'’-]*\.?|\d{{1,3}}(?:st|nd|rd|th))"   # Elm, St., O'Connell, 5th
_CITY = rf"{_CAP}(?:[ \t-]+{_CAP}){{0,2}}"
_ZIP = (r"(?:\d{5}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2}"   # US, UK
        r"|[A-Z]\d[A-Z][ \t]?\d[A-Z]\d)")                             # Canada
# ", Springfield, IL 62704" / ", London NW1 6XE" / ", Springfield" (then punctuation or the end)
_CITY_TAIL = (rf"(?:,[ \t]*{_CITY}(?:(?:,?[ \t]+[A-Z]{{2}})?[ \t]+{_ZIP}\b|,?[ \t]+[A-Z]{{2}}\b"
              rf"|(?=[ \t]*(?:[,.;:!?)\n]|$))))?")
# ", 10115 Berlin" / ", 1012 AB Amsterdam" / ", Milano"
_POSTCODE_CITY = rf"(?:,?[ \t]+(?:\d{{5}}|\d{{4}}(?:[ \t]?[A-Z]{{2}})?)[ \t]+{_CITY}|{_CITY_TAIL})?"
_UNIT = (r"(?:,?[ \t]*(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Fl|Room|Rm|#)\.?[ \t]*#?"
         r"[ \t]*\d{1,5}[A-Za-z]?\b)?")
# a number followed by a unit of time or count is a quantity, not a house number
_NOT_QUANTITY = (r"(?![ \t]*(?i:days?|weeks?|months?|years?|hours?|minutes?|times?|items?|pcs|pieces?"
                 r"|units?|euros?|dollars?|pounds?|%|x)\b)")
_HOUSE_NUMBER = rf"\d{{1,4}}[a-zA-Z]?(?:[ \t]*[-/][ \t]*\d{{1,4}}[a-zA-Z]?)?\b{_NOT_QUANTITY}"

# Each family starts with a single character class or literal words so the engine can skip
# ahead to where it could match; word boundaries before the match are checked in Python.
_HOUSE_FIRST_DIGIT = r"[0-9](?<![\w.,/$€£#-][0-9])"
_US_UK_REST = (
    rf"[0-9]{{0,4}}[A-Za-z]?(?:-[0-9]{{1,5}})?{_NOT_QUANTITY}[ \t]+"
    rf"(?:{_STREET_WORD}[ \t]+){{1,4}}(?:{_alternation(STREET_SUFFIXES)})\b\.?"
    rf"(?:[ \t]+(?:N|S|E|W|NE|NW|SE|SW)\b)?{_UNIT}{_CITY_TAIL}"
)
_US_MORE_REST = (
    rf"[0-9]{{1,4}}[A-Za-z]?(?:-[0-9]{{1,5}})?{_NOT_QUANTITY}[ \t]+"
    rf"(?:{_STREET_WORD}[ \t]+){{1,4}}(?:{_alternation(more_street_suffixes())})\b"
    rf"(?:[ \t]+(?:N|S|E|W|NE|NW|SE|SW)\b)?{_UNIT}{_CITY_TAIL}"
)
_FR_TYPES = r"[Rr]ue|[Aa]venue|[Aa]v\.|[Bb]oulevard|[Bb]d|[Pp]lace|[Cc]hemin|[Aa]llée|[Ii]mpasse|[Qq]uai|[Cc]ours|[Rr]oute|[Pp]assage"
_FR_LINK = r"(?:(?:de[ \t]+la|de[ \t]+l['’]|du|des|de|d['’]|la|le|les|l['’])[ \t]*)"
_FR_REST = (
    rf"[0-9]{{0,3}}(?:[ \t]?(?:bis|ter))?,?[ \t]+(?:{_FR_TYPES})[ \t]+{_FR_LINK}?"
    rf"{UPPER}[\w'’-]*(?:[ \t]+{_FR_LINK}?{UPPER}[\w'’-]*){{0,3}}{_POSTCODE_CITY}"
)
# "12 Elm Street", "12 rue de la Paix"
_NUMBER_FIRST = re.compile(rf"{_HOUSE_FIRST_DIGIT}(?:{_US_UK_REST}|{_US_MORE_REST}|{_FR_REST})")

_DE_NL_SUFFIX = "straße|strasse|str\\.|weg|gasse|platz|allee|damm|ufer|chaussee|steig|pfad|straat|laan|gracht|plein|kade|singel|dijk"
_DE_WORDS = "Straße|Strasse|Str\\.|Weg|Platz|Allee|Gasse|Damm"
# "Hauptstraße 12", "Berliner Straße 3", "Kaiser-Wilhelm-Ring 5": searched only where a suffix
# is followed by a number (the pattern itself starts with any capital, which is slow)
_DE_NL_GATE = re.compile(rf"(?:{_DE_NL_SUFFIX}|{_DE_WORDS}|-Ring)[ \t]+[0-9]")
_STREET_FIRST_DE_NL = re.compile(
    rf"{UPPER}(?<![\w'’-]{UPPER})(?:{LOWER}*(?:-{UPPER}{LOWER}*)*-?(?:{_DE_NL_SUFFIX})"
    rf"|{LOWER}+(?:er|e)?[ \t]+(?:{_DE_WORDS})"
    rf"|{LOWER}+(?:-{_CAP})*-(?:{_DE_WORDS}|Ring))[ \t]+{_HOUSE_NUMBER}{_POSTCODE_CITY}"
)
_ES_IT_TYPES = (r"Calle|C/|Avenida|Avda\.|Plaza|Pza\.|Paseo|Carrer|Carretera|Camino|Ronda|Travesía"
                r"|Via|Viale|Piazza|Piazzale|Corso|Largo|Vicolo|Strada|Rua|Praça|Travessa"
                # Italian street types (Faker's static list): "Stretto Pavone, 41", "Canale Sordi 3"
                r"|Borgo|Contrada|Rotonda|Incrocio|Stretto|Canale|R\.|Alameda")
_ES_IT_LINK = (r"(?:(?:de[ \t]+la|de[ \t]+los|de[ \t]+las|del|de|della|delle|dello|dei|degli|di|da|do|dos|das"
               r"|la|el)[ \t]+)")
# "Calle Mayor 3", "Via Roma 10"
_STREET_FIRST_ES_IT = re.compile(
    rf"(?:{_ES_IT_TYPES})[ \t]*{_ES_IT_LINK}?{_CAP}(?:[ \t]+{_ES_IT_LINK}?{_CAP}){{0,3}}"
    rf",?[ \t]+(?:n[º°o.][ \t]*)?{_HOUSE_NUMBER}{_POSTCODE_CITY}"
)
# "ordered 2 Ocean Drive sunglasses": the number is a quantity
_QUANTITY_VERBS = frozenset("""ordered order bought buy purchased purchase received returned return
got sent shipped need needed want wanted qty quantity x of""".split())
_WORD_BEFORE = re.compile(r"([^\W\d_]+)[ \t]*$")


def _address_spans(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in _NUMBER_FIRST.finditer(text) if not _after_quantity_verb(text, m.start())]
    if _DE_NL_GATE.search(text):
        spans += [m.span() for m in _STREET_FIRST_DE_NL.finditer(text)]
    spans += [m.span() for m in _STREET_FIRST_ES_IT.finditer(text) if _starts_word(text, m.start())]
    return spans


def _after_quantity_verb(text: str, start: int) -> bool:
    before = _WORD_BEFORE.search(text, max(0, start - 30), start)
    return before is not None and before.group(1).lower() in _QUANTITY_VERBS


# --- putting it together -----------------------------------------------------------------------

def find(strings: Sequence[str], *, names: Collection[str] = ()) -> list[list[Span]]:
    """Per string, the sorted, non-overlapping (start, end, kind) spans of person names
    (Kind.PERSON_NAME) and street addresses (Kind.ADDRESS) inside it.
    ``names``: real first/last/full names taken from the database's own name columns."""
    first, last = faker_names()
    rules = _Rules(common_words(), frozenset(_PLACE_FIRST_NAMES), first, last, known_names(names))
    return [_find_one(text, rules) if isinstance(text, str) else [] for text in strings]


def _find_one(text: str, rules: _Rules) -> list[Span]:
    # (claim start, start, end, kind): the claim decides overlaps, (start, end) is reported
    candidates = [(s, s, e, Kind.PERSON_NAME) for s, e in _run_spans(text, rules)]
    candidates += [(c, s, e, Kind.PERSON_NAME) for c, s, e in _cue_spans(text, rules)]
    if rules.known.full_pattern is not None:
        candidates += [(s, s, e, Kind.PERSON_NAME) for s, e in _known_full_spans(text, rules.known)]
    if _DIGIT.search(text):   # every address has a house number
        addresses = _address_spans(text)
        # a name starting inside an address is a street word read as one ("12 Oak Dr Smith")
        candidates = [c for c in candidates if not any(a < c[0] < b for a, b in addresses)]
        candidates += [(s, s, e, Kind.ADDRESS) for s, e in addresses]
    if not candidates:
        return []
    maybe_protected = "@" in text or "www." in text or "://" in text
    protected = [m.span() for m in _PROTECTED.finditer(text)] if maybe_protected else []
    return _longest_first(candidates, protected)


def _longest_first(candidates: list, protected: list[tuple[int, int]]) -> list[Span]:
    """Non-overlapping spans, the longest claim winning; none touches a protected range."""
    taken: list[tuple[int, int]] = list(protected)
    chosen: list[Span] = []
    for claim, start, end, kind in sorted(candidates, key=lambda c: (c[0] - c[2], c[0])):
        if all(end <= a or claim >= b for a, b in taken):
            taken.append((claim, end))
            chosen.append((start, end, kind))
    return sorted(chosen)


__all__ = ["find", "STREET_SUFFIXES", "NAME_WORD"]
