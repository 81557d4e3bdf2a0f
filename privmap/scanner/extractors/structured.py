"""JSON and JSON Lines: values grouped by key path (`customer.email`, `items[].iban`)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from privmap.model import Blob, Chunk
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
        yield from _chunks(blob, [json.loads(decode(data))])


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
        yield from _chunks(blob, docs)


def _chunks(blob: Blob, docs: list[Any]) -> Iterator[Chunk]:
    paths: dict[str, list[str]] = defaultdict(list)
    for doc in docs:
        _flatten(doc, "", paths)
    for path, values in paths.items():
        key = path.rsplit(".", 1)[-1].replace("[]", "")
        yield Chunk(blob.location.refine(field=path), "\n".join(values), "values", context=(key,) if key else ())


def _flatten(value: Any, path: str, out: dict[str, list[str]]) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _flatten(child, f"{path}.{key}" if path else str(key), out)
    elif isinstance(value, list):
        for child in value:
            _flatten(child, f"{path}[]", out)
    else:
        text = _text(value)
        if text:
            out[path].append(text)
