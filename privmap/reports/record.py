"""The shape of a record: fields made of entries that each say where they come from.

An entry is declared (the inventory), observed (the scan's findings and posture facts), derived
(worked out from both with the legal tables) or not recorded; some of these are gaps a DPO must
close before signing the record off. Columns name the Art. 30 point or the regulator template
(ICO, CNIL) that asks for a field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

Basis = Literal[
    "declared",
    "observed",
    "shared",
    "undeclared",
    "unobserved",
    "unexamined",
    "derived",
    "missing",
    "unrecorded",
    "invalid",
    "weakness",
    "n/a",
]


class BasisInfo(NamedTuple):
    label: str  # shown before the text
    gap: bool  # a gap the DPO must close
    meaning: str


BASES: dict[str, BasisInfo] = {
    "declared": BasisInfo("declared", False, "stated in the inventory (the privmap configuration)"),
    "observed": BasisInfo("observed", False, "found by the scan, and consistent with the inventory"),
    "shared": BasisInfo(
        "held in a shared store",
        False,
        "found in a store several activities use, and declared by another activity that holds it",
    ),
    "undeclared": BasisInfo("observed in addition", True, "found by the scan but missing from the inventory"),
    "unobserved": BasisInfo(
        "declared, not found by the scan", False, "in the inventory, but the scan found none in the stores"
    ),
    "unexamined": BasisInfo(
        "not examined", True, "listed by the scan but not read (or not listed at all): what it holds is unknown"
    ),
    "derived": BasisInfo("derived", False, "worked out from the inventory, the scan and privmap's legal tables"),
    "missing": BasisInfo("missing, required", True, "required by Art. 30 (or by the basis relied on) and not recorded"),
    "unrecorded": BasisInfo("not recorded", False, "recommended by the ICO or CNIL templates, not recorded"),
    "invalid": BasisInfo("declared, not valid", True, "stated in the inventory, but no longer valid in law"),
    "weakness": BasisInfo("observed weakness", True, "a security weakness seen in the store's configuration"),
    "n/a": BasisInfo("not applicable", False, "does not apply to this activity, for the reason given"),
}


@dataclass(frozen=True)
class Entry:
    basis: Basis
    text: str

    @property
    def label(self) -> str:
        return BASES[self.basis].label

    @property
    def gap(self) -> bool:
        return BASES[self.basis].gap

    def flat(self) -> str:
        return f"{self.label}: {self.text}" if self.text else self.label


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    reference: str  # the Art. 30 point, or the regulator template that recommends the column
    required: bool = False  # mandatory under Art. 30 (always or where applicable)
    marked: bool = True  # spreadsheet cells say where each part comes from; not for names


@dataclass(frozen=True)
class Record:
    title: str
    fields: dict[str, list[Entry]]
    role: str = "controller"
    extra: dict[str, Any] = field(default_factory=dict)  # structured evidence for ropa.json

    def text(self, key: str, marked: bool = True) -> str:
        """A field as one line of text, each part marked with where it comes from."""
        return "; ".join(e.flat() if marked else e.text for e in self.fields.get(key, []))

    def gaps(self, columns: list[Column]) -> list[str]:
        return [c.title for c in columns if any(e.gap for e in self.fields.get(c.key, []))]

    def to_json(self, columns: list[Column]) -> dict[str, Any]:
        return {
            "title": self.title,
            "role": self.role,
            "fields": {
                c.key: [{"basis": e.basis, "label": e.label, "text": e.text} for e in self.fields[c.key]]
                for c in columns
            },
            "gaps": self.gaps(columns),
            **self.extra,
        }
