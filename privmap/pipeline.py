"""run(config) -> RunResult: the one place that knows the whole flow.

config -> sources list items -> unchanged ones carried over -> the rest opened, extracted,
detected -> store (one transaction per item) -> graph -> checks -> reports.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import logging
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from functools import cache
from itertools import islice
from operator import itemgetter
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import orjson
from pydantic import ValidationError

from privmap import __version__, alerts, coverage, graph, logs, plugins, uploads, work
from privmap.checks import Evidence, run_checks
from privmap.config import Config, ConfigError
from privmap.config.models import SourceConfig
from privmap.consent import Ledger, LedgerError, open_ledger
from privmap.data import category_of
from privmap.detectors.detector import Detector
from privmap.files import check_writable
from privmap.model import SEVERITIES, Halt, Item, ItemOutcome, Location, Problem, StoreFact
from privmap.names import NameGuard
from privmap.reports import ReportData, write_reports
from privmap.reports.data import personal_data
from privmap.scanner.crawl import describe, problem_kind
from privmap.scanner.executor import Executor, InProcess, LocalPool, ahead
from privmap.scanner.sources.base import Source
from privmap.store import BATCH, Run, Store, install_secret
from privmap.work import Job

log = logging.getLogger("privmap")


class Progress(Protocol):
    """Told of every listed item: its outcome, or None when it was carried over unchanged, and a few
    words on the executor's workers."""

    def __call__(self, item: Item, outcome: ItemOutcome | None, status: str = "") -> None: ...


@dataclass(frozen=True)
class RunResult:
    run_id: int
    report: ReportData
    outputs: list[Path]
    run_errors: int  # sources that could not be listed or opened at all

    def exit_code(self, fail_on: str | None) -> int:
        """2 when a source could not be listed or opened at all; else 1 when a check at or above
        `fail_on` failed (None or "none": never); else 0."""
        if self.run_errors or coverage.not_listed(self.report.coverage):
            return 2
        if fail_on and fail_on != "none" and self.report.failed(fail_on):
            return 1
        return 0


def config_hash(config: Config) -> str:
    """The exact configuration: an interrupted run is resumed only by the same one."""
    return hashlib.sha256(config.model_dump_json().encode()).hexdigest()[:16]


def config_id(config: Config) -> str:
    """The configuration's identity: the names and types of its sources (what it scans, not how).
    Runs compare ("new", "resolved", "fixed") only with earlier runs of the same identity, so
    configurations sharing one store never mix; editing options, detection or the inventory keeps it."""
    names = sorted(f"{s.name}\t{s.type}" for s in config.sources)
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]


@cache
def extractors_id() -> str:
    """What decides how items are read: the media types extractors read, which extractors load here
    (an optional library may be missing), their code, and the versions of the libraries their modules
    import (the package version alone never changes between commits). Every extractor is loaded
    first, so the answer never depends on which items an earlier source happened to read."""
    from importlib import metadata

    from privmap.scanner import extractors

    available = []
    for name in plugins.names("extractor"):
        with suppress(plugins.PluginUnavailable):
            plugins.load("extractor", name)
            available.append(name)
    registered = [f"{t}={n}" for t, n in sorted(extractors.MEDIA_TYPES.items())]
    digest = hashlib.sha256(",".join([*registered, "|", *available]).encode())
    package = Path(extractors.__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.read_bytes())
    libraries = {
        (getattr(v, "__name__", "") if isinstance(v, ModuleType) else getattr(v, "__module__", "") or "").split(".")[0]
        for module in list(sys.modules.values())
        if getattr(module, "__name__", "").startswith(extractors.__name__)
        for v in vars(module).values()
    }
    distributions = metadata.packages_distributions()
    for name in sorted(libraries - {"", "privmap", "builtins"}):
        for dist in sorted(distributions.get(name, [])):
            digest.update(f"{dist}={metadata.version(dist)}".encode())
    return digest.hexdigest()[:12]


