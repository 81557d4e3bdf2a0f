"""`privmap watch`: uploads to `uploads: true` sources become partial runs within seconds.

Intakes say what is new: local folders by filesystem events (watchdog: inotify, with a polling
observer where events are unavailable), object stores by listing what is newer than a high-water
mark kept in the store (any source with `changes(mark)`: S3 and GCS), or S3 event notifications
through an SQS queue (privmap.sqs). Uploads whose consent did
not hold have their evidence (metadata, tags, sidecars) looked at again each time, so a consent tag
added later clears the alert on the next look. Each batch of new items is one partial run: read,
judged for consent or instructions, alerted on; it never marks other items resolved or gone. A mark
advances only once its batch is recorded, so a watcher killed mid-batch sees the same uploads again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from privmap import alerts, pipeline, uploads
from privmap.alerts.dispatch import ALWAYS
from privmap.checks import Evidence, run_checks
from privmap.config import Config
from privmap.consent import LedgerError
from privmap.model import Halt, Item, Location, StoreFact
from privmap.reports.data import personal_data
from privmap.scanner.problems import describe
from privmap.scanner.sources.base import SourceError
from privmap.store import Run, Store, install_secret

log = logging.getLogger("privmap")
SETTLE = 1.0  # seconds of quiet after a filesystem event, so a file still being written is read whole
# a folder's mark is set this many seconds before its look: file times come from the kernel's coarse
# clock, a tick behind time.time(), and taking a file of the last second again costs a carry-over only
CLOCK_SLACK = 1.0
_SCHEMA = "CREATE TABLE IF NOT EXISTS watermarks (source TEXT PRIMARY KEY, mark TEXT NOT NULL, updated TEXT NOT NULL)"
# upload verdicts that a change of evidence (a consent tag added, a sidecar written) may turn valid
_RECHECK = ("missing", "unknown", "purpose", "withdrawn", "late")
RECHECK_PER_LOOK = 200  # failing uploads whose evidence one look reads again (S3: one GetObjectTagging each)


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
        store.ensure_tables(_SCHEMA)

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
    share) uses watchdog's polling observer, which compares directory snapshots every `interval`.

    Events are lost while no watcher runs, so the folder keeps a mark too: the time of the last
    recorded look. A watcher's first look takes every file changed (mtime or ctime) since it; with no
    mark yet, the present becomes the mark (what is there is the scheduled runs' to judge)."""

    def __init__(
        self, source: Any, marks: Marks, wake: threading.Event, *, poll: bool = False, interval: float = 60
    ) -> None:
        self.name = source.name
        self.source = source
        self.root: Path = source.root
        self.marks = marks
        self.wake = wake
        self._lock = threading.Lock()
        self._paths: set[str] = set()
        self._first = True
        self._next: float | None = None
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
                log.warning(
                    "filesystem events unavailable; polling", extra={"source": self.name, "detail": describe(exc)}
                )
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
        self._next = time.time() - CLOCK_SLACK
        with self._lock:
            paths, self._paths = self._paths, set()
        if self._first:
            self._first = False
            mark = self.marks.get(self.name)
            if mark is None:
                self.commit()
            else:
                paths |= {p for p in self._changed_since(float(mark))}
        items = (self.source.item(Path(p), self.root) for p in sorted(paths))
        return [i for i in items if i is not None]

    def _changed_since(self, mark: float) -> list[str]:
        """Files below the root whose content or inode changed at or after `mark` (Unix seconds)."""
        found = []
        for item in self.source.items():
            path = item.location.uri.removeprefix("file://")
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if max(st.st_mtime, st.st_ctime) >= mark:
                found.append(path)
        return found

    def commit(self) -> None:
        if self._next is not None:
            self.marks.set(self.name, repr(self._next))

    def requeue(self, items: list[Item]) -> None:
        self._next = None
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


