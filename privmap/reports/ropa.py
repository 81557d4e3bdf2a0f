"""The record of processing activities (GDPR Art. 30): declared inventory plus observed evidence."""

from __future__ import annotations

from typing import Any

from privmap.data import covered
from privmap.data.legal import is_eea
from privmap.reports.data import ReportData

# one row per activity; the column order of ropa.csv (ICO template order where it applies)
COLUMNS: list[tuple[str, str]] = [
    ("activity", "Processing activity"),
    ("role", "Role (controller/processor)"),
    ("controller", "Controller (name, contact)"),
    ("dpo", "Data protection officer"),
    ("eu_representative", "EU representative"),
    ("purposes", "Purposes"),
    ("lawful_basis", "Art. 6 lawful basis"),
    ("art9_condition", "Art. 9 condition"),
    ("data_subjects", "Categories of data subjects"),
    ("categories_declared", "Categories of personal data (declared)"),
    ("categories_observed", "Categories of personal data (observed by scan)"),
    ("categories_undeclared", "Observed but not declared"),
    ("recipients", "Categories of recipients"),
    ("third_countries", "Transfers to third countries"),
    ("retention", "Time limits for erasure"),
    ("security_measures", "Technical and organisational measures"),
    ("stores", "Location of personal data"),
    ("source_of_data", "Source of the personal data"),
    ("dpia", "DPIA"),
    ("last_reviewed", "Last reviewed"),
]


def _contact(name: str | None, email: str | None) -> str:
    return ", ".join(p for p in (name, email) if p)


def ropa_records(data: ReportData) -> list[dict[str, Any]]:
    """One record per declared activity, each field declared or observed, gaps left visible."""
    config = data.config
    org = config.organization
    recipients = {r.name: r for r in config.inventory.recipients}
    affiliates = {a.name: a for a in config.inventory.affiliates}
    regions = {f.source: f.value for f in data.facts if f.key == "region"}
    by_store = data.findings_by_store()
    records = []
    for activity in config.inventory.activities:
        observed: dict[str, list[str]] = {}
        for store in activity.stores:
            for category in by_store.get(store, {}):
                observed.setdefault(category, []).append(store)
        declared = set(activity.data_categories)
        undeclared = {c: s for c, s in observed.items() if not covered(c, declared)}
        recipient_rows, third = [], []
        for name in activity.recipients:
            r = recipients.get(name)
            kind, country = (r.kind, r.country) if r else ("affiliate", affiliates[name].country)
            mechanism = (r.transfer_mechanism if r else None) or "not recorded"
            recipient_rows.append(f"{name} ({kind.replace('_', ' ')}, {country})")
            if not is_eea(country):
                third.append(f"{name} in {country}: {mechanism}")
        records.append(
            {
                "activity": activity.name,
                "role": activity.role,
                "controller": activity.controller or _contact(org.name, org.contact),
                "dpo": _contact(org.dpo.name, org.dpo.email) if org.dpo else "",
                "eu_representative": _contact(org.eu_representative.name, org.eu_representative.email)
                if org.eu_representative
                else "",
                "purposes": "; ".join(activity.purposes),
                "lawful_basis": (activity.lawful_basis or "").replace("_", " "),
                "art9_condition": activity.art9_condition or "",
                "data_subjects": "; ".join(activity.data_subjects),
                "categories_declared": "; ".join(activity.data_categories),
                "categories_observed": "; ".join(f"{c} ({', '.join(s)})" for c, s in sorted(observed.items())),
                "categories_undeclared": "; ".join(f"{c} ({', '.join(s)})" for c, s in sorted(undeclared.items())),
                "recipients": "; ".join(recipient_rows),
                "third_countries": "; ".join(third) or "none",
                "retention": activity.retention or "",
                "security_measures": activity.security_measures or "",
                "stores": "; ".join(f"{s} ({regions.get(s) or 'region unknown'})" for s in activity.stores),
                "source_of_data": activity.source_of_data or "",
                "dpia": activity.dpia or "",
                "last_reviewed": activity.last_reviewed.isoformat() if activity.last_reviewed else "",
            }
        )
    return records
