"""Which processing activities hold a finding: per-activity scopes inside shared stores.

Several activities often share one store (a CRM database holds accounts, billing and newsletter
data). An activity that declares `scopes` for a store holds only the findings inside them (tables,
columns, key prefixes, JSON paths); an activity without a scope for a store it lists holds all of
it. The data map, the checks (INV-002) and the RoPA all attribute findings by this one rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from privmap.config.models import Activity, Inventory, Scope


def item_path(finding: dict[str, Any]) -> str:
    """The item inside its store: a table name for `...#table` URIs, else the key or path under the
    store, e.g. `billing` or `invoices/2024/a.pdf` (percent-decoding undone)."""
    uri, store = finding["uri"], finding.get("store") or ""
    rest = uri[len(store) :] if store and uri.startswith(store) else uri
    rest = unquote(rest)
    if "#" in rest:
        return rest.rpartition("#")[2]
    return rest.lstrip("/")


def _path_under(value: str, prefix: str) -> bool:
    """`customer.email` is under `customer`; `assets[].id` under `assets`."""
    return value == prefix or value.startswith((prefix + ".", prefix + "["))


def _named(qualified: str, name: str) -> bool:
    """`main.billing` is named by `main.billing` and by `billing` (schema-qualified table names)."""
    return qualified == name or qualified.endswith("." + name)


def in_scope(scope: Scope, finding: dict[str, Any]) -> bool:
    """Whether a finding of the scope's store lies inside it: every selector kind given must match.
    Tables may be named with or without their schema (`billing` or `public.billing`)."""
    path, field = item_path(finding), finding.get("field") or ""
    is_table = "#" in finding["uri"]
    if scope.tables and not (is_table and any(_named(path, t) for t in scope.tables)):
        return False
    if scope.columns and not any(field == c or _named(f"{path}.{field}", c) for c in scope.columns):
        return False
    if scope.prefixes and not any(path.startswith(p) for p in scope.prefixes):
        return False
    return not scope.json_paths or any(_path_under(field, p) for p in scope.json_paths)


def holds(activity: Activity, finding: dict[str, Any]) -> bool:
    """Whether `activity` holds the finding: it lists the store, and the finding is inside one of its
    scopes for that store (or it has none there, and so holds the whole store)."""
    source = finding["source"]
    if source not in activity.stores:
        return False
    scopes = [s for s in activity.scopes if s.store == source]
    return not scopes or any(in_scope(s, finding) for s in scopes)


def holders(inventory: Inventory, finding: dict[str, Any]) -> list[Activity]:
    """The activities that hold a finding, in inventory order."""
    return [a for a in inventory.activities if holds(a, finding)]


def sharing(inventory: Inventory, source: str) -> list[Activity]:
    """The activities that list a store, in inventory order."""
    return [a for a in inventory.activities if source in a.stores]


def unscoped_sharers(inventory: Inventory, source: str) -> list[str]:
    """Names of the activities that share a store without scoping themselves within it."""
    users = sharing(inventory, source)
    if len(users) < 2:
        return []
    return [a.name for a in users if not any(s.store == source for s in a.scopes)]


def held_by(activity: Activity, findings: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The findings an activity holds."""
    return [f for f in findings if holds(activity, f)]
