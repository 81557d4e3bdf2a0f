"""Files privmap writes: private to their owner, replaced atomically, never written through a link.

The state folder, the store, the key and the reports hold URIs, masked previews and keyed hashes:
pseudonymised personal data (GDPR Art. 4(5)) that only the account running privmap should read.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from privmap.model import Halt

FILE_MODE = 0o600
DIR_MODE = 0o700


class OutputError(Halt):
    """A file or folder privmap must write cannot be written (read-only, full disk, not a folder).

    The message names the path and the system's reason, never file contents."""


def private_dir(path: Path) -> Path:
    """Create `path` (and missing parents) as a folder only its owner can open; tighten it if we own
    it and it is wider. Raises OutputError when it cannot be made."""
    try:
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        st = path.stat()
        if st.st_uid == os.geteuid() and st.st_mode & 0o077:
            path.chmod(DIR_MODE)
    except FileExistsError:
        raise OutputError(f"{path}: exists and is not a folder") from None
    except OSError as exc:
        raise OutputError(f"{path}: cannot create the folder: {exc.strerror}") from None
    return path


def check_writable(folder: Path) -> None:
    """Fail before any work when `folder` cannot take new files (read-only, not a folder, no space left
    for even a small file). Raises OutputError."""
    private_dir(folder)
    probe = folder / f".privmap-probe-{secrets.token_hex(4)}"
    try:
        with os.fdopen(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE), "wb") as fh:
            fh.write(b"\0" * 65536)  # buffered: a short write is retried, so a full disk raises here
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise OutputError(f"{folder}: cannot write there: {exc.strerror}") from None
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()


def stage(path: Path, data: bytes) -> Path:
    """Write `data` to a new private temporary file beside `path` and return it; `commit` puts it in place.

    Staging every file of a set before committing any keeps a crash from leaving one run's files beside
    another's. Raises OutputError (the partial temporary file is removed)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise OutputError(f"{path}: cannot write: {exc.strerror}") from None
    return tmp


def commit(tmp: Path, path: Path) -> None:
    """Move a staged file over `path`. rename(2) replaces a link at `path` itself, never its target."""
    try:
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"{path}: cannot replace: {exc.strerror}") from None


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one step, mode 0600. Raises OutputError."""
    commit(stage(path, data), path)
