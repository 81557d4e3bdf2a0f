"""The check framework: a catalogue of checks (data), functions that evaluate them (code).

A check function receives the run's `Evidence` and yields one `Outcome` per subject it
looked at, passed or failed, so the report shows what was verified, not only what broke.
Titles, severities and articles come from privmap/data/checks.yaml, so legal wording is
reviewed as data. New evidence (cloud posture, the transfer graph) plugs in as fields of
`Evidence` and new modules of checks; nothing else changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

import networkx as nx

from privmap.config.models import Config
from privmap.data import load_table
from privmap.model import Severity, StoreFact

Status = Literal["pass", "fail", "error"]


@dataclass(frozen=True)
class Evidence:
    """Everything checks may look at for one run."""

    config: Config
    findings: list[dict[str, Any]]  # the findings.json records of the run
    facts: list[StoreFact]
    as_of: dt.date
    # the data map (privmap.graph): inventory and observed flows, judged as of `as_of`; None when not built
    graph: nx.DiGraph | None = None
    # what the run examined, per source (privmap.coverage records); empty when not known
    coverage: list[dict[str, Any]] = field(default_factory=list)
    # the run's items: {source, store, uri, metadata}; metadata `modified` (ISO 8601) ages the data
    items: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # evidence contributed by later stages
    _grouped: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def scope(self, source: str) -> str:
        """What a "nothing found" verdict on `source` rests on, to append to it: e.g. `; read 11 of 18
        items; 7 not inspected: 3 PDF, 2 XLSX, 2 failed (timeout)`; empty when coverage is not known."""
        from privmap.coverage import not_inspected_text

        record = next((c for c in self.coverage if c["source"] == source), None)
        if record is None:
            return ""
        if record["status"] == "not listed":
            return "; the source could not be listed: nothing in it was examined"
        return f"; {not_inspected_text(record)}"

    def findings_by_source(self) -> dict[str, list[dict[str, Any]]]:
        """source -> findings."""
        return self._group("source", lambda f: f["source"])

    def findings_by_store(self) -> dict[tuple[str, str], list[dict[str, Any]]]:
        """(source, store) -> findings, e.g. ("uploads", "s3://media-eu")."""
        return self._group("store", lambda f: (f["source"], f["store"]))

    def _group(self, name: str, key: Callable[[dict[str, Any]], Any]) -> dict[Any, list[dict[str, Any]]]:
        """The findings grouped by `key`, once per Evidence (checks only read it): a dozen checks ask, and a
        run may hold hundreds of thousands of findings."""
        if name not in self._grouped:
            out: dict[Any, list[dict[str, Any]]] = {}
            for f in self.findings:
                out.setdefault(key(f), []).append(f)
            self._grouped[name] = out
        return self._grouped[name]  # type: ignore[no-any-return]

    def store_facts(self) -> dict[tuple[str, str], dict[str, Any]]:
        """(source, store) -> {fact key: value}: the posture of each store."""
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for fact in self.facts:
            out.setdefault((fact.source, fact.store), {})[fact.key] = fact.value
        return out


@dataclass(frozen=True)
class Outcome:
    subject: str  # store:<name>, object:<uri>, recipient:<name>, transfer:<a>-><b>
    status: Status
    evidence: str
    severity: Severity | None = None  # overrides the catalogue's, e.g. when a condition escalates it
    # the one fact that explains this result, shared by every result it explains (e.g. `party:Pixelcloud Inc`
    # for each flow under its invalid Privacy Shield claim); the score counts a root cause once
    cause: str | None = None


def verdict(subject: str, failure: str | None, passed: str) -> Outcome:
    """One subject judged: failed with `failure` (what is wrong) when there is one, else passed with
    `passed` (what was verified)."""
    if failure:
        return Outcome(subject, "fail", failure)
    return Outcome(subject, "pass", passed)


def stores_with(ev: Evidence, key: str) -> Iterator[tuple[str, Any]]:
    """(`store:<uri>` subject, value) of every store whose posture holds fact `key`, in store order;
    a store without the fact is not judged (its source cannot tell)."""
    for (_, store), facts in sorted(ev.store_facts().items()):
        if key in facts:
            yield f"store:{store}", facts[key]


def summarize(findings: list[dict[str, Any]]) -> str:
    """Categories and occurrence counts, e.g. `user.contact.email (12), user.name (3)`."""
    counts: dict[str, int] = {}
    for f in findings:
        counts[f["category"]] = counts.get(f["category"], 0) + f["count"]
    return ", ".join(f"{c} ({n})" for c, n in sorted(counts.items()))


CheckFn = Callable[[Evidence], Iterator[Outcome]]
REGISTRY: dict[str, CheckFn] = {}


def check(check_id: str) -> Callable[[CheckFn], CheckFn]:
    """Register a function as the implementation of catalogue entry `check_id`."""

    def register(fn: CheckFn) -> CheckFn:
        if check_id not in catalogue():
            raise KeyError(f"check {check_id} is not in privmap/data/checks.yaml")
        if check_id in REGISTRY and REGISTRY[check_id] is not fn:
            # two implementations of one check would silently hide one of them
            raise KeyError(
                f"check {check_id} is implemented twice: {REGISTRY[check_id].__module__} and {fn.__module__}"
            )
        REGISTRY[check_id] = fn
        return fn

    return register


@cache
def catalogue() -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in load_table("checks")["checks"]}


def run_checks(evidence: Evidence, only: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Evaluate every registered check (or the ids in `only`); a check that crashes is reported as
    status `error`.

    Each result is a checks.json record: id, title, severity, status, subject, evidence, article,
    remediation (what to do, from the catalogue) and cause (the root cause the score counts once).
    """
    results = []
    for check_id in sorted(REGISTRY if only is None else set(only) & set(REGISTRY)):
        entry = catalogue()[check_id]
        try:
            outcomes = list(REGISTRY[check_id](evidence))
        except Exception as exc:  # one broken check must not hide the others' results
            outcomes = [Outcome("run", "error", f"the check failed: {type(exc).__name__}: {exc}")]
        for o in outcomes:
            results.append(
                {
                    "id": check_id,
                    "title": entry["title"],
                    "severity": o.severity or entry["severity"],
                    "status": o.status,
                    "subject": o.subject,
                    "evidence": o.evidence,
                    "article": entry["article"],
                    "remediation": entry.get("remediation", ""),  # every entry has one (tested)
                    "cause": o.cause or f"{check_id}|{o.subject}",
                }
            )
    return results
