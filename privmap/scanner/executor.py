"""Where items are scanned: in this process, or in local worker processes (the default for workers > 1).

Both take a `Job` and an iterator of items and give back (item, outcome) pairs as they finish; the
caller alone writes them to the store. The Dask executor (privmap.scanner.cluster) has the same shape.

The local pool forks its workers once, after the detector is built, so each starts with the NLP
models in copy-on-write memory; a worker then builds its own source clients (privmap.work). Each
worker holds at most `DEPTH` items: the one its main thread extracts and detects (CPU bound, within
the item's SIGALRM time limit) and the next, which a reading thread opens meanwhile (I/O bound). The
pool has its own small protocol instead of ProcessPoolExecutor so that a worker that dies (a native
parser crashing, the OOM killer, a signal) or stays stuck in C past the item's time limit (then
killed) costs only the item it was reading: that item is recorded as failed, the items queued behind
it go to other workers, a new worker takes its place and the scan goes on.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain, count
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Protocol, TypeVar

from privmap import work
from privmap.model import Halt, Item, ItemOutcome
from privmap.scanner.problems import describe
from privmap.work import Job

T = TypeVar("T")

DEPTH = 2  # items held per worker: one being read, one opened ahead
KILL_GRACE = 30.0  # seconds past twice item_timeout before a worker still busy with one item is killed
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


class Executor(Protocol):
    def run(self, job: Job, items: Iterable[Item]) -> Iterator[tuple[Item, ItemOutcome]]:
        """(item, outcome) for every item, in any order, as they finish."""
        ...

    def status(self) -> str:
        """A few words on the workers for a progress bar ("2 workers")."""
        ...

    def close(self) -> None: ...


class InProcess:
    """Every item in this process, one after the other (workers: 1)."""

    def run(self, job: Job, items: Iterable[Item]) -> Iterator[tuple[Item, ItemOutcome]]:
        for item in items:
            yield item, work.read_one(job, work.open_one(job, item))

    def status(self) -> str:
        return "1 process"

    def close(self) -> None:
        return None


def ahead(items: Iterable[T], size: int = 8, chunk: int = 256) -> Iterator[T]:
    """`items` produced by a thread, at most `size` x `chunk` ahead of the consumer: listing a bucket
    or a folder (I/O bound) goes on while the items listed so far are carried over and scanned. An
    exception raised while listing is raised here; a consumer that stops early stops the thread."""
    q: queue.Queue[tuple[list[T], BaseException | None, bool]] = queue.Queue(size)
    stop = threading.Event()

    def put(entry: tuple[list[T], BaseException | None, bool]) -> bool:
        while not stop.is_set():
            try:
                q.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        batch: list[T] = []
        try:
            for x in items:
                batch.append(x)
                if len(batch) >= chunk:
                    if not put((batch, None, False)):
                        return
                    batch = []
        except BaseException as exc:  # handed to the consumer, which records the source as failed
            put((batch, exc, True))
            return
        put((batch, None, True))

    thread = threading.Thread(target=produce, name="privmap-listing", daemon=True)
    thread.start()
    try:
        while True:
            batch, error, last = q.get()
            yield from batch
            if error is not None:
                raise error
            if last:
                return
    finally:
        stop.set()
        thread.join(5)


# -- the local pool: worker side ------------------------------------------------------------------


def _die_with_parent(parent: int) -> None:
    """The kernel kills this worker when the scanning process dies, however it dies (SIGKILL by the OOM
    killer, a supervisor's SIGTERM), instead of leaving it holding its models' memory."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the pool's own shutdown is all there is
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _worker(conn: Connection, parent: int) -> None:
    """A worker's life: a thread receives jobs and items and opens each item as it arrives; the main
    thread reads the opened items in order and sends back (seq, outcome, error)."""
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the scanner's to handle; it ends its workers
    jobs: dict[str, Job] = {}
    opened: queue.Queue[tuple[int, Job, work.Opened | None, str | Halt | None] | None] = queue.Queue()

    def receive() -> None:
        try:
            while (message := conn.recv()) is not None:
                if isinstance(message, Job):
                    jobs[message.id] = message
                    continue
                seq, job_id, item = message
                job = jobs[job_id]
                try:
                    opened.put((seq, job, work.open_one(job, item), None))
                except Halt as exc:  # privmap's own environment failed: the scanner stops the run
                    opened.put((seq, job, None, exc))
                except Exception as exc:  # open_item records failures itself; this is privmap's own
                    opened.put((seq, job, None, describe(exc)))
        except (EOFError, OSError):  # the scanner went away
            pass
        opened.put(None)

    threading.Thread(target=receive, name="privmap-reading", daemon=True).start()
    while (task := opened.get()) is not None:
        seq, job, item, error = task
        outcome = None
        if item is not None:
            try:
                outcome = work.read_one(job, item)
            except Halt as exc:
                error = exc
            except Exception as exc:
                error = describe(exc)
        conn.send((seq, outcome, error))


# -- the local pool: scanner side -----------------------------------------------------------------


@dataclass
class _Task:
    seq: int
    item: Item
    tries: int = 0  # times its worker died with it queued (not reading it)


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    held: deque[_Task] = field(default_factory=deque)  # sent, not answered, in the order it reads them
    since: float = 0.0  # when it started reading the first held item (monotonic seconds)
    jobs: set[str] = field(default_factory=set)


class LocalPool:
    """`workers` forked worker processes; see the module's docstring."""

    def __init__(self, workers: int, item_timeout: float) -> None:
        self.size = workers
        self.kill_after = 2 * item_timeout + KILL_GRACE
        self._workers: list[_Worker] = []
        self._seq = count()
        self.lost = 0  # workers that died or were killed

    def _spawn(self) -> _Worker:
        ours, theirs = multiprocessing.Pipe()
        process = multiprocessing.get_context("fork").Process(
            target=_worker, args=(theirs, os.getpid()), name="privmap-worker", daemon=True
        )
        process.start()
        theirs.close()
        return _Worker(process, ours)

    def status(self) -> str:
        lost = f", {self.lost} replaced" if self.lost else ""
        return f"{self.size} workers{lost}"

    def run(self, job: Job, items: Iterable[Item]) -> Iterator[tuple[Item, ItemOutcome]]:
        listed = iter(items)
        try:
            first = next(listed)
        except StopIteration:  # nothing to read (a rescan with nothing changed): no worker is started
            return
        listed = chain([first], listed)
        if not self._workers:
            work.detector(job).preload()  # loaded once, before forking: every worker starts with the models
            self._workers = [self._spawn() for _ in range(self.size)]
        retry: deque[_Task] = deque()
        exhausted = False
        failure: BaseException | None = None  # raised by the listing: raised again once held items are back
        try:
            while True:
                while retry or not exhausted:
                    free = min(self._workers, key=lambda w: len(w.held))
                    if len(free.held) >= DEPTH:
                        break
                    if retry:
                        task = retry.popleft()
                    else:
                        try:
                            task = _Task(next(self._seq), next(listed))
                        except StopIteration:
                            exhausted = True
                            break
                        except Exception as exc:
                            exhausted, failure = True, exc
                            break
                    self._send(free, job, task)
                if not any(w.held for w in self._workers):
                    break
                yield from self._collect(job, retry)
        finally:
            for worker in [w for w in self._workers if w.held]:  # abandoned mid-way: answers nobody awaits
                worker.process.kill()
                worker.process.join()
                worker.conn.close()
                self._workers[self._workers.index(worker)] = self._spawn()
        if failure is not None:
            raise failure

    def _send(self, worker: _Worker, job: Job, task: _Task) -> None:
        if job.id not in worker.jobs:
            worker.conn.send(job)
            worker.jobs.add(job.id)
        if not worker.held:
            worker.since = time.monotonic()
        worker.held.append(task)
        with contextlib.suppress(OSError):  # it died: _collect sees its sentinel and requeues what it held
            worker.conn.send((task.seq, job.id, task.item))

    def _collect(self, job: Job, retry: deque[_Task]) -> Iterator[tuple[Item, ItemOutcome]]:
        """Wait for answers, deaths or an overdue item; hand back what finished."""
        busy = [w for w in self._workers if w.held]
        now = time.monotonic()
        timeout = max(0.0, min(w.since + self.kill_after for w in busy) - now)
        ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout))
        for worker in busy:
            try:
                while worker.held and worker.conn.poll():
                    seq, outcome, error = worker.conn.recv()
                    task = worker.held.popleft()
                    assert task.seq == seq, "a worker answers in the order it was sent items"
                    worker.since = time.monotonic()
                    if isinstance(error, Halt):
                        raise error
                    yield task.item, outcome or work.lost(job, task.item, "unreadable", str(error))
            except (EOFError, OSError):
                pass  # it died: its sentinel says so below
            if worker.process.sentinel in ready or not worker.process.is_alive():
                worker.process.join()
                code = worker.process.exitcode or 0
                how = f"signal {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
                yield from self._replace(worker, job, retry, "crashed", f"the worker process reading it died ({how})")
            elif worker.held and time.monotonic() - worker.since > self.kill_after:
                worker.process.kill()
                worker.process.join()
                yield from self._replace(
                    worker, job, retry, "timeout", f"still being read {self.kill_after:.0f} s after it started; killed"
                )

    def _replace(
        self, worker: _Worker, job: Job, retry: deque[_Task], kind: str, message: str
    ) -> Iterator[tuple[Item, ItemOutcome]]:
        """A worker is gone: the item it was reading is lost (recorded as a problem), the ones queued
        behind it go to other workers (each at most twice: an item that keeps killing workers while
        merely queued is lost too), and a new worker takes its place."""
        self.lost += 1
        worker.conn.close()
        self._workers[self._workers.index(worker)] = self._spawn()
        held = list(worker.held)
        if held:
            yield held[0].item, work.lost(job, held[0].item, kind, message)
        for task in reversed(held[1:]):
            task.tries += 1
            if task.tries > 2:
                yield task.item, work.lost(job, task.item, kind, message)
            else:
                retry.appendleft(task)

    def close(self) -> None:
        """Ask every worker to finish, then kill any that does not within a few seconds."""
        for worker in self._workers:
            with contextlib.suppress(OSError):
                worker.conn.send(None)
        deadline = time.monotonic() + 5
        for worker in self._workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
        self._workers = []
