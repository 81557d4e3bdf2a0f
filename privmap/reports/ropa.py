"""The record of processing activities (GDPR Art. 30): declared inventory plus observed evidence.

Every field of a record is a list of `Entry`s, and each entry says where it comes from: declared in
the inventory, observed by the scan (findings and posture facts), derived from both with the legal
tables, or not recorded. Gaps stay visible: categories observed but not declared, mandatory fields
left empty, transfer tools that are no longer valid, weaknesses in the observed security posture.

Art. 30(1) gives one controller record per activity; Art. 30(2) one processor record per controller
the organisation processes for, grouping the processor-role activities done for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import unquote

from privmap.attribution import held_by, holders, sharing
from privmap.config.models import Activity, Config, ControllerParty, Recipient, RetentionRule
from privmap.coverage import not_inspected_text
from privmap.data import category_entry, covered, flags_of, load_table, subject_label, use_label
from privmap.data.legal import country_name, is_eea
from privmap.data.legal import place as region_place
from privmap.model import ORGANIZATION as ORG
from privmap.reports.data import ReportData, personal_data
from privmap.reports.record import Basis, Column, Entry, Record
from privmap.retention import period_words, rule_for

# one row per activity in ropa.csv and ropa.xlsx: the Art. 30 content, then the ICO and CNIL columns
# Art. 30(1)(a) contacts, in both the activity rows and the organisation's own
_DPO = Column("dpo", "Data protection officer", "Art. 30(1)(a), Art. 37", True)
_REPRESENTATIVE = Column("representative", "Representative in the EU", "Art. 30(1)(a), Art. 27", True)

COLUMNS: list[Column] = [
    Column("activity", "Processing activity", "CNIL", True, marked=False),
    Column("role", "Role", "Art. 30(1), 30(2)", True, marked=False),
    Column("business_function", "Business function", "ICO"),
    Column("controller", "Controller: name and contact details", "Art. 30(1)(a), 30(2)(a)", True),
    Column("joint_controller", "Joint controller", "Art. 30(1)(a)", True),
    _REPRESENTATIVE,
    _DPO,
    Column("purposes", "Purposes of the processing", "Art. 30(1)(b), 30(2)(b)", True),
    Column("data_subjects", "Categories of data subjects", "Art. 30(1)(c)", True),
    Column("data_categories", "Categories of personal data", "Art. 30(1)(c)", True),
    Column("special_categories", "Sensitive data (Art. 9 and 10)", "CNIL"),
    Column("recipients", "Categories of recipients", "Art. 30(1)(d)", True),
    Column("processor_contracts", "Contracts with processors", "ICO, Art. 28(3)"),
    Column("transfers", "Transfers to third countries and safeguards", "Art. 30(1)(e), 30(2)(c)", True),
    Column("retention", "Time limits for erasure", "Art. 30(1)(f)", True),
    Column("security", "Technical and organisational security measures", "Art. 30(1)(g), 30(2)(d)", True),
    Column("lawful_basis", "Art. 6 lawful basis", "ICO"),
    Column("legitimate_interests", "Legitimate interests relied on", "ICO"),
    Column("art9_condition", "Art. 9 condition", "ICO"),
    Column("rights", "Rights available to individuals", "ICO"),
    Column("automated_decisions", "Automated decision-making, profiling", "ICO, Art. 22"),
    Column("source_of_data", "Source of the personal data", "ICO, Art. 14"),
    Column("consent_record", "Consent record", "ICO, Art. 7(1)"),
    Column("location", "Location of personal data", "ICO"),
    Column("dpia", "Data protection impact assessment", "ICO, Art. 35"),
    Column("owner", "Owner", "ICO"),
    Column("last_reviewed", "Last reviewed", "CNIL"),
]

# the organisation itself: Art. 30(1)(a), shared by every record
ORGANISATION_COLUMNS: list[Column] = [
    Column("name", "Name and contact details", "Art. 30(1)(a)", True),
    Column("country", "Country of the main establishment", "Art. 3, Art. 56"),
    _DPO,
    _REPRESENTATIVE,
    Column("joint_controllers", "Joint controllers (organisation-wide)", "Art. 30(1)(a), Art. 26"),
]

# one Art. 30(2) record per controller we process for
PROCESSOR_COLUMNS: list[Column] = [
    Column("controller", "Controller: name and contact details", "Art. 30(2)(a)", True),
    Column("controller_contacts", "Controller's representative and DPO", "Art. 30(2)(a)", True),
    Column("processor", "Processor: name and contact details", "Art. 30(2)(a)", True),
    Column("processor_contacts", "Processor's representative and DPO", "Art. 30(2)(a)", True),
    Column("contract", "Processing agreement with the controller", "ICO, Art. 28(3)"),
    Column("processing", "Categories of processing carried out", "Art. 30(2)(b)", True),
    Column("data_categories", "Categories of personal data", "Art. 30(2)(b)"),
    Column("sub_processors", "Sub-processors and other recipients", "Art. 28(2), 28(4)"),
    Column("transfers", "Transfers to third countries and safeguards", "Art. 30(2)(c)", True),
    Column("security", "Technical and organisational security measures", "Art. 30(2)(d)", True),
]


@dataclass(frozen=True)
class Ropa:
    organisation: Record  # Art. 30(1)(a): who keeps the record
    activities: list[Record]  # every activity, controller and processor role alike (Art. 30(1) rows)
    processor_records: list[Record]  # Art. 30(2), one per controller we act for

    @property
    def controller_records(self) -> list[Record]:
        return [r for r in self.activities if r.role != "processor"]


def _contact(name: str | None, *details: str | None) -> str:
    return ", ".join(p for p in (name, *details) if p)


def _join(values: Iterable[str]) -> str:
    return ", ".join(values)


def category_label(category: str) -> str:
    return str(category_entry(category)["label"])


def _item_name(finding: dict[str, Any]) -> str:
    """The item inside its store, as a reader names it: a table, or a path under the store."""
    uri, store = finding["uri"], finding["store"]
    rest = uri[len(store) :] if uri.startswith(store) else uri
    rest = unquote(rest).lstrip("/")
    return f"table {rest[1:]}" if rest.startswith("#") else rest


def _where(findings: list[dict[str, Any]], limit: int = 3) -> str:
    """'crm: table billing, table contacts' per store; long lists end with 'and N more'."""
    parts = []
    by_store: dict[str, list[str]] = {}
    for f in findings:
        names = by_store.setdefault(f["source"], [])
        if (name := _item_name(f)) not in names:
            names.append(name)
    for store, names in sorted(by_store.items()):
        shown = ", ".join(sorted(names)[:limit])
        more = f" and {len(names) - limit} more" if len(names) > limit else ""
        parts.append(f"{store}: {shown}{more}")
    return "; ".join(parts)


class _Context:
    """The run's evidence, indexed once for every record."""

    def __init__(self, data: ReportData) -> None:
        self.config: Config = data.config
        inv = self.config.inventory
        self.recipients: dict[str, Recipient] = {r.name: r for r in inv.recipients}
        self.affiliates = {a.name: a for a in inv.affiliates}
        self.sources = {s.name: s for s in self.config.sources}
        self.findings: dict[str, list[dict[str, Any]]] = {}
        for f in personal_data(data.findings):
            self.findings.setdefault(f["source"], []).append(f)
        # source -> store (bucket, folder, database) -> key -> value
        self.facts: dict[str, dict[str, dict[str, Any]]] = {}
        for fact in data.facts:
            self.facts.setdefault(fact.source, {}).setdefault(fact.store, {})[fact.key] = fact.value
        self.vocabulary = load_table("vocabulary")
        self.coverage = {c["source"]: c for c in data.coverage}  # what the scan examined, per source
        self.as_of = data.as_of
        self.organisation = _organisation(self.config)
        if data.data_map is None:
            raise ValueError("the RoPA is read off the run's data map: ReportData.data_map is required")
        self.data = data
        self.g = data.data_map  # where stores are and the verdict on every flow: derived once, by the graph

    def kind_and_country(self, name: str) -> tuple[str, str]:
        """(kind, country) of a recipient, or (relationship, country) of an affiliate."""
        if name in self.recipients:
            return self.recipients[name].kind.replace("_", " "), self.recipients[name].country
        affiliate = self.affiliates[name]
        return affiliate.relationship, affiliate.country

    def store_facts(self, stores: list[str]) -> list[tuple[str, str, dict[str, Any]]]:
        """(source, store, facts) for the posture of the given sources, containers in a stable order."""
        return [(s, store, keys) for s in stores for store, keys in sorted(self.facts.get(s, {}).items())]

    def store_nodes(self, sources: Iterable[str]) -> list[str]:
        """The data map's scanned store nodes of the given sources."""
        wanted = set(sources)
        return sorted(
            n for n, d in self.g.nodes(data=True) if d["kind"] == "store" and d["scanned"] and d["source"] in wanted
        )


