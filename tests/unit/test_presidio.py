"""Presidio recognizers inside privmap's detector: the default set, users' own by import path,
overlaps with privmap's spans, the gate, and config errors that name the key."""

from __future__ import annotations

import inspect
import re

import pytest

from privmap.config import ConfigError, load_config
from privmap.config.models import PRESIDIO_RECOGNIZERS, DetectionConfig, PresidioConfig
from privmap.data import category_of, load_table
from privmap.detectors.detector import Detector
from privmap.detectors.presidio import RecognizerFailed
from privmap.model import Chunk, Location
from privmap.pipeline import build_detector

CUSTOM = "tests.presidio_recognizers"

# recognizer, entity, a text with a valid value (and a context word where its pattern is weak or scores
# only the threshold, which a bare shape with no checksum needs), the value
DEFAULTS = [
    ("AuMedicareRecognizer", "AU_MEDICARE", "Medicare card 4911862527 on file.", "4911862527"),
    ("AuTfnRecognizer", "AU_TFN", "My tax file number (TFN) is 628194821.", "628194821"),
    ("CryptoRecognizer", "CRYPTO", "Pay 1LcERd9jiJfPBgqKJEasK5FyanBk11zxmS now", "1LcERd9jiJfPBgqKJEasK5FyanBk11zxmS"),
    ("DeFuehrerscheinRecognizer", "DE_FUEHRERSCHEIN", "Führerschein: OL29170342X", "OL29170342X"),
    ("DeHealthInsuranceRecognizer", "DE_HEALTH_INSURANCE", "Krankenversichertennummer A139624595", "A139624595"),
    ("DeIdCardRecognizer", "DE_ID_CARD", "Personalausweis Nr. H3NGGZYT1", "H3NGGZYT1"),
    ("DePassportRecognizer", "DE_PASSPORT", "Reisepass LT09YXCF1", "LT09YXCF1"),
    ("DeSocialSecurityRecognizer", "DE_SOCIAL_SECURITY", "Rentenversicherungsnummer 53140147U986", "53140147U986"),
    ("EsPassportRecognizer", "ES_PASSPORT", "Número de pasaporte ISR667073", "ISR667073"),
    ("FiPersonalIdentityCodeRecognizer", "FI_PERSONAL_IDENTITY_CODE", "Henkilötunnus 080377-913W", "080377-913W"),
    ("InAadhaarRecognizer", "IN_AADHAAR", "Aadhaar 309293432388", "309293432388"),
    ("InPanRecognizer", "IN_PAN", "Applicant PAN DKRHH4039E filed the form.", "DKRHH4039E"),
    ("InPassportRecognizer", "IN_PASSPORT", "Indian passport E8073319", "E8073319"),
    ("InVehicleRegistrationRecognizer", "IN_VEHICLE_REGISTRATION", "Vehicle MH76PW3269 was parked.", "MH76PW3269"),
    ("InVoterRecognizer", "IN_VOTER", "Voter ID SDY6013977", "SDY6013977"),
    ("ItDriverLicenseRecognizer", "IT_DRIVER_LICENSE", "Patente di guida YI0342232X", "YI0342232X"),
    ("ItIdentityCardRecognizer", "IT_IDENTITY_CARD", "Carta d'identità RT07891SL", "RT07891SL"),
    ("ItPassportRecognizer", "IT_PASSPORT", "Numero passaporto LP9736654", "LP9736654"),
    ("KrDriverLicenseRecognizer", "KR_DRIVER_LICENSE", "운전면허 18-47-908472-17", "18-47-908472-17"),
    ("KrFrnRecognizer", "KR_FRN", "FRN 800323-6456325", "800323-6456325"),
    ("KrPassportRecognizer", "KR_PASSPORT", "Korean passport R007P2004", "R007P2004"),
    ("KrRrnRecognizer", "KR_RRN", "Registered under RRN 940520-4499711 today.", "940520-4499711"),
    ("MacAddressRecognizer", "MAC_ADDRESS", "Device 70:40:FC:6D:34:0C joined the network.", "70:40:FC:6D:34:0C"),
    ("MedicalLicenseRecognizer", "MEDICAL_LICENSE", "DEA number ME4848795", "ME4848795"),
    ("SePersonnummerRecognizer", "SE_PERSONNUMMER", "Kund 801108-5209 registrerad.", "801108-5209"),
    ("SgFinRecognizer", "SG_NRIC_FIN", "NRIC holder G4534664T applied.", "G4534664T"),
    ("ThTninRecognizer", "TH_TNIN", "Thai ID 3173996263027", "3173996263027"),
    ("UkDrivingLicenceRecognizer", "UK_DRIVING_LICENCE", "DVLA licence ULPRJ807165GB3NE", "ULPRJ807165GB3NE"),
    ("UkPassportRecognizer", "UK_PASSPORT", "British passport CA9849152", "CA9849152"),
]  # fmt: skip


