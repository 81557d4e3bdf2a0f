"""A rescan of an unchanged S3 upload source against moto_server: what it asks S3, counted by operation
through botocore's events. Listing pages and a tag read per upload whose consent failed for want of
evidence a tag could give; nothing per consented or plain object, nor per upload whose consent id is in
its user metadata (only a new upload changes that)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import boto3
import pytest

from privmap.config import Config, load_config
from privmap.pipeline import build_source, run
from privmap.watch import Watcher
from tests.integration.conftest import PERSONAL, S3Server, put_consent_uploads, upload_consent_config

BUCKET = "rescan-eu"
PLAIN = 12  # objects without personal data: none of them may cost a request on a rescan


def write_config(tmp_path: Path, endpoint: str, bucket: str = BUCKET, options: str = "") -> Config:
    (tmp_path / "consents.csv").write_text(
        "consent_id,purpose,given_at,withdrawn_at\n"
        "c-ok,essential.service,2024-01-17T00:00:00Z,\n"
        "c-withdrawn,essential.service,2024-01-17T00:00:00Z,2025-06-01T00:00:00Z\n"
    )
    consent = "consent: {key: consent-id, ledger: {csv: consents.csv}}\n"
    return load_config(upload_consent_config(tmp_path, endpoint, bucket, consent, options))


def consent_status(out: Path) -> dict[str, str]:
    checks = json.loads((out / "checks.json").read_text())
    return {c["subject"].rpartition("/")[2]: c["status"] for c in checks if c["id"] == "CNS-001"}


def per_object(operations: Counter[str]) -> dict[str, int]:
    """The operations on objects (listing included); the others are asked once per bucket or account."""
    return {op: n for op, n in operations.items() if "Object" in op}


def test_an_unchanged_rescan_asks_s3_for_listing_pages_and_failing_consent_only(
    tmp_path, s3_server: S3Server, s3_bucket, s3_operations: Counter[str]
):
    s3 = s3_bucket(BUCKET)
    put_consent_uploads(s3, BUCKET)
    for n in range(PLAIN):
        s3.put_object(Bucket=BUCKET, Key=f"plain-{n:02d}.txt", Body=b"Thumbnails are regenerated nightly.\n")
    config = write_config(tmp_path, s3_server.url)

    first = run(config, tmp_path / "r1")
    assert first.report.run["items_scanned"] == PLAIN + 4
    assert consent_status(tmp_path / "r1") == {
        "ok.txt": "pass",
        "tagged.txt": "pass",
        "none.txt": "fail",
        "withdrawn.txt": "fail",
    }
    assert per_object(s3_operations) == {"ListObjectsV2": 1, "GetObject": PLAIN + 4, "GetObjectTagging": 1}

    s3_operations.clear()
    second = run(config, tmp_path / "r2")
    assert second.report.run["items_unchanged"] == PLAIN + 4 and second.report.run["bytes_read"] == 0
    # one listing page; the tags of none.txt, whose consent failed, read again; nothing for the others:
    # withdrawn.txt's consent id is in its user metadata, which evidence_id takes before any tag
    assert per_object(s3_operations) == {"ListObjectsV2": 1, "GetObjectTagging": 1}
    assert max(n for op, n in s3_operations.items() if "Object" not in op) <= 2  # account and bucket settings
    assert consent_status(tmp_path / "r2")["none.txt"] == consent_status(tmp_path / "r2")["withdrawn.txt"] == "fail"

    # the uploader tags none.txt: the next rescan reads its tags and the consent holds
    s3.put_object_tagging(Bucket=BUCKET, Key="none.txt", Tagging={"TagSet": [{"Key": "consent-id", "Value": "c-ok"}]})
    s3_operations.clear()
    run(config, tmp_path / "r3")
    assert per_object(s3_operations) == {"ListObjectsV2": 1, "GetObjectTagging": 1}
    assert consent_status(tmp_path / "r3")["none.txt"] == "pass"

    # no upload a tag could change: a rescan asks for the listing and nothing per object
    s3_operations.clear()
    fourth = run(config, tmp_path / "r4")
    assert fourth.report.run["items_unchanged"] == PLAIN + 4
    assert per_object(s3_operations) == {"ListObjectsV2": 1}
    assert consent_status(tmp_path / "r4") == {
        "ok.txt": "pass",
        "tagged.txt": "pass",
        "none.txt": "pass",
        "withdrawn.txt": "fail",  # still judged against the ledger each run
    }


def test_with_tag_events_a_rescan_reads_no_tags_and_a_tag_is_learnt_from_its_event(
    tmp_path, s3_server: S3Server, s3_bucket, s3_operations: Counter[str]
):
    """`tag_events: true`: tag changes come through the queue, so no run polls the tags of unchanged uploads;
    the watch reads the tags of the upload an event names, and the scans after it judge on what it read."""
    bucket = "rescan-events-eu"
    s3 = s3_bucket(bucket)
    sqs = s3_server.client("sqs", region="eu-west-1")
    queue = sqs.create_queue(QueueName="privmap-rescan-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    body = PERSONAL.encode()
    s3.put_object(Bucket=bucket, Key="none.txt", Body=body)
    s3.put_object(Bucket=bucket, Key="later.txt", Body=body)
    s3.put_object(Bucket=bucket, Key="tagged.txt", Body=body, Tagging="consent-id=c-ok")
    s3.put_bucket_notification_configuration(  # after the uploads: the queue holds only what follows
        Bucket=bucket,
        NotificationConfiguration={"QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectTagging:*"]}]},
    )
    options = f", intake: sqs, queue_url: '{queue}', queue_region: eu-west-1, tag_events: true"
    config = write_config(tmp_path, s3_server.url, bucket, options)

    run(config, tmp_path / "r1")
    assert per_object(s3_operations) == {"ListObjectsV2": 1, "GetObject": 3, "GetObjectTagging": 1}
    assert consent_status(tmp_path / "r1") == {"none.txt": "fail", "later.txt": "fail", "tagged.txt": "pass"}
    s3_operations.clear()
    run(config, tmp_path / "r2")
    assert per_object(s3_operations) == {"ListObjectsV2": 1}  # nothing per failing upload
    assert consent_status(tmp_path / "r2")["none.txt"] == "fail"

    # the uploader tags later.txt: its event names it, the watch reads its tags (and no other's)
    s3.put_object_tagging(Bucket=bucket, Key="later.txt", Tagging={"TagSet": [{"Key": "consent-id", "Value": "c-ok"}]})
    s3_operations.clear()
    with Watcher(config, interval=0.1) as watcher:
        assert watcher.run(max_batches=1) == 1
    assert s3_operations["GetObjectTagging"] == 1 and "GetObject" not in s3_operations
    s3_operations.clear()
    run(config, tmp_path / "r3")
    assert per_object(s3_operations) == {"ListObjectsV2": 1}
    assert consent_status(tmp_path / "r3") == {"none.txt": "fail", "later.txt": "pass", "tagged.txt": "pass"}


@pytest.mark.parametrize(
    ("notifications", "announced"),
    [
        ([{"Events": ["s3:ObjectTagging:*"]}], True),
        ([{"Events": ["s3:ObjectCreated:*"]}, {"Events": ["s3:ObjectTagging:Put"]}], True),
        (
            [
                {
                    "Events": ["s3:ObjectTagging:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "up/"}]}},
                }
            ],
            True,
        ),
        ([], False),  # nothing sent
        ([{"Events": ["s3:ObjectCreated:*"]}], False),  # uploads only
        ([{"Events": ["s3:ObjectTagging:Delete"]}], False),  # a tag added is never announced
        (
            [
                {
                    "Events": ["s3:ObjectTagging:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".jpg"}]}},
                }
            ],
            False,
        ),
        (
            [
                {
                    "Events": ["s3:ObjectTagging:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "new/"}]}},
                }
            ],
            False,
        ),
        ([{"Events": ["s3:ObjectTagging:*"], "Queue": "someone-elses"}], False),  # to another queue
    ],
)
def test_tag_events_hold_only_where_the_bucket_sends_them_to_the_queue(
    tmp_path, s3_server: S3Server, s3_bucket, notifications, announced, caplog
):
    """A source whose buckets do not all send s3:ObjectTagging events (covering every listed key) to its
    queue polls the tags as without `tag_events`, and says which buckets."""
    bucket = "tag-events-check-eu"
    s3 = s3_bucket(bucket)
    sqs = s3_server.client("sqs", region="eu-west-1")
    urls = {name: sqs.create_queue(QueueName=name)["QueueUrl"] for name in ("privmap-tag-check", "someone-elses")}
    arns = {
        name: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for name, url in urls.items()
    }
    queue = urls["privmap-tag-check"]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {"QueueArn": arns[n.pop("Queue", "privmap-tag-check")], **n} for n in [dict(c) for c in notifications]
            ]
        },
    )
    options = f", prefix: up/photos/, intake: sqs, queue_url: '{queue}', queue_region: eu-west-1, tag_events: true"
    source = build_source(write_config(tmp_path, s3_server.url, bucket, options), 0)
    assert source.evidence_events is announced
    assert any(bucket in str(getattr(r, "buckets", "")) for r in caplog.records) is not announced


def test_listed_fingerprints_are_those_of_botocores_own_timestamps(tmp_path, s3_server: S3Server, many_objects: str):
    """The source reads listing timestamps by a faster parser than botocore's default: the fingerprints
    (ETag, size, LastModified) must not change, or an upgrade would read every object again."""
    source = build_source(write_config(tmp_path, s3_server.url, many_objects), 0)
    listed = {i.metadata["path"]: i.fingerprint for i in source.items()}
    plain = boto3.client("s3", endpoint_url=s3_server.url, region_name="eu-west-1")
    expected = {
        o["Key"]: f"{o['ETag']}|{o['Size']}|{o['LastModified'].isoformat()}"
        for page in plain.get_paginator("list_objects_v2").paginate(Bucket=many_objects)
        for o in page.get("Contents", [])
    }
    assert len(expected) == 5000 and listed == expected
