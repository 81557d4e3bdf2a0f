"""The run history through the CLI: reproducing a past run, concurrent scans on one store."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.e2e.conftest import privmap

CONFIG = """\
version: 1
organization: {name: Test Org, country: IE}
sources:
  - {name: files, type: local, region: eu-west-1, role: controller, options: {path: data}}
"""
ACTIVITY = """\
inventory:
  activities:
    - {name: Newsletter, purposes: [marketing], lawful_basis: consent, stores: [files],
       data_categories: [user.contact.email]}
"""


def people(n: int, start: int = 0) -> str:
    rows = [f"Person {i},person{i}@mail-{i}.ie,+353 87 {1000000 + i}" for i in range(start, start + n)]
    return "name,email,phone\n" + "\n".join(rows) + "\n"


def outputs(folder: Path) -> dict[str, object]:
    """Every output file's content; the workbook's cells (its zip entries carry the time it was written)."""
    import openpyxl

    out: dict[str, object] = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix != ".xlsx"}
    book = openpyxl.load_workbook(folder / "ropa.xlsx")
    out["ropa.xlsx"] = {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in book.worksheets}
    return out


def test_report_of_run_1_after_three_later_runs_equals_its_original_outputs(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.csv").write_text(people(5))
    (data / "b.csv").write_text(people(5, 100))
    config = tmp_path / "privmap.yaml"
    config.write_text(CONFIG)
    first = tmp_path / "run1"
    assert privmap("scan", "-c", str(config), "-o", str(first), "--fail-on", "critical").returncode == 0
    # later runs: content changes, an item goes, the config's inventory changes
    (data / "a.csv").write_text(people(8))
    (data / "b.csv").unlink()
    (data / "c.txt").write_text("call Ann on +353 87 1234567 or ann@mail.ie\n")
    config.write_text(CONFIG + ACTIVITY)
    for n in (2, 3, 4):
        (data / f"n{n}.csv").write_text(people(2, 10 * n))
        result = privmap("scan", "-c", str(config), "-o", str(tmp_path / f"run{n}"), "--fail-on", "critical")
        assert result.returncode == 0, result.stderr
    again = tmp_path / "again"
    result = privmap("report", "-c", str(config), "-o", str(again), "--run", "1")
    assert result.returncode == 0, result.stderr
    assert outputs(again) == outputs(first)
    # judged again with today's config: the declared activity now stands
    rejudged = tmp_path / "rejudged"
    assert privmap("report", "-c", str(config), "-o", str(rejudged), "--run", "1", "--rejudge").returncode == 0
    assert json.loads((rejudged / "findings.json").read_text()) == json.loads((first / "findings.json").read_text())
    assert (rejudged / "checks.json").read_bytes() != (first / "checks.json").read_bytes()
    run4 = json.loads((tmp_path / "run4" / "run.json").read_text())
    assert (run4["items_listed"], run4["items_unchanged"], run4["items_scanned"]) == (5, 4, 1)


def _paused_holding_a_run(proc: subprocess.Popen[str], store: Path) -> None:
    """Stop `proc` once it holds a running run, outside any write transaction (so others can read
    the lease and write once it is gone)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if store.exists():
            proc.send_signal(signal.SIGSTOP)
            db = sqlite3.connect(store, timeout=0.2, isolation_level=None)
            try:
                running = db.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0]
                db.execute("BEGIN IMMEDIATE")  # raises while the stopped process holds a write transaction
                db.execute("ROLLBACK")
                if running:
                    return
            except sqlite3.OperationalError:
                pass
            finally:
                db.close()
            proc.send_signal(signal.SIGCONT)
        time.sleep(0.2)
    raise AssertionError("the first scan never started its run")


def test_two_concurrent_scans_on_one_store(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for n in range(20):
        (data / f"f{n}.csv").write_text(people(20, 100 * n))
    config = tmp_path / "privmap.yaml"
    config.write_text(CONFIG)
    store = tmp_path / ".privmap" / "state.db"
    cmd = [sys.executable, "-m", "privmap", "scan", "-c", str(config), "--fail-on", "critical", "-o"]
    first = subprocess.Popen([*cmd, str(tmp_path / "one")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _paused_holding_a_run(first, store)
    second = privmap("scan", "-c", str(config), "-o", str(tmp_path / "two"), "--fail-on", "critical")
    first.send_signal(signal.SIGCONT)
    _, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    assert second.returncode == 2, second.stderr
    assert "is in use by run 1 (process" in second.stderr and "store.wait" in second.stderr
    assert not list((tmp_path / "two").glob("*.*")) if (tmp_path / "two").exists() else True  # no reports

    # with store.wait the second waits for the first to end, then runs its own run
    config.write_text(CONFIG + "store: {wait: 600}\n")
    (data / "new.csv").write_text(people(3, 5000))
    first = subprocess.Popen([*cmd, str(tmp_path / "three")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _paused_holding_a_run(first, store)
    waiting = subprocess.Popen(
        [*cmd, str(tmp_path / "four")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    time.sleep(5)
    assert waiting.poll() is None  # still waiting for the lease
    first.send_signal(signal.SIGCONT)
    for proc in (first, waiting):
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
    runs = [json.loads((tmp_path / name / "run.json").read_text()) for name in ("one", "three", "four")]
    assert [r["run_id"] for r in runs] == [1, 2, 3]  # none resumed or taken over by the other process
    assert [(r["items_scanned"], r["items_unchanged"]) for r in runs] == [(20, 0), (1, 20), (0, 21)]
