"""Outlook messages (.msg: MAPI properties in an OLE compound file), read with extract-msg.

extract-msg is GPL-3.0 and privmap is Apache-2.0, so it is an optional extra (`privmap[msg]`),
never a base dependency. A message gives the same parts as an .eml (privmap.scanner.extractors.mail):
the people in its headers (From, To, Cc, Bcc, Reply-To, and the sender's address properties) as
values with the header as context; the subject; the body (plain text, else the HTML body's visible
text, else the RTF body, read as a nested part); attachments as nested parts (`attachment
invoice.pdf`), attached messages re-serialised to .msg bytes and read in turn, all within the
item's budgets (depth, members, total bytes). A broken, unsupported or web attachment is a
recorded problem on its part; the rest of the message keeps its findings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import extract_msg
from extract_msg.enums import AttachmentType, ErrorBehavior

from privmap.model import Blob, Chunk, Location
from privmap.scanner.extractors.base import Context, Part, open_file, part_of
from privmap.scanner.extractors.mail import PEOPLE, body_chunks
from privmap.scanner.extractors.markup import html_text
from privmap.scanner.extractors.text import decode

# a broken attachment must not cost the whole message: it is read as a BrokenAttachment and recorded
_TOLERANT = ErrorBehavior.ATTACH_SUPPRESS_ALL | ErrorBehavior.RTFDE
# MAPI properties holding the sender's address where the header stream has only a display name:
# PR_SENDER_EMAIL_ADDRESS, PR_SENDER_SMTP_ADDRESS, PR_SENT_REPRESENTING_EMAIL_ADDRESS and _SMTP_
_SENDER_ADDRESSES = ("__substg1.0_0C1F", "__substg1.0_5D01", "__substg1.0_0065", "__substg1.0_5D02")


class MsgExtractor:
    media_types = frozenset({"application/vnd.ms-outlook"})
    reads = "file"

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Part]:
        with open_file(blob, ctx) as fh:
            message = extract_msg.openMsg(fh, strict=False, errorBehavior=_TOLERANT)
            try:
                yield from _message(blob.location, message, ctx)
            finally:
                message.close()


def _message(location: Location, message: Any, ctx: Context) -> Iterator[Part]:
    """Headers, subject, body and attachments of an opened MSGFile (any class: note, meeting, task)."""
    header = getattr(message, "header", None)
    for name in PEOPLE:
        values = [str(v) for v in header.get_all(name, []) if v] if header is not None else []
        if name == "from":
            values += [v for key in _SENDER_ADDRESSES if (v := message.getStringStream(key))]
        values = list(dict.fromkeys(v for v in values if v.strip()))
        if values:
            yield Chunk(location.refine(field=name), "\n".join(values), "values", (name,))
    subject = getattr(message, "subject", None)
    if subject:
        yield from body_chunks(part_of(location, "subject"), subject, ctx)
    yield from _body(part_of(location, "body"), message, ctx)
    for number, attachment in enumerate(getattr(message, "attachments", ()), 1):
        yield from _attachment(location, number, attachment, ctx)


def _body(location: Location, message: Any, ctx: Context) -> Iterator[Part]:
    """The plain-text body; without one, the HTML body's visible text; without that, the RTF body."""
    if getattr(message, "body", None):
        yield from body_chunks(location, message.body, ctx)
    elif html := getattr(message, "htmlBody", None):
        yield from body_chunks(location, html_text(decode(html))[0], ctx)
    elif rtf := getattr(message, "rtfBody", None):
        yield Blob(location, rtf)


def _attachment(location: Location, number: int, attachment: Any, ctx: Context) -> Iterator[Part]:
    name = getattr(attachment, "name", None) or f"{number}"
    where = part_of(location, f"attachment {name}")
    data = attachment.data
    if isinstance(data, extract_msg.MSGFile):  # an attached message: serialised, read as its own part
        data = data.exportBytes(allowBadEmbed=True)
    if not isinstance(data, bytes):
        kind = getattr(attachment.type, "name", "unknown").lower()
        problem = "corrupt" if attachment.type == AttachmentType.BROKEN else "unsupported"
        ctx.problem(where, problem, f"attachment not read: a {kind} attachment")
        return
    ctx.budget.spend_bytes(len(data))
    yield Blob(where, data)
