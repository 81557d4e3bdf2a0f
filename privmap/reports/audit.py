"""What the audit report shows beyond the raw records: stores at a glance, coverage totals."""

from __future__ import annotations

from typing import Any

from privmap.coverage import incomplete, summary_line
from privmap.data.legal import worst
from privmap.model import SEVERITIES
from privmap.reports.data import ReportData
from privmap.reports.ropa import category_label, place_text

ZONE_WORDS = {"EEA": "EEA", "ADEQUATE": "adequate country", "US": "United States", "THIRD": "third country"}


def zone_words(zone: str) -> str:
    """'ADEQUATE:GB' -> 'adequate country (GB)'; UNKNOWN -> 'unknown'."""
    kind, _, country = zone.partition(":")
    words = ZONE_WORDS.get(kind, "unknown")
    return f"{words} ({country})" if country else words


def store_rows(data: ReportData) -> list[dict[str, Any]]:
    """One row per configured store: where it is, what it holds, which activities use it, who receives.

    Where a store rests is read off the data map, which derives it once (a discovered region over
    the declared one)."""
    if data.data_map is None:
        raise ValueError("the stores table is read off the run's data map: ReportData.data_map is required")
    g = data.data_map
    activities = data.config.inventory.activities
    totals = data.category_totals(personal=True)
    rows = []
    for spec in data.config.sources:
        uses = [a for a in activities if spec.name in a.stores]
        nodes = [d for _, d in g.nodes(data=True) if d["kind"] == "store" and d["scanned"] and d["source"] == spec.name]
        codes = data.regions(spec.name)
        counts = {r["category"]: r["occurrences"] for r in totals.get(spec.name, [])}
        rows.append(
            {
                "name": spec.name,
                "type": spec.type,
                "role": spec.role or "not declared",
                "place": ", ".join(place_text(c)[0] for c in codes) or "not declared",
                "zone": zone_words(worst(d["zone"] for d in nodes)),
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
