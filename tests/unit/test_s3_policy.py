import json

import pytest
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError, ReadTimeoutError
from botocore.utils import parse_timestamp as botocore_parse_timestamp

from privmap.scanner.crawl import problem_kind
from privmap.scanner.sources.s3 import (
    _drop_account_label,
    bucket_region,
    classify,
    parse_timestamp,
    policy_grants,
    sends_tag_events,
)


@pytest.mark.parametrize(
    ("raw", "region"),
    [
        (None, "us-east-1"),
        ("", "us-east-1"),
        ("EU", "eu-west-1"),
        ("eu-central-1", "eu-central-1"),
        ("mars-1", "mars-1"),
    ],
)
def test_bucket_locations_are_canonical(raw, region):
    assert bucket_region(raw) == region


@pytest.mark.parametrize(
    "raw",
    [
        "2026-11-30T10:37:29.000Z",  # ListObjectsV2's LastModified
        "2026-11-30T10:37:29.123456Z",
        "2026-11-30T10:37:29Z",
        "2026-11-30T12:37:29+02:00",
        "2026-11-30T10:37:29",  # no zone: botocore's parser decides (local time)
        "Mon, 30 Nov 2026 10:37:29 GMT",  # GetObject's Last-Modified header
        "1795869449",  # epoch seconds
        1795869449.5,
    ],
)
def test_timestamps_parse_as_botocore_parses_them(raw):
    """The listing's fingerprint holds `isoformat()` of LastModified: the faster parser must give the
    same datetime, or every stored object would look changed and be read again."""
    ours, theirs = parse_timestamp(raw), botocore_parse_timestamp(raw)
    assert ours == theirs and ours.isoformat() == theirs.isoformat()
    assert ours.utcoffset() == theirs.utcoffset()


def test_policy_grants_name_other_accounts_only():
    policy = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject"},
            {
                "Effect": "Allow",
                "Principal": {"AWS": ["111122223333", "arn:aws:iam::123456789012:role/own"]},
                "Action": ["s3:ListBucket"],
            },
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:PutObject"},
            {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "s3:*"},
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"},
            {"Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject"},
        ]
    }
    assert policy_grants(json.dumps(policy), {"123456789012"}) == [
        {"account": "111122223333", "principal": "111122223333", "actions": ["s3:ListBucket"]},
        {
            "account": "111122223333",
            "principal": "arn:aws:iam::111122223333:root",
            "actions": ["s3:GetObject", "s3:PutObject"],
        },
    ]
    single = {
        "Statement": {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:sts::444455556666:assumed-role/r/s"},
            "Action": "s3:GetObject",
        }
    }
    assert [g["account"] for g in policy_grants(json.dumps(single), set())] == ["444455556666"]


def test_errors_become_problem_kinds_without_echoing_the_response():
    def client_error(code: str, status: int) -> ClientError:
        body = {
            "Error": {"Code": code, "Message": "key alice@example.org"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }
        return ClientError(body, "GetObject")

    assert problem_kind(classify("GetObject", client_error("AccessDenied", 403))) == "denied"
    assert problem_kind(classify("GetObject", client_error("NoSuchKey", 404))) == "missing"
    assert problem_kind(classify("GetObject", client_error("SlowDown", 503))) == "throttled"
    assert problem_kind(classify("GetObject", client_error("", 500))) == "unreadable"
    assert str(classify("GetObject", client_error("AccessDenied", 403))) == "GetObject: AccessDenied"
    assert "alice" not in str(classify("GetObject", client_error("InternalError", 500)))
    assert problem_kind(classify("GetObject", ReadTimeoutError(endpoint_url="http://x"))) == "timeout"


def test_the_account_label_is_dropped_only_in_front_of_an_ip_endpoint():
    request = AWSRequest("GET", "http://123456789012.127.0.0.1:5000/v20180820/configuration/publicAccessBlock")
    _drop_account_label(request)
    assert request.url == "http://127.0.0.1:5000/v20180820/configuration/publicAccessBlock"
    named = AWSRequest("GET", "https://123456789012.s3-control.eu-west-1.amazonaws.com/v20180820/x")
    _drop_account_label(named)
    assert named.url.startswith("https://123456789012.s3-control.")


QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/privmap-uploads"
ARN = "arn:aws:sqs:eu-west-1:123456789012:privmap-uploads"


def _to_queue(events, rules=(), arn=ARN):
    config = {"QueueArn": arn, "Events": list(events)}
    if rules:
        config["Filter"] = {"Key": {"FilterRules": [{"Name": n, "Value": v} for n, v in rules]}}
    return {"QueueConfigurations": [config]}


@pytest.mark.parametrize(
    ("notifications", "prefix", "sent"),
    [
        (_to_queue(["s3:ObjectTagging:*"]), "", True),
        (_to_queue(["s3:ObjectTagging:Put"], [("Prefix", "uploads/")]), "uploads/eu/", True),  # AWS writes "Prefix"
        (_to_queue(["s3:ObjectTagging:Put"], [("Prefix", "uploads/eu/")]), "uploads/", False),  # narrower
        (_to_queue(["s3:ObjectTagging:*"], [("Suffix", ".jpg")]), "", False),
        (_to_queue(["s3:ObjectTagging:Delete", "s3:ObjectCreated:*"]), "", False),
        (_to_queue(["s3:ObjectTagging:*"], arn="arn:aws:sqs:eu-west-1:999999999999:privmap-uploads"), "", False),
        (
            {"TopicConfigurations": [{"TopicArn": "arn:aws:sns:eu-west-1:1:t", "Events": ["s3:ObjectTagging:*"]}]},
            "",
            True,
        ),
        ({"EventBridgeConfiguration": {}}, "", False),  # its events are not S3 notifications the intake reads
        ({}, "", False),
    ],
)
def test_tag_events_are_sent_only_where_the_configuration_says_so(notifications, prefix, sent):
    assert sends_tag_events(notifications, QUEUE, prefix) is sent
