"""Workers die with the scanner; keys, state and reports are private and written atomically; output
problems are clear errors before any work."""

import json
import os
import resource
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from privmap.files import OutputError, write_atomic
from privmap.store import Store
from privmap.store.keyfile import KeyFileError, install_secret
from tests.e2e.conftest import privmap
from tests.reliability.estates import write_config

WORKERS = textwrap.dedent(
    """
    import os, sys, time
    from privmap.scanner.executor import run_all

    def slow(n):
        os.write(1, f"{os.getpid()}\\n".encode())  # one write: lines of two workers never mix
        time.sleep(600)

    for _ in run_all(slow, range(4), workers=2):
        pass
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as fh:  # a zombie is dead, only not yet reaped
        return fh.read().split(")")[-1].split()[0] != "Z"


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_the_scanning_process(sig):
    parent = subprocess.Popen([sys.executable, "-c", WORKERS], stdout=subprocess.PIPE, text=True)
    workers = {int(parent.stdout.readline()), int(parent.stdout.readline())}
    assert all(_alive(w) for w in workers)
    parent.send_signal(sig)
    parent.wait(10)
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(w) for w in workers)


def test_concurrent_first_runs_agree_on_one_complete_key(tmp_path):
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: install_secret(tmp_path / "state"), range(32)))
    assert len(keys) == 1 and len(keys.pop()) == 32
    key_file = tmp_path / "state" / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o700
    assert [p.name for p in (tmp_path / "state").iterdir()] == ["secret.key"]  # no temporary left


@pytest.mark.parametrize(
    ("content", "mode", "expected"),
    [
        (b"", 0o600, "damaged"),
        (b"zz" * 32, 0o600, "damaged"),
        (b"ab" * 16, 0o600, "damaged"),  # too short: a truncated write
        (b"ab" * 32, 0o644, r"readable by others \(mode 644\)"),
        (b"ab" * 32, 0o640, "readable by others"),
    ],
)
def test_an_untrustworthy_key_is_refused_without_showing_it(tmp_path, content, mode, expected):
    state = tmp_path / "state"
    state.mkdir()
    key = state / "secret.key"
    key.write_bytes(content)
    key.chmod(mode)
    with pytest.raises(KeyFileError, match=expected) as info:
        install_secret(state)
    assert content.decode() not in str(info.value) or not content


def test_a_key_that_is_a_link_is_refused(tmp_path):
    (tmp_path / "elsewhere").write_text("ab" * 32)
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "secret.key").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(OSError):
        install_secret(tmp_path / "state")


def test_store_is_private_and_a_folder_is_refused(tmp_path):
    store = Store(tmp_path / "state" / "state.db")
    store.close()
    assert stat.S_IMODE((tmp_path / "state" / "state.db").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o700
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(OutputError, match="names a folder"):
        Store(tmp_path / "dir.db")


def test_atomic_write_replaces_a_planted_link_and_never_writes_through_it(tmp_path):
    victim = tmp_path / "victim.conf"
    victim.write_text("precious")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "run.json").symlink_to(victim)
    write_atomic(tmp_path / "out" / "run.json", b"{}")
    assert victim.read_text() == "precious"
    assert not (tmp_path / "out" / "run.json").is_symlink()
    assert stat.S_IMODE((tmp_path / "out" / "run.json").stat().st_mode) == 0o600


@pytest.fixture
def small_estate(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.txt").write_text("Contact: anna.byrne@mailbox.ie\n")
    return write_config(tmp_path)


@pytest.mark.slow
def test_reports_are_private_replace_planted_links_and_leave_no_temporaries(tmp_path, small_estate):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.conf"
    victim.write_text("precious")
    (out / "run.json").symlink_to(victim)
    result = privmap("scan", "-c", str(small_estate), "--out", str(out))
    assert result.returncode in (0, 1), result.stderr
    assert victim.read_text() == "precious"
    assert json.loads((out / "run.json").read_text())["run_id"] == 1
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in out.iterdir())
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def _full_disk() -> None:
    # a file-size limit makes every write past 1 KB fail with EFBIG, as a full disk fails with ENOSPC
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))


@pytest.mark.slow
@pytest.mark.parametrize("problem", ["full-disk", "a-file", "store-folder"])
def test_unwritable_outputs_fail_before_scanning_with_exit_2(tmp_path, small_estate, problem):
    out = tmp_path / "out"
    if problem == "a-file":
        out.write_text("not a folder")
    elif problem == "store-folder":
        (tmp_path / "state" / "state.db").mkdir(parents=True)
    if problem == "full-disk":
        done = subprocess.run(
            [sys.executable, "-m", "privmap", "scan", "-c", str(small_estate), "--out", str(out)],
            capture_output=True,
            text=True,
            preexec_fn=_full_disk,
            timeout=600,
        )
        result = subprocess.CompletedProcess(done.args, done.returncode, done.stdout, done.stderr)
    else:
        result = privmap("scan", "-c", str(small_estate), "--out", str(out))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "rror: " in result.stderr
    assert "anna.byrne" not in result.stderr


@pytest.fixture
def small_filesystem(tmp_path: Path) -> Iterator[Path]:
    """A 256 KB tmpfs at `tmp_path/state` (the tests run as root, as CI does); unmounted afterwards."""
    state = tmp_path / "state"
    state.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(state)], check=True)
    try:
        yield state
    finally:
        subprocess.run(["umount", str(state)], check=True)


@pytest.mark.slow
def test_a_store_whose_disk_fills_mid_scan_stops_the_run_resumably_with_exit_2(tmp_path, small_filesystem):
    data = tmp_path / "data"
    data.mkdir()
    for i in range(400):
        (data / f"note-{i:03d}.txt").write_text(f"Ticket {i}: customer{i}@mailbox.ie, +353 86 123 {1000 + i}\n")
    config = write_config(tmp_path)
    result = privmap("scan", "-c", str(config), "--out", str(tmp_path / "out"))
    assert result.returncode == 2, result.stderr
    assert "the state store could not be written" in result.stderr and "Traceback" not in result.stderr
    assert "source failed" not in result.stderr and "item problem" not in result.stderr  # nothing else is blamed
    assert "customer" not in result.stderr

    subprocess.run(["mount", "-o", "remount,size=16m", str(small_filesystem)], check=True)
    result = privmap("scan", "-c", str(config), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert (run["run_id"], run["status"], run["items_listed"], run["items_failed"]) == (1, "finished", 400, 0)
