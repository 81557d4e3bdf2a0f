"""run(config) -> RunResult: the one place that knows the whole flow.

config -> sources list items -> unchanged ones carried over -> the rest opened, extracted,
detected -> store (one transaction per item) -> graph -> checks -> reports.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from privmap import __version__, alerts, graph, plugins, uploads
from privmap.checks import Evidence, run_checks
from privmap.config import Config, ConfigError
from privmap.consent import Ledger, LedgerError, open_ledger
from privmap.data import legal
from privmap.detectors.detector import Detector
from privmap.files import check_writable
from privmap.model import SEVERITIES, Item, ItemOutcome, Location, Problem, StoreFact
from privmap.reports import ReportData, write_reports
from privmap.reports.data import personal_data
from privmap.scanner.crawl import describe, problem_kind, scan_item
from privmap.scanner.executor import run_all
from privmap.scanner.sources.base import Source
from privmap.store import Store, install_secret

log = logging.getLogger("privmap")
Progress = Callable[[Item, ItemOutcome | None], None]


@dataclass(frozen=True)
class RunResult:
    run_id: int
    report: ReportData
    outputs: list[Path]
    run_errors: int  # sources that could not be listed or opened at all

    def exit_code(self, fail_on: str | None) -> int:
        if self.run_errors:
            return 2
        if fail_on and self.report.failed(fail_on):
            return 1
        return 0


def config_hash(config: Config) -> str:
    return hashlib.sha256(config.model_dump_json().encode()).hexdigest()[:16]


def settings_hash(config: Config) -> str:
    """What decides the findings of unchanged content: the privmap version and the scan and detection
    settings. Part of every stored fingerprint, so changing any of them makes the next run read again."""
    settings = f"{__version__}|{config.scan.model_dump_json()}|{config.detection.model_dump_json()}"
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
        issues = []
        for e in exc.errors():
            loc = ("sources", index, "options", *e["loc"])
            msg = "unknown option" if e["type"] == "extra_forbidden" else e["msg"]
            issues.append(config.error_at(loc, msg).issues[0])
        raise ConfigError(issues) from None


def build_detector(config: Config, secret: bytes) -> Detector:
    """The detector for `config`; a recognizer that cannot be loaded is named at its line of the file."""
    try:
        return Detector(config.detection, secret)
    except ConfigError as exc:
        raise ConfigError([config.error_at(i.loc, i.message).issues[0] for i in exc.issues]) from None


def scan(config: Config, *, full: bool = False, progress: Progress | None = None) -> tuple[Store, int, int]:
    """Crawl every source into the store; returns (store, run id, run errors).

    `full` starts a new run (never resuming) that reads every item, changed or not."""
    sources = [build_source(config, i) for i in range(len(config.sources))]
    store = Store(config.resolve(config.store.path))
    detector = build_detector(config, install_secret(config.state_dir))
    if config.scan.workers > 1:
        detector.preload()
    run = store.begin_run(config_hash(config), fresh=full)
    settings = settings_hash(config)
    log.info("run started", extra={"run_id": run.id, "resumed": run.resumed})
    errors = 0
    ledger = _ledger(config)
    for spec, source in zip(config.sources, sources, strict=True):
        facts: dict[tuple[str, str], Any] = {}
        try:
            for fact in source.posture():
                facts[(fact.store, fact.key)] = fact.value
            listed = (replace(i, fingerprint=f"{settings}:{i.fingerprint}") for i in source.items())
            todo = _changed_items(store, run.id, listed, facts, spec.region, full, progress)
            detect = partial(detector.detect, country=home_country(spec.region, config.organization.country))
            work = partial(scan_item, source, spec=spec, scan=config.scan, detect=detect)
            for item, outcome in run_all(work, todo, config.scan.workers):
                store.save_outcome(outcome, run.id, item.region or spec.region, store.item_state(item))
                for p in outcome.problems:
                    log.warning("item problem", extra={"source": spec.name, "kind": p.kind, "detail": p.message})
                if progress:
                    progress(item, outcome)
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
    if ledger is not None and not isinstance(ledger, LedgerError):
        ledger.close()
    return store, run.id, errors


def _ledger(config: Config) -> Ledger | LedgerError | None:
    """The consent ledger when a controller-role upload source needs one; the error when it cannot be
    opened (its uploads are then recorded as not verified, and the scan goes on)."""
    if not any(s.uploads and uploads.role_of(config, s) == "controller" for s in config.sources):
        return None
    try:
        return open_ledger(config)
    except LedgerError as exc:
        log.error("consent ledger unavailable", extra={"detail": str(exc)})
        return exc


def home_country(region: str | None, fallback: str) -> str:
    """The country whose numbering plan reads a phone number written in national format found in a
    store: where the store rests (its region's only country), else the organisation's country."""
    where = legal.place(region) if region else None
    return where.countries[0] if where and len(where.countries) == 1 else fallback


def _changed_items(
    store: Store,
    run_id: int,
    items: Iterable[Item],
    facts: dict[tuple[str, str], Any],
    region: str | None,
    full: bool,
    progress: Progress | None,
) -> Iterator[Item]:
    """Items that need reading; unchanged ones are carried over into the run as they pass."""
    for item in items:
        facts.setdefault((item.store, "region"), item.region or region)
        prev = store.item_state(item)
        if prev and prev.last_run == run_id:
            continue  # done before this run was interrupted
        unchanged = prev and prev.fingerprint == item.fingerprint and prev.status in ("scanned", "unchanged", "skipped")
        if unchanged and not full:
            store.mark_unchanged(item, run_id, prev)
            if progress:
                progress(item, None)
            continue
        yield item


def finding_record(row: Any) -> dict[str, Any]:
    return {
        "source": row["source"],
        "store": row["store"],
        "uri": row["uri"],
        "part": row["part"],
        "field": row["field"],
        "entity": row["entity"],
        "category": row["category"],
        "count": row["count"],
        "distinct": row["distinct_values"],
        "score": row["score"],
        "preview": row["preview"],
        "value_key": row["value_key"],
        "why": row["why"],
        "test_data": bool(row["test_data"]),
        "region": row["region"],
        "first_seen_run": row["first_seen_run"],
        "last_seen_run": row["last_seen_run"],
    }


class RunNotFound(Exception):
    """The store holds no such run (or no finished run yet)."""


def _stored_findings(store: Store, run_id: int) -> list[dict[str, Any]]:
    if store.run(run_id) is None:
        raise RunNotFound(f"no run {run_id} in {store.path}")
    return [finding_record(r) for r in store.findings(run_id)]


def report_data(config: Config, store: Store, run_id: int, as_of: dt.date | None = None) -> ReportData:
    """Read one run back from the store, evaluate the checks, and assemble what reports need."""
    findings = _stored_findings(store, run_id)
    row = store.run(run_id)
    personal = personal_data(findings)
    facts = store.facts(run_id)
    as_of = as_of or dt.date.today()
    data_map = graph.build_graph(config, personal, facts, as_of)
    problems = [dict(p) for p in store.problems(run_id)]
    previous = store.previous_run(run_id)
    new = [f for f in findings if previous is not None and f["first_seen_run"] > previous]
    resolved = [finding_record(r) for r in store.resolved_findings(run_id, previous)] if previous else []
    upload_verdicts = uploads.UploadStore(store).verdicts(run_id)
    items = store.items(run_id)
    records = [
        {"source": i["source"], "store": i["store"], "uri": i["uri"], "metadata": json.loads(i["metadata"] or "{}")}
        for i in items
    ]
    extra = {"uploads": upload_verdicts}
    checks = run_checks(Evidence(config, personal, facts, as_of, graph=data_map, items=records, extra=extra))
    summary = (row["summary"] and json.loads(row["summary"])) or {}
    run = {
        "run_id": run_id,
        "started": row["started"],
        "finished": row["finished"],
        "status": row["status"],
        **store.item_counts(run_id),
        "problems": len(problems),
        "findings": len(findings),
        "checks_failed": {
            s: sum(1 for c in checks if c["status"] == "fail" and c["severity"] == s) for s in SEVERITIES
        },
        **summary,
    }
    skipped = [{"source": i["source"], "uri": i["uri"], "reason": i["skipped"]} for i in items if i["skipped"]]
    counted = store.coverage(run_id, [s.name for s in config.sources])
    coverage = [{"source": s.name, "type": s.type, "region": s.region, **counted[s.name]} for s in config.sources]
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
        coverage=coverage,
    )


def render_graph(config: Config, store: Store, run_id: int, fmt: str, as_of: dt.date | None = None) -> str:
    """The data map of a stored run in one format (svg, dot, graphml, json), without scanning."""
    personal = personal_data(_stored_findings(store, run_id))
    data_map = graph.build_graph(config, personal, store.facts(run_id), as_of or dt.date.today())
    return graph.FORMATS[fmt](data_map)


def run(
    config: Config,
    out_dir: Path,
    *,
    full: bool = False,
    as_of: dt.date | None = None,
    progress: Progress | None = None,
) -> RunResult:
    check_writable(out_dir)  # an unwritable --out fails now, not after the whole scan
    alerts.build_sinks(config)  # a bad sink is a config error before scanning, not after
    store, run_id, errors = scan(config, full=full, progress=progress)
    try:
        store.finish_run(run_id, "finished" if not errors else "failed", {"source_errors": errors})
        data = report_data(config, store, run_id, as_of)
        # the run's own verdict, which the next run compares with (re-rendering never replaces it)
        store.save_checks(run_id, data.checks)
        outputs = write_reports(data, out_dir)
        raised = alerts.AlertStore(store)
        alerts.raise_alerts(config, raised, run_id, data.checks, personal_data(data.findings))
        alerts.deliver(config, raised)
    finally:
        store.close()
    log.info("run finished", extra={"run_id": run_id, "findings": len(data.findings), "out": str(out_dir)})
    return RunResult(run_id, data, outputs, errors)
