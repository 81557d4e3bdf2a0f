"""Special-category data (GDPR Art. 9/10) found by the scan, and where the data map says it goes."""

from __future__ import annotations

from collections.abc import Iterator

import networkx as nx

from privmap.checks.base import Evidence, Outcome, check
from privmap.checks.transfers import graph
from privmap.data import flags_of


@check("SPC-001")
def special_category(ev: Evidence) -> Iterator[Outcome]:
    g = graph(ev)
    for source, findings in sorted(ev.findings_by_source().items()):
        special = sorted({f"{f['category']} ({f['entity']})" for f in findings if "special" in flags_of(f["entity"])})
        if not special:
            yield Outcome(f"store:{source}", "pass", "no special-category data found")
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
