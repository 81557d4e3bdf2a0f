"""`privmap watch` end to end, as a user runs it: a new local file alerts a local webhook within the
interval; moto S3 uploads with and without consent metadata (listed since the mark, or announced
through SQS) and a consent tag added later; a scheduled run beside a watcher on one store; a watcher
killed mid-batch sees the same uploads again; SIGTERM stops it cleanly."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.e2e.conftest import privmap
from tests.integration.conftest import PERSONAL, S3Server, _bucket
from tests.integration.sinks import http_endpoint

PRIVMAP = [sys.executable, "-m", "privmap"]
CONTROLLER = """\
inventory:
  activities:
    - {name: Profile pictures, purposes: [essential.service], lawful_basis: consent, role: controller,
       stores: [up], data_categories: [user]}
consent:
  key: consent-id
  ledger: {csv: consents.csv}
"""


def write_config(tmp_path: Path, source: str, extra: str = "") -> Path:
    """A controller-role upload source named `up` (YAML flow mapping without the name), a CSV ledger
    in which consent c-ok is valid, alerts to alerts.jsonl and `extra` top-level YAML."""
    (tmp_path / "consents.csv").write_text(
        "consent_id,purpose,given_at,withdrawn_at\nc-ok,essential.service,2024-01-17T00:00:00Z,\n"
    )
    path = tmp_path / "privmap.yaml"
    path.write_text(
        "version: 1\norganization: {name: Example Media Ltd, country: IE}\n"
        f"sources:\n  - {{name: up, role: controller, uploads: true, {source}}}\n"
        + CONTROLLER
        + "alerts:\n  - {type: jsonl, options: {path: alerts.jsonl}}\n"
        + textwrap.dedent(extra),
        encoding="utf-8",
    )
    return path


def with_webhook(config: Path, url: str, options: str = "") -> Path:
    """The config with a webhook sink beside its JSONL one."""
    sink = f"alerts:\n  - {{type: webhook, options: {{url: '{url}'{options}}}}}\n"
    config.write_text(config.read_text().replace("alerts:\n", sink), encoding="utf-8")
    return config


class Watching:
    """A `privmap watch` process; its stderr is collected as it runs."""

    def __init__(self, config: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [*PRIVMAP, "watch", "-c", str(config), *args],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
            text=True,
        )
        self.lines: list[str] = []
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
            if line.startswith("watching "):
                self.ready.set()

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        return self.wait(60)

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the watcher did not end:\n{self.stderr}")

    @property
    def stderr(self) -> str:
        return "".join(self.lines)


@contextmanager
def watching(config: Path, *args: str) -> Iterator[Watching]:
    """A watcher that has taken its first look (its marks are set); killed on exit if still running."""
    w = Watching(config, *args)
    try:
        assert w.ready.wait(300), w.stderr
        yield w
    finally:
        if w.process.poll() is None:
            w.process.kill()
            w.process.wait(timeout=30)


def eventually(what: Callable[[], object], timeout: float = 60) -> object:
    """`what()` once it is truthy, polled every 0.2 s; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (value := what()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
    return value


def jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def alert_states(tmp_path: Path) -> dict[str, int | None]:
    """uri file name -> the run that cleared its CNS-001 alert (None: open), read from the store."""
    with sqlite3.connect(tmp_path / ".privmap" / "state.db") as db:
        rows = db.execute("SELECT subject, cleared_run FROM alerts WHERE rule = 'CNS-001'").fetchall()
    return {s.rpartition("/")[2]: c for s, c in rows}


def runs(config: Path) -> list[dict]:
    listed = privmap("runs", "-c", str(config), "--json")
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)


