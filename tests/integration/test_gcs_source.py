"""The gcs source against real GCS JSON API endpoints: fake-gcs-server in EU and in US, gcp-storage-emulator."""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth.transport.requests import AuthorizedSession

from privmap.config import Config, load_config
from privmap.model import Blob, Item, Location
from privmap.pipeline import build_source, run
from privmap.scanner.extractors import Context
from privmap.scanner.extractors.base import sample
from privmap.scanner.sources.base import SourceError, sample_ranges
from privmap.scanner.sources.gcs import GCSSource
from tests.e2e.conftest import privmap
from tests.integration import gcs
from tests.integration.conftest import BIG_GCS_SIZE, EMAILS, GCP_PROJECT, PERSONAL, GCSEstate, _generated
from tests.integration.proxy import FirstTryFails, proxy


def gcs_config(
    tmp_path: Path,
    endpoints: dict[str, str],
    options: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> Config:
    """A config with one gcs source per endpoint (name -> URL), all in the project GCP_PROJECT."""
    config = {
        "version": 1,
        "organization": {"name": "Example Media Ltd", "country": "IE", "accounts": [GCP_PROJECT]},
        "scan": {"max_bytes_per_object": "64KB", "workers": 1},
        "sources": [
            {"name": name, "type": "gcs", "options": {"project": GCP_PROJECT, "endpoint": url, **(options or {})}}
            for name, url in endpoints.items()
        ],
        **(extra or {}),
    }
    path = tmp_path / "privmap.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return load_config(path)


def source_of(config: Config, index: int = 0) -> GCSSource:
    source = build_source(config, index)
    assert isinstance(source, GCSSource)
    return source


@pytest.fixture
def requests_sent(monkeypatch) -> list[tuple[str, str, str]]:
    """Every HTTP request the GCS client sends: (method, path, query), recorded at its transport."""
    sent: list[tuple[str, str, str]] = []
    original = AuthorizedSession.request

    def recording(self: AuthorizedSession, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(url)
        sent.append((method.upper(), unquote(parts.path), parts.query))
        return original(self, method, url, *args, **kwargs)

    monkeypatch.setattr(AuthorizedSession, "request", recording)
    return sent


def test_buckets_are_found_at_their_location(tmp_path, gcs_estate: GCSEstate):
    eu = source_of(gcs_config(tmp_path, {"eu": gcs_estate.eu, "us": gcs_estate.us}), 0)
    us = source_of(gcs_config(tmp_path, {"eu": gcs_estate.eu, "us": gcs_estate.us}), 1)
    assert {b.name: b.region for b in eu.buckets} == {"locked-eu": "eu", "many-eu": "eu", "media-eu": "eu"}
    assert {b.name: b.region for b in us.buckets} == {"exports-us": "us"}
    assert all(b.owned for b in eu.buckets) and eu.own_account == GCP_PROJECT

    items = list(source_of(gcs_config(tmp_path, {"eu": gcs_estate.eu}, {"buckets": ["media-eu"]})).items())
    names = [gcs_estate.big_name, "uploads/alice.txt", "uploads/empty.txt", "uploads/readme.txt"]
    assert [i.metadata["path"] for i in items] == names
    assert all(i.region == "eu" for i in items) and [i.size == 0 for i in items] == [False, False, True, False]
    assert all(i.metadata["modified"].startswith("20") for i in items)  # the object's age, for retention
    generation, metageneration, size = items[1].fingerprint.split("|")
    assert generation.isdigit() and metageneration == "1" and int(size) == len(PERSONAL.encode())


def test_listing_pages_through_3000_blobs(tmp_path, gcs_estate: GCSEstate, requests_sent):
    source = source_of(gcs_config(tmp_path, {"eu": gcs_estate.eu}, {"buckets": ["many-eu"], "prefix": "obj/"}))
    names = [i.metadata["path"] for i in source.items()]
    assert len(names) == 3000 and len(set(names)) == 3000
    assert names == sorted(names) and names[0] == "obj/00000.txt" and names[-1] == "obj/02999.txt"
    pages = [q for m, p, q in requests_sent if p == "/storage/v1/b/many-eu/o"]
    assert len(pages) == 3 and sum("pageToken=" in q for q in pages) == 2  # 1,000 objects a page
    assert source.problems == []


def test_a_large_blob_is_sampled_by_inclusive_ranges(tmp_path, gcs_estate: GCSEstate, requests_sent):
    source = source_of(gcs_config(tmp_path, {"eu": gcs_estate.eu}, {"buckets": ["media-eu"]}))
    [item] = [i for i in source.items() if i.metadata["path"] == gcs_estate.big_name]
    assert item.size == BIG_GCS_SIZE
    blob = source.open(item)  # the head only, to sniff it
    assert isinstance(blob, Blob) and blob.truncated and len(blob.data) == 64_000
    data, _ = sample(blob, Context.for_item(source.config.scan))
    # the head and four windows, joined by newlines: exactly the bytes of each [start, end) range
    content = _generated(BIG_GCS_SIZE)
    expected = b"\n".join(content[start:end] for start, end in sample_ranges(BIG_GCS_SIZE, 64_000))
    assert data == expected and len(data) == 64_000 + 4
    downloads = [q for m, p, q in requests_sent if p.startswith("/download/")]
    # the head, then the windows beyond it (the first lies within the head)
    assert len(downloads) == 4 and all(f"generation={item.fingerprint.split('|')[0]}" in q for q in downloads)
    assert b"block 00000" in data and b"block 00029" in data  # windows reach the end


def test_object_metadata_is_kept_as_evidence(tmp_path, gcs_estate: GCSEstate):
    source = source_of(gcs_config(tmp_path, {"eu": gcs_estate.eu}, {"buckets": ["media-eu"]}))
    [item] = [i for i in source.items() if i.metadata["path"] == gcs_estate.consented_name]
    blob = source.open(item)
    assert blob.metadata == {"meta:consent-id": "c-20240117-0042", "meta:uploader": "user-8812"}
    assert blob.data == PERSONAL.encode() and not blob.truncated


def test_an_empty_object_is_read_without_a_range(tmp_path, gcs_estate: GCSEstate, requests_sent):
    source = source_of(gcs_config(tmp_path, {"eu": gcs_estate.eu}, {"buckets": ["media-eu"]}))
    [item] = [i for i in source.items() if i.metadata["path"] == "uploads/empty.txt"]
    blob = source.open(item)
    assert blob.data == b"" and not blob.truncated and blob.metadata == {}
    assert not [p for _, p, _ in requests_sent if p.startswith("/download/")]  # GCS answers 416 to one


def test_a_metadata_only_change_is_read_again(tmp_path, gcs_stub: str):
    """gcp-storage-emulator keeps metagenerations as GCS does: a patched consent id changes the fingerprint."""
    client = gcs.admin_client(gcs_stub, GCP_PROJECT)
    blob = client.create_bucket("consent-us").blob("profile.txt")
    blob.metadata = {"consent-id": "c-1"}
    blob.upload_from_string(PERSONAL.encode())
    config = gcs_config(tmp_path, {"consent": gcs_stub}, {"buckets": ["consent-us"]})
    first = run(config, tmp_path / "out1").report.run
    again = run(config, tmp_path / "out2").report.run
    blob.metadata = {"consent-id": "c-2-withdrawn"}
    blob.patch()
    changed = run(config, tmp_path / "out3").report.run
    [item] = source_of(config).items()
    assert (first["items_scanned"], again["items_scanned"], again["items_unchanged"]) == (1, 0, 1)
    assert changed["items_scanned"] == 1  # same generation, new metageneration
    assert item.fingerprint.split("|")[1] != "1"


def test_posture_facts_of_an_emulated_bucket(tmp_path, gcs_estate: GCSEstate):
    """The emulators keep the bucket resource but implement no IAM or ACLs: those are recorded gaps."""
    source = source_of(gcs_config(tmp_path, {"eu": gcs_estate.eu}, {"buckets": ["media-eu"]}))
    facts = {f.key: f.value for f in source.posture()}
    assert facts["region"] == "eu" and facts["account"] == GCP_PROJECT
    assert facts["encryption"] == {"enabled": True, "algorithm": "Google-managed keys", "kms_key": None}
    assert facts["logging"] is False and facts["versioning"] == "Disabled"
    assert facts["public_access_prevention"] == "inherited" and "public" not in facts  # never guessed
    gaps = sorted((p.location.uri, p.kind, p.message) for p in source.problems)
    assert gaps == [
        ("gs://media-eu", "missing", "bucketAccessControls.list: 404 NotFound"),
        ("gs://media-eu", "missing", "buckets.getIamPolicy: 404 NotFound"),
        ("gs://media-eu", "missing", "defaultObjectAccessControls.list: 404 NotFound"),
    ]


def test_posture_facts_of_a_configured_bucket(tmp_path, gcs_stub: str):
    """Settings the stub keeps when patched; the project is named as organization.accounts names it (its number)."""
    client = gcs.admin_client(gcs_stub, GCP_PROJECT)
    bucket = client.create_bucket("vault-us")
    bucket._patch_property("encryption", {"defaultKmsKeyName": "projects/p/locations/us/keyRings/r/cryptoKeys/k"})
    bucket._patch_property("logging", {"logBucket": "audit-logs"})
    bucket.versioning_enabled = True
    bucket.retention_period = 30 * 86400
    bucket.add_lifecycle_delete_rule(age=730)
    bucket.labels = {"team": "media", "data": "contracts"}
    bucket.iam_configuration.public_access_prevention = "enforced"
    bucket.patch()
    number = str(client.get_bucket("vault-us").project_number)

    config = gcs_config(
        tmp_path, {"vault": gcs_stub}, {"buckets": ["vault-us"]}, {"organization": {"name": "Example Media Ltd",
        "country": "IE", "accounts": [number]}}
    )  # fmt: skip
    source = source_of(config)
    facts = {f.key: f.value for f in source.posture()}
    assert facts["region"] == "us" and facts["location_type"] == "multi-region" and facts["account"] == number
    assert facts["encryption"] == {
        "enabled": True,
        "algorithm": "CMEK",
        "kms_key": "projects/p/locations/us/keyRings/r/cryptoKeys/k",
    }
    assert facts["logging"] is True and facts["versioning"] == "Enabled"
    assert facts["lifecycle_expiration_days"] == 730
    assert facts["retention_policy"] == {"period_days": 30, "locked": False}
    assert facts["labels"] == {"team": "media", "data": "contracts"}
    # public access prevention settles exposure, whatever IAM says
    assert facts["public_access_prevention"] == "enforced" and facts["public"] is False
    assert facts["grants"] == [] and source.problems == []  # the stub answers an empty IAM policy and ACLs


def test_a_denied_bucket_and_object_are_coverage_gaps(tmp_path, gcs_estate: GCSEstate):
    def deny(method: str, path: str, query: str) -> str | None:
        return "denied" if path.startswith("/storage/v1/b/locked-eu/o") or "hidden" in unquote(path) else None

    with proxy(gcs_estate.eu, deny) as (url, seen):
        source = source_of(gcs_config(tmp_path, {"eu": url}, {"buckets": ["locked-eu", "media-eu"]}))
        items = list(source.items())
        assert {i.store for i in items} == {"gs://media-eu"}  # the next bucket went on
        gaps = [(p.location.uri, p.kind, p.message) for p in source.problems]
        assert ("gs://locked-eu", "denied", "objects.list: 403 Forbidden") in gaps
        hidden = Item(Location("eu", "gs://locked-eu/hidden.txt"), "gs://locked-eu", "1|1|10", size=10)
        with pytest.raises(SourceError) as error:
            source.open(hidden)
    assert error.value.kind == "denied" and str(error.value) == "objects.get: 403 Forbidden"
    assert seen["denied"] == 2  # denials are not retried


# throttling, and connections reset before or during an answer
@pytest.mark.parametrize("kind", ["slowdown", "reset", "truncate"])
def test_a_request_failing_once_is_retried_by_the_client(tmp_path, gcs_estate: GCSEstate, kind):
    with proxy(gcs_estate.us, fault := FirstTryFails(kind)) as (url, seen):
        source = source_of(gcs_config(tmp_path, {"us": url}))
        [item] = source.items()
        blob = source.open(item)
    assert b"Alice Martin" in blob.data and source.problems == []
    # each request (buckets, objects, download, metadata) failed once, then went through
    assert seen[kind] == seen["forwarded"] == len(fault.calls) == 4, fault.calls


def test_retries_end_after_max_attempts(tmp_path, gcs_estate: GCSEstate):
    with proxy(gcs_estate.us, lambda m, p, q: "error" if p.startswith("/download/") else None) as (url, seen):
        source = source_of(gcs_config(tmp_path, {"us": url}, {"max_attempts": 2}))
        [item] = source.items()
        with pytest.raises(SourceError) as error:
            source.open(item)
    assert error.value.kind == "unreadable" and str(error.value) == "objects.get: 500 InternalServerError"
    assert seen["error"] == 2


def test_a_hung_read_times_out_after_bounded_tries(tmp_path, gcs_estate: GCSEstate):
    with proxy(gcs_estate.us, lambda m, p, q: "hang" if p.startswith("/download/") else None) as (url, seen):
        source = source_of(gcs_config(tmp_path, {"us": url}, {"timeout": 0.5, "max_attempts": 2}))
        [item] = source.items()
        with pytest.raises(SourceError) as error:
            source.open(item)
    assert error.value.kind == "timeout" and str(error.value) == "objects.get: ReadTimeout"
    assert seen["hang"] == 2  # max_attempts, then the item's problem


def permission_of(path: str) -> str:
    """The IAM permission a JSON API request needs (cloud.google.com/storage/docs/json_api permissions)."""
    parts = path.removeprefix("/download").removeprefix("/storage/v1/").split("/")
    if len(parts) == 1:
        return "storage.buckets.list"
    if len(parts) == 2:
        return "storage.buckets.get"
    if parts[2] in ("iam", "acl", "defaultObjectAcl"):
        return "storage.buckets.getIamPolicy"
    return "storage.objects.list" if len(parts) == 3 else "storage.objects.get"


def readme_permissions() -> set[str]:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    match = re.search(r"gcloud iam roles create .*?--permissions=(\S+)", readme, re.S)
    assert match, "README has no least-privilege role for the gcs source"
    return set(match.group(1).split(","))


def test_only_get_requests_in_a_full_scan(tmp_path, gcs_estate: GCSEstate, requests_sent):
    """Read-only by construction: every request the client sends during `run` is recorded at the transport,
    and each needs a permission of the README's least-privilege role."""
    config = gcs_config(tmp_path, {"eu": gcs_estate.eu, "us": gcs_estate.us}, {"buckets": ["media-eu", "exports-us"]})
    result = run(config, tmp_path / "out")
    assert result.report.run["items_scanned"] == 5
    assert {m for m, _, _ in requests_sent} == {"GET"}, Counter(m for m, _, _ in requests_sent)
    needed = {permission_of(p) for _, p, _ in requests_sent}
    assert needed == readme_permissions()  # every permission used, none more
    assert {p.rsplit("/", 1)[-1] for _, p, _ in requests_sent} >= {"iam", "acl", "defaultObjectAcl", "o"}


@pytest.mark.slow
def test_privmap_scan_over_gcs(tmp_path, gcs_estate: GCSEstate):
    """`privmap scan` end to end over an EU and a US emulator: findings with locations, checks, gaps."""
    config = gcs_config(
        tmp_path,
        {"eu": gcs_estate.eu, "us": gcs_estate.us},
        {"buckets": ["media-eu", "exports-us"]},
        # forked workers read objects through clients of their own
        {"scan": {"max_bytes_per_object": "64KB", "workers": 2}},
    )
    out = tmp_path / "out"
    result = privmap("scan", "--config", str(config.base_dir / "privmap.yaml"), "--out", str(out))
    assert result.returncode in (0, 1), result.stderr

    findings = json.loads((out / "findings.json").read_text())
    regions = {f["store"]: f["region"] for f in findings}
    assert regions["gs://media-eu"] == "eu" and regions["gs://exports-us"] == "us"
    checks = {(c["id"], c["subject"]): c for c in json.loads((out / "checks.json").read_text())}
    assert checks[("SEC-007", "store:gs://exports-us")]["status"] == "fail"  # no usage logs
    assert checks[("SEC-004", "store:gs://media-eu")]["status"] == "pass"  # encrypted, nothing special
    trf = checks[("TRF-001", "transfer:Example Media Ltd->us")]
    assert trf["status"] == "fail"
    kept = [*out.iterdir(), tmp_path / ".privmap" / "state.db"]
    assert not [(p.name, e) for p in kept for e in EMAILS if e.encode() in p.read_bytes()]


def test_a_credentials_file_gets_a_read_only_token(tmp_path, gcs_estate: GCSEstate):
    """A service-account key: the token is asked for the read-only scope only (a local token endpoint
    stands in for Google's, named by the key file's token_uri)."""
    asked: list[dict[str, Any]] = []

    class TokenEndpoint(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
            claims = form["assertion"][0].split(".")[1]
            asked.append(json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4))))
            body = json.dumps({"access_token": "token-1", "expires_in": 3600, "token_type": "Bearer"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    server = ThreadingHTTPServer(("127.0.0.1", 0), TokenEndpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        (tmp_path / "key.json").write_text(
            json.dumps(
                {
                    "type": "service_account",
                    "project_id": GCP_PROJECT,
                    "private_key_id": "k1",
                    "private_key": pem.decode(),
                    "client_email": f"privmap@{GCP_PROJECT}.iam.gserviceaccount.com",
                    "client_id": "1",
                    "token_uri": f"http://127.0.0.1:{server.server_address[1]}/token",
                }
            )
        )
        config = gcs_config(tmp_path, {"us": gcs_estate.us}, {"credentials_file": "key.json"})
        [item] = source_of(config).items()
    finally:
        server.shutdown()
        server.server_close()
    assert item.store == "gs://exports-us"
    assert [claims["scope"] for claims in asked] == ["https://www.googleapis.com/auth/devstorage.read_only"]


def test_a_connection_reset_on_every_try_is_the_items_problem(tmp_path, gcs_estate: GCSEstate):
    with proxy(gcs_estate.us, lambda m, p, q: "reset" if p.startswith("/download/") else None) as (url, seen):
        source = source_of(gcs_config(tmp_path, {"us": url}, {"max_attempts": 3}))
        [item] = source.items()
        with pytest.raises(SourceError) as error:
            source.open(item)
    assert error.value.kind == "unreachable", (error.value.kind, str(error.value))
    assert seen["reset"] == 3


def test_an_unchanged_rescan_of_gcs_uploads_sends_no_request_per_object(tmp_path, gcs_stub: str, caplog):
    """GCS bumps an object's metageneration when its metadata changes, so the listing says when consent
    evidence changed: an unchanged upload whose consent failed costs no request of its own on a rescan
    (and no 'unreadable' warning), and one whose consent id is added later is read again and passes."""
    client = gcs.admin_client(gcs_stub, GCP_PROJECT)
    bucket = client.create_bucket("uploads-consent-us")
    consented = bucket.blob("ok.txt")
    consented.metadata = {"consent-id": "c-ok"}
    consented.upload_from_string(PERSONAL.encode())
    bucket.blob("none.txt").upload_from_string(PERSONAL.encode())
    (tmp_path / "consents.csv").write_text(
        "consent_id,purpose,given_at,withdrawn_at\nc-ok,essential.service,2024-01-17T00:00:00Z,\n"
    )
    activity = {
        "name": "Profile pictures",
        "purposes": ["essential.service"],
        "lawful_basis": "consent",
        "role": "controller",
        "stores": ["avatars"],
        "data_categories": ["user"],
    }
    ledger = {"key": "consent-id", "ledger": {"csv": "consents.csv"}}
    extra = {"inventory": {"activities": [activity]}, "consent": ledger}
    config = gcs_config(tmp_path, {"avatars": gcs_stub}, {"buckets": ["uploads-consent-us"]}, extra)
    config = config.model_copy(
        update={"sources": [config.sources[0].model_copy(update={"role": "controller", "uploads": True})]}
    )

    def consent(out: Path) -> dict[str, str]:
        checks = json.loads((out / "checks.json").read_text())
        return {c["subject"].rpartition("/")[2]: c["status"] for c in checks if c["id"] == "CNS-001"}

    run(config, tmp_path / "r1")
    assert consent(tmp_path / "r1") == {"ok.txt": "pass", "none.txt": "fail"}

    sent: list[str] = []
    original = AuthorizedSession.request

    def recording(self: AuthorizedSession, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        sent.append(unquote(urlsplit(url).path))
        return original(self, method, url, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch, caplog.at_level("WARNING", logger="privmap"):
        patch.setattr(AuthorizedSession, "request", recording)
        patch.setattr(logging.getLogger("privmap"), "propagate", True)
        again = run(config, tmp_path / "r2").report.run
    assert again["items_unchanged"] == 2 and again["bytes_read"] == 0
    assert consent(tmp_path / "r2") == {"ok.txt": "pass", "none.txt": "fail"}
    assert not [p for p in sent if p.startswith(("/download/", "/storage/v1/b/uploads-consent-us/o/"))]
    assert "upload metadata unreadable" not in caplog.text

    none = bucket.get_blob("none.txt")
    none.metadata = {"consent-id": "c-ok"}
    none.patch()
    third = run(config, tmp_path / "r3").report.run
    assert third["items_scanned"] == 1 and consent(tmp_path / "r3")["none.txt"] == "pass"
