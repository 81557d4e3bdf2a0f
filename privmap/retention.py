"""Retention rules and the age of data (GDPR Art. 5(1)(e), 17(3), 30(1)(f)).

A rule is resolved once per (activity, data category), most specific first (DOMAIN.md 4.4):
the activity's own `retention`, then an `inventory.retention` entry for the category (or a parent),
then privmap's default for the category from privmap/data/retention.yaml (dated, with its legal
source). Ages come from the evidence sources expose: an object's or file's last modification
(`modified` in the item's metadata), the oldest noncurrent version of a versioned bucket, and the
oldest row of a table by its timestamp columns (`row_ages` facts of the SQL sources: a column is
a clock by its name, `column_clock`, and its values, `value_date`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import isodate

from privmap.config.models import Activity, Inventory, LegalHold, RetentionRule
from privmap.data import covered, load_table

AGEABLE = ("created", "last_modified")  # clocks an object's own timestamps can measure
_CLOCKS = {"contract_end": "end_of_relationship"}  # retention.yaml's word for the same event


@dataclass(frozen=True)
class Rule:
    """A resolved retention rule: `period` (ISO 8601) from `clock`, and where it comes from."""

    period: str
    clock: str
    text: str
    origin: str  # e.g. "activity Billing", "inventory rule for user.financial", "privmap default payment-card-pan"
    declared: bool  # False for privmap's defaults: a rule the organisation has not made its own

    def cutoff(self, as_of: dt.date) -> dt.date:
        """Data last modified before this date is older than the period."""
        return as_of - isodate.parse_duration(self.period)

    def days(self, as_of: dt.date) -> int:
        return (as_of - self.cutoff(as_of)).days

    @property
    def never(self) -> bool:
        """P0D: the data must not be kept at all (e.g. card numbers outside the payment processor)."""
        return isodate.parse_duration(self.period) == dt.timedelta(0)

    @property
    def ageable(self) -> bool:
        """Whether object and row ages can show data past this rule."""
        return self.never or self.clock in AGEABLE

    def describe(self) -> str:
        clock = self.clock.replace("_", " ")
        return f"{period_words(self.period)} from {clock} ({self.origin})"


def period_words(period: str) -> str:
    """'P8Y' -> '8 years', 'P13M' -> '13 months', 'P0D' -> 'not kept at all'."""
    d = isodate.parse_duration(period)
    if isinstance(d, isodate.Duration):
        years, months, days = int(d.years), int(d.months), d.tdelta.days
    else:
        years, months, days = 0, 0, d.days
    if not (years or months or days):
        return "not kept at all"
    parts = [(years, "year"), (months, "month"), (days, "day")]
    return ", ".join(f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n)


def _from_config(rule: RetentionRule, origin: str) -> Rule:
    return Rule(rule.period, rule.clock, rule.text or period_words(rule.period), origin, True)


def defaults() -> list[dict[str, Any]]:
    """privmap's defaults that name a category and a period (retention.yaml, DOMAIN.md 4.3)."""
    return [
        d
        for d in load_table("retention")["defaults"]
        if d.get("category") and d.get("period") and d.get("jurisdiction") == "*"
    ]


def rule_for(inventory: Inventory, activity: Activity, category: str) -> Rule | None:
    """The rule for `category` in `activity`: its own, else the inventory's for the category (the
    most specific), else privmap's default for the category and the activity's role; None if none."""
    if isinstance(activity.retention, RetentionRule):
        return _from_config(activity.retention, f"activity {activity.name}")
    entries = [r for r in inventory.retention if covered(category, [r.category])]
    if entries:
        best = max(entries, key=lambda r: len(r.category))
        return _from_config(best, f"inventory rule for {best.category}")
    found = [d for d in defaults() if covered(category, [d["category"]]) and d.get("role") == activity.role]
    if found:
        d = max(found, key=lambda d: len(d["category"]))
        clock = d.get("clock_start") or "created"
        text = f"{d['applies_to']}: {period_words(d['period'])} ({d['legal_basis']})"
        return Rule(d["period"], _CLOCKS.get(clock, clock), text, f"privmap default {d['id']}", False)
    return None


def modified(item: dict[str, Any]) -> dt.date | None:
    """The last-modified date of an item record (its `modified` metadata, ISO 8601), None if unknown."""
    value = (item.get("metadata") or {}).get("modified")
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(str(value)).date()
    except ValueError:
        return None


def hold_for(holds: list[LegalHold], source: str, path: str, as_of: dt.date) -> LegalHold | None:
    """The legal hold in force on `as_of` that covers `path` of store `source`, if any."""
    for h in holds:
        if h.store != source or (h.until and h.until < as_of):
            continue
        if h.prefixes and not any(path.startswith(p) for p in h.prefixes):
            continue
        if h.tables and path not in h.tables:
            continue
        return h
    return None


def age_words(days: int) -> str:
    """An age in days as '2 years, 3 months' (approximate, for reading)."""
    years, rest = divmod(days, 365)
    months = rest // 30
    parts = [(years, "year"), (months, "month")] if years or months else [(days, "day")]
    return ", ".join(f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n) or "0 days"


# Column names that date a row, as tokens of the name (`created_at`, `signupDate`, `DATE_JOINED`):
# when the row was created, or when it last changed or its subject was last active. Names that
# date something else (a deletion, an expiry, a birth) are never clocks.
_CREATED = frozenset(
    "created creation inserted signup signedup registered registration joined enrolled onboarded subscribed".split()
)
_CHANGED = frozenset("updated modified changed lastmodified lastlogin lastseen lastactive lastactivity".split())
_LAST = frozenset("login logon signin seen active activity visit visited access accessed used".split())
_VERBS = {"create": "created", "insert": "created", "update": "last_modified", "modify": "last_modified"}
_WHEN = frozenset("at on time date ts timestamp datetime".split())
_NOT_CLOCKS = frozenset(
    "deleted expires expiry expired expiration birth dob born due scheduled until valid next "
    "by id ip user count name".split()  # who did it, or how often: created_by, last_login_ip, login_count
)
_EPOCH = (dt.date(1971, 1, 1), dt.date(2100, 1, 1))  # dates outside are sentinels (0, 1900-01-01), not ages


def _tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)  # camelCase -> camel Case
    return [t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t]


def column_clock(name: str) -> str | None:
    """The retention clock a column's name says it measures: `created` (created_at, signup_date,
    date_joined), `last_modified` (updated_at, last_login, last_seen), or None."""
    tokens = _tokens(name)
    words = set(tokens)
    if words & _NOT_CLOCKS:
        return None
    joined = {"".join(tokens[i : i + 2]) for i in range(len(tokens) - 1)} | words
    if joined & _CHANGED or ("last" in words and words & _LAST):
        return "last_modified"
    if joined & _CREATED:
        return "created"
    verb = next((_VERBS[t] for t in tokens if t in _VERBS), None)
    return verb if verb and words & _WHEN else None


def value_date(value: Any) -> dt.date | None:
    """The date a timestamp cell holds: a date or datetime, an ISO 8601 text, or Unix seconds or
    milliseconds; None for anything else, or a date no row can have been written on (a sentinel)."""
    when: dt.date | None = None
    if isinstance(value, dt.datetime):
        when = value.date()
    elif isinstance(value, dt.date):
        when = value
    elif isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00")).date()
        except ValueError:
            return None
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        try:
            when = dt.datetime.fromtimestamp(seconds, dt.UTC).date()
        except (OverflowError, OSError, ValueError):
            return None
    if when is None or not _EPOCH[0] <= when < _EPOCH[1]:
        return None
    return when
