"""Structured data: a column is classified from its name and a sample of its values, not by
running NER over every cell. Also finds delimited tables (CSV exports) inside plain text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from privmap.detectors.engine import LOWER, UPPER
from privmap.detectors.names import particle


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Column-name tokens (see context.tokens) that say the values are names or places, in English,
# German, French, Spanish, Italian, Dutch and Polish.
HEADER_WORDS = {
    "PERSON": _words(
        "name names fullname firstname lastname surname forename forenames givenname familyname middlename "
        "fname lname mname gname sname fn ln nm given family "  # what people abbreviate: fname, given_nm
        "customer contact employee patient recipient sender author owner holder signatory "
        "nom prénom prenom vorname nachname familienname nombre apellido apellidos nome cognome "
        "naam voornaam achternaam imię imie nazwisko"
    ),
    "LOCATION": _words(
        "address addr street city town country region county zip zipcode postcode postal postalcode "
        "line1 line2 line3 address1 address2 address3 addr1 addr2 street1 street2 ship shipto shipping "
        "billto billing mailing residence domicile "
        "adresse rue ville pays straße strasse stadt ort plz wohnort dirección direccion calle ciudad "
        "provincia país pais localidad indirizzo città citta comune adres straat woonplaats plaats "
        "ulica miasto kraj miejscowość"
    ),
}
# tokens that make a 'name' column something else: company_name, file_name, user_name ...
NOT_PERSON = _words(
    "company employer business organisation organization org firm brand product item file filename host hostname "
    "domain bucket table column field user username login account display screen nick nickname app "
    "device server service project team group role category tag event plan firma société societe "
    "empresa azienda bedrijf firmy produit producto prodotto city town street country region"
)
# 'Anna', 'O'Brien', 'McAllister', 'Jean-Luc', 'J.', and in capitals ('O'BRIEN')
_NAME_WORD = re.compile(
    rf"(?:[{UPPER}](?:['’][{UPPER}])?(?:[{LOWER}]+(?:[{UPPER}][{LOWER}]+)?(?:[-'’][{UPPER}]?[{LOWER}]+)*|\.)"
    rf"|[{UPPER}]{{2,}}(?:[-'’][{UPPER}]+)*),?"  # 'FENNIMORE, ORLA': surname first
)
# legal forms that make a capitalised phrase a business, not a person ('Harlow & Dunne Ltd')
LEGAL_FORMS = _words(
    "Ltd Ltd. Limited LLC LLP Inc Inc. Corp Corp. Co Co. PLC plc GmbH AG KG OHG UG SA S.A. SAS SARL SL S.L. "
    "SpA S.p.A. Srl S.r.l. BV B.V. NV N.V. Sp. z o.o. AB Oy ApS AS A/S Group Holdings & und et y e"
)
_LETTER = re.compile(r"[^\W\d_]")


# tokens that say a column's values are businesses or products, whatever NER makes of them
BUSINESS = _words(
    "company companies employer business organisation organization org firm brand vendor supplier merchant "
    "customer_company product item firma unternehmen arbeitgeber société societe entreprise employeur empresa "
    "empleador azienda ditta datore bedrijf werkgever firmy pracodawca"
)


def business(tokens: frozenset[str]) -> bool:
    """The column name says its values are businesses ('company', 'employer', 'Firma'), not people."""
    return bool(tokens & BUSINESS)


def header_entity(tokens: frozenset[str]) -> str | None:
    """PERSON or LOCATION when the column name says so, else None."""
    if tokens & HEADER_WORDS["LOCATION"]:
        return "LOCATION"
    if tokens & HEADER_WORDS["PERSON"] and not tokens & NOT_PERSON:
        return "PERSON"
    return None


def name_like(value: str) -> bool:
    """One to five capitalised words or initials: 'Anna Byrne', 'J. R. Smith', 'de la Cruz'."""
    words = value.split()
    if not 1 <= len(words) <= 5 or any(w in LEGAL_FORMS for w in words):
        return False
    capitalised = sum(bool(_NAME_WORD.fullmatch(w)) for w in words)
    particles = sum(particle(w) for w in words)
    return capitalised >= 1 and capitalised + particles == len(words)


def place_like(value: str) -> bool:
    return bool(_LETTER.search(value)) and len(value) <= 120


def prose_like(values: list[str]) -> bool:
    """Free-text columns (comments, messages) are read as prose."""
    sample = values[:50]
    return bool(sample) and sum(len(v.split()) for v in sample) / len(sample) >= 6


@dataclass(frozen=True)
class Column:
    name: str
    cells: list[tuple[int, int]]  # character offsets of each value in the text


_DELIMITERS = ",;\t|"
_FIELD = {d: re.compile(rf'(?:^|{re.escape(d)})[ ]*("(?:[^"]|"")*"|[^{re.escape(d)}\n]*)') for d in _DELIMITERS}


def split_table(text: str) -> list[Column] | None:
    """Columns of a delimited table that makes up `text`, or None when the text is not one.

    A table has at least three lines, and one delimiter gives the same number (two or more) of
    fields on nearly every line. Quoted fields are understood; offsets point at the values.
    """
    lines = [(m.start(), m.group()) for m in re.finditer(r"[^\n]+", text) if m.group().strip()]
    if len(lines) < 3:
        return None
    head = lines[0][1]
    for d in sorted(_DELIMITERS, key=head.count, reverse=True):
        if head.count(d) == 0:
            return None
        rows = [[(off + m.start(1), off + m.end(1)) for m in _FIELD[d].finditer(line)] for off, line in lines]
        width = len(rows[0])
        # prose puts a space after its commas; exports do not
        spaced = d in ",;" and text.count(d + " ") * 2 > text.count(d)
        if width >= 2 and not spaced and sum(len(r) == width for r in rows) >= 0.9 * len(rows):
            break
    else:
        return None
    header = [_unquote(text[s:e]) for s, e in rows[0]]
    has_header = all(_LETTER.search(h) and not any(c.isdigit() or c == "@" for c in h) for h in header)
    body = rows[1:] if has_header else rows
    names = header if has_header else [""] * width
    columns = []
    for i, name in enumerate(names):
        cells = [_strip(text, *row[i]) for row in body if i < len(row) and len(row) == width]
        columns.append(Column(name, [c for c in cells if c[1] > c[0]]))
    return columns


def _unquote(value: str) -> str:
    value = value.strip()
    return value[1:-1].replace('""', '"') if len(value) >= 2 and value[0] == value[-1] == '"' else value


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    """Offsets of a cell without surrounding blanks and quotes."""
    while start < end and text[start] in ' "\r':
        start += 1
    while end > start and text[end - 1] in ' "\r':
        end -= 1
    return start, end
