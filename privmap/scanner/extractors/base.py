"""The extractor interface: what an extractor receives (a blob and a Context) and may yield.

An extractor turns one blob into chunks (text for the detectors), tables (sheets, Parquet,
column-shaped data) and nested blobs (archive members, attachments, embedded files), which
the driver in privmap.scanner.extractors sniffs and extracts in turn. Every part reads within
budgets shared by the whole item (time, nested parts, uncompressed bytes), and a failure is
recorded on the part it hit (`Location.part`) while the other parts keep their findings.
"""

from __future__ import annotations

import ctypes
import io
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO, ClassVar, Literal, Protocol

from privmap.config.models import ScanConfig
from privmap.model import Blob, Chunk, Location, Problem, Table
from privmap.scanner.sources.base import RangeFile, read_sampled

Part = Chunk | Blob | Table
# how much of a blob an extractor needs: a sample of a text (`sample`), a seekable file of the
# whole content (`file`: containers with their index at the end), or a forward-only one (`stream`)
Reads = Literal["sample", "file", "stream"]


class Extractor(Protocol):
    """Reads blobs of some media types (chosen by sniffing bytes, never by name).

    `extract` yields parts in order; it may raise (the failure is recorded on the blob's
    location, the parts yielded before it keep their findings) and should raise Stopped
    when a budget stops it. Instances hold no per-item state.
    """

    media_types: ClassVar[frozenset[str]]
    reads: ClassVar[Reads]

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Part]: ...


class Stopped(Exception):
    """Reading a part stopped for a known reason: a budget (`budget`, `too-large`) or protection (`encrypted`)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class ItemTimeout(TimeoutError):
    """The item's scan.item_timeout ran out while an extractor was working."""


@dataclass
class Budget:
    """What one item may still spend, shared by all of its parts. `stopped` ends the whole item."""

    deadline: float  # time.monotonic() after which nothing more is read
    members: int  # nested parts that may still be opened
    bytes: int  # uncompressed bytes nested parts may still produce
    alarm: bool = False  # the item_timeout timer fired
    stopped: bool = False  # the timeout is recorded: every part stops
    working: bool = False  # an extractor is running (the alarm may interrupt it)

    def spend_bytes(self, n: int) -> None:
        self.bytes -= n
        if self.bytes < 0:
            raise Stopped("budget", "archive.max_total_bytes reached: the rest of this part was not read")


@dataclass(frozen=True)
class Context:
    """What an extractor is handed with each blob: the scan's limits, its depth of nesting, the
    item's shared budget and the sink where problems of parts are recorded."""

    scan: ScanConfig
    budget: Budget
    problems: list[Problem] = field(default_factory=list)
    depth: int = 0

    @classmethod
    def for_item(cls, scan: ScanConfig) -> Context:
        limits = scan.archive
        return cls(scan, Budget(time.monotonic() + scan.item_timeout, limits.max_members, limits.max_total_bytes))

    def child(self) -> Context:
        return Context(self.scan, self.budget, self.problems, self.depth + 1)

    def problem(self, location: Location, kind: str, message: str) -> None:
        self.problems.append(Problem(location, kind, message))

    def expired(self) -> bool:
        return self.budget.stopped or self.budget.alarm or time.monotonic() > self.budget.deadline


def part_of(location: Location, name: str) -> Location:
    """The location of a named part inside `location`: parts nest as `outer > inner > page 3`."""
    return location.refine(part=f"{location.part} > {name}" if location.part else name)


def sample(blob: Blob, ctx: Context) -> tuple[bytes, bool]:
    """The bytes a text extractor reads: (data, truncated), within scan.max_bytes_per_object.

    From a source, the head and evenly spaced windows (as for any large text object); from a
    compressed member, its first bytes."""
    limit = ctx.scan.max_bytes_per_object
    if blob.reader is not None and blob.truncated:
        reader, head = blob.reader, blob.data

        def read(start: int, end: int) -> bytes:  # the head was read to sniff: not read twice
            return head[start:end] if end <= len(head) else reader.read(start, end)

        return read_sampled(read, reader.size, limit)
    if blob.stream is not None and blob.truncated:
        with blob.stream() as fh:
            data = fh.read(limit + 1)
        return data[:limit], len(data) > limit
    return blob.data, blob.truncated


def open_file(blob: Blob, ctx: Context, seekable: bool = True) -> BinaryIO:
    """A file of the blob's whole content for a parsing library.

    From a source: a RangeFile (ranged reads within scan.max_container_bytes, nothing held whole).
    From a compressed member: its stream as is when `seekable` is False, else its content in
    memory, at most archive.max_member_bytes. Raises Stopped when the content is too large.
    """
    if blob.reader is not None and blob.truncated:
        return io.BufferedReader(RangeFile(blob.reader, ctx.scan.max_container_bytes))  # type: ignore[arg-type]
    if blob.stream is not None and blob.truncated:
        if not seekable:
            return blob.stream()
        limit = ctx.scan.archive.max_member_bytes
        if blob.size is not None and blob.size > limit:
            raise Stopped("too-large", f"{blob.size} bytes is over archive.max_member_bytes ({limit})")
        with blob.stream() as fh:
            data = fh.read(limit + 1)
        if len(data) > limit:
            raise Stopped("too-large", f"over archive.max_member_bytes ({limit} bytes)")
        return io.BytesIO(data)
    return io.BytesIO(blob.data)


@contextmanager
def time_limit(budget: Budget) -> Iterator[None]:
    """Enforce the item's deadline while extractors run.

    On the main thread of a process (the scanner's, or a forked worker's) a SIGALRM timer
    interrupts an extractor stuck in Python code (a parser looping over millions of objects)
    with ItemTimeout; detection is never interrupted mid-chunk: the driver stops at the next
    part. On other threads (a Dask worker runs tasks in threads) a timer thread raises
    ItemTimeout in the scanning thread instead, by the same rule.
    """
    seconds = budget.deadline - time.monotonic()
    if threading.current_thread() is not threading.main_thread():
        with _thread_limit(budget, seconds):
            yield
        return
    if not hasattr(signal, "setitimer"):
        yield
        return

    def on_alarm(signum: int, frame: object) -> None:
        budget.alarm = True
        if budget.working:
            raise ItemTimeout("item_timeout reached")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _thread_limit(budget: Budget, seconds: float) -> Iterator[None]:
    """time_limit off the main thread: at the deadline, ItemTimeout is raised asynchronously in this
    thread (PyThreadState_SetAsyncExc) while an extractor works; a lock keeps it from landing after
    the item is done. Like the signal, it interrupts Python code, not a call stuck in C."""
    target = threading.get_ident()
    lock = threading.Lock()
    done = threading.Event()

    def fire() -> None:
        if done.wait(max(seconds, 0.001)):
            return
        budget.alarm = True
        while not done.wait(0.05):
            with lock:
                if budget.working and not done.is_set():
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(ItemTimeout))
                    return

    timer = threading.Thread(target=fire, name="privmap-item-timer", daemon=True)
    timer.start()
    try:
        yield
    finally:
        with lock:
            done.set()
        timer.join()
