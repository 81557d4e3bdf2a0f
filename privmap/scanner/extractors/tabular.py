"""CSV/TSV files and database tables: one chunk per column of values, the header as context."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from typing import Any

from privmap.model import Blob, Chunk, Location, Table
from privmap.scanner.extractors.base import Context, Part, sample
from privmap.scanner.extractors.sniff import LinearSniffer, csv_dialect
from privmap.scanner.extractors.text import decode

csv.field_size_limit(10_000_000)
_SNIFF_CHARS = 16_384  # the sniffers see the first lines only: enough, and bounded


class CsvExtractor:
    """CSV and TSV: one chunk of values per column, the header (when there is one) as context."""

    media_types = frozenset({"text/csv", "text/tab-separated-values"})
    reads = "sample"

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Part]:
        data, _ = sample(blob, ctx)
        text = decode(data)
        head = "\n".join(text[:_SNIFF_CHARS].splitlines()[:21][:-1])
        dialect: Any = csv_dialect(head) or csv.excel
        rows = list(csv.reader(io.StringIO(text), dialect))
        if not rows:
            return
        try:
            has_header = LinearSniffer().has_header(head)
        except csv.Error:
            has_header = False
        width = max(len(r) for r in rows)
        header = rows[0] if has_header else [f"column {i + 1}" for i in range(width)]
        body = rows[1:] if has_header else rows
        yield from column_chunks(blob.location, header, body)


def extract_table(table: Table) -> Iterator[Chunk]:
    yield from column_chunks(table.location, table.columns, table.rows)


def column_chunks(location: Location, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Iterator[Chunk]:
    for i, name in enumerate(header):
        cells = [(n, _text(row[i])) for n, row in enumerate(rows) if i < len(row)]
        cells = [(n, v) for n, v in cells if v]
        if cells:
            yield Chunk(
                location.refine(field=str(name)),
                "\n".join(v for _, v in cells),
                "values",
                context=(str(name),),
                rows=tuple(n for n, _ in cells),
            )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return decode(value) if len(value) < 4096 else ""
    # one value per line: a newline inside a value would read as two values
    return str(value).replace("\r", " ").replace("\n", " ").strip()
