"""What the watcher takes: filesystem events below a local folder (inotify and polling), and new S3
and GCS objects since a high-water mark kept in the store, S3 event notifications through SQS (moto_server,
fake-gcs-server)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from privmap.config import load_config
from privmap.model import Item
from privmap.pipeline import build_source
from privmap.sqs import SqsIntake
from privmap.store import Store
from privmap.watch import FolderIntake, ListingIntake, Marks
from tests.integration import gcs
from tests.integration.conftest import GCP_PROJECT, GCSEstate, S3Server, _bucket


def wait_for(intake: FolderIntake, wake: threading.Event, timeout: float = 10) -> list[str]:
    """Paths (relative) the intake takes once an event came and settled."""
    assert wake.wait(timeout), "no filesystem event"
    time.sleep(0.5)
    return paths(intake.take())


@pytest.mark.parametrize("poll", [False, True], ids=["events", "polling"])
def test_a_new_file_and_a_sidecar_are_taken(tmp_path, write_config, poll):
    (tmp_path / "up" / "2026").mkdir(parents=True)
    (tmp_path / "up" / "old.txt").write_text("here before the watcher")
    config = load_config(
        write_config(
            "- {name: up, type: local, region: eu-west-1, uploads: true, options: {path: up, sidecar: .c.json}}"
        )
    )
    wake = threading.Event()
    store = Store(tmp_path / "state.db")
    intake = FolderIntake(build_source(config, 0), Marks(store), wake, poll=poll, interval=0.3)
    try:
        assert intake.take() == []  # the first look with no mark: the present is the mark
        time.sleep(0.5)  # the polling observer's first snapshot
        (tmp_path / "up" / "2026" / "new.txt").write_text("Mail me: jane@example.org")
        assert wait_for(intake, wake) == ["2026/new.txt"]
        assert intake.take() == []  # taken once
        wake.clear()
        (tmp_path / "up" / "old.txt.c.json").write_text('{"consent-id": "c-1"}')
        assert wait_for(intake, wake) == ["old.txt"]  # the sidecar stands for its file
    finally:
        intake.stop()
        store.close()


@pytest.fixture
def s3_watched(tmp_path, write_config, s3_server: S3Server) -> Iterator[Callable[..., tuple[Any, Any, Store]]]:
    """make(bucket, options) -> (admin client, the watched s3 source, the store): a bucket in
    eu-west-1 holding one object, watched with these extra source options."""
    store = Store(tmp_path / "state.db")

    def make(bucket: str, first_key: str, options: str = "") -> tuple[Any, Any, Store]:
        s3 = s3_server.client(region="eu-west-1")
        _bucket(s3, bucket, "eu-west-1")
        s3.put_object(Bucket=bucket, Key=first_key, Body=b"x")
        config = load_config(
            write_config(
                f"- {{name: media, type: s3, role: processor, uploads: true,"
                f" options: {{endpoint_url: '{s3_server.url}', buckets: [{bucket}]{options}}}}}"
            )
        )
        return s3, build_source(config, 0), store

    try:
        yield make
    finally:
        store.close()


def paths(items: list[Item]) -> list[str]:
    return sorted(i.metadata["path"] for i in items)


def test_s3_changes_since_the_high_water_mark(s3_watched):
    s3, source, store = s3_watched("watch-eu", "a/old.jpg")
    marks = Marks(store)
    intake = ListingIntake(source, marks)
    assert intake.take() == [] and marks.get("media")  # the first look sets the mark
    time.sleep(1.1)  # LastModified has one-second resolution
    s3.put_object(Bucket="watch-eu", Key="a/new1.jpg", Body=b"y")
    s3.put_object(Bucket="watch-eu", Key="0-first-by-key.jpg", Body=b"z")
    new = paths(intake.take())
    assert new == ["0-first-by-key.jpg", "a/new1.jpg"]
    intake.requeue([])  # not recorded: the same objects come again
    assert paths(intake.take()) == new
    intake.commit()
    assert intake.take() == []
    time.sleep(1.1)
    s3.put_object(Bucket="watch-eu", Key="a/old.jpg", Body=b"overwritten")
    assert paths(intake.take()) == ["a/old.jpg"]


def test_s3_ordered_keys_list_only_after_the_last_key(s3_watched):
    s3, source, store = s3_watched("ordered-eu", "2026/11/30/0001.jpg", ", ordered_keys: true")
    listed: list[str] = []
    source.session.events.register(
        "before-parameter-build.s3.ListObjectsV2", lambda params, **kw: listed.append(params.get("StartAfter", ""))
    )
    intake = ListingIntake(source, Marks(store))
    intake.take()
    s3.put_object(Bucket="ordered-eu", Key="2026/11/30/0002.jpg", Body=b"y")
    assert paths(intake.take()) == ["2026/11/30/0002.jpg"]
    assert listed == ["", "2026/11/30/0001.jpg"]  # the second listing started after the last key


def test_s3_event_notifications_through_sqs(s3_server: S3Server, s3_watched):
    sqs = s3_server.client("sqs", region="eu-west-1")
    queue = sqs.create_queue(QueueName="privmap-uploads-intake")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3, source, _ = s3_watched(
        "events-eu", "before.jpg", f", intake: sqs, queue_url: '{queue}', queue_region: eu-west-1"
    )
    s3.put_bucket_notification_configuration(
        Bucket="events-eu",
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*", "s3:ObjectTagging:*"]}]
        },
    )
    intake = SqsIntake(source)
    s3.put_object(Bucket="events-eu", Key="photos/my pic+1.jpg", Body=b"y")  # sent URL-encoded
    s3.put_object(Bucket="events-eu", Key="photos/b.jpg", Body=b"z")
    s3.delete_object(Bucket="events-eu", Key="before.jpg")  # a deletion is no upload
    taken = intake.take()
    assert paths(taken) == ["photos/b.jpg", "photos/my pic+1.jpg"]
    listed = {i.location.uri: i.fingerprint for i in source.items()}
    assert all(listed[i.location.uri] == i.fingerprint for i in taken)  # as the scheduled runs see them
    intake.requeue(taken)  # not recorded: the messages come back at once
    assert paths(intake.take()) == ["photos/b.jpg", "photos/my pic+1.jpg"]
    intake.commit()
    assert intake.take() == []
    s3.put_object_tagging(
        Bucket="events-eu", Key="photos/b.jpg", Tagging={"TagSet": [{"Key": "consent-id", "Value": "c"}]}
    )
    assert paths(intake.take()) == ["photos/b.jpg"]  # evidence added later is looked at again


def test_a_folder_watch_catches_up_from_its_mark(tmp_path, write_config):
    (tmp_path / "up").mkdir()
    config = load_config(
        write_config("- {name: up, type: local, region: eu-west-1, uploads: true, options: {path: up}}")
    )
    store = Store(tmp_path / "state.db")
    wake = threading.Event()
    try:
        first = FolderIntake(build_source(config, 0), Marks(store), wake, poll=True, interval=0.3)
        assert first.take() == []
        first.stop()  # no watcher while these arrive: their events are never seen
        (tmp_path / "up" / "while-down.txt").write_text("x")
        again = FolderIntake(build_source(config, 0), Marks(store), wake, poll=True, interval=0.3)
        assert paths(again.take()) == ["while-down.txt"]
        again.requeue([])  # not recorded: the mark stays where it was
        again.stop()
        time.sleep(1.5)  # a mark stands a second before its look (file times come from a coarse clock)
        third = FolderIntake(build_source(config, 0), Marks(store), wake, poll=True, interval=0.3)
        assert paths(third.take()) == ["while-down.txt"]
        third.commit()
        third.stop()
        fourth = FolderIntake(build_source(config, 0), Marks(store), wake, poll=True, interval=0.3)
        assert fourth.take() == []
        fourth.stop()
    finally:
        store.close()


def test_gcs_changes_since_the_high_water_mark(tmp_path, write_config, gcs_estate: GCSEstate):
    bucket = gcs.admin_client(gcs_estate.eu, GCP_PROJECT).create_bucket("watch-gcs-eu")
    bucket.blob("old.jpg").upload_from_string(b"x")
    config = load_config(
        write_config(
            f"- {{name: media, type: gcs, role: processor, uploads: true,"
            f" options: {{project: {GCP_PROJECT}, endpoint: '{gcs_estate.eu}', buckets: [watch-gcs-eu]}}}}"
        )
    )
    store = Store(tmp_path / "state.db")
    try:
        intake = ListingIntake(build_source(config, 0), Marks(store))
        assert intake.take() == []  # the first look sets the mark
        time.sleep(0.01)
        bucket.blob("a/new.jpg").upload_from_string(b"y")
        assert paths(intake.take()) == ["a/new.jpg"]
        intake.commit()
        assert intake.take() == []
    finally:
        store.close()
        bucket.delete(force=True)  # the server lives for the session; tests that list every bucket follow
