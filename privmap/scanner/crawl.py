"""Listing, filtering and reading items; turning each into an ItemOutcome.

Every failure is caught here and recorded as a Problem on its item, so one corrupt file,
denied object or dropped connection never stops the scan.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from dataclasses import replace

from privmap.config.models import ScanConfig, SourceConfig
from privmap.model import Blob, Chunk, Finding, Halt, Item, ItemOutcome, Location, Problem, Table
from privmap.names import NameGuard
from privmap.scanner.extractors import Context, Unsupported, extract, time_limit
from privmap.scanner.problems import describe, problem_kind
from privmap.scanner.sources.base import NotRead, Source

Detect = Callable[[Iterable[Chunk]], list[Finding]]
_BATCH_CHARS = 4_000_000  # text detected at once: bounds an item's memory whatever its size


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


def scan_item(
    source: Source, item: Item, spec: SourceConfig, scan: ScanConfig, detect: Detect, guard: NameGuard | None = None
) -> ItemOutcome:
    """Read, extract and detect one item; every failure is recorded on it. With a `guard`, the outcome
    leaves with its names pseudonymised (and findings for identifiers in the item's own name)."""
    outcome = _scan(source, item, spec, scan, detect)
    return guard.outcome(outcome) if guard else outcome


def _scan(source: Source, item: Item, spec: SourceConfig, scan: ScanConfig, detect: Detect) -> ItemOutcome:
    outcome = ItemOutcome(item)
    reason = skip_reason(item, spec, scan)
    if reason:
        outcome.skipped = reason
        return outcome
    try:
        opened = source.open(item)
    except NotRead as exc:
        outcome.skipped = f"not read: {exc}"
    except Halt:
        raise
    except Exception as exc:  # recorded on the item; the scan goes on
        outcome.problems.append(Problem(item.location, problem_kind(exc), describe(exc)))
    else:
        _read(opened, outcome, scan, detect)
    try:
        _inspect_metadata(outcome, detect)
    except Halt:
        raise
    except Exception as exc:
        outcome.item = item  # the metadata as listed: never values read but not inspected
        outcome.problems.append(Problem(item.location.refine(field="metadata"), problem_kind(exc), describe(exc)))
    return outcome


def _read(opened: Blob | Table, outcome: ItemOutcome, scan: ScanConfig, detect: Detect) -> None:
    """Extract and detect within the item's time limit; findings of the parts read before a
    failure or a budget stopped it are kept, and the failure is recorded on its part."""
    if isinstance(opened, Blob) and opened.metadata:
        outcome.item = replace(outcome.item, metadata={**outcome.item.metadata, **opened.metadata})
    ctx = Context.for_item(scan)
    if isinstance(opened, Table):  # at the row limit, or the catalogue counts more rows than that
        limit = scan.rows_per_table
        outcome.sampled = len(opened.rows) >= limit or (opened.total_rows or 0) > limit
    try:
        with time_limit(ctx.budget):
            outcome.findings = detect_in_batches(extract(opened, ctx), detect)
    except Unsupported as exc:
        outcome.skipped = f"unsupported media type {exc}"
    except Halt:
        raise
    except Exception as exc:
        outcome.problems.append(Problem(outcome.item.location, problem_kind(exc), describe(exc)))
    finally:
        if isinstance(opened, Blob):
            outcome.bytes_read = opened.reader.bytes_read if opened.reader else len(opened.data)
            if opened.reader:
                opened.reader.close()
    outcome.problems.extend(ctx.problems)


def detect_in_batches(chunks: Iterable[Chunk], detect: Detect, batch_chars: int = _BATCH_CHARS) -> list[Finding]:
    """Findings of an item's chunks, detected a batch at a time as extraction goes.

    An archive of a gigabyte of CSVs is never held as text all at once: a batch is detected
    when it holds `batch_chars` characters and the next chunk starts a new location, so one
    location's findings come from one batch. A location met again later (rare) has its
    findings merged: counts add up, the best score wins, `distinct` is the larger of the two.
    """
    found: dict[tuple[Location, str, bool], Finding] = {}

    def flush(batch: list[Chunk]) -> None:
        for f in detect(batch):
            key = (f.location, f.entity, f.test_data)
            seen = found.get(key)
            found[key] = f if seen is None else _merged(seen, f)

    batch: list[Chunk] = []
    size = 0
    for chunk in chunks:
        if size >= batch_chars and chunk.location != batch[-1].location:
            flush(batch)
            batch, size = [], 0
        batch.append(chunk)
        size += len(chunk.text)
    flush(batch)
    return list(found.values())


def _merged(a: Finding, b: Finding) -> Finding:
    return replace(
        a if a.score >= b.score else b,
        count=a.count + b.count,
        score=max(a.score, b.score),
        distinct=max(a.distinct, b.distinct),
        occurrences=tuple(sorted({*a.occurrences, *b.occurrences})),
    )


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
