"""Local folders: every regular file below a path, in sorted order, never following links."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

from privmap.model import Item, Location
from privmap.scanner.sources.base import ByteSource, Options


class LocalOptions(Options):
    path: str


class LocalSource(ByteSource):
    Options = LocalOptions

    @property
    def root(self) -> Path:
        return self.config.resolve(self.options.path).resolve()

    def items(self) -> Iterator[Item]:
        root = self.root
        if not root.is_dir():
            raise FileNotFoundError(f"folder {root} does not exist or is not a folder")
        store = root.as_uri()
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames.sort()
            for name in sorted(filenames):
                path = Path(dirpath) / name
                try:
                    st = path.lstat()
                except OSError:
                    continue  # vanished between listing and stat
                if not path.is_file() or path.is_symlink():
                    continue
                yield Item(
                    location=Location(self.name, path.as_uri()),
                    store=store,
                    fingerprint=f"{st.st_size}:{st.st_mtime_ns}",
                    size=st.st_size,
                    metadata={"path": str(path.relative_to(root))},
                )

    def reader(self, item: Item) -> FileReader:
        return FileReader(path_of(item.location.uri))


class FileReader:
    """Random access to a local file by `seek` (the RangeReader of local sources)."""

    def __init__(self, path: Path) -> None:
        self._fh = path.open("rb")
        self.size = os.fstat(self._fh.fileno()).st_size
        self.metadata: dict[str, str] = {}
        self.bytes_read = 0

    def read(self, start: int, end: int) -> bytes:
        self._fh.seek(start)
        data = self._fh.read(max(0, min(end, self.size) - start))
        self.bytes_read += len(data)
        return data

    def close(self) -> None:
        self._fh.close()


def path_of(uri: str) -> Path:
    """The path of a file:// URI (the inverse of Path.as_uri())."""
    return Path(unquote(urlparse(uri).path))
