"""JSON and JSON Lines: values grouped by key path (`customer.email`, `items[].iban`)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from privmap.model import Blob, Chunk, Location
from privmap.scanner.extractors.tabular import _text
from privmap.scanner.extractors.text import decode


def extract_json(blob: Blob) -> Iterator[Chunk]:
    yield from path_chunks(blob.location, [json.loads(decode(blob.data))])


def extract_jsonl(blob: Blob) -> Iterator[Chunk]:
    docs = []
    for line in decode(blob.data).splitlines():
        if line.strip():
            try:
                docs.append(json.loads(line))
            except ValueError:
                continue  # a sampled window can cut a line; the rest still counts
    yield from path_chunks(blob.location, docs)


def path_chunks(location: Location, docs: list[Any], prefix: str = "") -> Iterator[Chunk]:
    """One values chunk per key path over `docs`; `prefix` (a column name) leads every path."""
    paths: dict[str, list[str]] = defaultdict(list)
    for doc in docs:
        _flatten(doc, prefix, paths)
    for path, values in paths.items():
        key = path.rsplit(".", 1)[-1].replace("[]", "")
        yield Chunk(location.refine(field=path), "\n".join(values), "values", context=(key,) if key else ())


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
