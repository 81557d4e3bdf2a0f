"""Shared fixtures: configs written to temp folders, one detector per test session."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from privmap.config import Config, load_config
from privmap.config.models import DetectionConfig
from privmap.detectors.detector import Detector

MINIMAL = """\
version: 1
organization: {name: Test Org, country: IE}
sources:
"""


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Write a config file; `sources` is YAML for the sources list, `extra` more top-level YAML."""

    def write(sources: str, extra: str = "", name: str = "privmap.yaml") -> Path:
        path = tmp_path / name
        body = MINIMAL + textwrap.indent(textwrap.dedent(sources).strip("\n"), "  ") + "\n"
        path.write_text(body + textwrap.dedent(extra), encoding="utf-8")
        return path

    return write


@pytest.fixture
def local_config(tmp_path: Path, write_config: Callable[..., Path]) -> Callable[..., Config]:
    """A config scanning tmp_path/data as one local source in eu-west-1."""
    (tmp_path / "data").mkdir(exist_ok=True)

    def make(extra: str = "") -> Config:
        return load_config(
            write_config(
                "- {name: files, type: local, region: eu-west-1, role: controller, options: {path: data}}", extra
            )
        )

    return make


@pytest.fixture(scope="session")
def detector() -> Detector:
    return Detector(DetectionConfig(), secret=b"k" * 32)
