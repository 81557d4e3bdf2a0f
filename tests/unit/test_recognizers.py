"""Every pattern recognizer through the detector: valid, broken checksum, with and without context
words, in each language privmap reads."""

import pytest

from privmap.detectors.recognizers import RECOGNIZERS


def found(detector, text, entity):
    return [text[s.start : s.end] for s in detector.spans(text) if s.entity == entity]


# entity, text with a valid value, the value, the same text with a broken value
STRONG = [
    ("EMAIL_ADDRESS", "Write to aoife.murphy@mailbox.ie today.", "aoife.murphy@mailbox.ie", "Write to aoife@ today."),
    ("IP_ADDRESS", "Login from 81.2.69.160 failed.", "81.2.69.160", "Login from 81.2.69.999 failed."),
    ("IP_ADDRESS", "Login from 2a02:c7f:1234::1 failed.", "2a02:c7f:1234::1", "Version 1:2 failed."),
    (
        "CREDIT_CARD",
        "Paid with 4929 1234 5678 9015 today.",
        "4929 1234 5678 9015",
        "Paid with 4929 1234 5678 9012 today.",
    ),
    (
        "IBAN_CODE",
        "Refund to DE44 5001 0517 5407 3249 31.",
        "DE44 5001 0517 5407 3249 31",
        "Refund to DE44 5001 0517 5407 3249 32.",
    ),
    ("PHONE_NUMBER", "Reach me at +44 20 7946 0958.", "+44 20 7946 0958", "Reach me at +44 20 79."),
    ("US_SSN", "Form filed with 536-90-4399 attached.", "536-90-4399", "Form filed with 666-90-4399 attached."),
    ("US_ITIN", "Form filed with 912-71-1234 attached.", "912-71-1234", "Form filed with 912-41-1234 attached."),
    ("UK_NINO", "Form filed with AB 12 34 56 C attached.", "AB 12 34 56 C", "Form filed with QQ 12 34 56 C attached."),
    ("FR_NIR", "Dossier 2 95 10 99 126 111 93 reçu.", "2 95 10 99 126 111 93", "Dossier 2 95 10 99 126 111 94 reçu."),
    ("ES_NIF", "Expediente 54362315K recibido.", "54362315K", "Expediente 54362315Z recibido."),
    ("ES_NIE", "Expediente X2482300W recibido.", "X2482300W", "Expediente X2482300A recibido."),
    ("IT_FISCAL_CODE", "Pratica RCCMNL83S18D969H ricevuta.", "RCCMNL83S18D969H", "Pratica RCCMNL83S18D969X ricevuta."),
    ("EU_VAT", "Rechnung an DE136695976 gesendet.", "DE136695976", "Rechnung an DE136695977 gesendet."),
]


@pytest.mark.parametrize(("entity", "text", "value", "broken"), STRONG, ids=[c[0] for c in STRONG])
def test_strong_patterns_need_no_context_but_a_valid_value(detector, entity, text, value, broken):
    assert found(detector, text, entity) == [value]
    assert found(detector, broken, entity) == []


