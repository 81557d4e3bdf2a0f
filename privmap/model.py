"""Value types shared by every subpackage (standard library only).

Locations travel with the data: a source yields an `Item`, opening it gives a `Blob`
(bytes) or a `Table` (sampled rows), extractors refine both into `Chunk`s, and
detectors turn chunks into `Finding`s. Nothing here holds raw personal data once
detection is done: findings carry masked previews and keyed hashes only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, BinaryIO, Literal, Protocol

Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITIES: tuple[Severity, ...] = ("info", "low", "medium", "high", "critical")
ORGANIZATION = "organization"  # the organisation's node in the data map (privmap.graph)


class Halt(Exception):
    """A failure of privmap's own environment, not of what it reads: its store or outputs cannot be written,
    a model cannot be loaded. No item or source is to blame, so none records it: the run stops, resumable,
    and the command exits 2 with the message."""


@dataclass(frozen=True, slots=True)
class Location:
    """Where a piece of data lives; refined (archive member, column) but never mutated."""

    source: str  # configured source name
    uri: str  # file:///..., postgres://host:5432/db#schema.table, s3://bucket/key
    part: str = ""  # archive member, page, sheet
    field: str = ""  # column, JSON key path, EXIF tag

    def refine(self, *, part: str | None = None, field: str | None = None) -> Location:
        return replace(
            self,
            part=self.part if part is None else part,
            field=self.field if field is None else field,
        )


@dataclass(frozen=True, slots=True)
class Item:
    """One listed unit of a source: a file, an object, a table."""

    location: Location
    store: str  # the container the item belongs to: a folder, a database, a bucket
    fingerprint: str  # changes whenever the content may have changed
    size: int | None = None  # bytes, when known before opening
    region: str | None = None  # where the item rests, when the source knows better than the config
    metadata: dict[str, str] = field(default_factory=dict)  # evidence: uploader, consent id, tags


class RangeReader(Protocol):
    """Random access to the bytes of one stored object: the read seam of byte-addressable sources.

    Local files implement it with `seek`, S3 with ranged GETs (`Range: bytes=start-end-1`), GCS
    with ranged downloads. Extractors reach it through `Blob.reader`, so a PDF or a ZIP, whose
    index sits at the end, is parsed without holding the whole object in memory.
    """

    size: int  # bytes in the object
    metadata: dict[str, str]  # evidence learned by reading (object metadata, tags); may fill on first read
    bytes_read: int  # bytes fetched so far, for the outcome's bytes_read and the container budget

    def read(self, start: int, end: int) -> bytes:
        """Bytes [start, end) (`end` clipped to `size`). Raises OSError or SourceError on failure."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Blob:
    """Bytes of an item or of a part of one (archive member, attachment, embedded file).

    `data` is the whole content, or a prefix or sample of it when `truncated`. A blob opened
    from a source carries only the first bytes (enough to sniff its type) plus `reader`, random
    access to the rest; a member of a compressed archive carries `stream`, which opens a
    forward-only file of its whole content. Extractors read beyond `data` through
    privmap.scanner.extractors.base (within the scan's budgets), never directly.
    """

    location: Location
    data: bytes
    truncated: bool = False
    metadata: dict[str, str] = field(default_factory=dict)  # evidence learned by reading: object metadata, tags
    size: int | None = None  # bytes of the whole content, when known
    reader: RangeReader | None = field(default=None, compare=False, repr=False)
    stream: Callable[[], BinaryIO] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Table:
    """Sampled rows of a table; `columns` names each value position in `rows`."""

    location: Location
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    total_rows: int | None = None
    comments: Mapping[str, str] = field(default_factory=dict)  # column -> the schema's comment: context words


@dataclass(frozen=True, slots=True)
class Chunk:
    """Text handed to detectors.

    `kind` is "prose" for free text and "values" for the sampled values of one column or
    key path, one value per line; `context` carries words that describe the values
    (a column name, a JSON key) and raise or lower confidence.
    """

    location: Location
    text: str
    kind: Literal["prose", "values"] = "prose"
    context: tuple[str, ...] = ()
    # for "values" chunks of tables and records: the row (or record) each line came from, so that
    # values found in one row can be linked (privmap locate) without keeping the row
    rows: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    """Personal data of one entity type at one location, aggregated over its occurrences."""

    entity: str  # Presidio vocabulary: EMAIL_ADDRESS, CREDIT_CARD, IBAN_CODE, PERSON ...
    category: str  # fideslang data category, e.g. user.contact.email
    location: Location
    score: float  # highest confidence among the occurrences
    count: int  # occurrences
    preview: str  # masked, e.g. j***@e***.com; never the raw value
    value_key: str  # HMAC-SHA256 of the normalised first value, keyed per install
    distinct: int = 1  # distinct values among the occurrences
    why: str = ""  # what backed the best occurrence: pattern, checksum, context word, column name, NER
    test_data: bool = False  # only documentation values (test cards, example.com): not a person's
    # (keyed hash, row or -1) of every identifier value found here (privmap.identifiers): the
    # occurrence index `privmap locate` reads; empty for entities that identify no one on their own
    occurrences: tuple[tuple[bytes, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Problem:
    """Something that stopped part of a scan; recorded on its item, never fatal to the run."""

    location: Location
    kind: str  # unreadable, corrupt, denied, too-large, unsupported, timeout ...
    message: str


@dataclass(frozen=True, slots=True)
class StoreFact:
    """Posture evidence about a store: region, exposure, encryption, replication, grants."""

    source: str
    store: str
    key: str  # region, public, encryption, versioning, logging, replication, grant ...
    value: Any  # JSON-serialisable


@dataclass(slots=True)
class ItemOutcome:
    """Everything one item produced; the scanner persists it in one transaction."""

    item: Item
    findings: list[Finding] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    bytes_read: int = 0
    skipped: str | None = None  # reason the content was not inspected (excluded, unsupported ...)
    sampled: bool = False  # only a sample of a table's rows was read (its occurrence index is partial)
