"""Checks that compare what the crawl found with what the inventory declares (Art. 30)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from privmap.attribution import held_by, holders, sharing, unscoped_sharers
from privmap.checks.base import Evidence, Outcome, check, summarize
from privmap.config.models import Activity
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
    """Each finding is judged against the activities that hold it (privmap.attribution): an activity
    scoped to other tables does not answer for it, and a category one sharer declares is declared."""
    inv = ev.config.inventory
    for source, findings in sorted(ev.findings_by_source().items()):
        users = sharing(inv, source)
        if not users:
            continue  # INV-001 reports the store itself
        outside = [f for f in findings if not holders(inv, f)]
        extra = [
            f
            for f in findings
            if (hs := holders(inv, f)) and not any(covered(f["category"], h.data_categories) for h in hs)
        ]
        parts = []
        if extra:
            names = ", ".join(sorted({h.name for f in extra for h in holders(inv, f)}))
            parts.append(f"found but not declared by {names}: {summarize(extra)}")
        if outside:
            parts.append(f"found outside the scopes of {', '.join(a.name for a in users)}: {summarize(outside)}")
        if not parts:
            shared = unscoped_sharers(inv, source)
            note = f"; held in a store shared by {', '.join(shared)}" if shared else ""
            yield Outcome(f"store:{source}", "pass", f"all categories found are declared: {summarize(findings)}{note}")
            continue
        risky = any(flags_of(f["entity"]) & {"special", "high_risk"} for f in extra + outside)
        yield Outcome(f"store:{source}", "fail", "; ".join(parts), severity="high" if risky else None)


@check("INV-003")
def purpose_and_owner(ev: Evidence) -> Iterator[Outcome]:
    """Stores with personal data that activities list: some activity must give a purpose and an owner
    (stores no activity lists are INV-001's)."""
    for source, findings in sorted(ev.findings_by_source().items()):
        users = sharing(ev.config.inventory, source)
        if not users:
            continue
        owned = [a for a in users if a.purposes and a.owner]
        if owned:
            names = ", ".join(f"{a.name} (owner {a.owner})" for a in owned)
            yield Outcome(f"store:{source}", "pass", f"used by {names}")
        else:
            names = ", ".join(a.name for a in users)
            yield Outcome(f"store:{source}", "fail", f"no owner recorded for {names}, which hold {summarize(findings)}")


def _mandatory_gaps(ev: Evidence, a: Activity) -> list[str]:
    """The Art. 30(1)(a)-(d) / 30(2)(a)-(b) points an activity's entry leaves empty."""
    org = ev.config.organization
    gaps = []
    if a.role == "processor":
        acting_for = [c for c in ev.config.inventory.controllers if not c.activities or a.name in c.activities]
        if not acting_for and not a.controller:
            gaps.append("(a) the controllers it acts for")
    elif not org.contact and not org.address:
        gaps.append("(a) the controller's contact details")
    if a.role == "joint" and not a.joint_controller:
        gaps.append("(a) the joint controller")
    if not a.purposes:
        gaps.append("(b) purposes")
    if not a.data_subjects:
        gaps.append("(c) categories of data subjects")
    if not a.data_categories:
        gaps.append("(c) categories of personal data")
    if a.role != "processor" and not a.lawful_basis:
        gaps.append("the Art. 6 lawful basis")
    return gaps


@check("INV-004")
def mandatory_fields(ev: Evidence) -> Iterator[Outcome]:
    for a in ev.config.inventory.activities:
        gaps = _mandatory_gaps(ev, a)
        if gaps:
            yield Outcome(f"activity:{a.name}", "fail", f"the entry does not record {', '.join(gaps)}")
        else:
            yield Outcome(f"activity:{a.name}", "pass", "purposes, data subjects, categories and parties recorded")


@check("INV-005")
def retention_and_measures(ev: Evidence) -> Iterator[Outcome]:
    for a in ev.config.inventory.activities:
        missing = [
            what
            for what, value in (("(f) retention", a.retention), ("(g) security measures", a.security_measures))
            if not value
        ]
        if missing:
            yield Outcome(f"activity:{a.name}", "fail", f"the entry does not record {' or '.join(missing)}")
        else:
            yield Outcome(f"activity:{a.name}", "pass", "retention and security measures recorded")


REVIEW_EVERY = dt.timedelta(days=365)  # DOMAIN.md 9, INV-006: a review more than 12 months old is stale


def found_since(ev: Evidence, activity: Activity, reviewed: dt.date) -> dict[str, str]:
    """Category -> date first found, for the categories an activity holds that the run history
    first found after `reviewed` (`Evidence.extra["runs"]`: run id -> start date). A category
    first found by the first run on record is not counted: nothing says it was absent before."""
    runs: dict[int, str] = ev.extra.get("runs") or {}
    if not runs:
        return {}
    first_run = min(runs)
    earliest: dict[str, int] = {}
    for f in held_by(activity, (f for f in ev.findings if f["source"] in activity.stores)):
        seen = f.get("first_seen_run")
        if seen is not None:
            earliest[f["category"]] = min(earliest.get(f["category"], seen), seen)
    return {
        category: runs[seen]
        for category, seen in sorted(earliest.items())
        if seen != first_run and seen in runs and dt.date.fromisoformat(runs[seen]) > reviewed
    }


@check("INV-006")
def review_age(ev: Evidence) -> Iterator[Outcome]:
    """Stale RoPA entries: never reviewed, reviewed over 12 months ago, or holding categories the
    scans first found after the review (the record no longer describes the processing)."""
    for a in ev.config.inventory.activities:
        if a.last_reviewed is None:
            yield Outcome(f"activity:{a.name}", "fail", "no review date recorded (last_reviewed)")
        elif ev.as_of - a.last_reviewed > REVIEW_EVERY:
            yield Outcome(
                f"activity:{a.name}", "fail", f"last reviewed on {a.last_reviewed}, over 12 months before {ev.as_of}"
            )
        elif changed := found_since(ev, a, a.last_reviewed):
            found = ", ".join(f"{c} (first found {d})" for c, d in changed.items())
            yield Outcome(f"activity:{a.name}", "fail", f"reviewed on {a.last_reviewed}; found since: {found}")
        else:
            yield Outcome(f"activity:{a.name}", "pass", f"reviewed on {a.last_reviewed}")


@check("INV-007")
def processor_records(ev: Evidence) -> Iterator[Outcome]:
    inv = ev.config.inventory
    processing = [a for a in inv.activities if a.role == "processor"]
    if not processing:
        return
    if not inv.controllers:
        names = ", ".join(a.name for a in processing)
        yield Outcome("inventory:controllers", "fail", f"processor-role activities ({names}) but no controller listed")
        return
    for c in inv.controllers:
        done = [a for a in processing if not c.activities or a.name in c.activities]
        unknown = [n for n in c.activities if n not in {a.name for a in processing}]
        if unknown:
            yield Outcome(
                f"controller:{c.name}", "fail", f"lists {', '.join(unknown)}, which are not processor-role activities"
            )
        elif not done or not any(a.purposes for a in done):
            yield Outcome(f"controller:{c.name}", "fail", "no categories of processing recorded for this controller")
        else:
            yield Outcome(f"controller:{c.name}", "pass", f"processing recorded: {', '.join(a.name for a in done)}")


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
