"""Alert sinks against real receivers: a local HTTP server (webhook, Slack-shaped), aiosmtpd, a file;
deduplication, digests, rate limits, and alerts kept until a sink that was down takes them."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from privmap import alerts
from privmap.cli import main
from privmap.config import ConfigError, load_config
from privmap.store import Store
from tests.integration.sinks import http_endpoint, self_signed, smtp_server

SECRET = "s3cr3t-signing-key"


def result(n: int, rule: str = "SEC-001", severity: str = "high", status: str = "fail") -> dict[str, str]:
    return {
        "id": rule,
        "title": "A check",
        "severity": severity,
        "status": status,
        "subject": f"object:s3://media/u{n}.jpg",
        "evidence": "user.contact.email (2)",
        "article": "GDPR Art. 32",
    }


FINDINGS = [{"uri": "s3://media/u1.jpg", "preview": "j***@e***.com"}]


@pytest.fixture
def setup(tmp_path: Path, write_config: Callable[..., Path]) -> Iterator[Callable[[str], tuple[object, object]]]:
    """make(alerts_yaml) -> (config, AlertStore) on a fresh store."""
    stores: list[Store] = []
    (tmp_path / "data").mkdir()

    def make(sinks: str) -> tuple[object, object]:
        path = write_config(
            "- {name: files, type: local, region: eu-west-1, options: {path: data}}",
            f"reports: {{url: https://reports.example/privmap}}\nalerts:\n{sinks}",
        )
        config = load_config(path)
        store = Store(config.resolve(config.store.path))
        stores.append(store)
        return config, alerts.AlertStore(store)

    yield make
    for s in stores:
        s.close()


def test_webhook_is_signed_and_retried_until_it_succeeds_once(setup, monkeypatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    with http_endpoint() as hook:
        hook.fail = [503, 500]  # down twice, then up
        config, kept = setup(
            f"  - {{type: webhook, options: {{url: '{hook.url}', secret_env: HOOK_SECRET, backoff: 0.05}}}}\n"
        )
        alerts.raise_alerts(config, kept, 1, [result(1)], FINDINGS)
        (report,) = alerts.deliver(config, kept)
        assert (report.sent, report.messages, report.pending, report.error) == (1, 1, 0, None)
        assert [r.status for r in hook.received] == [503, 500, 200]
        # one delivery id on every retry, so a receiver can drop a retry it already processed
        assert len({r.headers["X-Privmap-Delivery"] for r in hook.received}) == 1
        got = hook.delivered[0]
        sig = dict(part.split("=", 1) for part in got.headers["X-Privmap-Signature"].split(","))
        expected = hmac.new(SECRET.encode(), f"{sig['t']}.".encode() + got.body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(sig["v1"], expected)
        assert abs(int(sig["t"]) - time.time()) < 60
        body = got.json()
        assert body["digest"] is False and body["report"] == "https://reports.example/privmap"
        assert body["alerts"][0]["rule"] == "SEC-001" and body["alerts"][0]["previews"] == ["j***@e***.com"]
        # delivered once: a second delivery and a second raise of the same failure send nothing
        alerts.raise_alerts(config, kept, 2, [result(1)], FINDINGS)
        assert alerts.deliver(config, kept)[0].sent == 0
        assert len(hook.delivered) == 1


def test_a_tampered_body_fails_verification(setup, monkeypatch) -> None:
    from privmap.alerts.webhook import signature

    sig = signature(SECRET.encode(), 1700000000, b'{"a": 1}')
    forged = hmac.new(SECRET.encode(), b'1700000000.{"a": 2}', hashlib.sha256).hexdigest()
    assert sig.startswith("t=1700000000,v1=") and not sig.endswith(forged)


def test_a_sink_that_is_down_keeps_alerts_pending_for_the_next_run(setup, tmp_path) -> None:
    with http_endpoint() as hook:
        hook.fail = [500] * 4
        config, kept = setup(
            f"  - {{type: webhook, name: ops, options: {{url: '{hook.url}', max_attempts: 2, backoff: 0}}}}\n"
        )
        alerts.raise_alerts(config, kept, 1, [result(1), result(2)], [])
        (report,) = alerts.deliver(config, kept)
        assert (report.sent, report.pending, report.error) == (0, 2, "HTTP 500")
        pending = kept.listing(pending_only=True)
        assert [a["subject"] for a in pending] == ["object:s3://media/u1.jpg", "object:s3://media/u2.jpg"]
        assert pending[0]["sinks"] == [{"sink": "ops", "delivered": None, "attempts": 1, "error": "HTTP 500"}]
        assert hook.url not in json.dumps(pending)  # the URL (a secret for Slack) is never stored
        # u2 no longer fails in a complete run: its alert is cleared and will never be sent
        alerts.raise_alerts(config, kept, 2, [result(1)], [])
        listed = CliRunner().invoke(main, ["alerts", "-c", str(tmp_path / "privmap.yaml")])
        assert listed.exit_code == 0, listed.output
        lines = listed.output.splitlines()
        assert lines[0].endswith("u1.jpg  [pending] ops:HTTP 500")
        assert lines[1].endswith("u2.jpg  [cleared] ops:not sent (cleared)")
        # the next run: the sink is back, and takes u1 once; u2 stays unsent
        hook.fail = []
        assert alerts.deliver(config, kept)[0].sent == 1
        assert kept.listing(pending_only=True) == []
        assert len(hook.delivered) == 1
        pending_now = CliRunner().invoke(main, ["alerts", "-c", str(tmp_path / "privmap.yaml"), "--pending"])
        assert pending_now.output == "no pending alerts\n"


def test_a_permanent_refusal_is_not_retried(setup) -> None:
    with http_endpoint() as hook:
        hook.fail = [404, 404]
        config, kept = setup(f"  - {{type: webhook, options: {{url: '{hook.url}', backoff: 0}}}}\n")
        alerts.raise_alerts(config, kept, 1, [result(1)], [])
        assert alerts.deliver(config, kept)[0].error == "HTTP 404"
        assert len(hook.received) == 1


def test_slack_gets_blocks_with_the_report_link_and_a_digest_past_max_messages(setup, monkeypatch) -> None:
    with http_endpoint() as slack:
        monkeypatch.setenv("SLACK_URL", slack.url)
        config, kept = setup("  - {type: slack, max_messages: 2, options: {url_env: SLACK_URL, max_listed: 3}}\n")
        alerts.raise_alerts(config, kept, 1, [result(1, "CNS-001"), result(2, severity="critical")], FINDINGS)
        assert alerts.deliver(config, kept)[0].messages == 2  # within max_messages: one message each
        first = slack.delivered[0].json()
        assert first["text"].startswith("privmap high: CNS-001")
        kinds = [b["type"] for b in first["blocks"]]
        assert kinds == ["header", "section", "actions"]
        assert first["blocks"][2]["elements"][0]["url"] == "https://reports.example/privmap"
        assert (
            "j\\*\\*\\*" not in first["blocks"][1]["text"]["text"]
            and "j***@e***.com" in first["blocks"][1]["text"]["text"]
        )
        # five more failures at once: past max_messages, one digest listing three and counting the rest
        alerts.raise_alerts(config, kept, 2, [result(n) for n in range(3, 8)], [])
        report = alerts.deliver(config, kept)[0]
        assert (report.sent, report.messages) == (5, 1)
        digest = slack.delivered[-1].json()
        assert digest["text"] == "privmap: 5 alerts (5 high)"
        assert [b["type"] for b in digest["blocks"]] == [
            "header",
            "section",
            "section",
            "section",
            "context",
            "actions",
        ]
        assert digest["blocks"][4]["elements"][0]["text"] == "and 2 more"


def test_min_interval_holds_alerts_and_sends_them_together(setup) -> None:
    with http_endpoint() as hook:
        config, kept = setup(f"  - {{type: webhook, min_interval: 3600, options: {{url: '{hook.url}'}}}}\n")
        alerts.raise_alerts(config, kept, 1, [result(1)], [])
        t0 = dt.datetime.now(dt.UTC)
        assert alerts.deliver(config, kept, t0)[0].sent == 1
        alerts.raise_alerts(config, kept, 2, [result(1), result(2)], [])
        alerts.raise_alerts(config, kept, 3, [result(1), result(2), result(3)], [])
        held = alerts.deliver(config, kept, t0 + dt.timedelta(minutes=10))[0]
        assert (held.sent, held.pending) == (0, 2)
        later = alerts.deliver(config, kept, t0 + dt.timedelta(hours=2))[0]
        assert (later.sent, later.messages) == (2, 1)
        assert hook.delivered[-1].json()["digest"] is True


def test_severity_threshold_consent_rules_always_and_clearing(setup, tmp_path) -> None:
    config, kept = setup(
        "  - {type: jsonl, min_severity: critical, options: {path: out/alerts.jsonl}}\n"
        "  - {type: jsonl, name: all, min_severity: low, options: {path: out/all.jsonl}}\n"
    )
    checks = [result(1, severity="high"), result(2, "CNS-004", "medium"), result(3, severity="info")]
    assert alerts.raise_alerts(config, kept, 1, checks, []) == 2  # info is below every sink's threshold
    alerts.deliver(config, kept)
    critical_only = [json.loads(x) for x in (tmp_path / "out/alerts.jsonl").read_text().splitlines()]
    everything = [json.loads(x) for x in (tmp_path / "out/all.jsonl").read_text().splitlines()]
    assert [a["rule"] for a in critical_only] == ["CNS-004"]  # consent rules reach every sink
    assert [a["rule"] for a in everything] == ["SEC-001", "CNS-004"]
    # a partial run (the upload watch) judges uploads only: it clears u2's upload alert it saw passing,
    # and neither clears u1's SEC-001 alert nor raises a new one for u4
    alerts.raise_alerts(config, kept, 2, [result(2, "CNS-004", "medium", "pass"), result(4)], [], partial=True)
    open_ = {(a["rule"], a["subject"]) for a in kept.listing() if a["cleared_run"] is None}
    assert open_ == {("SEC-001", "object:s3://media/u1.jpg")}
    # a complete run in which u1 no longer fails clears it; failing again later alerts again
    alerts.raise_alerts(config, kept, 3, [], [])
    assert all(a["cleared_run"] for a in kept.listing())
    assert alerts.raise_alerts(config, kept, 4, [result(2, "CNS-004", "medium")], []) == 1
    # a complete run that started before a watcher raised an alert (run 5 beside run 6) leaves it open,
    # and the same alert raised twice at once is recorded once
    assert alerts.raise_alerts(config, kept, 6, [result(5, "CNS-001", "high")], [], partial=True) == 1
    alerts.raise_alerts(config, kept, 5, [], [])
    assert {a["subject"] for a in kept.listing() if a["cleared_run"] is None} == {"object:s3://media/u5.jpg"}
    assert kept.add(result(5, "CNS-001", "high"), [], 7, ["all"]) is None


def test_email_digest_over_starttls_with_login(setup, tmp_path, monkeypatch) -> None:
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SMTP_PASSWORD", "pw-123")
    with smtp_server(tls=(cert, key), password="pw-123") as box:
        config, kept = setup(
            f"  - {{type: email, options: {{host: 127.0.0.1, port: {box.port}, security: starttls,"
            f" ca_file: '{cert}', username: privmap, password_env: SMTP_PASSWORD,"
            " sender: privmap@example.org, recipients: [dpo@example.org]}}\n"
        )
        alerts.raise_alerts(config, kept, 1, [result(1), result(2, "CNS-001")], FINDINGS)
        report = alerts.deliver(config, kept)[0]
        assert (report.sent, report.messages, report.error) == (2, 1, None)
        (msg,) = box.messages
        assert box.logins == ["privmap"]
        assert msg["Subject"] == "[privmap] privmap: 2 alerts (2 high)"
        body = msg.get_content()
        assert "CNS-001" in body and "j***@e***.com" in body and "Report: https://reports.example/privmap" in body


def test_email_login_refused_is_permanent_and_kept(setup, tmp_path, monkeypatch) -> None:
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SMTP_PASSWORD", "wrong")
    with smtp_server(tls=(cert, key), password="right") as box:
        config, kept = setup(
            f"  - {{type: email, options: {{host: 127.0.0.1, port: {box.port}, ca_file: '{cert}', username: u,"
            " password_env: SMTP_PASSWORD, sender: a@example.org, recipients: [b@example.org], backoff: 0}}\n"
        )
        alerts.raise_alerts(config, kept, 1, [result(1)], [])
        report = alerts.deliver(config, kept)[0]
        assert report.error == "SMTP login refused (535)" and report.pending == 1
        assert not box.messages


def test_bad_sink_config_names_the_line(setup) -> None:
    config, _ = setup("  - {type: webhook, options: {url: 'http://x', retries: 3}}\n  - {type: pager}\n")
    with pytest.raises(ConfigError) as err:
        alerts.build_sinks(config)
    text = str(err.value)
    assert "alerts[0].options.retries: unknown option" in text and "privmap.yaml:" in text
    assert "alerts[1].type: unknown alert type 'pager'" in text
