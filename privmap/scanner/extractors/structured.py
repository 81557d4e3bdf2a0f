"""JSON and JSON Lines: values grouped by key path (`customer.email`, `items[].iban`)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from privmap.model import Blob, Chunk, Location
from privmap.scanner.extractors.base import Context, Part, sample
from privmap.scanner.extractors.tabular import _text
from privmap.scanner.extractors.text import decode, prose


class JsonExtractor:
    """A JSON document: values grouped by key path; a sampled (cut) document is read as text."""

    media_types = frozenset({"application/json"})
    reads = "sample"

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Part]:
        data, truncated = sample(blob, ctx)
        if truncated:
            yield from prose(blob, decode(data), ctx)  # a sampled JSON document no longer parses
            return
        doc = json.loads(decode(data))
        # a top-level array is a list of records, each its own row (privmap locate links values by row)
        yield from path_chunks(
            blob.location, doc if isinstance(doc, list) else [doc], "[]" if isinstance(doc, list) else ""
        )


class JsonLinesExtractor:
    """JSON Lines: values grouped by key path over every line that parses."""

    media_types = frozenset({"application/x-ndjson"})
    reads = "sample"

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Part]:
        data, _ = sample(blob, ctx)
        docs = []
        for line in decode(data).splitlines():
            if line.strip():
                try:
                    docs.append(json.loads(line))
                except ValueError:
                    continue  # a sampled window can cut a line; the rest still counts
        yield from path_chunks(blob.location, docs)


def path_chunks(location: Location, docs: Sequence[Any], prefix: str = "", rows: Sequence[int] = ()) -> Iterator[Chunk]:
    """One values chunk per key path over `docs`; `prefix` (a column name) leads every path, and
    `rows` gives the row each doc came from (default: its position)."""
    paths: dict[str, list[tuple[int, str]]] = defaultdict(list)  # key path -> (record, value)
    for n, doc in zip(rows or range(len(docs)), docs, strict=True):
        _flatten(doc, prefix, paths, n)
    for path, values in paths.items():
        key = path.rsplit(".", 1)[-1].replace("[]", "")
        yield Chunk(
            location.refine(field=path),
            "\n".join(v for _, v in values),
            "values",
            context=(key,) if key else (),
            rows=tuple(n for n, _ in values),
        )


def _flatten(value: Any, path: str, out: dict[str, list[tuple[int, str]]], record: int) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _flatten(child, f"{path}.{key}" if path else str(key), out, record)
    elif isinstance(value, list):
        # values inside a nested list belong to one of its elements, not to the whole record: unlinked
        for child in value:
            _flatten(child, f"{path}[]", out, -1)
    else:
        text = _text(value)
        if text:
            out[path].append((record, text))
