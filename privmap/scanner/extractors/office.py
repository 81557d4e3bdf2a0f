"""Office documents: Word, Excel and PowerPoint (OOXML), and OpenDocument text where cheap.

Each part of a document is its own location: `body`, `header`, `footer`, `comment 2`,
`sheet Customers`, `slide 3`, `notes 3`, and the core properties (author, last modified by)
are values with their property name as context. Sheets become tables (header row as column
names when there is one), so the column classifier applies to them as to CSV and databases.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

import docx
import openpyxl
import pptx
from defusedxml.ElementTree import parse as parse_xml

from privmap.model import Blob, Chunk, Location, Table
from privmap.scanner.extractors.base import Context, Part, open_file, part_of
from privmap.scanner.extractors.text import windows

_PROPERTIES = ("author", "last_modified_by", "title", "subject", "keywords", "comments")


def _prose(location: Location, texts: Iterable[str], ctx: Context) -> Iterator[Chunk]:
    for window in windows("\n".join(t for t in texts if t and t.strip()), ctx.scan.chunk_chars):
        if window.strip():
            yield Chunk(location, window, "prose")


def _properties(location: Location, props: Any) -> Iterator[Chunk]:
    """Core properties (docProps/core.xml): who wrote and last changed the document."""
    where = part_of(location, "properties")
    for name in _PROPERTIES:
        value = getattr(props, name, None) or getattr(props, name.replace("author", "creator"), None)
        if isinstance(value, str) and value.strip():
            yield Chunk(where.refine(field=name), value, "values", (name.replace("_", " "),))


class DocxExtractor:
    media_types = frozenset({"application/vnd.openxmlformats-officedocument.wordprocessingml.document"})
    reads = "file"

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Part]:
        with open_file(blob, ctx) as fh:
            doc = docx.Document(fh)
        yield from _properties(blob.location, doc.core_properties)
        body = [p.text for p in doc.paragraphs]
        body += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
        yield from _prose(part_of(blob.location, "body"), body, ctx)
        for kind in ("header", "footer"):
            texts = [p.text for s in doc.sections for p in getattr(s, kind).paragraphs]
            yield from _prose(part_of(blob.location, kind), texts, ctx)
        for number, comment in enumerate(doc.comments, 1):
            where = part_of(blob.location, f"comment {number}")
            if comment.author:
                yield Chunk(where.refine(field="author"), comment.author, "values", ("author",))
            yield from _prose(where, [p.text for p in comment.paragraphs], ctx)


class PptxExtractor:
    media_types = frozenset({"application/vnd.openxmlformats-officedocument.presentationml.presentation"})
    reads = "file"

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Part]:
        with open_file(blob, ctx) as fh:
            deck = pptx.Presentation(fh)
        yield from _properties(blob.location, deck.core_properties)
        for number, slide in enumerate(deck.slides, 1):
            texts = []
            for shape in slide.shapes:
                if shape.has_text_frame:
                    texts.append(shape.text_frame.text)
                if getattr(shape, "has_table", False):
                    texts += [cell.text for row in shape.table.rows for cell in row.cells]
            yield from _prose(part_of(blob.location, f"slide {number}"), texts, ctx)
            if slide.has_notes_slide:
                notes = [slide.notes_slide.notes_text_frame.text]
                yield from _prose(part_of(blob.location, f"notes {number}"), notes, ctx)


class XlsxExtractor:
    media_types = frozenset({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    reads = "file"

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Part]:
        with open_file(blob, ctx) as fh:
            book = openpyxl.load_workbook(fh, read_only=True, data_only=True)
            try:
                props = book.properties
                yield from _properties(blob.location, props)
                if props.lastModifiedBy:
                    where = part_of(blob.location, "properties").refine(field="last_modified_by")
                    yield Chunk(where, props.lastModifiedBy, "values", ("last modified by",))
                for sheet in book.worksheets:
                    rows = islice(sheet.iter_rows(values_only=True), ctx.scan.rows_per_table + 1)
                    table = sheet_table(part_of(blob.location, f"sheet {sheet.title}"), rows)
                    if table is not None:
                        yield table
            finally:
                book.close()


def sheet_table(location: Location, rows: Iterable[tuple[Any, ...]]) -> Table | None:
    """A sheet's rows as a table: the first non-empty row names the columns when it is all text
    (and distinct), else columns are named by their letters."""
    body = [r for r in rows if any(v is not None and str(v).strip() for v in r)]
    if not body:
        return None
    first = body[0]
    names = [str(v).strip() for v in first if v is not None]
    if (
        len(body) > 1
        and len(names) == len(first)
        and all(isinstance(v, str) for v in first)
        and len(set(names)) == len(names)
    ):
        return Table(location, names, body[1:])
    width = max(len(r) for r in body)
    return Table(location, [_letters(i) for i in range(width)], body)


def _letters(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return f"column {name}"


class OpenDocumentExtractor:
    """ODT, ODS, ODP: the text of content.xml and the creators in meta.xml (no formatting, no tables)."""

    media_types = frozenset(
        {
            "application/vnd.oasis.opendocument.text",
            "application/vnd.oasis.opendocument.spreadsheet",
            "application/vnd.oasis.opendocument.presentation",
        }
    )
    reads = "file"

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Part]:
        with open_file(blob, ctx) as fh, zipfile.ZipFile(fh) as odf:
            names = set(odf.namelist())
            if "meta.xml" in names:
                with odf.open("meta.xml") as meta:
                    for element in parse_xml(meta).iter():
                        tag = element.tag.rpartition("}")[2]
                        if tag in ("initial-creator", "creator") and element.text and element.text.strip():
                            where = part_of(blob.location, "properties").refine(field=tag)
                            yield Chunk(where, element.text, "values", (tag.replace("-", " "),))
            with odf.open("content.xml") as content:
                root = parse_xml(content).getroot()
        paragraphs = ("".join(e.itertext()) for e in root.iter() if e.tag.rpartition("}")[2] in ("p", "h"))
        yield from _prose(part_of(blob.location, "body"), paragraphs, ctx)
