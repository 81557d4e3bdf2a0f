from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from privmap.demo import build


def privmap(*args: str, cwd: Path | None = None, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a user would, in a fresh process."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [sys.executable, "-m", "privmap", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    """The demo estate: the config's path."""
    return build(tmp_path / "estate")
