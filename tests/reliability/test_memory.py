"""Memory stays bounded however large the input: a huge object, a table of millions of rows, megabytes of
caseless text. Each case is a real `privmap scan` whose largest process's peak RSS must stay under 600 MB.
`make test` runs them at a tenth of the size (the bound is the same); `make test-reliability` at full size:
a 2 GB object, a 5,000,000-row table, 10 MB of caseless text."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

LONG = os.environ.get("PRIVMAP_FUZZ") == "long"
SCALE = 1.0 if LONG else 0.1
LIMIT_KB = 600_000  # ru_maxrss is in KiB on Linux
# runs `privmap` as its child and prints the peak RSS of the largest process it waited for (itself or a worker)
MEASURE = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "sys.stderr.buffer.write(done.stderr)\n"
    "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def _scan(root: Path, source: str, scan: str = "{workers: 2}") -> int:
    """Peak RSS in KiB of the largest process of a scan of `source` (a YAML flow mapping)."""
    config = root / "privmap.yaml"
    config.write_text(
        f"version: 1\norganization: {{name: X, country: IE}}\nscan: {scan}\n"
        f"sources:\n  - {source}\nreports: {{fail_on: null}}\n"
    )
    argv = [sys.executable, "-m", "privmap", "scan", "-c", str(config), "-o", str(root / "out")]
    done = subprocess.run([sys.executable, "-c", MEASURE, *argv], capture_output=True, text=True, timeout=3600)
    code, peak = done.stdout.split()
    assert code == "0", done.stderr[-2000:]
    print(f"{root.name}: peak RSS {int(peak) / 1024:.0f} MiB")  # shown with -s: the figures of the closing note
    return int(peak)


@pytest.mark.slow
def test_a_huge_object(tmp_path):
    folder = tmp_path / "files"
    folder.mkdir()
    line = b"2026-11-30T07:00:00Z GET /api/orders user=anna.byrne@mailbox.ie ip=81.2.69.160 status=200\n"
    with (folder / "access.log").open("wb") as fh:
        block = line * (1_000_000 // len(line))
        for _ in range(int(2_000 * SCALE)):  # 2,000 MB at full size
            fh.write(block)
    assert _scan(tmp_path, "{name: files, type: local, region: eu-west-1, options: {path: files}}") < LIMIT_KB


@pytest.mark.slow
def test_a_table_of_millions_of_rows(tmp_path):
    path = tmp_path / "crm.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, email TEXT, note TEXT)")
        rows = ((i, f"Customer {i}", f"c{i}@mailbox.ie", "called about invoice") for i in range(int(5e6 * SCALE)))
        db.executemany("INSERT INTO customers VALUES (?, ?, ?, ?)", rows)
    assert _scan(tmp_path, f'{{name: crm, type: sqlite, region: eu-west-1, options: {{path: "{path}"}}}}') < LIMIT_KB


@pytest.mark.slow
def test_megabytes_of_caseless_text_read_whole(tmp_path):
    folder = tmp_path / "files"
    folder.mkdir()
    words = "the order was shipped to the warehouse and anna byrne signed for it on monday".split()
    lines = (" ".join(words[(i + j) % len(words)] for j in range(6)) for i in range(int(285_000 * SCALE)))
    (folder / "chat.txt").write_text("\n".join(lines))  # ~10 MB at full size
    source = "{name: files, type: local, region: eu-west-1, options: {path: files}}"
    assert _scan(tmp_path, source, "{workers: 2, max_bytes_per_object: 50MB}") < LIMIT_KB
