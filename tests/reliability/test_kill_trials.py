"""The scanner killed at random points and restarted ends with exactly the findings of an undisturbed
run: nothing lost, nothing counted twice, whatever the source (a local folder, S3 on moto_server, a
PostgreSQL database). `make test` runs a few trials, `make test-reliability` 20 per source."""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest

from tests.e2e.conftest import privmap
from tests.integration.moto import moto_server
from tests.integration.sql_engines import database

LONG = os.environ.get("PRIVMAP_FUZZ") == "long"
TRIALS = {"local": 20 if LONG else 1, "s3": 20 if LONG else 1, "postgres": 20 if LONG else 1}
STABLE = ("source", "store", "uri", "part", "field", "entity", "category", "count", "distinct", "preview", "value_key")


def _note(i: int) -> str:
    body = f"Ticket {i}: customer{i}@mailbox.ie called from 81.2.69.{i % 250}, IBAN NL39RABO0347123456\n"
    return body * (1 + i % 7)


PEOPLE = "name,email\n" + "".join(f"P{i},p{i}@mail.example.org\n" for i in range(50))


def _local(root: Path) -> str:
    folder = root / "notes"
    folder.mkdir(parents=True)
    for i in range(120):
        (folder / f"note-{i:03d}.txt").write_text(_note(i))
    (folder / "people.csv").write_text(PEOPLE)
    return "{name: notes, type: local, region: eu-west-1, role: controller, options: {path: notes}}"


@pytest.fixture(scope="module")
def s3_notes() -> Iterator[Callable[[Path], str]]:
    """A moto_server bucket of the same notes; the scanner's environment carries moto's dummy keys."""
    with moto_server() as url, pytest.MonkeyPatch.context() as env:
        for name, value in (("AWS_ACCESS_KEY_ID", "kill"), ("AWS_SECRET_ACCESS_KEY", "kill")):
            env.setenv(name, value)
        env.setenv("AWS_EC2_METADATA_DISABLED", "true")
        env.setenv("AWS_CONFIG_FILE", os.devnull)
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        s3 = boto3.client("s3", endpoint_url=url, region_name="eu-west-1")
        s3.create_bucket(Bucket="notes-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        for i in range(120):
            s3.put_object(Bucket="notes-eu", Key=f"note-{i:03d}.txt", Body=_note(i).encode())
        s3.put_object(Bucket="notes-eu", Key="people.csv", Body=PEOPLE.encode())
        line = f'{{name: notes, type: s3, role: controller, options: {{endpoint_url: "{url}", buckets: [notes-eu]}}}}'
        yield lambda root: line


@pytest.fixture(scope="module")
def postgres_notes(tmp_path_factory) -> Iterator[Callable[[Path], str]]:
    """A PostgreSQL database of 40 tables of notes and one of people, read by a read-only role."""
    with database("postgres", tmp_path_factory.mktemp("pg")) as db:
        for t in range(40):
            db.table(f"notes_{t:02d}", [("id", "key"), ("body", "text")])
            db.insert(f"notes_{t:02d}", ["id", "body"], [(i, _note(i)) for i in range(t * 3, t * 3 + 3)])
        db.table("people", [("id", "key"), ("name", "text"), ("email", "text")])
        rows = [(i, f"P{i}", f"p{i}@mail.example.org") for i in range(50)]
        db.insert("people", ["id", "name", "email"], rows)
        db.grant_read()
        db.settle()
        dsn = db.options["dsn"]
        yield (
            lambda root: (
                f'{{name: notes, type: postgres, region: eu-west-1, role: controller, options: {{dsn: "{dsn}"}}}}'
            )
        )


SOURCES = {"s3": "s3_notes", "postgres": "postgres_notes"}  # the fixtures that build each remote estate


def _estate(root: Path, source: Callable[[Path], str]) -> Path:
    config = root / "privmap.yaml"
    config.write_text(
        "version: 1\norganization: {name: X, country: IE}\nscan: {workers: 2}\n"
        f"sources:\n  - {source(root)}\nreports: {{fail_on: null}}\n"
    )
    return config


def _findings(root: Path, out: Path) -> list[tuple]:
    """The findings with paths made relative to the estate's folder, so two estates compare."""
    text = (out / "findings.json").read_text().replace(root.as_uri(), "ROOT")
    return sorted(tuple(f[k] for k in STABLE) for f in json.loads(text))


@pytest.fixture(scope="module")
def undisturbed(request, tmp_path_factory):
    """(estate builder, the undisturbed run's folder, its findings) per source kind."""
    runs = {}

    def run(kind: str):
        if kind not in runs:
            source = _local if kind == "local" else request.getfixturevalue(SOURCES[kind])
            root = tmp_path_factory.mktemp(f"undisturbed-{kind}")
            result = privmap("scan", "-c", str(_estate(root, source)), "-o", str(root / "out"))
            assert result.returncode == 0, result.stderr
            runs[kind] = (source, root, _findings(root, root / "out"))
        return runs[kind]

    return run


def _wait_for_a_run(store: Path, proc: subprocess.Popen) -> None:
    """Until the scan has begun a run in its store (the CLI's start-up, models included, is over)."""
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if store.exists():
            db = sqlite3.connect(f"{store.as_uri()}?mode=ro", uri=True, timeout=5)
            with contextlib.closing(db), contextlib.suppress(sqlite3.OperationalError):  # tables not made yet
                if db.execute("SELECT count(*) FROM runs").fetchone()[0]:
                    return
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "trial"), [(kind, t) for kind, n in TRIALS.items() for t in range(n)])
def test_killed_at_a_random_point_and_resumed_equals_an_undisturbed_run(tmp_path, undisturbed, kind, trial):
    source, root, expected = undisturbed(kind)
    assert expected, "the undisturbed run found nothing: the trial would prove nothing"
    config = _estate(tmp_path, source)
    (tmp_path / ".privmap").mkdir(mode=0o700)  # the same install key, so value keys compare too
    shutil.copy2(root / ".privmap" / "secret.key", tmp_path / ".privmap" / "secret.key")
    rng = random.Random(f"{kind}-{trial}")
    for _kill in range(rng.randint(1, 2)):  # killed once or more before it may finish
        proc = subprocess.Popen(
            [sys.executable, "-m", "privmap", "scan", "-c", str(config), "-o", str(tmp_path / "killed")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_a_run(tmp_path / ".privmap" / "state.db", proc)
        time.sleep(rng.uniform(0.0, 3.0))  # from "scan under way" to most of it done
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    shutil.rmtree(tmp_path / "killed", ignore_errors=True)
    result = privmap("scan", "-c", str(config), "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert _findings(tmp_path, tmp_path / "out") == expected
