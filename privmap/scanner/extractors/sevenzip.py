"""7z archives (py7zr, the `7z` extra): members decompressed in memory, in batches, within budgets."""

from __future__ import annotations

from collections.abc import Iterator

import py7zr
from py7zr.io import BytesIOFactory

from privmap.model import Blob
from privmap.scanner.extractors.base import Context, Part, Stopped, open_file, part_of

_BATCH = 64_000_000  # declared bytes decompressed per pass: solid archives decompress from the start each pass


class SevenZipExtractor:
    media_types = frozenset({"application/x-7z-compressed"})
    reads = "file"

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Part]:
        limits = ctx.scan.archive
        with open_file(blob, ctx) as fh, py7zr.SevenZipFile(fh) as archive:
            if archive.needs_password():
                raise Stopped("encrypted", "encrypted 7z archive: it needs a password")
            infos = [i for i in archive.list() if not i.is_directory]
            # a solid archive compresses members together: the ratio is judged on the whole archive
            compressed = blob.size if blob.size is not None else len(blob.data)
            if sum(i.uncompressed for i in infos) > limits.max_ratio * compressed:
                raise Stopped("budget", f"expands more than archive.max_ratio ({limits.max_ratio:g}x)")
            batch: list[str] = []
            size = 0
            for info in infos:
                where = part_of(blob.location, info.filename)
                if info.uncompressed > limits.max_member_bytes:
                    ctx.problem(where, "too-large", f"over archive.max_member_bytes ({limits.max_member_bytes} bytes)")
                    continue
                try:
                    ctx.budget.spend_bytes(info.uncompressed)
                except Stopped as exc:
                    ctx.problem(where, exc.kind, str(exc))
                    continue
                batch.append(info.filename)
                size += info.uncompressed
                if size >= _BATCH:
                    yield from self._members(archive, blob, batch, limits.max_member_bytes)
                    batch, size = [], 0
            if batch:
                yield from self._members(archive, blob, batch, limits.max_member_bytes)

    def _members(self, archive: py7zr.SevenZipFile, blob: Blob, names: list[str], limit: int) -> Iterator[Blob]:
        factory = BytesIOFactory(limit)
        archive.reset()
        archive.extract(targets=names, factory=factory)
        for name in names:
            if name in factory.products:
                content = factory.get(name)
                content.seek(0)
                yield Blob(part_of(blob.location, name), content.read())
