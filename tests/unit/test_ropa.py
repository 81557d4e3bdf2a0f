"""The record of processing activities: declared against observed, gaps named, Art. 30(1) and 30(2)."""

from __future__ import annotations

import datetime as dt
import textwrap
import typing
from pathlib import Path

import pytest

from privmap.config import ConfigError, parse_config
from privmap.config.models import LawfulBasis
from privmap.data import category_entry, load_table
from privmap.graph import build_graph
from privmap.model import StoreFact
from privmap.reports import ReportData
from privmap.reports.data import personal_data
from privmap.reports.ropa import COLUMNS, build_ropa

CONFIG = """\
version: 1
organization: {name: Acme Media Ltd, country: IE, contact: privacy@acme.example,
               dpo: {name: Dana Quinn, email: dpo@acme.example}}
sources:
  - {name: crm, type: sqlite, region: eu-west-1, role: controller, options: {path: crm.sqlite}}
  - {name: media, type: local, region: eu-west-1, role: processor, options: {path: media}}
inventory:
  affiliates:
    - {name: Acme Inc, country: US, relationship: subsidiary, accounts: ["111122223333"]}
  recipients:
    - {name: PayCo, kind: processor, country: US, transfer_mechanism: dpf, dpa_signed_on: 2023-09-01}
    - {name: MailCo, kind: processor, country: US, transfer_mechanism: privacy_shield}
  activities:
    - name: Billing
      purposes: [finance]
      lawful_basis: contract
      data_subjects: [customer]
      data_categories: [user.contact.email, user.name]
      stores: [crm]
      recipients: [PayCo, MailCo]
      retention: 8 years
      security_measures: encryption at rest
    - name: Hosting
      role: processor
      controller: each customer
      purposes: [functional.storage]
      data_subjects: [customer_end_user]
      data_categories: [user.content]
      stores: [media]
      recipients: [Acme Inc]
"""


def config(inventory: str = "", base: str = CONFIG):
    """The config, with more YAML added under `inventory`."""
    return parse_config(base + textwrap.indent(textwrap.dedent(inventory), "  "), Path("privmap.yaml"), {})


def finding(source: str, uri: str, entity: str, category: str, store: str = "", count: int = 3) -> dict:
    return {
        "source": source,
        "store": store or uri.partition("#")[0],
        "uri": uri,
        "part": "",
        "field": "",
        "entity": entity,
        "category": category,
        "count": count,
        "distinct": count,
        "score": 1.0,
        "preview": "***",
        "value_key": "k",
        "region": "eu-west-1",
        "first_seen_run": 1,
        "last_seen_run": 1,
    }


CRM = "sqlite:///srv/crm.sqlite"
FINDINGS = [
    finding("crm", f"{CRM}#accounts", "EMAIL_ADDRESS", "user.contact.email"),
    finding("crm", f"{CRM}#billing", "PHONE_NUMBER", "user.contact.phone_number"),
    finding("crm", f"{CRM}#billing", "CREDIT_CARD", "user.financial.credit_card"),
    finding("media", "file:///srv/media/a%20b.txt", "EMAIL_ADDRESS", "user.contact.email", store="file:///srv/media"),
]


def report(cfg=None, findings=FINDINGS, facts=()) -> ReportData:
    run = {"run_id": 1, "started": "2026-01-01T00:00:00+00:00", "finished": "2026-01-01T00:01:00+00:00"}
    run |= {"status": "finished", "items_listed": 4, "problems": 0}
    cfg = cfg or config()
    data_map = build_graph(cfg, personal_data(list(findings)), list(facts), dt.date.today())
    return ReportData(cfg, run, list(findings), [], [], [], list(facts), data_map=data_map)


def record(ropa, title: str):
    return next(r for r in ropa.activities if r.title == title)


def test_categories_show_declared_observed_and_what_the_inventory_misses():
    billing = record(build_ropa(report()), "Billing")
    assert billing.text("data_categories") == (
        "declared: email address, name; "
        "observed: email address (crm: table accounts); "
        "observed in addition: phone number (crm: table billing), card number (crm: table billing); "
        "declared, not found by the scan: name"
    )
    assert "Categories of personal data" in billing.gaps(COLUMNS)
    categories = billing.extra["categories"]
    assert categories["undeclared"] == ["user.contact.phone_number", "user.financial.credit_card"]
    assert categories["observed"]["user.financial.credit_card"] == ["crm"]
    assert "Economic and financial information" in categories["cnil_groups"]


