"""`privmap watch`: uploads to `uploads: true` sources become partial runs within seconds.

Intakes say what is new: local folders by filesystem events (watchdog: inotify, with a polling
observer where events are unavailable), object stores by listing what is newer than a high-water
mark kept in the store (any source with `changes(mark)`: S3 today, GCS when its source answers the
same call). Each batch of new items is one partial run: read, judged for consent or instructions,
alerted on; it never marks other items resolved or gone. A mark advances only once its batch is
recorded, so a watcher killed mid-batch sees the same uploads again.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from privmap.model import Item
from privmap.store import Store

log = logging.getLogger("privmap")
SETTLE = 1.0  # seconds of quiet after a filesystem event, so a file still being written is read whole
_SCHEMA = "CREATE TABLE IF NOT EXISTS watermarks (source TEXT PRIMARY KEY, mark TEXT NOT NULL, updated TEXT NOT NULL)"


class Intake(Protocol):
    name: str  # the source's name

    def take(self) -> list[Item]:
        """Items new or changed since the last take (not yet committed)."""
        ...

    def commit(self) -> None:
        """The last take was recorded in a run: do not hand it out again."""
        ...

    def requeue(self, items: list[Item]) -> None:
        """The last take could not be recorded: hand it out again next time."""
        ...

    def stop(self) -> None: ...


class Marks:
    """High-water marks per source, in the run store (a table of their own, not per run)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        with store.transaction() as db:
            db.execute(_SCHEMA)

    def get(self, source: str) -> str | None:
        row = self.store.db.execute("SELECT mark FROM watermarks WHERE source = ?", (source,)).fetchone()
        return row[0] if row else None

    def set(self, source: str, mark: str) -> None:
        with self.store.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO watermarks VALUES (?, ?, ?)",
                (source, mark, dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
            )


class FolderIntake:
    """Filesystem events below a local source's folder. A sidecar's event stands for its file (its
    consent evidence changed). `poll` (or an inotify failure, e.g. the watch limit or a network
    share) uses watchdog's polling observer, which compares directory snapshots every `interval`."""

    def __init__(self, source: Any, wake: threading.Event, *, poll: bool = False, interval: float = 60) -> None:
        self.name = source.name
        self.source = source
        self.root: Path = source.root
        self.wake = wake
        self._lock = threading.Lock()
        self._paths: set[str] = set()
        handler = FileSystemEventHandler()
        handler.on_any_event = self._event  # type: ignore[method-assign]
        self.observer = self._start(handler, poll, interval)

    def _start(self, handler: FileSystemEventHandler, poll: bool, interval: float) -> Any:
        if not self.root.is_dir():
            raise FileNotFoundError(f"folder {self.root} does not exist or is not a folder")
        if not poll:
            try:
                observer = Observer()
                observer.schedule(handler, str(self.root), recursive=True)
                observer.start()
                return observer
            except OSError as exc:
                log.warning("filesystem events unavailable; polling", extra={"source": self.name, "detail": str(exc)})
        observer = PollingObserver(timeout=interval)
        observer.schedule(handler, str(self.root), recursive=True)
        observer.start()
        return observer

    def _event(self, event: FileSystemEvent) -> None:
        if event.is_directory or event.event_type in ("deleted", "opened", "closed_no_write"):
            return
        path = str(getattr(event, "dest_path", "") or event.src_path)
        sidecar = self.source.options.sidecar
        if sidecar and path.endswith(sidecar):
            path = path.removesuffix(sidecar)
        with self._lock:
            self._paths.add(path)
        self.wake.set()

    def take(self) -> list[Item]:
        with self._lock:
            paths, self._paths = self._paths, set()
        items = (self.source.item(Path(p), self.root) for p in sorted(paths))
        return [i for i in items if i is not None]

    def commit(self) -> None:
        pass  # events are gone once taken

    def requeue(self, items: list[Item]) -> None:
        with self._lock:
            self._paths.update(str(Path(i.location.uri.removeprefix("file://"))) for i in items)

    def stop(self) -> None:
        self.observer.stop()
        self.observer.join(timeout=10)


class ListingIntake:
    """A source that answers `changes(mark) -> (items, mark)`: listed every interval. With no mark
    stored yet, the first look takes the present as the mark (what is there now is the scheduled
    runs' to judge) and reports nothing."""

    def __init__(self, source: Any, marks: Marks) -> None:
        self.name = source.name
        self.source = source
        self.marks = marks
        self._next: str | None = None

    def take(self) -> list[Item]:
        previous = self.marks.get(self.name)
        items, self._next = self.source.changes(previous)
        if previous is None:
            self.commit()
        return list(items)

    def commit(self) -> None:
        if self._next is not None:
            self.marks.set(self.name, self._next)

    def requeue(self, items: list[Item]) -> None:
        self._next = None  # the mark stays: the next listing finds the same items

    def stop(self) -> None:
        pass


def intake_for(source: Any, marks: Marks, wake: threading.Event, *, poll: bool, interval: float) -> Intake | None:
    """The intake that can watch `source`, or None when its type cannot be watched."""
    if hasattr(source, "changes"):
        return ListingIntake(source, marks)
    if hasattr(source, "item") and hasattr(source, "root"):
        return FolderIntake(source, wake, poll=poll, interval=interval)
    return None


def watch_loop(
    intakes: list[Intake],
    record: Callable[[dict[str, list[Item]]], None],
    wake: threading.Event,
    *,
    interval: float,
    max_batches: int | None = None,
) -> int:
    """Take from every intake each `interval` seconds, or `SETTLE` seconds after a filesystem event,
    and hand non-empty batches to `record`. A batch `record` fails on (the store in use by a long scan,
    a lost connection) is handed out again next time. Returns the number of batches recorded."""
    recorded = 0
    while max_batches is None or recorded < max_batches:
        if wake.wait(timeout=interval):
            time.sleep(SETTLE)
            wake.clear()
        taken = {intake.name: intake.take() for intake in intakes}
        batch = {name: items for name, items in taken.items() if items}
        if not batch:
            continue
        try:
            record(batch)
        except Exception as exc:  # a busy store (a long scheduled scan), a lost connection: try again later
            log.warning("batch not recorded; kept for the next look", extra={"detail": f"{type(exc).__name__}: {exc}"})
            for intake in intakes:
                intake.requeue(taken[intake.name])
            continue
        for intake in intakes:
            intake.commit()
        recorded += 1
    return recorded