def settings_hash(config: Config, spec: SourceConfig) -> str:
    """What decides the outcome of unchanged content: the privmap version, the scan and detection
    settings, the source's own include/exclude globs and the extractors. Part of every stored
    fingerprint, so changing any of them makes the next run look at the source's items again,
    skipped ones included."""
    settings = "|".join(
        (
            __version__,
            config.scan.outcome_settings(),
            config.detection.model_dump_json(),
            json.dumps([spec.include, spec.exclude]),
            extractors_id(),
        )
    )
    return hashlib.sha256(settings.encode()).hexdigest()[:12]


def build_source(config: Config, index: int) -> Source:
    """Instantiate source `index`, turning option errors into file/line config errors."""
    spec = config.sources[index]
    try:
        cls = plugins.load("source", spec.type)
    except plugins.PluginUnavailable as exc:
        raise config.error_at(("sources", index, "type"), str(exc)) from None
    if getattr(cls, "needs_region", False) and not spec.region:
        raise config.error_at(("sources", index), f"a {spec.type} source needs `region` (where the data lives)")
    try:
        return cls(spec, config)  # type: ignore[no-any-return]
    except ValidationError as exc:
        raise config.options_error(("sources", index, "options"), exc) from None


def build_detector(config: Config, secret: bytes) -> Detector:
    """The detector for `config`; a recognizer that cannot be loaded is named at its line of the file."""
    try:
        return Detector(config.detection, secret)
    except ConfigError as exc:
        raise ConfigError([config.error_at(i.loc, i.message).issues[0] for i in exc.issues]) from None


def scan(config: Config, sources: list[Source], store: Store, run: Run, progress: Progress | None = None) -> int:
    """Crawl every source (`sources`: built by build_source, one per config.sources entry) into `run`;
    returns the number of sources that failed outright.

    A `full` run reads every item, changed or not; others read only new, changed and failed ones.
    Listing runs ahead in a thread where it waits on a network; the executor scans items (in this process, local
    worker processes or a Dask cluster); this thread alone writes the store."""
    secret = install_secret(config.state_dir)
    log.info("run started", extra={"run_id": run.id, "resumed": run.resumed, "kind": run.kind})
    errors = 0
    ledger = ledger_for(config)
    executor = build_executor(config)
    try:
        for index, (spec, source) in enumerate(zip(config.sources, sources, strict=True)):
            facts: dict[tuple[str, str], Any] = {}
            try:
                for fact in source.posture():
                    facts[(fact.store, fact.key)] = fact.value
                job = Job.of(config, index, secret)
                _read(config, job, source, store, run, source.items(), facts, executor, progress)
            except (ConfigError, Halt):  # a recognizer that cannot load, a full disk: the run stops
                raise
            except Exception as exc:  # the source itself failed: recorded, and the next source goes on
                errors += 1
                log.error("source failed", extra={"source": spec.name, "detail": describe(exc)})
                store.record_problem(run.id, Problem(Location(spec.name, spec.name), problem_kind(exc), describe(exc)))
            for p in source.problems:  # coverage gaps: a bucket that could not be listed, a denied setting
                log.warning("coverage gap", extra={"source": spec.name, "kind": p.kind, "detail": p.message})
                store.record_problem(run.id, p)
            source.problems.clear()
            # a source's declared region stands for its stores; a discovered one overrides it
            store.save_facts(run.id, [StoreFact(spec.name, s, k, v) for (s, k), v in sorted(facts.items())])
            store.save_facts(run.id, [StoreFact(spec.name, spec.name, "region", spec.region)] if spec.region else [])
            if spec.uploads:
                uploads.assess(config, spec, source, store, run.id, ledger)
    finally:
        executor.close()
    if ledger is not None and not isinstance(ledger, LedgerError):
        ledger.close()
    return errors


def build_executor(config: Config) -> Executor:
    """The executor `scan.executor` and `scan.workers` ask for. It starts nothing (no worker, no
    cluster) until an item needs reading."""
    if config.scan.executor == "dask":
        from privmap.scanner.cluster import DaskExecutor

        return DaskExecutor(config.scan)
    if config.scan.workers > 1:
        return LocalPool(config.scan.workers, config.scan.item_timeout)
    return InProcess()