class Recheck:
    """Uploads of one source whose last verdict failed for want of valid consent evidence: their
    metadata (S3 user metadata and tags, a sidecar, an xattr) is read again, without their content,
    up to `per_look` of them a look in turn (all of them each look while there are no more); one whose
    evidence changed is handed out to be judged again."""

    def __init__(self, source: Any, store: Store, key: str, per_look: int = RECHECK_PER_LOOK) -> None:
        self.name = source.name
        self.source = source
        self.store = store
        self.key = key
        self.per_look = per_look
        self._after = ""  # the last uri looked at: the next look goes on from there

    def take(self) -> list[Item]:
        failing = {
            uri: v
            for uri, v in uploads.UploadStore(self.store).previous(self.name, sys.maxsize).items()
            if v.status in _RECHECK
        }
        ordered = sorted(failing)
        turn = [u for u in ordered if u > self._after][: self.per_look]
        turn += ordered[: self.per_look - len(turn)] if len(ordered) > len(turn) else []
        self._after = turn[-1] if len(turn) < len(ordered) else ""
        found = []
        for item in _latest_items(self.store, self.name, sorted(set(turn))):
            if not uploads.evidence_may_change(item.metadata, self.key):
                continue
            try:
                now = uploads.evidence_id(item.metadata | self.source.metadata(item), self.key)
            except Exception as exc:  # gone or unreadable: the next scheduled run records it
                log.debug("upload evidence unreadable", extra={"source": self.name, "detail": type(exc).__name__})
                continue
            if now != failing[item.location.uri].consent_id:
                found.append(item)
        return found

    def commit(self) -> None:
        pass  # asked again every look

    def requeue(self, items: list[Item]) -> None:
        pass

    def stop(self) -> None:
        pass


def _latest_items(store: Store, source: str, uris: list[str]) -> list[Item]:
    """The items of `source` at these uris as last seen, with their fingerprints as the source lists
    them (without the settings prefix the pipeline adds)."""
    out = []
    for i in range(0, len(uris), 500):
        chunk = uris[i : i + 500]
        rows = store.db.execute(
            f"""SELECT i.uri, v.store, v.fingerprint, v.size, v.region, v.metadata FROM items i
                JOIN item_versions v ON v.id = i.version_id
                WHERE i.source = ? AND i.uri IN ({",".join("?" * len(chunk))})""",
            (source, *chunk),
        )
        for r in rows:
            fingerprint = r["fingerprint"].partition(":")[2]  # "<settings>:<as listed>"
            metadata = json.loads(r["metadata"] or "{}")  # as last read: S3 user metadata, a sidecar's keys
            out.append(Item(Location(source, r["uri"]), r["store"], fingerprint, r["size"], r["region"], metadata))
    return out


def intake_for(source: Any, marks: Marks, wake: threading.Event, *, poll: bool, interval: float) -> Intake | None:
    """The intake that can watch `source`, or None when its type cannot be watched."""
    options = getattr(source, "options", None)
    if getattr(options, "intake", None) == "sqs":
        from privmap.sqs import SqsIntake

        return SqsIntake(source)
    if hasattr(source, "changes"):
        return ListingIntake(source, marks)
    if hasattr(source, "item") and hasattr(source, "root"):
        return FolderIntake(source, marks, wake, poll=poll, interval=interval)
    return None


