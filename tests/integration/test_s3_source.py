"""The s3 source against a real S3 HTTP endpoint (moto_server), as the least-privilege scanner user."""

from __future__ import annotations

import json
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from privmap.config import Config, load_config
from privmap.model import Blob
from privmap.pipeline import build_source, run
from privmap.scanner.extractors import Context
from privmap.scanner.extractors.base import sample
from privmap.scanner.sources.s3 import S3Source
from privmap.store import Store
from tests.e2e.conftest import privmap
from tests.integration.conftest import AFFILIATE, BIG_SIZE, EMAILS, STRANGER, Estate, scanner_policy


def s3_config(tmp_path: Path, endpoint: str, options: str = "", extra: str = "", workers: int = 1) -> Config:
    path = tmp_path / "privmap.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            version: 1
            organization: {{name: Example Media Ltd, country: IE, accounts: ["123456789012"]}}
            scan: {{max_bytes_per_object: 64KB, workers: {workers}}}
            sources:
              - name: media
                type: s3
                role: processor
                options: {{endpoint_url: "{endpoint}", {options}}}
            """
        )
        + textwrap.dedent(extra),
        encoding="utf-8",
    )
    return load_config(path)


def source_of(config: Config) -> S3Source:
    source = build_source(config, 0)
    assert isinstance(source, S3Source)
    return source


def test_every_listable_bucket_is_found_in_its_region(tmp_path, s3_server, s3_estate: Estate):
    source = source_of(s3_config(tmp_path, s3_server.url))
    regions = {b.name: b.region for b in source.buckets}
    assert set(s3_estate.buckets) <= set(regions)
    assert regions["media-eu"] == regions["plain-eu"] == "eu-west-1"
    assert regions["public-us"] == regions["replica-us"] == "us-east-1"  # GetBucketLocation says None
    assert all(b.owned for b in source.buckets) and source.account == "123456789012"

    items = [i for i in source.items() if i.store == "s3://media-eu"]
    assert [i.metadata["path"] for i in items] == ["private/contract.txt", "uploads/alice.txt", "uploads/readme.txt"]
    assert all(i.region == "eu-west-1" and i.size and i.fingerprint.count("|") == 2 for i in items)


def test_listing_pages_through_5000_objects(tmp_path, s3_server, many_objects):
    source = source_of(s3_config(tmp_path, s3_server.url, f"buckets: [{many_objects}], prefix: obj/"))
    pages = Counter()
    source.session.events.register("after-call.s3.ListObjectsV2", lambda **kw: pages.update(["page"]))
    keys = [i.metadata["path"] for i in source.items()]
    assert len(keys) == 5000 and len(set(keys)) == 5000
    assert keys == sorted(keys) and keys[0] == "obj/00000.txt" and keys[-1] == "obj/04999.txt"
    assert pages["page"] == 5  # 1,000 keys per page
    assert [(p.location.uri, p.message) for p in source.problems] == []


def test_a_200mb_object_is_sampled_within_the_byte_budget(tmp_path, s3_server, big_object):
    bucket, _ = big_object
    source = source_of(s3_config(tmp_path, s3_server.url, f"buckets: [{bucket}]"))
    received: list[int] = []
    source.session.events.register(
        "after-call.s3.GetObject", lambda parsed, **kw: received.append(parsed["ContentLength"])
    )
    [item] = source.items()
    assert item.size == BIG_SIZE
    blob = source.open(item)
    assert isinstance(blob, Blob) and blob.truncated and len(received) == 1  # the head only, to sniff
    data, truncated = sample(blob, Context.for_item(source.config.scan))
    # the head (within the budget), then the windows beyond it (half the budget), nothing more
    assert truncated and received[0] <= 64_000 and sum(received[1:]) <= 32_000 and len(received) <= 5
    text = data.decode()
    assert "megabyte 00000" in text and "megabyte 00199" in text  # windows reach the end of the object


def test_object_metadata_and_tags_are_kept_as_evidence(tmp_path, s3_server, s3_estate: Estate):
    source = source_of(s3_config(tmp_path, s3_server.url, "buckets: [media-eu]"))
    [item] = [i for i in source.items() if i.metadata["path"] == s3_estate.consented_key]
    blob = source.open(item)
    assert blob.metadata == {
        "meta:consent-id": "c-20240117-0042",
        "meta:uploader": "user-8812",
        "tag:tenant": "acme",
        "tag:purpose": "profile",
    }
    assert EMAILS[0].encode() in blob.data and not blob.truncated


def test_posture_facts_of_each_bucket(tmp_path, s3_server, s3_estate: Estate):
    readable = [b for b in s3_estate.buckets if b != "locked-us"]
    source = source_of(s3_config(tmp_path, s3_server.url, f"buckets: [{', '.join(readable)}]"))
    facts: dict[str, dict[str, Any]] = {}
    for fact in source.posture():
        facts.setdefault(fact.store.removeprefix("s3://"), {})[fact.key] = fact.value

    media = facts["media-eu"]
    assert media["region"] == "eu-west-1" and media["account"] == "123456789012"
    assert media["encryption"] == {"enabled": True, "algorithm": "AES256", "kms_key": None}
    assert media["logging"] is True and media["versioning"] == "Enabled"
    assert media["lifecycle_expiration_days"] == 365 and media["noncurrent_expiration_days"] == 30
    assert "noncurrent_versions" in media, [p.message for p in source.problems]
    versions = media["noncurrent_versions"]
    assert versions["count"] == 1 and versions["complete"] is True and versions["oldest"].startswith("20")
    assert media["tls"]["enforced"] is False and facts["logs-eu"]["tls"]["enforced"] is True
    assert "noncurrent_versions" not in facts["plain-eu"]  # never versioned: no versions to count
    assert media["replication"] == [{"bucket": "replica-us", "account": "123456789012", "region": "us-east-1"}]
    assert media["public"] is False and media["grants"] == []

    assert facts["public-us"]["public"] is True
    assert facts["public-us"]["public_reasons"] == ["ACL grants READ to AllUsers"]
    assert facts["plain-eu"]["encryption"]["enabled"] is False and facts["plain-eu"]["logging"] is False
    assert facts["plain-eu"]["versioning"] == "Disabled" and facts["plain-eu"]["replication"] == []
    assert facts["shared-eu"]["grants"] == [
        {"account": AFFILIATE, "principal": f"arn:aws:iam::{AFFILIATE}:root", "actions": ["s3:GetObject"]},
        {"account": STRANGER, "principal": f"arn:aws:iam::{STRANGER}:role/partner-sync", "actions": ["s3:*"]},
    ]
    assert [(p.location.uri, p.message) for p in source.problems] == []


def test_public_access_block_overrides_a_public_acl(tmp_path, s3_server, s3_estate: Estate):
    s3 = s3_server.client()
    s3.create_bucket(Bucket="blocked-us")
    s3.put_bucket_acl(Bucket="blocked-us", ACL="public-read")
    source = source_of(s3_config(tmp_path, s3_server.url, "buckets: [blocked-us]"))
    assert {f.key: f.value for f in source.posture()}["public"] is True
    s3.put_public_access_block(
        Bucket="blocked-us",
        PublicAccessBlockConfiguration={"IgnorePublicAcls": True, "RestrictPublicBuckets": True},
    )
    source = source_of(s3_config(tmp_path, s3_server.url, "buckets: [blocked-us]"))
    facts = {f.key: f.value for f in source.posture()}
    assert facts["public"] is False and facts["public_access_block"]["IgnorePublicAcls"] is True


def test_a_bucket_that_cannot_be_listed_is_a_coverage_gap(tmp_path, s3_server, s3_estate: Estate):
    source = source_of(s3_config(tmp_path, s3_server.url, "buckets: [locked-us, plain-eu]"))
    items = list(source.items())
    assert [i.store for i in items] == ["s3://plain-eu"]  # the next bucket went on
    gaps = [(p.location.uri, p.kind, p.message) for p in source.problems]
    assert ("s3://locked-us", "denied", "ListObjectsV2: AccessDenied") in gaps


def test_only_list_get_and_head_calls_in_a_full_scan(tmp_path, s3_server, s3_estate: Estate, s3_operations):
    """Read-only by construction: every operation the scan sends is recorded through botocore's events."""
    operations = s3_operations
    config = s3_config(tmp_path, s3_server.url, f"buckets: [{', '.join(s3_estate.buckets)}]")
    result = run(config, tmp_path / "out")
    run_counts = result.report.run
    assert run_counts["items_scanned"] + run_counts["items_failed"] >= 7  # failed reads count apart since issue 9
    assert set(operations) >= {
        "GetCallerIdentity",
        "ListBuckets",
        "GetBucketLocation",
        "ListObjectsV2",
        "GetObject",
        "GetObjectTagging",
        "GetPublicAccessBlock",
        "GetBucketPolicyStatus",
        "GetBucketReplication",
    }
    assert all(op.startswith(("List", "Get", "Head")) for op in operations), operations


