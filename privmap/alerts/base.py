"""What every alert sink provides: strict options, `send(alerts)`, retries with backoff."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from privmap.config.models import AlertConfig, Config
from privmap.model import SEVERITIES, Severity

T = TypeVar("T")


@dataclass(frozen=True)
class Alert:
    """One alert: a failing check outcome on one subject, as stored and as sent.

    Carries no raw personal data: `evidence` is the check's evidence (categories and counts) and
    `previews` are the masked previews of the findings behind it.
    """

    id: int
    rule: str  # the check id, e.g. CNS-001
    severity: Severity
    title: str
    article: str
    subject: str  # object:s3://bucket/key, store:uploads, transfer:crm->PayCo
    evidence: str
    previews: tuple[str, ...]
    run_id: int  # the run that raised it
    raised: str  # ISO 8601 UTC time

    def record(self) -> dict[str, Any]:
        """The JSON form every sink sends (webhook body, JSONL line)."""
        return asdict(self) | {"previews": list(self.previews)}


class DeliveryFailed(Exception):
    """A sink could not take the alerts; the message names the failure, never a URL or a secret.

    `transient` failures (timeouts, 5xx, 429, refused connections) are retried with backoff."""

    def __init__(self, message: str, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


class SinkOptions(BaseModel):
    """Base of each sink's nested `Options` model: strict, like the rest of the config."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    timeout: float = Field(10, gt=0)  # seconds per attempt (connect and read)
    max_attempts: int = Field(4, ge=1, le=20)  # tries per delivery; transient failures back off
    backoff: float = Field(1, ge=0)  # seconds before the second try; doubles up to 60, with jitter


class SinkBase:
    """Common construction: validated options; subclasses implement `send`."""

    Options: ClassVar[type[SinkOptions]] = SinkOptions
    # one message per delivery whatever the count (e-mail): alerts always go out as a digest
    digest_only: ClassVar[bool] = False

    def __init__(self, spec: AlertConfig, config: Config) -> None:
        self.spec = spec
        self.config = config
        self.options = self.Options.model_validate(spec.options)

    def send(self, alerts: list[Alert]) -> None:
        """Deliver `alerts` (one alert, or several as a digest); raises DeliveryFailed."""
        raise NotImplementedError

    def retrying(self, attempt: Callable[[], T]) -> T:
        """Run `attempt` until it succeeds, a permanent failure, or max_attempts (then re-raised)."""
        o = self.options
        retry = Retrying(
            stop=stop_after_attempt(o.max_attempts),
            wait=wait_exponential_jitter(multiplier=o.backoff, max=60, jitter=o.backoff / 2),
            retry=retry_if_exception(lambda e: isinstance(e, DeliveryFailed) and e.transient),
            reraise=True,
        )
        return retry(attempt)


def from_env(name: str | None, what: str) -> str | None:
    """A secret named by an environment variable; DeliveryFailed (permanent) when it is not set."""
    if name is None:
        return None
    value = os.environ.get(name)
    if not value:
        raise DeliveryFailed(f"{what}: environment variable {name} is not set", transient=False)
    return value


def digest_title(alerts: list[Alert]) -> str:
    """`privmap: CNS-001 on object:s3://b/k` for one alert, `privmap: 7 alerts (2 critical, 5 high)` for more."""
    if len(alerts) == 1:
        a = alerts[0]
        return f"privmap {a.severity}: {a.rule} {a.title} on {a.subject}"
    counts: dict[str, int] = {}
    for a in alerts:
        counts[a.severity] = counts.get(a.severity, 0) + 1
    by_severity = ", ".join(
        f"{n} {s}" for s, n in sorted(counts.items(), key=lambda kv: SEVERITIES.index(kv[0]), reverse=True)
    )
    return f"privmap: {len(alerts)} alerts ({by_severity})"
