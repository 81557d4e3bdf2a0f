"""Configs of the reliability tests: one source, the store kept in `state/` beside the config."""

from __future__ import annotations

from pathlib import Path

LOCAL = "{name: f, type: local, region: eu-west-1, role: controller, options: {path: data}}"


def write_config(root: Path, source: str = LOCAL, fail_on: bool = False) -> Path:
    """`root/privmap.yaml` scanning `source` (a YAML flow mapping; by default the folder `root/data`),
    with no `fail_on` unless asked, so that exit codes speak of the scan itself."""
    config = root / "privmap.yaml"
    config.write_text(
        "version: 1\norganization: {name: T, country: IE}\nstore: {path: state/state.db}\n"
        f"sources: [{source}]\n" + ("" if fail_on else "reports: {fail_on: null}\n")
    )
    return config
