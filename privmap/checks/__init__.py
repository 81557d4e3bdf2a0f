"""Compliance checks; importing this package registers every built-in check."""

from privmap.checks import inventory, parties, security, special, transfers, uploads  # noqa: F401  (registers the checks)
from privmap.checks.base import Evidence, Outcome, check, run_checks

__all__ = ["Evidence", "Outcome", "check", "run_checks"]
