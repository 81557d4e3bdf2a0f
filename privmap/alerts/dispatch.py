"""From check results to alerts, and from pending alerts to sinks."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from privmap import plugins
from privmap.alerts.base import DeliveryFailed, SinkBase
from privmap.alerts.store import AlertStore, now
from privmap.config import Config, ConfigError
from privmap.config.models import AlertConfig
from privmap.model import SEVERITIES

log = logging.getLogger("privmap")
# upload violations alert whatever a sink's min_severity: each is an upload to act on (Art. 7(1), 28(3)(a))
ALWAYS = frozenset({"CNS-001", "CNS-004", "CNS-005"})
_MAX_DIGEST = 500  # alerts in one digest message; more go out in the next


def sink_name(spec: AlertConfig) -> str:
    """The name deliveries are kept under: `name`, else the type."""
    return spec.name or spec.type


def takes(spec: AlertConfig, rule: str, severity: str) -> bool:
    """Whether sink `spec` is sent an alert of this rule and severity."""
    return rule in ALWAYS or SEVERITIES.index(severity) >= SEVERITIES.index(spec.min_severity)


def build_sinks(config: Config) -> list[SinkBase]:
    """Instantiate every configured sink; ConfigError at the file and line of a bad one."""
    sinks, seen = [], set()
    issues = []
    for i, spec in enumerate(config.alerts):
        name = sink_name(spec)
        if name in seen:
            issues += config.error_at(("alerts", i, "name"), f"two alert sinks are named {name!r}").issues
            continue
        seen.add(name)
        try:
            sinks.append(plugins.load("alert", spec.type)(spec, config))
        except plugins.PluginUnavailable as exc:
            issues += config.error_at(("alerts", i, "type"), str(exc)).issues
        except ValidationError as exc:
            issues += config.options_error(("alerts", i, "options"), exc).issues
    if issues:
        raise ConfigError(issues)
    return sinks


def raise_alerts(
    config: Config,
    alerts: AlertStore,
    run_id: int,
    checks: list[dict[str, Any]],
    findings: list[dict[str, Any]],
    partial: bool = False,
) -> int:
    """Record an alert for every failing check result that alerts and has no open alert yet, and
    clear open alerts whose condition no longer holds; returns the number of new alerts.

    A result alerts when its rule is an upload rule (ALWAYS) or its severity reaches the lowest
    `min_severity` of the configured sinks (`high` when none is configured). A complete run clears
    alerts whose (rule, subject) no longer fails, except those a later run raised. A `partial` run (the
    upload watch) looked at some uploads only: it raises and clears upload-rule alerts only, and
    clears only what it saw passing.
    """
    if partial:
        checks = [r for r in checks if r["id"] in ALWAYS]
    threshold = min((SEVERITIES.index(s.min_severity) for s in config.alerts), default=SEVERITIES.index("high"))
    open_keys = alerts.open_keys()
    failing = {(r["id"], r["subject"]) for r in checks if r["status"] == "fail"}
    passing = {(r["id"], r["subject"]) for r in checks if r["status"] == "pass"}
    # a complete run does not clear what a later run raised (an upload a watcher judged after this
    # run had listed its source is simply not in its results)
    cleared = {
        k for k, raised in open_keys.items() if k in passing or (not partial and k not in failing and raised <= run_id)
    }
    alerts.clear(cleared, run_id)
    previews = _previews(findings)
    new = 0
    for r in checks:
        key = (r["id"], r["subject"])
        if r["status"] != "fail" or key in open_keys or key in cleared:
            continue
        if r["id"] not in ALWAYS and SEVERITIES.index(r["severity"]) < threshold:
            continue
        sinks = [sink_name(s) for s in config.alerts if takes(s, r["id"], r["severity"])]
        if alerts.add(r, previews.get(r["subject"], []), run_id, sinks) is not None:
            new += 1
        open_keys[key] = run_id
    if new or cleared:
        log.info("alerts", extra={"run_id": run_id, "new": new, "cleared": len(cleared)})
    return new


def _previews(findings: Iterable[dict[str, Any]], limit: int = 3) -> dict[str, list[str]]:
    """object:<uri> -> up to `limit` distinct masked previews of the findings in that object."""
    out: dict[str, list[str]] = {}
    for f in findings:
        shown = out.setdefault(f"object:{f['uri']}", [])
        if len(shown) < limit and f["preview"] not in shown:
            shown.append(f["preview"])
    return out


@dataclass(frozen=True)
class Delivery:
    sink: str
    sent: int  # alerts taken by the sink in this call
    messages: int
    pending: int  # alerts still waiting for this sink
    error: str | None = None  # the last failure, when the sink was down


def deliver(config: Config, alerts: AlertStore, at: dt.datetime | None = None) -> list[Delivery]:
    """Hand every sink its pending alerts.

    Up to `max_messages` alerts go out one message each; more, or any number for a digest-only
    sink (e-mail), go out as one digest. A sink with `min_interval` gets at most one message per
    that many seconds: alerts raised meanwhile wait and leave together, as one digest.
    A failed delivery leaves the alerts pending, to be tried on the next call.
    """
    at = at or now()
    report = []
    for sink in build_sinks(config):
        spec, name = sink.spec, sink_name(sink.spec)
        pending = alerts.pending(name)
        last = alerts.last_sent(name)
        if not pending or (spec.min_interval and last and (at - last).total_seconds() < spec.min_interval):
            report.append(Delivery(name, 0, 0, len(pending)))
            continue
        if sink.digest_only or spec.min_interval or len(pending) > spec.max_messages:
            batches = [pending[i : i + _MAX_DIGEST] for i in range(0, len(pending), _MAX_DIGEST)]
        else:
            batches = [[a] for a in pending]
        sent = messages = 0
        error = None
        for batch in batches:
            try:
                sink.send(batch)
            except DeliveryFailed as exc:
                error = str(exc)
                alerts.failed(name, batch, error)
                log.warning("alert delivery failed", extra={"sink": name, "alerts": len(batch), "detail": error})
                break  # the sink is down: the rest wait for the next call
            alerts.delivered(name, batch)
            sent, messages = sent + len(batch), messages + 1
        report.append(Delivery(name, sent, messages, len(pending) - sent, error))
    return report
