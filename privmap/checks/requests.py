"""Data-subject request checks: can `privmap locate` answer from all of a store (DSR-001), and is
a subject whose erasure was completed still found (DSR-002).

Evidence (from privmap.pipeline, `Evidence.extra`): `index` is `Store.index_coverage` (per source:
items holding personal data, indexed whole, in part, not at all); `erased` is
privmap.locate.erased_still_found (per subject: where its identifiers are still found), or
`erased_error` when the erased list could not be read. Without them the checks yield nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from privmap.checks.base import Evidence, Outcome, check


@check("DSR-001")
def store_outside_index(ev: Evidence) -> Iterator[Outcome]:
    for source, c in sorted(ev.extra.get("index", {}).items()):
        subject = f"store:{source}"
        if not c["part"] and not c["none"]:
            yield Outcome(subject, "pass", f"all {c['items']} items holding personal data are indexed whole")
            continue
        why = []
        if c["part"]:
            why.append(
                f"{c['part']} indexed only from a sample or in part (a sampled table, a large object, a failed part)"
            )
        if c["none"]:
            why.append(f"{c['none']} not indexed (read before the index existed: rescan with --full)")
        yield Outcome(
            subject, "fail", f"of {c['items']} items holding personal data, " + "; ".join(why) + ev.scope(source)
        )


@check("DSR-002")
def erased_subject_found(ev: Evidence) -> Iterator[Outcome]:
    if "erased_error" in ev.extra:
        yield Outcome("run", "error", f"the erased list could not be read: {ev.extra['erased_error']}")
        return
    for e in ev.extra.get("erased", []):
        subject = f"subject:{e['subject']}"
        on = f" (erased on {e['erased_on']})" if e["erased_on"] else ""
        found = e["still_found"]
        if not found:
            yield Outcome(subject, "pass", f"no identifier of the subject{on} is found in the index")
            continue
        places = sorted({f"{f['source']}: {f['uri']}" + (f" [{f['field']}]" if f["field"] else "") for f in found})
        more = f" (and {len(places) - 5} more)" if len(places) > 5 else ""
        yield Outcome(subject, "fail", f"still found{on} in {len(places)} place(s): {'; '.join(places[:5])}{more}")
