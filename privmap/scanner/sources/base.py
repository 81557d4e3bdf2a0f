"""What every source provides, and the random-access read seam shared by byte-addressable sources."""

from __future__ import annotations

import io
import json
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

from privmap.config.models import Config, SourceConfig
from privmap.model import Blob, Item, Location, Problem, RangeReader, StoreFact, Table


class Options(BaseModel):
    """Base of each source's nested `Options` model: strict, like the rest of the config."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceError(Exception):
    """A failure the source has classified; `kind` becomes the Problem's kind (denied, missing, throttled ...)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class NotRead(Exception):
    """The item exists but is deliberately not read (a link, a pipe, a device): the scan records it as
    skipped with this reason, so it shows in coverage instead of vanishing."""


# HTTP status of a cloud storage API's error answer -> Problem kind; anything else is "unreadable"
_STATUS_KINDS = {401: "denied", 403: "denied", 404: "missing", 408: "timeout", 429: "throttled", 503: "throttled"}


def status_kind(status: int | str | None) -> str:
    """The Problem kind of an HTTP error status (403 denied, 404 missing, 429/503 throttled ...)."""
    try:
        return _STATUS_KINDS.get(int(status or 0), "unreadable")
    except ValueError:
        return "unreadable"


def changes_since(
    mark: str | None, buckets: Iterable[Any], listing: Callable[[Any, dict[str, Any] | None], Iterable[Item]]
) -> tuple[list[Item], str]:
    """`privmap watch`'s listing of an object store: the objects of `buckets` (each with a `name`) uploaded
    or overwritten since `mark` (this function's previous answer: JSON, per bucket the mark of
    `newer_than`), and the new mark. With no mark (or a bucket new to it), the present becomes the mark
    and nothing is new. `listing(bucket, its previous mark or None)` lists one bucket."""
    state: dict[str, Any] = json.loads(mark) if mark else {}
    found: list[Item] = []
    marks = {}
    for bucket in buckets:
        prev = state.get(bucket.name)
        new, marks[bucket.name] = newer_than(listing(bucket, prev), prev)
        found += new
    return found, json.dumps(marks, sort_keys=True)


def newer_than(items: Iterable[Item], prev: dict[str, Any] | None) -> tuple[list[Item], dict[str, Any]]:
    """The items of one bucket (metadata `path` and `modified`, ISO 8601 in one format per store) uploaded
    or overwritten since `prev`, and the bucket's new mark: {modified: the newest seen, keys: the paths
    seen at it, last_key: the greatest path}. With `prev` None, the present becomes the mark and nothing
    is new. Object stores list in key order only, never newest first, so the whole listing is compared."""
    state = prev or {"modified": "", "keys": [], "last_key": ""}
    newest, at_newest, last_key = state["modified"], set(state["keys"]), state["last_key"]
    found = []
    for item in items:
        modified, key = item.metadata.get("modified", ""), item.metadata["path"]
        seen = modified < state["modified"] or (modified == state["modified"] and key in state["keys"])
        if prev is not None and not seen:
            found.append(item)
        if modified > newest:
            newest, at_newest = modified, {key}
        elif modified == newest:
            at_newest.add(key)
        last_key = max(last_key, key)
    return found, {"modified": newest, "keys": sorted(at_newest), "last_key": last_key}


class Source(Protocol):
    name: str
    # coverage gaps met while listing or reading posture (a bucket that cannot be listed);
    # the pipeline records and clears them after each source, and the scan goes on
    problems: list[Problem]

    def items(self) -> Iterator[Item]:
        """List items in a stable order; cheap, no content reads."""
        ...

    def open(self, item: Item) -> Blob | Table:
        """Read an item within the scan's byte or row budget. Raises on failure."""
        ...

    def posture(self) -> list[StoreFact]:
        """Facts about each store: region, exposure, encryption, replication, grants."""
        ...


class SourceBase:
    """Common construction: validated options, declared region, scan limits."""

    Options: ClassVar[type[Options]] = Options
    needs_region: ClassVar[bool] = True  # cloud sources discover the region instead
    # listing waits on a network: a thread lists ahead while listed items are carried over and read
    list_ahead: ClassVar[bool] = True

    def __init__(self, spec: SourceConfig, config: Config) -> None:
        self.name = spec.name
        self.spec = spec
        self.config = config
        self.options = self.Options.model_validate(spec.options)
        self.problems: list[Problem] = []

    def posture(self) -> list[StoreFact]:
        return []

    def gap(self, uri: str, error: SourceError) -> None:
        """Record a coverage gap at `uri` (a store, or the source itself): the scan goes on."""
        self.problems.append(Problem(Location(self.name, uri), error.kind, str(error)))


