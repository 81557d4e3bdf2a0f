"""IAM and ACL interpretation of the gcs source, on the JSON shapes the Cloud Storage JSON API documents
(Policy v3 from buckets.getIamPolicy; BucketAccessControl / ObjectAccessControl lists)."""

import datetime as dt

import pytest
from google.api_core import exceptions as api_exceptions
from requests import ConnectionError, ReadTimeout

from privmap.checks import run_checks
from privmap.config.models import Config, SourceConfig
from privmap.data import legal
from privmap.model import StoreFact
from privmap.scanner.crawl import problem_kind
from privmap.scanner.sources.gcs import (
    Bucket,
    GCSSource,
    classify,
    data_locations,
    entity_account,
    grants,
    lifecycle_delete_age,
    masked_member,
    member_account,
    public_reasons,
)
from tests.mapping import config, evidence, finding, outcomes

OWN = {"acme-prod", "123456789012"}


@pytest.mark.parametrize(
    ("member", "account"),
    [
        ("user:alice@partner.example", "partner.example"),
        ("group:Analysts@Partner.Example", "partner.example"),
        ("domain:partner.example", "partner.example"),
        ("serviceAccount:sync@partner-etl.iam.gserviceaccount.com", "partner-etl"),
        ("serviceAccount:partner-web@appspot.gserviceaccount.com", "partner-web"),
        ("serviceAccount:555566667777-compute@developer.gserviceaccount.com", "555566667777"),
        ("serviceAccount:service-123456789012@gs-project-accounts.iam.gserviceaccount.com", "123456789012"),
        ("serviceAccount:555566667777@cloudservices.gserviceaccount.com", "555566667777"),
        ("projectViewer:acme-prod", "acme-prod"),
        ("projectOwner:partner-etl", "partner-etl"),
        ("deleted:user:bob@partner.example?uid=123", "partner.example"),
        (
            "principalSet://iam.googleapis.com/projects/555566667777/locations/global/workloadIdentityPools/gh/*",
            "555566667777",
        ),
        ("allUsers", None),
        ("allAuthenticatedUsers", None),
    ],
)
def test_members_belong_to_a_project_or_a_domain(member, account):
    assert member_account(member) == account


@pytest.mark.parametrize(
    ("entry", "account"),
    [
        ({"entity": "project-owners-123456789012", "role": "OWNER"}, "123456789012"),
        (
            {"entity": "project-viewers-555566667777", "projectTeam": {"projectNumber": "555566667777"}},
            "555566667777",
        ),
        ({"entity": "user-bob@partner.example", "email": "bob@partner.example"}, "partner.example"),
        ({"entity": "group-ops@partner.example"}, "partner.example"),
        ({"entity": "domain-partner.example"}, "partner.example"),
        ({"entity": "user-00b4903a97d1"}, "user-00b4903a97d1"),  # a Google id: an account nobody declared
        ({"entity": "allUsers"}, None),
    ],
)
def test_acl_entities_belong_to_a_project_or_a_domain(entry, account):
    assert entity_account(entry) == account


POLICY = {
    "version": 3,
    "etag": "CAE=",
    "bindings": [
        {"role": "roles/storage.legacyBucketOwner", "members": ["projectOwner:acme-prod", "projectEditor:acme-prod"]},
        {"role": "roles/storage.objectViewer", "members": ["allUsers", "user:alice@partner.example"]},
        {
            "role": "roles/storage.objectAdmin",
            "members": ["serviceAccount:sync@partner-etl.iam.gserviceaccount.com", "user:alice@partner.example"],
        },
        {
            "role": "roles/storage.objectViewer",
            "members": ["allAuthenticatedUsers"],
            "condition": {"title": "exports only", "expression": "resource.name.startsWith('x')"},
        },
        {"role": "roles/storage.objectViewer", "members": ["serviceAccount:app@acme-prod.iam.gserviceaccount.com"]},
    ],
}
ACL = [
    {"entity": "project-owners-123456789012", "role": "OWNER", "projectTeam": {"projectNumber": "123456789012"}},
    {"entity": "allUsers", "role": "READER"},
    {"entity": "domain-partner.example", "role": "READER"},
]
DEFAULT_ACL = [{"entity": "allAuthenticatedUsers", "role": "READER"}]