def read_items(
    config: Config,
    spec: SourceConfig,
    source: Source,
    store: Store,
    run: Run,
    items: Iterable[Item],
    detector: Detector,
    facts: dict[tuple[str, str], Any],
    executor: Executor,
    progress: Progress | None = None,
) -> None:
    """Enter `items` (as the source lists them) into `run` with `detector`: unchanged ones carry over,
    the rest are read by `executor` (the caller's, from build_executor, kept across calls so its
    workers start once), detected and saved one transaction each. `facts` gains each store's region.
    Raises what the listing raises (the source itself failed); an item's own failure is recorded on it."""
    job = Job.of(config, config.sources.index(spec), detector.secret)
    work.adopt(job, detector)
    _read(config, job, source, store, run, items, facts, executor, progress)


def _read(
    config: Config,
    job: Job,
    source: Source,
    store: Store,
    run: Run,
    items: Iterable[Item],
    facts: dict[tuple[str, str], Any],
    executor: Executor,
    progress: Progress | None,
) -> None:
    """read_items with a job and an executor: listing runs ahead in a thread (where the source's listing
    waits on a network), this thread writes."""
    spec = config.sources[job.source]
    settings = settings_hash(config, spec)
    listed: Iterable[Item] = (replace(i, fingerprint=f"{settings}:{i.fingerprint}") for i in items)
    if getattr(source, "list_ahead", True):
        listed = ahead(listed)
    guard = NameGuard(lambda texts: _detector(config, job).analyze(texts, None), job.secret.value, category_of)
    todo = _changed_items(store, run, listed, guard, facts, spec.region, progress)
    for item, outcome in executor.run(job, _detector_first(config, job, todo)):
        store.save_outcome(outcome, run.id, item.region or spec.region)
        for p in outcome.problems:
            log.warning("item problem", extra={"source": spec.name, "kind": p.kind, "detail": p.message})
        if progress:
            progress(item, outcome, status=executor.status())


def _detector(config: Config, job: Job) -> Detector:
    """The detector of `job`, built here (its settings checked against the config's lines) on first use.

    Built only when needed: to read an item, or a listed name that may hold an identifier. A rescan in
    which nothing changed never pays for it (importing Presidio and spaCy and compiling the pattern
    database take seconds)."""
    if not work.built(job):
        work.adopt(job, build_detector(config, job.secret.value))
    return work.detector(job)


def _detector_first(config: Config, job: Job, items: Iterable[Item]) -> Iterator[Item]:
    """`items`, the detector built before the first one (an executor's workers start with it)."""
    listed = iter(items)
    for item in listed:
        _detector(config, job)
        yield item
        yield from listed


def ledger_for(config: Config) -> Ledger | LedgerError | None:
    """The consent ledger when a controller-role upload source needs one; the error when it cannot be
    opened (its uploads are then recorded as not verified, and the scan goes on)."""
    if not any(s.uploads and uploads.role_of(config, s) == "controller" for s in config.sources):
        return None
    try:
        return open_ledger(config)
    except LedgerError as exc:
        log.error("consent ledger unavailable", extra={"detail": str(exc)})
        return exc


def _changed_items(
    store: Store,
    run: Run,
    items: Iterable[Item],
    guard: NameGuard,
    facts: dict[tuple[str, str], Any],
    region: str | None,
    progress: Progress | None,
) -> Iterator[Item]:
    """Items that need reading; the others join the run's snapshot a batch at a time as they pass. Items
    are looked up as they were stored, their names pseudonymised by `guard`, and returned as listed."""
    listed = iter(items)
    while batch := list(islice(listed, BATCH)):
        for item in batch:
            facts.setdefault((item.store, "region"), item.region or region)
        stored = [guard.item(i) for i in batch]
        as_listed = {id(s): i for s, i in zip(stored, batch, strict=True)}
        todo = [as_listed[id(s)] for s in store.carry_over(run.id, stored, reread=run.kind == "full")]
        if progress:
            reading = {id(i) for i in todo}
            for item in batch:
                if id(item) not in reading:
                    progress(item, None)
        yield from todo


