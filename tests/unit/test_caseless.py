"""Text typed without capitals, and NER kept to the words no cheaper cue explains (issue 15, per core)."""

from __future__ import annotations

import pytest

from privmap.config.models import DetectionConfig
from privmap.detectors import engine
from privmap.detectors.detector import Detector
from privmap.detectors.names import recase_caseless
from privmap.detectors.people_places import countries


@pytest.fixture(scope="module")
def detector():
    return Detector(DetectionConfig(), secret=b"test-secret")


@pytest.fixture
def ner_reads(monkeypatch):
    """The texts handed to NER during a test."""
    seen: list[str] = []
    real = engine.entities

    def spy(model, texts):
        seen.extend(texts)
        return real(model, texts)

    monkeypatch.setattr(engine, "entities", spy)
    return seen


@pytest.mark.parametrize(
    ("text", "capitalised"),
    [
        ("dear mr tobias wagner, thanks", ["Mr", "Tobias", "Wagner"]),  # title, given name, surname
        ("frau becker hat angerufen", ["Frau", "Becker"]),
        ("merci madame dupont pour le dossier", ["Madame", "Dupont"]),
        ("gracias señora lópez por todo", ["Señora", "López"]),
        ("mevrouw jansen belde gisteren", ["Mevrouw", "Jansen"]),
        ("please call jonas weber tomorrow", ["Jonas", "Weber"]),  # known given name + surname
        ("ciao giulia, ci vediamo domani", ["Giulia"]),  # a greeting and a known name
        ("my name is borna jerković but everyone calls me borna", ["Borna", "Jerković"]),  # unknown name, cue
        ("me llamo lucía pérez", ["Lucía", "Pérez"]),
        ("ich heiße jonas weber", ["Jonas", "Weber"]),
        ("they had three kids: pamela, donna and andrea.", ["Pamela", "Donna", "Andrea"]),  # a list of names
        ("my friend lives in harburg", ["Harburg"]),  # a place after a cue of place
        ("wir wohnen seit jahren hier, er wohnt in kassel", ["Kassel"]),
    ],
)
def test_caseless_text_capitalises_names_a_cue_makes_findable(text, capitalised):
    out = recase_caseless(text)
    assert len(out) == len(text) and out.lower() == text.lower()  # offsets hold
    assert [w.strip(",.:") for w in out.split() if w[:1].isupper()] == capitalised


@pytest.mark.parametrize(
    "text",
    [
        "user logged in from web\npayment ok\nitem 4411 moved to archive",  # log phrases
        "mark the file as done and will retry later",  # given names that are words ('will' is a stop word)
        "cache miss for key f074af85\n200\nretry 2/3",
        "la réunion est déplacée à la semaine prochaine",
        "der upload ist gestern abend zweimal fehlgeschlagen",
    ],
)
def test_caseless_text_without_cues_stays_as_it_is_and_never_reaches_ner(text, detector, ner_reads):
    assert recase_caseless(text) == text
    assert not [s for s in detector.spans(text) if s.entity in ("PERSON", "LOCATION")]
    assert ner_reads == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ok\n4ca6e7\nplease call anna schmidt tomorrow\n200\n", ("anna schmidt", "PERSON")),
        ("retry ok\ndear mr walsh,\nsee attached", ("walsh", "PERSON")),
        ("hola maría garcía, te escribo por la factura", ("maría garcía", "PERSON")),
        ("envoyé\nbonjour, je suis madame lefèvre, merci\nstatut: ok", ("lefèvre", "PERSON")),
        ("user: 0605 πεντέλης 210 apt. 999\ndelmas, mp 35739", ("apt. 999", "LOCATION")),
    ],
)
def test_names_and_units_in_caseless_text_are_found(text, expected, detector, ner_reads):
    spans = {(text[s.start : s.end], s.entity) for s in detector.spans(text)}
    assert expected in spans
    # NER read only the lines with a cue in them, never the whole text
    assert sum(map(len, ner_reads)) < len(text)
    assert all("\n" not in t for t in ner_reads)


