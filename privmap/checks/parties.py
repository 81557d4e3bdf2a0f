"""Checks on the parties data reaches: processors' agreements, affiliates, unknown accounts."""

from __future__ import annotations

from collections.abc import Iterator

from privmap.checks.base import Evidence, Outcome, check, verdict
from privmap.checks.transfers import flows, graph, subject
from privmap.config.models import Recipient

PROCESSOR_KINDS = ("processor", "sub_processor", "affiliate_processor")


def processors(ev: Evidence) -> Iterator[tuple[str, Recipient]]:
    """(`recipient:<name>` subject, recipient) of every processor, sub-processor and processing
    affiliate in the inventory, by name."""
    for r in sorted(ev.config.inventory.recipients, key=lambda r: r.name):
        if r.kind in PROCESSOR_KINDS:
            yield f"recipient:{r.name}", r


@check("VND-001")
def processor_agreement(ev: Evidence) -> Iterator[Outcome]:
    for who, r in processors(ev):
        failure = None if r.dpa_signed_on else f"{r.kind.replace('_', ' ')} with no DPA date on record"
        yield verdict(who, failure, f"DPA signed on {r.dpa_signed_on}")


@check("VND-003")
def affiliate_agreement(ev: Evidence) -> Iterator[Outcome]:
    g = graph(ev)
    for node, d in sorted(g.nodes(data=True)):
        incoming = sorted(g.nodes[u]["label"] for u, _, e in g.in_edges(node, data=True) if e["kind"] == "flow")
        if d["kind"] != "affiliate" or not incoming:
            continue
        reached = f"receives data from {', '.join(incoming)}"
        if d["intra_group_agreement"] or d["transfer_mechanism"] == "bcr":
            covered = "an intra-group agreement" if d["intra_group_agreement"] else "binding corporate rules"
            yield Outcome(f"affiliate:{d['label']}", "pass", f"{reached}, under {covered}")
        else:
            yield Outcome(f"affiliate:{d['label']}", "fail", f"{reached}, with no intra-group agreement or BCRs")


@check("SEC-008")
def unregistered_account(ev: Evidence) -> Iterator[Outcome]:
    """Observed cross-account reach (grants, replicas, ownership) by accounts the inventory does not name."""
    g = graph(ev)
    for u, v, d in flows(ev):
        observed = [via for via in d["via"] if via in ("access", "ownership")]  # a replica's account: ownership
        target = g.nodes[v]
        if not observed:
            continue
        if target["kind"] == "account":
            yield Outcome(
                subject(ev, u, v), "fail", f"{target['label']} ({', '.join(observed)}) is in no inventory entry"
            )
        elif target["kind"] in ("affiliate", "recipient"):
            yield Outcome(subject(ev, u, v), "pass", f"the account belongs to {target['label']} ({target['kind']})")


@check("VND-002")
def authorised_sub_processors(ev: Evidence) -> Iterator[Outcome]:
    """Processors we engage in processor-role activities must be on each customer's authorised list."""
    inv = ev.config.inventory
    kinds = {r.name: r.kind for r in inv.recipients}
    for c in inv.controllers:
        done = [a for a in inv.activities if a.role == "processor" and (not c.activities or a.name in c.activities)]
        subs = sorted({r for a in done for r in a.recipients if kinds.get(r) in PROCESSOR_KINDS})
        if not subs:
            continue
        if c.sub_processors is None:
            yield Outcome(f"controller:{c.name}", "fail", f"uses {', '.join(subs)} with no authorised list on record")
            continue
        unlisted = [s for s in subs if s not in c.sub_processors]
        if unlisted:
            yield Outcome(f"controller:{c.name}", "fail", f"{', '.join(unlisted)} not on its authorised list")
        else:
            yield Outcome(f"controller:{c.name}", "pass", f"{', '.join(subs)} authorised")


@check("VND-004")
def processor_with_own_purposes(ev: Evidence) -> Iterator[Outcome]:
    for who, r in processors(ev):
        failure = (
            f"modelled as {r.kind.replace('_', ' ')} but uses the data for its own purposes: "
            + ", ".join(r.own_purposes)
            if r.own_purposes
            else None
        )
        yield verdict(who, failure, "no own purposes recorded")
