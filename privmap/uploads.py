"""Judging uploads: consent evidence for controller-role upload sources, the customer's documented
instructions for processor-role ones (DOMAIN.md 2.1: processor data has no basis of ours; the test is
"within documented instructions", Art. 28(3)(a), not "has consent").

After a source is crawled, `assess` records one verdict per upload holding personal data in the
run; checks CNS-001, CNS-004 and CNS-005 judge those verdicts. Verdicts are kept per run, so a past
run's report shows the consent state as it was then.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

from privmap.config.models import Config, ControllerParty, SourceConfig
from privmap.consent import Ledger, LedgerError, judge, timestamp
from privmap.model import Item, Location
from privmap.scanner.sources.base import EVIDENCE_READERS
from privmap.store import Store

log = logging.getLogger("privmap")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads (
    run_id INTEGER NOT NULL, source TEXT NOT NULL, uri TEXT NOT NULL, role TEXT NOT NULL,
    status TEXT NOT NULL, detail TEXT NOT NULL, consent_id TEXT, tenant TEXT, region TEXT,
    PRIMARY KEY (run_id, source, uri));
CREATE INDEX IF NOT EXISTS uploads_by_item ON uploads (source, uri, run_id);
"""


@dataclass(frozen=True)
class Verdict:
    """One upload's standing in one run.

    role controller: status valid | missing | unknown | purpose | withdrawn | late | ledger-error
    role processor: status within | no-tenant | region | undeclared (no customer declares prefixes)
    """

    source: str
    uri: str
    role: str
    status: str
    detail: str
    consent_id: str | None = None
    tenant: str | None = None
    region: str | None = None


def role_of(config: Config, spec: SourceConfig) -> str | None:
    """The source's GDPR role: its own, else the role of the activities that list it (when they agree)."""
    if spec.role:
        return spec.role
    roles = {a.role for a in config.inventory.activities if spec.name in a.stores}
    return roles.pop() if len(roles) == 1 else None


def reads_evidence_again(source: Any, *, named: bool = False) -> bool:
    """Whether the consent evidence of an unchanged upload of `source` is read again (its `metadata`):
    where evidence can change while the listing shows the object unchanged (an S3 tag, a local sidecar
    or xattr). A GCS metadata change bumps the object's metageneration, so it is listed as changed and
    read anew: GCS needs no second look, and an unchanged GCS upload costs no request.
    Where the source's events tell of every such change (`evidence_events`: S3 `tag_events`), evidence
    is read only for an upload the watch was `named` (by an event, its listing or its re-check); polling
    every failing upload would cost one request each per run for changes the queue already announces."""
    return hasattr(source, "metadata") and (named or not getattr(source, "evidence_events", False))


def evidence_may_change(metadata: dict[str, str], key: str) -> bool:
    """Whether the consent evidence of an upload unchanged since `metadata` was stored may be other than
    it was: not when its consent id is in the object's user metadata (`meta:`), which evidence_id takes
    first and which changes only with a new upload (a new fingerprint, so the object is read anew).
    Otherwise a tag, a sidecar or an xattr may have been added or changed since."""
    return not metadata.get(f"meta:{key}")


def evidence_id(metadata: dict[str, str], key: str) -> str | None:
    """The consent id among an item's metadata: S3 user metadata, S3 tag, sidecar key, then xattr."""
    for name in (f"meta:{key}", f"tag:{key}", f"sidecar:{key}", f"xattr:user.{key}"):
        if metadata.get(name):
            return metadata[name].strip()
    return None


