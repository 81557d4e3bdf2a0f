"""Office documents: Word, Excel and PowerPoint (OOXML), and OpenDocument (ODT, ODS, ODP).

Each part of a document is its own location: `body`, `header`, `footer`, `comment 2`,
`sheet Customers`, `slide 3`, `notes 3`, and the core properties (author, last modified by)
are values with their property name as context. Sheets, of XLSX and ODS alike, become tables
(header row as column names when there is one), so the column classifier applies to them as to
CSV and databases.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from itertools import islice
from typing import Any, BinaryIO, ClassVar

import docx
import openpyxl
import pptx
from defusedxml.ElementTree import iterparse
from defusedxml.ElementTree import parse as parse_xml

from privmap.model import Blob, Chunk, Location, Table
from privmap.scanner.extractors.base import Context, Part, open_file, part_of
from privmap.scanner.extractors.text import windows

# core property -> its name in python-docx and python-pptx, and in openpyxl (which keeps the XML's names)
_PROPERTIES = {
    "author": ("author", "creator"),
    "last_modified_by": ("last_modified_by", "lastModifiedBy"),
    "title": ("title", "title"),
    "subject": ("subject", "subject"),
    "keywords": ("keywords", "keywords"),
    "comments": ("comments", "description"),
}


def _prose(location: Location, texts: Iterable[str], ctx: Context) -> Iterator[Chunk]:
    for window in windows("\n".join(t for t in texts if t and t.strip()), ctx.scan.chunk_chars):
        if window.strip():
            yield Chunk(location, window, "prose")


def _properties(location: Location, props: Any) -> Iterator[Chunk]:
    """Core properties (docProps/core.xml) of any OOXML document: who wrote and last changed it."""
    where = part_of(location, "properties")
    for name, spellings in _PROPERTIES.items():
        value = next((v for key in spellings if (v := getattr(props, key, None))), None)
        if isinstance(value, str) and value.strip():
            yield Chunk(where.refine(field=name), value, "values", (name.replace("_", " "),))


class _OoxmlDocument:
    """A Word or PowerPoint file: loaded whole by its library, its core properties, then its parts."""

    load: ClassVar[Callable[[BinaryIO], Any]]
    reads = "file"

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Part]:
        with open_file(blob, ctx) as fh:
            doc = type(self).load(fh)
        yield from _properties(blob.location, doc.core_properties)
        yield from self.parts(blob.location, doc, ctx)

    def parts(self, location: Location, doc: Any, ctx: Context) -> Iterator[Part]:
        raise NotImplementedError


class DocxExtractor(_OoxmlDocument):
    media_types = frozenset({"application/vnd.openxmlformats-officedocument.wordprocessingml.document"})
    load = docx.Document

    def parts(self, location: Location, doc: Any, ctx: Context) -> Iterator[Part]:
        body = [p.text for p in doc.paragraphs]
        body += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
        yield from _prose(part_of(location, "body"), body, ctx)
        for kind in ("header", "footer"):
            texts = [p.text for s in doc.sections for p in getattr(s, kind).paragraphs]
            yield from _prose(part_of(location, kind), texts, ctx)
        for number, comment in enumerate(doc.comments, 1):
            where = part_of(location, f"comment {number}")
            if comment.author:
                yield Chunk(where.refine(field="author"), comment.author, "values", ("author",))
            yield from _prose(where, [p.text for p in comment.paragraphs], ctx)


class PptxExtractor(_OoxmlDocument):
    media_types = frozenset({"application/vnd.openxmlformats-officedocument.presentationml.presentation"})
    load = pptx.Presentation

    def parts(self, location: Location, deck: Any, ctx: Context) -> Iterator[Part]:
        for number, slide in enumerate(deck.slides, 1):
            texts = []
            for shape in slide.shapes:
                if shape.has_text_frame:
                    texts.append(shape.text_frame.text)
                if getattr(shape, "has_table", False):
                    texts += [cell.text for row in shape.table.rows for cell in row.cells]
            yield from _prose(part_of(location, f"slide {number}"), texts, ctx)
            if slide.has_notes_slide:
                notes = [slide.notes_slide.notes_text_frame.text]
                yield from _prose(part_of(location, f"notes {number}"), notes, ctx)


class XlsxExtractor:
    media_types = frozenset({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    reads = "file"

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Part]:
        with open_file(blob, ctx) as fh:
            book = openpyxl.load_workbook(fh, read_only=True, data_only=True)
            try:
                yield from _properties(blob.location, book.properties)
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


def _odf_creators(odf: zipfile.ZipFile, location: Location) -> Iterator[Chunk]:
    """The creators named in an OpenDocument's meta.xml (initial creator, last editor)."""
    if "meta.xml" not in odf.namelist():
        return
    with odf.open("meta.xml") as meta:
        for element in parse_xml(meta).iter():
            tag = element.tag.rpartition("}")[2]
            if tag in ("initial-creator", "creator") and element.text and element.text.strip():
                where = part_of(location, "properties").refine(field=tag)
                yield Chunk(where, element.text, "values", (tag.replace("-", " "),))


