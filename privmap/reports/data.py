"""What the reports are made from: one run's results, as read back from the store."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from privmap.config.models import Config
from privmap.model import SEVERITIES, StoreFact

# the share of what is left that one root cause of a failure of each severity takes away
SCORE_PENALTIES = {"info": 0.0, "low": 0.02, "medium": 0.05, "high": 0.12, "critical": 0.25}


def root_causes(checks: list[dict[str, Any]]) -> dict[str, str]:
    """cause -> severity of the failed (or errored) results: a root cause once, at its most severe."""
    causes: dict[str, str] = {}
    for c in checks:
        if c["status"] == "pass":
            continue
        cause = c.get("cause") or f"{c['id']}|{c['subject']}"  # results stored before causes existed
        if cause not in causes or SEVERITIES.index(c["severity"]) > SEVERITIES.index(causes[cause]):
            causes[cause] = c["severity"]
    return causes


def score(checks: list[dict[str, Any]]) -> int:
    """0-100: 100 times the product of (1 - penalty) over the distinct root causes of failures.

    Passed results do not enter the formula, so trivial passes cannot dilute a failure and adding
    clean stores cannot raise the score; each root cause counts once, at its highest severity;
    a check that errored counts as failed (what was not examined is not clean); every further
    failure lowers the score, which never goes below 0.
    """
    left = 1.0
    for severity in root_causes(checks).values():
        left *= 1 - SCORE_PENALTIES[severity]
    return round(100 * left)


# findings one HTML table lists at most: a page of 245,000 rows (a no-change rescan of 100,000 small
# files) takes a browser minutes to open and the scan 20 s to render; findings.json holds every one
HTML_ROWS = 2_000


def listed(findings: list[dict[str, Any]], limit: int = HTML_ROWS) -> list[dict[str, Any]]:
    """At most `limit` of `findings`, in their own order, spread over every (source, category): each
    group lists its first k findings, k as large as the limit allows, so no store or category is
    crowded out by a bigger one."""
    if len(findings) <= limit:
        return findings
    sizes = Counter((f["source"], f["category"]) for f in findings)
    per_group = 0  # the largest k with sum(min(size, k)) <= limit
    while sum(min(n, per_group + 1) for n in sizes.values()) <= limit:
        per_group += 1
    per_group = max(per_group, 1)  # more groups than rows: the first finding of the first groups
    taken: Counter[tuple[str, str]] = Counter()
    out = []
    for f in findings:
        key = (f["source"], f["category"])
        if taken[key] < per_group and len(out) < limit:
            taken[key] += 1
            out.append(f)
    return out


def _failing(checks: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(c["id"], c["subject"]): c for c in checks if c["status"] != "pass"}


def personal_data(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The findings checks, the data map and the RoPA judge: documentation values (test cards,
    example.com) are reported, flagged, but are nobody's personal data."""
    return [f for f in findings if not f.get("test_data")]


@dataclass(frozen=True)
class ReportData:
    config: Config
    run: dict[str, Any]  # run.json: run_id, started, finished, counters, problems
    findings: list[dict[str, Any]]  # findings.json records
    checks: list[dict[str, Any]]  # checks.json records
    problems: list[dict[str, Any]]
    skipped: list[dict[str, Any]]  # items listed but not inspected, with the reason
    facts: list[StoreFact]
    new_findings: list[dict[str, Any]] = field(default_factory=list)
    resolved_findings: list[dict[str, Any]] = field(default_factory=list)
    previous_run: int | None = None
    as_of: dt.date = field(default_factory=dt.date.today)  # the date legal tables are evaluated on
    # the data map (privmap.graph): where each store rests and the verdict on every flow, read by the
    # RoPA and the stores table so that one rule decides them everywhere
    data_map: nx.DiGraph | None = None
    graph: dict[str, Any] | None = None  # the data map, node-link (graph.json)
    data_map_svg: str | None = None  # the data map drawn as SVG; built with every text escaped
    graph_exports: dict[str, str] = field(default_factory=dict)  # file name -> content: graph.json, .graphml, .dot
    previous_checks: list[dict[str, Any]] = field(default_factory=list)  # checks.json of the previous run
    # per source: items listed, scanned, unchanged, skipped, failed, partly read; bytes; problems by kind
    coverage: list[dict[str, Any]] = field(default_factory=list)

    def regions(self, source: str) -> list[str]:
        """Where a source's data rests, as the data map placed its stores (a discovered region over the
        declared one; multi-region locations): the one reading the RoPA and both report tables share."""
        if self.data_map is None:
            raise ValueError("where stores rest is read off the run's data map: ReportData.data_map is required")
        nodes = [d for _, d in self.data_map.nodes(data=True) if d["kind"] == "store" and d["scanned"]]
        return sorted({c for d in nodes if d["source"] == source for c in [d["region"], *d["locations"]] if c})

    def failed(self, min_severity: str = "info") -> list[dict[str, Any]]:
        floor = SEVERITIES.index(min_severity)  # type: ignore[arg-type]
        return [c for c in self.checks if c["status"] == "fail" and SEVERITIES.index(c["severity"]) >= floor]

    def severity_counts(self, checks: list[dict[str, Any]] | None = None) -> dict[str, int]:
        """Failed checks per severity, most severe first."""
        counts = {s: 0 for s in reversed(SEVERITIES)}
        for c in self.checks if checks is None else checks:
            if c["status"] == "fail":
                counts[c["severity"]] += 1
        return counts

    def score(self) -> int:
        return score(self.checks)

    def previous_score(self) -> int | None:
        return score(self.previous_checks) if self.previous_run is not None else None

    def newly_failing(self) -> list[dict[str, Any]]:
        """Checks failing now that passed, or were not evaluated, in the previous run."""
        before = _failing(self.previous_checks)
        return [c for k, c in _failing(self.checks).items() if k not in before]

    def fixed(self) -> list[dict[str, Any]]:
        """Checks that failed in the previous run and no longer fail."""
        now = _failing(self.checks)
        return [c for k, c in _failing(self.previous_checks).items() if k not in now]

    def category_totals(self, personal: bool = False) -> dict[str, list[dict[str, Any]]]:
        """source -> one row per category found in it, sorted: `category`, `locations` (findings) and
        `occurrences` (their counts summed); `personal` leaves test data out."""
        totals: dict[tuple[str, str], list[int]] = {}
        for f in personal_data(self.findings) if personal else self.findings:
            row = totals.setdefault((f["source"], f["category"]), [0, 0])
            row[0] += 1
            row[1] += f["count"]
        out: dict[str, list[dict[str, Any]]] = {}
        for (source, category), (n, k) in sorted(totals.items()):
            out.setdefault(source, []).append({"category": category, "locations": n, "occurrences": k})
        return out


def by_store(findings: list[dict[str, Any]]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """source -> category -> findings, sources and categories sorted, findings in their own order."""
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for f in findings:
        out.setdefault(f["source"], {}).setdefault(f["category"], []).append(f)
    return {s: dict(sorted(cats.items())) for s, cats in sorted(out.items())}
