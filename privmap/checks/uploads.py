"""Uploads: consent evidence for controller-role uploads (CNS-001), and for processor-role uploads the
customer's documented instructions (CNS-005) and special-category data outside its declared use
(CNS-004). They judge the per-upload verdicts privmap.uploads recorded for the run
(`Evidence.extra["uploads"]`); a run without them has nothing to judge here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from privmap.checks.base import Evidence, Outcome, check, summarize
from privmap.data import covered, flags_of

_FAILED = {
    "missing": "no consent evidence",
    "unknown": "consent id not in the ledger",
    "purpose": "consent for another purpose",
    "withdrawn": "consent withdrawn",
    "late": "consent given after the upload",
}
# detector flags that put an upload outside a customer's ordinary instructions
_SENSITIVE = frozenset({"special", "child"})


def _verdicts(ev: Evidence, role: str) -> list[dict[str, Any]]:
    return [v for v in ev.extra.get("uploads", []) if v["role"] == role]


def _by_uri(ev: Evidence, verdicts: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """uri -> findings, for the uploads judged (none to group when no source takes uploads)."""
    wanted = {v["uri"] for v in verdicts}
    out: dict[str, list[dict[str, Any]]] = {}
    for f in ev.findings if wanted else ():
        if f["uri"] in wanted:
            out.setdefault(f["uri"], []).append(f)
    return out


def masked_id(consent_id: str | None) -> str:
    """A consent id shown by its first two characters only: enough to tell ids apart in a report."""
    return f"{consent_id[:2]}***" if consent_id else "none"


@check("CNS-001")
def upload_consent(ev: Evidence) -> Iterator[Outcome]:
    verdicts = _verdicts(ev, "controller")
    findings = _by_uri(ev, verdicts)
    for v in verdicts:
        what = summarize(findings.get(v["uri"], [])) or "personal data"
        subject = f"object:{v['uri']}"
        consent = f"consent {masked_id(v['consent_id'])}: " if v["consent_id"] else ""
        evidence = f"{what}; {consent}{v['detail']}"
        if v["status"] == "valid":
            yield Outcome(subject, "pass", evidence)
        elif v["status"] in _FAILED:
            yield Outcome(subject, "fail", f"{_FAILED[v['status']]}: {evidence}")
        else:  # the ledger could not be read: not examined, so neither pass nor fail
            yield Outcome(subject, "error", f"consent not verified: {evidence}")


def _declared_use(ev: Evidence, tenant: str | None, source: str) -> list[str]:
    """Data categories the customer's processor-role activities declare for this store."""
    inventory = ev.config.inventory
    party = next((c for c in inventory.controllers if c.name == tenant), None)
    names = set(party.activities) if party and party.activities else None
    return [
        c
        for a in inventory.activities
        if a.role == "processor" and source in a.stores and (names is None or a.name in names)
        for c in a.data_categories
    ]


@check("CNS-004")
def processor_upload_sensitive(ev: Evidence) -> Iterator[Outcome]:
    verdicts = _verdicts(ev, "processor")
    findings = _by_uri(ev, verdicts)
    for v in verdicts:
        declared = _declared_use(ev, v["tenant"], v["source"])
        sensitive = [
            f
            for f in findings.get(v["uri"], [])
            if flags_of(f["entity"]) & _SENSITIVE and not covered(f["category"], declared)
        ]
        subject = f"object:{v['uri']}"
        tenant = v["tenant"] or "the customer (no tenant matched)"
        if sensitive:
            yield Outcome(subject, "fail", f"{summarize(sensitive)} outside {tenant}'s declared use: notify {tenant}")
        else:
            yield Outcome(subject, "pass", "no special-category or children's data outside the declared use")


@check("CNS-005")
def processor_upload_instructions(ev: Evidence) -> Iterator[Outcome]:
    for v in _verdicts(ev, "processor"):
        if v["status"] != "undeclared":  # judged once customers declare where their uploads go
            yield Outcome(f"object:{v['uri']}", "pass" if v["status"] == "within" else "fail", v["detail"])