def test_public_members_and_entities_are_the_reasons():
    assert public_reasons(POLICY, ACL, DEFAULT_ACL) == [
        "IAM grants roles/storage.objectViewer to allUsers",
        "IAM grants roles/storage.objectViewer to allAuthenticatedUsers under the condition exports only",
        "ACL grants READER to allUsers",
        "default object ACL grants READER to allAuthenticatedUsers",
    ]
    assert public_reasons({"bindings": []}, [], []) == []
    # a part that could not be read makes the answer unknown, never "not public"
    assert public_reasons(None, [], []) is None and public_reasons(POLICY, None, []) is None


def test_grants_name_other_projects_and_domains_only():
    assert grants(POLICY, ACL, OWN) == [
        {"account": "partner-etl", "principal": "serviceAccount:sync@partner-etl.iam.gserviceaccount.com",
         "actions": ["roles/storage.objectAdmin"]},
        {"account": "partner.example", "principal": "domain-partner.example", "actions": ["ACL READER"]},
        {"account": "partner.example", "principal": "user:a***@partner.example",
         "actions": ["roles/storage.objectAdmin", "roles/storage.objectViewer"]},
    ]  # fmt: skip


def test_a_persons_address_is_masked_and_the_domain_kept():
    assert masked_member("user:alice@partner.example") == "user:a***@partner.example"
    assert masked_member("deleted:user:bob@partner.example?uid=1") == "deleted:user:b***@partner.example"
    assert masked_member("user-00b4903a97d1") == "user-0***"
    assert masked_member("group:ops@partner.example") == "group:ops@partner.example"


@pytest.mark.parametrize(
    ("resource", "locations", "zone"),
    [
        ({"location": "EU", "locationType": "multi-region"}, ["eu"], "EEA"),
        ({"location": "US", "locationType": "multi-region"}, ["us"], "US"),
        ({"location": "ASIA", "locationType": "multi-region"}, ["asia"], "THIRD"),
        ({"location": "EUROPE-WEST1", "locationType": "region"}, ["europe-west1"], "EEA"),
        ({"location": "EUR4", "locationType": "dual-region"}, ["europe-north1", "europe-west4"], "EEA"),
        ({"location": "NAM4", "locationType": "dual-region"}, ["us-central1", "us-east1"], "US"),
        (
            {
                "location": "EU",
                "locationType": "dual-region",
                "customPlacementConfig": {"dataLocations": ["EUROPE-WEST1", "EUROPE-WEST2"]},
            },
            ["europe-west1", "europe-west2"],
            "ADEQUATE:GB",
        ),
    ],
)
def test_location_types_map_to_data_locations_and_a_zone(resource, locations, zone):
    assert data_locations(resource) == locations
    places = [legal.place(code, "gcp") for code in locations]
    assert all(places)
    assert legal.worst(legal.place_zone(p, dt.date(2026, 11, 30)) for p in places) == zone


def test_lifecycle_counts_delete_rules_on_live_objects():
    rules = {
        "rule": [
            {"action": {"type": "Delete"}, "condition": {"age": 400}},
            {"action": {"type": "Delete"}, "condition": {"age": 30, "isLive": False}},  # noncurrent versions
            {"action": {"type": "SetStorageClass", "storageClass": "COLDLINE"}, "condition": {"age": 90}},
            {"action": {"type": "Delete"}, "condition": {"age": 365, "matchesPrefix": ["logs/"]}},
        ]
    }
    assert lifecycle_delete_age(rules) == 365
    assert lifecycle_delete_age({}) is None


def test_errors_become_problem_kinds_without_echoing_the_response():
    def error(status: int) -> Exception:
        return api_exceptions.from_http_status(status, "object alice@example.org is not readable")

    assert problem_kind(classify("objects.get", error(403))) == "denied"
    assert problem_kind(classify("objects.get", error(404))) == "missing"
    assert problem_kind(classify("objects.get", error(429))) == "throttled"
    assert problem_kind(classify("objects.get", error(503))) == "throttled"
    assert problem_kind(classify("objects.get", error(500))) == "unreadable"
    assert str(classify("objects.get", error(403))) == "objects.get: 403 Forbidden"
    assert "alice" not in str(classify("objects.get", error(500)))
    assert problem_kind(classify("objects.list", ReadTimeout("alice"))) == "timeout"
    assert problem_kind(classify("objects.list", ConnectionError("alice"))) == "unreachable"


