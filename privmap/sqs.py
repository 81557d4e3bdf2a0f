"""S3 event notifications through SQS: the upload watch's optional intake for an S3 source
(`options: {intake: sqs, queue_url: ...}`).

The buckets send `s3:ObjectCreated:*` (and, for consent tags added later, `s3:ObjectTagging:*`)
notifications to a queue of privmap's own, directly or through SNS (raw or enveloped). Each look
drains the queue; a record names a bucket and key, and the object is entered as a listing shows it
(one ListObjectsV2 call from its key), so the scheduled runs see the same fingerprint. Messages are
deleted only once their batch is recorded; a watcher killed before that gets them again when their
visibility timeout ends. Deletions and other events are ignored: a partial run never marks anything
gone. Message format: https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_plus, urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from privmap.model import Item
from privmap.scanner.sources.s3 import S3Source, classify

log = logging.getLogger("privmap")
MAX_MESSAGES = 1000  # messages taken per look; the rest wait for the next one
_EVENTS = ("ObjectCreated:", "ObjectTagging:")  # what may bring an upload or its consent evidence
_REGION = re.compile(r"^sqs\.([a-z0-9-]+)\.amazonaws\.com", re.IGNORECASE)


def queue_region(url: str) -> str:
    """The region of an AWS queue URL (`https://sqs.eu-west-1.amazonaws.com/...`); us-east-1 otherwise."""
    match = _REGION.match(urlsplit(url).hostname or "")
    return match.group(1).lower() if match else "us-east-1"


def records(body: str) -> Iterator[tuple[str, str]]:
    """(bucket, key) of each upload or tagging record in one message body: an S3 notification, or one
    wrapped in an SNS envelope. Test events, deletions and bodies that are not notifications yield nothing."""
    try:
        message = json.loads(body)
        if isinstance(message, dict) and message.get("Type") == "Notification" and "Message" in message:
            message = json.loads(message["Message"])  # delivered through SNS without raw delivery
    except (TypeError, ValueError):
        return
    if not isinstance(message, dict):
        return
    for record in message.get("Records") or []:
        try:
            if not str(record.get("eventName", "")).startswith(_EVENTS):
                continue
            s3 = record["s3"]
            yield s3["bucket"]["name"], unquote_plus(s3["object"]["key"])  # keys arrive URL-encoded
        except (KeyError, TypeError, AttributeError):
            continue


class SqsIntake:
    """The uploads an S3 source's queue announces. Needs sqs:ReceiveMessage, sqs:DeleteMessage and
    sqs:ChangeMessageVisibility on the queue (README), besides the source's read-only S3 rights."""

    def __init__(self, source: S3Source) -> None:
        self.name = source.name
        self.source = source
        self.url = source.options.queue_url or ""
        self.client = source._client("sqs", source.options.queue_region or queue_region(self.url))
        self._taken: list[str] = []  # receipt handles of the last take

    def take(self) -> list[Item]:
        found: dict[str, Item] = {}
        handles: list[str] = []
        wait = 1  # a short long-poll first: a zero wait may sample servers that hold none
        while len(handles) < MAX_MESSAGES:
            messages = self._receive(wait)
            if not messages:
                break
            wait = 0
            for m in messages:
                handles.append(m["ReceiptHandle"])
                for bucket, key in records(m.get("Body", "")):
                    item = self.source.object_item(bucket, key)
                    if item is not None:
                        found[item.location.uri] = item
        self._taken = handles
        return list(found.values())

    def _receive(self, wait: int) -> list[dict[str, Any]]:
        try:
            answer = self.client.receive_message(
                QueueUrl=self.url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=wait,
                VisibilityTimeout=self.source.options.visibility_timeout,
            )
        except (ClientError, BotoCoreError) as exc:
            raise classify("ReceiveMessage", exc) from exc
        return list(answer.get("Messages", []))

    def commit(self) -> None:
        """The last take is recorded: its messages are deleted (ten per request)."""
        self._batch("delete_message_batch", {})

    def requeue(self, items: list[Item]) -> None:
        """The last take was not recorded: its messages become visible again at once."""
        self._batch("change_message_visibility_batch", {"VisibilityTimeout": 0})

    def _batch(self, operation: str, extra: dict[str, Any]) -> None:
        handles, self._taken = self._taken, []
        for i in range(0, len(handles), 10):
            entries = [{"Id": str(n), "ReceiptHandle": h, **extra} for n, h in enumerate(handles[i : i + 10])]
            try:
                answer = getattr(self.client, operation)(QueueUrl=self.url, Entries=entries)
            except (ClientError, BotoCoreError) as exc:  # the messages come again after their timeout
                log.warning("queue not updated", extra={"source": self.name, "detail": str(classify(operation, exc))})
                return
            if answer.get("Failed"):
                log.warning("queue not updated", extra={"source": self.name, "failed": len(answer["Failed"])})

    def stop(self) -> None:
        pass
