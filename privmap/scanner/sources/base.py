"""What every source provides, and the sampling read shared by byte-addressable sources."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

from privmap.config.models import Config, SourceConfig
from privmap.model import Blob, Item, Location, Problem, StoreFact, Table


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
