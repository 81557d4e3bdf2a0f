"""The catalogue checks judged from declarations and evidence, one table of pass/fail cases each.

A row is (inventory YAML, findings, facts, items) -> the statuses expected per subject; a check
that has nothing it can judge must leave no result at all (never a pass)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from privmap.checks import Evidence, run_checks
from privmap.config import parse_config
from privmap.data import category_of
from privmap.graph import build_graph
from privmap.model import StoreFact
from tests.mapping import BASE, TODAY, config, declared_facts

ACTIVITY = """\
activities:
  - name: A
    purposes: [essential.service]
    lawful_basis: contract
    data_subjects: [customer]
    data_categories: [user.contact.email]
    stores: [eu]
"""


def f(
    entity: str = "EMAIL_ADDRESS", source: str = "eu", item: str = "x", field: str = "", category: str | None = None
) -> dict[str, Any]:
    """A finding in `item` of `source` (`table#name` items are tables)."""
    uri = f"{source}#{item.removeprefix('#')}" if item.startswith("#") else f"{source}/{item}"
    return {
        "source": source,
        "store": source,
        "uri": uri,
        "field": field,
        "entity": entity,
        "category": category or category_of(entity),
        "count": 2,
    }


def item(when: str, source: str = "eu", name: str = "x") -> dict[str, Any]:
    return {"source": source, "store": source, "uri": f"{source}/{name}", "metadata": {"modified": when}}


def statuses(
    check_id: str,
    inventory: str,
    findings: list[dict[str, Any]] | None = None,
    facts: dict[tuple[str, str], dict[str, Any]] | None = None,
    items: list[dict[str, Any]] | None = None,
    sources: str = "",
    organization: str = "",
) -> dict[str, str]:
    """subject -> status of one check on the given evidence."""
    cfg = config(inventory, sources)
    if organization:
        text = BASE.replace('accounts: ["000000000000"]}', f'accounts: ["000000000000"], {organization}}}')
        text += "inventory:\n" + "\n".join("  " + line for line in inventory.splitlines()) + "\n"
        cfg = parse_config(text, Path("privmap.yaml"), {})
    findings = [f()] if findings is None else findings
    flat = declared_facts(cfg) + [
        StoreFact(s, st, k, v) for (s, st), kv in (facts or {}).items() for k, v in kv.items()
    ]
    ev = Evidence(cfg, findings, flat, TODAY, graph=build_graph(cfg, findings, flat, TODAY), items=items or [])
    return {r["subject"]: r["status"] for r in run_checks(ev) if r["id"] == check_id}


def with_(extra: str) -> str:
    """ACTIVITY with more keys on activity A."""
    return ACTIVITY + "".join(f"    {line}\n" for line in extra.strip("\n").splitlines())


# -- inventory ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check_id", "inventory", "expected"),
    [
        ("INV-003", with_("owner: Head of Sales"), {"store:eu": "pass"}),
        ("INV-003", ACTIVITY, {"store:eu": "fail"}),
        ("INV-004", ACTIVITY, {"activity:A": "pass"}),
        ("INV-004", ACTIVITY.replace("data_subjects: [customer]", "data_subjects: []"), {"activity:A": "fail"}),
        ("INV-004", ACTIVITY.replace("lawful_basis: contract", "role: processor"), {"activity:A": "fail"}),
        ("INV-005", with_("retention: 1 year\nsecurity_measures: MFA"), {"activity:A": "pass"}),
        ("INV-005", with_("retention: 1 year"), {"activity:A": "fail"}),
        ("INV-006", with_("last_reviewed: 2026-01-10"), {"activity:A": "pass"}),
        ("INV-006", with_("last_reviewed: 2024-01-10"), {"activity:A": "fail"}),
        ("INV-006", ACTIVITY, {"activity:A": "fail"}),
        ("INV-007", ACTIVITY, {}),  # no processor-role activity: nothing to judge
        ("INV-007", ACTIVITY.replace("lawful_basis: contract", "role: processor"), {"inventory:controllers": "fail"}),
        (
            "INV-007",
            ACTIVITY.replace("lawful_basis: contract", "role: processor") + "controllers:\n  - {name: Cust}\n",
            {"controller:Cust": "pass"},
        ),
    ],
)
def test_inventory_checks(check_id, inventory, expected):
    assert statuses(check_id, inventory, organization="contact: privacy@org.example") == expected


@pytest.mark.parametrize(
    ("reviewed", "first_seen", "runs", "expected"),
    [
        ("2026-06-01", 2, {1: "2026-05-01", 2: "2026-07-01"}, "fail"),  # first found after the review
        ("2026-06-01", 2, {1: "2026-05-01", 2: "2026-05-20"}, "pass"),  # found before the review
        ("2026-06-01", 1, {1: "2026-07-01"}, "pass"),  # the first run on record: absence before is unknown
        ("2026-06-01", 2, {}, "pass"),  # no run history: only the review's age is judged
    ],
)
def test_inv006_categories_found_since_the_last_review(reviewed, first_seen, runs, expected):
    cfg = config(with_(f"last_reviewed: {reviewed}"))
    finding = {**f(), "first_seen_run": first_seen}
    ev = Evidence(cfg, [finding], declared_facts(cfg), TODAY, extra={"runs": runs})
    [result] = [r for r in run_checks(ev, only=["INV-006"])]
    assert result["status"] == expected
    if expected == "fail":
        assert result["evidence"] == "reviewed on 2026-06-01; found since: user.contact.email (first found 2026-07-01)"


def test_inv004_asks_for_the_controllers_contact_details():
    assert statuses("INV-004", ACTIVITY) == {"activity:A": "fail"}


SHARED = """\
activities:
  - name: Accounts
    purposes: [essential.service]
    data_categories: [user.contact.email]
    stores: [eu]
    scopes: [{store: eu, tables: [accounts]}]
  - name: Billing
    purposes: [finance]
    data_categories: [user.financial]
    stores: [eu]
    scopes: [{store: eu, tables: [billing]}]