def _organisation(config: Config) -> Record:
    org = config.organization
    eea = is_eea(org.country)
    return Record(
        org.name,
        {
            "name": [Entry("declared", _contact(org.name, org.address, org.contact))],
            "country": [Entry("declared", country_name(org.country))],
            "dpo": _declared(_contact(org.dpo.name, org.dpo.email, org.dpo.phone) if org.dpo else None),
            "representative": [Entry("declared", _contact(org.eu_representative.name, org.eu_representative.email))]
            if org.eu_representative
            else [Entry("n/a", f"established in the EEA ({country_name(org.country)})")]
            if eea
            else [Entry("missing", "established outside the EEA and no representative recorded (Art. 27)")],
            "joint_controllers": [Entry("declared", _contact(j.name, j.email)) for j in org.joint_controllers]
            or [Entry("n/a", "none at organisation level; see each activity")],
        },
    )


# -- the fields of a controller record ------------------------------------------------------------


def _declared(value: str | None, *, required: bool = False, empty: str = "") -> list[Entry]:
    if value:
        return [Entry("declared", value)]
    return [Entry("missing" if required else "unrecorded", empty)]


def _categories(ctx: _Context, activity: Activity) -> tuple[list[Entry], dict[str, Any]]:
    """Declared against observed, by what the activity holds (privmap.attribution): a category found in a
    shared store that another activity holding it declares is shared, not a gap of this one."""
    declared = list(activity.data_categories)
    inv = ctx.config.inventory
    observed: dict[str, list[dict[str, Any]]] = {}
    for store in activity.stores:
        for f in held_by(activity, ctx.findings.get(store, [])):
            observed.setdefault(f["category"], []).append(f)
    covered_obs = {c: fs for c, fs in sorted(observed.items()) if covered(c, declared)}
    extra: dict[str, list[dict[str, Any]]] = {}
    shared: dict[str, list[dict[str, Any]]] = {}
    for c, fs in sorted(observed.items()):
        if covered(c, declared):
            continue
        others = [a for f in fs for a in holders(inv, f) if a is not activity and covered(c, a.data_categories)]
        (shared if others else extra)[c] = fs
    unseen = [d for d in declared if not any(covered(c, [d]) for c in observed)]
    entries = (
        [Entry("declared", _join(category_label(c) for c in declared))]
        if declared
        else [Entry("missing", "no category declared")]
    )
    if covered_obs:
        entries.append(Entry("observed", _join(f"{category_label(c)} ({_where(fs)})" for c, fs in covered_obs.items())))
    if shared:
        for source in sorted({f["source"] for fs in shared.values() for f in fs}):
            names = [a.name for a in sharing(inv, source)]
            cats = _join(category_label(c) for c, fs in shared.items() if any(f["source"] == source for f in fs))
            entries.append(Entry("shared", f"{cats}: held in a store shared by {_join(names)} ({source})"))
    if extra:
        entries.append(Entry("undeclared", _join(f"{category_label(c)} ({_where(fs)})" for c, fs in extra.items())))
    if unseen and activity.stores:
        entries.append(Entry("unobserved", _join(category_label(c) for c in unseen)))
    entries += _coverage_notes(ctx, activity.stores)
    groups = {category_entry(c)["group"] for c in [*declared, *observed]}
    cnil = ctx.vocabulary["cnil_groups"]
    structured = {
        "categories": {
            "declared": declared,
            "observed": {c: sorted({f["source"] for f in fs}) for c, fs in sorted(observed.items())},
            "undeclared": sorted(extra),
            "shared": sorted(shared),
            "not_observed": unseen,
            "cnil_groups": [cnil[g] for g in cnil if g in groups],
        }
    }
    return entries, structured


