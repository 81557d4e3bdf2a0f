"""Turn blobs and tables into chunks, choosing the extractor by the sniffed media type."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from privmap.model import Blob, Chunk, Table
from privmap.scanner.extractors.sniff import sniff
from privmap.scanner.extractors.structured import extract_json, extract_jsonl
from privmap.scanner.extractors.tabular import extract_csv, extract_table
from privmap.scanner.extractors.text import extract_text


class Unsupported(Exception):
    """No extractor for this media type: a coverage gap, not an error."""


Extractor = Callable[[Blob, int], Iterator[Chunk]]

EXTRACTORS: dict[str, Extractor] = {
    "text/plain": extract_text,
    "text/csv": lambda blob, _: extract_csv(blob),
    "text/tab-separated-values": lambda blob, _: extract_csv(blob, "\t"),
    "application/json": lambda blob, _: extract_json(blob),
    "application/x-ndjson": lambda blob, _: extract_jsonl(blob),
}


def extract(obj: Blob | Table, chunk_chars: int) -> Iterator[Chunk]:
    """Chunks of an opened item. Raises Unsupported for media types no extractor reads."""
    if isinstance(obj, Table):
        for part in extract_table(obj):
            if isinstance(part, Blob):
                try:  # a binary cell goes through the same dispatch as a file
                    yield from extract(part, chunk_chars)
                except Unsupported:
                    continue  # a cell no extractor reads (an image, say) leaves the rest of the table readable
            else:
                yield part
        return
    media_type = sniff(obj.data)
    extractor = EXTRACTORS.get(media_type)
    if extractor is None:
        raise Unsupported(media_type)
    if media_type == "application/json" and obj.truncated:
        extractor = extract_text  # a sampled JSON document no longer parses
    yield from extractor(obj, chunk_chars)