def found(detector: Detector, text: str) -> list[tuple[str, str, str]]:
    return [(text[s.start : s.end], s.entity, s.why) for s in detector.spans(text)]


def presidio(**options: object) -> Detector:
    return Detector(DetectionConfig(presidio=PresidioConfig(**options)), b"k")


@pytest.mark.parametrize(("name", "entity", "text", "value"), DEFAULTS, ids=[c[0] for c in DEFAULTS])
def test_each_default_recognizer_finds_a_valid_value_of_a_mapped_entity(detector, name, entity, text, value):
    [(got, got_entity, why)] = found(detector, text)
    assert (got, got_entity) == (value, entity)
    assert why.split(";")[0] == f"presidio:{name}"
    assert load_table("entity_categories")["entities"][entity]["category"], entity


def test_the_table_covers_every_default_recognizer():
    assert [c[0] for c in DEFAULTS] == list(PRESIDIO_RECOGNIZERS)


def test_every_entity_of_presidio_pattern_recognizers_has_a_category_row():
    from presidio_analyzer import PatternRecognizer, predefined_recognizers

    rows = load_table("entity_categories")["entities"]
    classes = [c for _, c in inspect.getmembers(predefined_recognizers, inspect.isclass)]
    entities = {e for c in classes if issubclass(c, PatternRecognizer) for e in c().supported_entities}
    assert len(entities) > 60
    assert sorted(entities - set(rows)) == []


def test_weak_shapes_need_their_context_word_and_a_valid_checksum(detector):
    assert found(detector, "Ref 628194821 attached.") == []  # a TFN-valid number, and nothing says it is one
    assert found(detector, "My tax file number (TFN) is 628194822.") == []  # checksum fails
    assert found(detector, "Carta d'identità 628194821") == []  # a context word, but not this shape's


def test_context_off_keeps_presidios_scores():
    [(value, entity, why)] = found(presidio(context=False), "Ref 628194821 attached.")
    assert (value, entity, why) == ("628194821", "AU_TFN", "presidio:AuTfnRecognizer; validated")


def test_privmaps_own_span_wins_an_overlap(detector):
    # a valid TFN that is also a valid Irish phone number: privmap's phone span stands
    text = "My TFN is 123 456 782."
    assert found(detector, text) == [("123 456 782", "PHONE_NUMBER", "pattern PHONE_NUMBER; valid IE number")]
    without_phones = Detector(DetectionConfig(ignore_entities=["PHONE_NUMBER"]), b"k")
    assert [e for _, e, _ in found(without_phones, text)] == ["AU_TFN"]  # Presidio did find it
    # a Presidio score above privmap's does not change that
    everything = presidio(recognizers=[], custom=[f"{CUSTOM}:EverythingRecognizer"])
    text = "Write to aoife.murphy@mailbox.ie today."
    assert found(everything, text) == [("aoife.murphy@mailbox.ie", "EMAIL_ADDRESS", "pattern EMAIL_ADDRESS")]
    assert found(everything, "nothing personal") == [
        ("nothing personal", "WHOLE_TEXT", "presidio:EverythingRecognizer")
    ]


def test_custom_recognizers_by_import_path(tmp_path):
    detector = presidio(custom=[f"{CUSTOM}:EmployeeIdRecognizer", f"{CUSTOM}:TICKET"])
    text = "Staff member EMP-004211 opened TCK12345."
    assert found(detector, text) == [
        ("EMP-004211", "EMPLOYEE_ID", "presidio:EmployeeIdRecognizer; context word 'staff'"),
        ("TCK12345", "TICKET_ID", "presidio:TicketRecognizer"),
    ]
    assert [e for _, e, _ in found(detector, "Badge EMP-004211 opened TCK12345.")] == ["TICKET_ID"]
    assert category_of("EMPLOYEE_ID") == "user"  # unknown entities are still personal data


