"""Turn blobs and tables into chunks, choosing each blob's extractor by its sniffed media type.

`extract(obj, ctx)` is the one entry point: for an item opened from a source, for a BYTEA/BLOB
cell handed over by a database source, for a member of an archive. It yields chunks for the
detectors; problems of parts (a corrupt member, a budget hit, an unsupported attachment, a
timeout) go to `ctx.problems` with the part's location, and the other parts go on. Only an
unsupported top-level blob raises (Unsupported: the item is skipped, a coverage gap).

Problem kinds recorded here (stable; the coverage counts rely on them): `unsupported` (a nested
part no extractor reads), `too-large` (over max_container_bytes or archive.max_member_bytes:
read in part), `budget` (archive depth, members, total bytes or ratio), `timeout`
(scan.item_timeout), `corrupt`, `encrypted`, `unreadable`, `disabled` (its extractor's optional
dependency is not installed).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from functools import cache
from typing import Any

from privmap import plugins
from privmap.model import Blob, Chunk, Halt, Table
from privmap.scanner.extractors.base import Context, Extractor, ItemTimeout, open_file, time_limit
from privmap.scanner.extractors.sniff import refine_ole, refine_zip, sniff
from privmap.scanner.extractors.tabular import extract_table
from privmap.scanner.problems import describe, problem_kind

__all__ = ["Context", "Unsupported", "extract", "extractor_for", "time_limit"]
log = logging.getLogger("privmap")

# media type -> name of the extractor registered in privmap.plugins (loaded on first use)
MEDIA_TYPES: dict[str, str] = {
    "text/plain": "text",
    "text/csv": "csv",
    "text/tab-separated-values": "csv",
    "application/json": "json",
    "application/x-ndjson": "jsonl",
    "text/html": "html",
    "application/xml": "xml",
    "application/rtf": "rtf",
    "message/rfc822": "eml",
    "application/vnd.ms-outlook": "msg",
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/vnd.oasis.opendocument.text": "odf",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odf",
    "application/zip": "zip",
    "application/epub+zip": "zip",
    "application/x-tar": "tar",
    "application/gzip": "compressed",
    "application/x-bzip2": "compressed",
    "application/x-xz": "compressed",
    "application/zstd": "compressed",
    "application/x-7z-compressed": "7z",
    "application/vnd.apache.parquet": "parquet",
    "image/jpeg": "image",
    "image/png": "image",
    "image/tiff": "image",
    "image/webp": "image",
    "image/heic": "heic",
    "image/avif": "heic",
    "video/mp4": "audio-video",
    "video/quicktime": "audio-video",
    "audio/mp4": "audio-video",
    "audio/mpeg": "audio-video",
}


class Unsupported(Exception):
    """No extractor reads this media type (or its extractor is disabled): a coverage gap, not an error."""


@cache
def _media_types() -> dict[str, str]:
    """Built-in media types plus those of third-party extractors (entry point group privmap.extractors)."""
    found = dict(MEDIA_TYPES)
    for name in plugins.names("extractor"):
        if name not in plugins.BUILTINS["extractor"]:
            try:
                for media_type in plugins.load("extractor", name).media_types:
                    found.setdefault(media_type, name)
            except plugins.PluginUnavailable as exc:
                log.warning("extractor disabled", extra={"detail": str(exc)})
    return found


@cache
def extractor_for(media_type: str) -> Extractor:
    """The extractor of a media type. Raises Unsupported (with the reason when it is disabled)."""
    name = _media_types().get(media_type)
    if name is None:
        raise Unsupported(media_type)
    try:
        return plugins.load("extractor", name)()  # type: ignore[no-any-return]
    except plugins.PluginUnavailable as exc:
        raise Unsupported(f"{media_type} ({exc})") from None


def extract(obj: Blob | Table, ctx: Context) -> Iterator[Chunk]:
    """Chunks of an opened item or part. Raises Unsupported for a blob no extractor reads."""
    if isinstance(obj, Table):
        yield from _table(obj, ctx)
        return
    try:
        blob, extractor = _choose(obj, ctx)
    except (Unsupported, Halt):  # Halt: privmap's own environment failed, not this item (privmap.model)
        raise
    except Exception as exc:  # a container too broken to tell which kind it is (a truncated OLE file)
        ctx.problem(obj.location, problem_kind(exc), describe(exc))
        return
    parts = extractor.extract(blob, ctx)
    while not ctx.expired():
        try:
            ctx.budget.working = True
            part: Any = next(parts)
        except StopIteration:
            return
        except ItemTimeout:
            break
        except Halt:
            raise
        except Exception as exc:  # recorded on this part; the parts before it keep their findings
            ctx.problem(blob.location, problem_kind(exc), describe(exc))
            return
        finally:
            ctx.budget.working = False
        if isinstance(part, Chunk):
            yield part
        elif isinstance(part, Table):
            yield from extract_table(part)
        else:
            yield from _nested(part, ctx.child())
    if not ctx.budget.stopped:  # the first part to see the deadline records it; the others just stop
        ctx.budget.stopped = True
        ctx.problem(
            blob.location, "timeout", f"scan.item_timeout ({ctx.scan.item_timeout:g} s) reached: the rest was not read"
        )
    parts.close()


def _table(table: Table, ctx: Context) -> Iterator[Chunk]:
    """A table's columns, and its binary cells (BYTEA, BLOB) through the same dispatch as a file: a
    PDF or a photo in a cell is read as a nested part of its column; a cell no extractor reads (a
    hash, say) leaves the rest of the table readable."""
    for part in extract_table(table):
        if isinstance(part, Blob):
            yield from _nested(part, ctx.child(), quiet=True)
        else:
            yield part


# containers whose magic number several formats share -> what tells them apart
_REFINE = {"application/zip": refine_zip, "application/x-ole-storage": refine_ole}


def _choose(blob: Blob, ctx: Context) -> tuple[Blob, Extractor]:
    """The extractor for a blob, by its sniffed type, refined for zips by their member names and
    for OLE compound files by their streams."""
    media_type = sniff(blob.data)
    if refine := _REFINE.get(media_type):
        if blob.stream is not None:  # a container inside an archive: read it whole once, for both steps
            with open_file(blob, ctx) as fh:
                blob = replace(blob, data=fh.read(), truncated=False, stream=None)
        try:
            with open_file(blob, ctx) as fh:
                media_type = refine(fh)
        except Halt:
            raise
        except Exception as exc:
            if media_type not in _media_types():  # no extractor of its own would report the broken container
                raise
            log.debug("container not refined", extra={"detail": describe(exc)})  # its own extractor reports it
    return blob, extractor_for(media_type)


def _nested(blob: Blob, ctx: Context, quiet: bool = False) -> Iterator[Chunk]:
    """A part yielded by an extractor: extracted in turn within the item's budgets. An unsupported
    part is a recorded problem, unless `quiet` (binary table cells: most are hashes and keys)."""
    limits = ctx.scan.archive
    if ctx.depth > limits.max_depth:
        ctx.problem(blob.location, "budget", f"archive.max_depth ({limits.max_depth}) reached: not opened")
        return
    ctx.budget.members -= 1
    if ctx.budget.members < 0:
        ctx.problem(blob.location, "budget", f"archive.max_members ({limits.max_members}) reached: not opened")
        return
    try:
        yield from extract(blob, ctx)
    except Unsupported as exc:
        if not quiet:
            ctx.problem(blob.location, "unsupported", f"unsupported media type {exc}")
    except Halt:
        raise
    except Exception as exc:  # failed before its extractor started (reading its head)
        ctx.problem(blob.location, problem_kind(exc), describe(exc))
