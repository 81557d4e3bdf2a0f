"""`privmap schedule` as a user runs it: consecutive runs on a cron expression (the second reads no
object bytes when nothing changed), one scheduler per store, SIGTERM, a bad expression."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.e2e.conftest import privmap


def upload_folder(tmp_path: Path) -> Path:
    (tmp_path / "up").mkdir()
    for n in range(5):
        (tmp_path / "up" / f"note-{n}.txt").write_text(f"Call Anna Berg on +44 20 7946 09{n}{n} about order {n}.\n")
    config = tmp_path / "privmap.yaml"
    config.write_text(
        "version: 1\norganization: {name: T, country: IE}\n"
        "sources:\n  - {name: up, type: local, region: eu-west-1, role: controller, options: {path: up}}\n"
    )
    return config


def test_two_scheduled_runs_the_second_reads_nothing(tmp_path):
    config = upload_folder(tmp_path)
    out = tmp_path / "reports"
    cron = ("--cron", "* * * * * */2", "--max-runs", "2", "--fail-on", "none")
    result = privmap("schedule", "-c", str(config), "-o", str(out), *cron)
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    finished = [e for e in events if e["event"] == "scheduled run finished"]
    assert [e["run_id"] for e in finished] == [1, 2]
    assert finished[0]["bytes_read"] > 0 and finished[1]["bytes_read"] == 0
    run = json.loads((out / "run.json").read_text())
    assert run["run_id"] == 2 and run["items_unchanged"] == 5 and run["bytes_read"] == 0


def test_one_scheduler_per_store_and_sigterm_stops_it(tmp_path):
    config = upload_folder(tmp_path)
    first = subprocess.Popen(
        [sys.executable, "-m", "privmap", "schedule", "-c", str(config), "--cron", "0 0 1 1 *"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    try:
        lock = tmp_path / ".privmap" / "schedule.lock"
        deadline = time.monotonic() + 120
        while not (lock.exists() and lock.read_text().startswith("pid")):
            assert time.monotonic() < deadline and first.poll() is None, first.stderr and first.stderr.read()
            time.sleep(0.2)
        second = privmap("schedule", "-c", str(config), "--cron", "0 0 1 1 *")
        assert second.returncode == 2
        assert f"a privmap schedule already runs on {tmp_path / '.privmap'} (pid {first.pid}" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        _, err = first.communicate(timeout=60)
    assert first.returncode == 130, err


def test_a_bad_cron_expression_is_a_usage_error(tmp_path):
    result = privmap("schedule", "-c", str(upload_folder(tmp_path)), "--cron", "every day")
    assert result.returncode == 2 and "not a cron expression: 'every day'" in result.stderr
