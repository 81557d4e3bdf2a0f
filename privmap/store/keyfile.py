"""The per-install secret that keys value hashes; created once, readable by its owner only."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def install_secret(state_dir: Path) -> bytes:
    """The 32-byte secret in `state_dir/secret.key`, created with mode 0600 on first use."""
    path = state_dir / "secret.key"
    state_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())
