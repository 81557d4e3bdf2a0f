"""The local source never reads outside its folder, never hangs on what a file became after listing,
and leaves a trace for everything it did not read."""

import contextlib
import os
import pwd
import shutil
import tempfile
import threading
from pathlib import Path

import pytest

from privmap.config import load_config
from privmap.scanner.crawl import scan_item
from privmap.scanner.sources.base import NotRead, SourceError
from privmap.scanner.sources.local import LocalSource
from tests.reliability.estates import write_config

SECRET = "root-only secret: olek.wisniewski@poczta.example"


def source_for(folder: Path, tmp_path: Path) -> LocalSource:
    cfg = load_config(
        write_config(tmp_path, f"{{name: f, type: local, region: eu-west-1, options: {{path: '{folder}'}}}}")
    )
    return LocalSource(cfg.sources[0], cfg)


@pytest.fixture
def folder(tmp_path):
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "sub" / "a.txt").write_text("hello anna.byrne@mailbox.ie\n")
    (tmp_path / "secret.txt").write_text(SECRET)
    return data


def test_links_pipes_and_odd_names_are_listed_and_never_followed(tmp_path, folder, detector):
    (folder / "link.txt").symlink_to(tmp_path / "secret.txt")
    (folder / "linked-dir").symlink_to(tmp_path)
    os.mkfifo(folder / "pipe")
    odd = os.fsencode(folder) + b"/caf\xe9-\xff.txt"  # not valid UTF-8
    Path(os.fsdecode(odd)).write_text("call bo.lind@mailbox.se")
    source = source_for(folder, tmp_path)
    items = {i.metadata["path"]: i for i in source.items()}
    assert set(items) == {"link.txt", "linked-dir", "pipe", "sub/a.txt", os.fsdecode(b"caf\xe9-\xff.txt")}
    outcomes = {
        path: scan_item(source, item, source.spec, source.config.scan, detector.detect) for path, item in items.items()
    }
    assert outcomes["link.txt"].skipped == "not read: a symbolic link (not followed)"
    assert outcomes["linked-dir"].skipped == "not read: a symbolic link (not followed)"
    assert outcomes["pipe"].skipped == "not read: a named pipe"
    odd_outcome = outcomes[os.fsdecode(b"caf\xe9-\xff.txt")]
    assert [f.entity for f in odd_outcome.findings] == ["EMAIL_ADDRESS"]  # read on every run, not "missing"
    assert all("olek" not in f.preview and "poczta" not in f.preview for o in outcomes.values() for f in o.findings)


@pytest.mark.parametrize("swap", ["file-to-link", "dir-to-link", "file-to-fifo", "file-to-dir"])
def test_what_a_file_becomes_after_listing_is_never_followed_nor_waited_on(tmp_path, folder, swap):
    source = source_for(folder, tmp_path)
    (item,) = list(source.items())
    target = folder / "sub" / "a.txt"
    if swap == "file-to-link":
        target.unlink()
        target.symlink_to(tmp_path / "secret.txt")
    elif swap == "dir-to-link":
        shutil.rmtree(folder / "sub")
        (tmp_path / "elsewhere").mkdir()
        (tmp_path / "elsewhere" / "a.txt").write_text(SECRET)
        (folder / "sub").symlink_to(tmp_path / "elsewhere")
    elif swap == "file-to-fifo":
        target.unlink()
        os.mkfifo(target)
    else:
        target.unlink()
        target.mkdir()
    with pytest.raises((NotRead, OSError)) as info:
        source.open(item)
    assert SECRET not in str(info.value)


def test_race_harness_never_reads_outside_the_root(tmp_path, folder):
    """A swapper flips a file between a regular file and a link to a secret while the source reads it."""
    source = source_for(folder, tmp_path)
    (item,) = list(source.items())
    target, stop, seen = folder / "sub" / "a.txt", threading.Event(), []

    def swapper():
        while not stop.is_set():
            tmp = folder / "sub" / ".swap"
            tmp.symlink_to(tmp_path / "secret.txt")
            os.replace(tmp, target)
            tmp.write_text("plain text\n")
            os.replace(tmp, target)

    thread = threading.Thread(target=swapper)
    thread.start()
    try:
        for _ in range(2000):
            with contextlib.suppress(NotRead, OSError):
                seen.append(source.open(item).data)
    finally:
        stop.set()
        thread.join()
    assert seen and not any(SECRET.encode() in data for data in seen)


def _as_nobody(fn, *args):
    """Run fn(*args) in a forked child without root's privileges (permission bits mean nothing to root);
    returns what it returned (or raised), as text."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            if os.geteuid() == 0:
                nobody = pwd.getpwnam("nobody")
                os.setgid(nobody.pw_gid)
                os.setuid(nobody.pw_uid)
            out = repr(fn(*args))
        except BaseException as exc:
            out = f"{type(exc).__name__}: {exc}"
        os.write(write, out.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as fh:
        text = fh.read()
    os.waitpid(pid, 0)
    return text


def _listing(source):
    items = [i.metadata["path"] for i in source.items()]
    return items, [(p.kind, p.message) for p in source.problems]


def test_unreadable_folders_are_coverage_gaps_and_an_unreadable_root_fails_the_source(tmp_path):
    base = Path(tempfile.mkdtemp(prefix="privmap-scope-"))  # outside root's private pytest folder
    try:
        base.chmod(0o755)
        data = base / "data"
        (data / "open").mkdir(parents=True)
        (data / "closed").mkdir()
        (data / "open" / "a.txt").write_text("x")
        (data / "closed" / "b.txt").write_text("y")
        for p in (data, data / "open", data / "open" / "a.txt"):
            p.chmod(0o755)
        (data / "closed").chmod(0o700)
        source = source_for(data, tmp_path)
        listed = _as_nobody(_listing, source)
        assert "['open/a.txt']" in listed and "'denied', 'folder not listed: Permission denied'" in listed
        data.chmod(0o700)
        assert _as_nobody(_listing, source).startswith("SourceError: folder")
        assert "permission denied" in _as_nobody(_listing, source)
    finally:
        shutil.rmtree(base)


def test_a_missing_root_fails_the_source(tmp_path):
    source = source_for(tmp_path / "nowhere", tmp_path)
    with pytest.raises(SourceError) as info:
        list(source.items())
    assert info.value.kind == "missing"
