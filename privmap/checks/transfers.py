"""International transfer checks (GDPR Chapter V), read off the data map in `Evidence.graph`.

The graph already holds every flow, declared or observed, with its destination zone and the
legal basis judged on the run's date (privmap.data.legal); these checks decide which finding
each flow deserves. A failure is reported once, by the check that names its cause: Privacy
Shield (TRF-002), an uncertified DPF importer (TRF-003) and legacy SCCs (TRF-004) are not
repeated under the general TRF-001.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import networkx as nx

from privmap.checks.base import Evidence, Outcome, check
from privmap.data import legal

Flow = tuple[str, str, dict[str, Any]]
INVALIDATED = ("privacy_shield", "safe_harbour")
STORAGE_VIA = ("replication", "placement")


def graph(ev: Evidence) -> nx.DiGraph:
    """The run's data map; an empty one when none was built (nothing to check then)."""
    return ev.graph if ev.graph is not None else nx.DiGraph()


def flows(ev: Evidence, *, transfers_only: bool = False) -> Iterator[Flow]:
    """Flow edges of the data map in a stable order.

    With `transfers_only`, the flows that leave the EEA; data resting in a place (a store's
    region, a replica) under a declared transfer to a party there is judged once, on the
    flow to that party.
    """
    g = graph(ev)
    for u, v, d in sorted(g.edges(data=True), key=lambda e: (e[0], e[1])):
        if d["kind"] != "flow":
            continue
        if transfers_only and (not d.get("basis") or (d["party"] and g.nodes[v]["kind"] in ("store", "location"))):
            continue
        yield u, v, d


def subject(ev: Evidence, u: str, v: str) -> str:
    g = graph(ev)
    return f"transfer:{g.nodes[u]['label']}->{g.nodes[v]['label']}"


def cause(v: str, d: dict[str, Any]) -> str:
    """The root cause of a flow's verdict: the party whose agreement covers it (one Privacy Shield
    affiliate is one failure, however many flows reach it), else the place the data rests in (a
    Singapore cache is one failure under TRF-001, TRF-007 and TRF-012)."""
    return f"party:{d['party']}" if d.get("party") else f"place:{v}"


def _owner(d: dict[str, Any]) -> str:
    """The check that reports this flow's missing basis."""
    problem = d["basis"]["problem"]
    if problem == "expired" and d["mechanism"] in INVALIDATED:
        return "TRF-002"
    if problem == "expired" and d["mechanism"] == "scc_legacy":
        return "TRF-004"
    if problem == "uncertified":
        return "TRF-003"
    return "TRF-001"


def _described(d: dict[str, Any]) -> str:
    cats = ", ".join(d["categories"]) or "no categories observed"
    return f"{d['basis']['reason']}; via {', '.join(d['via'])}; categories: {cats}"


def _basis_outcomes(ev: Evidence, onward: bool) -> Iterator[Outcome]:
    for u, v, d in flows(ev, transfers_only=True):
        if (d["via"] == ["onward"]) != onward:
            continue
        if d["basis"]["valid"]:
            yield Outcome(subject(ev, u, v), "pass", _described(d))
        elif _owner(d) == "TRF-001":
            yield Outcome(subject(ev, u, v), "fail", _described(d), cause=cause(v, d))


@check("TRF-001")
def third_country_without_mechanism(ev: Evidence) -> Iterator[Outcome]:
    """Data leaving the EEA (a recipient, a store's region, a replica) without a valid mechanism."""
    yield from _basis_outcomes(ev, onward=False)


@check("TRF-013")
def onward_transfer_without_mechanism(ev: Evidence) -> Iterator[Outcome]:
    """A processor's sub-processor outside the EEA: the chain needs a valid mechanism for that hop."""
    yield from _basis_outcomes(ev, onward=True)


def _reliance(ev: Evidence, mechanisms: tuple[str, ...], owner: str, fine: str) -> Iterator[Outcome]:
    for u, v, d in flows(ev, transfers_only=True):
        if d["mechanism"] in mechanisms:
            failed = not d["basis"]["valid"] and _owner(d) == owner
            status = "fail" if failed else "pass"
            yield Outcome(subject(ev, u, v), status, d["basis"]["reason"] if failed else fine, cause=cause(v, d))


@check("TRF-002")
def privacy_shield(ev: Evidence) -> Iterator[Outcome]:
    yield from _reliance(ev, INVALIDATED, "TRF-002", f"the recorded framework was still valid on {ev.as_of}")


@check("TRF-003")
def dpf_certification(ev: Evidence) -> Iterator[Outcome]:
    yield from _reliance(ev, ("dpf",), "TRF-003", "the importer is declared active on the DPF List")


@check("TRF-004")
def legacy_scc(ev: Evidence) -> Iterator[Outcome]:
    yield from _reliance(ev, ("scc_legacy",), "TRF-004", f"legacy SCCs could still be relied on on {ev.as_of}")


def _party(ev: Evidence, d: dict[str, Any]) -> dict[str, Any]:
    return graph(ev).nodes[d["party"]] if d.get("party") else {}


@check("TRF-005")
def tia_for_safeguards(ev: Evidence) -> Iterator[Outcome]:
    for u, v, d in flows(ev, transfers_only=True):
        entry = legal.mechanisms().get(d["mechanism"] or "none", {})
        if entry.get("basis") != "safeguard" or legal.rank(d["zone"]) < legal.rank("US"):
            continue  # TIAs are for SCCs and BCRs towards destinations without adequacy
        tia = _party(ev, d).get("tia_link")
        status = "pass" if tia else "fail"
        yield Outcome(subject(ev, u, v), status, f"{entry['title']}: " + (f"TIA at {tia}" if tia else "no TIA linked"))


