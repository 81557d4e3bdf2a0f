"""Webhook sink: alerts as JSON, signed with HMAC-SHA256 over the timestamp and the body.

Receivers verify `X-Privmap-Signature: t=<unix seconds>,v1=<hex>` where hex is
HMAC-SHA256(secret, "<t>." + raw body), reject old timestamps (replays), and may deduplicate
on `X-Privmap-Delivery` (the same value on every retry of one delivery).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

from privmap.alerts.base import Alert, from_env
from privmap.alerts.http import HttpOptions, HttpSink

SIGNATURE_HEADER = "X-Privmap-Signature"


class WebhookOptions(HttpOptions):
    secret_env: str | None = None  # environment variable holding the signing secret; unset: unsigned
    headers: dict[str, str] = {}  # extra headers, e.g. a routing key (never secrets: use secret_env)


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    """The signature header's value: `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>." + body>`."""
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def payload(alerts: list[Alert], report_url: str | None = None) -> dict[str, object]:
    """The JSON document sent for a delivery: one alert, or a digest of several."""
    return {
        "type": "privmap.alerts",
        "version": 1,
        "digest": len(alerts) > 1,
        "report": report_url,
        "alerts": [a.record() for a in alerts],
    }


class WebhookSink(HttpSink):
    Options = WebhookOptions
    options: WebhookOptions

    def send(self, alerts: list[Alert]) -> None:
        o = self.options
        secret = from_env(o.secret_env, "webhook secret")
        body = json.dumps(payload(alerts, self.config.reports.url), sort_keys=True).encode()
        delivery = str(uuid.uuid4())

        def headers() -> dict[str, str]:
            out = {**o.headers, "X-Privmap-Delivery": delivery}
            if secret:  # signed per attempt, so a retry carries a fresh timestamp
                out[SIGNATURE_HEADER] = signature(secret.encode(), int(time.time()), body)
            return out

        self.post_json(body, headers)
