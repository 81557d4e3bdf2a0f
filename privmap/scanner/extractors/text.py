"""Plain text: charset detection, then windows cut at line or word boundaries."""

from __future__ import annotations

from collections.abc import Iterator

from charset_normalizer import from_bytes

from privmap.model import Blob, Chunk


def decode(data: bytes) -> str:
    """Decode bytes of unknown charset: UTF-8 when valid (the common case), else detected."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
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


def extract_text(blob: Blob, chunk_chars: int) -> Iterator[Chunk]:
    for window in windows(decode(blob.data), chunk_chars):
        if window.strip():
            yield Chunk(blob.location, window, "prose")
