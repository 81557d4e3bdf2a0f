import datetime as dt
from typing import Any

from privmap.checks import Evidence, run_checks
from privmap.config.models import Config
from privmap.model import StoreFact

CONFIG = Config.model_validate(
    {
        "version": 1,
        "organization": {"name": "Example Media Ltd", "country": "IE"},
        "sources": [{"name": "media", "type": "s3"}],
    }
)


def finding(store: str, entity: str = "EMAIL_ADDRESS", category: str = "user.contact.email") -> dict[str, Any]:
    return {"source": "media", "store": store, "entity": entity, "category": category, "count": 3}


def results(facts: dict[str, dict[str, Any]], findings: list[dict[str, Any]]):
    flat = [StoreFact("media", store, k, v) for store, kv in facts.items() for k, v in kv.items()]
    checks = run_checks(Evidence(CONFIG, findings, flat, dt.date(2026, 11, 29)))
    return {(c["id"], c["subject"]): c for c in checks}


def test_public_bucket_with_personal_data_is_critical_and_without_it_medium():
    facts = {
        "s3://pub": {"public": True, "public_reasons": ["ACL grants READ to AllUsers"]},
        "s3://empty-pub": {"public": True, "public_reasons": ["bucket policy is public"]},
        "s3://private": {"public": False},
    }
    got = results(facts, [finding("s3://pub"), finding("s3://private")])
    sec1 = got[("SEC-001", "store:s3://pub")]
    assert sec1["status"] == "fail" and sec1["severity"] == "critical" and "AllUsers" in sec1["evidence"]
    assert got[("SEC-001", "store:s3://private")]["status"] == "pass"
    assert got[("SEC-002", "store:s3://empty-pub")]["status"] == "fail"
    assert ("SEC-002", "store:s3://pub") not in got  # SEC-001 covers stores with personal data


def test_encryption_escalates_for_special_category_data():
    off = {"enabled": False, "algorithm": None, "kms_key": None}
    sse = {"enabled": True, "algorithm": "AES256", "kms_key": None}
    cmk = {"enabled": True, "algorithm": "aws:kms", "kms_key": "arn:aws:kms:eu-west-1:1:key/k"}
    health = finding("x", "UK_NHS", "user.health_and_medical")
    facts = {"s3://a": {"encryption": off}, "s3://b": {"encryption": off}, "s3://c": {"encryption": sse}}
    facts |= {"s3://d": {"encryption": cmk}, "s3://e": {"encryption": sse}}
    found = [finding("s3://a"), {**health, "store": "s3://b"}, {**health, "store": "s3://c"}]
    found += [{**health, "store": "s3://d"}, finding("s3://e")]
    got = results(facts, found)
    assert [got[("SEC-004", f"store:s3://{s}")]["status"] for s in "abcde"] == ["fail", "fail", "fail", "pass", "pass"]
    assert [got[("SEC-004", f"store:s3://{s}")]["severity"] for s in "abc"] == ["medium", "high", "high"]


def test_logging_is_judged_only_where_known():
    got = results(
        {"s3://a": {"logging": False}, "s3://b": {"logging": True}, "s3://c": {}},
        [finding("s3://a"), finding("s3://b"), finding("s3://c")],
    )
    assert got[("SEC-007", "store:s3://a")]["status"] == "fail"
    assert got[("SEC-007", "store:s3://b")]["status"] == "pass"
    assert ("SEC-007", "store:s3://c") not in got  # posture unreadable: a coverage gap, not a verdict


def test_spc008_gps_in_public_media():
    def gps(store: str, uri: str) -> dict[str, Any]:
        return {**finding(store, "GPS_COORDINATES", "user.location.precise"), "uri": uri}

    facts = {
        "s3://pub": {"public": True, "public_reasons": ["bucket policy is public"]},
        "s3://private": {"public": False},
    }
    found = [gps("s3://pub", "s3://pub/a.jpg"), gps("s3://private", "s3://private/b.jpg"), gps("s3://unknown", "x")]
    got = results(facts, [*found, {**finding("s3://pub"), "uri": "s3://pub/c.txt"}])
    spc = got[("SPC-008", "store:s3://pub")]
    assert spc["status"] == "fail" and "1 media file with precise location" in spc["evidence"]
    assert "s3://pub/a.jpg" in spc["evidence"] and "bucket policy is public" in spc["evidence"]
    assert got[("SPC-008", "store:s3://private")]["status"] == "pass"
    assert ("SPC-008", "store:s3://unknown") not in got  # exposure unknown: not judged
