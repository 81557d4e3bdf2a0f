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


def extract_table(table: Table) -> Iterator[Chunk | Blob]:
    """One chunk per column of plain values; JSON cells (dicts and lists, as the SQL sources parse
    them) flattened into key paths under the column (`profile.address.city`); binary cells as
    Blobs for the extractors (a PDF in a BLOB column is read as a document)."""
    from privmap.scanner.extractors.structured import path_chunks  # structured reads cells with _text below

    for i, name in enumerate(table.columns):
        cells = [(n, row[i]) for n, row in enumerate(table.rows) if i < len(row)]
        comment = table.comments.get(name, "")
        plain = [(n, c) for n, c in cells if not _typed(c)]
        yield from _column_chunk(table.location, str(name), plain, (comment,) if comment else ())
        docs = [(n, c) for n, c in cells if isinstance(c, (dict, list))]
        if docs:
            yield from path_chunks(table.location, [c for _, c in docs], str(name), [n for n, _ in docs])
        for _, cell in cells:
            if isinstance(cell, bytes) and cell:
                yield Blob(table.location.refine(field=str(name)), cell)


def column_chunks(location: Location, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Iterator[Chunk]:
    for i, name in enumerate(header):
        yield from _column_chunk(location, str(name), [(n, row[i]) for n, row in enumerate(rows) if i < len(row)])


def _column_chunk(
    location: Location, name: str, cells: Sequence[tuple[int, Any]], comment: tuple[str, ...] = ()
) -> Iterator[Chunk]:
    """The values chunk of one column from its (row, cell) pairs; the column's comment, if any,
    adds context words ('Kunden-E-Mail', 'numéro de sécurité sociale')."""
    values = [(n, v) for n, v in ((n, _text(c)) for n, c in cells) if v]
    if values:
        yield Chunk(
            location.refine(field=name),
            "\n".join(v for _, v in values),
            "values",
            context=(name, *comment),
            rows=tuple(n for n, _ in values),
        )


def _typed(cell: Any) -> bool:
    """A JSON document or binary cell, read by its own extractor rather than as a value."""
    return isinstance(cell, (dict, list, bytes))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return decode(value) if len(value) < 4096 else ""
    # one value per line: a newline inside a value would read as two values
    return str(value).replace("\r", " ").replace("\n", " ").strip()
