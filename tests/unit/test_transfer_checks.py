"""Every data-map check, table-driven: a small inventory plus evidence, the status expected per subject."""

from __future__ import annotations

import datetime as dt

import pytest

from privmap.checks import run_checks
from privmap.model import StoreFact
from tests.mapping import config, evidence, finding, outcomes

EU_BUCKET = [finding("media", store="s3://media-eu")]


def bucket(key: str, value: object, store: str = "s3://media-eu") -> StoreFact:
    return StoreFact("media", store, key, value)


def in_eu(*facts: StoreFact) -> list[StoreFact]:
    return [bucket("region", "eu-west-1"), *facts]


def replicated_to(region: str, account: str = "000000000000") -> StoreFact:
    return bucket("replication", [{"bucket": "media-copy", "account": account, "region": region}])


def grant(*accounts: str) -> StoreFact:
    return bucket(
        "grants", [{"account": a, "principal": f"arn:aws:iam::{a}:root", "actions": ["s3:*"]} for a in accounts]
    )


def recipient(name: str = "Vendor", country: str = "US", **fields: object) -> str:
    extra = "".join(f", {k}: {v}" for k, v in fields.items())
    return f"{{name: {name}, kind: processor, country: {country}, dpa_signed_on: 2024-01-01{extra}}}"


def disclosing(*recipients: str, to: str = "Vendor", store: str = "eu") -> str:
    return f"""
recipients: [{", ".join(recipients)}]
activities:
  - {{name: Act, purposes: [x], data_categories: [user], stores: [{store}], recipients: [{to}]}}
"""


US_AFFILIATE = 'affiliates: [{name: Group Inc, country: US, relationship: parent, accounts: ["111111111111"]}]\n'
ACT_TO_VENDOR = "transfer:Act->Vendor"

