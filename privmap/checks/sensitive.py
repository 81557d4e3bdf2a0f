"""High-risk data beyond detection: criminal-offence and children's data in a store (Art. 8, 10), the
conditions an activity needs for special categories and biometrics (Art. 9(2), 35), and when a DPIA
is due. Government ids and card numbers (SPC-004, SPC-005) are judged in stored_data.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from privmap.attribution import held_by
from privmap.checks.base import Evidence, Outcome, check, summarize
from privmap.config.models import Activity
from privmap.data import category_entry, covered, flags_of

BIOMETRIC = ["user.biometrics", "user.authorization.biometrics"]


def _found(ev: Evidence, categories: list[str], what: str, none: str) -> Iterator[Outcome]:
    """Fail each store holding any of `categories`, pass the others."""
    for source, findings in sorted(ev.findings_by_source().items()):
        hit = {c for c in {f["category"] for f in findings} if covered(c, categories)}
        hits = [f for f in findings if f["category"] in hit]
        if hits:
            yield Outcome(f"store:{source}", "fail", f"{what}: {summarize(hits)}")
        else:
            yield Outcome(f"store:{source}", "pass", none)


@check("SPC-003")
def criminal_offence_data(ev: Evidence) -> Iterator[Outcome]:
    yield from _found(ev, ["user.criminal_history"], "criminal-offence data found", "no criminal-offence data found")


@check("SPC-006")
def childrens_data(ev: Evidence) -> Iterator[Outcome]:
    yield from _found(ev, ["user.children"], "children's-data indicators found", "no children's-data indicators")


def _special(ev: Evidence, a: Activity) -> tuple[list[str], list[dict[str, Any]]]:
    """The special categories an activity declares, and the special-category findings it holds."""
    declared = [c for c in a.data_categories if category_entry(c)["special"]]
    found = [f for f in held_by(a, ev.findings) if "special" in flags_of(f["entity"])]
    return declared, found


@check("SPC-002")
def art9_condition(ev: Evidence) -> Iterator[Outcome]:
    """Controller activities with special-category data need an Art. 9(2) condition; for processor-role
    activities the controller chooses it (CNS-004 tells the customer)."""
    for a in ev.config.inventory.activities:
        declared, found = _special(ev, a)
        if a.role == "processor" or not (declared or found):
            continue
        what = ", ".join([*declared, *sorted({f["category"] for f in found})])
        if a.art9_condition:
            yield Outcome(f"activity:{a.name}", "pass", f"{what} under Art. 9(2) condition: {a.art9_condition}")
        else:
            yield Outcome(f"activity:{a.name}", "fail", f"{what} with no Art. 9(2) condition recorded")


def _biometric(ev: Evidence, a: Activity) -> bool:
    return (
        a.biometric_identification
        or any(covered(c, BIOMETRIC) for c in a.data_categories)
        or any(covered(f["category"], BIOMETRIC) for f in held_by(a, ev.findings))
    )


@check("SPC-007")
def biometric_processing(ev: Evidence) -> Iterator[Outcome]:
    for a in ev.config.inventory.activities:
        if not _biometric(ev, a):
            continue
        missing = [
            what
            for what, ok in (("a DPIA", a.dpia), ("an explicit-consent record", a.consent_record or a.art9_condition))
            if not ok
        ]
        if missing:
            yield Outcome(f"activity:{a.name}", "fail", f"biometric identification; missing: {', '.join(missing)}")
        else:
            yield Outcome(
                f"activity:{a.name}", "pass", f"DPIA: {a.dpia}; consent: {a.consent_record or a.art9_condition}"
            )


def high_risk_indicators(ev: Evidence, a: Activity) -> list[str]:
    """WP248 criteria an activity meets, in words: special categories, biometrics, children, automated
    decisions, and high-risk identifiers (national ids, cards) found in what it holds."""
    declared, found = _special(ev, a)
    held = held_by(a, ev.findings)
    out = []
    if declared or found:
        out.append("special-category data")
    if _biometric(ev, a):
        out.append("biometric identification")
    if any(covered(c, ["user.children"]) for c in a.data_categories) or any(
        covered(f["category"], ["user.children"]) for f in held
    ):
        out.append("children's data")
    if a.automated_decisions:
        out.append("automated decisions")
    risky = sorted({f["category"] for f in held if "high_risk" in flags_of(f["entity"])})
    if risky:
        out.append(f"high-risk data ({', '.join(risky)})")
    return out


@check("DPIA-001")
def dpia_linked(ev: Evidence) -> Iterator[Outcome]:
    for a in ev.config.inventory.activities:
        indicators = high_risk_indicators(ev, a)
        if not indicators or (indicators[-1].startswith("high-risk data") and len(indicators) == 1):
            continue  # high-risk identifiers alone are one WP248 criterion; a DPIA is due with two
        if a.dpia:
            yield Outcome(f"activity:{a.name}", "pass", f"DPIA: {a.dpia}")
        else:
            yield Outcome(f"activity:{a.name}", "fail", f"{'; '.join(indicators)}, and no DPIA linked")