def _coverage_notes(ctx: _Context, stores: list[str]) -> list[Entry]:
    """What the observed categories rest on, for each store the scan did not fully examine:
    `uploads: read 11 of 18 items; 7 not inspected: 3 PDF, 2 XLSX, 2 failed (timeout)`."""
    notes = []
    for name in stores:
        record = ctx.coverage.get(name)
        if record is None or record["status"] == "complete":
            continue
        if record["status"] == "not listed":
            notes.append(Entry("unexamined", f"{name}: could not be listed; nothing in it was examined"))
        elif record["status"] == "empty":
            notes.append(Entry("unexamined", f"{name}: listed no items"))
        else:
            notes.append(Entry("unexamined", f"{name}: {not_inspected_text(record)}"))
    return notes


def _sensitive(ctx: _Context, activity: Activity) -> tuple[list[str], list[dict[str, Any]], list[dict[str, Any]]]:
    """Declared special categories, and the findings in the activity's stores that are special or high-risk."""
    declared = [c for c in activity.data_categories if category_entry(c)["special"]]
    found = held_by(activity, [f for s in activity.stores for f in ctx.findings.get(s, [])])
    special = [f for f in found if "special" in flags_of(f["entity"])]
    risky = [f for f in found if "high_risk" in flags_of(f["entity"]) and "special" not in flags_of(f["entity"])]
    return declared, special, risky


