"""What the audit report shows beyond the raw records: stores at a glance, coverage totals."""

from __future__ import annotations

from typing import Any

from privmap.coverage import incomplete, summary_line
from privmap.data.legal import is_eea
from privmap.model import SEVERITIES
from privmap.reports.data import ReportData
from privmap.reports.ropa import category_label, place_text


def store_rows(data: ReportData) -> list[dict[str, Any]]:
    """One row per configured store: where it is, what it holds, which activities use it, who receives."""
    activities = data.config.inventory.activities
    by_store = data.findings_by_store(personal=True)
    rows = []
    for spec in data.config.sources:
        uses = [a for a in activities if spec.name in a.stores]
        text, countries = place_text(spec.region) if spec.region else ("not declared", [])
        counts = {c: sum(f["count"] for f in fs) for c, fs in by_store.get(spec.name, {}).items()}
        rows.append(
            {
                "name": spec.name,
                "type": spec.type,
                "role": spec.role or "not declared",
                "place": text,
                "zone": "unknown"
                if not countries
                else "EEA"
                if all(is_eea(c) for c in countries)
                else "outside the EEA",
                "activities": [a.name for a in uses],
                "categories": [f"{category_label(c)} ({n})" for c, n in counts.items()],
                "recipients": sorted({r for a in uses for r in a.recipients}),
            }
        )
    return rows


def ordered_checks(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Failures first, the most severe first; then by check and subject."""
    status = {"error": 0, "fail": 1, "pass": 2}
    return sorted(checks, key=lambda c: (status[c["status"]], -SEVERITIES.index(c["severity"]), c["id"], c["subject"]))


def coverage_totals(data: ReportData) -> dict[str, int]:
    """The coverage table's footer: every count summed over the sources."""
    keys = ("listed", "scanned", "unchanged", "read_in_part", "bytes_read", "bytes_listed")
    totals = {k: sum(row[k] for row in data.coverage) for k in keys}
    for key in ("skipped", "failed"):
        totals[key] = sum(sum(row[key].values()) for row in data.coverage)
    totals["not_inspected"] = sum(r["count"] for row in data.coverage for r in row["not_inspected"])
    return totals


def coverage_json(data: ReportData) -> dict[str, Any]:
    """coverage.json: the run, its summary line, one record per source, and every problem."""
    return {
        "run_id": data.run["run_id"],
        "summary": summary_line(data.score(), data.coverage),
        "complete": not incomplete(data.coverage),
        "sources": data.coverage,
        "problems": [{k: p[k] for k in ("source", "uri", "part", "kind", "message")} for p in data.problems],
    }
