"""Versioned legal and reference tables (YAML); each records its version and sources."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib.resources import files
from typing import Any

import yaml


@cache
def load_table(name: str) -> Any:
    """Parse privmap/data/<name>.yaml (cached: the tables are read-only)."""
    return yaml.safe_load(files(__package__).joinpath(f"{name}.yaml").read_text(encoding="utf-8"))


def _entity(entity: str) -> dict[str, Any]:
    return load_table("entity_categories")["entities"].get(entity) or {}


def category_of(entity: str) -> str:
    """The fideslang data category of a detected entity; unknown entities map to `user`."""
    return _entity(entity).get("category") or "user"


@cache  # asked once per finding by several checks; the table is read-only
def flags_of(entity: str) -> frozenset[str]:
    """Risk flags of an entity: special (Art. 9/10), high_risk, spi (CCPA sensitive)."""
    return frozenset(_entity(entity).get("flags") or ())


def covered(category: str, declared: Iterable[str]) -> bool:
    """fideslang categories inherit: declaring `user.contact` covers `user.contact.email`."""
    return any(category == d or category.startswith(d + ".") for d in declared)


def category_entry(category: str) -> dict[str, Any]:
    """Label, CNIL group and special flag of a fideslang category, from its nearest listed parent."""
    table = load_table("vocabulary")["categories"]
    key = category
    while key not in table and "." in key:
        key = key.rpartition(".")[0]
    entry = table.get(key, {})
    return {
        "label": entry.get("label", category) if key == category else category,  # a parent's label would hide detail
        "group": entry.get("group", "other"),
        "special": bool(entry.get("special")),
    }


def use_label(use: str) -> str:
    """A fideslang data use in words: `marketing.communications.email` -> 'marketing e-mails and
    newsletters'; an unlisted use takes its nearest listed parent's words, with the key beside them."""
    table = load_table("vocabulary")["data_uses"]
    key = use
    while key not in table and "." in key:
        key = key.rpartition(".")[0]
    if key not in table:
        return use  # a custom purpose: its own words
    return str(table[key]) if key == use else f"{table[key]} ({use})"


def subject_label(subject: str) -> str:
    """A fideslang data subject in words (`customer_end_user` -> "our customers' end users"); custom keys stay."""
    return str(load_table("vocabulary")["data_subjects"].get(subject, subject))