def test_column_names_back_presidio_matches(detector):
    chunk = Chunk(
        Location("crm", "sqlite:///crm.db/customers", field="tfn"), "628194821\n460139470", "values", ("tfn",)
    )
    [finding] = detector.detect([chunk])
    assert (finding.entity, finding.category, finding.count) == ("AU_TFN", category_of("AU_TFN"), 2)
    assert finding.preview == "*******21" and finding.why == "presidio:AuTfnRecognizer; validated; column name 'tfn'"
    assert category_of("AU_TFN") == "user.government_id.national_identification_number"
    table = "name,tfn\nAnna Byrne,628194821\nLiam Walsh,460139470\n"
    assert [e for _, e, _ in found(detector, table)] == ["PERSON", "AU_TFN", "PERSON", "AU_TFN"]


def test_thresholds_allow_list_and_ignored_entities_apply():
    text = "Applicant DKRHH4039E filed the form."
    assert found(Detector(DetectionConfig(thresholds={"IN_PAN": 0.9}), b"k"), text) == []
    assert found(Detector(DetectionConfig(allow_list=["dkrhh4039e"]), b"k"), text) == []
    ignoring = Detector(DetectionConfig(ignore_entities=["IN_PAN"]), b"k")
    assert found(ignoring, text) == []
    assert "InPanRecognizer" not in {p.name for p in ignoring.gate.plugged}


def test_the_gate_runs_only_recognizers_that_can_report(detector):
    gated = lambda text, names=frozenset(): {p.name for p in detector.gate.gated(text, names)}  # noqa: E731
    assert gated("Plain words, no identifiers at all.") == set()
    assert gated("Ref 628194821 attached.") == set()  # weak shapes only, and no context word
    assert "AuTfnRecognizer" in gated("TFN 628194821")
    assert "AuTfnRecognizer" in gated("628194821", frozenset({"tfn"}))  # a column name is context too
    assert "AuTfnRecognizer" in gated("TFN 628\u00a0194\u00a0821")  # Python's \s matches a no-break space
    assert "InPanRecognizer" in gated("DKRHH4039E")  # a pattern that stands alone
    everything = presidio(custom=[f"{CUSTOM}:EverythingRecognizer"]).gate
    assert [p.name for p in everything.gated("x")] == ["EverythingRecognizer"]  # no patterns: runs on every text


def test_no_recognizers_no_gate():
    assert presidio(recognizers=[]).gate is None


def test_a_recognizer_failing_mid_scan_names_itself_not_the_text():
    detector = presidio(recognizers=[], custom=[f"{CUSTOM}:FailsOnDigits"])
    with pytest.raises(RecognizerFailed, match=r"^Presidio recognizer FailsOnDigits failed: ValueError$"):
        detector.spans("Staff EMP-004211")


BAD = [
    ("recognizers: [AuTfnRecognizer, AuTfnRecogniser]", "recognizers[1]", "'AuTfnRecogniser' is not one of Presidio's"),
    ("recognizers: [SpacyRecognizer]", "recognizers[0]", "reads the entities of Presidio's NLP engine"),
    ("custom: ['nowhere.recognizers:Mine']", "custom[0]", "cannot import nowhere.recognizers: ModuleNotFoundError"),
    (f"custom: ['{CUSTOM}:Missing']", "custom[0]", f"module {CUSTOM} has no Missing"),
    (f"custom: ['{CUSTOM}:NOT_A_RECOGNIZER']", "custom[0]", "is not a Presidio EntityRecognizer"),
    (f"custom: ['{CUSTOM}:NeedsArguments']", "custom[0]", r"cannot build .*NeedsArguments\(\): TypeError"),
    (f"custom: ['{CUSTOM}:NeedsNlpEngine']", "custom[0]", "fails without Presidio's NLP engine: AttributeError"),
    ("custom: ['mypkg.recognizers.Mine']", "custom[0]", "expected 'package.module:ClassName'"),
    ("contexts: true", "contexts", "unknown key"),
]  # fmt: skip


@pytest.mark.parametrize(("block", "key", "message"), BAD, ids=[c[1] + ":" + c[2][:24] for c in BAD])
def test_config_errors_name_the_file_line_and_key(write_config, block, key, message):
    path = write_config(
        "- {name: files, type: local, region: eu-west-1, options: {path: .}}",
        f"detection:\n  min_score: 0.5\n  presidio:\n    {block}\n",
    )
    with pytest.raises(ConfigError) as caught:
        build_detector(load_config(path), b"k")
    [issue] = caught.value.issues
    assert (issue.file, issue.line) == (str(path), 8)
    assert str(issue).startswith(f"{path}:8: detection.presidio.{key}: ")
    assert re.search(message, issue.message), issue.message
