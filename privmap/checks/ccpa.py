"""California: CCPA / CPRA and the Shine the Light law (DOMAIN.md 7).

These checks apply only when `organization.california` says the CCPA applies; without it the
report leaves them out rather than passing them.
"""

from __future__ import annotations

from collections.abc import Iterator

from privmap.attribution import held_by
from privmap.checks.base import Evidence, Outcome, check, summarize
from privmap.config.models import Activity, Affiliate, California, Recipient
from privmap.data import covered, flags_of
from privmap.retention import rule_for

PERMITTED = ["essential"]  # §7027(m): providing the service, security, fraud prevention, legal duties


def _california(ev: Evidence) -> California | None:
    return ev.config.organization.california


def _parties(ev: Evidence) -> dict[str, Recipient | Affiliate]:
    inv = ev.config.inventory
    return {p.name: p for p in (*inv.affiliates, *inv.recipients)}  # a recipient entry says more: it wins


def _disclosures(ev: Evidence) -> Iterator[tuple[Activity, Recipient | Affiliate]]:
    parties = _parties(ev)
    for a in ev.config.inventory.activities:
        if a.role == "processor":
            continue  # the customer's disclosures, not ours
        for name in a.recipients:
            if name in parties:
                yield a, parties[name]


def _sells_or_shares(p: Recipient | Affiliate) -> bool:
    """A disclosure to a party that uses the data for its own purposes, or to a third party, is a sale or
    sharing unless it is a service provider's (§1798.140(ad), (ah))."""
    return bool(p.own_purposes) or getattr(p, "kind", None) == "third_party"


@check("CCPA-001")
def opt_out_of_sale(ev: Evidence) -> Iterator[Outcome]:
    ca = _california(ev)
    if ca is None:
        return
    for a, p in _disclosures(ev):
        if not _sells_or_shares(p):
            continue
        subject = f"transfer:{a.name}->{p.name}"
        uses = ", ".join(p.own_purposes) or "its own purposes"
        missing = [w for w, ok in (("opt-out link", ca.opt_out_link), ("GPC handling", ca.honours_gpc)) if not ok]
        if missing:
            why = f"{p.name} uses the data for {uses}; missing: {', '.join(missing)}"
            yield Outcome(subject, "fail", why, cause="ccpa:opt-out")
        else:
            yield Outcome(subject, "pass", f"opt-out at {ca.opt_out_link}; GPC honoured")


@check("CCPA-002")
def limit_sensitive_use(ev: Evidence) -> Iterator[Outcome]:
    ca = _california(ev)
    if ca is None:
        return
    for a in ev.config.inventory.activities:
        if a.role == "processor":
            continue
        spi = [f for f in held_by(a, ev.findings) if "spi" in flags_of(f["entity"])]
        beyond = [p for p in a.purposes if not covered(p, PERMITTED)]
        if not spi or not beyond:
            continue
        if ca.limit_use_link:
            yield Outcome(f"activity:{a.name}", "pass", f"limit-use link: {ca.limit_use_link}")
        else:
            yield Outcome(
                f"activity:{a.name}",
                "fail",
                f"sensitive personal information ({summarize(spi)}) used for {', '.join(beyond)} "
                "with no 'limit the use' mechanism",
                cause="ccpa:limit-use",
            )


@check("CCPA-003")
def shine_the_light(ev: Evidence) -> Iterator[Outcome]:
    """Disclosures to third parties (affiliates included) for their own direct marketing need a ledger for
    the previous calendar year and a contact channel (Cal. Civ. Code §1798.83)."""
    ca = _california(ev)
    if ca is None:
        return
    year = ev.as_of.year - 1
    stl = ca.shine_the_light
    for a, p in _disclosures(ev):
        if not any(covered(u, ["marketing"]) for u in p.own_purposes):
            continue
        subject = f"transfer:{a.name}->{p.name}"
        logged = [d for d in stl.disclosures if d.recipient == p.name and d.year == year]
        missing = [w for w, ok in (("contact channel", stl.contact), (f"ledger entry for {year}", logged)) if not ok]
        if missing:
            why = f"{p.name} markets with the data; missing: {', '.join(missing)}"
            yield Outcome(subject, "fail", why, cause=f"stl:{p.name}")
        else:
            yield Outcome(subject, "pass", f"{year} ledger lists {p.name}; requests to {stl.contact}")


@check("CCPA-004")
def retention_disclosed(ev: Evidence) -> Iterator[Outcome]:
    if _california(ev) is None:
        return
    inv = ev.config.inventory
    for a in inv.activities:
        if a.role == "processor":
            continue
        if isinstance(a.retention, str) and a.retention:
            yield Outcome(f"activity:{a.name}", "pass", f"retention stated: {a.retention}")
            continue
        missing = [c for c in a.data_categories if not ((r := rule_for(inv, a, c)) and r.declared)]
        if missing:
            yield Outcome(f"activity:{a.name}", "fail", f"no retention period stated for {', '.join(missing)}")
        else:
            yield Outcome(f"activity:{a.name}", "pass", "a retention period is stated for every category")
