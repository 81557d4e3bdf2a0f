"""Street addresses and country names: cues that hold in every language privmap reads, and that
NER models (trained on news) tag only in fragments, if at all."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from privmap.data import load_table
from privmap.detectors.engine import LOWER, UPPER

_WORD = rf"[{UPPER}][{LOWER}]+(?:[-'’][{UPPER}]?[{LOWER}]+)*"
_NUMBER = r"\d{1,5}[A-Za-z]?(?:[-/]\d{1,4})?"
_STREET_AFTER = (
    r"Street|St\.?|Road|Rd\.?|Avenue|Ave\.?|Lane|Ln\.?|Drive|Dr\.?|Boulevard|Blvd\.?|Court|Ct\.?|Place|Pl\.?|"
    r"Square|Sq\.?|Way|Terrace|Close|Crescent|Gardens|Park|Row|Walk|Highway|Hwy\.?|Parkway|Pkwy\.?"
)
_STREET_BEFORE = (
    r"rue|avenue|av\.|bd|boulevard|chemin|allée|impasse|place|quai|route|calle|c/|avenida|avda\.?|plaza|paseo|"
    r"camino|carrer|via|viale|piazza|corso|vicolo|largo|ulica|ul\.|aleja|al\.|plac|rua|praça"
)
_STREET_SUFFIX = (
    r"straße|strasse|str\.|weg|gasse|platz|allee|damm|ring|laan|straat|plein|gracht|kade|dijk|steeg|katu|gatan|gade|vej"
)
_CONNECT = r"(?:(?:de|del|de la|des|du|di|della|dei|d'|la|le|los|las|van|von|der)\s+)?"
ADDRESS = re.compile(
    rf"(?<![\w-]){_NUMBER},?\s+(?:{_WORD}\s+){{1,4}}(?:{_STREET_AFTER})(?![\w])"
    rf"|(?<![\w-])(?:{_NUMBER},?\s+)?(?i:{_STREET_BEFORE})\s+{_CONNECT}(?:{_WORD}[ -]?){{1,4}}"
    rf"(?:,?\s*{_NUMBER})?(?![\w])"
    rf"|(?<![\w-]){_WORD}(?:[ -]?{_WORD})?(?i:{_STREET_SUFFIX})\s*{_NUMBER}(?![\w])"
    rf"|(?<![\w-])(?:{_WORD}[ -]){{1,3}}(?i:{_STREET_SUFFIX})\s*{_NUMBER}(?![\w])"
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


def addresses(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """Street addresses ('221B Baker Street', '12 rue de la Paix', 'Hauptstraße 5', 'ul. Długa 7')
    and the postal block they head: the unit, town, postcode and country lines below them."""
    stop = len(text) if end is None else end
    for m in ADDRESS.finditer(text, start, stop):
        yield m.start(), _grow(text, m.end())
    for m in _UNIT.finditer(text, start, stop):
        line_start = text.rfind("\n", 0, m.start()) + 1
        above = text.rfind("\n", 0, max(0, line_start - 1)) + 1
        street = text[above : max(above, line_start - 1)]
        first = above if line_start and _address_line(street) and any(c.isdigit() for c in street) else m.start()
        yield first + len(street) - len(street.lstrip(" >")) if first == above else first, _grow(text, m.end())


def _grow(text: str, end: int) -> int:
    """The end of the address block whose first line ends at `end`."""
    for _ in range(_BLOCK_LINES):
        line_end = text.find("\n", end + 1)
        line_end = len(text) if line_end == -1 else line_end
        if text[end : end + 1] != "\n" or not _address_line(text[end + 1 : line_end]):
            break
        end = line_end
    return end


def _address_line(line: str) -> bool:
    """A short line of an address block: 'Apt. 12', 'HYVINKÄÄ', 'Finland 41600', '75001 Paris'."""
    body = line.strip().lstrip(">").strip()
    if not 2 <= len(body) <= 45 or any(c in body for c in "@:/=") or len(body.split()) > 6:
        return False
    if body.isdigit():
        return 4 <= len(body) <= 6
    return (body[0].isupper() or body[0].isdigit()) and any(c.isalpha() for c in body)


@cache
def _countries() -> re.Pattern[str]:
    names = {n for ns in load_table("country_names")["names"].values() for n in ns}
    # longest first, so 'Guinea-Bissau' wins over 'Guinea'; spacing and hyphens as people type them
    alternation = "|".join(
        re.escape(n).replace(r"\-", r"\s*-\s*").replace(r"\ ", r"\s+") for n in sorted(names, key=len, reverse=True)
    )
    return re.compile(rf"(?<![\w])(?i:{alternation})(?![\w])")


def countries(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """Country names in the languages privmap reads, written with a capital: 'Deutschland', 'Reino Unido'."""
    for m in _countries().finditer(text, start, len(text) if end is None else end):
        if m.group()[0].isupper():
            yield m.start(), m.end()
