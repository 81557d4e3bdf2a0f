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