def _labels(findings: list[dict[str, Any]]) -> str:
    return _join(category_label(c) for c in sorted({f["category"] for f in findings}))


def _special(ctx: _Context, activity: Activity) -> list[Entry]:
    declared, special, risky = _sensitive(ctx, activity)
    entries = [Entry("declared", _join(category_label(c) for c in declared))] if declared else []
    if special:
        basis: Basis = "observed" if activity.art9_condition else "undeclared"
        entries.append(Entry(basis, f"{_labels(special)} ({_where(special)})"))
    if risky:
        entries.append(Entry("observed", f"high-risk, not special: {_labels(risky)}"))
    return entries or [Entry("derived", "none declared or found")]


def _recipients(ctx: _Context, activity: Activity) -> list[Entry]:
    """CNIL's split: processors; affiliates and other bodies; plus access observed on the stores."""
    groups: dict[str, list[str]] = {}
    for name in activity.recipients:
        kind, country = ctx.kind_and_country(name)
        group = (
            "processors"
            if "processor" in kind
            else "affiliates"
            if name in ctx.affiliates or "affiliate" in kind
            else "other bodies"
        )
        groups.setdefault(group, []).append(f"{name} ({kind}, {country_name(country)})")
    entries = [Entry("declared", f"{g}: {_join(names)}") for g, names in sorted(groups.items())]
    known = {acct: name for name in activity.recipients for acct in _accounts(ctx, name)}
    for source, store, facts in ctx.store_facts(activity.stores):
        for grant in facts.get("grants") or []:
            acct = str(grant.get("account"))
            actions = _join(grant.get("actions") or [])
            who = f"account {acct} ({known[acct]})" if acct in known else f"account {acct}"
            text = f"{who} can {actions or 'access'} {store} ({source})"
            entries.append(Entry("observed" if acct in known else "undeclared", text))
    return entries or [Entry("declared", "none")]


def _accounts(ctx: _Context, name: str) -> list[str]:
    party = ctx.recipients.get(name) or ctx.affiliates.get(name)
    return list(party.accounts) if party else []


def _contracts(ctx: _Context, activity: Activity) -> list[Entry]:
    entries = []
    for name in activity.recipients:
        r = ctx.recipients.get(name)
        if r is None or "processor" not in r.kind:
            continue
        if r.dpa_signed_on:
            entries.append(Entry("declared", f"{name}: processing agreement signed {r.dpa_signed_on.isoformat()}"))
        else:
            entries.append(Entry("missing", f"{name}: no processing agreement recorded"))
    return entries or [Entry("n/a", "no processor among the recipients")]


def place_text(region: str) -> tuple[str, list[str]]:
    """'us-east-1 (United States)' and the countries of a region code."""
    where = region_place(region)
    countries = list(where.countries) if where else []
    named = _join(country_name(c) for c in countries) if countries else "country unknown to privmap's region table"
    return f"{region} ({named})", countries


def _judged(where: str, flow: dict[str, Any], tia: str | None = None) -> Entry:
    """A transfer entry carrying the data map's verdict on the flow (privmap.graph judges every flow once)."""
    basis = flow["basis"]
    if not basis["valid"]:
        return Entry("missing" if basis["problem"] == "missing" else "invalid", f"{where}: {basis['reason']}")
    tia_text = f", transfer impact assessment: {tia}" if tia else ""
    return Entry("declared" if flow["declared"] else "undeclared", f"{where}: {basis['reason']}{tia_text}")


