"""Security of processing (Art. 32): checks on the posture facts of the stores that hold personal data.

A store "holds personal data" when the run has findings in it; a store whose posture could
not be read (the fact is missing) is not judged: its gap is in the report's problems.
Cross-account grants (SEC-008) and replication (TRF-007) are flows of the data map: see
privmap/checks/parties.py and transfers.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from privmap.checks.base import Evidence, Outcome, check, summarize, verdict
from privmap.data import flags_of


def personal_data_stores(ev: Evidence) -> Iterator[tuple[str, str, dict[str, Any], list[dict[str, Any]]]]:
    """(source, store, facts, findings) for each store with findings, in a stable order."""
    facts = ev.store_facts()
    for (source, store), findings in sorted(ev.findings_by_store().items()):
        yield source, store, facts.get((source, store), {}), findings


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
            yield _exposure(store, facts, f"no personal data found in it{ev.scope(source)}")


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


# what each store kind calls its access logs (GCS: usage logs); S3's name for the rest
_ACCESS_LOGS = {"gs": "usage logging"}


@check("SEC-007")
def access_logging(ev: Evidence) -> Iterator[Outcome]:
    for _, store, facts, findings in personal_data_stores(ev):
        if "logging" not in facts:
            continue
        logs = _ACCESS_LOGS.get(store.partition("://")[0], "server access logging")
        if facts["logging"]:
            yield Outcome(f"store:{store}", "pass", f"{logs} is on")
        else:
            yield Outcome(f"store:{store}", "fail", f"no {logs}; holds {summarize(findings)}")


# database dumps and snapshots by their names, compressed or not (`crm-2024-01-01.sql.gz`, `users.bson`)
_DUMP = re.compile(
    r"\.(sql|dump|pgdump|backup|bak|sqlite3?|db|bson|rdb|mdb|accdb)(\.(gz|bz2|xz|zst|zip|7z|tar))?$", re.IGNORECASE
)


@check("SEC-003")
def database_reachable(ev: Evidence) -> Iterator[Outcome]:
    """Databases reachable from the internet (fact `publicly_reachable` of the SQL sources: the
    address the server is reached at, or the source's declaration; privmap.scanner.sources.network),
    and database dumps or snapshots in buckets (items named like `backup.sql.gz`) judged by the
    bucket's `public` fact. A bucket without such items is SEC-001's and SEC-002's."""
    facts = ev.store_facts()
    for (_, store), known in sorted(facts.items()):
        if "publicly_reachable" in known:
            reasons = "; ".join(known.get("public_reasons") or []) or "reachable from any address"
            failure = reasons if known["publicly_reachable"] else None
            yield verdict(f"store:{store}", failure, known.get("network") or "not reachable from the internet")
    dumps: dict[tuple[str, str], list[str]] = {}
    for i in ev.items:
        name = (i.get("metadata") or {}).get("path") or i["uri"]
        if _DUMP.search(name):
            dumps.setdefault((i["source"], i["store"]), []).append(name)
    for (source, store), names in sorted(dumps.items()):
        known = facts.get((source, store), {})
        if "public" not in known:
            continue  # the bucket's exposure could not be read: a gap, not a verdict
        what = f"{len(names)} database dump(s) or snapshot(s) (e.g. {sorted(names)[0]})"
        reasons = "; ".join(known.get("public_reasons") or [])
        failure = f"{what} in a publicly readable bucket ({reasons})" if known["public"] else None
        yield verdict(f"store:{store}", failure, f"{what}, in a bucket that is not publicly readable")


@check("SEC-006")
def recoverable(ev: Evidence) -> Iterator[Outcome]:
    """A primary store of personal data (not a replica) needs versioning, backups or PITR."""
    for _, store, facts, findings in personal_data_stores(ev):
        if "versioning" not in facts and "backups" not in facts:
            continue
        if facts.get("versioning") == "Enabled" or facts.get("backups"):
            how = "versioning is on" if facts.get("versioning") == "Enabled" else "backups are on"
            yield Outcome(f"store:{store}", "pass", how)
        else:
            state = str(facts.get("versioning", "off")).lower()
            yield Outcome(f"store:{store}", "fail", f"versioning {state} and no backups; holds {summarize(findings)}")


@check("SEC-005")
def tls_enforced(ev: Evidence) -> Iterator[Outcome]:
    """Every store whose `tls` fact is known ({enforced: bool | None, evidence}); unknown is not judged."""
    for (_, store), facts in sorted(ev.store_facts().items()):
        tls = facts.get("tls")
        if not tls or tls.get("enforced") is None:
            continue
        yield Outcome(f"store:{store}", "pass" if tls["enforced"] else "fail", tls["evidence"])
