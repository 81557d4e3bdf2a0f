"""The work of scanning items, as plain data in and outcomes out, for any executor.

A work unit is a `Job` (the configuration as JSON, which source, the install's hashing key) and
item references; never a closure over a detector or a client, so it can cross to a forked worker, a
spawned one or a Dask worker on another machine. What a worker builds from a job (the source's
client, the detector with its hyperscan database and spaCy models) is kept in this importable
module, so it is built once per worker process, not per task: a cache in `__main__` or in a task's
closure would be rebuilt every time (measured 4x slower on Dask).

The detector is shared across a fork (pure CPU state, loaded before workers fork, so they start with
it in copy-on-write memory); source clients are not (a forked copy of a connection pool would share
sockets with its parent), so they are keyed by process id and built again in each process.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from functools import partial

from privmap import plugins
from privmap.config import Config
from privmap.config.models import SourceConfig
from privmap.data import legal
from privmap.detectors.detector import Detector
from privmap.model import Item, ItemOutcome, Problem
from privmap.names import NameGuard
from privmap.scanner.crawl import Detect, Opened, open_item, read_item
from privmap.scanner.sources.base import Source


class Secret:
    """The install's hashing key in transit to workers: pickled as its bytes, never shown by repr or
    str (Dask logs task arguments it cannot run; a traceback prints locals)."""

    __slots__ = ("value",)

    def __init__(self, value: bytes) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__

    def __reduce__(self) -> tuple[type[Secret], tuple[bytes]]:
        return Secret, (self.value,)


@dataclass(frozen=True, repr=False)
class Job:
    """What every item of one source is scanned with. `config` is the validated configuration as
    JSON, credentials included (a remote cluster must be reached over TLS; see the README)."""

    config: str
    source: int  # index into config.sources
    secret: Secret
    key: str = field(default="", compare=False)  # identity of (config, secret): which cache entry serves it

    @classmethod
    def of(cls, config: Config, source: int, secret: bytes) -> Job:
        text = config.model_dump_json()
        key = hashlib.sha256(text.encode() + b"\0" + hashlib.sha256(secret).digest()).hexdigest()[:16]
        return cls(text, source, Secret(secret), key)

    @property
    def id(self) -> str:
        """Tells jobs apart: the configuration's identity and the source."""
        return f"{self.key}:{self.source}"

    def __repr__(self) -> str:
        return f"Job(config={self.key}, source={self.source})"


@dataclass(frozen=True)
class Runtime:
    """One source's worker-side state: its client, its spec, and detection for its region."""

    config: Config
    spec: SourceConfig
    source: Source
    detect: Detect
    guard: NameGuard


_detectors: dict[str, Detector] = {}  # job key -> detector; inherited across a fork on purpose
_runtimes: dict[tuple[int, str, int], Runtime] = {}  # (pid, job key, source) -> runtime; never inherited


def detector(job: Job) -> Detector:
    """The detector of `job`'s configuration, built once per process (or before a fork)."""
    found = _detectors.get(job.key)
    if found is None:
        config = Config.model_validate_json(job.config)
        found = _detectors[job.key] = Detector(config.detection, job.secret.value)
    return found


def built(job: Job) -> bool:
    """Whether this process holds the detector of `job`'s configuration."""
    return job.key in _detectors


def adopt(job: Job, built: Detector) -> None:
    """Use `built` (the scanner's own, already checked against the config) for `job`'s configuration."""
    _detectors[job.key] = built


def runtime(job: Job) -> Runtime:
    """The runtime of `job` in this process, built on first use."""
    key = (os.getpid(), job.key, job.source)
    found = _runtimes.get(key)
    if found is None:
        det = detector(job)
        config = Config.model_validate_json(job.config)
        spec = config.sources[job.source]
        source = plugins.load("source", spec.type)(spec, config)
        detect = partial(det.detect, country=home_country(spec.region, config.organization.country))
        found = _runtimes[key] = Runtime(config, spec, source, detect, NameGuard.of(det))
    return found


def home_country(region: str | None, fallback: str) -> str:
    """The country whose numbering plan reads a phone number written in national format found in a
    store: where the store rests (its region's only country), else the organisation's country."""
    where = legal.place(region) if region else None
    return where.countries[0] if where and len(where.countries) == 1 else fallback


def open_one(job: Job, item: Item) -> Opened:
    """The I/O half of one item (run in a reading thread): its head read, or why not."""
    rt = runtime(job)
    return open_item(rt.source, item, rt.spec, rt.config.scan)


def read_one(job: Job, opened: Opened) -> ItemOutcome:
    """The CPU half of one item (run on a worker's main thread, where the item's time limit holds)."""
    rt = runtime(job)
    return read_item(opened, rt.config.scan, rt.detect, rt.guard)


def scan_batch(job: Job, items: list[Item]) -> list[ItemOutcome]:
    """A Dask work unit: the outcomes of a batch of one source's items, in order."""
    return [read_one(job, open_one(job, item)) for item in items]


def lost(job: Job, item: Item, kind: str, message: str) -> ItemOutcome:
    """The outcome of an item whose worker died holding it: a problem on the item, names pseudonymised
    as any outcome's are (built in the driver, which needs the detector's name reader for that)."""
    return runtime(job).guard.outcome(ItemOutcome(item, problems=[Problem(item.location, kind, message)]))
