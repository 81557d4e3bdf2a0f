"""Listing, filtering and reading items; turning each into an ItemOutcome.

Every failure is caught here and recorded as a Problem on its item, so one corrupt file,
denied object or dropped connection never stops the scan.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from dataclasses import replace

from privmap.config.models import ScanConfig, SourceConfig
from privmap.logs import redact
from privmap.model import Blob, Chunk, Finding, Item, ItemOutcome, Problem
from privmap.scanner.extractors import Unsupported, extract
from privmap.scanner.sources.base import NotRead, Source, SourceError

Detect = Callable[[Iterable[Chunk]], list[Finding]]


def skip_reason(item: Item, spec: SourceConfig, scan: ScanConfig) -> str | None:
    """Why an item is not read at all (excluded, too large), or None to read it."""
    path = item.metadata.get("path") or item.location.uri
    include = spec.include or scan.include
    if include and not any(fnmatch.fnmatch(path, pattern) for pattern in include):
        return "not included"
    if any(fnmatch.fnmatch(path, pattern) for pattern in (*scan.exclude, *spec.exclude)):
        return "excluded"
    if scan.max_object_size is not None and item.size is not None and item.size > scan.max_object_size:
        return f"larger than max_object_size ({item.size} bytes)"
    return None


def scan_item(source: Source, item: Item, spec: SourceConfig, scan: ScanConfig, detect: Detect) -> ItemOutcome:
    outcome = ItemOutcome(item)
    reason = skip_reason(item, spec, scan)
    if reason:
        outcome.skipped = reason
        return outcome
    try:
        opened = source.open(item)
        if isinstance(opened, Blob) and opened.metadata:
            outcome.item = replace(item, metadata={**item.metadata, **opened.metadata})
        outcome.bytes_read = len(opened.data) if isinstance(opened, Blob) else 0
        outcome.findings = detect(extract(opened, scan.chunk_chars))
    except Unsupported as exc:
        outcome.skipped = f"unsupported media type {exc}"
    except NotRead as exc:
        outcome.skipped = f"not read: {exc}"
    except Exception as exc:  # recorded on the item; the scan goes on
        outcome.problems.append(Problem(item.location, problem_kind(exc), describe(exc)))
    try:
        _inspect_metadata(outcome, detect)
    except Exception as exc:
        outcome.item = item  # the metadata as listed: never values read but not inspected
        outcome.problems.append(Problem(item.location.refine(field="metadata"), problem_kind(exc), describe(exc)))
    return outcome


def _inspect_metadata(outcome: ItemOutcome, detect: Detect) -> None:
    """Detect personal data in the item's metadata and keep only masked forms of what is found.

    Object metadata and tags are evidence (consent ids, tenants) but also data: an uploader's
    e-mail in `x-amz-meta-uploader` is personal data, found here even when the content itself
    is an image no extractor reads, and never stored in the clear.
    """
    item = outcome.item
    chunks = [
        Chunk(item.location.refine(field=key), value, "values", context=(key.partition(":")[2] or key,))
        for key, value in sorted(item.metadata.items())
        if key not in ("path", "modified") and value
    ]
    if not chunks:
        return
    found = detect(chunks)
    outcome.findings.extend(found)
    masked = {f.location.field: f.preview for f in found}
    if masked:
        outcome.item = replace(item, metadata={k: masked.get(k, v) for k, v in item.metadata.items()})


def problem_kind(exc: BaseException) -> str:
    if isinstance(exc, SourceError):
        return exc.kind
    if isinstance(exc, PermissionError):
        return "denied"
    if isinstance(exc, FileNotFoundError):
        return "missing"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, (ValueError, UnicodeError)):
        return "corrupt"
    return "unreadable"


def describe(exc: BaseException) -> str:
    """An error message that names the failure without echoing content (which may be personal data) or
    the credentials a library quotes back (a URL's password)."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{type(exc).__name__}: {exc.strerror}"
    text = redact(str(exc).splitlines()[0]) if str(exc) else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
