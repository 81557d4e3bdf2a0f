"""What the reports are made from: one run's results, as read back from the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from privmap.config.models import Config
from privmap.model import SEVERITIES, StoreFact


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
    graph: dict[str, Any] | None = None  # the data map, node-link (graph.json)
    data_map_svg: str | None = None  # the data map drawn as SVG; built with every text escaped
    graph_exports: dict[str, str] = field(default_factory=dict)  # file name -> content: graph.json, .graphml, .dot

    def failed(self, min_severity: str = "info") -> list[dict[str, Any]]:
        floor = SEVERITIES.index(min_severity)  # type: ignore[arg-type]
        return [c for c in self.checks if c["status"] == "fail" and SEVERITIES.index(c["severity"]) >= floor]

    def severity_counts(self) -> dict[str, int]:
        counts = {s: 0 for s in reversed(SEVERITIES)}
        for c in self.failed():
            counts[c["severity"]] += 1
        return counts

    def findings_by_store(self) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """source -> category -> findings, in a stable order."""
        out: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for f in self.findings:
            out.setdefault(f["source"], {}).setdefault(f["category"], []).append(f)
        return {s: dict(sorted(cats.items())) for s, cats in sorted(out.items())}
