"""Personal data in logs (Art. 5(1)(c)) and how long logs are kept (Art. 5(1)(e)).

A log is an item of a store declared `logs: true`, or any item whose name says it is one
(`*.log`, `*.log.1`, `*.log.gz`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from privmap.attribution import item_path
from privmap.checks.base import Evidence, Outcome, check, summarize
from privmap.data import flags_of

LOG_NAME = re.compile(r"\.log(\.\d+)?(\.gz)?$", re.IGNORECASE)


def logged(findings: list[dict[str, Any]], declared: bool) -> list[dict[str, Any]]:
    """The findings of one source that lie in logs: all of them in a store `declared` a log store, else
    those of items whose name says log (tested once per item: an item holds several findings)."""
    if declared:
        return findings
    named: dict[str, bool] = {}
    out = []
    for f in findings:
        if f["uri"] not in named:
            named[f["uri"]] = bool(LOG_NAME.search(item_path(f)))
        if named[f["uri"]]:
            out.append(f)
    return out


@check("LOG-001")
def personal_data_in_logs(ev: Evidence) -> Iterator[Outcome]:
    for source, findings in sorted(ev.findings_by_source().items()):
        declared = any(s.name == source and s.logs for s in ev.config.sources)
        in_logs = logged(findings, declared)
        if not in_logs:
            if declared:
                yield Outcome(f"store:{source}", "pass", "no personal data found in its logs")
            continue
        risky = any(flags_of(f["entity"]) & {"special", "high_risk"} for f in in_logs)
        files = len({f["uri"] for f in in_logs})
        yield Outcome(
            f"store:{source}",
            "fail",
            f"{files} log file(s) hold {summarize(in_logs)}",
            severity="high" if risky else None,
        )


@check("LOG-002")
def log_retention(ev: Evidence) -> Iterator[Outcome]:
    logs = {s.name for s in ev.config.sources if s.logs}
    for (source, store), facts in sorted(ev.store_facts().items()):
        if source not in logs or "lifecycle_expiration_days" not in facts:
            continue
        days = facts["lifecycle_expiration_days"]
        if days is None:
            yield Outcome(f"store:{store}", "fail", "log store with no expiration: logs are kept forever")
        else:
            yield Outcome(f"store:{store}", "pass", f"logs expire after {days} days")