def object_metadata(metadata: dict[str, str] | None) -> dict[str, str]:
    """An object's user metadata as item evidence (`meta:<key>`), scanned and stored masked like content."""
    return {f"meta:{k}": v for k, v in (metadata or {}).items()}


# uploads whose consent evidence (metadata, tags) is read at once without their content (uploads.assess);
# a source with a connection pool keeps this many connections
EVIDENCE_READERS = 8
HEAD_BYTES = 65_536  # read first, before anything else: enough to sniff any type privmap reads


class ByteSource(SourceBase):
    """A source of byte objects (files, S3/GCS objects): implements `reader`, inherits `open`.

    `open` reads only the head of the object; the extractor chosen by sniffing it decides how
    much more to read (a sample of a text, the index and the parts of a container, nothing
    more of an unsupported binary), through the reader, within the scan's budgets.
    """

    def reader(self, item: Item) -> RangeReader:
        """Random access to the item's bytes. Raises OSError or SourceError if it cannot be opened."""
        raise NotImplementedError

    def open(self, item: Item) -> Blob:
        reader = self.reader(item)
        try:
            head = reader.read(0, min(reader.size, HEAD_BYTES, self.config.scan.max_bytes_per_object))
        except BaseException:
            reader.close()
            raise
        return Blob(item.location, head, reader.size > len(head), dict(reader.metadata), reader.size, reader)


class RangeFile(io.RawIOBase):
    """A read-only, seekable file over a RangeReader, for libraries that parse from a file object.

    Reads are served from aligned blocks of `block` bytes (the last `cache` of them kept), so a
    parser's many small seeks cost a few ranged reads. At most `budget` bytes are fetched: past
    that, reads raise SourceError("too-large", "read in part ..."): what was parsed before keeps
    its findings, and the rest is a recorded gap.
    """

    def __init__(self, reader: RangeReader, budget: int, block: int = 1 << 20, cache: int = 8) -> None:
        super().__init__()
        self._reader, self._budget, self._block, self._cache = reader, budget, block, cache
        self._blocks: OrderedDict[int, bytes] = OrderedDict()
        self._pos = 0
        self.fetched = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._reader.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        want = min(len(buffer), self._reader.size - self._pos)
        done = 0
        while done < want:
            index, offset = divmod(self._pos + done, self._block)
            data = self._get(index)[offset : offset + want - done]
            if not data:
                break
            buffer[done : done + len(data)] = data
            done += len(data)
        self._pos += done
        return done

    def _get(self, index: int) -> bytes:
        if index in self._blocks:
            self._blocks.move_to_end(index)
            return self._blocks[index]
        start = index * self._block
        end = min(start + self._block, self._reader.size)
        if self.fetched + end - start > self._budget:
            where = f"at byte {start} of {self._reader.size}"
            raise SourceError("too-large", f"read in part: max_container_bytes ({self._budget} bytes) reached {where}")
        data = self._reader.read(start, end)
        self.fetched += len(data)
        self._blocks[index] = data
        if len(self._blocks) > self._cache:
            self._blocks.popitem(last=False)
        return data


def sample_ranges(size: int, budget: int, windows: int = 4) -> list[tuple[int, int]]:
    """Byte ranges [start, end) to read from an object of `size` within `budget` bytes.

    Small objects are read whole. For large ones, half the budget goes to the head (headers,
    the first records) and the rest to evenly spaced windows, so a big log or export is
    sampled along its whole length rather than only at its start.
    """
    if size <= budget:
        return [(0, size)]
    head = budget // 2
    width = (budget - head) // windows
    # window i starts so that the first follows the head and the last ends at the end
    step = (size - head - width) // (windows - 1) if windows > 1 else 0
    return [(0, head)] + [(head + i * step, head + i * step + width) for i in range(windows)]


def read_sampled(read: Callable[[int, int], bytes], size: int, budget: int) -> tuple[bytes, bool]:
    """Read the sample ranges with `read(start, end)`; returns (bytes, truncated)."""
    ranges = sample_ranges(size, budget)
    parts = [read(start, end) for start, end in ranges]
    # a newline between windows keeps a cut-off record from fusing with the next window's
    return b"\n".join(parts), len(ranges) > 1