@pytest.mark.slow
def test_privmap_scan_over_s3(tmp_path, s3_server, s3_estate: Estate):
    """`privmap scan` end to end: findings with regions, posture checks, coverage gaps, exit code."""
    buckets = ", ".join(b for b in s3_estate.buckets if b != "logs-eu")
    config = s3_config(
        tmp_path,
        s3_server.url,
        f"buckets: [{buckets}]",
        f"""\
        inventory:
          affiliates:
            - {{name: Example Media Inc, country: US, relationship: subsidiary, accounts: ["{AFFILIATE}"]}}
          activities:
            - {{name: Hosting, purposes: [hosting], role: processor, controller: Customers, stores: [media],
               data_categories: [user]}}
        """,
        workers=2,  # forked workers read objects through clients of their own
    )
    out = tmp_path / "out"
    result = privmap("scan", "--config", str(config.base_dir / "privmap.yaml"), "--out", str(out), "--fail-on", "high")
    assert result.returncode == 1, result.stderr  # failed checks, not a failed run

    findings = json.loads((out / "findings.json").read_text())
    regions = {f["store"]: f["region"] for f in findings}
    assert regions["s3://media-eu"] == "eu-west-1" and regions["s3://public-us"] == "us-east-1"
    assert "s3://replica-us" not in regions  # replication is configuration: moto copies nothing

    checks = json.loads((out / "checks.json").read_text())
    status = {(c["id"], c["subject"]): c for c in checks}
    assert status[("SEC-001", "store:s3://public-us")]["status"] == "fail"
    assert status[("SEC-001", "store:s3://public-us")]["severity"] == "critical"
    assert status[("SEC-001", "store:s3://media-eu")]["status"] == "pass"
    assert status[("SEC-004", "store:s3://plain-eu")]["status"] == "fail"
    assert status[("SEC-007", "store:s3://plain-eu")]["status"] == "fail"
    assert status[("SEC-007", "store:s3://media-eu")]["status"] == "pass"
    # the data map turns grants and replication into flows (privmap/checks/parties.py, transfers.py)
    assert status[("SEC-008", f"transfer:s3://shared-eu->account {STRANGER}")]["status"] == "fail"
    assert status[("SEC-008", "transfer:s3://shared-eu->Example Media Inc")]["status"] == "pass"
    trf = status[("TRF-007", "transfer:s3://media-eu->s3://replica-us")]
    assert trf["status"] == "fail" and "eu-west-1 (EEA) to s3://replica-us (US)" in trf["evidence"]

    run_json = json.loads((out / "run.json").read_text())
    # locked-us cannot be listed, the object under private/ cannot be read; moto authorises three of
    # locked-us's settings as s3:ListBucket too, so they are gaps here (and readable on AWS)
    assert run_json["problems"] == 5 and run_json["source_errors"] == 0
    report = (out / "report.html").read_text()
    assert "s3://locked-us" in report and "ListObjectsV2: AccessDenied" in report
    assert f"s3://media-eu/{s3_estate.denied_key}" in report
    # object metadata and tags are kept with the item as evidence
    store = Store(tmp_path / ".privmap" / "state.db")
    uri = f"s3://media-eu/{s3_estate.consented_key}"
    [metadata] = [i["metadata"] for i in store.items(run_json["run_id"]) if i["uri"] == uri]
    store.close()
    assert json.loads(metadata)["meta:consent-id"] == "c-20240117-0042" and json.loads(metadata)["tag:tenant"] == "acme"
    # nothing personal leaves the scanner
    kept = [*out.iterdir(), tmp_path / ".privmap" / "state.db"]
    assert not [(p.name, e) for p in kept for e in EMAILS if e.encode() in p.read_bytes()]
    assert not any(e in result.stderr for e in EMAILS)


def test_role_arn_is_assumed_for_the_scan(tmp_path, s3_server, s3_estate: Estate, monkeypatch):
    iam = s3_server.client("iam")
    admin_arn = "arn:aws:iam::123456789012:user/admin"  # may assume the role; the role may only read
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": admin_arn}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="auditor", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName="auditor", PolicyName="read", PolicyDocument=json.dumps(scanner_policy()))
    admin = s3_server.admin.get_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", admin.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", admin.secret_key)

    source = source_of(s3_config(tmp_path, s3_server.url, f"buckets: [plain-eu], role_arn: {role}"))
    assert (
        ":assumed-role/auditor/privmap"
        in source.session.client("sts", endpoint_url=s3_server.url, region_name="us-east-1").get_caller_identity()[
            "Arn"
        ]
    )
    [item] = source.items()
    assert b"Alice Martin" in source.open(item).data
