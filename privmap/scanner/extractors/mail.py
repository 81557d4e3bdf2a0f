"""E-mail: RFC 5322 messages (.eml) with MIME decoding.

Headers that name people (From, To, Cc, Bcc, Reply-To, Sender) are values with the header as
context; bodies are decoded (quoted-printable, base64, their charsets) before detection, so a
soft line break never splits an IBAN; HTML bodies are read as visible text; attachments and
attached messages are nested parts, extracted in turn (`attachment invoice.pdf`).
"""

from __future__ import annotations

import email
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from typing import Any

from privmap.model import Blob, Chunk, Location
from privmap.scanner.extractors.base import Context, Part, open_file, part_of
from privmap.scanner.extractors.markup import html_text
from privmap.scanner.extractors.text import decode, windows

# headers that name people (shared with the .msg extractor)
PEOPLE = ("from", "to", "cc", "bcc", "reply-to", "sender", "delivered-to", "return-path")


def body_chunks(location: Location, text: str, ctx: Context) -> Iterator[Chunk]:
    """A message's text (subject, body) as prose chunks of scan.chunk_chars."""
    for window in windows(text, ctx.scan.chunk_chars):
        if window.strip():
            yield Chunk(location, window, "prose")


def read_whole(blob: Blob, ctx: Context) -> bytes:
    """A message's bytes, at most archive.max_member_bytes; a longer one is read in part (recorded)."""
    limit = ctx.scan.archive.max_member_bytes
    with open_file(blob, ctx, seekable=False) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        ctx.problem(blob.location, "too-large", f"read in part: the first {limit} bytes (archive.max_member_bytes)")
    return data[:limit]


class EmlExtractor:
    media_types = frozenset({"message/rfc822"})
    reads = "stream"

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Part]:
        message = email.message_from_bytes(read_whole(blob, ctx), policy=policy.default)
        yield from self._message(blob.location, message, ctx)

    def _message(self, location: Location, message: Any, ctx: Context) -> Iterator[Part]:
        for name in PEOPLE:
            values = [str(v) for v in message.get_all(name, [])]
            if values:
                yield Chunk(location.refine(field=name), "\n".join(values), "values", (name,))
        if message["subject"]:
            yield from body_chunks(part_of(location, "subject"), str(message["subject"]), ctx)
        texts = 0
        for part in message.walk():
            if part.is_multipart():
                continue
            filename = part.get_filename()
            kind = part.get_content_type()
            if filename or part.get_content_disposition() == "attachment" or kind == "message/rfc822":
                payload = part.get_payload(decode=True)
                if payload is None and kind == "message/rfc822":  # an attached message arrives parsed
                    payload = part.get_payload(0).as_bytes() if part.get_payload() else b""
                yield Blob(part_of(location, f"attachment {filename or kind}"), payload or b"")
            elif kind in ("text/plain", "text/html"):
                texts += 1
                text = _decoded(part)
                if kind == "text/html":
                    text = html_text(text)[0]
                yield from body_chunks(part_of(location, "body" if texts == 1 else f"body {texts}"), text, ctx)


def _decoded(part: EmailMessage) -> str:
    """A text part's content in its declared charset; undeclared or unknown ones detected."""
    try:
        return str(part.get_content())
    except (LookupError, UnicodeError):
        return decode(part.get_payload(decode=True) or b"")
