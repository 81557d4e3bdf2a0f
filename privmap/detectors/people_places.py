"""Street addresses and country names: cues that hold in every language privmap reads, and that
NER models (trained on news) tag only in fragments, if at all."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from privmap.data import load_table
from privmap.detectors.engine import COMMON, LOWER, UPPER

_WORD = rf"[{UPPER}][{LOWER}]+(?:[-'’][{UPPER}]?[{LOWER}]+)*"
_CAPS = rf"[{UPPER}]{{2,}}(?:[-'’][{UPPER}]+)*"  # 'SEINÄJOKI', 'HYVINKÄÄ'
_NUMBER = r"\d{1,5}[A-Za-z]?(?:[-/]\d{1,4})?"
_STREET_AFTER = (
    r"Street|St\.?|Road|Rd\.?|Avenue|Ave\.?|Lane|Ln\.?|Drive|Dr\.?|Boulevard|Blvd\.?|Court|Ct\.?|Place|Pl\.?|"
    r"Square|Sq\.?|Way|Terrace|Close|Crescent|Gardens|Park|Row|Walk|Highway|Hwy\.?|Parkway|Pkwy\.?|Circle|Cir\.?|"
    r"Loop|Trail|Trl\.?|Plaza|Alley|Mews|Hill|Grove|View|Rise|Green|Heights|Ridge|Point|Pike|Path|Run|"
    r"Crossing|Expressway|Freeway|Turnpike|Route|tér|utca|út|u\.|köz|sor|körút|Straße|Strasse|Weg|Allee|Gasse"
)
_STREET_BEFORE = (
    r"rue|avenue|av\.|bd|boulevard|chemin|allée|impasse|place|quai|route|cours|calle|c/|avenida|avda\.?|plaza|"
    r"paseo|camino|carrer|ronda|travesía|via|viale|piazza|piazzale|corso|vicolo|largo|strada|ulica|ul\.|aleja|al\.|"
    r"plac|osiedle|os\.|rua|praça|travessa|avenida|estrada|alameda|rambla"
)
_STREET_SUFFIX = (
    r"straße|strasse|str\.|weg|gasse|platz|allee|damm|ring|ufer|chaussee|laan|straat|plein|gracht|kade|dijk|steeg|"
    r"singel|katu|kuja|tie|polku|kaari|rinne|gatan|gata|vägen|väg|gränd|gade|vej|vænget|stræde|veien|vegen"
)
_CONNECT = (
    r"(?:(?:de|del|de la|des|du|di|della|delle|dello|degli|dei|d'|la|le|los|las|van|von|der|den|ten|ter|do|da|dos|"
    r"das)\s+)?"
)
# street words written in lower case after a name ('Trenerys gate 232', 'Luite tee 87', 'Árpád fejedelem útja 3.')
_LOWER_STREET = r"gate|gata|gatan|vei|veien|vej|väg|vägen|tee|tie|utca|útja|út|u\.|ulica|straat|weg|laan"
_DIRECTION = r"(?:\s(?:NE|NW|SE|SW|N|S|E|W)\.?(?![\w]))?"
# what may follow a street on its line: ', Springfield, IL 62704', ', 10115 Berlin', ', London SW1A 2AA'
_PLACE = rf"(?:{_WORD}|{_CAPS})(?:[ -](?:{_WORD}|{_CAPS}|[A-Z]|sur|am|an|de|del|la|le)){{0,3}}"
_POSTCODE = r"(?:[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}|\d{5}(?:-\d{4})?|\d{4}(?:\s?[A-Z]{2})?|\d{2}-\d{3}|\d{3}\s\d{2})"
_TAIL = rf"(?:,[ \t]*(?:{_POSTCODE}[ \t]+)?{_PLACE}(?:,?[ \t]+(?:[A-Z]{{2}}[ \t]+)?{_POSTCODE})?){{0,2}}"
_LEAD = r"(?:\d{1,6},?\s+)?"  # a second number before the house number, as some exports write them
ADDRESS = re.compile(
    rf"(?<![\w-]){_LEAD}{_NUMBER},?\s+(?:{_WORD}\s+){{1,4}}(?:{_STREET_AFTER})(?![\w]){_DIRECTION}(?:\s{_NUMBER}\.?)?"
    rf"|(?<![\w-]){_LEAD}(?:{_NUMBER},?\s+)?(?i:{_STREET_BEFORE})\s+{_CONNECT}(?:{_WORD}[ -]?){{1,4}}"
    rf"(?:,?\s*{_NUMBER})?(?![\w])"
    rf"|(?<![\w-]){_LEAD}{_WORD}(?:[ -]?{_WORD})?(?i:{_STREET_SUFFIX})\s*{_NUMBER}\.?(?![\w])"
    rf"|(?<![\w-]){_LEAD}(?:{_WORD}[ -]){{1,3}}(?i:{_STREET_SUFFIX})\s*{_NUMBER}\.?(?![\w])"
    # 'Harjukuja 54' after a house number: a number, one to four words, a number
    rf"|(?<![\w-])(?P<bare>\d{{1,6}}\s+(?:{_WORD}|{_CAPS})(?:[ -](?:{_WORD}|{_CAPS}|{_CONNECT.strip('?')}|"
    rf"(?:{_LOWER_STREET})(?=\s\d))){{0,3}}\s+"
    r"\d{1,5}(?:[A-Za-rt-z]|[-/]\d{1,4})?\.?)"  # not '70s'
    rf"(?![\w])"
)
_LINE_END = re.compile(_TAIL)
# US military post: 'USNS Møller / FPO AA 85844', 'Unit 8524 Box 0979 / DPO AE 56703', 'PSC 3294, Box 9168 / APO AP ...'
_MILITARY = re.compile(
    rf"(?<![\w])(?:(?:USNS|USNV|USS|USCGC|USNH|USAV)\s+(?:{_WORD}|{_CAPS})|(?:Unit|PSC|CMR)\s+\d{{3,5}},?\s+Box\s+\d{{3,5}})"
    r"[ \t]*,?\n?[ \t]*[ADF]PO[ \t]+A[AEP][ \t]+\d{5}(?![\w])"
)
# a street named without a house number before it, where the words before say it is one ('lives on Pod
# Floriánem 1677', 'the north side of Joaquin Suarez 2906')
_ON_STREET = re.compile(
    rf"(?<=\s)(?:(?i:lives?|living|located|situated|is|enter|entrance)\s+on|(?i:side|corner)\s+of)\s+"
    rf"(?P<street>(?:{_WORD}[ -]){{1,3}}(?!(?:19|20)\d\d(?!\d))\d{{1,4}}[A-Za-z]?)(?![\w]|[.,]\d)"  # not a year
)

_STREET_WORD = re.compile(
    rf"(?<![\w])(?:{_STREET_AFTER}|Suite|Apt|(?i:{_STREET_BEFORE}))(?![\w])|(?i:{_STREET_SUFFIX})(?![\w])"
)


def street_like(value: str) -> bool:
    """The value names a street ('Acheron Road', 'Rue de Tanger'): a place, whatever NER said."""
    return bool(_STREET_WORD.search(value))


_UNIT = re.compile(
    r"(?<![\w])(?i:apt|apartment|suite|ste|unit|flat|room|p\.?\s?o\.?\s?box|box|postbox|postfach|bte|piso|puerta|"
    r"interno)\.?\s*#?\d+[A-Za-z]?(?![\w])"
)
_BLOCK_LINES = 4  # lines an address block may grow by: unit, town, postcode, country
# what may lead a line of an address block: indentation, quoting ('> '), a bullet, or the '???' a
# lost character encoding leaves of one
_MARKER = re.compile(r"^[ \t]*(?:[>*•·\-|#?]+[ \t]*)?")


def addresses(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """Postal addresses: the street line ('221B Baker Street, London SW1A 2AA', '12 rue de la Paix',
    'Hauptstraße 5, 10115 Berlin', 'ul. Długa 7', '1600 Pennsylvania Avenue NW, Washington, DC
    20500') as one span with the unit, town and postcode written on it, then each line of the
    postal block below it (unit, town, postcode, country) as a span of its own."""
    stop = len(text) if end is None else end
    for m in ADDRESS.finditer(text, start, stop):
        if m.group("bare") and any(w in COMMON for w in m.group().split()):
            continue  # '24 May 2025', 'Tue 3 Monday 5': a date, not a street
        line_end = _LINE_END.match(text, m.end()).end()
        yield m.start(), line_end
        yield from _block(text, line_end)
    for m in _MILITARY.finditer(text, start, stop):
        yield m.start(), m.end()
    for m in _ON_STREET.finditer(text, start, stop):
        if not any(w in COMMON for w in m.group("street").split()):
            yield m.start("street"), m.end("street")
    yield from units(text, start, stop)


def units(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """Addresses found from their unit or box ('Apt. 12', 'suite 112', 'Postfach 10'): the street
    line above it, the unit with the town written after it, and the block lines below. The only
    part of an address written the same without capitals, so all that text typed without them gets."""
    stop = len(text) if end is None else end
    for m in _UNIT.finditer(text, start, stop):
        line_start = text.rfind("\n", 0, m.start()) + 1
        above = text.rfind("\n", 0, max(0, line_start - 1)) + 1
        street = text[above : max(above, line_start - 1)]
        if line_start and _address_line(street) and any(c.isdigit() for c in street):
            yield above + len(street) - len(_MARKER.sub("", street, count=1)), above + len(street.rstrip())
        line_end = _LINE_END.match(text, m.end()).end()
        yield m.start(), line_end
        yield from _block(text, line_end)


def _block(text: str, end: int) -> Iterator[tuple[int, int]]:
    """The lines of the address block below a line that ends at `end`, as (start, end) without blanks."""
    for _ in range(_BLOCK_LINES):
        if text[end : end + 1] != "\n":
            break
        line_end = text.find("\n", end + 1)
        line_end = len(text) if line_end == -1 else line_end
        line = text[end + 1 : line_end]
        if not line.strip():  # one blank line may part the street from the town
            end = line_end
            continue
        if not _address_line(line):
            break
        lead = len(line) - len(_MARKER.sub("", line, count=1))
        yield end + 1 + lead, end + 1 + len(line.rstrip())
        end = line_end


def _address_line(line: str) -> bool:
    """A short line of an address block: 'Apt. 12', 'HYVINKÄÄ', 'Finland 41600', '75001 Paris'."""
    body = _MARKER.sub("", line, count=1).strip()
    if not 2 <= len(body) <= 45 or any(c in body for c in "@:/=") or len(body.split()) > 6:
        return False
    if body.isdigit():
        return 4 <= len(body) <= 6
    return (body[0].isupper() or body[0].isdigit()) and any(c.isalpha() for c in body)


# words after which a capitalised phrase is a place, whatever NER calls it ('flew to Horten', 'I am in
# Akureyri', 'originally from Eckenroth', 'wohnt in Kassel', 'habite à Lyon')
_PLACE_CUES = (
    r"(?:flew|flies|fly|flying|travel(?:l)?(?:ing|ed|s)?|returned|returning|relocated|relocating|"
    r"went|going|drove|driving|sailed|headed|heading|back|welcome)\s+to|"
    r"(?:lives|live|lived|living|based|born|raised|up|settled|stationed|staying|stayed|am|I'm|we're|are|is|been|"
    r"arrived|arriving|landed|conference|office|offices|headquartered)\s+in|"
    r"(?:arrived|arriving|landed)\s+at|(?:originally|here|come|comes|came|coming|moved|flew|hails)\s+from|"
    r"home\s+(?:city|town)|(?:University|Universität|Université|Universidad|Università|Universidade)\s+(?:of|de|di|do)|"
    r"(?:wohnt|wohne|wohnen|lebt|lebe|leben|geboren|aufgewachsen|ansässig)\s+in|"
    r"(?:reise|reisen|reist|fahre|fahren|fährt|fliege|fliegen|fliegt|ziehe|ziehen|zieht|zog|zogen|umgezogen)\s+nach|"
    r"(?:komme|kommt|stamme|stammt)\s+aus|(?:habite|habites|habitons|habitez|habitent|vit|vis|vivons|vivent|"
    r"né|née|nés|installé|installée|résidant|résident)\s+(?:à|en)|originaire\s+d[e']|"
    r"(?:vive|vivo|vivimos|viven|nació|nacido|nacida|reside|residente|mudó|mudé|mudamos)\s+(?:en|a)|"
    r"(?:vive|abita|abito|nato|nata|residente|trasferito|trasferita)\s+(?:a|in)|(?:woont|woon|geboren)\s+in|"
    r"(?:mieszka|mieszkam|urodził|urodziła)\s+w|(?:mora|moro|vive|nasceu|reside)\s+em"
)
_CUED_PLACE = re.compile(
    rf"(?<![\w])(?:{_PLACE_CUES})\s+(?P<place>{_WORD}(?:[ -](?:{_WORD}|(?:de|del|de la|do|da|di|u|am|an|sur|upon|on|"
    rf"le|la)(?=[ -][{UPPER}]))){{0,5}})"
)


def cued_places(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """Places named after words that say a place follows, in the languages privmap reads. NER models
    call rare town names people ('arrived at Ettelgem', 'flew to Horten'); these words settle it."""
    for m in _CUED_PLACE.finditer(text, start, len(text) if end is None else end):
        words = m.group("place").split()
        while words and (words[-1] in COMMON or words[-1].islower()):
            words.pop()
        if words and words[0] not in COMMON:
            s = m.start("place")
            yield s, text.index(words[-1], s) + len(words[-1])


@cache
def _countries() -> tuple[frozenset[str], re.Pattern[str]]:
    """The first words of country names (lower case), and one pattern of every name."""
    names = {n for ns in load_table("country_names")["names"].values() for n in ns}
    # longest first, so 'Guinea-Bissau' wins over 'Guinea'; spacing and hyphens as people type them
    alternation = "|".join(
        re.escape(n).replace(r"\-", r"\s*-\s*").replace(r"\ ", r"\s+") for n in sorted(names, key=len, reverse=True)
    )
    firsts = frozenset(_FIRST_WORD.match(n).group().lower() for n in names)  # type: ignore[union-attr]
    return firsts, re.compile(rf"(?i:{alternation})(?![\w])")


_FIRST_WORD = re.compile(r"[^\W\d_]+")
_CAPITALISED = re.compile(r"(?<![\w])[^\W\d_a-z][^\W\d_]*")


def countries(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """Country names in the languages privmap reads, written with a capital: 'Deutschland', 'Reino Unido'.
    The pattern of 1,200 names runs only where a capitalised word is the first word of one (it
    is most of the cost of windows otherwise)."""
    firsts, pattern = _countries()
    stop = len(text) if end is None else end
    pos = start
    for word in _CAPITALISED.finditer(text, start, stop):
        if word.start() < pos or not word.group()[0].isupper() or word.group().lower() not in firsts:
            continue
        if m := pattern.match(text, word.start(), stop):
            pos = m.end()
            yield m.start(), m.end()
