"""PDF: text per page (pypdf), document information (author, creator), embedded files as parts.

The file is parsed through random access (its cross-reference table sits at the end), within
scan.max_container_bytes. An encrypted PDF that opens with no password is read; one that needs
a password is a recorded problem (`encrypted`); a page that fails to parse is a problem on that
page, and the other pages keep their findings.
"""

from __future__ import annotations

from collections.abc import Iterator

from pypdf import PdfReader

from privmap.model import Blob, Chunk
from privmap.scanner.extractors.base import Context, Part, Stopped, open_file, part_of
from privmap.scanner.extractors.text import windows
from privmap.scanner.problems import describe, problem_kind

_INFO = {"/Author": "author", "/Creator": "creator", "/Producer": "producer", "/Title": "title", "/Subject": "subject"}


class PdfExtractor:
    media_types = frozenset({"application/pdf"})
    reads = "file"

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Part]:
        with open_file(blob, ctx) as fh:
            pdf = PdfReader(fh)
            if pdf.is_encrypted and not pdf.decrypt(""):
                raise Stopped("encrypted", "encrypted PDF: it needs a password")
            info = pdf.metadata or {}
            for key, name in _INFO.items():
                value = info.get(key)
                if value and str(value).strip():
                    yield Chunk(blob.location.refine(field=name), str(value), "values", (name,))
            for number, page in enumerate(pdf.pages, 1):
                where = part_of(blob.location, f"page {number}")
                try:
                    text = page.extract_text()
                except Exception as exc:  # one broken page: recorded there, the others go on
                    ctx.problem(where, problem_kind(exc), describe(exc))
                    continue
                for window in windows(text, ctx.scan.chunk_chars):
                    if window.strip():
                        yield Chunk(where, window, "prose")
            for name, contents in pdf.attachments.items():
                for data in contents:
                    yield Blob(part_of(blob.location, f"attachment {name}"), data)