"""
ROWS = [f("EMAIL_ADDRESS", item="#accounts", field="email"), f("CREDIT_CARD", item="#billing", field="card")]


@pytest.mark.parametrize(
    ("inventory", "findings", "expected"),
    [
        (SHARED, ROWS, "pass"),  # each table's data is declared by the activity scoped to it
        (SHARED.replace("[user.financial]", "[user.name]"), ROWS, "fail"),  # nobody declares the cards
        (SHARED, [*ROWS, f("PHONE_NUMBER", item="#logs")], "fail"),  # outside every scope
        (SHARED.replace("    scopes: [{store: eu, tables: [accounts]}]\n", ""), ROWS, "pass"),  # unscoped sharer
        (SHARED.replace("tables: [billing]", "columns: [billing.card]"), ROWS, "pass"),
        (SHARED.replace("tables: [billing]", "columns: [other]"), ROWS, "fail"),
        # schema-qualified tables (SQL crawler: `main.billing`) match a scope naming the table alone
        (SHARED, [{**r, "uri": r["uri"].replace("#", "#main.")} for r in ROWS], "pass"),
        (SHARED.replace("tables: [billing]", "tables: [main.billing]"), ROWS, "fail"),
    ],
)
def test_inv002_attributes_findings_to_the_activities_whose_scope_holds_them(inventory, findings, expected):
    assert statuses("INV-002", inventory, findings) == {"store:eu": expected}


def test_prefix_and_json_path_scopes():
    from privmap.attribution import in_scope
    from privmap.config.models import Scope

    doc = f("EMAIL_ADDRESS", item="invoices/2024/a.json", field="customer.email")
    assert in_scope(Scope(store="eu", prefixes=["invoices/"]), doc)
    assert not in_scope(Scope(store="eu", prefixes=["uploads/"]), doc)
    assert in_scope(Scope(store="eu", json_paths=["customer"]), doc)
    assert not in_scope(Scope(store="eu", json_paths=["cust"]), doc)
    assert in_scope(Scope(store="eu", json_paths=["assets"]), {**doc, "field": "assets[].owner"})


# -- retention ------------------------------------------------------------------------------------

YEAR = with_("retention: {period: P1Y, from: created, text: one year}")
OLD, NEW = item("2024-02-01T10:00:00+00:00"), item("2026-05-01T10:00:00+00:00")
HOLD = "legal_holds:\n  - {store: eu, prefixes: [x], reason: tax audit 2025}\n"


@pytest.mark.parametrize(
    ("check_id", "inventory", "findings", "items", "expected"),
    [
        ("RET-001", YEAR, None, [OLD], {"store:eu": "fail"}),
        ("RET-001", YEAR, None, [NEW], {"store:eu": "pass"}),
        ("RET-001", YEAR + HOLD, None, [OLD], {"store:eu": "pass"}),  # kept under a legal hold
        ("RET-001", with_("retention: {period: P1Y, from: end_of_relationship}"), None, [OLD], {}),  # not ageable
        ("RET-001", ACTIVITY, [f("CREDIT_CARD")], [NEW], {"store:eu": "fail"}),  # default: PAN never stored
        ("RET-005", YEAR, None, [OLD], {"store:eu": "fail"}),
        ("RET-005", YEAR + HOLD, None, [OLD], {"store:eu": "pass"}),
        ("RET-005", YEAR, None, [NEW], {}),  # nothing past its rule
        ("RET-002", YEAR, None, [], {"activity:A": "pass"}),
        ("RET-002", with_("retention: three years after the last order"), None, [], {"activity:A": "pass"}),
        ("RET-002", ACTIVITY, None, [], {"activity:A": "fail"}),
        (
            "RET-002",
            ACTIVITY + "retention:\n  - {category: user.contact, period: P3Y, from: last_activity}\n",
            None,
            [],
            {"activity:A": "pass"},
        ),
    ],
)
def test_retention_checks(check_id, inventory, findings, items, expected):
    assert statuses(check_id, inventory, findings, items=items) == expected


def test_retention_evidence_counts_and_ages_without_values():
    ev_text = {
        r["id"]: r["evidence"]
        for r in run_checks(
            Evidence(
                config(YEAR),
                [f()],
                [],
                TODAY,
                graph=None,
                items=[OLD],
            )
        )
        if r["id"] == "RET-001"
    }["RET-001"]
    assert "1 item(s) older than the rule" in ev_text and "2024-02-01" in ev_text and "2 years" in ev_text


@pytest.mark.parametrize(
    ("check_id", "facts", "expected"),
    [
        ("RET-003", {"lifecycle_expiration_days": None}, "fail"),
        ("RET-003", {"lifecycle_expiration_days": 400}, "fail"),
        ("RET-003", {"lifecycle_expiration_days": 30}, "pass"),
        ("RET-003", {}, None),
        ("RET-004", {"versioning": "Enabled", "noncurrent_expiration_days": None}, "fail"),
        ("RET-004", {"versioning": "Enabled", "noncurrent_expiration_days": 500}, "fail"),
        ("RET-004", {"versioning": "Enabled", "noncurrent_expiration_days": 30}, "pass"),
        ("RET-004", {"versioning": "Suspended", "noncurrent_expiration_days": None}, None),
    ],
)
def test_lifecycle_enforces_the_rule(check_id, facts, expected):
    got = statuses(check_id, YEAR, facts={("eu", "eu"): facts})
    assert got == ({"store:eu": expected} if expected else {})


def test_an_object_hold_the_store_reports_is_a_legal_hold():
    held = {**OLD, "metadata": {**OLD["metadata"], "hold": "event-based"}}
    assert statuses("RET-001", YEAR, items=[held]) == {"store:eu": "pass"}
    assert statuses("RET-005", YEAR, items=[held]) == {"store:eu": "pass"}


TABLE = f(item="#public.customers")


def row_ages(*columns: tuple[str, str, str], whole: bool = True) -> dict[tuple[str, str], dict[str, Any]]:
    """A row_ages fact for table public.customers of store eu: (column, clock, oldest date) each."""
    entries = [{"column": c, "clock": k, "oldest": d, "rows": 40, "whole": whole} for c, k, d in columns]
    return {("eu", "eu"): {"row_ages": {TABLE["uri"]: entries}}}


CREATED_OLD = ("created_at", "created", "2019-04-01")
LOGIN_OLD = ("last_login", "last_modified", "2020-01-01")
LOGIN_NEW = ("last_login", "last_modified", "2026-10-01")
TABLE_HOLD = "legal_holds:\n  - {store: eu, tables: [public.customers], reason: litigation}\n"


@pytest.mark.parametrize(
    ("check_id", "inventory", "facts", "expected"),
    [
        ("RET-001", YEAR, row_ages(CREATED_OLD), {"store:eu": "fail"}),
        ("RET-001", YEAR, row_ages(("created_at", "created", "2026-06-01")), {"store:eu": "pass"}),
        ("RET-001", YEAR, row_ages(LOGIN_OLD), {}),  # no column measures the rule's clock: not judged
        ("RET-001", YEAR, {}, {}),  # no row ages at all: not judged (never a pass)
        ("RET-001", with_("retention: {period: P1Y, from: last_modified}"), row_ages(LOGIN_OLD), {"store:eu": "fail"}),
        ("RET-001", with_("retention: {period: P1Y, from: last_modified}"), row_ages(LOGIN_NEW), {"store:eu": "pass"}),
        ("RET-001", with_("retention: {period: P1Y, from: end_of_relationship}"), row_ages(CREATED_OLD), {}),
        ("RET-001", YEAR + TABLE_HOLD, row_ages(CREATED_OLD), {"store:eu": "pass"}),  # the table is on hold
        ("RET-005", YEAR, row_ages(CREATED_OLD), {"store:eu": "fail"}),
        ("RET-005", YEAR + TABLE_HOLD, row_ages(CREATED_OLD), {"store:eu": "pass"}),
        ("RET-005", YEAR, row_ages(LOGIN_NEW), {}),
    ],
)
def test_retention_from_table_row_ages(check_id, inventory, facts, expected):
    assert statuses(check_id, inventory, [TABLE], facts=facts) == expected


def test_row_age_evidence_names_the_table_column_and_age():
    [result] = [
        r
        for r in run_checks(
            Evidence(
                config(YEAR),
                [TABLE],
                [
                    StoreFact("eu", "eu", k, v)
                    for k, v in row_ages(CREATED_OLD, LOGIN_OLD, whole=False)[("eu", "eu")].items()
                ],
                TODAY,
            )
        )
        if r["id"] == "RET-001"
    ]
    assert result["evidence"] == (
        "A: 1 year from created (activity A); table public.customers: the oldest row by created_at is from "
        "2019-04-01 (7 years, 2 months old; of 40 sampled rows)"
    )


def test_an_indexed_minimum_is_the_tables_oldest_row():
    facts = row_ages(CREATED_OLD)
    facts[("eu", "eu")]["row_ages"][TABLE["uri"]][0]["read"] = "index"
    ev = Evidence(config(YEAR), [TABLE], [StoreFact("eu", "eu", "row_ages", facts[("eu", "eu")]["row_ages"])], TODAY)
    [result] = run_checks(ev, only=["RET-001"])
    assert result["evidence"].endswith("(7 years, 2 months old; the column's minimum, read through its index)")


def test_noncurrent_versions_older_than_the_rule_fail_ret001():
    versions = {"noncurrent_versions": {"count": 12, "oldest": "2023-03-01T00:00:00+00:00"}}
    assert statuses("RET-001", YEAR, items=[NEW], facts={("eu", "eu"): versions}) == {"store:eu": "fail"}


# -- security -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check_id", "facts", "expected"),
    [
        ("SEC-003", {"publicly_reachable": True, "public_reasons": ["0.0.0.0/0 authorised"]}, "fail"),
        ("SEC-003", {"publicly_reachable": False}, "pass"),
        ("SEC-003", {}, None),
        ("SEC-006", {"versioning": "Suspended"}, "fail"),
        ("SEC-006", {"versioning": "Enabled"}, "pass"),
        ("SEC-006", {"backups": True}, "pass"),
        ("SEC-006", {}, None),
    ],
)
def test_security_posture_checks(check_id, facts, expected):
    got = statuses(check_id, ACTIVITY, facts={("eu", "eu"): facts})
    assert got == ({"store:eu": expected} if expected else {})


PUBLIC = {"public": True, "public_reasons": ["ACL grants READ to AllUsers"]}


@pytest.mark.parametrize(
    ("names", "facts", "expected"),
    [
        (["backups/crm-2026-01-01.sql.gz", "a.jpg"], PUBLIC, "fail"),
        (["exports/users.bson"], PUBLIC, "fail"),
        (["backups/crm.dump"], {"public": False, "public_reasons": []}, "pass"),
        (["photos/a.jpg", "notes/sql.txt"], PUBLIC, None),  # no dump: SEC-001/002 judge the bucket
        (["backups/crm.dump"], {}, None),  # exposure unknown: not judged
    ],
)
def test_sec003_database_dumps_in_public_buckets(names, facts, expected):
    items = [{"source": "eu", "store": "eu", "uri": f"eu/{n}", "metadata": {"path": n}} for n in names]
    got = statuses("SEC-003", ACTIVITY, facts={("eu", "eu"): facts}, items=items)
    assert got == ({"store:eu": expected} if expected else {})


# -- found in the data ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check_id", "finding", "expected"),
    [
        ("SPC-003", f(category="user.criminal_history"), "fail"),
        ("SPC-003", f(), "pass"),
        ("SPC-006", f(category="user.children"), "fail"),
        ("SPC-006", f(), "pass"),
    ],
)
def test_data_found_checks(check_id, finding, expected):
    assert statuses(check_id, ACTIVITY, [finding]) == {"store:eu": expected}


@pytest.mark.parametrize(
    ("check_id", "inventory", "finding", "expected"),
    [
        ("SPC-002", ACTIVITY, f("UK_NHS"), {"activity:A": "fail"}),
        ("SPC-002", with_("art9_condition: 9(2)(h)"), f("UK_NHS"), {"activity:A": "pass"}),
        ("SPC-002", ACTIVITY, f(), {}),
        ("SPC-002", ACTIVITY.replace("lawful_basis: contract", "role: processor"), f("UK_NHS"), {}),
        ("SPC-007", with_("biometric_identification: true"), f(), {"activity:A": "fail"}),
        (
            "SPC-007",
            with_("biometric_identification: true\ndpia: DPIA-7\nconsent_record: ledger"),
            f(),
            {"activity:A": "pass"},
        ),
        ("SPC-007", ACTIVITY, f(), {}),
        ("DPIA-001", ACTIVITY, f("UK_NHS"), {"activity:A": "fail"}),
        ("DPIA-001", with_("dpia: DPIA-3, signed 2025"), f("UK_NHS"), {"activity:A": "pass"}),
        ("DPIA-001", with_("automated_decisions: credit scoring"), f(), {"activity:A": "fail"}),
        ("DPIA-001", ACTIVITY, f("UK_NINO"), {}),  # one WP248 criterion alone
        ("DPIA-001", ACTIVITY, f(), {}),
    ],
)
def test_conditions_for_sensitive_processing(check_id, inventory, finding, expected):
    assert statuses(check_id, inventory, [finding]) == expected


LOGS = "- {name: logs, type: local, region: eu-west-1, role: controller, logs: true, options: {path: .}}"


@pytest.mark.parametrize(
    ("check_id", "findings", "facts", "expected"),
    [
        ("LOG-001", [f(source="logs")], {}, {"store:logs": "fail"}),
        ("LOG-001", [f(source="eu", item="app/server.log.1")], {}, {"store:eu": "fail"}),
        ("LOG-001", [f(source="eu")], {}, {}),
        ("LOG-001", [f("CREDIT_CARD", source="logs")], {}, {"store:logs": "fail"}),
        (
            "LOG-002",
            [f(source="logs")],
            {("logs", "logs"): {"lifecycle_expiration_days": None}},
            {"store:logs": "fail"},
        ),
        ("LOG-002", [f(source="logs")], {("logs", "logs"): {"lifecycle_expiration_days": 90}}, {"store:logs": "pass"}),
        ("LOG-002", [f(source="logs")], {}, {}),
    ],
)
def test_log_checks(check_id, findings, facts, expected):
    assert statuses(check_id, ACTIVITY, findings, facts=facts, sources=LOGS) == expected


def test_cards_in_logs_are_high():
    cfg = config(ACTIVITY, LOGS)
    results = run_checks(Evidence(cfg, [f("CREDIT_CARD", source="logs")], [], TODAY))
    assert [r["severity"] for r in results if r["id"] == "LOG-001"] == ["high"]


# -- parties --------------------------------------------------------------------------------------

HOSTING = """\
recipients:
  - {name: Transcoder, kind: processor, country: IE, dpa_signed_on: 2024-01-01}
