"""The per-install secret that keys value hashes; created once, atomically, readable by its owner only."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from privmap.files import private_dir, stage

KEY_BYTES = 32


class KeyFileError(Exception):
    """The install key exists but cannot be trusted (wrong mode, owner or content); the message says how
    to fix it and never shows the key."""


def install_secret(state_dir: Path) -> bytes:
    """The 32-byte secret in `state_dir/secret.key` (64 hex digits, mode 0600), created on first use.

    The key is written in full to a private temporary file and then linked into place, so concurrent
    first runs agree on one key and a crash never leaves an empty or partial key file. Raises
    KeyFileError for a key others can read, that another user owns, or that is not 64 hex digits;
    OutputError when the state folder cannot be created."""
    path = state_dir / "secret.key"
    private_dir(state_dir)
    if not path.exists():
        tmp = stage(path, secrets.token_hex(KEY_BYTES).encode())
        try:
            os.link(tmp, path)  # fails if another process created the key first: then theirs is used
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return read_secret(path)


def read_secret(path: Path) -> bytes:
    """Read and check an existing key file. Raises KeyFileError."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        st = os.fstat(fd)
        raw = os.read(fd, 4 * KEY_BYTES)
    finally:
        os.close(fd)
    if not stat.S_ISREG(st.st_mode):
        raise KeyFileError(f"{path}: the install key is not a regular file")
    if st.st_uid != os.geteuid():
        raise KeyFileError(f"{path}: the install key belongs to another user (uid {st.st_uid})")
    if st.st_mode & 0o077:
        raise KeyFileError(
            f"{path}: the install key is readable by others (mode {stat.S_IMODE(st.st_mode):o}); run chmod 600 on it"
        )
    try:
        key = bytes.fromhex(raw.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise KeyFileError(
            f"{path}: the install key is damaged (expected {2 * KEY_BYTES} hex digits); restore it from a "
            "backup, or delete it to start a new key (earlier value keys then no longer match)"
        )
    return key
