"""The local executor: same outcomes as one process; a worker that dies or hangs costs only its item; a Halt
in a worker stops the run; the upload watcher keeps one pool for its lifetime."""

from __future__ import annotations

import os
import signal
import time

import pytest

from privmap import plugins, work
from privmap.detectors.engine import ModelMissing
from privmap.model import Chunk
from privmap.pipeline import build_source
from privmap.scanner import executor, extractors
from privmap.scanner.executor import InProcess, LocalPool, ahead
from privmap.scanner.extractors.text import TextExtractor
from privmap.work import Job


class Crashing(TextExtractor):
    """Text, except that a file saying CRASH kills the process reading it, as a native parser's crash does."""

    def extract(self, blob, ctx):
        if b"CRASH" in blob.data:
            os.kill(os.getpid(), signal.SIGKILL)
        if b"LOOP" in blob.data:  # stuck in Python: the item's time limit interrupts it
            yield Chunk(blob.location, "first part: write to loop@mailbox.ie", "prose")
            while True:
                pass
        if b"HANG" in blob.data:  # stuck in C: no Python signal handler (the item's SIGALRM) ever runs
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
            time.sleep(600)
        yield from super().extract(blob, ctx)


@pytest.fixture
def estate(tmp_path, local_config, detector):
    """Twelve text files with an e-mail address each; the config's job, sharing the session's detector."""
    for i in range(12):
        (tmp_path / "data" / f"note-{i:02}.txt").write_text(f"Ticket {i}: write to client{i}@mailbox.ie\n")

    def make(extra: str = "") -> tuple[Job, list]:
        config = local_config(extra)
        job = Job.of(config, 0, detector.secret)
        work.adopt(job, detector)
        return job, list(build_source(config, 0).items())

    return make


@pytest.fixture
def crashing(monkeypatch):
    monkeypatch.setitem(plugins.BUILTINS["extractor"], "text", (f"{__name__}:Crashing", None))
    extractors.extractor_for.cache_clear()  # forked workers inherit the patched registry
    yield
    extractors.extractor_for.cache_clear()


def _summary(results) -> dict[str, tuple]:
    return {
        item.metadata["path"]: (
            sorted((f.entity, f.preview, f.value_key) for f in outcome.findings),
            [(p.kind, p.message) for p in outcome.problems],
        )
        for item, outcome in results
    }


def test_worker_processes_find_what_one_process_finds(estate):
    job, items = estate("scan: {workers: 2}\n")
    pool = LocalPool(2, item_timeout=30)
    try:
        parallel = _summary(pool.run(job, items))
    finally:
        pool.close()
    assert parallel == _summary(InProcess().run(job, items))
    assert len(parallel) == 12 and all(findings and not problems for findings, problems in parallel.values())


def test_one_pool_scans_each_source_with_its_own_job(tmp_path, write_config, detector):
    from privmap.config import load_config

    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / f"{name}.txt").write_text(f"Write to {name}.person@mailbox.ie\n")
    config = load_config(
        write_config(
            """
            - {name: a, type: local, region: eu-west-1, role: controller, options: {path: a}}
            - {name: b, type: local, region: eu-west-1, role: controller, options: {path: b}}
            """,
            "scan: {workers: 2}\n",
        )
    )
    pool = LocalPool(2, item_timeout=30)
    try:
        for index in (0, 1):
            job = Job.of(config, index, detector.secret)
            work.adopt(job, detector)
            [(_, outcome)] = list(pool.run(job, build_source(config, index).items()))
            assert outcome.problems == [] and outcome.skipped is None
            assert [f.preview for f in outcome.findings] == [f"{'ab'[index]}***@m***.ie"]
    finally:
        pool.close()


@pytest.mark.parametrize(
    ("marker", "item_timeout", "problem"),
    [
        ("CRASH", 30, ("crashed", "the worker process reading it died (signal SIGKILL)")),
        # killed 2 x item_timeout + KILL_GRACE seconds after it started
        ("HANG", 0.5, ("timeout", "still being read 2 s after it started; killed")),
    ],
    ids=["killed-by-a-signal", "stuck-past-the-item-timeout"],
)
def test_a_worker_that_dies_or_is_stuck_loses_only_its_item_and_is_replaced(
    estate, crashing, tmp_path, monkeypatch, marker, item_timeout, problem
):
    monkeypatch.setattr(executor, "KILL_GRACE", 1.0)
    (tmp_path / "data" / "note-05.txt").write_text(f"{marker} client5@mailbox.ie\n")
    job, items = estate(f"scan: {{workers: 2, item_timeout: {item_timeout}}}\n")
    pool = LocalPool(2, item_timeout=item_timeout)
    try:
        outcomes = _summary(pool.run(job, items))
    finally:
        pool.close()
    assert sorted(outcomes) == [f"note-{i:02}.txt" for i in range(12)]  # every item came back once
    assert outcomes.pop("note-05.txt") == ([], [problem])
    assert all(findings and not problems for findings, problems in outcomes.values())
    assert pool.lost == 1 and pool.status() == "2 workers, 1 replaced"


@pytest.fixture(params=["detection", "extraction"])
def halting(request, monkeypatch):
    """Detection of a text saying HALT, or extraction of a file saying it, fails as a model that cannot be
    loaded does (forked workers inherit the patch). An extractor's own failures are recorded on the item;
    a Halt is not one of them."""
    from privmap.detectors.detector import Detector
    from privmap.scanner import extractors

    def missing():
        raise ModelMissing("spaCy model 'xx_halt_sm' is not installed")

    if request.param == "detection":
        detect = Detector.detect

        def halt_detect(self, chunks, country=None):
            chunks = list(chunks)
            if any("HALT" in c.text for c in chunks):
                missing()
            return detect(self, chunks, country)

        monkeypatch.setattr(Detector, "detect", halt_detect)
        return
    extractor_for = extractors.extractor_for

    class Halting:
        def __init__(self, extractor):
            self.extractor = extractor

        def extract(self, blob, ctx):
            if b"HALT" in blob.data:
                missing()
            yield from self.extractor.extract(blob, ctx)

    monkeypatch.setattr(extractors, "extractor_for", lambda media_type: Halting(extractor_for(media_type)))


