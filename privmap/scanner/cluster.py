"""The Dask executor (`scan.executor: dask`): items scanned on a Dask cluster, results written here.

A work unit is `privmap.work.scan_batch(job, batch)`: an importable function, the job (configuration
as JSON, source index, hashing key: a few kilobytes, sent with each unit so that no unit depends on
data held by a worker that may be lost) and a batch of item references. Workers build the source's
client and the detector once, in privmap.work's module-level cache, and send back outcomes; only
the scanner writes the store.

At most `dask.in_flight` units per worker are submitted before waiting (`as_completed`), so the
scanner's memory stays flat however large the estate. A worker lost mid-unit (killed, out of memory)
has its units rescheduled on the others by the scheduler; a unit that still fails (its item kills
every worker that reads it: the scheduler gives up after `distributed.scheduler.allowed-failures`) is
split into single items, so that only the item at fault is recorded as failed.

With no `scan.scheduler`, a LocalCluster of `scan.workers` worker processes (one thread each: the
work is CPU bound) is started for the run (or the upload watch) and closed after it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from itertools import chain, islice
from typing import Any

from privmap import work
from privmap.config.models import ScanConfig
from privmap.model import Halt, Item, ItemOutcome
from privmap.scanner.problems import describe
from privmap.work import Job

log = logging.getLogger("privmap")


class Batch:
    """Item references of one work unit; shown by size only (Dask logs a failed task's arguments, and
    item names can be personal data)."""

    __slots__ = ("items",)

    def __init__(self, items: list[Item]) -> None:
        self.items = items

    def __repr__(self) -> str:
        return f"Batch({len(self.items)} items)"

    def __reduce__(self) -> tuple[type[Batch], tuple[list[Item]]]:
        return Batch, (self.items,)


def scan_batch(job: Job, batch: Batch) -> list[ItemOutcome]:
    """The work unit run on a Dask worker."""
    return work.scan_batch(job, batch.items)


class DaskExecutor:
    def __init__(self, scan: ScanConfig) -> None:
        try:
            import distributed  # noqa: F401  (checked now: a missing extra is an error before any work)
        except ImportError as exc:
            raise RuntimeError("scan.executor: dask needs the `dask` extra (pip install 'privmap[dask]')") from exc
        self.scan = scan
        self.options = scan.dask
        self.cluster: Any = None
        self._client: Any = None
        self.in_flight = 0
        self.lost = 0  # units that failed for good and were split into single items

    @property
    def client(self) -> Any:
        """The cluster's client, connected (or the LocalCluster started) when first needed: a rescan in
        which nothing changed starts nothing."""
        if self._client is None:
            from distributed import Client, LocalCluster
            from distributed.security import Security

            scan = self.scan
            security = None
            if scan.dask.tls is not None:
                tls = scan.dask.tls
                security = Security(
                    tls_ca_file=tls.ca_file, tls_client_cert=tls.cert, tls_client_key=tls.key, require_encryption=True
                )
            if scan.scheduler:
                self._client = Client(scan.scheduler, security=security, timeout=30)
            else:
                self.cluster = LocalCluster(
                    n_workers=scan.workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                )
                self._client = Client(self.cluster)
        return self._client

    def status(self) -> str:
        workers = len(self.client.scheduler_info().get("workers", {}))
        where = self.scan.scheduler or "local cluster"
        return f"dask {where}: {workers} workers, {self.in_flight} units in flight"

    def run(self, job: Job, items: Iterable[Item]) -> Iterator[tuple[Item, ItemOutcome]]:
        from distributed import as_completed

        listed = iter(items)
        try:
            first = next(listed)
        except StopIteration:
            return
        listed = chain([first], listed)
        workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        limit = self.options.in_flight * workers
        batches: dict[Any, list[Item]] = {}
        done = as_completed()
        try:
            while batch := list(islice(listed, self.options.batch)):
                done.add(self._submit(job, batch, batches))
                while len(batches) >= limit:
                    yield from self._take(next(done), batches, job)
            for future in done:
                yield from self._take(future, batches, job)
        finally:
            for future in batches:
                future.cancel()
            self.in_flight = 0

    def _take(self, future: Any, batches: dict[Any, list[Item]], job: Job) -> Iterator[tuple[Item, ItemOutcome]]:
        batch = batches.pop(future)
        self.in_flight = len(batches)
        try:
            outcomes = future.result()
        except Halt:  # privmap's own environment failed on a worker (a model that cannot load): the run stops
            raise
        except Exception as exc:  # the unit failed for good (KilledWorker, or privmap's own error)
            self.lost += 1
            if len(batch) == 1:
                log.warning("work unit failed", extra={"detail": describe(exc)})
                yield (
                    batch[0],
                    work.lost(job, batch[0], "crashed", f"the Dask workers reading it failed ({describe(exc)})"),
                )
                return
            singles = [self._submit(job, [item], batches) for item in batch]  # only the item at fault is lost
            for single in singles:
                yield from self._take(single, batches, job)
            return
        yield from zip(batch, outcomes, strict=True)

    def _submit(self, job: Any, batch: list[Item], batches: dict[Any, list[Item]]) -> Any:
        future = self.client.submit(scan_batch, job, Batch(batch), pure=False)
        batches[future] = batch
        self.in_flight = len(batches)
        return future

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self.cluster is not None:
            self.cluster.close()
