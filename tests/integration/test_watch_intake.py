"""What the watcher takes: filesystem events below a local folder (inotify and polling), and new S3
objects since a high-water mark kept in the store (moto_server)."""

from __future__ import annotations

import threading
import time

import pytest

from privmap.config import load_config
from privmap.pipeline import build_source
from privmap.store import Store
from privmap.watch import FolderIntake, ListingIntake, Marks
from tests.integration.conftest import S3Server, _bucket


def wait_for(intake: FolderIntake, wake: threading.Event, timeout: float = 10) -> list[str]:
    """Paths (relative) the intake takes once an event came and settled."""
    assert wake.wait(timeout), "no filesystem event"
    time.sleep(0.5)
    return sorted(i.metadata["path"] for i in intake.take())


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
    intake = FolderIntake(build_source(config, 0), wake, poll=poll, interval=0.3)
    try:
        time.sleep(0.5)  # the polling observer's first snapshot
        (tmp_path / "up" / "2026" / "new.txt").write_text("Mail me: jane@example.org")
        assert wait_for(intake, wake) == ["2026/new.txt"]
        assert intake.take() == []  # taken once
        wake.clear()
        (tmp_path / "up" / "old.txt.c.json").write_text('{"consent-id": "c-1"}')
        assert wait_for(intake, wake) == ["old.txt"]  # the sidecar stands for its file
    finally:
        intake.stop()


def test_s3_changes_since_the_high_water_mark(tmp_path, write_config, s3_server: S3Server):
    s3 = s3_server.client(region="eu-west-1")
    _bucket(s3, "watch-eu", "eu-west-1")
    s3.put_object(Bucket="watch-eu", Key="a/old.jpg", Body=b"x")
    config = load_config(
        write_config(
            f"- {{name: media, type: s3, role: processor, uploads: true,"
            f" options: {{endpoint_url: '{s3_server.url}', buckets: [watch-eu]}}}}"
        )
    )
    store = Store(tmp_path / "state.db")
    try:
        marks = Marks(store)
        intake = ListingIntake(build_source(config, 0), marks)
        assert intake.take() == [] and marks.get("media")  # the first look sets the mark
        time.sleep(1.1)  # LastModified has one-second resolution
        s3.put_object(Bucket="watch-eu", Key="a/new1.jpg", Body=b"y")
        s3.put_object(Bucket="watch-eu", Key="0-first-by-key.jpg", Body=b"z")
        new = sorted(i.metadata["path"] for i in intake.take())
        assert new == ["0-first-by-key.jpg", "a/new1.jpg"]
        intake.requeue([])  # not recorded: the same objects come again
        assert sorted(i.metadata["path"] for i in intake.take()) == new
        intake.commit()
        assert intake.take() == []
        time.sleep(1.1)
        s3.put_object(Bucket="watch-eu", Key="a/old.jpg", Body=b"overwritten")
        assert [i.metadata["path"] for i in intake.take()] == ["a/old.jpg"]
    finally:
        store.close()


def test_s3_ordered_keys_list_only_after_the_last_key(tmp_path, write_config, s3_server: S3Server):
    s3 = s3_server.client(region="eu-west-1")
    _bucket(s3, "ordered-eu", "eu-west-1")
    s3.put_object(Bucket="ordered-eu", Key="2026/11/30/0001.jpg", Body=b"x")
    config = load_config(
        write_config(
            f"- {{name: media, type: s3, role: processor, uploads: true,"
            f" options: {{endpoint_url: '{s3_server.url}', buckets: [ordered-eu], ordered_keys: true}}}}"
        )
    )
    store = Store(tmp_path / "state.db")
    try:
        source = build_source(config, 0)
        listed: list[str] = []
        source.session.events.register(
            "before-parameter-build.s3.ListObjectsV2", lambda params, **kw: listed.append(params.get("StartAfter", ""))
        )
        intake = ListingIntake(source, Marks(store))
        intake.take()
        s3.put_object(Bucket="ordered-eu", Key="2026/11/30/0002.jpg", Body=b"y")
        assert [i.metadata["path"] for i in intake.take()] == ["2026/11/30/0002.jpg"]
        assert listed == ["", "2026/11/30/0001.jpg"]  # the second listing started after the last key
    finally:
        store.close()