CASES = [
    # id, inventory, findings (None: one email in `eu`), facts, as_of, expected {subject: status}
    ("TRF-001", disclosing(recipient(transfer_mechanism="scc_2021_m2")), None, [], None, {ACT_TO_VENDOR: "pass"}),
    ("TRF-001", disclosing(recipient(country="SG")), None, [], None, {ACT_TO_VENDOR: "fail"}),
    ("TRF-001", disclosing(recipient(country="JP")), None, [], None, {ACT_TO_VENDOR: "pass"}),
    ("TRF-001", "", [finding("us")], [], None, {"transfer:Org->us": "fail"}),
    ("TRF-001", "", [finding("eu")], [], None, {}),  # resting in the EEA is not a transfer
    ("TRF-001", "", EU_BUCKET, in_eu(replicated_to("ap-southeast-1")), None,
     {"transfer:media->s3://media-copy": "fail"}),
    ("TRF-002", disclosing(recipient(transfer_mechanism="privacy_shield")), None, [], None, {ACT_TO_VENDOR: "fail"}),
    ("TRF-002", disclosing(recipient(transfer_mechanism="privacy_shield")), None, [], dt.date(2019, 1, 1),
     {ACT_TO_VENDOR: "pass"}),
    ("TRF-002", disclosing(recipient(transfer_mechanism="safe_harbour")), None, [], None, {ACT_TO_VENDOR: "fail"}),
    ("TRF-003", disclosing(recipient(transfer_mechanism="dpf", dpf_certified="true")), None, [], None,
     {ACT_TO_VENDOR: "pass"}),
    ("TRF-003", disclosing(recipient(transfer_mechanism="dpf")), None, [], None, {ACT_TO_VENDOR: "fail"}),
    ("TRF-004", disclosing(recipient(transfer_mechanism="scc_legacy")), None, [], dt.date(2022, 6, 1),
     {ACT_TO_VENDOR: "pass"}),
    ("TRF-004", disclosing(recipient(transfer_mechanism="scc_legacy")), None, [], None, {ACT_TO_VENDOR: "fail"}),
    ("TRF-005", disclosing(recipient(transfer_mechanism="scc_2021_m2", tia_link="https://tia")), None, [], None,
     {ACT_TO_VENDOR: "pass"}),
    ("TRF-005", disclosing(recipient(transfer_mechanism="bcr")), None, [], None, {ACT_TO_VENDOR: "fail"}),
    ("TRF-005", disclosing(recipient(country="JP", transfer_mechanism="scc")), None, [], None, {}),  # adequate
    ("TRF-006", disclosing(recipient(transfer_mechanism="scc_2021_m2")), None, [], None, {ACT_TO_VENDOR: "pass"}),
    ("TRF-006", disclosing(recipient(transfer_mechanism="scc_2021_m1")), None, [], None, {ACT_TO_VENDOR: "fail"}),
    ("TRF-007", "", EU_BUCKET, in_eu(replicated_to("us-east-1")), None, {"transfer:media->s3://media-copy": "fail"}),
    ("TRF-007", "", EU_BUCKET, in_eu(replicated_to("eu-central-1")), None, {"transfer:media->s3://media-copy": "pass"}),
    ("TRF-007", "", EU_BUCKET, [bucket("region", "europe-west1"), bucket("locations", ["europe-west1", "us-east4"])],
     None, {"transfer:media->europe-west1": "pass", "transfer:media->us-east4": "fail"}),
    ("TRF-008", disclosing(recipient(country="IN", transfer_mechanism="art49_b")), None, [], None,
     {ACT_TO_VENDOR: "fail"}),
    ("TRF-008", f"recipients: [{recipient(country='IN')}]\n"
     "transfers: [{source: eu, recipient: Vendor, mechanism: art49_e}]\n", None, [], None,
     {"transfer:eu->Vendor": "pass"}),
    ("TRF-009", US_AFFILIATE, EU_BUCKET, in_eu(grant("111111111111")), None, {"transfer:media->Group Inc": "fail"}),
    ("TRF-009", US_AFFILIATE + "transfers: [{source: media, recipient: Group Inc, mechanism: scc}]\n", EU_BUCKET,
     in_eu(grant("111111111111")), None, {"transfer:media->Group Inc": "pass"}),
    ("TRF-010", "", EU_BUCKET, [bucket("region", "mars-north-1")], None,
     {"store:eu": "pass", "store:us": "pass", "store:media": "fail"}),
    ("TRF-011", disclosing(recipient(transfer_mechanism="dpf", dpf_certified="true")), None, [], None,
     {ACT_TO_VENDOR: "fail"}),
    ("TRF-011", disclosing(recipient(country="JP")), None, [], None, {ACT_TO_VENDOR: "pass"}),
    ("TRF-012", "storage_locations: [EEA]\n", [finding("eu"), finding("us")], [], None,
     {"store:eu": "pass", "store:us": "fail"}),
    ("TRF-012", "storage_locations: [EEA, US]\n", [finding("eu"), finding("us")], [], None,
     {"store:eu": "pass", "store:us": "pass"}),
    ("TRF-013", f"recipients: [{recipient(country='IE')}, {recipient('Sub', processor_of='Vendor')}]\n"
     "activities: [{name: Act, purposes: [x], data_categories: [user], stores: [eu], recipients: [Vendor]}]\n",
     None, [], None, {"transfer:Vendor->Sub": "fail"}),
    ("TRF-013", f"recipients: [{recipient(country='IE')}, "
     f"{recipient('Sub', processor_of='Vendor', transfer_mechanism='scc_2021_m3')}]\n"
     "activities: [{name: Act, purposes: [x], data_categories: [user], stores: [eu], recipients: [Vendor]}]\n",
     None, [], None, {"transfer:Vendor->Sub": "pass"}),
    ("VND-001", "recipients: [{name: A, kind: processor, country: IE, dpa_signed_on: 2020-01-01}, "
     "{name: B, kind: sub_processor, processor_of: A, country: IE}, {name: C, kind: third_party, country: IE}]\n",
     None, [], None, {"recipient:A": "pass", "recipient:B": "fail"}),
    ("VND-003", US_AFFILIATE, EU_BUCKET, in_eu(grant("111111111111")), None, {"affiliate:Group Inc": "fail"}),
    ("VND-003", US_AFFILIATE.replace("accounts:", "intra_group_agreement: true, accounts:"), EU_BUCKET,
     in_eu(grant("111111111111")), None, {"affiliate:Group Inc": "pass"}),
    ("SEC-008", US_AFFILIATE, EU_BUCKET, in_eu(grant("111111111111", "999999999999")), None,
     {"transfer:media->Group Inc": "pass", "transfer:media->account 999999999999": "fail"}),
    ("SEC-008", "", EU_BUCKET, in_eu(replicated_to("eu-west-1", account="999999999999")), None,
     {"transfer:s3://media-copy->account 999999999999": "fail"}),
    ("SEC-008", "", EU_BUCKET, in_eu(grant("000000000000")), None, {}),  # the organisation's own account
    ("SPC-001", "", [finding("eu"), finding("us", "UK_NHS")], [], None,
     {"store:eu": "pass", "store:us": "fail", "store:media": "pass"}),  # a source with no findings is judged too
]  # fmt: skip


