"""Detection through the Presidio engine, on the entities the foundation promises."""

import pytest

from privmap.model import Chunk, Location

CASES = [
    ("EMAIL_ADDRESS", "Please write to aoife.murphy@mailbox.ie about the invoice.", "aoife.murphy@mailbox.ie"),
    ("PHONE_NUMBER", "My phone number is +44 20 7946 0958, call after 5.", "+44 20 7946 0958"),
    ("CREDIT_CARD", "Card on file: 4929 1234 5678 9015, expires 05/27.", "4929 1234 5678 9015"),
    ("IBAN_CODE", "Refund to IBAN DE89370400440532013000 please.", "DE89370400440532013000"),
    ("IP_ADDRESS", "Login from 81.2.69.160 failed twice.", "81.2.69.160"),
    ("PERSON", "Yesterday Maria Schneider signed the model release.", "Maria Schneider"),
    ("LOCATION", "The shoot took place in Barcelona last spring.", "Barcelona"),
]


@pytest.mark.parametrize(("entity", "text", "value"), CASES, ids=[c[0] for c in CASES])
def test_detects(detector, entity, text, value):
    spans = detector.spans(text)
    assert any(s.entity == entity and text[s.start : s.end] == value for s in spans), spans


def test_card_number_failing_luhn_is_not_a_card(detector):
    assert not [s for s in detector.spans("Card on file: 4929 1234 5678 9012.") if s.entity == "CREDIT_CARD"]


def test_noise_entities_are_ignored_by_default(detector):
    assert {s.entity for s in detector.spans("See https://example.org on 12 March 2024.")} & {
        "URL",
        "DATE_TIME",
    } == set()


def test_findings_aggregate_count_distinct_and_mask(detector):
    loc = Location("s", "file:///a.csv", field="email")
    chunk = Chunk(loc, "anna@x-mail.ie\nliam@y-mail.ie\nanna@x-mail.ie", "values", ("email",))
    [finding] = [f for f in detector.detect([chunk]) if f.entity == "EMAIL_ADDRESS"]
    assert (finding.count, finding.distinct) == (3, 2)
    assert finding.category == "user.contact.email"
    assert finding.preview == "a***@x***.ie" and "anna" not in finding.preview
    assert finding.location == loc


def test_allow_list(tmp_path):
    from privmap.config.models import DetectionConfig
    from privmap.detectors.detector import Detector

    allowing = Detector(DetectionConfig(allow_list=["support@pixel.example"]), b"k")
    assert not allowing.spans("Write to support@pixel.example for help.")


def test_french_text_uses_the_french_model(detector):
    text = "Hier, le requérant Pierre Lefèvre a rencontré son avocat à Marseille pour préparer l'audience."
    spans = {(text[s.start : s.end], s.entity, s.why) for s in detector.spans(text)}
    # a known given name and surname needs no NER; the place does, and the French model reads it
    assert ("Pierre Lefèvre", "PERSON", "given name and surname") in spans
    assert ("Marseille", "LOCATION", "NER fr_core_news_sm") in spans


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Le rapport de M. Dupont a été transmis.", "Dupont"),
        ("El informe del Sr. García fue enviado.", "García"),
        ("Der Bericht von Frau Schäfer wurde gesendet.", "Schäfer"),
        ("Mrs Anna Byrne called about her order.", "Anna Byrne"),
    ],
)
def test_titles_mark_names_in_any_language(detector, text, name):
    assert any(s.entity == "PERSON" and name in text[s.start : s.end] for s in detector.spans(text))


@pytest.mark.parametrize(
    "address", ["221B Baker Street", "12 rue de la Paix", "Hauptstraße 5", "Calle Mayor 7", "ul. Długa 7"]
)
def test_street_addresses(detector, address):
    text = f"Please send it to {address} before Monday."
    assert [text[s.start : s.end] for s in detector.spans(text) if s.entity == "LOCATION"] == [address]


