"""Local folders: every regular file below a path, in sorted order, never following links."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

from privmap.model import Blob, Item, Location
from privmap.scanner.sources.base import Options, SourceBase, read_sampled


class LocalOptions(Options):
    path: str


class LocalSource(SourceBase):
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
                    # the file's age, for the retention checks
                    metadata={
                        "path": str(path.relative_to(root)),
                        "modified": dt.datetime.fromtimestamp(st.st_mtime, dt.UTC).isoformat(),
                    },
                )

    def open(self, item: Item) -> Blob:
        path = path_of(item.location.uri)
        size = path.stat().st_size
        with path.open("rb") as fh:

            def read(start: int, end: int) -> bytes:
                fh.seek(start)
                return fh.read(end - start)

            data, truncated = read_sampled(read, size, self.config.scan.max_bytes_per_object)
        return Blob(item.location, data, truncated)


def path_of(uri: str) -> Path:
    """The path of a file:// URI (the inverse of Path.as_uri())."""
    return Path(unquote(urlparse(uri).path))
