"""Special-category data (GDPR Art. 9/10) found by the scan, and where the data map says it goes."""

from __future__ import annotations

from collections.abc import Iterator

import networkx as nx

from privmap.checks.base import Evidence, Outcome, check
from privmap.checks.transfers import graph
from privmap.data import flags_of, load_table


def _recognised() -> str:
    """The special categories the detectors can find (a pass on SPC-001 means no more than this)."""
    entities = load_table("entity_categories")["entities"]
    return ", ".join(sorted({e["category"] for e in entities.values() if "special" in (e.get("flags") or [])}))


@check("SPC-001")
def special_category(ev: Evidence) -> Iterator[Outcome]:
    g = graph(ev)
    by_source = ev.findings_by_source()
    # every source is judged, those with no findings at all too: their pass says what it rests on
    for source in sorted({s.name for s in ev.config.sources} | set(by_source)):
        findings = by_source.get(source, [])
        special = sorted({f"{f['category']} ({f['entity']})" for f in findings if "special" in flags_of(f["entity"])})
        if not special:
            yield Outcome(
                f"store:{source}",
                "pass",
                f"no special-category data found; the scan recognises {_recognised()}, by vocabulary in "
                f"context in the detection languages{ev.scope(source)}",
            )
            continue
        stores = [n for n, d in g.nodes(data=True) if d["kind"] == "store" and d["source"] == source]
        reach = sorted(
            {
                g.nodes[n]["label"]
                for s in stores
                for n in nx.descendants(g, s)
                if g.nodes[n]["kind"] in ("recipient", "affiliate", "account")
            }
        )
        where = f"; it reaches {', '.join(reach)}" if reach else ""
        yield Outcome(f"store:{source}", "fail", f"found {', '.join(special)}{where}")


@check("SPC-008")
def precise_location_in_public_media(ev: Evidence) -> Iterator[Outcome]:
    """Media whose metadata carries GPS coordinates (EXIF/XMP GPS, video `©xyz`: the GPS_COORDINATES
    findings of privmap/scanner/extractors/media.py) in a store the posture facts say is publicly
    readable. Stores whose exposure could not be read are not judged (their gap is a problem)."""
    facts = ev.store_facts()
    for (source, store), findings in sorted(ev.findings_by_store().items()):
        located = sorted({f["uri"] for f in findings if f["entity"] == "GPS_COORDINATES"})
        public = facts.get((source, store), {}).get("public")
        if not located or public is None:
            continue
        count = f"{len(located)} media file{'s' * (len(located) != 1)} with precise location (GPS) in metadata"
        if public:
            reasons = "; ".join(facts[(source, store)].get("public_reasons") or [])
            yield Outcome(f"store:{store}", "fail", f"{count}, publicly readable ({reasons}); e.g. {located[0]}")
        else:
            yield Outcome(f"store:{store}", "pass", f"{count}, not publicly readable")
