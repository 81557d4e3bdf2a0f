"""Checks from the data (SEC-009, SPC-004, SPC-005) and on database posture (SEC-005, SEC-010, SEC-011)."""

import datetime as dt
from typing import Any

import pytest

from privmap.checks import Evidence, run_checks
from privmap.config.models import Config
from privmap.detectors.credentials import hash_scheme, password_column
from privmap.detectors.masking import mask
from privmap.model import StoreFact

CONFIG = Config.model_validate(
    {"version": 1, "organization": {"name": "Example Ltd", "country": "IE"}, "sources": [{"name": "crm", "type": "x"}]}
)
DB = "postgres://db:5432/crm"


def finding(entity: str, field: str, why: str = "", category: str = "user.authorization.credentials") -> dict[str, Any]:
    uri = f"{DB}#public.users"
    return {"source": "crm", "store": DB, "uri": uri, "field": field, "entity": entity, "category": category,
            "count": 4, "why": why}  # fmt: skip


def results(findings: list[dict[str, Any]], facts: dict[str, Any] | None = None) -> dict[tuple[str, str], Any]:
    flat = [StoreFact("crm", DB, k, v) for k, v in (facts or {}).items()]
    return {(c["id"], c["subject"]): c for c in run_checks(Evidence(CONFIG, findings, flat, dt.date(2026, 11, 30)))}


@pytest.mark.parametrize(
    ("value", "scheme"),
    [
        ("$2b$12$C6UzMDM.H6dfI/f/IKcEeO5rDbL5RkvW1pZWkEM3bYdJq2VmYH2dK", "bcrypt"),
        ("$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG", "argon2"),
        ("$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E", "scrypt"),
        ("$pbkdf2-sha256$29000$N2YMIWQsBWBMae09x1jrPQ$1t8iyB2A.WF/Z5JZv.lfCIhXXN33N23OSgQYThBYRfk", "pbkdf2_sha256"),
        ("$6$rounds=5000$saltsalt$" + "a" * 86, "sha512_crypt"),
        ("5f4dcc3b5aa765d61d8327deb882cf99", "hex_md5"),
        ("Summer2024!", None),
        ("correct horse battery staple", None),
    ],
)
def test_hash_formats_are_recognised(value, scheme):
    assert hash_scheme(value) == scheme


def test_password_columns_by_name():
    assert password_column(frozenset({"password"})) and password_column(frozenset({"user", "passwort"}))
    assert not password_column(frozenset({"password", "changed", "at"}))  # about the password, not it
    assert not password_column(frozenset({"passport", "no"}))


def test_passwords_are_masked_completely_and_hashes_to_their_scheme():
    assert mask("PASSWORD", "Summer2024!") == "********"
    assert mask("PASSWORD_HASH", "$2b$12$C6UzMDM.H6dfI/f/IKcEeO5r") == "$2b$***"
    assert mask("PASSWORD_HASH", "5f4dcc3b5aa765d61d8327deb882cf99") == "***"


def test_sec009_fails_on_plaintext_and_weak_hashes_and_passes_strong_ones():
    plain = finding("PASSWORD", "password", "column name 'password'; not a password hash format")
    bcrypt = finding("PASSWORD_HASH", "password_hash", "column name 'password_hash'; bcrypt hash")
    md5 = finding("PASSWORD_HASH", "legacy_pw", "column name 'legacy_pw'; hex_md5 hash")
    subject = ("SEC-009", f"store:{DB}")
    got = results([plain, bcrypt])[subject]
    assert got["status"] == "fail" and "password (4)" in got["evidence"]
    got = results([md5, bcrypt])[subject]
    assert got["status"] == "fail" and "hex_md5" in got["evidence"] and "bcrypt" not in got["evidence"]
    got = results([bcrypt])[subject]
    assert got["status"] == "pass" and "bcrypt" in got["evidence"]
    assert subject not in results([finding("EMAIL_ADDRESS", "email", category="user.contact.email")])


def test_card_numbers_and_government_ids():
    card = finding("CREDIT_CARD", "card", category="user.financial.credit_card")
    pps = finding("IE_PPS", "pps", category="user.government_id.national_identification_number")
    email = finding("EMAIL_ADDRESS", "email", category="user.contact.email")
    got = results([card, pps, email])
    assert (
        got[("SPC-005", f"store:{DB}")]["status"] == "fail"
        and "card (4)" in got[("SPC-005", f"store:{DB}")]["evidence"]
    )
    assert (
        got[("SPC-004", f"store:{DB}")]["status"] == "fail" and "IE_PPS" in got[("SPC-004", f"store:{DB}")]["evidence"]
    )
    got = results([email])
    assert got[("SPC-005", f"store:{DB}")]["status"] == "pass" and got[("SPC-004", f"store:{DB}")]["status"] == "pass"


def test_database_posture_checks():
    role = {"role": "privmap", "superuser_equivalent": [], "writes": []}
    facts = {"tls": {"enforced": False, "evidence": "the server has ssl = off"}, "scanner_role": role,
             "public_schema_create": True}  # fmt: skip
    got = results([], facts)
    assert got[("SEC-005", f"store:{DB}")]["status"] == "fail"
    assert got[("SEC-010", f"store:{DB}")]["status"] == "pass"
    assert got[("SEC-011", f"store:{DB}")]["status"] == "fail"
    facts = {"tls": {"enforced": None, "evidence": "unknown"}, "public_schema_create": False,
             "scanner_role": {**role, "superuser_equivalent": ["superuser"]}}  # fmt: skip
    got = results([], facts)
    assert ("SEC-005", f"store:{DB}") not in got  # unknown is not judged
    assert (
        got[("SEC-010", f"store:{DB}")]["status"] == "fail"
        and "superuser" in got[("SEC-010", f"store:{DB}")]["evidence"]
    )
    assert got[("SEC-011", f"store:{DB}")]["status"] == "pass"
