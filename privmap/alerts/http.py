"""What the webhook and Slack sinks share: a URL given inline or by environment variable, and a JSON
POST retried with backoff (timeouts, status classes, no URL in errors)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from pydantic import model_validator

from privmap.alerts.base import DeliveryFailed, SinkBase, SinkOptions, from_env


class HttpOptions(SinkOptions):
    url: str | None = None
    url_env: str | None = None  # or: the environment variable holding the URL (a Slack URL is a secret)

    @model_validator(mode="after")
    def _one_url(self) -> HttpOptions:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of url and url_env")
        return self


class HttpSink(SinkBase):
    """A sink that POSTs one JSON body per delivery; subclasses build the body in `send`."""

    Options = HttpOptions
    options: HttpOptions
    what = "webhook url"  # names the URL in the error when its environment variable is unset

    def post_json(self, body: bytes, headers: Callable[[], dict[str, str]] = dict) -> None:
        """POST `body` until it is taken, a permanent failure, or `max_attempts`; `headers` is called
        per attempt (a signature carries a fresh timestamp on every retry). Raises DeliveryFailed."""
        o = self.options
        url = o.url or from_env(o.url_env, self.what) or ""
        self.retrying(lambda: post(url, body, {**headers(), "Content-Type": "application/json"}, o.timeout))


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