@check("TRF-006")
def scc_module_roles(ev: Evidence) -> Iterator[Outcome]:
    for u, v, d in flows(ev, transfers_only=True):
        entry = legal.mechanisms().get(d["mechanism"] or "none", {})
        importer = _party(ev, d).get("role")
        if "exporter" not in entry or importer is None:
            continue  # not an SCC module, or the importer's role is not recorded
        exporter = "controller" if d["exporter_role"] == "joint" else d["exporter_role"]
        roles = f"exporter {exporter}, importer {importer}"
        if (exporter, importer) == (entry["exporter"], entry["importer"]):
            yield Outcome(subject(ev, u, v), "pass", f"{entry['title']} fits: {roles}")
        else:
            yield Outcome(
                subject(ev, u, v),
                "fail",
                f"{entry['title']} is for {entry['exporter']} to {entry['importer']}: {roles}",
            )


@check("TRF-007")
def undeclared_replication(ev: Evidence) -> Iterator[Outcome]:
    g = graph(ev)
    for u, v, d in flows(ev):
        if not set(d["via"]) & set(STORAGE_VIA):
            continue
        home, there = g.nodes[u]["region_zone"], d["zone"]
        if legal.UNKNOWN in (home, there):
            continue  # TRF-010 names the unmapped region
        where = f"{g.nodes[u]['region']} ({home}) to {g.nodes[v]['label']} ({there})"
        if home == there:
            yield Outcome(subject(ev, u, v), "pass", f"{where}: same zone")
        elif d["declared"]:
            yield Outcome(subject(ev, u, v), "pass", f"{where}: declared in the source's replicas")
        else:
            yield Outcome(
                subject(ev, u, v), "fail", f"{where}: the source declares no replica there", cause=f"place:{v}"
            )


@check("TRF-008")
def systematic_derogation(ev: Evidence) -> Iterator[Outcome]:
    for u, v, d in flows(ev, transfers_only=True):
        if legal.mechanisms().get(d["mechanism"] or "none", {}).get("basis") != "derogation":
            continue
        recurring = [via for via in d["via"] if via != "transfer"]
        if recurring:
            why = f"{d['mechanism']} for a recurring flow ({', '.join(recurring)}): derogations are for occasional ones"
            yield Outcome(subject(ev, u, v), "fail", why)
        else:
            yield Outcome(subject(ev, u, v), "pass", f"{d['mechanism']} for a declared one-off transfer")


@check("TRF-009")
def unrecorded_remote_access(ev: Evidence) -> Iterator[Outcome]:
    g = graph(ev)
    for u, v, d in flows(ev):
        if not {"access", "ownership"} & set(d["via"]):
            continue
        party = g.nodes[v]
        if party["kind"] not in ("affiliate", "recipient") or party["zone"] == "EEA":
            continue  # unknown accounts: SEC-008; EEA entities: not a transfer
        reached = f"{party['label']} ({party['country']}) reaches {g.nodes[u]['label']} by {', '.join(d['via'])}"
        if d["declared"]:  # the map counts an activity's recipients as declared
            yield Outcome(subject(ev, u, v), "pass", f"{reached}, recorded as a transfer")
        else:
            yield Outcome(subject(ev, u, v), "fail", f"{reached}, not recorded as a transfer or activity recipient")


@check("TRF-010")
def unmapped_region(ev: Evidence) -> Iterator[Outcome]:
    for _, d in sorted(graph(ev).nodes(data=True)):
        if d["kind"] not in ("store", "location") or not (d.get("region") or d.get("locations")):
            continue
        where = f"{d['kind']}:{d['label']}"
        if d["unknown_regions"]:
            codes = ", ".join(d["unknown_regions"])
            yield Outcome(where, "fail", f"region {codes} is not in the zone map (regions.yaml): zone UNKNOWN")
        else:
            yield Outcome(where, "pass", f"{', '.join(d['countries'])}: zone {d['zone']}")


@check("TRF-011")
def adequacy_caveats(ev: Evidence) -> Iterator[Outcome]:
    for u, v, d in flows(ev, transfers_only=True):
        basis = d["basis"]
        if basis["valid"] and basis["decision"]:
            status = "fail" if basis["caveat"] else "pass"
            yield Outcome(subject(ev, u, v), status, f"{basis['decision']}: {basis['caveat'] or 'no known caveat'}")


@check("TRF-012")
def undeclared_location(ev: Evidence) -> Iterator[Outcome]:
    g = graph(ev)
    promised = g.graph.get("storage_locations") or []
    for n, d in sorted(g.nodes(data=True)):
        if d["kind"] != "store" or not d["scanned"] or not d["categories"] or not d["countries"]:
            continue
        outside = [
            f"{c} is outside the declared storage locations ({', '.join(promised)})"
            for c in d["countries"]
            if promised and not ("EEA" in promised and legal.is_eea(c)) and c not in promised
        ] + [
            f"{c} is outside the countries its source declares ({', '.join(d['declared_countries'])})"
            for c in d["countries"]
            if d["declared_countries"] and c not in d["declared_countries"]
        ]
        if not promised and not d["declared_countries"]:
            continue  # nothing declared to compare with: INV-008 asks for a region
        where = f"{d['region'] or ', '.join(d['locations'])} ({', '.join(d['countries'])})"
        if outside:
            why = f"personal data rests in {where}: " + "; ".join(outside)
            yield Outcome(f"store:{d['label']}", "fail", why, cause=f"place:{n}")
        else:
            yield Outcome(f"store:{d['label']}", "pass", f"{where} is a declared location")
