"""Places NER misses or calls people (towns after words of place, military post, address blocks as
people quote, bullet or mis-decode them, lower-case street words), and names after words that name someone."""

from __future__ import annotations

import pytest

from privmap.config.models import DetectionConfig
from privmap.detectors.detector import Detector
from privmap.detectors.people_places import addresses, cued_places


@pytest.fixture(scope="module")
def detector():
    return Detector(DetectionConfig(), secret=b"test-secret")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Ms. Okafor flew to Tromsdalen on Friday morning.", ["Tromsdalen"]),  # en, NER says PERSON
        ("I am in Vellinge for a week, then back to Skurup.", ["Vellinge", "Skurup"]),
        ("She is originally from Castelnuovo di Porto, and 41.", ["Castelnuovo di Porto"]),
        ("She studied at the University of Pécs.", ["Pécs"]),
        ("Frau Brandt wohnt in Bad Zwischenahn seit 2019.", ["Bad Zwischenahn"]),  # de
        ("Wir ziehen nach Quedlinburg im Mai.", ["Quedlinburg"]),
        ("Mme Roux habite à Saint-Jean-de-Luz depuis mai.", ["Saint-Jean-de-Luz"]),  # fr
        ("El señor Ortiz vive en Villanueva de la Serena con su hija.", ["Villanueva de la Serena"]),  # es
        ("La signora Conti abita a Castelfranco Veneto.", ["Castelfranco Veneto"]),  # it
        ("Mevrouw Jansen woont in Zaltbommel.", ["Zaltbommel"]),  # nl
        ("Pani Nowak mieszka w Skierniewicach.", ["Skierniewicach"]),  # pl
        ("O senhor Costa mora em Vila Real de Santo António.", ["Vila Real de Santo António"]),  # pt
        ("We moved the meeting to Monday and went to the office.", []),  # no place
        ("Tickets moved to Done by the bot.", []),  # a common word is no place
    ],
)
def test_places_after_words_of_place(text, found):
    assert [text[s:e] for s, e in cued_places(text)] == found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mr. Rangel flew to Horten on Monday morning.", "Horten"),
        ("The Princess Royal arrived at Ettelgem this morning.", "Ettelgem"),
        ("I'm Katie Miles, originally from Mavčiče, and I'm 82.", "Mavčiče"),
    ],
)
def test_a_place_after_words_of_place_is_not_a_person(detector, text, expected):
    spans = {(text[s.start : s.end], s.entity) for s in detector.spans(text)}
    assert (expected, "LOCATION") in spans
    assert (expected, "PERSON") not in spans


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Please ship it to USNS Halvorsen\nFPO AE 09532 by Friday.", ["USNS Halvorsen\nFPO AE 09532"]),
        ("Our address: USS Carlton, FPO AP 96601", ["USS Carlton, FPO AP 96601"]),
        ("Send to PSC 1234, Box 5678\nAPO AA 34001", ["PSC 1234, Box 5678\nAPO AA 34001"]),
        ("Unit 4526 Box 0671\nDPO AP 40902", ["Unit 4526 Box 0671\nDPO AP 40902"]),
    ],
)
def test_us_military_post_addresses(text, found):
    spans = sorted(addresses(text))
    for value in found:
        start = text.index(value)
        assert any(s <= start and e >= start + len(value) for s, e in spans), (value, spans)


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("> 2224 Trenerys gate 232\n> Apt. 342\n> TRONDHEIM\n> Norway 64389", 4),  # quoted mail, lower 'gate'
        ("??? 2274 Via delle Coste 41\n??? Apt. 322\n??? Colle Di Tora\n??? Italy 95787", 4),  # lost encoding
        ("* 79367 Nybyvägen 65\n* Suite 824\n* ANKARSRUM\n* Sweden 67626", 4),  # bullets
        ("- 6614 Luite tee 87\n- Apt. 931\n- Salumäe\n- Estonia 62031", 4),
        ("| 12 Kossuth Lajos utca 5.\n| Budapest\n| 1036", 3),
    ],
)
def test_address_blocks_behind_quote_marks_bullets_and_lost_characters(text, lines):
    spans = sorted(addresses(text))
    for line in text.splitlines()[:lines]:
        body = line.lstrip(">?*-| ")
        start = text.index(body)
        assert any(s <= start and e >= start + len(body) for s, e in spans), (body, spans)
    assert not any(text[s:e].startswith(("?", ">", "*", "-", "|")) for s, e in spans)  # markers are left out


@pytest.mark.parametrize(
    ("text", "street"),
    [
        ("He lives on the north side of Joaquin Suarez 2906.", "Joaquin Suarez 2906"),
        ("The bus station is on Pod Floriánem 1677", "Pod Floriánem 1677"),
        ("Pedestrians must enter on Hoge Wei 32 St. for now", "Hoge Wei 32"),
        ("The shop sits on the corner of Rua Augusta 140 and the square.", "Rua Augusta 140"),
    ],
)
def test_streets_named_without_a_house_number_before_them(text, street):
    assert street in [text[s:e] for s, e in addresses(text)]


@pytest.mark.parametrize(
    "text",
    [
        "The release is on Windows 2019 servers.",  # not after words that name a street
        "Meet on Monday 12 at the office.",
        "Figures are on page 12 of the report.",
    ],
)
def test_no_street_without_the_words_that_name_one(text):
    assert list(addresses(text)) == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Hello, my name is Ludmiła and I need help.", ["Ludmiła"]),  # en
        ("She was born in 1951. Her maiden name is Sandgreen", ["Sandgreen"]),
        ("Mystery & Suspense\nDirected By:    Sari J. Paavolainen", ["Sari J. Paavolainen"]),
        ("What's your last name? Boyle", ["Boyle"]),
        ("Bonjour, je m'appelle Jeanne Moreau.", ["Jeanne Moreau"]),  # fr
        ("Guten Tag, ich heiße Jonas Weber.", ["Jonas Weber"]),  # de
        ("Hola, me llamo Lucía Pérez García.", ["Lucía Pérez García"]),  # es
        ("Buongiorno, mi chiamo Chiara della Valle.", ["Chiara della Valle"]),  # it, with a particle
        ("Goedemiddag, mijn naam is Sanne Jansen.", ["Sanne Jansen"]),  # nl
        ("Dzień dobry, nazywam się Zofia Wójcik.", ["Zofia Wójcik"]),  # pl
        ("My name is Mr President, said nobody.", []),  # an office is no name
        ("The report was signed by The Board.", []),  # a common word is no name
    ],
)
def test_names_after_words_that_name_someone(text, found):
    from privmap.detectors.names import cued_names

    assert [text[s:e] for s, e in cued_names(text)] == found


def test_a_name_after_words_that_name_someone_is_a_person_whatever_ner_says(detector):
    text = "Hi there. My name is Quionia and I work at Areavibes."
    assert ("Quionia", "PERSON") in {(text[s.start : s.end], s.entity) for s in detector.spans(text)}
