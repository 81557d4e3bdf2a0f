"""Checks on the posture of stores (Art. 32) and on replication flows, from the sources' facts.

A store "holds personal data" when the run has findings in it; a store whose posture could
not be read (the fact is missing) is not judged: its gap is in the report's problems.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from privmap.checks.base import Evidence, Outcome, check, summarize
from privmap.config.models import Config
from privmap.data import flags_of


def personal_data_stores(ev: Evidence) -> Iterator[tuple[str, str, dict[str, Any], list[dict[str, Any]]]]:
    """(source, store, facts, findings) for each store with findings, in a stable order."""
    facts = ev.store_facts()
    for (source, store), findings in sorted(ev.findings_by_store().items()):
        yield source, store, facts.get((source, store), {}), findings


def parties(config: Config) -> dict[str, tuple[str, str]]:
    """Account id -> (name, kind) of the affiliate or recipient of the inventory that owns it."""
    owners = {a: (aff.name, "affiliate") for aff in config.inventory.affiliates for a in aff.accounts}
    return owners | {a: (r.name, r.kind) for r in config.inventory.recipients for a in r.accounts}


def _party(known: dict[str, tuple[str, str]], account: str) -> str:
    name, kind = known.get(account) or ("unknown recipient", "")
    return f"{name} ({kind})" if kind else name


def _exposure(store: str, facts: dict[str, Any], holding: str) -> Outcome:
    """SEC-001's and SEC-002's verdict on one store; `holding` tells what it holds."""
    if not facts["public"]:
        return Outcome(f"store:{store}", "pass", "not publicly readable")
    reasons = "; ".join(facts.get("public_reasons") or [])
    return Outcome(f"store:{store}", "fail", f"publicly readable ({reasons}); {holding}")


@check("SEC-001")
def public_with_personal_data(ev: Evidence) -> Iterator[Outcome]:
    for _, store, facts, findings in personal_data_stores(ev):
        if "public" in facts:
            yield _exposure(store, facts, f"holds {summarize(findings)}")


@check("SEC-002")
def public_without_personal_data(ev: Evidence) -> Iterator[Outcome]:
    holding = ev.findings_by_store()
    for (source, store), facts in sorted(ev.store_facts().items()):
        if "public" in facts and (source, store) not in holding:  # stores with personal data are SEC-001's
            yield _exposure(store, facts, "no personal data found in it yet")


@check("SEC-004")
def encrypted_at_rest(ev: Evidence) -> Iterator[Outcome]:
    for _, store, facts, findings in personal_data_stores(ev):
        encryption = facts.get("encryption")
        if encryption is None:
            continue
        sensitive = [f for f in findings if flags_of(f["entity"]) & {"special", "high_risk"}]
        if not encryption["enabled"]:
            yield Outcome(
                f"store:{store}",
                "fail",
                f"no default encryption at rest; holds {summarize(findings)}",
                severity="high" if sensitive else None,
            )
        elif sensitive and not encryption.get("kms_key"):
            yield Outcome(
                f"store:{store}",
                "fail",
                f"encrypted with {encryption['algorithm']} but no customer-managed key, "
                f"and holds special-category or high-risk data: {summarize(sensitive)}",
                severity="high",
            )
        else:
            yield Outcome(f"store:{store}", "pass", f"encrypted at rest ({encryption['algorithm']})")


@check("SEC-007")
def access_logging(ev: Evidence) -> Iterator[Outcome]:
    for _, store, facts, findings in personal_data_stores(ev):
        if "logging" not in facts:
            continue
        if facts["logging"]:
            yield Outcome(f"store:{store}", "pass", "server access logging is on")
        else:
            yield Outcome(f"store:{store}", "fail", f"no server access logging; holds {summarize(findings)}")


@check("SEC-008")
def cross_account_access(ev: Evidence) -> Iterator[Outcome]:
    known = parties(ev.config)
    for _, store, facts, _findings in personal_data_stores(ev):
        grants = facts.get("grants")
        if grants is None:
            continue
        unknown = [g for g in grants if g["account"] not in known]
        if unknown:
            who = "; ".join(f"account {g['account']} ({g['principal']}: {', '.join(g['actions'])})" for g in unknown)
            yield Outcome(f"store:{store}", "fail", f"unknown recipient with access: {who}")
        elif grants:
            who = ", ".join(sorted({f"{g['account']} = {_party(known, g['account'])}" for g in grants}))
            yield Outcome(f"store:{store}", "pass", f"other accounts with access are in the inventory: {who}")
        else:
            yield Outcome(f"store:{store}", "pass", "no other account is granted access")


@check("TRF-007")
def replication_flows(ev: Evidence) -> Iterator[Outcome]:
    known = parties(ev.config)
    for source, store, facts, _findings in personal_data_stores(ev):
        region, account = facts.get("region"), facts.get("account")
        spec = next((s for s in ev.config.sources if s.name == source), None)
        own = {account, *(spec.options.get("accounts", []) if spec else [])} - {None}
        declared = {t.recipient for t in ev.config.inventory.transfers if t.source == source}
        for dest in facts.get("replication") or []:
            subject = f"transfer:{store}->s3://{dest['bucket']}"
            where = f"s3://{dest['bucket']} in {dest['region'] or 'an unknown region'}"
            if dest["account"] and dest["account"] not in own:
                recipient = known[dest["account"]][0] if dest["account"] in known else None
                where += f", account {dest['account']} ({_party(known, dest['account'])})"
            else:
                recipient = ev.config.organization.name  # a copy kept by the organisation itself
                if dest["region"] == region:
                    yield Outcome(subject, "pass", f"replicates to {where}: same region and account")
                    continue
            if recipient in declared:
                yield Outcome(subject, "pass", f"replicates to {where}; declared as a transfer to {recipient}")
            else:
                yield Outcome(
                    subject,
                    "fail",
                    f"replicates personal data from {region or 'an unknown region'} to {where}, "
                    f"and no transfer from {source} to {recipient or 'that account'} is declared",
                )
