"""The HTTP POST shared by the webhook and Slack sinks: timeouts, status classes, no URL in errors."""

from __future__ import annotations

import httpx

from privmap.alerts.base import DeliveryFailed


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> None:
    """POST `body`; DeliveryFailed on failure: transient for timeouts, refused connections, 408, 429
    and 5xx, permanent for other 4xx. Messages never carry the URL (a Slack URL is a secret)."""
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=timeout)
    except httpx.TimeoutException as exc:
        raise DeliveryFailed(f"timeout ({type(exc).__name__})") from None
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"connection failed ({type(exc).__name__})") from None
    status = response.status_code
    if status >= 300:
        transient = status in (408, 429) or status >= 500
        raise DeliveryFailed(f"HTTP {status}", transient=transient)