activities:
  - name: Hosting
    role: processor
    purposes: [essential.service]
    data_subjects: [customer_end_user]
    data_categories: [user.content]
    stores: [eu]
    recipients: [Transcoder]
controllers:
"""


@pytest.mark.parametrize(
    ("inventory", "expected"),
    [
        (HOSTING + "  - {name: Cust, sub_processors: [Transcoder]}\n", {"controller:Cust": "pass"}),
        (HOSTING + "  - {name: Cust, sub_processors: [Other]}\n", {"controller:Cust": "fail"}),
        (HOSTING + "  - {name: Cust}\n", {"controller:Cust": "fail"}),  # no authorised list on record
        (HOSTING.replace("recipients: [Transcoder]", "recipients: []") + "  - {name: Cust}\n", {}),
    ],
)
def test_vnd002_sub_processors_must_be_authorised(inventory, expected):
    assert statuses("VND-002", inventory) == expected


@pytest.mark.parametrize(
    ("recipient", "expected"),
    [
        ("{name: GA, kind: processor, country: US, own_purposes: [marketing.advertising]}", {"recipient:GA": "fail"}),
        ("{name: GA, kind: processor, country: US}", {"recipient:GA": "pass"}),
        ("{name: GA, kind: third_party, country: US, own_purposes: [marketing]}", {}),
    ],
)
def test_vnd004_processor_with_own_purposes(recipient, expected):
    assert statuses("VND-004", f"recipients:\n  - {recipient}\n") == expected


# -- California -----------------------------------------------------------------------------------

SHARING = with_("recipients: [Ads]") + (
    "recipients:\n  - {name: Ads, kind: third_party, country: US, own_purposes: [marketing.advertising]}\n"
)
CA = "california: {}"
CA_OK = (
    "california: {opt_out_link: /do-not-sell, honours_gpc: true, limit_use_link: /limit, "
    "shine_the_light: {contact: ca@example.com, disclosures: [{year: 2025, recipient: Ads}]}}"
)


@pytest.mark.parametrize(
    ("check_id", "inventory", "findings", "organization", "expected"),
    [
        ("CCPA-001", SHARING, None, "", {}),  # the CCPA is not declared to apply
        ("CCPA-001", SHARING, None, CA, {"transfer:A->Ads": "fail"}),
        ("CCPA-001", SHARING, None, CA_OK, {"transfer:A->Ads": "pass"}),
        (
            "CCPA-002",
            ACTIVITY.replace("[essential.service]", "[marketing]"),
            [f("UK_NINO")],
            CA,
            {"activity:A": "fail"},
        ),
        ("CCPA-002", ACTIVITY, [f("UK_NINO")], CA, {}),  # used only for the service: permitted
        (
            "CCPA-002",
            ACTIVITY.replace("[essential.service]", "[marketing]"),
            [f("UK_NINO")],
            CA_OK,
            {"activity:A": "pass"},
        ),
        ("CCPA-003", SHARING, None, CA, {"transfer:A->Ads": "fail"}),
        ("CCPA-003", SHARING, None, CA_OK, {"transfer:A->Ads": "pass"}),
        ("CCPA-003", SHARING.replace("[marketing.advertising]", "[analytics]"), None, CA, {}),
        ("CCPA-004", ACTIVITY, None, CA, {"activity:A": "fail"}),
        ("CCPA-004", YEAR, None, CA, {"activity:A": "pass"}),
        ("CCPA-004", YEAR, None, "", {}),
    ],
)
def test_california_checks(check_id, inventory, findings, organization, expected):
    assert statuses(check_id, inventory, findings, organization=organization) == expected


def test_every_catalogue_check_has_a_remediation_with_an_article():
    from privmap.checks.base import catalogue

    for check_id, entry in catalogue().items():
        assert "Art." in entry["remediation"] or "§" in entry["remediation"] or "PCI" in entry["remediation"], check_id


def test_check_results_carry_remediation_and_cause():
    results = run_checks(Evidence(config(ACTIVITY), [f()], [], TODAY))
    assert all(r["remediation"] and r["cause"] for r in results)


def test_the_ledger_is_for_the_previous_calendar_year():
    inventory = SHARING
    org = CA_OK.replace("year: 2025", "year: 2024")
    assert statuses("CCPA-003", inventory, organization=org) == {"transfer:A->Ads": "fail"}
    assert dt.date(2026, 6, 1) == TODAY