# entity, value that is ambiguous alone, {language: text with a context word}
WEAK = [
    (
        "PHONE_NUMBER",
        "72 128 827",
        {
            "en": "Call me on {v} tonight.",
            "de": "Telefon: {v}",
            "fr": "Téléphone : {v}",
            "es": "Teléfono: {v}",
            "it": "Telefono: {v}",
            "nl": "Telefoon: {v}",
            "pl": "Numer telefonu: {v}",
        },
    ),
    (
        "CREDIT_CARD",
        "1800018947182467",
        {
            "en": "My card {v} was lost.",
            "de": "Meine Kreditkarte {v} ist weg.",
            "fr": "Ma carte {v} est perdue.",
            "es": "Mi tarjeta {v} se perdió.",
            "it": "La mia carta {v} è persa.",
            "nl": "Mijn creditcard {v} is kwijt.",
            "pl": "Moja karta {v} zginęła.",
        },
    ),
    (
        "US_PASSPORT",
        "X12345678",
        {
            "en": "Passport number {v}",
            "de": "Reisepass {v}",
            "fr": "Passeport {v}",
            "es": "Pasaporte {v}",
            "it": "Passaporto {v}",
            "nl": "Paspoort {v}",
            "pl": "Paszport {v}",
        },
    ),
    (
        "US_DRIVER_LICENSE",
        "F162823540116",
        {
            "en": "My driver's license number is {v}",
            "de": "Führerschein: {v}",
            "fr": "Permis de conduire : {v}",
            "es": "Licencia de conducir: {v}",
            "it": "Patente di guida: {v}",
            "nl": "Rijbewijs: {v}",
            "pl": "Prawo jazdy: {v}",
        },
    ),
    ("US_SSN", "536904399", {"en": "SSN {v}"}),
    ("UK_NHS", "943 476 5919", {"en": "NHS number {v}"}),
    ("DE_TAX_ID", "36574261809", {"de": "Steuer-ID: {v}", "en": "Tax ID {v}"}),
    ("NL_BSN", "111222333", {"nl": "Burgerservicenummer: {v}", "en": "BSN {v}"}),
    ("PL_PESEL", "44051401359", {"pl": "PESEL: {v}"}),
    ("GPS_COORDINATES", "52.520008, 13.404954", {"en": "GPS {v}"}),
    (
        "DATE_OF_BIRTH",
        "17/03/1984",
        {
            "en": "DOB: {v}",
            "de": "Geburtsdatum: {v}",
            "fr": "Date de naissance : {v}",
            "es": "Fecha de nacimiento: {v}",
            "it": "Data di nascita: {v}",
            "nl": "Geboortedatum: {v}",
            "pl": "Data urodzenia: {v}",
            "pt": "Data de nascimento: {v}",
        },
    ),
]
WEAK_CASES = [(entity, value, lang, text) for entity, value, texts in WEAK for lang, text in texts.items()]


@pytest.mark.parametrize(("entity", "value", "lang", "text"), WEAK_CASES, ids=[f"{c[0]}-{c[2]}" for c in WEAK_CASES])
def test_weak_patterns_count_with_a_context_word(detector, entity, value, lang, text):
    assert found(detector, text.format(v=value), entity) == [value]


@pytest.mark.parametrize(("entity", "value"), [(e, v) for e, v, _ in WEAK], ids=[c[0] for c in WEAK])
def test_weak_patterns_alone_are_not_reported(detector, entity, value):
    assert found(detector, f"Reference {value} was processed.", entity) == []


@pytest.mark.parametrize(
    ("entity", "value", "text"),
    [
        ("US_SSN", "666904399", "SSN {v}"),  # no checksum, but area 666 is never issued
        ("UK_NHS", "943 476 5918", "NHS number {v}"),
        ("DE_TAX_ID", "36574261808", "Steuer-ID: {v}"),
        ("NL_BSN", "111222334", "BSN {v}"),
        ("PL_PESEL", "44051401358", "PESEL: {v}"),
        ("GPS_COORDINATES", "95.520008, 13.404954", "GPS {v}"),  # no latitude beyond 90
    ],
)
def test_context_does_not_rescue_a_broken_checksum(detector, entity, value, text):
    assert found(detector, text.format(v=value), entity) == []


def test_every_recognized_entity_is_tested():
    tested = {c[0] for c in STRONG} | {c[0] for c in WEAK} | {"URL"}
    assert {r.entity for r in RECOGNIZERS} == tested


def test_nearest_context_word_decides_between_recognizers(detector):
    spans = detector.spans("SSN on file; passport 123456780 attached.")
    assert [s.entity for s in spans] == ["US_PASSPORT"]


def test_explanations_name_pattern_checksum_and_context(detector):
    [span] = detector.spans("Steuer-ID: 36574261809")
    assert span.why == "pattern DE_TAX_ID; idnr check; context word 'steuer-id'"