def test_test_values_are_flagged_not_dropped(detector):
    [card] = detector.spans("Use card 4111 1111 1111 1111 in staging.")
    assert card.entity == "CREDIT_CARD" and card.test_data
    loc = Location("s", "file:///doc.txt")
    chunks = [Chunk(loc, "Write to dev@example.com or anna@mailbox.ie, or test@example.org.")]
    [finding] = detector.detect(chunks)
    assert (finding.entity, finding.count, finding.test_data) == ("EMAIL_ADDRESS", 1, False)
    [only_test] = detector.detect([Chunk(loc, "Write to dev@example.com.")])
    assert only_test.test_data and only_test.why.startswith("pattern EMAIL_ADDRESS")


def test_per_entity_thresholds():
    from privmap.config.models import DetectionConfig
    from privmap.detectors.detector import Detector

    strict = Detector(DetectionConfig(thresholds={"PERSON": 0.99}), b"k")
    text = "Yesterday Maria Schneider wrote to maria@mailbox.ie."
    assert [s.entity for s in strict.spans(text)] == ["EMAIL_ADDRESS"]


def test_log_lines_never_reach_ner(detector):
    from privmap.detectors import engine

    line = '81.2.69.160 - - [01/May/2025] "GET /a HTTP/1.1" 200 512 "-" "Mozilla/5.0 (X11; Linux x86_64)"'
    assert list(engine.candidates(line)) == []
    assert [s.entity for s in detector.spans(line)] == ["IP_ADDRESS"]


def test_lower_case_prose_still_gets_ner(detector):
    text = "they had three kids: pamela, donna and andrea."
    assert "PERSON" in {s.entity for s in detector.spans(text)}


def test_missing_model_is_a_clear_error():
    from privmap.config.models import DetectionConfig
    from privmap.detectors.detector import Detector
    from privmap.detectors.engine import ModelMissing

    with pytest.raises(ModelMissing, match="de_core_news_sm"):
        Detector(DetectionConfig(models={"de": "de_core_news_sm"}), b"k")


def test_why_names_the_context_word_never_the_token_around_it(detector):
    text = "write to anna.kowalska-phone 06 12 34 56 78 tonight"
    spans = detector.spans(text, language="en")
    assert spans and all("kowalska" not in s.why and "anna" not in s.why for s in spans)


def test_every_identifier_value_is_indexed_with_its_row(detector):
    from privmap.identifiers import keyed, normalise, phone_regions

    loc = Location("s", "sqlite:///crm#accounts")
    emails = Chunk(loc.refine(field="email"), "Anna@X-Mail.ie\nliam@y-mail.ie", "values", ("email",), rows=(0, 2))
    phones = Chunk(loc.refine(field="phone"), "01 555 0142\n+353 1 555 0199", "values", ("phone",), rows=(0, 2))
    found = {f.entity: f for f in detector.detect([emails, phones], country="IE")}
    secret = detector.secret

    def key(kind, value):
        return keyed(secret, kind, normalise(kind, value, phone_regions("IE")))

    assert set(found["EMAIL_ADDRESS"].occurrences) == {
        (key("email", "anna@x-mail.ie"), 0),
        (key("email", "liam@y-mail.ie"), 2),
    }
    # the national number was read in the store's country: it meets the request's international spelling
    assert (key("phone", "+353 1 555 0142"), 0) in found["PHONE_NUMBER"].occurrences
    assert len(found["PHONE_NUMBER"].occurrences) == 2


def test_test_values_and_prose_are_indexed_without_rows(detector):
    loc = Location("s", "file:///notes.txt")
    text = "Write to anna@x-mail.ie or to demo@example.com."
    [finding] = [f for f in detector.detect([Chunk(loc, text)]) if f.entity == "EMAIL_ADDRESS"]
    assert [row for _, row in finding.occurrences] == [-1]  # example.com is documentation, not a person's
