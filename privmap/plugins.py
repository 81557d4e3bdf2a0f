"""String-keyed registries of sources, extractors and alert sinks.

Built-ins are named by import path and loaded on first use, so a plugin whose optional
dependency is missing shows up as disabled (with the reason and the extra to install)
in `privmap plugins` instead of failing at start-up. Third-party plugins register under
the entry-point groups `privmap.sources`, `privmap.extractors` and `privmap.alerts`. An
extractor is chosen by the media type sniffed from a blob's bytes
(privmap.scanner.extractors.MEDIA_TYPES maps built-in types to the names here).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from importlib.metadata import entry_points
from typing import Any, Literal

Kind = Literal["source", "extractor", "alert"]
_EXTRACTORS = "privmap.scanner.extractors"

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
    "extractor": {
        "text": (f"{_EXTRACTORS}.text:TextExtractor", None),
        "csv": (f"{_EXTRACTORS}.tabular:CsvExtractor", None),
        "json": (f"{_EXTRACTORS}.structured:JsonExtractor", None),
        "jsonl": (f"{_EXTRACTORS}.structured:JsonLinesExtractor", None),
        "html": (f"{_EXTRACTORS}.markup:HtmlExtractor", None),
        "xml": (f"{_EXTRACTORS}.markup:XmlExtractor", None),
        "rtf": (f"{_EXTRACTORS}.text:RtfExtractor", None),
        "eml": (f"{_EXTRACTORS}.mail:EmlExtractor", None),
        "msg": (f"{_EXTRACTORS}.outlook:MsgExtractor", "msg"),
        "pdf": (f"{_EXTRACTORS}.pdf:PdfExtractor", None),
        "docx": (f"{_EXTRACTORS}.office:DocxExtractor", None),
        "xlsx": (f"{_EXTRACTORS}.office:XlsxExtractor", None),
        "pptx": (f"{_EXTRACTORS}.office:PptxExtractor", None),
        "odf": (f"{_EXTRACTORS}.office:OpenDocumentExtractor", None),
        "ods": (f"{_EXTRACTORS}.office:OdsExtractor", None),
        "zip": (f"{_EXTRACTORS}.archives:ZipExtractor", None),
        "tar": (f"{_EXTRACTORS}.archives:TarExtractor", None),
        "compressed": (f"{_EXTRACTORS}.archives:CompressedExtractor", None),
        "7z": (f"{_EXTRACTORS}.sevenzip:SevenZipExtractor", "7z"),
        "parquet": (f"{_EXTRACTORS}.parquet:ParquetExtractor", "parquet"),
        "image": (f"{_EXTRACTORS}.media:ImageExtractor", None),
        "heic": (f"{_EXTRACTORS}.heic:HeicExtractor", "heic"),
        "ocr": (f"{_EXTRACTORS}.ocr:Ocr", "ocr"),
        "audio-video": (f"{_EXTRACTORS}.media:AudioVideoExtractor", None),
    },
    "alert": {
        "webhook": ("privmap.alerts.webhook:WebhookSink", None),
        "slack": ("privmap.alerts.slack:SlackSink", None),
        "email": ("privmap.alerts.email:EmailSink", None),
        "jsonl": ("privmap.alerts.jsonl:JsonlSink", None),
    },
}
_GROUPS: dict[Kind, str] = {"source": "privmap.sources", "extractor": "privmap.extractors", "alert": "privmap.alerts"}


class PluginUnavailable(Exception):
    """The plugin exists but cannot be loaded here; the message says why and how to fix it."""


@dataclass(frozen=True)
class PluginInfo:
    kind: Kind
    name: str
    target: str
    enabled: bool
    reason: str = ""
    extra: str | None = None  # the pip extra that provides its optional dependencies


def _targets(kind: Kind) -> dict[str, tuple[str, str | None]]:
    found = dict(BUILTINS[kind])
    for name, value in _entry_points(_GROUPS[kind]):
        found.setdefault(name, (value, None))
    return found


@cache  # installed entry points do not change while privmap runs; reading them scans every distribution
def _entry_points(group: str) -> tuple[tuple[str, str], ...]:
    return tuple((ep.name, ep.value) for ep in entry_points(group=group))


def names(kind: Kind) -> list[str]:
    """Every registered name of a kind (built-in or entry point), loadable here or not."""
    return sorted(_targets(kind))


def load(kind: Kind, name: str) -> Any:
    """The class registered as `name`; PluginUnavailable if unknown or its dependencies are missing."""
    targets = _targets(kind)
    if name not in targets:
        raise PluginUnavailable(f"unknown {kind} type {name!r} (known: {', '.join(sorted(targets))})")
    target, extra = targets[name]
    module, _, attr = target.partition(":")
    hint = f"; install it with: pip install 'privmap[{extra}]'" if extra else ""
    try:
        cls = getattr(importlib.import_module(module), attr)
    except ImportError as exc:
        raise PluginUnavailable(f"{kind} {name!r} is disabled: {exc}{hint}") from exc
    # a plugin may need more than importable modules (a program such as tesseract): it says what is missing
    missing = getattr(cls, "unavailable", lambda: None)()
    if missing:
        raise PluginUnavailable(f"{kind} {name!r} is disabled: {missing}{hint}")
    return cls


def catalogue() -> list[PluginInfo]:
    """Every known plugin, loaded to tell whether it works here."""
    infos = []
    for kind in BUILTINS:
        for name, (target, extra) in sorted(_targets(kind).items()):
            try:
                load(kind, name)
                infos.append(PluginInfo(kind, name, target, True, extra=extra))
            except PluginUnavailable as exc:
                infos.append(PluginInfo(kind, name, target, False, str(exc), extra))
    return infos
