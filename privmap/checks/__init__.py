"""Compliance checks; importing this package registers every built-in check."""

from privmap.checks import (  # noqa: F401  (registers the checks)
    ccpa,
    coverage,
    databases,
    inventory,
    logs,
    parties,
    requests,
    retention,
    security,
    sensitive,
    special,
    stored_data,
    transfers,
    uploads,
)
from privmap.checks.base import Evidence, Outcome, check, run_checks

__all__ = ["Evidence", "Outcome", "check", "run_checks"]
