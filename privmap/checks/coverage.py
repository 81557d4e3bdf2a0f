"""Coverage checks: what the run could not examine is part of its verdict.

Every source gets a result from each check, passed or failed, so a report never reads "clean"
about a source that was not listed, an item that was not opened, or a share that was empty.
The records judged are privmap.coverage's (`Evidence.coverage`).
"""

from __future__ import annotations

from collections.abc import Iterator

from privmap.checks.base import Evidence, Outcome, check
from privmap.coverage import in_scope, inspected, kind_label


@check("COV-001")
def source_not_read(ev: Evidence) -> Iterator[Outcome]:
    for c in ev.coverage:
        subject = f"store:{c['source']}"
        if not c["gaps"]:
            yield Outcome(subject, "pass", f"listed {c['listed']} items; every listing and setting could be read")
            continue
        what = "could not be listed at all" if c["status"] == "not listed" else "could be read only in part"
        gaps = "; ".join(f"{g['kind']}: {g['message']}" for g in c["gaps"][:5])
        more = f" (and {len(c['gaps']) - 5} more)" if len(c["gaps"]) > 5 else ""
        yield Outcome(subject, "fail", f"{what}: {gaps}{more}")


@check("COV-002")
def items_not_inspected(ev: Evidence) -> Iterator[Outcome]:
    for c in ev.coverage:
        subject = f"store:{c['source']}"
        missing = sum(r["count"] for r in c["not_inspected"])
        if not missing:
            yield Outcome(subject, "pass", f"all {inspected(c)} items in scope were inspected")
            continue
        counts = ", ".join(
            f"{r['count']} {r['reason']} ({kind_label(r['media_type'])})"
            for r in sorted(c["not_inspected"], key=lambda r: (-r["count"], r["reason"], r["media_type"]))
        )
        yield Outcome(subject, "fail", f"{missing} of {in_scope(c)} items were not inspected: {counts}")


@check("COV-003")
def source_listed_nothing(ev: Evidence) -> Iterator[Outcome]:
    for c in ev.coverage:
        subject = f"store:{c['source']}"
        if c["listed"]:
            yield Outcome(subject, "pass", f"listed {c['listed']} items")
        else:
            why = " (it could not be listed: see COV-001)" if c["gaps"] else " (an unmounted share or an empty bucket?)"
            yield Outcome(subject, "fail", f"listed no items{why}")