def _transfers(ctx: _Context, activity: Activity) -> list[Entry]:
    """Flows of the activity that leave the EEA, with the data map's verdict: disclosures to its
    recipients, its stores' own places, and where those stores copy their data."""
    g, entries = ctx.g, []
    for _, party, flow in sorted(g.out_edges(f"activity:{activity.name}", data=True)):
        if flow["kind"] == "flow" and flow.get("basis"):
            node = g.nodes[party]
            entries.append(_judged(f"{node['label']} in {country_name(node['country'])}", flow, node.get("tia_link")))
    for store in ctx.store_nodes(activity.stores):
        node = g.nodes[store]
        name = node["source"] if node["label"] == node["source"] else f"{node['label']} ({node['source']})"
        storage = g.edges[ORG, store] if g.has_edge(ORG, store) else {}
        if storage.get("basis"):
            entries.append(_judged(f"{node['source']} stores data in {_places(node)}", storage))
        for _, target, flow in sorted(g.out_edges(store, data=True)):
            if flow["kind"] != "flow" or not flow.get("basis"):
                continue
            there = g.nodes[target]
            if "replication" in flow["via"]:
                where = f"{name} replicates to {there['label']} in {_places(there)}"
            elif "placement" in flow["via"]:
                where = f"{name} also rests in {_places(there)}"
            elif "transfer" in flow["via"]:
                where = f"{name} to {there['label']} in {country_name(there['country'])} (declared transfer)"
            else:
                where = f"{name} is reached by {there['label']} ({', '.join(flow['via'])})"
            entries.append(_judged(where, flow))
    return entries or [Entry("derived", "none: every recipient and store of the activity is in the EEA")]


def _places(node: dict[str, Any]) -> str:
    """'us-east-1 (United States)' for a store or location node of the data map."""
    codes = [node["region"]] if node.get("region") else list(node.get("locations") or [])
    return _join(place_text(c)[0] for c in codes) or "an unknown place"


def _retention(ctx: _Context, activity: Activity) -> list[Entry]:
    """The rule in words (Art. 30(1)(f)), per category where the inventory sets one, and the lifecycle
    rules observed on the activity's stores."""
    rule = activity.retention
    if isinstance(rule, RetentionRule):
        entries = [
            Entry(
                "declared",
                f"{rule.text + ': ' if rule.text else ''}{period_words(rule.period)} "
                f"from {rule.clock.replace('_', ' ')}",
            )
        ]
    else:
        by_category = {c: rule_for(ctx.config.inventory, activity, c) for c in activity.data_categories}
        per = [Entry("declared", f"{category_label(c)}: {r.text}") for c, r in by_category.items() if r and r.declared]
        everything = bool(per) and len(per) == len(by_category)
        entries = ([] if everything and not rule else _declared(rule, required=True)) + per
    for source, store, facts in ctx.store_facts(activity.stores):
        if "lifecycle_expiration_days" not in facts:
            continue
        days = facts["lifecycle_expiration_days"]
        rule_text = f"objects expire after {days} days" if days else "no expiration rule"
        entries.append(Entry("observed", f"{store} ({source}): {rule_text}"))
    return entries


def _posture(facts: dict[str, Any]) -> tuple[list[str], list[str]]:
    """A store's posture facts as (measures in place, weaknesses), in words."""
    good: list[str] = []
    weak: list[str] = []
    enc = facts.get("encryption")
    if isinstance(enc, dict):
        if enc.get("enabled"):
            key = ", customer-managed key" if enc.get("kms_key") else ""
            good.append(f"encrypted at rest ({enc.get('algorithm') or 'provider default'}{key})")
        else:
            weak.append("not encrypted at rest")
    if "public" in facts:
        if facts["public"]:
            reasons = _join(facts.get("public_reasons") or [])
            weak.append(f"publicly accessible{f' ({reasons})' if reasons else ''}")
        else:
            good.append("public access blocked")
    if "versioning" in facts:
        on = facts["versioning"] == "Enabled"
        (good if on else weak).append(f"versioning {str(facts['versioning']).lower()}")
    if "logging" in facts:
        (good if facts["logging"] else weak).append("access logging " + ("on" if facts["logging"] else "off"))
    return good, weak


def _security(ctx: _Context, stores: list[str]) -> list[Entry]:
    entries = []
    for source, store, facts in ctx.store_facts(stores):
        good, weak = _posture(facts)
        name = source if store == source else f"{store} ({source})"
        if good:
            entries.append(Entry("observed", f"{name}: {_join(good)}"))
        if weak:
            entries.append(Entry("weakness", f"{name}: {_join(weak)}"))
    return entries


