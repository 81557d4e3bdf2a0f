"""Checks that compare what the crawl found with what the inventory declares (Art. 30)."""

from __future__ import annotations

from collections.abc import Iterator

from privmap.checks.base import Evidence, Outcome, check, summarize
from privmap.data import covered, flags_of


@check("INV-001")
def store_in_inventory(ev: Evidence) -> Iterator[Outcome]:
    declared = {s for a in ev.config.inventory.activities for s in a.stores}
    for source, findings in sorted(ev.findings_by_source().items()):
        if source in declared:
            yield Outcome(f"store:{source}", "pass", "store is linked to a processing activity")
        else:
            yield Outcome(
                f"store:{source}",
                "fail",
                f"personal data found but no activity lists this store: {summarize(findings)}",
            )


@check("INV-002")
def categories_declared(ev: Evidence) -> Iterator[Outcome]:
    for source, findings in sorted(ev.findings_by_source().items()):
        activities = [a for a in ev.config.inventory.activities if source in a.stores]
        if not activities:
            continue  # INV-001 reports the store itself
        declared = {c for a in activities for c in a.data_categories}
        extra = [f for f in findings if not covered(f["category"], declared)]
        if not extra:
            yield Outcome(f"store:{source}", "pass", f"all categories found are declared: {summarize(findings)}")
            continue
        risky = any(flags_of(f["entity"]) & {"special", "high_risk"} for f in extra)
        names = ", ".join(a.name for a in activities)
        yield Outcome(
            f"store:{source}",
            "fail",
            f"found but not declared by {names}: {summarize(extra)}",
            severity="high" if risky else None,
        )


@check("INV-008")
def region_and_role_declared(ev: Evidence) -> Iterator[Outcome]:
    regions = {f.source for f in ev.facts if f.key == "region" and f.value}
    for spec in ev.config.sources:
        findings = ev.findings_by_source().get(spec.name)
        if not findings:
            continue
        missing = [what for what, ok in (("region", spec.name in regions), ("role", spec.role)) if not ok]
        if missing:
            yield Outcome(f"store:{spec.name}", "fail", f"holds personal data but has no {' or '.join(missing)}")
        else:
            yield Outcome(f"store:{spec.name}", "pass", f"role {spec.role}, region recorded")
