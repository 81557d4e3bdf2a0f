"""What the SQS intake takes from a message body: S3 notifications, raw or in an SNS envelope."""

from __future__ import annotations

import json

from privmap.sqs import queue_region, records


def notification(*events: tuple[str, str, str]) -> dict:
    return {
        "Records": [
            {"eventName": name, "s3": {"bucket": {"name": bucket}, "object": {"key": key}}}
            for name, bucket, key in events
        ]
    }


def test_uploads_and_tag_changes_are_taken_deletions_and_noise_are_not():
    body = notification(
        ("ObjectCreated:Put", "media", "photos/my+pic%2B1.jpg"),
        ("ObjectTagging:Put", "media", "a.jpg"),
        ("ObjectRemoved:Delete", "media", "gone.jpg"),
    )
    assert list(records(json.dumps(body))) == [("media", "photos/my pic+1.jpg"), ("media", "a.jpg")]
    sns = {"Type": "Notification", "Message": json.dumps(body)}
    assert len(list(records(json.dumps(sns)))) == 2
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "media"}
    for noise in (json.dumps(test_event), "not json", "[1, 2]", json.dumps({"Records": [{"eventName": 3}, None]})):
        assert list(records(noise)) == []


def test_the_queue_region_comes_from_an_aws_queue_url():
    assert queue_region("https://sqs.eu-central-1.amazonaws.com/123456789012/privmap-uploads") == "eu-central-1"
    assert queue_region("http://127.0.0.1:5000/123456789012/privmap-uploads") == "us-east-1"