# findings.json field <- `Store.findings` column
_RECORD = {
    "source": "source",
    "store": "store",
    "uri": "uri",
    "part": "part",
    "field": "field",
    "entity": "entity",
    "category": "category",
    "count": "count",
    "distinct": "distinct_values",
    "score": "score",
    "preview": "preview",
    "value_key": "value_key",
    "why": "why",
    "test_data": "test_data",
    "region": "region",
    "first_seen_run": "first_seen_run",
    "last_seen_run": "last_seen_run",
    # false when this run could not read the item again and kept what an earlier read found
    "verified": "verified",
}


def finding_records(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """findings.json records from `Store.findings` rows (columns found by name once, not per row: a
    run may hold hundreds of thousands)."""
    if not rows:
        return []
    columns = rows[0].keys()
    values = itemgetter(*(columns.index(c) for c in _RECORD.values()))
    out = []
    for row in rows:
        record = dict(zip(_RECORD, values(row), strict=True))
        record["test_data"], record["verified"] = bool(record["test_data"]), bool(record["verified"])
        out.append(record)
    return out


class RunNotFound(Exception):
    """The store holds no such run (or no finished run yet)."""


def stored_config(config: Config) -> str:
    """The configuration a run is judged with, kept in the store to reproduce its reports (secrets masked)."""
    data = config.model_dump(mode="json")
    data["sources"] = [{**s, "options": logs.masked(s["options"])} for s in data["sources"]]
    data["alerts"] = [{**a, "options": logs.masked(a["options"])} for a in data["alerts"]]
    return json.dumps(data, sort_keys=True)


def _stored_findings(store: Store, run_id: int) -> list[dict[str, Any]]:
    if store.run(run_id) is None:
        raise RunNotFound(f"no run {run_id} in {store.path}")
    return finding_records(store.findings(run_id))


def _judged_with(
    config: Config, store: Store, run_id: int, as_of: dt.date | None, rejudge: bool
) -> tuple[Config, dt.date, list[dict[str, Any]] | None]:
    """The configuration, legal date and check results to report run `run_id` with: its own, as
    stored when it ran, unless `rejudge` (or an explicit `as_of`) asks for today's."""
    row = store.run(run_id)
    if row is None:
        raise RunNotFound(f"no run {run_id} in {store.path}")
    if rejudge or as_of is not None:
        return config, as_of or dt.date.today(), None
    judged = config
    if row["config"]:
        try:
            judged = Config.model_validate_json(row["config"])
        except ValidationError:  # written by a privmap whose config schema differs: today's stands in
            log.warning("stored config no longer valid; reporting with the current one", extra={"run_id": run_id})
    date = dt.date.fromisoformat(row["as_of"]) if row["as_of"] else dt.date.today()
    return judged, date, store.checks(run_id) or None


def _history(store: Store, row: Any) -> dict[int, str]:
    """Run id -> start date (ISO) of the runs of this configuration up to `row`'s: what findings'
    `first_seen_run` dates against (INV-006: categories found since an activity's last review)."""
    return {
        r["id"]: r["started"][:10]
        for r in store.runs()
        if r["id"] <= row["id"] and r["config_id"] == row["config_id"] and r["status"] != "abandoned"
    }


def report_data(
    config: Config, store: Store, run_id: int, as_of: dt.date | None = None, *, rejudge: bool = False
) -> ReportData:
    """Read one run back from the store and assemble what reports need: by default exactly as the
    run judged it (its stored configuration, legal date and check results); with `rejudge` or an
    `as_of` date, the checks are evaluated again with `config` on that date (default today)."""
    config, as_of, stored_checks = _judged_with(config, store, run_id, as_of, rejudge)
    findings = _stored_findings(store, run_id)
    row = store.run(run_id)
    personal = personal_data(findings)
    facts = store.facts(run_id)
    data_map = graph.build_graph(config, personal, facts, as_of)
    problems = [dict(p) for p in store.problems(run_id)]
    previous = store.previous_run(run_id)
    new = finding_records(store.new_findings(run_id, previous)) if previous is not None else []
    resolved = finding_records(store.resolved_findings(run_id, previous)) if previous else []
    upload_verdicts = uploads.UploadStore(store).verdicts(run_id)
    items = store.items(run_id)
    covered = _coverage(config, store, run_id, items, problems)
    records = [
        {"source": i["source"], "store": i["store"], "uri": i["uri"], "metadata": orjson.loads(i["metadata"] or "{}")}
        for i in items
    ]
    checks = stored_checks
    if checks is None:
        extra = {
            "uploads": upload_verdicts,
            "runs": _history(store, row),
            # a partial run's snapshot holds only the items it listed: no verdict on the index or erasures
            **({} if row["kind"] == "partial" else {"index": store.index_coverage(run_id)}),
            **({} if row["kind"] == "partial" else _erasures(config, store, run_id)),
        }
        evidence = Evidence(
            config, personal, facts, as_of, graph=data_map, coverage=covered, items=records, extra=extra
        )
        checks = run_checks(evidence)
    summary = (row["summary"] and json.loads(row["summary"])) or {}
    seen, in_scope = coverage.share(covered)
    run = {
        "run_id": run_id,
        "kind": row["kind"],
        "started": row["started"],
        "finished": row["finished"],
        "status": row["status"],
        **store.item_counts(run_id),
        "problems": len(problems),
        "findings": len(findings),
        "checks_failed": {
            s: sum(1 for c in checks if c["status"] == "fail" and c["severity"] == s) for s in SEVERITIES
        },
        "coverage": {
            "items_inspected": seen,
            "items_in_scope": in_scope,
            "sources_with_gaps": [c["source"] for c in covered if c["status"] != "complete"],
            "sources_not_listed": coverage.not_listed(covered),
            "complete": not coverage.incomplete(covered),
        },
        **summary,
    }
    skipped = [
        {"source": i["source"], "uri": i["uri"], "reason": i["reason"]} for i in items if i["state"] == "skipped"
    ]
    return ReportData(
        config,
        run,
        findings,
        checks,
        problems,
        skipped,
        facts,
        new,
        resolved,
        previous,
        data_map=data_map,
        graph=graph.node_link(data_map),
        data_map_svg=graph.to_svg(data_map),
        graph_exports={f"graph.{fmt}": graph.FORMATS[fmt](data_map) for fmt in ("json", "graphml", "dot")},
        previous_checks=store.checks(previous) if previous is not None else [],
        as_of=as_of,
        coverage=covered,
    )


def _erasures(config: Config, store: Store, run_id: int) -> dict[str, Any]:
    """DSR-002's evidence: where the subjects of dsr.erased_list are still found (`erased`), or why
    the list could not be read (`erased_error`); nothing when no list is configured."""
    from privmap import locate
    from privmap.store.keyfile import KeyFileError

    if not config.dsr.erased_list:
        return {}
    try:
        secret = locate.secret_of(config)
        erased = locate.read_erased(config.resolve(config.dsr.erased_list), secret, locate.region_of(config))
    except (locate.LocateError, KeyFileError) as exc:
        return {"erased_error": str(exc)}
    return {"erased": locate.erased_still_found(store, run_id, erased)}


def _coverage(
    config: Config, store: Store, run_id: int, items: list[Any] | None = None, problems: list[Any] | None = None
) -> list[dict[str, Any]]:
    """The coverage records of a run (privmap.coverage), one per configured source."""
    sources = [{"name": s.name, "type": s.type, "region": s.region} for s in config.sources]
    counted = store.coverage(run_id, [s.name for s in config.sources])
    items = store.items(run_id) if items is None else items
    return coverage.build(sources, counted, items, store.problems(run_id) if problems is None else problems)


def run_summaries(config: Config) -> list[dict[str, Any]]:
    """`privmap runs`: every run of the config's store, newest first, with `run_id`, `kind`, `status`,
    `started`, `finished`, `items` (listed), `findings`, `checks_failed` {severity: n} (its own stored
    check results), `coverage` (percent of the items in scope that were inspected; None for none)
    and `same_config` (whether it is a run of this configuration)."""
    store = Store(config.resolve(config.store.path))
    try:
        ours = config_id(config)
        out = []
        for row in store.runs():
            counted = store.coverage(row["id"], []).values()
            listed = sum(c["listed"] for c in counted)
            scoped_out = sum(
                n
                for c in counted
                for reason, n in c["reasons"].get("skipped", {}).items()
                if coverage.reason_of(reason) in coverage.SCOPED_OUT
            )
            seen = sum(c["scanned"] + c["unchanged"] for c in counted)
            checks = store.checks(row["id"])
            out.append(
                {
                    "run_id": row["id"],
                    "kind": row["kind"],
                    "status": row["status"],
                    "started": row["started"],
                    "finished": row["finished"],
                    "items": listed,
                    "findings": store.finding_count(row["id"]),
                    "checks_failed": {
                        s: sum(1 for c in checks if c["status"] == "fail" and c["severity"] == s)
                        for s in reversed(SEVERITIES)
                    },
                    "coverage": 100 * seen // (listed - scoped_out) if listed > scoped_out else None,
                    "same_config": row["config_id"] == ours,
                }
            )
        return out
    finally:
        store.close()


def data_map(config: Config, store: Store, run_id: int, as_of: dt.date | None = None) -> Any:
    """The data map of a stored run as `config` declares it now (default: judged today)."""
    personal = personal_data(_stored_findings(store, run_id))
    return graph.build_graph(config, personal, store.facts(run_id), as_of or dt.date.today())


def run_coverage(config: Config, store: Store, run_id: int) -> list[dict[str, Any]]:
    """The coverage records of a stored run (privmap.coverage), one per configured source."""
    return _coverage(config, store, run_id)


def render_graph(
    config: Config, store: Store, run_id: int, fmt: str, as_of: dt.date | None = None, *, rejudge: bool = False
) -> str:
    """The data map of a stored run in one format (svg, dot, graphml, json), without scanning."""
    config, as_of, _ = _judged_with(config, store, run_id, as_of, rejudge)
    personal = personal_data(_stored_findings(store, run_id))
    data_map = graph.build_graph(config, personal, store.facts(run_id), as_of)
    return graph.FORMATS[fmt](data_map)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused while a run's findings are read back and reported: a run may
    hold hundreds of thousands of finding records, all alive to the end and none in a cycle, and each
    full collection walked them all again (0.8 s of a 9 s no-change rescan of 100,000 items)."""
    enabled = gc.isenabled()  # a caller that runs without it (an embedding program) keeps it off
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run(
    config: Config,
    out_dir: Path,
    *,
    full: bool = False,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Scan, judge and report one run (a `full` one reads every item again); an interrupted run
    (Ctrl-C, SIGTERM, an internal error) is left resumable by the next run of the same config."""
    # bad source options or sinks are config errors before anything is written: no report folder, no run
    sources = [build_source(config, i) for i in range(len(config.sources))]
    alerts.build_sinks(config)
    check_writable(out_dir)  # an unwritable --out fails now, not after the whole scan
    as_of = as_of or dt.date.today()
    store = Store(config.resolve(config.store.path))
    try:
        current = store.begin_run(
            config_hash(config),
            config_id(config),
            "full" if full else "incremental",
            config_json=stored_config(config),
            as_of=as_of,
            fresh=full,
            wait=config.store.wait,
        )
        try:
            errors = scan(config, sources, store, current, progress)
        except BaseException:
            store.interrupt_run(current.id)
            raise
        # whether a source could not be listed at all needs no item of the snapshot (it has none)
        unlisted = coverage.not_listed(_coverage(config, store, current.id, items=[]))
        status = "failed" if errors or unlisted else "finished"
        store.finish_run(current.id, status, {"source_errors": errors})
        with _no_cycle_collection():
            data = report_data(config, store, current.id, as_of, rejudge=True)
            # the run's own verdict, which its reports show again and the next run compares with
            store.save_checks(current.id, data.checks)
            outputs = write_reports(data, out_dir)
        raised = alerts.AlertStore(store)
        alerts.raise_alerts(config, raised, current.id, data.checks, personal_data(data.findings))
        alerts.deliver(config, raised)
        if config.store.keep_runs:
            store.prune(config.store.keep_runs)
    finally:
        store.close()
    log.info("run finished", extra={"run_id": current.id, "findings": len(data.findings), "out": str(out_dir)})
    return RunResult(current.id, data, outputs, errors)