def _source(accounts: list[str], recipients: list[str] | None = None) -> GCSSource:
    config = Config.model_validate(
        {
            "version": 1,
            "organization": {"name": "Acme", "country": "IE", "accounts": accounts},
            "inventory": {
                "recipients": [{"name": "Partner", "kind": "processor", "country": "US", "accounts": recipients or []}]
            },
            "sources": [{"name": "media", "type": "gcs", "options": {"project": "acme-prod"}}],
        }
    )
    source = GCSSource(SourceConfig.model_validate(config.sources[0].model_dump()), config)
    owned = Bucket("media-eu", {"location": "EU", "projectNumber": "123456789012"}, owned=True)
    source.__dict__["buckets"] = [owned]  # as buckets.list would have answered
    return source


@pytest.mark.parametrize(
    ("accounts", "own"),
    [(["acme-prod"], "acme-prod"), (["123456789012"], "123456789012"), ([], "acme-prod")],
)
def test_the_scanned_project_is_named_as_the_inventory_names_it(accounts, own):
    source = _source(accounts)
    assert source.own_account == own
    assert source.account_of("acme-prod") == source.account_of("123456789012") == own
    assert source.account_of("555566667777") == "555566667777"  # another project: as reported


GCS_BUCKET = [finding("media", store="gs://media-eu")]


def gcs_fact(key: str, value: object) -> StoreFact:
    return StoreFact("media", "gs://media-eu", key, value)


@pytest.mark.parametrize(
    ("location", "regions", "expected"),
    [
        ("eur4", ["europe-north1", "europe-west4"], {"europe-north1": "pass", "europe-west4": "pass"}),
        ("nam4", ["us-central1", "us-east1"], {"us-central1": "pass", "us-east1": "pass"}),  # one zone: TRF-001's
        # a configurable dual-region reaching London: a copy in another zone nobody declared
        ("eu", ["europe-west1", "europe-west2"], {"europe-west1": "pass", "europe-west2": "fail"}),
    ],
)
def test_a_dual_region_bucket_places_its_data_in_both_regions(location, regions, expected):
    facts = [gcs_fact("region", location), gcs_fact("locations", regions)]
    got = outcomes("TRF-007", evidence(config(), GCS_BUCKET, facts))
    assert got == {f"transfer:media->{r}": status for r, status in expected.items()}


def test_grants_to_unknown_domains_and_projects_are_flagged_and_known_ones_mapped():
    inventory = 'recipients: [{name: Partner, kind: processor, country: IE, accounts: ["partner.example"]}]'
    found = [
        {
            "account": "partner.example",
            "principal": "user:a***@partner.example",
            "actions": ["roles/storage.objectViewer"],
        },
        {"account": "gmail.com", "principal": "user:b***@gmail.com", "actions": ["roles/storage.objectViewer"]},
        {"account": "555566667777", "principal": "project-viewers-555566667777", "actions": ["ACL READER"]},
    ]
    facts = [gcs_fact("region", "eu"), gcs_fact("grants", found)]
    assert outcomes("SEC-008", evidence(config(inventory), GCS_BUCKET, facts)) == {
        "transfer:media->Partner": "pass",
        "transfer:media->account gmail.com": "fail",
        "transfer:media->account 555566667777": "fail",
    }


def test_gcs_checks_speak_of_usage_logs_and_customer_managed_keys():
    google = {"enabled": True, "algorithm": "Google-managed keys", "kms_key": None}
    facts = [gcs_fact("region", "eu"), gcs_fact("logging", False), gcs_fact("encryption", google)]
    health = [finding("media", "UK_NHS", store="gs://media-eu")]
    got = {
        (r["id"], r["subject"]): r for r in run_checks(evidence(config(), health, facts)) if r["id"].startswith("SEC")
    }
    sec7, sec4 = got[("SEC-007", "store:gs://media-eu")], got[("SEC-004", "store:gs://media-eu")]
    assert sec7["status"] == "fail" and sec7["evidence"].startswith("no usage logging")
    assert sec4["status"] == "fail" and sec4["severity"] == "high"
    assert "Google-managed keys but no customer-managed key" in sec4["evidence"]


def test_a_listed_object_becomes_an_item_with_its_holds_as_evidence():
    source = _source(["acme-prod"])
    listed = {"name": "a/b.txt", "size": "12", "generation": "17", "metageneration": "3", "temporaryHold": True}
    item = source._item("gs://media-eu", "eu", listed)
    assert item.location.uri == "gs://media-eu/a/b.txt" and item.size == 12 and item.region == "eu"
    assert item.fingerprint == "17|3|12" and item.metadata == {"path": "a/b.txt", "hold": "temporary"}
    assert "hold" not in source._item("gs://media-eu", "eu", {**listed, "temporaryHold": False}).metadata