class UploadStore:
    """The per-run upload verdicts, in the run store's database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.ensure_tables(_SCHEMA)

    def save(self, run_id: int, verdicts: list[Verdict]) -> None:
        with self.store.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO uploads VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (run_id, v.source, v.uri, v.role, v.status, v.detail, v.consent_id, v.tenant, v.region)
                    for v in verdicts
                ],
            )

    def previous(self, source: str, run_id: int) -> dict[str, Verdict]:
        """uri -> the latest verdict before `run_id` for each upload of `source`."""
        rows = self.store.db.execute(
            "SELECT u.* FROM uploads u JOIN (SELECT uri, max(run_id) AS r FROM uploads"
            " WHERE source = ? AND run_id < ? GROUP BY uri) p ON u.uri = p.uri AND u.run_id = p.r"
            " WHERE u.source = ?",
            (source, run_id, source),
        ).fetchall()
        return {r["uri"]: _verdict(r) for r in rows}

    def verdicts(self, run_id: int) -> list[dict[str, Any]]:
        rows = self.store.db.execute("SELECT * FROM uploads WHERE run_id = ? ORDER BY source, uri", (run_id,))
        return [asdict(_verdict(r)) for r in rows]


def _verdict(r: Any) -> Verdict:
    return Verdict(
        r["source"], r["uri"], r["role"], r["status"], r["detail"], r["consent_id"], r["tenant"], r["region"]
    )


def assess(
    config: Config,
    spec: SourceConfig,
    source: Any,
    store: Store,
    run_id: int,
    ledger: Ledger | LedgerError | None,
    *,
    named: bool = False,
) -> list[Verdict]:
    """Verdicts for the uploads of `spec` (an `uploads: true` source) that hold personal data in the
    run, saved in the store and returned. `ledger` is the open consent ledger, the error met opening
    it, or None when none is configured. `named`: the run is a watch batch, whose items an intake
    named (see reads_evidence_again)."""
    role = role_of(config, spec)
    if role not in ("controller", "processor"):
        return []
    findings: dict[str, list[dict[str, Any]]] = {}
    for f in store.findings(run_id):
        if f["source"] == spec.name and not f["test_data"]:
            findings.setdefault(f["uri"], []).append(f)
    items = {i["uri"]: i for i in store.items(run_id) if i["source"] == spec.name and i["uri"] in findings}
    uploads = UploadStore(store)
    if role == "controller":
        previous = uploads.previous(spec.name, run_id)
        verdicts = list(_consent(config, spec, source, items, previous, ledger, named=named))
    else:
        verdicts = [_instructions(config, spec, item) for item in items.values()]
    uploads.save(run_id, verdicts)
    return verdicts


def _consent(
    config: Config,
    spec: SourceConfig,
    source: Any,
    items: dict[str, Any],
    previous: dict[str, Verdict],
    ledger: Ledger | LedgerError | None,
    *,
    named: bool,
) -> Iterator[Verdict]:
    purposes = sorted(
        {p for a in config.inventory.activities if spec.name in a.stores and a.role == "controller" for p in a.purposes}
    )
    at = dt.datetime.now(dt.UTC)
    stored = {uri: json.loads(i["metadata"] or "{}") for uri, i in items.items()}
    # the content of an unchanged upload whose consent did not hold is the same, but its evidence may
    # not be (a consent tag added since): read again, a few at a time (one request each on S3)
    stale = [
        i
        for uri, i in items.items()
        if i["state"] == "unchanged"
        and _needs_evidence(previous.get(uri))
        and reads_evidence_again(source, named=named)
        and evidence_may_change(stored[uri], config.consent.key)
    ]
    with ThreadPoolExecutor(EVIDENCE_READERS) as pool:
        fresh = dict(zip((i["uri"] for i in stale), pool.map(partial(_evidence, spec, source), stale), strict=True))
    for uri, item in sorted(items.items()):
        metadata = stored[uri]
        consent_id = evidence_id(metadata | (fresh.get(uri) or {}), config.consent.key)
        prev = previous.get(uri)
        if item["state"] == "unchanged" and not _needs_evidence(prev):
            consent_id = prev.consent_id if prev else None  # still looked up: a consent may be withdrawn since
        uploaded = timestamp(metadata.get("modified"))
        region = item["region"]
        if consent_id is None:
            yield Verdict(spec.name, uri, "controller", "missing", f"no {config.consent.key} evidence", region=region)
            continue
        if ledger is None or isinstance(ledger, LedgerError):
            why = str(ledger) if ledger else "no consent ledger is configured (consent.ledger)"
            yield Verdict(spec.name, uri, "controller", "ledger-error", why, consent_id, region=region)
            continue
        try:
            j = judge(ledger.records(consent_id), purposes, uploaded, at)
        except LedgerError as exc:
            yield Verdict(spec.name, uri, "controller", "ledger-error", str(exc), consent_id, region=region)
            continue
        yield Verdict(spec.name, uri, "controller", j.status, j.detail, consent_id, region=region)


def _needs_evidence(prev: Verdict | None) -> bool:
    return not (prev and prev.status == "valid")


def _evidence(spec: SourceConfig, source: Any, item: Any) -> dict[str, str] | None:
    """An upload's evidence as it is now; None when it cannot be read (judged on what was stored)."""
    try:
        return dict(source.metadata(_as_item(item)))
    except Exception as exc:
        log.warning("upload metadata unreadable", extra={"source": spec.name, "detail": type(exc).__name__})
        return None


def _as_item(row: Any) -> Item:
    return Item(Location(row["source"], row["uri"]), row["store"], row["fingerprint"], row["size"], row["region"])


def tenant_of(controllers: list[ControllerParty], path: str) -> ControllerParty | None:
    """The controller whose upload prefix is the longest that `path` starts with."""
    matches = [(len(p), c) for c in controllers for p in c.prefixes if path.startswith(p)]
    return max(matches, key=lambda m: m[0])[1] if matches else None


def _instructions(config: Config, spec: SourceConfig, item: Any) -> Verdict:
    path = json.loads(item["metadata"] or "{}").get("path") or item["uri"]
    region = item["region"] or spec.region
    controllers = config.inventory.controllers
    tenant = tenant_of(controllers, path)
    if tenant is None and not any(c.prefixes for c in controllers):
        # no customer's uploads are located by prefix: the instructions say nothing to judge by
        return Verdict(spec.name, item["uri"], "processor", "undeclared", "no customer declares upload prefixes")
    if tenant is None:
        return Verdict(
            spec.name, item["uri"], "processor", "no-tenant", "under no customer's upload prefix", region=region
        )
    if tenant.regions and region not in tenant.regions:
        where = f"rests in {region or 'an unknown region'}; {tenant.name} allows {', '.join(tenant.regions)}"
        return Verdict(spec.name, item["uri"], "processor", "region", where, tenant=tenant.name, region=region)
    return Verdict(
        spec.name, item["uri"], "processor", "within", f"{tenant.name}'s upload", tenant=tenant.name, region=region
    )
