"""Consent for uploads end to end: objects uploaded to moto S3 with and without consent metadata or
tags, a consent ledger in the real PostgreSQL (one consent withdrawn, one given after the upload, one
for another purpose), alerts to a JSONL sink; a consent tag added later clears its alert."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.e2e.conftest import privmap
from tests.integration.conftest import PERSONAL, S3Server, put_consent_uploads, upload_consent_config

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
BUCKET = "uploads-consent-eu"


@pytest.fixture
def pg_ledger() -> Iterator[str]:
    """A fresh database holding a `consents` table; dropped afterwards. Yields its DSN."""
    name = f"privmap_consent_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    dsn = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        with psycopg.connect(dsn, autocommit=True) as db:
            db.execute(
                "CREATE TABLE consents (consent_id text, purpose text, given_at timestamptz, withdrawn_at timestamptz)"
            )
        yield dsn
    finally:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def write_config(tmp_path: Path, endpoint: str) -> Path:
    return upload_consent_config(
        tmp_path,
        endpoint,
        BUCKET,
        """\
        consent:
          key: consent-id
          ledger:
            dsn_env: CONSENT_DSN
            query: "SELECT purpose, given_at, withdrawn_at FROM consents WHERE consent_id = :id"
        alerts:
          - {type: jsonl, options: {path: alerts.jsonl}}
        """,
    )


def test_uploads_without_valid_consent_alert_once_and_a_later_tag_clears(
    tmp_path, s3_server: S3Server, s3_bucket, pg_ledger, monkeypatch
):
    s3 = s3_bucket(BUCKET)
    body = PERSONAL.encode()
    put_consent_uploads(s3, BUCKET)
    s3.put_object(Bucket=BUCKET, Key="late.txt", Body=body, Metadata={"consent-id": "c-late"})
    s3.put_object(Bucket=BUCKET, Key="other.txt", Body=body, Metadata={"consent-id": "c-marketing"})
    s3.put_object(Bucket=BUCKET, Key="unknown.txt", Body=body, Metadata={"consent-id": "c-nobody"})
    s3.put_object(Bucket=BUCKET, Key="plain.txt", Body=b"Thumbnails are regenerated nightly.\n")
    uploaded = s3.head_object(Bucket=BUCKET, Key="late.txt")["LastModified"]
    with psycopg.connect(pg_ledger, autocommit=True) as db, db.cursor() as cur:
        cur.executemany(
            "INSERT INTO consents VALUES (%s, %s, %s, %s)",
            [
                ("c-ok", "essential.service", dt.datetime(2024, 1, 17, tzinfo=dt.UTC), None),
                (
                    "c-withdrawn",
                    "essential.service",
                    dt.datetime(2024, 1, 17, tzinfo=dt.UTC),
                    dt.datetime(2025, 6, 1, tzinfo=dt.UTC),
                ),
                ("c-late", "essential.service", uploaded + dt.timedelta(seconds=30), None),
                ("c-marketing", "marketing.advertising", dt.datetime(2024, 1, 17, tzinfo=dt.UTC), None),
            ],
        )
    config = write_config(tmp_path, s3_server.url)
    monkeypatch.setenv("CONSENT_DSN", pg_ledger)
    first = privmap("scan", "-c", str(config), "-o", str(tmp_path / "r1"), "--fail-on", "critical")
    assert first.returncode == 0, first.stderr

    checks = json.loads((tmp_path / "r1" / "checks.json").read_text())
    cns = {c["subject"].rpartition("/")[2]: c for c in checks if c["id"] == "CNS-001"}
    assert {k: c["status"] for k, c in cns.items()} == {
        "ok.txt": "pass",
        "tagged.txt": "pass",
        "none.txt": "fail",
        "withdrawn.txt": "fail",
        "late.txt": "fail",
        "other.txt": "fail",
        "unknown.txt": "fail",
    }  # plain.txt holds no personal data: nothing to consent to
    assert "no consent evidence" in cns["none.txt"]["evidence"]
    assert "consent withdrawn on 2025-06-01" in cns["withdrawn.txt"]["evidence"]
    assert "after the upload" in cns["late.txt"]["evidence"]
    assert "consent for another purpose" in cns["other.txt"]["evidence"]
    assert "not in the consent ledger" in cns["unknown.txt"]["evidence"]

    alerts = [json.loads(x) for x in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    failing = {"none.txt", "withdrawn.txt", "late.txt", "other.txt", "unknown.txt"}
    assert {a["subject"].rpartition("/")[2] for a in alerts if a["rule"] == "CNS-001"} == failing
    # consent alerts show masked previews of the upload; no alert carries a raw value
    assert all(a["previews"] for a in alerts if a["rule"] == "CNS-001")
    assert all("@" not in a["evidence"] for a in alerts)
    assert not any(e in json.dumps(alerts) for e in ("alice.martin@example.org", "Alice Martin"))

    # the uploader adds the missing tag; content, ETag and LastModified are unchanged
    s3.put_object_tagging(Bucket=BUCKET, Key="none.txt", Tagging={"TagSet": [{"Key": "consent-id", "Value": "c-ok"}]})
    second = privmap("scan", "-c", str(config), "-o", str(tmp_path / "r2"), "--fail-on", "critical")
    assert second.returncode == 0, second.stderr
    run = json.loads((tmp_path / "r2" / "run.json").read_text())
    assert run["items_unchanged"] == 8 and run["bytes_read"] == 0
    checks = json.loads((tmp_path / "r2" / "checks.json").read_text())
    assert {c["subject"].rpartition("/")[2]: c["status"] for c in checks if c["id"] == "CNS-001"}["none.txt"] == "pass"
    # no alert twice; none.txt's alert is cleared
    assert len((tmp_path / "alerts.jsonl").read_text().splitlines()) == len(alerts)
    listed = privmap("alerts", "-c", str(config), "--json")
    states = {
        json.loads(x)["subject"].rpartition("/")[2]: json.loads(x)["cleared_run"] for x in listed.stdout.splitlines()
    }
    assert states["none.txt"] == 2 and states["withdrawn.txt"] is None
    pending = privmap("alerts", "-c", str(config), "--pending")
    assert pending.returncode == 0 and pending.stdout == "no pending alerts\n"


def test_an_unreachable_ledger_is_not_verified_never_passed(tmp_path, s3_server: S3Server, s3_bucket, monkeypatch):
    s3 = s3_bucket(BUCKET)
    s3.put_object(Bucket=BUCKET, Key="ok.txt", Body=PERSONAL.encode(), Metadata={"consent-id": "c-ok"})
    config = write_config(tmp_path, s3_server.url)
    monkeypatch.setenv("CONSENT_DSN", "postgresql://postgres:hunter2@127.0.0.1:1/none")
    result = privmap("scan", "-c", str(config), "-o", str(tmp_path / "r"), "--fail-on", "critical")
    assert result.returncode == 0, result.stderr
    (check,) = [c for c in json.loads((tmp_path / "r" / "checks.json").read_text()) if c["id"] == "CNS-001"]
    assert check["status"] == "error" and "cannot connect to the consent ledger" in check["evidence"]
    assert "hunter2" not in result.stderr and "hunter2" not in (tmp_path / "r" / "report.html").read_text()
