"""Legal lookups shared by the graph, the checks and the reports, each evaluated as of a date.

A cloud region code names a place (one or more countries); a country is in a zone on a date:
`EEA`, `ADEQUATE:<cc>` (an adequacy decision in force), `US` (adequate only for importers
certified under the framework in force: Safe Harbour, Privacy Shield, the DPF) or `THIRD`.
A place spanning several countries is in the worst zone of them. A region code missing from
regions.yaml is `UNKNOWN`: reported, never guessed from its spelling.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from privmap.data import load_table

ZONES = ("EEA", "ADEQUATE", "US", "THIRD", "UNKNOWN")  # from least to most risk
UNKNOWN = "UNKNOWN"
EXPIRY_WARNING = dt.timedelta(days=365)  # an adequacy decision ending within this is "nearing expiry"


@dataclass(frozen=True)
class Place:
    provider: str  # aws, gcp, azure
    code: str
    name: str
    countries: tuple[str, ...]
    regions: tuple[str, ...] = ()  # the regions of a predefined dual-region (GCS EUR4: europe-north1, europe-west4)


@cache
def _places() -> dict[str, Place]:
    return {
        loc["code"].lower(): Place(
            loc["provider"], loc["code"], loc["place"], tuple(loc["countries"]), tuple(loc.get("regions", ()))
        )
        for loc in load_table("regions")["locations"]
    }


def place(code: str | None, provider: str | None = None) -> Place | None:
    """The place a region or location code names, or None when it is not in regions.yaml.

    Codes are matched without regard to case (GCS reports them upper-case). A provider's legacy
    spellings (S3's `EU` for eu-west-1) are applied only when the provider is known. A region of
    the organisation's own, declared as `private:<ISO country>[:<name>]`, is in that country.
    """
    if code is None:
        return None
    if code.startswith("private:"):
        country, _, name = code.removeprefix("private:").partition(":")
        return Place("private", code, name or f"private region in {country}", (country_code(country),))
    if provider:
        code = load_table("regions")["aliases"].get(provider, {}).get(code, code)
    return _places().get(code.strip().lower())


def country_code(code: str) -> str:
    """ISO 3166 alpha-2, upper-case; the common non-ISO spellings (UK, EL) mapped."""
    code = code.strip().upper()
    return load_table("countries")["aliases"].get(code, code)


def country_name(code: str) -> str:
    entry = load_table("countries")["countries"].get(country_code(code)) or {}
    return entry.get("name") or code


def is_eea(country: str) -> bool:
    entry = load_table("countries")["countries"].get(country_code(country)) or {}
    return bool(entry.get("eea"))


def _in_force(entry: dict[str, Any], as_of: dt.date) -> bool:
    start, end = entry.get("valid_from"), entry.get("valid_to")
    return (start is None or start <= as_of) and (end is None or as_of < end)


def decisions(country: str) -> list[dict[str, Any]]:
    """Every adequacy decision, past or present, for a country."""
    cc = country_code(country)
    return [d for d in load_table("adequacy")["decisions"] if d["country"] == cc]


def decision_on(country: str, as_of: dt.date) -> dict[str, Any] | None:
    """The adequacy decision in force for a country on a date, if any."""
    return next((d for d in decisions(country) if _in_force(d, as_of)), None)


def country_zone(country: str, as_of: dt.date) -> str:
    if is_eea(country):
        return "EEA"
    decision = decision_on(country, as_of)
    if decision is None:
        return "THIRD"
    return "US" if decision["requires_certification"] else f"ADEQUATE:{country_code(country)}"


def rank(zone: str) -> int:
    return ZONES.index(zone.split(":")[0])


def worst(zones: Iterable[str]) -> str:
    """The riskiest of several zones; UNKNOWN for none at all."""
    return max(zones, key=rank, default=UNKNOWN)


def place_zone(where: Place | None, as_of: dt.date) -> str:
    if where is None:
        return UNKNOWN
    return worst(country_zone(c, as_of) for c in where.countries)


@cache
def mechanisms() -> dict[str, dict[str, Any]]:
    return load_table("mechanisms")["mechanisms"]


@dataclass(frozen=True)
class Basis:
    """Whether a transfer to one country rests on a valid mechanism on a date, and why."""

    valid: bool
    reason: str
    # why not: missing | inapplicable (the mechanism cannot cover this destination) | not_yet |
    # expired | uncertified (the DPF relied on for an importer not declared certified)
    problem: str | None = None
    decision: str | None = None  # the adequacy decision relied on
    caveat: str | None = None  # the decision relied on nears expiry or is challenged in court


def _caveat(decision: dict[str, Any], as_of: dt.date) -> str | None:
    notes = []
    if decision["valid_to"] and decision["valid_to"] - as_of <= EXPIRY_WARNING:
        notes.append(f"expires on {decision['valid_to']}")
    if decision.get("litigation"):
        notes.append(f"challenged: {decision['litigation']}")
    return "; ".join(notes) or None


def transfer_basis(mechanism: str | None, country: str, as_of: dt.date, dpf_certified: bool = False) -> Basis:
    """Assess a transfer to `country` on `as_of` that records `mechanism` (Art. 44 order)."""
    cc, name = country_code(country), country_name(country)
    if is_eea(cc):
        return Basis(True, f"{name} is in the EEA: not a transfer")
    own = decision_on(cc, as_of)
    if own and not own["requires_certification"]:
        return Basis(
            True, f"adequacy decision {own['decision']} for {name}", None, own["decision"], _caveat(own, as_of)
        )
    entry = mechanisms().get(mechanism or "none") or mechanisms()["none"]
    title = entry["title"]
    if entry["basis"] == "none":
        return Basis(False, f"no transfer mechanism recorded for {name}", "missing")
    if framework := entry.get("framework"):
        decision = next((d for d in decisions(cc) if d["framework"] == framework), None)
        if decision is None:
            return Basis(False, f"the {title} does not cover {name}", "inapplicable")
        if as_of < decision["valid_from"]:
            return Basis(False, f"the {title} applies only from {decision['valid_from']}", "not_yet")
        if decision["valid_to"] and as_of >= decision["valid_to"]:
            return Basis(False, f"the {title} is invalid since {decision['valid_to']} ({entry['article']})", "expired")
        if framework == "dpf" and not dpf_certified:
            return Basis(
                False, f"the {title} covers only certified importers; this one is not declared certified", "uncertified"
            )
        return Basis(True, f"{title} ({decision['decision']})", None, decision["decision"], _caveat(decision, as_of))
    if entry["basis"] == "adequacy":
        hint = ": only certified importers are covered, record dpf" if own else ""
        return Basis(False, f"no adequacy decision covers {name} on {as_of}{hint}", "inapplicable")
    if entry.get("valid_from") and as_of < entry["valid_from"]:
        return Basis(False, f"{title} can be used only from {entry['valid_from']}", "not_yet")
    if entry.get("valid_to") and as_of >= entry["valid_to"]:
        return Basis(False, f"{title} lost validity on {entry['valid_to']}", "expired")
    return Basis(True, f"{title} ({entry['article']})")
