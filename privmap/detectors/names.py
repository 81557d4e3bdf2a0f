"""People's names without NER's help: after a title, from a given name, in capitals, with particles.

Cues that hold in every language privmap reads, where NER models (trained on news, and only
installable here for English and French) miss names: a title ('Mrs', 'Sra.', 'Herr'), a given
name followed by a surname ('Jakub Wiśniewski'), surname particles ('della', 'van den'). Names
typed in capitals ('signed by BERNADETTE KOWALCZYK') are re-cased before any of this, and before
NER, which reads capitals as acronyms. Offices after a title ('Mr President', 'Frau
Präsidentin') are not names.

Given names come from Faker's person providers (MIT; first names per locale, kept up by its
maintainers), for the languages privmap reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from importlib import import_module

from privmap.detectors.engine import COMMON, LOWER, UPPER

# surname particles, longest first so 'van den' wins over 'van'
PARTICLES = tuple(
    sorted(
        """van van den van der van de von von der von dem zu zum zur ter ten te de de la de las de los del della
        dello delle degli dei di da dal dalla das do dos du des le la lo y e i af av bin ben al el ibn""".split(),
        key=len,
        reverse=True,
    )
)
_PARTICLE_WORDS = frozenset(w for p in PARTICLES for w in p.split())
# titles, and the forms of address that the Romance languages, Dutch and Polish write in lower case
# mid-sentence ('la dottoressa Francesca Romano', 'mevrouw Sanne Jansen')
TITLES = (
    "Mr Mrs Ms Miss Mx Dr Dra Prof Sir Dame Lady Lord Madam M Mme Mlle Me Herr Frau Hr Fr Sr Sra Srta Dña Don "
    "Doña Sig Sig.ra Dott Dott.ssa Avv Ing Dhr Mevr Mw Pan Pani Sn Snr Snra "
    "monsieur madame mademoiselle señor señora señorita don doña signor signora signorina dottor dottore "
    "dottoressa avvocato heer mevrouw meneer pan pani senhor senhora dona doutor doutora"
).split()
# offices and forms of address written after a title ('Mr President', 'Herr Kommissar'): not names
ROLES = frozenset(
    """President Vice-President Speaker Chairman Chairwoman Chairperson Chair Commissioner Minister Secretary
    Rapporteur Ambassador Mayor Governor Judge Justice Deputy Prime Attorney General Director Chancellor Senator
    Representative Member Members Officer Inspector Colleague Colleagues Ladies Gentlemen Sir Madam Honourable
    Präsident Präsidentin Vizepräsident Vizepräsidentin Vorsitzender Vorsitzende Kommissar Kommissarin Ministerin
    Abgeordneter Abgeordnete Kollege Kollegin Kollegen Staatssekretär Bundeskanzler Bundeskanzlerin Damen Herren
    Président Présidente Vice-Président Ministre Commissaire Rapporteure Député Députée Secrétaire
    Presidente Presidenta Vicepresidente Ministro Ministra Comisario Comisaria Diputado Diputada Relator Relatora
    Señorías Señoría Commissario Commissaria Colleghi Relatore Relatrice Onorevole Deputato Deputata Senatore
    Voorzitter Commissaris Staatssecretaris Kamerlid Commissie Kamer Marszałek Premier Poseł Posłanka Komisarz
    Przewodniczący Przewodnicząca
    Ministro Deputado Deputada Relatora Senhor Senhora""".split()
)
_ROLES_LOWER = frozenset(r.lower() for r in ROLES)
_TITLES_LOWER = frozenset(t.lower() for t in TITLES)
_WORD = rf"[{UPPER}][{LOWER}]+(?:[-'’][{UPPER}]?[{LOWER}]+)*"
_INITIAL = rf"[{UPPER}]\."
_PARTICLE = "|".join(re.escape(p).replace(r"\ ", r"\s") for p in PARTICLES)
# 'Chiara della Valle', "d'Alembert", 'van den Broekhuis': particles only between or before words
_SURNAME = rf"(?:(?:{_PARTICLE})\s)*(?:[dD]['’])?{_WORD}"
_NAME = rf"(?:{_INITIAL}\s?)*{_SURNAME}(?:\s(?:{_INITIAL}\s?)*{_SURNAME}){{0,2}}|(?:{_INITIAL}\s?)+"
_TITLE = re.compile(
    rf"(?<![\w.])(?P<title>{'|'.join(re.escape(t) for t in sorted(TITLES, key=len, reverse=True))})"
    rf"(?:\.\s?|\s)(?P<name>{_NAME})"
)
_NAME_WORD = re.compile(_WORD)
_PARTICLES_AFTER = re.compile(rf"\s(?:(?:{_PARTICLE})\s)+{_WORD}")
_AFTER_GIVEN = re.compile(rf"(?:\s{_WORD})?(?:\s[{UPPER}]\.?)?\s{_SURNAME}")  # 'Sari J. Paavolainen'
_PREVIOUS_WORD = re.compile(rf"(?<![^\s])([{UPPER}][{LOWER}]+)[ \t]+$")  # a capitalised word right before
# words after a given name that make the phrase a place or a body, not a person
_NOT_SURNAME = frozenset(
    """Street Road Avenue Lane Drive Square Place Park Hospital Clinic Klinik Klinikum Hotel School University
    Church Bank Foundation Stiftung Group Company Ltd Inc GmbH AG SA SL SpA BV Srl Center Centre Zentrum
    Hospital Hôpital Hospitale Ospedale Ziekenhuis Szpital Universität Universidad Università Universiteit""".split()
)
# two or more words in capitals, or one long enough not to be an acronym ('KAJAANI', not 'IBAN')
_CAPS_RUN = re.compile(
    rf"(?<![\w.@/-])(?:[{UPPER}][{UPPER}'’-]+(?:,?[ \t]+[{UPPER}][{UPPER}'’-]+)+|[{UPPER}]{{5,}})(?![\w@/])"
)
_CAPS_TEXT = 400  # letters from which a text in capitals is a legacy letter or export, not a heading
_CAPS_WORD = re.compile(rf"[{UPPER}][{UPPER}'’-]+")
# the locales of the languages privmap reads
_LOCALES = "en_US en_GB en_IE de_DE de_AT de_CH fr_FR fr_BE es_ES it_IT nl_NL nl_BE pl_PL pt_PT pt_BR".split()
_STOP_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pl", "pt")


def titled_names(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int, str]]:
    """(start, end, title) of names written after a title: 'Mrs Anna Byrne', 'M. Dupont',
    'Dr. Kees van den Broekhuis'. Offices ('Mr President') are skipped, and lead words that are
    offices dropped ('Mr Commissioner Hahn' gives 'Hahn')."""
    for m in _TITLE.finditer(text, start, len(text) if end is None else end):
        if len(m.group("title")) == 1 and text[m.end("title")] != ".":
            continue  # 'M. Dupont' is a title; 'Stephan M Urner' a middle initial
        s, e = m.start("name"), m.end("name")
        for word in _NAME_WORD.finditer(text, s, e):
            if word.group() not in ROLES:
                break
            s = word.end() + 1
        if s < e:
            yield s, e, m.group("title")


# words after which a capitalised phrase is someone's name ('My name is Ludmiła', 'Her maiden name is
# Sandgreen', 'Directed By: Sari J. Paavolainen', 'je m'appelle', 'ich heiße', 'me llamo')
_NAME_CUE = re.compile(
    r"(?i:(?:my|his|her|their|your|maiden|last|first|full|family|given)\s+name\s+(?:is|was)|my\s+name's|"
    r"(?:last|first|family|maiden)\s+name\?|calls?\s+me|called\s+me|"
    r"(?:directed|written|signed|sung|performed|narrated|painted|composed)\s+by:?|je\s+m['’]appelle|ich\s+heiße|"
    r"me\s+llamo|mi\s+chiamo|ik\s+heet|nazywam\s+się|chamo-me|mein\s+name\s+ist|mon\s+nom\s+est|"
    r"mi\s+nombre\s+es|il\s+mio\s+nome\s+è|mijn\s+naam\s+is|o\s+meu\s+nome\s+é)"
    rf"[ \t]+(?P<name>(?:{_INITIAL}\s?)*{_SURNAME}(?:[ \t](?:[{UPPER}]\.?[ \t])?{_SURNAME}){{0,2}})"
)


def cued_names(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """(start, end) of names written after words that say a name follows, in the eight languages."""
    for m in _NAME_CUE.finditer(text, start, len(text) if end is None else end):
        words = m.group("name").split()
        while words and (words[-1] in COMMON or words[-1] in _NOT_SURNAME):
            words.pop()
        if words and words[0] not in COMMON and not is_role(" ".join(words)):
            s = m.start("name")
            yield s, text.index(words[-1], s) + len(words[-1])


def given_names_found(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int, str]]:
    """(start, end, given name) of a known given name followed by a surname: 'Jakub Wiśniewski',
    'Chiara della Valle', 'Lucía Fernández-Ortega'."""
    names = given_names()
    stop = len(text) if end is None else end
    for m in _NAME_WORD.finditer(text, start, stop):
        word = m.group()
        if word not in names or (m.start() and text[m.start() - 1] in "@./_-"):
            continue
        rest = _AFTER_GIVEN.match(text, m.end(), stop)
        if rest is None:
            continue
        words = rest.group().split()
        if any(w in COMMON or w in _NOT_SURNAME or w in ROLES for w in words):
            continue
        yield m.start(), rest.end(), word


def lone_given_names(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """(start, end) of a known given name on its own ('said Željko to Teresa', 'Hi Christin,'):
    not a word any of the eight languages uses as a common word ('Will', 'Hoffnung'), not part of a
    longer capitalised phrase ('Santa Maria Hospital'), and not a name with a surname (see
    given_names_found)."""
    names, common = given_names(), _stop_words()
    stop = len(text) if end is None else end
    for m in _NAME_WORD.finditer(text, start, stop):
        word = m.group()
        if word not in names or word.lower() in common or (m.start() and text[m.start() - 1] in "@./_-'’"):
            continue
        if _AFTER_GIVEN.match(text, m.end(), stop) or re.match(rf"[ \t]+[{UPPER}]", text[m.end() : m.end() + 2]):
            continue
        previous = _PREVIOUS_WORD.search(text, max(0, m.start() - 40), m.start())
        if previous and previous.group(1) not in COMMON and not is_title(previous.group(1)):
            continue  # 'Santa Maria', 'Hotel Victoria': one capitalised phrase
        yield m.start(), m.end()


def extend_name(text: str, start: int, end: int) -> int:
    """The end of a name found as [start, end) when particles and a surname follow it
    ('Chiara' of 'Chiara della Valle'); `end` when they do not."""
    m = _PARTICLES_AFTER.match(text, end)
    return m.end() if m else end


def recase(text: str) -> str:
    """`text` with words in capitals written as names are ('BERNADETTE KOWALCZYK' -> 'Bernadette
    Kowalczyk', 'KAJAANI' -> 'Kajaani'), and the whole text so when it is mostly capitals.
    Same length, so offsets hold; a word whose case change would change its length is kept."""
    if not _CAPS_RUN.search(text):
        return text
    letters = [c for c in text[:4000] if c.isalpha()]
    if len(letters) >= _CAPS_TEXT and sum(c.isupper() for c in letters) * 5 >= len(letters) * 4:
        return _CAPS_WORD.sub(_title_case, text)
    return _CAPS_RUN.sub(
        lambda m: _CAPS_WORD.sub(_title_case, m.group()) if _in_mixed_line(text, m) else m.group(), text
    )


# words after which a lower-case word is read as a name: greetings, name labels, signatures
_NAME_CUES = frozenset(
    """hi hello hey dear thanks thank cc attn signed regards name called named contact ask call tell met with
    bonjour salut merci cher chère nom hallo liebe lieber danke gruß grüße hola gracias querido querida nombre
    ciao caro cara grazie nome hoi beste naam cześć dzień imię olá obrigado obrigada caro""".split()
)
# 'my name is', 'je m'appelle', 'me llamo': the words after them are a name, known or not
_CALLED = frozenset(
    tuple(p.split("+"))
    for p in "name+is nom+est nombre+es nome+è naam+is me+llamo mi+chiamo ich+heiße ich+heisse m'appelle+je "
    "chamo+me nazywam+się".split()
)
# 'lives in', 'moved to', 'wohnt in': the word after them is read as a place
_PLACE_CUES = frozenset(
    tuple(p.split("+"))
    for p in "lives+in live+in living+in lived+in born+in based+in grew+in up+in flew+to travelling+to "
    "traveling+to trip+to am+in wohnt+in wohne+in lebt+in habite+à vit+à vive+en vivo+en mudé+a abita+a woont+in "
    "mieszka+w mora+em originally+from here+from come+from comes+from came+from stamme+aus komme+aus".split()
)
_LOWER_WORD = re.compile(r"(?<![\w@./:=<_-])[^\W\d_]+(?:['’-][^\W\d_]+)*")
_GAP = re.compile(r"[ \t]*[:,]?[ \t]+|[ \t]*\.[ \t]*")  # what may part a cue, a title or a name from the next word


def recase_caseless(text: str) -> str:
    """`text` typed without capitals (chat, search logs, lower-cased exports) with the names that
    something makes findable written as names: a known given name before a known surname ('anna
    schmidt'), the word after a title ('mr walsh', 'frau becker'), a known name after a greeting or
    a name label ('hi sophie', 'name: kowalczyk'). Same length, so offsets hold. NER and the other
    name cues then read only those words, not every character of a text with no capitals."""
    given, family, ordinary = _lower_names(), _lower_surnames(), ordinary_words()
    words = list(_LOWER_WORD.finditer(text))
    upper: set[int] = set()  # indexes of words to capitalise
    for i, word in enumerate(words[:-1]):
        low, after = word.group(), words[i + 1]
        if low in given and low not in ordinary and (pair := _listed(words, i, text, given, ordinary)):
            upper.update(pair)  # 'pamela, donna and andrea': a list of given names
            continue
        if not _GAP.fullmatch(text, word.end(), after.start()):
            continue
        nxt = after.group()
        if nxt in ordinary or len(nxt) < 2:
            continue
        if low in _TITLES_LOWER and low not in ordinary:
            upper.update((i, i + 1))  # 'mr walsh', 'frau becker', 'pani nowak'
        elif low in given and low not in ordinary and nxt in family:
            upper.update((i, i + 1))  # 'anna schmidt'
        elif low in _NAME_CUES and (nxt in given or nxt in family):
            upper.add(i + 1)  # 'hi sophie', 'name: kowalczyk'
        elif i and (words[i - 1].group(), low) in _PLACE_CUES:
            upper.add(i + 1)  # 'lives in harburg', 'moved here from tunisia': NER reads a place
            continue
        elif i and (words[i - 1].group(), low) in _CALLED:
            upper.add(i + 1)  # 'my name is borna jerković': whatever follows is the name
            if i + 2 < len(words) and words[i + 2].group() not in ordinary:
                upper.add(i + 2)
            continue
        else:
            continue
        j = i + 2  # a surname after the name ('mr tobias wernham', 'hi anna schmidt')
        if j < len(words) and words[j].group() in family and _GAP.fullmatch(text, words[j - 1].end(), words[j].start()):
            upper.add(j)
    if not upper:
        return text
    out, pos = [], 0
    for i in sorted(upper):
        m = words[i]
        cased = m.group()[:1].upper() + m.group()[1:]
        if len(cased) == len(m.group()):
            out.extend((text[pos : m.start()], cased))
            pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def _listed(
    words: list[re.Match[str]], i: int, text: str, given: frozenset[str], ordinary: frozenset[str]
) -> tuple[int, int] | None:
    """Word i and the next given name of a list it heads ('pamela, donna', 'donna and andrea')."""
    j = i + 1
    if j + 1 < len(words) and words[j].group() in _AND and text[words[i].end() : words[j].start()].isspace():
        j += 1
    elif text[words[i].end() : words[j].start()].strip(" \t") != ",":
        return None
    nxt = words[j].group()
    return (i, j) if nxt in given and nxt not in ordinary and text[words[j - 1].end() : words[j].start()] else None


_AND = frozenset("and und et y e i en oraz".split())


@cache
def _lower_names() -> frozenset[str]:
    return frozenset(n.lower() for n in given_names())


@cache
def _lower_surnames() -> frozenset[str]:
    return frozenset(n.lower() for n in surnames())


def recase_value(value: str) -> str:
    """A cell value in capitals written as a name is ('FENNIMORE, ORLA' -> 'Fennimore, Orla')."""
    return _CAPS_WORD.sub(_title_case, value) if value.isupper() else value


def _in_mixed_line(text: str, m: re.Match[str]) -> bool:
    """The capitals sit in a line that also has lower case: a name in a sentence, not a heading
    ('LOS HECHOS', 'I. THE CIRCUMSTANCES OF THE CASE')."""
    start = text.rfind("\n", 0, m.start()) + 1
    end = text.find("\n", m.end())
    line = text[start : len(text) if end == -1 else end]
    return any(c.islower() for c in line)


def _title_case(m: re.Match[str]) -> str:
    word = m.group()
    out = "".join(part[:1] + part[1:].lower() if part[:1].isalpha() else part for part in re.split(r"([-'’])", word))
    return out if len(out) == len(word) else word


def is_role(value: str) -> bool:
    """Every capitalised word of `value` is a title or an office ('Madam President', 'Monsieur le
    Président', 'de Commissie'): not a name."""
    words = [w for w in value.replace(".", " ").split() if w[:1].isupper()]
    return bool(words) and all(w.lower() in _ROLES_LOWER or is_title(w) for w in words)


def is_title(word: str) -> bool:
    """'Frau', 'Sra.', 'dottoressa', 'MONSIEUR': a title or form of address, in any case."""
    return word.rstrip(".").lower() in _TITLES_LOWER


def particle(word: str) -> bool:
    return word in _PARTICLE_WORDS


def known_name(value: str) -> bool:
    """A word of `value` is a known given name or surname ('Sánchez', 'Wójcik')."""
    given, family = given_names(), surnames()
    return any(w in given or w in family for w in re.findall(r"[^\W\d_]+", value))


@cache
def _stop_words() -> frozenset[str]:
    """spaCy's stop-word lists of the eight languages (they ship with spaCy, no model needed)."""
    out: set[str] = set()
    for language in _STOP_LANGUAGES:
        out.update(import_module(f"spacy.lang.{language}.stop_words").STOP_WORDS)
    return frozenset(out)


@cache
def ordinary_words() -> frozenset[str]:
    """Stop words of the eight languages (lower case) that are nobody's given name or surname:
    capitalised only at a sentence start ('Pouvez', 'Anbei', 'Nosotros'), never a name or place."""
    names = {n.lower() for n in given_names() | surnames()}
    return frozenset(w for w in _stop_words() if w not in names)


@cache
def surnames() -> frozenset[str]:
    """Surnames of the locales privmap reads (Faker's person providers)."""
    out: set[str] = set()
    for locale in _LOCALES:
        out.update(getattr(import_module(f"faker.providers.person.{locale}").Provider, "last_names", None) or ())
    return frozenset(n for n in out if n not in COMMON and n not in ROLES)


@cache
def given_names() -> frozenset[str]:
    """Given names of the locales privmap reads (Faker's person providers), minus words that are
    capitalised for grammar ('May', 'Will' at a sentence start stay ambiguous: they need a surname)."""
    out: set[str] = set()
    for locale in _LOCALES:
        provider = import_module(f"faker.providers.person.{locale}").Provider
        for attr in ("first_names", "first_names_male", "first_names_female"):
            out.update(getattr(provider, attr, None) or ())
    return frozenset(n for n in out if " " not in n and n not in COMMON and n not in ROLES)
