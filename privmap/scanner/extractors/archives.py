"""Archives and compressed files: zip, tar, gzip, bzip2, xz, and zstd, nested, in memory
(7z: privmap.scanner.extractors.sevenzip).

Members are never written to disk (their names, attacker-chosen, are only labels: a member
named ../../etc/passwd is read like any other). Each member is a nested part extracted in
turn, within the item's shared budgets (scan.archive: depth, members, total uncompressed bytes,
compression ratio, and scan.item_timeout); a member that hits one is a recorded problem on that
member (kind `budget`, `too-large` or `encrypted`), and the other members go on.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from functools import partial
from typing import BinaryIO

import zstandard

from privmap.model import Blob
from privmap.scanner.extractors.base import Context, Part, Stopped, open_file, part_of
from privmap.scanner.extractors.sniff import sniff
from privmap.scanner.sources.base import HEAD_BYTES


class Metered(io.RawIOBase):
    """A forward-only file of decompressed bytes that charges the item's budget as it is read,
    and stops a stream that inflates past archive.max_ratio times its compressed size."""

    def __init__(self, raw: BinaryIO, ctx: Context, compressed: int | None) -> None:
        super().__init__()
        self._raw, self._ctx = raw, ctx
        self._limit = None if compressed is None else int(ctx.scan.archive.max_ratio * max(compressed, 1)) + HEAD_BYTES
        self._count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        self._count += len(data)
        self._ctx.budget.spend_bytes(len(data))
        if self._limit is not None and self._count > self._limit:
            raise Stopped("budget", f"expands more than archive.max_ratio ({self._ctx.scan.archive.max_ratio:g}x)")
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


class _Replay(io.RawIOBase):
    """The rest of a stream whose head was already read: the head first, then the stream."""

    def __init__(self, head: bytes, raw: BinaryIO) -> None:
        super().__init__()
        self._head, self._raw = head, raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n], self._head = self._head[:n], self._head[n:]
            return n
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


def member(
    blob: Blob, name: str, opener: Callable[[], BinaryIO], ctx: Context, size: int | None, compressed: int | None
) -> Iterator[Blob]:
    """A nested part: its head read now (to sniff it), the rest through a metered stream.

    `opener` gives a fresh stream each call when the format allows it (zip); for forward-only
    formats (tar streams, gzip) it is called once, and the stream replays the head first.
    A budget hit while reading the head is recorded on the member (nothing is yielded)."""
    fh = Metered(opener(), ctx, compressed)
    head = b""
    try:
        while len(head) < HEAD_BYTES and (data := fh.read(HEAD_BYTES - len(head))):
            head += data
    except Stopped as exc:
        ctx.problem(part_of(blob.location, name), exc.kind, str(exc))
        return
    used = [False]

    def stream() -> BinaryIO:
        if not used[0]:  # the first reader continues the stream already opened
            used[0] = True
            return io.BufferedReader(_Replay(head, fh))  # type: ignore[arg-type]
        return io.BufferedReader(Metered(opener(), ctx, compressed))  # type: ignore[arg-type]

    more = len(head) == HEAD_BYTES and (size is None or size > HEAD_BYTES)
    yield Blob(part_of(blob.location, name), head, truncated=more, size=size, stream=stream)


class ZipExtractor:
    media_types = frozenset({"application/zip", "application/epub+zip"})
    reads = "file"

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Part]:
        limits = ctx.scan.archive
        with open_file(blob, ctx) as fh, zipfile.ZipFile(fh) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                where = part_of(blob.location, info.filename)
                if info.flag_bits & 0x1:
                    ctx.problem(where, "encrypted", "encrypted member: it needs a password")
                    continue
                if info.file_size > limits.max_ratio * max(info.compress_size, 1) + HEAD_BYTES:
                    ctx.problem(where, "budget", f"expands more than archive.max_ratio ({limits.max_ratio:g}x)")
                    continue
                opener = partial(archive.open, info)
                yield from member(blob, info.filename, opener, ctx, info.file_size, info.compress_size)


class TarExtractor:
    media_types = frozenset({"application/x-tar"})
    reads = "stream"

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Part]:
        with open_file(blob, ctx, seekable=False) as fh, tarfile.open(fileobj=fh, mode="r|") as archive:
            for info in archive:
                if not info.isfile():
                    continue
                data = archive.extractfile(info)
                if data is not None:
                    yield from member(blob, info.name, lambda data=data: data, ctx, info.size, None)


# compressed single streams: the part name of what they hold, and their decompressor (closed with the
# member's stream)
_STREAMS: dict[str, tuple[str, Callable[[BinaryIO], BinaryIO]]] = {
    "application/gzip": ("gzip", lambda fh: gzip.GzipFile(fileobj=fh)),  # type: ignore[dict-item]
    "application/x-bzip2": ("bzip2", lambda fh: bz2.BZ2File(fh)),  # type: ignore[dict-item]
    "application/x-xz": ("xz", lambda fh: lzma.LZMAFile(fh)),  # type: ignore[dict-item]  # noqa: SIM115
    "application/zstd": ("zstd", lambda fh: zstandard.ZstdDecompressor().stream_reader(fh)),
}


class CompressedExtractor:
    """gzip, bzip2, xz and zstd: the one stream they hold, as a nested part (a .tar.gz is a tar inside)."""

    media_types = frozenset(_STREAMS)
    reads = "stream"

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Part]:
        name, decompress = _STREAMS[sniff(blob.data)]
        compressed = blob.size if blob.size is not None else len(blob.data)
        with open_file(blob, ctx, seekable=False) as fh:
            yield from member(blob, name, lambda: decompress(fh), ctx, None, compressed)
