"""Exit codes mean one thing each: 130 interrupted (and resumable), 2 a run that could not be
made (a bad config, an internal error), and the demo never writes over a folder's files."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing, suppress
from pathlib import Path

import pytest

from tests.e2e.conftest import privmap

CONFIG = """\
version: 1
organization: {name: X, country: IE}
sources:
  - {name: notes, type: local, region: eu-west-1, role: controller, options: {path: notes}}
"""


def notes(tmp_path: Path, n: int = 150) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    for i in range(n):
        (folder / f"note-{i:03d}.txt").write_text(f"Ticket {i}: customer{i}@mailbox.ie called\n" * 20)
    config = tmp_path / "privmap.yaml"
    config.write_text(CONFIG)
    return config


def _interruptible() -> None:
    # a process started with SIGINT ignored keeps it ignored (Python installs its Ctrl-C handler only over
    # the default), and a test runner's worker may ignore it (as a shell does for background jobs): the scan
    # gets SIGINT as a terminal would deliver it
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _processes_of(config: Path) -> list[int]:
    """Pids of the processes (a scan and its forked workers) whose command line names `config`."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with suppress(OSError):
            if str(config).encode() in cmdline.read_bytes():
                pids.append(int(cmdline.parent.name))
    return pids


@pytest.mark.parametrize(("sig", "workers"), [(signal.SIGINT, 1), (signal.SIGTERM, 1), (signal.SIGINT, 2)])
def test_an_interrupted_scan_exits_130_and_resumes(tmp_path, sig, workers):
    config = notes(tmp_path)
    config.write_text(CONFIG.replace("sources:", f"scan: {{workers: {workers}}}\nsources:"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "privmap", "scan", "-c", str(config), "-o", str(tmp_path / "a")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_interruptible,
    )
    db = tmp_path / ".privmap" / "state.db"
    deadline = time.monotonic() + 300
    done = 0
    while done < 20 and time.monotonic() < deadline:
        time.sleep(0.2)
        if db.exists():
            with closing(sqlite3.connect(db)) as con, suppress(sqlite3.OperationalError):
                done = con.execute("SELECT count(*) FROM run_items").fetchone()[0]
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=300)
    assert 20 <= done < 150, "the scan was not interrupted midway"
    assert proc.returncode == 130, err
    assert "interrupted: the run is left resumable" in err and "Traceback" not in err
    deadline = time.monotonic() + 10
    while _processes_of(config) and time.monotonic() < deadline:  # workers end with the scan
        time.sleep(0.1)
    assert _processes_of(config) == []
    with closing(sqlite3.connect(db)) as con:
        assert con.execute("SELECT id, status, lease_until FROM runs").fetchall() == [(1, "interrupted", 0)]

    result = privmap("scan", "-c", str(config), "-o", str(tmp_path / "b"), "--fail-on", "none")
    assert result.returncode == 0, result.stderr
    run = json.loads((tmp_path / "b" / "run.json").read_text())
    assert (run["run_id"], run["items_listed"], run["items_unchanged"]) == (1, 150, 0)  # the same run, completed
    assert run["items_scanned"] == 150
    listed = json.loads(privmap("runs", "-c", str(config), "--json").stdout)
    assert [(r["run_id"], r["status"], r["items"], r["coverage"]) for r in listed] == [(1, "finished", 150, 100)]


def test_an_internal_error_exits_2_with_one_line_and_the_log_path(tmp_path):
    config = notes(tmp_path, 2)
    broken = (
        "import sys, privmap.pipeline as p\n"
        "def run(*args, **kwargs): raise ZeroDivisionError('customer0@mailbox.ie')\n"
        "p.run = run\n"
        "from privmap.cli import main\n"
        "sys.argv = ['privmap', *sys.argv[1:]]\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", broken, "scan", "-c", str(config), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    [line] = [ln for ln in result.stderr.splitlines() if not ln.startswith("{")]
    assert line.startswith("error: internal error (ZeroDivisionError); details in ")
    log = Path(line.rsplit(" ", 1)[1])
    details = log.read_text()
    assert "ZeroDivisionError" in details and "cli.py" in details
    assert "customer0" not in details + result.stderr  # the message may quote content: never written
    assert log.stat().st_mode & 0o077 == 0
    log.unlink()


def test_a_bad_country_exits_2_naming_file_line_and_a_suggestion(tmp_path):
    config = notes(tmp_path, 1)
    config.write_text(CONFIG.replace("country: IE", "country: Germany"))
    result = privmap("scan", "-c", str(config), "-o", str(tmp_path / "out"))
    assert result.returncode == 2
    assert f"{config}:2: organization.country: 'Germany' is not an ISO 3166-1 alpha-2 country code" in result.stderr
    assert "did you mean `DE` (Germany)?" in result.stderr and "Traceback" not in result.stderr


def test_demo_refuses_a_folder_that_holds_files(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    result = privmap("demo", str(tmp_path))
    assert result.returncode == 2 and "already holds files" in result.stderr and "--force" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]
    assert privmap("demo", str(tmp_path), "--force").returncode == 0
    assert (tmp_path / "mine.txt").read_text() == "keep me" and (tmp_path / "privmap.yaml").exists()