@pytest.mark.parametrize("workers", [1, 2])
def test_a_halt_while_an_item_is_read_stops_the_run_resumable_and_is_not_the_item_s_failure(
    estate, halting, local_config, tmp_path, workers
):
    import multiprocessing

    from privmap import pipeline
    from privmap.store import Store

    (tmp_path / "data" / "note-05.txt").write_text("HALT client5@mailbox.ie\n")
    config = local_config(f"scan: {{workers: {workers}}}\n")
    before = set(multiprocessing.active_children())
    with pytest.raises(ModelMissing, match=r"^spaCy model 'xx_halt_sm' is not installed$"):
        pipeline.run(config, tmp_path / "out")
    assert set(multiprocessing.active_children()) <= before  # no worker left behind
    store = Store(config.resolve(config.store.path))
    try:
        [run] = store.runs()
        assert (run["status"], run["lease_until"]) == ("interrupted", 0)  # resumable by the next run, at once
        assert store.problems(run["id"]) == []
        read = {r["uri"].rpartition("/")[2]: r["state"] for r in store.items(run["id"])}
        assert "note-05.txt" not in read and "failed" not in read.values()
    finally:
        store.close()


def test_the_upload_watcher_reads_every_batch_with_the_same_workers_and_ends_them_when_it_stops(
    tmp_path, write_config, monkeypatch
):
    from privmap.config import load_config
    from privmap.watch import Watcher

    (tmp_path / "up").mkdir()
    config = load_config(
        write_config(
            "- {name: up, type: local, region: eu-west-1, role: processor, uploads: true, options: {path: up}}",
            "scan: {workers: 2}\n",
        )
    )
    readers = tmp_path / "readers"
    read_one = work.read_one

    def noting_the_reader(job, opened):  # forked workers inherit it: each item names the process that read it
        with readers.open("a") as fh:
            fh.write(f"{os.getpid()}\n")
        return read_one(job, opened)

    monkeypatch.setattr(work, "read_one", noting_the_reader)
    batches = []
    with Watcher(config) as watcher:
        source = watcher.sources["up"]
        for batch in range(2):
            paths = [tmp_path / "up" / f"b{batch}-{i}.txt" for i in range(4)]
            for path in paths:
                path.write_text(f"Write to client{batch}.{path.stem}@mailbox.ie\n")
            watcher.record({"up": [source.item(path, source.root) for path in paths]})
            batches.append({int(pid) for pid in readers.read_text().split()})
            readers.unlink()
    assert batches[0] == batches[1] and len(batches[0]) == 2 and os.getpid() not in batches[0]
    for pid in batches[0]:  # the watcher's workers ended with it
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_listing_runs_ahead_in_a_thread_and_its_failure_reaches_the_consumer():
    assert list(ahead(iter(range(1000)), size=2, chunk=7)) == list(range(1000))

    def listing():
        yield from range(10)
        raise ConnectionResetError("listing broke")

    got = []
    with pytest.raises(ConnectionResetError):
        for n in ahead(listing(), chunk=3):
            got.append(n)
    assert got == list(range(10))  # what was listed before the failure is still scanned


def test_where_items_are_scanned_is_not_part_of_their_fingerprints(local_config):
    from privmap.pipeline import settings_hash

    one = local_config("scan: {workers: 1}\n")
    cluster = local_config("scan: {workers: 8, executor: dask, scheduler: 'tcp://10.1.2.3:8786', dask: {batch: 5}}\n")
    assert settings_hash(one, one.sources[0]) == settings_hash(cluster, cluster.sources[0])
    budget = local_config("scan: {workers: 1, item_timeout: 5}\n")
    assert settings_hash(one, one.sources[0]) != settings_hash(budget, budget.sources[0])


@pytest.mark.parametrize(
    ("scan", "message"),
    [
        ("{scheduler: 'tcp://host:8786'}", "`scheduler` is used only with `executor: dask`"),
        ("{executor: dask, scheduler: 'http://host'}", "expected a scheduler address"),
        ("{executor: ray}", "Input should be 'local' or 'dask'"),
        ("{executor: dask, dask: {batches: 3}}", "scan.dask.batches: unknown key"),
    ],
)
def test_executor_settings_are_checked(local_config, scan, message):
    from privmap.config import ConfigError

    with pytest.raises(ConfigError, match=message):
        local_config(f"scan: {scan}\n")


def test_the_item_timeout_holds_in_threads_as_on_dask_workers(estate, crashing, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    (tmp_path / "data" / "note-07.txt").write_text("LOOP\n")
    job, items = estate("scan: {item_timeout: 1}\n")
    [item] = [i for i in items if i.metadata["path"] == "note-07.txt"]
    with ThreadPoolExecutor(1) as thread:  # Dask runs a unit in a worker thread, where SIGALRM is not available
        outcome = thread.submit(lambda: work.read_one(job, work.open_one(job, item))).result(timeout=300)
    assert [p.kind for p in outcome.problems] == ["timeout"]
    assert [f.entity for f in outcome.findings] == ["EMAIL_ADDRESS"]  # the part read before it is kept
