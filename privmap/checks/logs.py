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


def is_log(ev: Evidence, finding: dict[str, Any]) -> bool:
    declared = {s.name for s in ev.config.sources if s.logs}
    return finding["source"] in declared or bool(LOG_NAME.search(item_path(finding)))


@check("LOG-001")
def personal_data_in_logs(ev: Evidence) -> Iterator[Outcome]:
    for source, findings in sorted(ev.findings_by_source().items()):
        logged = [f for f in findings if is_log(ev, f)]
        declared = any(s.name == source and s.logs for s in ev.config.sources)
        if not logged:
            if declared:
                yield Outcome(f"store:{source}", "pass", "no personal data found in its logs")
            continue
        risky = any(flags_of(f["entity"]) & {"special", "high_risk"} for f in logged)
        files = len({f["uri"] for f in logged})
        yield Outcome(
            f"store:{source}",
            "fail",
            f"{files} log file(s) hold {summarize(logged)}",
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
