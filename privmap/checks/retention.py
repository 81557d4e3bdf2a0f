"""Storage limitation (Art. 5(1)(e)): retention rules, the age of what the stores hold, and whether
lifecycle rules enforce the rules. Rules resolve in privmap.retention; ages come from the items'
`modified` metadata, the buckets' noncurrent versions and, for database tables, the oldest row by
the timestamp columns that measure the rule's clock (`row_ages` facts: created_at for a rule from
creation, updated_at or last_login for one from the last change). A rule counted from an event
privmap cannot see (end of the relationship) is not aged: those stores stay out of RET-001.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from privmap.attribution import held_by, item_path
from privmap.checks.base import Evidence, Outcome, check
from privmap.config.models import Activity, RetentionRule
from privmap.data import flags_of
from privmap.retention import Rule, age_words, hold_for, modified, rule_for


@dataclass
class _Expired:
    """What an activity keeps in one store past its rule, counted per item; no values."""

    rule: Rule
    items: int = 0
    oldest: dt.date | None = None
    held: dict[str, int] = field(default_factory=dict)  # hold reason -> items it covers
    special: bool = False
    versions: dict[str, Any] | None = None  # noncurrent versions older than the rule
    tables: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (table, its oldest row_ages entry)
    aged: int = 0  # items and tables whose age could be told: without any, the rule is not judged

    def add(self, when: dt.date) -> None:
        self.items += 1
        self.oldest = min(self.oldest or when, when)

    @property
    def past(self) -> bool:
        """Whether anything is kept past the rule (and not under a hold)."""
        return bool(self.items or self.versions or self.tables)


def _oldest_row(ages: list[dict[str, Any]], rule: Rule) -> dict[str, Any] | None:
    """The row_ages entry of a table whose column measures the rule's clock (any, for a rule that
    keeps nothing), the oldest first; None when no column measures it."""
    fitting = [a for a in ages if rule.never or a["clock"] == rule.clock]
    return min(fitting, key=lambda a: a["oldest"]) if fitting else None


def _expired(ev: Evidence) -> Iterator[tuple[Activity, str, _Expired, Rule]]:
    """(activity, source, what it keeps past the rule, rule) for each ageable rule of an (activity, store)."""
    inv = ev.config.inventory
    ages = {(i["source"], i["uri"]): modified(i) for i in ev.items}
    # object holds the store itself reports (GCS temporary and event-based holds)
    object_holds = {(i["source"], i["uri"]): i["metadata"]["hold"] for i in ev.items if i["metadata"].get("hold")}
    versions = {(f.source, f.store): f.value for f in ev.facts if f.key == "noncurrent_versions"}
    row_ages = {(f.source, uri): ages for f in ev.facts if f.key == "row_ages" for uri, ages in f.value.items()}
    for a in inv.activities:
        for source in a.stores:
            mine = held_by(a, (f for f in ev.findings if f["source"] == source))
            by_rule: dict[Rule, _Expired] = {}
            seen: set[tuple[Rule, str]] = set()
            for f in mine:
                rule = rule_for(inv, a, f["category"])
                if rule is None or not rule.ageable:
                    continue
                state = by_rule.setdefault(rule, _Expired(rule))
                if (rule, f["uri"]) in seen:
                    continue
                seen.add((rule, f["uri"]))
                if (source, f["uri"]) in row_ages:  # a table: its oldest row by the rule's clock
                    row = _oldest_row(row_ages[(source, f["uri"])], rule)
                    state.aged += row is not None
                    if row and (rule.never or dt.date.fromisoformat(row["oldest"]) < rule.cutoff(ev.as_of)):
                        hold = hold_for(inv.legal_holds, source, item_path(f), ev.as_of)
                        if hold:
                            state.held[hold.reason] = state.held.get(hold.reason, 0) + 1
                        else:
                            state.tables.append((item_path(f), row))
                            state.special = state.special or "special" in flags_of(f["entity"])
                    continue
                when = ages.get((source, f["uri"]))
                if when is None:
                    continue
                state.aged += 1
                if rule.never or when < rule.cutoff(ev.as_of):
                    hold = hold_for(inv.legal_holds, source, item_path(f), ev.as_of)
                    reason = hold.reason if hold else object_holds.get((source, f["uri"]))
                    if reason:
                        reason = reason if hold else f"object hold ({reason})"
                        state.held[reason] = state.held.get(reason, 0) + 1
                    else:
                        state.add(when)
                        state.special = state.special or "special" in flags_of(f["entity"])
            for rule, state in by_rule.items():
                for (vsource, _), value in versions.items():
                    oldest = value.get("oldest") if isinstance(value, dict) else None
                    if vsource == source and oldest and dt.date.fromisoformat(oldest[:10]) < rule.cutoff(ev.as_of):
                        state.versions = value
                yield a, source, state, rule


def _past(state: _Expired, as_of: dt.date) -> str:
    parts = []
    if state.items:
        oldest = state.oldest or as_of
        parts.append(
            f"{state.items} item(s) older than the rule, the oldest last modified {oldest} "
            f"({age_words((as_of - oldest).days)} old)"
        )
    for table, row in state.tables:
        oldest = dt.date.fromisoformat(row["oldest"])
        if row.get("read") == "index":
            basis = "the column's minimum, read through its index"
        else:
            basis = f"of all {row['rows']} rows" if row["whole"] else f"of {row['rows']} sampled rows"
        parts.append(
            f"table {table}: the oldest row by {row['column']} is from {oldest} "
            f"({age_words((as_of - oldest).days)} old; {basis})"
        )
    if state.versions:
        parts.append(
            f"{state.versions.get('count', 'some')} noncurrent version(s), "
            f"the oldest from {state.versions['oldest'][:10]}"
        )
    return "; ".join(parts)


def _tables(tables: list[tuple[str, dict[str, Any]]]) -> str:
    """'rows of 2 table(s) (public.customers, public.orders)', or '' for none."""
    return f"rows of {len(tables)} table(s) ({', '.join(t for t, _ in tables)})" if tables else ""


@check("RET-001")
def older_than_rule(ev: Evidence) -> Iterator[Outcome]:
    for a, source, state, rule in _expired(ev):
        subject, cause = f"store:{source}", f"retention:{source}:{a.name}"
        rule_text = f"{a.name}: {rule.describe()}"
        if state.past:
            sev = "high" if state.special else None
            yield Outcome(subject, "fail", f"{rule_text}; {_past(state, ev.as_of)}", severity=sev, cause=cause)
        elif state.aged or state.held:  # nothing aged: no evidence either way, so no verdict
            held = "; ".join(f"{n} item(s) kept under legal hold: {r}" for r, n in sorted(state.held.items()))
            yield Outcome(subject, "pass", f"{rule_text}; nothing older found" + (f" ({held})" if held else ""))


@check("RET-005")
def kept_without_hold(ev: Evidence) -> Iterator[Outcome]:
    for a, source, state, rule in _expired(ev):
        if not (state.items or state.tables or state.held):
            continue
        subject = f"store:{source}"
        if state.items or state.tables:
            what = ", ".join(n for n in (f"{state.items} item(s)" if state.items else "", _tables(state.tables)) if n)
            why = f"{a.name}: {what} past {rule.describe()} and no legal hold covers them"
            yield Outcome(subject, "fail", why, cause=f"retention:{source}:{a.name}")
        else:
            reasons = ", ".join(sorted(state.held))
            yield Outcome(subject, "pass", f"{a.name}: data past its rule is kept under legal hold ({reasons})")


@check("RET-002")
def rule_recorded(ev: Evidence) -> Iterator[Outcome]:
    inv = ev.config.inventory
    for a in inv.activities:
        if isinstance(a.retention, RetentionRule):
            yield Outcome(f"activity:{a.name}", "pass", f"{a.retention.period} from {a.retention.clock}")
            continue
        categories = a.data_categories or ["user"]
        rules = {c: rule_for(inv, a, c) for c in categories}
        uncovered = [c for c, r in rules.items() if r is None or not r.declared]
        if a.retention and isinstance(a.retention, str):
            yield Outcome(f"activity:{a.name}", "pass", f"stated in words only ({a.retention}): ages cannot be checked")
        elif not uncovered:
            yield Outcome(
                f"activity:{a.name}", "pass", "; ".join(f"{c}: {r.describe()}" for c, r in rules.items() if r)
            )
        else:
            hints = [f"{c}: privmap's default is {r.describe()}" for c, r in rules.items() if r and not r.declared]
            hint = f" ({'; '.join(hints)})" if hints else ""
            yield Outcome(f"activity:{a.name}", "fail", f"no retention rule for {', '.join(uncovered)}{hint}")


def _store_rules(ev: Evidence) -> Iterator[tuple[str, str, dict[str, Any], Activity, Rule]]:
    """(source, store, facts, activity, rule) for stores with lifecycle facts and an ageable rule."""
    inv = ev.config.inventory
    for (source, store), facts in sorted(ev.store_facts().items()):
        for a in inv.activities:
            if source not in a.stores:
                continue
            cats = {f["category"] for f in held_by(a, (f for f in ev.findings if f["source"] == source))}
            rules = [r for c in sorted(cats) if (r := rule_for(inv, a, c)) and r.ageable and not r.never]
            if rules:
                yield source, store, facts, a, min(rules, key=lambda r: r.days(ev.as_of))


@check("RET-003")
def rule_enforced(ev: Evidence) -> Iterator[Outcome]:
    for _, store, facts, a, rule in _store_rules(ev):
        if "lifecycle_expiration_days" not in facts:
            continue  # no lifecycle evidence for this store: not judged
        days = facts["lifecycle_expiration_days"]
        limit = rule.days(ev.as_of)
        where = f"store:{store}"
        if days is None:
            yield Outcome(where, "fail", f"{a.name}: {rule.describe()}, but no lifecycle rule expires objects")
        elif days > limit:
            yield Outcome(
                where, "fail", f"{a.name}: objects expire after {days} days, later than the rule's {limit} days"
            )
        else:
            yield Outcome(where, "pass", f"{a.name}: objects expire after {days} days (rule: {limit} days)")


@check("RET-004")
def copies_expire(ev: Evidence) -> Iterator[Outcome]:
    """Noncurrent versions (a bucket's backups of overwritten and deleted objects) must expire too."""
    for _, store, facts, a, rule in _store_rules(ev):
        if facts.get("versioning") != "Enabled" or "noncurrent_expiration_days" not in facts:
            continue
        days = facts["noncurrent_expiration_days"]
        limit = rule.days(ev.as_of)
        where = f"store:{store}"
        if days is None:
            yield Outcome(
                where, "fail", f"{a.name}: versioning is on and noncurrent versions never expire (rule: {limit} days)"
            )
        elif days > limit:
            yield Outcome(
                where,
                "fail",
                f"{a.name}: noncurrent versions expire after {days} days, later than the rule's {limit} days",
            )
        else:
            yield Outcome(where, "pass", f"{a.name}: noncurrent versions expire after {days} days")
