"""What the audit report shows beyond the raw records: stores at a glance, coverage totals."""

from __future__ import annotations

from typing import Any

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
    keys = ("listed", "scanned", "unchanged", "skipped", "failed", "partial", "bytes_read", "bytes_listed")
    totals = {k: sum(row[k] for row in data.coverage) for k in keys}
    totals["denied"] = sum(row["problems"].get("denied", 0) for row in data.coverage)
    return totals
