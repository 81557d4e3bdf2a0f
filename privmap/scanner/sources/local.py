"""Local folders: every regular file below a path, in sorted order, never following links.

Files are listed by path but read through directory descriptors opened one component at a time with
O_NOFOLLOW, from the root down: a file or folder swapped for a link (or a FIFO) between listing and
reading can neither lead the read outside the configured folder nor hang it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote_from_bytes, unquote_to_bytes, urlparse

from pydantic import Field

from privmap.model import Item, Location, Problem
from privmap.scanner.sources.base import ByteSource, NotRead, Options, SourceError

# what a listed entry that is not a regular file is, in the words of the skip reason
_KINDS = {
    stat.S_IFLNK: "a symbolic link (not followed)",
    stat.S_IFIFO: "a named pipe",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


class LocalOptions(Options):
    path: str = Field(min_length=1)  # an empty path would mean the config's own folder
    # evidence sidecars: `<file><sidecar>` holds a JSON object of metadata about <file> (e.g. its
    # consent id); sidecars are evidence, never listed as items themselves
    sidecar: str | None = None


class LocalSource(ByteSource):
    Options = LocalOptions
    # a folder is listed with a system call or two per entry: a listing thread had little to overlap and
    # contended with the store's lookups for the interpreter lock (0.5-1.7 s of a 100,000-item rescan)
    list_ahead = False

    @property
    def root(self) -> Path:
        return self.config.resolve(self.options.path).resolve()

    def items(self) -> Iterator[Item]:
        """Every entry below the root, in sorted order. Regular files are items to read; links, pipes,
        sockets and devices are items the scan records as not read; a folder that cannot be listed is a
        coverage gap in `problems`. Raises SourceError when the root itself cannot be listed."""
        root = self.root
        try:
            os.close(os.open(root, _DIR_FLAGS & ~os.O_NOFOLLOW))
        except FileNotFoundError:
            raise SourceError("missing", f"folder {root} does not exist") from None
        except NotADirectoryError:
            raise SourceError("missing", f"{root} is not a folder") from None
        except PermissionError:
            raise SourceError("denied", f"folder {root} cannot be read (permission denied)") from None

        def unreadable(exc: OSError) -> None:
            where = Path(exc.filename) if exc.filename else root
            self.problems.append(
                Problem(Location(self.name, where.as_uri()), "denied", f"folder not listed: {exc.strerror}")
            )

        state = self.config.state_dir.resolve()
        store = root.as_uri()
        for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable, followlinks=False):
            dirnames.sort()
            if state.parent == Path(dirpath) and state.name in dirnames:
                dirnames.remove(state.name)  # privmap's own store and key are never scanned
            # a link to a folder is listed by os.walk among the folders: report it like a linked file
            links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
            dirnames[:] = [d for d in dirnames if d not in links]
            # paths as strings, joined once per folder: pathlib parsing was most of a listing's CPU
            folder = os.path.relpath(dirpath, root)
            prefix = "" if folder == "." else folder + os.sep
            for name in sorted((*filenames, *links)):
                item = self._entry(os.path.join(dirpath, name), prefix + name, store)
                if item is not None:
                    yield item

    def item(self, path: Path, root: Path | None = None) -> Item | None:
        """The item of one entry below the root (a link, pipe or device too: the scan records it as not
        read); None for a sidecar, an entry outside the root or one that vanished."""
        root = root or self.root
        if not path.is_relative_to(root):
            return None
        return self._entry(str(path), str(path.relative_to(root)), root.as_uri())

    def _entry(self, path: str, relative: str, store: str) -> Item | None:
        """`item` for an absolute, normalised `path` known to be below the root whose URI is `store`."""
        if self.options.sidecar and path.endswith(self.options.sidecar):
            return None
        try:
            st = os.lstat(path)
        except OSError:
            return None  # vanished between listing and stat
        # Path.as_uri() of a normalised absolute path, byte for byte (stored URIs must not change)
        uri = "file://" + quote_from_bytes(os.fsencode(path))
        if not stat.S_ISREG(st.st_mode):
            return Item(
                location=Location(self.name, uri),
                store=store,
                fingerprint=str(stat.S_IFMT(st.st_mode)),
                metadata={"path": relative},
            )
        return Item(
            location=Location(self.name, uri),
            store=store,
            fingerprint=f"{st.st_size}:{st.st_mtime_ns}",
            size=st.st_size,
            metadata={"path": relative, "modified": _iso(st.st_mtime), **self.evidence(path)},
        )

    def evidence(self, path: str | Path) -> dict[str, str]:
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
        """Random access to a listed file. Raises NotRead for anything but a regular file below the
        root (whatever it has become since listing), OSError when it cannot be opened."""
        return FileReader(self._open_beneath(path_of(item.location.uri)))

    def _open_beneath(self, path: Path) -> int:
        """A read descriptor for `path`, reached from the root one component at a time, never through a
        link. Raises NotRead (not a regular file, or outside the root) or OSError."""
        root = self.root
        try:
            parts = path.relative_to(root).parts
        except ValueError:
            raise NotRead("outside the configured folder") from None
        fd = os.open(root, _DIR_FLAGS & ~os.O_NOFOLLOW)
        try:
            for part in parts[:-1]:
                try:
                    child = os.open(part, _DIR_FLAGS, dir_fd=fd)
                except (NotADirectoryError, OSError) as exc:
                    if isinstance(exc, NotADirectoryError) or exc.errno == 40:  # ELOOP: a link
                        raise NotRead("a folder on its path became a link (not followed)") from None
                    raise
                os.close(fd)
                fd = child
            try:
                file_fd = os.open(parts[-1], _FILE_FLAGS, dir_fd=fd)
            except OSError as exc:
                if exc.errno == 40:  # ELOOP: the file is a link
                    raise NotRead(_KINDS[stat.S_IFLNK]) from None
                raise
        finally:
            os.close(fd)
        mode = os.fstat(file_fd).st_mode
        if not stat.S_ISREG(mode):
            os.close(file_fd)
            raise NotRead(_KINDS.get(stat.S_IFMT(mode), "not a regular file"))
        return file_fd


class FileReader:
    """Random access to a local file by `seek` (the RangeReader of local sources), from
    a descriptor opened beneath the root."""

    def __init__(self, fd: int) -> None:
        self._fh = os.fdopen(fd, "rb")
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
    """The path of a file:// URI (the inverse of Path.as_uri(), byte for byte: a name that is not valid
    UTF-8 comes back as the same bytes)."""
    return Path(os.fsdecode(unquote_to_bytes(urlparse(uri).path)))