@pytest.mark.parametrize(
    ("text", "skipped", "kept"),
    [
        ("Pouvez-vous confirmer ? Nous avons Otto vu.", ["Pouvez-vous", "Nous"], ["Otto"]),
        ("Anbei der Vertrag. Sam kommt morgen.", ["Anbei"], ["Sam"]),
        ("Nosotros enviamos el contrato a Mia ayer.", ["Nosotros"], ["Mia"]),
        ("Sono arrivati i documenti di Chiara.", ["Sono"], ["Chiara"]),
    ],
)
def test_stop_words_at_a_sentence_start_are_no_ner_candidates_but_names_are(text, skipped, kept):
    from privmap.detectors.names import ordinary_words

    found = [text[s:e] for s, e in engine.candidates(text, ordinary_words())]
    assert not set(skipped) & set(found)
    assert set(kept) <= set(found)


@pytest.mark.parametrize(
    ("text", "name", "place"),
    [
        (
            "From: Inès Bernard\n\nJe pars à Marseille la semaine prochaine avec Élodie Leroy.",
            "Élodie Leroy",
            "Marseille",
        ),
        ("Hi Liam,\n\nI am travelling to Cork next week with Grace Walsh.\nBest regards", "Grace Walsh", "Cork"),
        (
            "Hallo Anna,\n\nich reise morgen nach Leipzig. Der Vertrag liegt bei, bitte bis Freitag unterschreiben."
            "\n\nViele Grüße\nJonas Weber",
            "Jonas Weber",
            "Leipzig",
        ),
        ("Hola Lucía,\n\nViajo a Sevilla la semana que viene con Pablo Pérez.", "Pablo Pérez", "Sevilla"),
    ],
)
def test_ner_reads_around_places_but_not_names_a_cue_already_explains(text, name, place, detector, ner_reads):
    spans = {(text[s.start : s.end], s.entity) for s in detector.spans(text)}
    assert (name, "PERSON") in spans
    assert any(place in t for t in ner_reads)  # the place needed NER
    assert not any(name in t for t in ner_reads)  # the name did not


def test_a_cue_cut_short_still_goes_to_ner(detector):
    text = "It was arranged and sung by Adam McDowell in 1975."
    spans = {(text[s.start : s.end], s.entity) for s in detector.spans(text)}
    assert ("Adam McDowell", "PERSON") in spans


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Sie zog nach Deutschland und dann ins Vereinigtes Königreich.", ["Deutschland", "Vereinigtes Königreich"]),
        ("Vive en el Reino Unido desde 2019.", ["Reino Unido"]),
        ("Shipped to Guinea-Bissau, then Guinea.", ["Guinea-Bissau", "Guinea"]),
        ("Moved from the United  Kingdom to Poland", ["United  Kingdom", "Poland"]),
        ("the united kingdom and poland in lower case", []),  # capitals make a country name
    ],
)
def test_country_names(text, found):
    assert [text[s:e] for s, e in countries(text)] == found


@pytest.mark.parametrize(
    "text",
    [
        "Anbei der unterschriebene Vertrag für das Shooting. Können Sie den Rechnungsbetrag bestätigen?",
        "Der Upload ist gestern Abend zweimal fehlgeschlagen, daher habe ich die Dateien erneut gesendet.",
        "Le envío el Contrato Base firmado. ¿Puede confirmar el Importe de la Factura?",
        "Umowa Ramowa została podpisana przez Zarząd. Proszę potwierdzić Kwotę Faktury.",
    ],
)
def test_capitalised_nouns_of_languages_read_by_the_fallback_model_never_reach_ner(text, detector, ner_reads):
    assert not [s for s in detector.spans(text) if s.entity in ("PERSON", "LOCATION")]
    assert ner_reads == []  # nothing there that the fallback model's finds could be kept for


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Anbei der Vertrag. Ich reise morgen nach Kassel.", ("Kassel", "LOCATION")),
        ("Le envío el contrato, que se firmó ayer en Madrid.", ("Madrid", "LOCATION")),
        ("Der Vertrag wurde von Jürgen Schäfer unterschrieben.", ("Jürgen Schäfer", "PERSON")),
        ("El contrato lo firmó el Sr. Esmer, abogado en ejercicio.", ("Esmer", "PERSON")),
    ],
)
def test_names_and_places_in_languages_read_by_the_fallback_model_are_still_found(text, expected, detector):
    assert expected in {(text[s.start : s.end], s.entity) for s in detector.spans(text)}