def test_a_new_local_file_alerts_a_webhook_within_the_interval(tmp_path):
    (tmp_path / "up").mkdir()
    (tmp_path / "up" / "before.txt").write_text(PERSONAL)  # here before the watcher: the scheduled runs' to judge
    with http_endpoint() as hook:
        config = with_webhook(write_config(tmp_path, "type: local, region: eu-west-1, options: {path: up}"), hook.url)
        # a look every 10 minutes: the alert within the test's two comes from the folder's event
        with watching(config, "--interval", "600") as w:
            (tmp_path / "up" / "new.txt").write_text(PERSONAL)
            (delivery,) = eventually(lambda: hook.delivered, timeout=120)
            assert w.stop() == 130 and "stopped" in w.stderr  # SIGTERM: a clean stop
    (alert,) = delivery.json()["alerts"]
    assert alert["rule"] == "CNS-001" and alert["subject"].endswith("/up/new.txt")
    assert "alice.martin@example.org" not in delivery.body.decode()
    (run,) = runs(config)
    assert (run["kind"], run["status"], run["items"]) == ("partial", "finished", 1)  # before.txt is not judged


@pytest.mark.parametrize("intake", ["listing", "sqs"])
def test_s3_uploads_with_and_without_consent_and_a_tag_added_later(tmp_path, s3_server: S3Server, intake):
    s3 = s3_server.client(region="eu-west-1")
    bucket = f"watch-consent-{intake}"
    _bucket(s3, bucket, "eu-west-1")
    options = f"endpoint_url: '{s3_server.url}', buckets: [{bucket}]"
    if intake == "sqs":
        sqs = s3_server.client("sqs", region="eu-west-1")
        queue = sqs.create_queue(QueueName="privmap-uploads-e2e")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        s3.put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration={
                "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*", "s3:ObjectTagging:*"]}]
            },
        )
        options += f", intake: sqs, queue_url: '{queue}', queue_region: eu-west-1"
    config = write_config(tmp_path, f"type: s3, options: {{{options}}}")
    with watching(config, "--interval", "1") as w:
        time.sleep(1.1)  # LastModified has one-second resolution: uploads come after the mark
        body = PERSONAL.encode()
        s3.put_object(Bucket=bucket, Key="ok.txt", Body=body, Metadata={"consent-id": "c-ok"})
        s3.put_object(Bucket=bucket, Key="none.txt", Body=body)
        eventually(lambda: len(runs_in_store(tmp_path, "partial")) >= 1 and "none.txt" in alert_states(tmp_path))
        eventually(lambda: {"ok.txt", "none.txt"} <= judged(tmp_path))
        # the uploader adds the missing tag; content, ETag and LastModified are unchanged
        s3.put_object_tagging(
            Bucket=bucket, Key="none.txt", Tagging={"TagSet": [{"Key": "consent-id", "Value": "c-ok"}]}
        )
        eventually(lambda: alert_states(tmp_path)["none.txt"] is not None)
        assert w.stop() == 130
    assert alert_states(tmp_path) == {"none.txt": alert_states(tmp_path)["none.txt"]}  # ok.txt never alerted
    assert [a["subject"].rpartition("/")[2] for a in jsonl(tmp_path / "alerts.jsonl")] == ["none.txt"]
    assert {r["kind"] for r in runs(config)} == {"partial"}


def runs_in_store(tmp_path: Path, kind: str) -> list[tuple]:
    with sqlite3.connect(tmp_path / ".privmap" / "state.db") as db:
        return db.execute("SELECT id, status FROM runs WHERE kind = ?", (kind,)).fetchall()


def judged(tmp_path: Path) -> set[str]:
    """File names of the uploads some run recorded a verdict for."""
    with sqlite3.connect(tmp_path / ".privmap" / "state.db") as db:
        return {r[0].rpartition("/")[2] for r in db.execute("SELECT uri FROM uploads")}