def _location(ctx: _Context, activity: Activity) -> list[Entry]:
    entries = []
    for name in activity.stores:
        declared = ctx.sources[name].region
        for region in ctx.data.regions(name) or ([declared] if declared else []):
            basis: Basis = "declared" if region == declared else "observed"
            entries.append(Entry(basis, f"{name}: {place_text(region)[0]}"))
        if not declared and not ctx.data.regions(name):
            entries.append(Entry("missing", f"{name}: region unknown"))
    return entries or [Entry("missing", "no store declared")]


def _dpia(ctx: _Context, activity: Activity) -> list[Entry]:
    """A DPIA is expected with special-category data or automated decisions (Art. 35(3)); high-risk
    data alone is one WP248 criterion among the two that usually call for one, so it only informs."""
    declared, special, risky = _sensitive(ctx, activity)
    if activity.dpia:
        entries = [Entry("declared", activity.dpia)]
    elif declared or special or activity.automated_decisions:
        entries = [Entry("missing", "special-category data or automated decisions, and no DPIA recorded")]
    else:
        entries = [Entry("unrecorded", "")]
    if special or risky:
        entries.append(Entry("derived", f"high-risk data found: {_labels(special + risky)}"))
    return entries


def _rights(ctx: _Context, activity: Activity) -> list[Entry]:
    if activity.role == "processor":
        return [Entry("n/a", "requests go to the controller; we assist it (Art. 28(3)(e))")]
    if not activity.lawful_basis:
        return [Entry("missing", "depends on the lawful basis, which is not recorded")]
    rights = list(ctx.vocabulary["lawful_bases"][activity.lawful_basis]["rights"])
    if activity.automated_decisions:
        rights.append("human review of automated decisions (Art. 22)")
    return [Entry("derived", f"{_join(rights)} (from the lawful basis)")]


def _controller_fields(ctx: _Context, activity: Activity) -> dict[str, list[Entry]]:
    processor = activity.role == "processor"
    if processor:
        acting_for = _controllers_of(ctx, activity)
        controller = [Entry("declared", _contact(c.name, c.country, c.contact)) for c in acting_for] or _declared(
            activity.controller, required=True, empty="the controllers we act for"
        )
    else:
        controller = ctx.organisation.fields["name"]
    n_a = Entry("n/a", "processor-role activity: the controller decides (Art. 28(3)(a))")
    declared_special, found_special, _ = _sensitive(ctx, activity)
    basis = ctx.vocabulary["lawful_bases"].get(activity.lawful_basis or "", {}).get("label")
    return {
        "activity": [Entry("declared", activity.name)],
        "role": [Entry("declared", activity.role)],
        "business_function": _declared(activity.business_function),
        "controller": controller,
        "joint_controller": [
            Entry("declared", _contact(activity.joint_controller.name, activity.joint_controller.email))
        ]
        if activity.joint_controller
        else [Entry("missing", "the joint controller is not recorded")]
        if activity.role == "joint"
        else [Entry("n/a", "no joint controller")],
        "representative": ctx.organisation.fields["representative"],
        "dpo": ctx.organisation.fields["dpo"],
        "purposes": _declared("; ".join(use_label(p) for p in activity.purposes), required=True),
        "data_subjects": _declared(_join(subject_label(s) for s in activity.data_subjects), required=True),
        "recipients": _recipients(ctx, activity),
        "processor_contracts": _contracts(ctx, activity),
        "transfers": _transfers(ctx, activity),
        "retention": _retention(ctx, activity),
        "security": _declared(activity.security_measures, required=True) + _security(ctx, activity.stores),
        "lawful_basis": [n_a] if processor else _declared(basis, required=True),
        "legitimate_interests": _declared(
            _join(p for p in (activity.legitimate_interests, activity.lia_link and f"LIA: {activity.lia_link}") if p),
            required=True,
        )
        if activity.lawful_basis == "legitimate_interests" and not processor
        else [Entry("n/a", "not relying on legitimate interests")],
        "art9_condition": [n_a]
        if processor
        else _declared(activity.art9_condition, required=True)
        if declared_special or found_special
        else [Entry("n/a", "no special-category data declared or found")],
        "special_categories": _special(ctx, activity),
        "rights": _rights(ctx, activity),
        "automated_decisions": _declared(activity.automated_decisions),
        "source_of_data": _declared(activity.source_of_data),
        "consent_record": _declared(activity.consent_record, required=True)
        if activity.lawful_basis == "consent" and not processor
        else [Entry("n/a", "not relying on consent")],
        "location": _location(ctx, activity),
        "dpia": _dpia(ctx, activity),
        "owner": _declared(activity.owner),
        "last_reviewed": _declared(activity.last_reviewed.isoformat() if activity.last_reviewed else None),
    }