def watch_loop(
    intakes: list[Intake],
    record: Callable[[dict[str, list[Item]]], None],
    wake: threading.Event,
    *,
    interval: float,
    max_batches: int | None = None,
    ready: Callable[[], None] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Take from every intake at once and then each `interval` seconds, or `SETTLE` seconds after a
    filesystem event, and hand non-empty batches ({source name: items}) to `record`. A batch `record`
    fails on (the store in use by a long scan, a lost connection) is handed out again next time; a Halt
    is raised, the batch left uncommitted for the next watcher. An intake that cannot be read raises
    SourceError on the first look and is skipped with a warning on later ones.
    `ready` is called after the first look; `stop` ends the loop at its next turn (set `wake` too, to
    end the wait). Returns the number of batches recorded."""
    recorded, first = 0, True
    while (max_batches is None or recorded < max_batches) and not (stop and stop.is_set()):
        if not first and wake.wait(timeout=interval):
            time.sleep(SETTLE)
            wake.clear()
        taken = []
        for intake in intakes:
            try:
                taken.append((intake, intake.take()))
            except SourceError as exc:  # a queue or bucket that cannot be read (after the client's own retries)
                if first:  # at the start it is the setup (a wrong queue, a missing right): said, not retried
                    raise SourceError(exc.kind, f"source {intake.name!r} cannot be watched: {exc}") from None
                log.warning(
                    "source not looked at; tried again next look", extra={"source": intake.name, "detail": str(exc)}
                )
        if first and ready:
            ready()
        first = False
        batch: dict[str, dict[str, Item]] = {}
        for intake, items in taken:
            for item in items:  # an upload both new and re-checked is read once
                batch.setdefault(intake.name, {})[item.location.uri] = item
        if not batch:
            continue
        try:
            record({name: list(items.values()) for name, items in batch.items()})
        except Halt:  # privmap's own environment failed (a model, an unwritable file): the watch stops, uncommitted
            raise
        except Exception as exc:  # a busy store (a long scheduled scan), a lost connection: try again later
            # a library's message may quote what it choked on (a row, a key): described, never echoed
            log.warning("batch not recorded; kept for the next look", extra={"detail": describe(exc)})
            for intake, items in taken:
                intake.requeue(items)
            continue
        for intake, _ in taken:
            intake.commit()
        recorded += 1
    return recorded


class Watcher:
    """The upload watch of one config: an intake (and a re-check of failing consent) per `uploads: true`
    source, each batch recorded as a partial run in the config's store. Use as a context manager."""

    def __init__(self, config: Config, *, poll: bool = False, interval: float = 60) -> None:
        self.config = config
        self.interval = interval
        # one for the watch's lifetime: its workers (or Dask cluster) start with the first upload read, not
        # every batch; built first, as it holds nothing until then, so a failure below leaves nothing behind
        self.executor = pipeline.build_executor(config)
        self.store = Store(config.resolve(config.store.path))
        self.wake = threading.Event()
        self.stopping = threading.Event()  # ends `run` from another thread (set `wake` too)
        self.intakes: list[Intake] = []
        self.sources: dict[str, Any] = {}
        try:
            marks = Marks(self.store)
            for i, spec in enumerate(config.sources):
                if not spec.uploads:
                    continue
                source = pipeline.build_source(config, i)
                intake = intake_for(source, marks, self.wake, poll=poll, interval=interval)
                if intake is None:
                    raise config.error_at(("sources", i, "type"), f"a {spec.type} source cannot be watched yet")
                self.sources[spec.name] = source
                self.intakes.append(intake)
                if uploads.reads_evidence_again(source) and uploads.role_of(config, spec) == "controller":
                    self.intakes.append(Recheck(source, self.store, config.consent.key))
            if not self.sources:
                raise config.error_at(("sources",), "no source has `uploads: true`: nothing to watch")
            self.detector = pipeline.build_detector(config, install_secret(config.state_dir))
            self.detector.preload()  # models load now, not on the first upload: seconds count from upload to alert
            self.alerts = alerts.AlertStore(self.store)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for intake in self.intakes:
            intake.stop()
        self.executor.close()
        self.store.close()

    def run(self, max_batches: int | None = None, ready: Callable[[], None] | None = None) -> int:
        """Watch until stopped (KeyboardInterrupt) or `max_batches` were recorded; returns that count."""
        return watch_loop(
            self.intakes,
            self.record,
            self.wake,
            interval=self.interval,
            max_batches=max_batches,
            ready=ready,
            stop=self.stopping,
        )

    def record(self, batch: dict[str, list[Item]]) -> int:
        """Record one batch as a partial run: read, judge the uploads, alert; returns the run id.
        Waits up to `store.wait` seconds for another run on the store (StoreBusy after that)."""
        config, store = self.config, self.store
        as_of = dt.date.today()
        run = store.begin_run(
            pipeline.config_hash(config),
            pipeline.config_id(config),
            "partial",
            config_json=pipeline.stored_config(config),
            as_of=as_of,
            fresh=True,
            wait=config.store.wait,
        )
        try:
            self._read(run, batch)
        except BaseException:
            store.interrupt_run(run.id)
            raise
        store.finish_run(run.id, "finished", {"watched": {name: len(items) for name, items in batch.items()}})
        findings = personal_data(pipeline.finding_records(store.findings(run.id)))
        evidence = Evidence(
            config, findings, store.facts(run.id), as_of, extra={"uploads": uploads.UploadStore(store).verdicts(run.id)}
        )
        checks = run_checks(evidence, only=ALWAYS)
        store.save_checks(run.id, checks)
        alerts.raise_alerts(config, self.alerts, run.id, checks, findings, partial=True)
        alerts.deliver(config, self.alerts)
        log.info("batch recorded", extra={"run_id": run.id, "items": sum(map(len, batch.values()))})
        return run.id

    def _read(self, run: Run, batch: dict[str, list[Item]]) -> None:
        config, store = self.config, self.store
        ledger = pipeline.ledger_for(config)
        try:
            for spec in config.sources:
                if spec.name not in batch:
                    continue
                source = self.sources[spec.name]
                facts: dict[tuple[str, str], Any] = {}
                pipeline.read_items(
                    config, spec, source, store, run, batch[spec.name], self.detector, facts, self.executor
                )
                for p in source.problems:
                    store.record_problem(run.id, p)
                source.problems.clear()
                store.save_facts(run.id, [StoreFact(spec.name, s, k, v) for (s, k), v in sorted(facts.items())])
                uploads.assess(config, spec, source, store, run.id, ledger, named=True)
        finally:
            if ledger is not None and not isinstance(ledger, LedgerError):
                ledger.close()
