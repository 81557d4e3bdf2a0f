"""Local folders: every regular file below a path, in sorted order, never following links."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

from privmap.model import Item, Location
from privmap.scanner.sources.base import ByteSource, Options


class LocalOptions(Options):
    path: str
    # evidence sidecars: `<file><sidecar>` holds a JSON object of metadata about <file> (e.g. its
    # consent id); sidecars are evidence, never listed as items themselves
    sidecar: str | None = None


class LocalSource(ByteSource):
    Options = LocalOptions

    @property
    def root(self) -> Path:
        return self.config.resolve(self.options.path).resolve()

    def items(self) -> Iterator[Item]:
        root = self.root
        if not root.is_dir():
            raise FileNotFoundError(f"folder {root} does not exist or is not a folder")
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames.sort()
            for name in sorted(filenames):
                item = self.item(Path(dirpath) / name, root)
                if item is not None:
                    yield item

    def item(self, path: Path, root: Path | None = None) -> Item | None:
        """The item of one file below the root; None for a sidecar, a link, a non-file or a vanished file."""
        root = root or self.root
        if self.options.sidecar and path.name.endswith(self.options.sidecar):
            return None
        try:
            st = path.lstat()
        except OSError:
            return None  # vanished between listing and stat
        if not path.is_file() or path.is_symlink() or not path.is_relative_to(root):
            return None
        return Item(
            location=Location(self.name, path.as_uri()),
            store=root.as_uri(),
            fingerprint=f"{st.st_size}:{st.st_mtime_ns}",
            size=st.st_size,
            metadata={"path": str(path.relative_to(root)), "modified": _iso(st.st_mtime), **self.evidence(path)},
        )

    def evidence(self, path: Path) -> dict[str, str]:
        """Metadata kept beside the file: extended attributes in the `user.` namespace
        (`xattr:user.consent-id`) and the keys of its sidecar (`sidecar:consent-id`).
        Unreadable or malformed evidence counts as absent: the consent check then fails, never passes."""
        found: dict[str, str] = {}
        try:
            for attr in os.listxattr(path, follow_symlinks=False):
                if attr.startswith("user."):
                    found[f"xattr:{attr}"] = os.getxattr(path, attr, follow_symlinks=False).decode("utf-8", "replace")
        except (OSError, AttributeError):  # no xattr support on this file system or platform
            pass
        if self.options.sidecar:
            try:
                data = json.loads(Path(f"{path}{self.options.sidecar}").read_text(encoding="utf-8"))
                if isinstance(data, dict):
                    found |= {f"sidecar:{k}": str(v) for k, v in data.items() if isinstance(v, str | int)}
            except (OSError, ValueError):
                pass
        return found

    def metadata(self, item: Item) -> dict[str, str]:
        """The item's evidence as it is now (re-read each run for uploads whose consent did not hold)."""
        return self.evidence(path_of(item.location.uri))

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


def _iso(mtime: float) -> str:
    return dt.datetime.fromtimestamp(mtime, dt.UTC).isoformat(timespec="seconds")


def path_of(uri: str) -> Path:
    """The path of a file:// URI (the inverse of Path.as_uri())."""
    return Path(unquote(urlparse(uri).path))
