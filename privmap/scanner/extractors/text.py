"""Plain text: charset detection (UTF-16/32 with or without BOM included), then windows cut at
line or word boundaries."""

from __future__ import annotations

from collections.abc import Iterator

from charset_normalizer import from_bytes
from striprtf.striprtf import rtf_to_text

from privmap.model import Blob, Chunk
from privmap.scanner.extractors.base import Context, Part, sample
from privmap.scanner.extractors.sniff import text_encoding


def decode(data: bytes) -> str:
    """Decode bytes of unknown charset: UTF-16/32 by BOM or zero-byte pattern, UTF-8 when valid
    (the common case), else the charset detected."""
    encoding = text_encoding(data)
    if encoding is not None:
        return data.decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        best = from_bytes(data[:1_000_000]).best()
        return data.decode(best.encoding if best else "latin-1", errors="replace")


def windows(text: str, size: int) -> Iterator[str]:
    """Windows covering `text` in order, each at most `size` characters.

    Cuts fall on the last newline (or else space) inside the window, so a value is never
    split in two and counted twice or missed.
    """
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            cut = text.rfind("\n", start + size // 2, end)
            if cut == -1:
                cut = text.rfind(" ", start + size // 2, end)
            if cut != -1:
                end = cut + 1
        yield text[start:end]
        start = end


def prose(blob: Blob, text: str, ctx: Context) -> Iterator[Chunk]:
    """Prose chunks of a text at the blob's location."""
    for window in windows(text, ctx.scan.chunk_chars):
        if window.strip():
            yield Chunk(blob.location, window, "prose")


class TextExtractor:
    """Plain text in any charset."""

    media_types = frozenset({"text/plain"})
    reads = "sample"

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Part]:
        data, _ = sample(blob, ctx)
        yield from prose(blob, decode(data), ctx)


class RtfExtractor:
    """Rich Text Format: its text without control words (striprtf)."""

    media_types = frozenset({"application/rtf"})
    reads = "sample"

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Part]:
        data, _ = sample(blob, ctx)
        yield from prose(blob, rtf_to_text(decode(data), errors="ignore"), ctx)