# -- Art. 30(2) processor records -----------------------------------------------------------------


def _controllers_of(ctx: _Context, activity: Activity) -> list[ControllerParty]:
    return [c for c in ctx.config.inventory.controllers if not c.activities or activity.name in c.activities]


def _prefixed(activities: list[Record], key: str, always: bool = False) -> list[Entry]:
    """A field gathered over several activities, each entry naming its activity when there are several."""
    named = always or len(activities) > 1
    return [Entry(e.basis, f"{r.title}: {e.text}" if named else e.text) for r in activities for e in r.fields[key]]


def _processor_record(
    ctx: _Context, title: str, controller: list[Entry], contacts: list[Entry], contract: list[Entry], done: list[Record]
) -> Record:
    org = ctx.organisation.fields
    return Record(
        title,
        {
            "controller": controller,
            "controller_contacts": contacts,
            "processor": org["name"],
            "processor_contacts": [
                Entry(e.basis, f"{what}: {e.text}" if e.text else what)
                for what, key in (("representative", "representative"), ("DPO", "dpo"))
                for e in org[key]
            ],
            "contract": contract,
            "processing": _prefixed(done, "purposes", always=True),
            "data_categories": _prefixed(done, "data_categories"),
            "sub_processors": _prefixed(done, "recipients"),
            "transfers": _prefixed(done, "transfers"),
            "security": _prefixed(done, "security"),
        },
        role="processor",
        extra={"activities": [r.title for r in done]},
    )


def _processor_records(ctx: _Context, activities: list[Activity], records: dict[str, Record]) -> list[Record]:
    processing = [a for a in activities if a.role == "processor"]
    out = []
    for c in ctx.config.inventory.controllers:
        done = [records[a.name] for a in processing if not c.activities or a.name in c.activities]
        reps = [
            f"{what}: {_contact(p.name, p.email)}"
            for what, p in (("representative", c.eu_representative), ("DPO", c.dpo))
            if p
        ]
        out.append(
            _processor_record(
                ctx,
                c.name,
                [Entry("declared", _contact(c.name, c.address, c.country and country_name(c.country), c.contact))],
                [Entry("declared", "; ".join(reps))] if reps else [Entry("unrecorded", "")],
                _declared(c.contract, required=True, empty="the processing agreement (Art. 28(3))"),
                done,
            )
        )
    # processor activities no listed controller covers still need a record: the gap is named
    for a in processing:
        if not _controllers_of(ctx, a):
            controller = _declared(a.controller, required=True, empty="the controllers we act for")
            unlisted = Entry("missing", "each controller by name and contact details (inventory.controllers)")
            none = [Entry("unrecorded", "")]
            title = a.controller or a.name
            out.append(_processor_record(ctx, title, [*controller, unlisted], none, none, [records[a.name]]))
    return out


def build_ropa(data: ReportData) -> Ropa:
    """Every activity's record (Art. 30(1) columns) and the Art. 30(2) processor records."""
    ctx = _Context(data)
    activities = ctx.config.inventory.activities
    records: dict[str, Record] = {}
    for activity in activities:
        fields = _controller_fields(ctx, activity)
        fields["data_categories"], structured = _categories(ctx, activity)
        records[activity.name] = Record(activity.name, fields, role=activity.role, extra=structured)
    return Ropa(ctx.organisation, list(records.values()), _processor_records(ctx, activities, records))


def ropa_json(data: ReportData, ropa: Ropa) -> dict[str, Any]:
    return {
        "organization": data.config.organization.model_dump(mode="json"),
        "controller": ropa.organisation.to_json(ORGANISATION_COLUMNS),
        "run": {"run_id": data.run["run_id"], "finished": data.run["finished"]},
        "columns": [asdict(c) for c in COLUMNS],
        "activities": [r.to_json(COLUMNS) for r in ropa.activities],
        "processor_records": [r.to_json(PROCESSOR_COLUMNS) for r in ropa.processor_records],
    }
