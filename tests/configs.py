"""What the config tests share: a minimal valid config and the message of the ConfigError a text raises."""

from __future__ import annotations

from pathlib import Path

import pytest

from privmap.config import ConfigError, parse_config

BASE = """\
version: 1
organization: {name: Org, country: IE}
sources:
  - name: files
    type: local
    region: eu-west-1
    options: {path: data}
"""


def config_error(text: str, env: dict[str, str] | None = None) -> str:
    """The message of the ConfigError that `text`, read as conf/privmap.yaml, raises (fails if none)."""
    with pytest.raises(ConfigError) as info:
        parse_config(text, Path("conf/privmap.yaml"), env or {})
    return str(info.value)
