"""Media type from the first bytes, never from the name (names lie, and are attacker-chosen)."""

from __future__ import annotations

import csv
import json

_MAGIC: list[tuple[bytes, str]] = [
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"PK\x05\x06", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"BZh", "application/x-bzip2"),
    (b"\xfd7zXZ\x00", "application/x-xz"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"SQLite format 3\x00", "application/vnd.sqlite3"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
]
TEXT_TYPES = frozenset(
    {"text/plain", "text/csv", "text/tab-separated-values", "application/json", "application/x-ndjson"}
)


def sniff(data: bytes) -> str:
    """The media type of `data` (a prefix of the content is enough)."""
    for magic, media_type in _MAGIC:
        if data.startswith(magic):
            return media_type
    if data[4:12] in (b"ftypisom", b"ftypmp42", b"ftypheic", b"ftypqt  "):
        return "video/mp4"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    if not looks_like_text(data[:8192]):
        return "application/octet-stream"
    return _sniff_text(data[:65536].decode("utf-8", errors="ignore"))


def looks_like_text(head: bytes) -> bool:
    if not head:
        return True
    if b"\x00" in head and not (head.startswith((b"\xff\xfe", b"\xfe\xff"))):
        return False
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return control / len(head) < 0.05


def _sniff_text(head: str) -> str:
    stripped = head.lstrip("\ufeff \t\r\n")
    if stripped[:1] in "{[":
        lines = [ln for ln in stripped.splitlines() if ln.strip()]
        if len(lines) > 1 and all(_is_json(ln) for ln in lines[:-1][:20]):
            return "application/x-ndjson"
        if _is_json(stripped) or stripped[:1] == "[" or (len(lines) == 1 and stripped[:1] == "{"):
            return "application/json"
    lines = head.splitlines()[:20]
    if len(lines) >= 2:
        try:
            dialect = csv.Sniffer().sniff("\n".join(lines[:-1] if len(lines) > 2 else lines), delimiters=",;\t|")
        except csv.Error:
            return "text/plain"
        counts = {ln.count(dialect.delimiter) for ln in lines[:-1] if ln.strip()}
        if len(counts) == 1 and counts != {0}:
            return "text/tab-separated-values" if dialect.delimiter == "\t" else "text/csv"
    return "text/plain"


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