def test_a_declared_parent_category_covers_what_is_found_below_it():
    cfg = config(base=CONFIG.replace("[user.contact.email, user.name]", "[user.contact, user.financial]"))
    billing = record(build_ropa(report(cfg)), "Billing")
    assert not any(e.gap for e in billing.fields["data_categories"])


def test_transfers_name_the_country_and_the_tool_and_flag_invalid_tools():
    billing = record(build_ropa(report()), "Billing")
    entries = {e.text: e.basis for e in billing.fields["transfers"]}
    uncertified = "the EU-US Data Privacy Framework covers only certified importers; this one is not declared certified"
    assert entries[f"PayCo in United States: {uncertified}"] == "invalid"
    shield = (
        "the EU-US Privacy Shield is invalid since 2020-07-16 (Decision (EU) 2016/1250, invalidated by CJEU C-311/18)"
    )
    assert entries[f"MailCo in United States: {shield}"] == "invalid"
    hosting = record(build_ropa(report()), "Hosting")
    assert [(e.basis, e.text) for e in hosting.fields["transfers"]] == [
        ("missing", "Acme Inc in United States: no transfer mechanism recorded for United States")
    ]


def test_contracts_and_recipients_follow_the_cnil_split():
    billing = record(build_ropa(report()), "Billing")
    assert billing.text("recipients") == (
        "declared: processors: PayCo (processor, United States), MailCo (processor, United States)"
    )
    assert billing.text("processor_contracts") == (
        "declared: PayCo: processing agreement signed 2023-09-01; "
        "missing, required: MailCo: no processing agreement recorded"
    )


def test_posture_facts_become_security_measures_transfers_and_recipients():
    facts = [
        StoreFact("crm", "s3://crm-eu", "region", "eu-west-1"),
        StoreFact("crm", "s3://crm-eu", "encryption", {"enabled": True, "algorithm": "aws:kms", "kms_key": "arn:k"}),
        StoreFact("crm", "s3://crm-eu", "public", False),
        StoreFact("crm", "s3://crm-eu", "versioning", "Suspended"),
        StoreFact("crm", "s3://crm-eu", "logging", False),
        StoreFact("crm", "s3://crm-eu", "lifecycle_expiration_days", 30),
        StoreFact("crm", "s3://crm-eu", "replication", [{"bucket": "crm-us", "account": "1", "region": "us-west-2"}]),
        StoreFact(
            "crm", "s3://crm-eu", "grants", [{"account": "999988887777", "principal": "root", "actions": ["read"]}]
        ),
    ]
    findings = [*FINDINGS, finding("crm", "s3://crm-eu/a.csv", "EMAIL_ADDRESS", "user.contact.email", "s3://crm-eu")]
    billing = record(build_ropa(report(facts=facts, findings=findings)), "Billing")
    security = [(e.basis, e.text) for e in billing.fields["security"]]
    assert security == [
        ("declared", "encryption at rest"),
        ("observed", "s3://crm-eu (crm): encrypted at rest (aws:kms, customer-managed key), public access blocked"),
        ("weakness", "s3://crm-eu (crm): versioning suspended, access logging off"),
    ]
    # the data map's verdict on the replication: no transfer tool covers the copy in the US
    replica = "s3://crm-eu (crm) replicates to s3://crm-us in us-west-2 (United States)"
    assert ("missing", f"{replica}: no transfer mechanism recorded for United States") in [
        (e.basis, e.text) for e in billing.fields["transfers"]
    ]
    assert ("undeclared", "account 999988887777 can read s3://crm-eu (crm)") in [
        (e.basis, e.text) for e in billing.fields["recipients"]
    ]
    assert ("observed", "s3://crm-eu (crm): objects expire after 30 days") in [
        (e.basis, e.text) for e in billing.fields["retention"]
    ]


def test_a_store_outside_the_eea_shows_the_data_maps_verdict():
    def transfers(extra: str = "") -> list[tuple[str, str]]:
        cfg = config(
            extra, base=CONFIG.replace("region: eu-west-1, role: controller", "region: us-east-1, role: controller")
        )
        facts = [StoreFact("crm", "crm", "region", "us-east-1")]
        findings = [{**f, "store": "crm"} for f in FINDINGS]
        billing = record(build_ropa(report(cfg, findings=findings, facts=facts)), "Billing")
        return [(e.basis, e.text) for e in billing.fields["transfers"] if e.text.startswith("crm stores")]

    where = "crm stores data in us-east-1 (United States)"
    assert transfers() == [("missing", f"{where}: no transfer mechanism recorded for United States")]
    # a declared transfer to an uncertified DPF importer: TRF-003 fails, and so the RoPA shows a gap
    declared = """\
      transfers:
        - {source: crm, recipient: PayCo, mechanism: dpf}
    """
    uncertified = "the EU-US Data Privacy Framework covers only certified importers; this one is not declared certified"
    assert transfers(declared) == [("invalid", f"{where}: {uncertified}")]
    certified = declared.replace("mechanism: dpf}", "mechanism: scc_2021_m2}")
    assert transfers(certified)[0][0] == "declared"


