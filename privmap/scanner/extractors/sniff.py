"""Media type from the first bytes, never from the name (names lie, and are attacker-chosen).

`sniff` reads a head (64 KB is plenty); containers that share a magic number are told apart
by `refine_zip` from their member names (OOXML, ODF, EPUB are all zips) and by `refine_ole` from
their streams (Outlook messages, legacy Word, Excel and PowerPoint are all OLE compound files). Everything here is
linear in the head's length: the standard library's csv.Sniffer is quadratic on crafted input
(a 64 KB line of quotes takes minutes), so delimiters are found by parsing instead.
"""

from __future__ import annotations

import csv
import json
import re
import zipfile
from typing import Any, BinaryIO

import olefile

_MAGIC: list[tuple[bytes, str]] = [
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"PK\x05\x06", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"BZh", "application/x-bzip2"),
    (b"\xfd7zXZ\x00", "application/x-xz"),
    (b"\x28\xb5\x2f\xfd", "application/zstd"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"ID3", "audio/mpeg"),
    (b"PAR1", "application/vnd.apache.parquet"),
    (b"SQLite format 3\x00", "application/vnd.sqlite3"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
    (b"{\\rtf", "application/rtf"),
]
# ISO base media (MP4, MOV, HEIC): the brand after `ftyp` tells them apart
_BRANDS = {b"heic": "image/heic", b"heix": "image/heic", b"mif1": "image/heic", b"msf1": "image/heic"}
_BRANDS |= {b"avif": "image/avif", b"qt  ": "video/quicktime", b"M4A ": "audio/mp4"}
TEXT_TYPES = frozenset(
    {"text/plain", "text/csv", "text/tab-separated-values", "application/json", "application/x-ndjson"}
)
_BOMS = [
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
]
_HEADER = re.compile(r"^([!-9;-~]+):[ \t]?", re.MULTILINE)
_MAIL_HEADERS = frozenset(
    {"from", "to", "cc", "subject", "date", "message-id", "mime-version", "received", "return-path", "reply-to"}
)
_OOXML = {
    "word/document.xml": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/workbook.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/presentation.xml": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def sniff(data: bytes) -> str:
    """The media type of `data` (a prefix of the content is enough)."""
    for magic, media_type in _MAGIC:
        if data.startswith(magic):
            return media_type
    if data[4:8] == b"ftyp":
        return _BRANDS.get(data[8:12], "video/mp4")
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    if data[257:262] == b"ustar":
        return "application/x-tar"
    if data.startswith(b"\xff\xfb") or data.startswith(b"\xff\xf3"):
        return "audio/mpeg"
    encoding = text_encoding(data)
    if encoding is None and not looks_like_text(data[:8192]):
        return "application/octet-stream"
    return _sniff_text(data[:65536].decode(encoding or "utf-8", errors="ignore"))


def text_encoding(head: bytes) -> str | None:
    """The UTF-16/32 codec of a text, with or without byte order mark; "utf-8-sig" for a UTF-8 BOM;
    None for byte-oriented text (UTF-8, legacy charsets) or binary data.

    Without a BOM, UTF-16 text of mostly Latin script has a zero byte in every other position
    (UTF-32: three in four), which binary data does not keep up for long."""
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec
    sample = head[:4096]
    if b"\x00" not in sample or len(sample) < 4:
        return None
    n = len(sample) // 4 * 4
    zeros = [sum(1 for b in sample[i:n:4] if b == 0) / (n // 4) for i in range(4)]
    candidates = []
    if min(zeros[1:]) > 0.9 and zeros[0] < 0.5:
        candidates.append("utf-32-le")
    if min(zeros[:3]) > 0.9 and zeros[3] < 0.5:
        candidates.append("utf-32-be")
    odd, even = (zeros[1] + zeros[3]) / 2, (zeros[0] + zeros[2]) / 2
    if odd > 0.6 and even < 0.2:
        candidates.append("utf-16-le")
    if even > 0.6 and odd < 0.2:
        candidates.append("utf-16-be")
    for codec in candidates:
        try:
            text = sample[:n].decode(codec)
        except UnicodeDecodeError:
            continue
        if _printable(text):
            return codec
    return None


def looks_like_text(head: bytes) -> bool:
    if not head:
        return True
    if b"\x00" in head:
        return False
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return control / len(head) < 0.05


def _printable(text: str) -> bool:
    control = sum(1 for c in text if ord(c) < 32 and c not in "\t\n\f\r\x1b")
    return bool(text) and control / len(text) < 0.05


def _sniff_text(head: str) -> str:
    stripped = head.lstrip("\ufeff \t\r\n")
    if stripped[:1] in "{[":
        lines = [ln for ln in stripped.splitlines() if ln.strip()]
        if len(lines) > 1 and all(_is_json(ln) for ln in lines[:-1][:20]):
            return "application/x-ndjson"
        if _is_json(stripped) or stripped[:1] == "[" or (len(lines) == 1 and stripped[:1] == "{"):
            return "application/json"
    if stripped.startswith("{\\rtf"):
        return "application/rtf"
    if stripped[:1] == "<":
        lowered = stripped[:4096].lower()
        if lowered.startswith(("<!doctype html", "<html")) or "<html" in lowered or "<body" in lowered:
            return "text/html"
        if lowered.startswith("<?xml") or re.match(r"<[a-z_][\w.:-]*[\s>/]", lowered):
            return "application/xml"
    if _is_mail(head):
        return "message/rfc822"
    lines = head.splitlines()[:20]
    if len(lines) >= 2 and (dialect := csv_dialect("\n".join(lines[:-1] if len(lines) > 2 else lines))):
        return "text/tab-separated-values" if dialect.delimiter == "\t" else "text/csv"
    return "text/plain"


def _is_mail(head: str) -> bool:
    """An RFC 5322 message: a block of header fields, at least two of them ones every mail has."""
    block = head.replace("\r\n", "\n").split("\n\n", 1)[0]
    lines = [ln for ln in block.split("\n")[:50] if ln and ln[0] not in " \t"]  # continuations folded
    if len(lines) < 2 or not all(_HEADER.match(ln) for ln in lines):
        return False
    names = {_HEADER.match(ln).group(1).lower() for ln in lines}  # type: ignore[union-attr]
    return len(names & _MAIL_HEADERS) >= 2


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


class _Dialect(csv.Dialect):
    delimiter = ","
    quotechar = '"'
    doublequote = True
    skipinitialspace = False
    lineterminator = "\r\n"
    quoting = csv.QUOTE_MINIMAL


def csv_dialect(sample: str, delimiters: str = ",;\t|") -> type[csv.Dialect] | None:
    """The delimiter that splits every line of `sample` into the same number (> 1) of fields.

    Lines are parsed by the csv module (quotes respected), once per candidate: linear time."""
    lines = sample.splitlines()[:20]
    best: tuple[int, str] | None = None
    for delimiter in delimiters:
        widths = {len(row) for row in csv.reader(lines, delimiter=delimiter, quotechar='"') if row}
        if len(widths) == 1 and (width := widths.pop()) > 1 and (best is None or width > best[0]):
            best = (width, delimiter)
    if best is None:
        return None
    return type("Sniffed", (_Dialect,), {"delimiter": best[1]})


class LinearSniffer(csv.Sniffer):
    """csv.Sniffer with `sniff` replaced by csv_dialect, so `has_header` (which calls it) is linear too."""

    def sniff(self, sample: str, delimiters: str | None = None) -> Any:
        dialect = csv_dialect(sample, delimiters or ",;\t|")
        if dialect is None:
            raise csv.Error("no consistent delimiter")
        return dialect


def refine_zip(fh: BinaryIO) -> str:
    """The media type of a zip by its members: OOXML by its main part, ODF and EPUB by `mimetype`."""
    with zipfile.ZipFile(fh) as zf:
        names = set(zf.namelist())
        if "mimetype" in names and zf.getinfo("mimetype").file_size < 100:
            declared = zf.read("mimetype").decode("ascii", errors="ignore").strip()
            if declared.startswith("application/vnd.oasis.opendocument.") or declared == "application/epub+zip":
                return declared
    for part, media_type in _OOXML.items():
        if part in names:
            return media_type
    return "application/zip"


# OLE compound files by a stream only their kind has at the root ([MS-OXMSG] 2.4: a message's
# property stream; the legacy Office formats' main streams)
_OLE = [
    ("__properties_version1.0", "application/vnd.ms-outlook"),
    ("WordDocument", "application/msword"),
    ("Workbook", "application/vnd.ms-excel"),
    ("Book", "application/vnd.ms-excel"),
    ("PowerPoint Document", "application/vnd.ms-powerpoint"),
]


def refine_ole(fh: BinaryIO) -> str:
    """The media type of an OLE compound file by its root streams (only the directory is read).
    Raises ValueError for a file whose structure cannot be read (truncated, corrupt)."""
    try:
        ole = olefile.OleFileIO(fh)
    except OSError as exc:  # olefile's error for every structural defect
        raise ValueError(f"not a readable OLE compound file ({exc})") from None
    with ole:
        for stream, media_type in _OLE:
            if ole.exists(stream):
                return media_type
    return "application/x-ole-storage"
