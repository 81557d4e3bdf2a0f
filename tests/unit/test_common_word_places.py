"""An ordinary word capitalised only because it starts a sentence, a line or a cell ('Thumbnail 91
regenerated', '- Queue cleared', 'Subject: Lobby cleared') is no place and no person, whatever the
NER model calls it; real places and people at a sentence start are still found."""

from __future__ import annotations

import pytest

from privmap.detectors.detector import _sentence_start
from privmap.detectors.lexicon import common_word


def _found(detector, text: str, language: str = "en") -> list[tuple[str, str]]:
    return [
        (text[s.start : s.end], s.entity)
        for s in detector.spans(text, language=language)
        if s.entity in ("PERSON", "LOCATION")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Thumbnail 91 regenerated nightly; cache key 0000005b.",  # the model said LOCATION
        "Invoice restarted after the update.",
        "Garden restarted after the update.",
        "Queue cleared.",  # the model said PERSON
        "Email restarted after the update.",
        "Library was updated by the nightly job.",
        "Node 382 regenerated nightly; cache key 0000017e.",
        "- Queue 119 archived",  # a bullet
        "1. Scanner restarted after the update.",  # a numbered item
        "Subject: Lobby cleared",  # a mail subject
        "Deploy finished. Gateway was updated by the nightly job.",  # after a sentence's end
        '"Bison 162 sent to the customer."',  # behind a quote mark
    ],
)
def test_an_ordinary_word_at_a_sentence_start_is_no_place_or_person(detector, text):
    assert _found(detector, text) == []


def test_an_ordinary_word_at_the_start_of_a_csv_cell_is_no_place_or_person(detector):
    text = (
        "id,event,at\n1,Queue cleared after the nightly run,02:00\n"
        "2,Library was updated by the nightly job,02:05\n3,Email restarted after the update,02:10\n"
    )
    assert _found(detector, text) == []


def test_log_lines_of_an_ordinary_word_give_no_place(detector):
    lines = [f"Thumbnail {n} regenerated nightly; cache key {n:08x}." for n in range(1, 400)]
    found = detector.analyze([(line, "prose", ()) for line in lines])
    assert not any(s.entity in ("PERSON", "LOCATION") for spans in found for s in spans)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Paris is lovely in the spring.", [("Paris", "LOCATION")]),  # 'paris' is a word too (Webster's)
        ("London called about the contract.", [("London", "LOCATION")]),
        ("Nice, France is on the coast.", [("Nice, France", "LOCATION")]),
        ("Georgia is beautiful this time of year.", [("Georgia", "LOCATION")]),
        ("Turkey was our first stop.", [("Turkey", "LOCATION")]),  # a country
        ("China opened the border.", [("China", "LOCATION")]),
        ("Invoice sent. Berlin is cold.", [("Berlin", "LOCATION")]),  # a subdivision (ISO 3166-2)
        ("Phoenix is hot in summer.", [("Phoenix", "LOCATION")]),
        ("Jordan called.", [("Jordan", "PERSON")]),
        ("Jordan Smith called this morning.", [("Jordan Smith", "PERSON")]),
        ("Rose sent the report.", [("Rose", "PERSON")]),  # a given name that is a common word
        ("Baker called back.", [("Baker", "PERSON")]),  # a surname that is a common word
        ("Miller called back.", [("Miller", "PERSON")]),
        ("Sydney was sunny.", [("Sydney", "PERSON")]),  # no dictionary word: NER's call stands
        ("Our team flew to Reading on Monday.", [("Reading", "LOCATION")]),  # after words of place
    ],
)
def test_real_places_and_people_at_a_sentence_start_are_still_found(detector, text, found):
    assert _found(detector, text) == found


def test_the_dictionary_is_english_and_judges_english_text_only(detector):
    # 'orange' is an English word, Webster's has no 'Orange': in French the town is NER's call
    assert ("Orange", "LOCATION") in _found(detector, "Orange est une ville du Vaucluse.", "fr")


@pytest.mark.parametrize(
    ("text", "start", "expected"),
    [
        ("Queue cleared", 0, True),
        ("  - Queue cleared", 4, True),
        ("* Queue cleared", 2, True),
        ("12) Queue cleared", 4, True),
        ("Done. Queue cleared", 6, True),
        ("Done! Queue cleared", 6, True),
        ("Subject: Queue cleared", 9, True),
        ('He said: "Queue cleared', 10, True),
        ("ok\nQueue cleared", 3, True),
        ("we asked the Library", 13, False),
        ("Done, Queue cleared", 6, False),
        ("1,Queue cleared", 2, False),  # a cell is a start only where the caller says it begins
    ],
)
def test_sentence_starts(text, start, expected):
    assert _sentence_start(text, start) is expected


def test_a_cell_starts_a_sentence():
    assert _sentence_start("1,Queue cleared", 2, lo=2)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Thumbnail", True),
        ("Queue", True),
        ("Email", True),  # GCIDE adds the words of this century
        ("Paris", False),  # Webster's writes it both ways
        ("Nice", False),
        ("Berlin", False),  # Webster's has only 'berlin' (a carriage); ISO 3166-2 has the city
        ("Sydney", False),  # no ordinary word
        ("Okafor", False),
    ],
)
def test_common_words(word, expected):
    assert common_word(word) is expected