def test_special_categories_need_an_art9_condition_and_a_dpia():
    findings = [*FINDINGS, finding("crm", f"{CRM}#patients", "UK_NHS", "user.health_and_medical.record_id")]
    billing = record(build_ropa(report(findings=findings)), "Billing")
    assert billing.text("special_categories").startswith("observed in addition: health record identifier")
    assert billing.fields["art9_condition"][0].basis == "missing"
    assert billing.fields["dpia"][0].basis == "missing"
    cfg = config(
        base=CONFIG.replace(
            "retention: 8 years\n", "retention: 8 years\n      art9_condition: 9(2)(h)\n      dpia: done, 2025\n"
        )
    )
    billing = record(build_ropa(report(cfg, findings=findings)), "Billing")
    assert [e.basis for e in billing.fields["art9_condition"]] == ["declared"]
    assert billing.fields["special_categories"][0].basis == "observed"
    assert not any(e.gap for e in billing.fields["dpia"])


def test_lawful_basis_drives_rights_and_its_own_required_fields():
    cfg = config(base=CONFIG.replace("lawful_basis: contract", "lawful_basis: legitimate_interests"))
    billing = record(build_ropa(report(cfg)), "Billing")
    assert (
        billing.text("rights") == "derived: access, rectification, erasure, restriction, object (from the lawful basis)"
    )
    assert billing.fields["legitimate_interests"][0].basis == "missing"
    cfg = config(base=CONFIG.replace("      lawful_basis: contract\n", ""))
    billing = record(build_ropa(report(cfg)), "Billing")
    assert billing.fields["lawful_basis"][0].basis == "missing"
    hosting = record(build_ropa(report(cfg)), "Hosting")
    assert hosting.fields["lawful_basis"][0].basis == "n/a"


def test_one_processor_record_per_controller_we_act_for():
    extra = """\
      controllers:
        - {name: Studio A, country: DE, contact: a@studio.example, contract: DPA 2024}
        - {name: Studio B, country: FR, dpo: {name: B DPO, email: dpo@b.example}}
    """
    ropa = build_ropa(report(config(extra)))
    assert [r.title for r in ropa.processor_records] == ["Studio A", "Studio B"]
    a, b = ropa.processor_records
    assert a.text("controller") == "declared: Studio A, Germany, a@studio.example"
    assert a.text("contract") == "declared: DPA 2024"
    assert b.fields["contract"][0].basis == "missing"
    assert b.text("controller_contacts") == "declared: DPO: B DPO, dpo@b.example"
    assert a.text("processing") == "declared: Hosting: storing content"
    assert "observed in addition: email address (media: a b.txt)" in a.text("data_categories")
    assert [r.title for r in ropa.controller_records] == ["Billing"]


def test_processor_activities_without_listed_controllers_still_get_a_record_with_the_gap():
    [record_] = build_ropa(report()).processor_records
    assert record_.title == "each customer"
    assert [e.basis for e in record_.fields["controller"]] == ["declared", "missing"]


def test_controllers_must_name_processor_activities():
    extra = """\
      controllers:
        - {name: Studio A, activities: [Billing]}
    """
    message = r"controllers\[0\].activities\[0\]: 'Billing' is not an activity with role: processor"
    with pytest.raises(ConfigError, match=message):
        config(extra)


def test_vocabulary_covers_every_lawful_basis_and_labels_categories():
    table = load_table("vocabulary")
    assert set(typing.get_args(LawfulBasis)) == set(table["lawful_bases"])
    for entity in load_table("entity_categories")["entities"].values():
        if entity["category"]:
            assert entity["category"] in table["categories"], entity["category"]
    assert category_entry("user.contact.email")["label"] == "email address"
    assert category_entry("user.contact.fax") == {"label": "user.contact.fax", "group": "identity", "special": False}
    assert category_entry("user.health_and_medical.anything")["special"]
