from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from privmap.demo import build


def privmap(
    *args: str, cwd: Path | None = None, input: str | None = None, input_bytes: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a user would, in a fresh process; `input_bytes` feeds stdin bytes as they are."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(
        [sys.executable, "-m", "privmap", *args],
        cwd=cwd,
        input=input.encode() if input is not None else input_bytes,
        capture_output=True,
        env=env,
        timeout=600,
    )
    out, err = (b.decode("utf-8", "replace") for b in (done.stdout, done.stderr))
    return subprocess.CompletedProcess(done.args, done.returncode, out, err)


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    """The demo estate: the config's path."""
    return build(tmp_path / "estate")


# Debian's Chromium, driven by Playwright; the flags keep it from calling home on this offline machine
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).parents[1] / "artifacts"  # screenshots and PDFs, kept for people to look at


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextmanager
def open_page(browser: Browser, path: Path, **options: Any) -> Iterator[Page]:
    """Open a report file; on the way out, assert it logged no error, ran no dialog and fetched nothing."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        page.goto(path.as_uri())
        yield page
        assert errors == []
        assert dialogs == []  # no injected alert() ran
        assert requests == [path.as_uri()]  # the file itself, and nothing else
    finally:
        context.close()