class OpenDocumentExtractor:
    """ODT, ODP: the text of content.xml and the creators in meta.xml (no formatting)."""

    media_types = frozenset(
        {"application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.presentation"}
    )
    reads = "file"

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Part]:
        with open_file(blob, ctx) as fh, zipfile.ZipFile(fh) as odf:
            yield from _odf_creators(odf, blob.location)
            with odf.open("content.xml") as content:
                root = parse_xml(content).getroot()
        paragraphs = ("".join(e.itertext()) for e in root.iter() if e.tag.rpartition("}")[2] in ("p", "h"))
        yield from _prose(part_of(blob.location, "body"), paragraphs, ctx)


_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_CELLS = (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell")
_MAX_COLUMNS = 16_384  # the widest sheet office suites write; a repeated cell never widens a row past it


class OdsExtractor:
    """ODS sheets as tables, like XLSX sheets, so the column classifier applies; creators from meta.xml.

    content.xml is parsed as a stream (defusedxml's iterparse, each row dropped once read), so a
    sheet of a million rows costs the rows_per_table it samples, not the whole sheet in memory; a
    library that loads whole sheets (python-calamine, in Rust) could neither be held to that nor be
    interrupted by scan.item_timeout. Cells follow ODF 1.3 part 3 §9: repeated rows and cells
    (`number-rows-repeated`, `number-columns-repeated`) are expanded, empty trailing cells dropped;
    typed cells give their value (`office:value`, `office:date-value` ...), text cells their paragraphs.
    """

    media_types = frozenset({"application/vnd.oasis.opendocument.spreadsheet"})
    reads = "file"

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Part]:
        limit = ctx.scan.rows_per_table + 1  # the header row, then the sample
        with open_file(blob, ctx) as fh, zipfile.ZipFile(fh) as odf:
            yield from _odf_creators(odf, blob.location)
            with odf.open("content.xml") as content:
                path: list[Any] = []  # open elements, so a finished row can be dropped from its parent
                name, rows = "", []
                for event, element in iterparse(content, events=("start", "end")):
                    if event == "start":
                        path.append(element)
                        if element.tag == f"{_TABLE}table":
                            name, rows = element.get(f"{_TABLE}name", ""), []
                        continue
                    path.pop()
                    if element.tag == f"{_TABLE}table-row":
                        if len(rows) < limit and (values := _row(element)):
                            repeat = int(element.get(f"{_TABLE}number-rows-repeated", "1"))
                            rows += [values] * min(repeat, limit - len(rows))
                        path[-1].remove(element)
                    elif element.tag == f"{_TABLE}table":
                        table = sheet_table(part_of(blob.location, f"sheet {name}"), rows)
                        if table is not None:
                            yield table
                        path[-1].remove(element)


def _row(row: Any) -> tuple[Any, ...]:
    """A table row's values, repeated cells expanded, empty trailing cells dropped; () for an empty row."""
    values: list[Any] = []
    filled = 0
    for cell in row:
        if cell.tag not in _CELLS:
            continue
        repeat = min(int(cell.get(f"{_TABLE}number-columns-repeated", "1")), _MAX_COLUMNS - len(values))
        value = _cell(cell)
        values += [value] * repeat
        if value is not None:
            filled = len(values)
    return tuple(values[:filled])


def _cell(cell: Any) -> Any:
    """A cell's value: a number, a date or a boolean by its `office:value-type`, else its text; None if empty."""
    kind = cell.get(f"{_OFFICE}value-type")
    if kind in ("float", "percentage", "currency"):
        number = float(cell.get(f"{_OFFICE}value", "nan"))
        return int(number) if number.is_integer() else number
    if kind == "date":
        value = cell.get(f"{_OFFICE}date-value", "")
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    if kind == "boolean":
        return cell.get(f"{_OFFICE}boolean-value") == "true"
    text = "\n".join("".join(p.itertext()) for p in cell if p.tag.rpartition("}")[2] == "p")
    return text or cell.get(f"{_OFFICE}string-value") or None
