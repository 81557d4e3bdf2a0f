"""Slack-compatible incoming webhook: Block Kit blocks with a link to the report.

The incoming-webhook URL is itself the credential: give it as `url_env` rather than `url`
in a config file that is shared. Mattermost and Rocket.Chat accept the same payload.
"""

from __future__ import annotations

import json

from pydantic import Field

from privmap.alerts.base import Alert, digest_title
from privmap.alerts.http import HttpOptions, HttpSink

_MAX_LISTED = 10  # Slack caps a message at 50 blocks; a digest lists the first alerts and counts the rest


class SlackOptions(HttpOptions):
    report_url: str | None = None  # link to the published report (default: reports.url)
    max_listed: int = Field(_MAX_LISTED, ge=1, le=40)


def _escape(text: str) -> str:
    """Slack mrkdwn control characters (&, <, >) escaped, so evidence cannot forge links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def blocks(alerts: list[Alert], report_url: str | None, max_listed: int = _MAX_LISTED) -> dict[str, object]:
    """The message: a header, one section per alert (up to `max_listed`), the report link."""
    title = digest_title(alerts)
    out: list[dict[str, object]] = [{"type": "header", "text": {"type": "plain_text", "text": title[:150]}}]
    for a in alerts[:max_listed]:
        previews = f"\nmasked: {_escape(', '.join(a.previews))}" if a.previews else ""
        text = f"*{a.severity.upper()}* `{a.rule}` {_escape(a.title)}\n{_escape(a.subject)}\n{_escape(a.evidence)}"
        out.append({"type": "section", "text": {"type": "mrkdwn", "text": (text + previews)[:3000]}})
    if len(alerts) > max_listed:
        more = f"and {len(alerts) - max_listed} more"
        out.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    if report_url:
        link = {"type": "button", "text": {"type": "plain_text", "text": "Open the report"}, "url": report_url}
        out.append({"type": "actions", "elements": [link]})
    return {"text": title, "blocks": out}


class SlackSink(HttpSink):
    Options = SlackOptions
    options: SlackOptions
    what = "slack url"

    def send(self, alerts: list[Alert]) -> None:
        o = self.options
        self.post_json(json.dumps(blocks(alerts, o.report_url or self.config.reports.url, o.max_listed)).encode())
