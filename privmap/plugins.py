"""String-keyed registries of sources, extractors and alert sinks.

Built-ins are named by import path and loaded on first use, so a plugin whose optional
dependency is missing shows up as disabled (with the reason and the extra to install)
in `privmap plugins` instead of failing at start-up. Third-party plugins register under
the entry-point groups `privmap.sources` and `privmap.alerts`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Literal

Kind = Literal["source", "alert"]

# kind -> name -> (import path, pip extra that provides its dependencies)
BUILTINS: dict[Kind, dict[str, tuple[str, str | None]]] = {
    "source": {
        "local": ("privmap.scanner.sources.local:LocalSource", None),
        "sqlite": ("privmap.scanner.sources.sql.sqlite:SqliteSource", None),
        "postgres": ("privmap.scanner.sources.sql.postgres:PostgresSource", "postgres"),
        "mysql": ("privmap.scanner.sources.sql.mysql:MysqlSource", "mysql"),
        "s3": ("privmap.scanner.sources.s3:S3Source", "s3"),
        "gcs": ("privmap.scanner.sources.gcs:GCSSource", "gcs"),
    },
    "alert": {
        "webhook": ("privmap.alerts.webhook:WebhookSink", None),
        "slack": ("privmap.alerts.slack:SlackSink", None),
        "email": ("privmap.alerts.email:EmailSink", None),
        "jsonl": ("privmap.alerts.jsonl:JsonlSink", None),
    },
}
_GROUPS: dict[Kind, str] = {"source": "privmap.sources", "alert": "privmap.alerts"}


class PluginUnavailable(Exception):
    """The plugin exists but cannot be loaded here; the message says why and how to fix it."""


@dataclass(frozen=True)
class PluginInfo:
    kind: Kind
    name: str
    target: str
    enabled: bool
    reason: str = ""


def _targets(kind: Kind) -> dict[str, tuple[str, str | None]]:
    found = dict(BUILTINS[kind])
    for ep in entry_points(group=_GROUPS[kind]):
        found.setdefault(ep.name, (ep.value, None))
    return found


def load(kind: Kind, name: str) -> Any:
    """The class registered as `name`; PluginUnavailable if unknown or its dependencies are missing."""
    targets = _targets(kind)
    if name not in targets:
        raise PluginUnavailable(f"unknown {kind} type {name!r} (known: {', '.join(sorted(targets))})")
    target, extra = targets[name]
    module, _, attr = target.partition(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except ImportError as exc:
        hint = f"; install it with: pip install 'privmap[{extra}]'" if extra else ""
        raise PluginUnavailable(f"{kind} {name!r} is disabled: {exc}{hint}") from exc


def catalogue() -> list[PluginInfo]:
    """Every known plugin, loaded to tell whether it works here."""
    infos = []
    for kind in BUILTINS:
        for name, (target, _) in sorted(_targets(kind).items()):
            try:
                load(kind, name)
                infos.append(PluginInfo(kind, name, target, True))
            except PluginUnavailable as exc:
                infos.append(PluginInfo(kind, name, target, False, str(exc)))
    return infos