@pytest.mark.parametrize(
    ("check_id", "inventory", "findings", "facts", "as_of", "expected"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_check(check_id, inventory, findings, facts, as_of, expected):
    ev = evidence(config(inventory), findings, facts, **({"as_of": as_of} if as_of else {}))
    assert outcomes(check_id, ev) == expected


def test_a_store_outside_its_sources_declared_region_fails_trf_012():
    cfg = config(sources="- {name: archive, type: s3, region: eu-west-1, role: controller, options: {}}")
    facts = [StoreFact("archive", "s3://archive-a", "region", "eu-central-1")]
    facts.append(StoreFact("archive", "s3://archive-b", "region", "us-east-1"))
    found = [finding("archive", store="s3://archive-a"), finding("archive", store="s3://archive-b")]
    assert outcomes("TRF-012", evidence(cfg, found, facts)) == {
        "store:s3://archive-a": "fail",  # Germany: not the declared Ireland either
        "store:s3://archive-b": "fail",
    }
    facts[0] = StoreFact("archive", "s3://archive-a", "region", "eu-west-1")
    assert outcomes("TRF-012", evidence(cfg, found, facts))["store:s3://archive-a"] == "pass"


def test_every_check_of_the_data_map_has_a_passing_and_a_failing_case():
    statuses: dict[str, set[str]] = {}
    for check_id, *_, expected in CASES:
        statuses.setdefault(check_id, set()).update(expected.values())
    assert all(s == {"pass", "fail"} for s in statuses.values()), statuses


def test_the_same_transfer_passes_under_privacy_shield_in_2019_and_fails_in_2021():
    cfg = config(disclosing(recipient(transfer_mechanism="privacy_shield")))
    before, after = evidence(cfg, as_of=dt.date(2019, 1, 1)), evidence(cfg, as_of=dt.date(2021, 1, 1))
    assert outcomes("TRF-002", before) == {ACT_TO_VENDOR: "pass"}
    assert outcomes("TRF-001", before) == {ACT_TO_VENDOR: "pass"}
    assert outcomes("TRF-002", after) == {ACT_TO_VENDOR: "fail"}
    assert outcomes("TRF-001", after) == {}  # reported once, under the check that names the cause
    [result] = [r for r in evidence(cfg, as_of=dt.date(2021, 1, 1)).graph.edges(data=True) if "basis" in r[2]]
    assert "invalid since 2020-07-16" in result[2]["basis"]["reason"]


def test_a_special_category_finding_names_where_it_flows():
    cfg = config(disclosing(recipient(transfer_mechanism="scc"), store="us"))
    results = run_checks(evidence(cfg, [finding("us", "UK_NHS")]))
    [spc] = [r for r in results if r["id"] == "SPC-001" and r["subject"] == "store:us"]
    assert spc["status"] == "fail" and "Vendor" in spc["evidence"]


def test_checks_without_a_graph_report_nothing():
    ev = evidence(config(disclosing(recipient(country="SG"))))
    bare = type(ev)(ev.config, ev.findings, ev.facts, ev.as_of)
    assert outcomes("TRF-001", bare) == {}