def test_a_scheduled_run_and_a_watcher_share_one_store(tmp_path):
    (tmp_path / "up").mkdir()
    config = write_config(tmp_path, "type: local, region: eu-west-1, options: {path: up}", "store: {wait: 120}\n")
    with watching(config, "--interval", "1") as w:
        every_4s = ["--cron", "* * * * * */4", "--max-runs", "2", "--fail-on", "none"]
        scheduled = subprocess.Popen(
            [*PRIVMAP, "schedule", "-c", str(config), "-o", str(tmp_path / "r"), *every_4s],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        for n in range(4):  # uploads while the scheduled runs come and go
            (tmp_path / "up" / f"u{n}.txt").write_text(PERSONAL)
            time.sleep(3)
        _, err = scheduled.communicate(timeout=600)
        assert scheduled.returncode == 0, err
        eventually(lambda: {f"u{n}.txt" for n in range(4)} <= set(alert_states(tmp_path)))
        assert w.stop() == 130
    listed = runs(config)
    assert sorted({(r["kind"], r["status"]) for r in listed}) == [("incremental", "finished"), ("partial", "finished")]
    assert sum(r["kind"] == "incremental" for r in listed) == 2
    with sqlite3.connect(tmp_path / ".privmap" / "state.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # each upload alerted once, whichever run saw it first
    subjects = [a["subject"] for a in jsonl(tmp_path / "alerts.jsonl") if a["rule"] == "CNS-001"]
    assert sorted(subjects) == sorted(set(subjects)) and len(subjects) == 4


def test_a_watcher_killed_mid_batch_sees_the_same_uploads_again(tmp_path):
    (tmp_path / "up").mkdir()
    with http_endpoint() as hook:
        hook.delay = [30.0]  # the first delivery hangs: the watcher is killed before its batch is committed
        config = write_config(tmp_path, "type: local, region: eu-west-1, options: {path: up}")
        config = with_webhook(config, hook.url, ", timeout: 60")
        with watching(config, "--interval", "1") as w:
            (tmp_path / "up" / "a.txt").write_text(PERSONAL)
            eventually(lambda: hook.received or None, timeout=60)
            assert w.stop(signal.SIGKILL) == -signal.SIGKILL
        with watching(config, "--interval", "1", "--max-batches", "1") as again:
            assert again.wait(300) == 0, again.stderr
    partial = [r for r in runs(config) if r["kind"] == "partial"]
    assert len(partial) == 2 and all(r["items"] == 1 for r in partial)  # a.txt, taken again
    assert [r.json()["alerts"][0]["subject"].rpartition("/")[2] for r in hook.delivered] == ["a.txt"]


def test_nothing_to_watch_and_a_second_watcher_exit_2(tmp_path):
    (tmp_path / "up").mkdir()
    config = write_config(tmp_path, "type: local, region: eu-west-1, options: {path: up}")
    with watching(config, "--interval", "60"):
        second = privmap("watch", "-c", str(config))
        assert second.returncode == 2 and "a privmap watch already runs" in second.stderr
    config.write_text(config.read_text().replace("uploads: true", "uploads: false"))
    nothing = privmap("watch", "-c", str(config))
    assert nothing.returncode == 2 and "no source has `uploads: true`" in nothing.stderr


def test_a_queue_that_cannot_be_read_at_the_start_exits_2_naming_the_operation(tmp_path, s3_server: S3Server):
    s3 = s3_server.client(region="eu-west-1")
    _bucket(s3, "watch-no-queue", "eu-west-1")
    missing = f"{s3_server.url}/123456789012/privmap-no-such-queue"
    options = f"endpoint_url: '{s3_server.url}', buckets: [watch-no-queue], intake: sqs, queue_url: '{missing}'"
    config = write_config(tmp_path, f"type: s3, options: {{{options}, queue_region: eu-west-1}}")
    answer = privmap("watch", "-c", str(config), "--interval", "1")
    assert answer.returncode == 2
    assert "source 'up' cannot be watched: ReceiveMessage:" in answer.stderr and "NonExistentQueue" in answer.stderr
    assert "internal error" not in answer.stderr
