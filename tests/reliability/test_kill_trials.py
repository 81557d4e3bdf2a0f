"""The scanner killed at random points and restarted ends with exactly the findings of an undisturbed
run: nothing lost, nothing counted twice. `make test` runs 2 trials, `make test-reliability` 20."""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import privmap

TRIALS = 20 if os.environ.get("PRIVMAP_FUZZ") == "long" else 2
STABLE = ("source", "store", "uri", "part", "field", "entity", "category", "count", "distinct", "preview", "value_key")


def _estate(root: Path) -> Path:
    folder = root / "notes"
    folder.mkdir(parents=True)
    for i in range(120):
        body = f"Ticket {i}: customer{i}@mailbox.ie called from 81.2.69.{i % 250}, IBAN NL39RABO0347123456\n"
        (folder / f"note-{i:03d}.txt").write_text(body * (1 + i % 7))
    (folder / "people.csv").write_text("name,email\n" + "".join(f"P{i},p{i}@mail.example.org\n" for i in range(50)))
    config = root / "privmap.yaml"
    config.write_text(
        "version: 1\norganization: {name: X, country: IE}\nscan: {workers: 2}\n"
        "sources:\n  - {name: notes, type: local, region: eu-west-1, role: controller, options: {path: notes}}\n"
        "reports: {fail_on: null}\n"
    )
    return config


def _findings(root: Path, out: Path) -> list[tuple]:
    """The findings with paths made relative to the estate's folder, so two estates compare."""
    text = (out / "findings.json").read_text().replace(root.as_uri(), "ROOT")
    return sorted(tuple(f[k] for k in STABLE) for f in json.loads(text))


@pytest.fixture(scope="module")
def undisturbed(tmp_path_factory):
    root = tmp_path_factory.mktemp("undisturbed")
    result = privmap("scan", "-c", str(_estate(root)), "-o", str(root / "out"))
    assert result.returncode == 0, result.stderr
    return root, _findings(root, root / "out")


@pytest.mark.slow
@pytest.mark.parametrize("trial", range(TRIALS))
def test_killed_at_a_random_point_and_resumed_equals_an_undisturbed_run(tmp_path, undisturbed, trial):
    config = _estate(tmp_path)
    root, expected = undisturbed
    (tmp_path / ".privmap").mkdir(mode=0o700)  # the same install key, so value keys compare too
    shutil.copy2(root / ".privmap" / "secret.key", tmp_path / ".privmap" / "secret.key")
    rng = random.Random(trial)
    for _kill in range(rng.randint(1, 2)):  # killed once or more before it may finish
        proc = subprocess.Popen(
            [sys.executable, "-m", "privmap", "scan", "-c", str(config), "-o", str(tmp_path / "killed")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.5, 4.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    shutil.rmtree(tmp_path / "killed", ignore_errors=True)
    result = privmap("scan", "-c", str(config), "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert _findings(tmp_path, tmp_path / "out") == expected
