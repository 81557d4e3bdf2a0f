"""A real S3 endpoint: moto_server on a free loopback port, with IAM enforced.

The scanner's credentials belong to an IAM user whose policy is the least-privilege policy
printed in the README (plus two Deny statements that make a denied bucket and a denied
object), so every scan in these tests also proves that policy is enough. The estate is built
with an admin user's credentials before the test that needs it runs.

The SQL tests' `db` (each engine) and `server` (PostgreSQL and MariaDB) are throw-away databases
(tests/integration/sql_engines.py).
"""

from __future__ import annotations

import json
import os
import re
import textwrap
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.integration import gcs
from tests.integration.moto import moto_server, put_large, put_many
from tests.integration.sql_engines import ENGINES, SERVERS, Database, database

ROOT = Path(__file__).resolve().parents[2]
AFFILIATE = "111122223333"  # declared in the inventory of the scan tests
STRANGER = "999999999999"  # in no inventory
EMAILS = ("alice.martin@example.org", "bob.keller@example.net")


def scanner_policy() -> dict[str, Any]:
    """The least-privilege IAM policy the README tells users to grant, as moto needs it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"least-privilege IAM policy for it:\s*```json\n(.*?)```", readme, re.S)
    assert match, "README has no least-privilege IAM policy"
    policy = json.loads(match.group(1))
    # the watcher's upload queue (intake: sqs), a statement of its own in the README
    queue = re.search(r"queue policy for it:\s*```json\n(.*?)```", readme, re.S)
    assert queue, "README has no queue policy for the SQS intake"
    statement = json.loads(queue.group(1))
    # moto authorises SQS actions against the resource "*", never the queue's ARN, and the batch calls
    # as actions of their own (AWS authorises them as DeleteMessage and ChangeMessageVisibility): the
    # README's actions on any resource, so the actions listed are proved enough, the ARN pattern is not
    batch = ["sqs:DeleteMessageBatch", "sqs:ChangeMessageVisibilityBatch"]
    policy["Statement"] += [
        statement,
        {**statement, "Sid": "MotoQueue", "Action": statement["Action"] + batch, "Resource": "*"},
    ]
    # moto authorises the account-level call as s3:GetPublicAccessBlock, AWS as
    # s3:GetAccountPublicAccessBlock (which the README policy grants)
    policy["Statement"].append({"Effect": "Allow", "Action": "s3:GetPublicAccessBlock", "Resource": "*"})
    return policy


@dataclass(frozen=True)
class S3Server:
    url: str
    admin: boto3.Session  # sets the estate up
    scanner_keys: dict[str, str]  # AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY of the read-only user

    def client(self, service: str = "s3", region: str = "us-east-1") -> Any:
        return self.admin.client(
            service, endpoint_url=self.url, region_name=region, config=Config(max_pool_connections=16)
        )


def _post(url: str, body: bytes) -> None:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(request, timeout=10).read()


def _iam_user(iam: Any, name: str, policy: dict[str, Any]) -> dict[str, str]:
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="policy", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    log_path = tmp_path_factory.mktemp("moto") / "moto.log"
    with log_path.open("wb") as log, moto_server(log) as url, pytest.MonkeyPatch.context() as env:
        # no real credentials, config files or instance metadata are ever consulted
        env.setenv("AWS_CONFIG_FILE", os.devnull)
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        env.setenv("AWS_EC2_METADATA_DISABLED", "true")
        env.delenv("AWS_PROFILE", raising=False)
        env.delenv("AWS_SESSION_TOKEN", raising=False)
        # users are made before IAM is enforced; from then on every request is authorised
        iam = boto3.client(
            "iam", endpoint_url=url, region_name="us-east-1", aws_access_key_id="boot", aws_secret_access_key="boot"
        )
        everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        admin = _iam_user(iam, "admin", everything)
        policy = scanner_policy()
        policy["Statement"] += [
            {"Effect": "Deny", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::locked-us"},
            {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::media-eu/private/*"},
        ]
        scanner = _iam_user(iam, "scanner", policy)
        _post(f"{url}/moto-api/reset-auth", b"0")
        for key, value in scanner.items():
            env.setenv(key, value)
        yield S3Server(url, boto3.Session(admin["AWS_ACCESS_KEY_ID"], admin["AWS_SECRET_ACCESS_KEY"]), scanner)


def upload_consent_config(tmp_path: Path, endpoint: str, bucket: str, consent: str, options: str = "") -> Path:
    """privmap.yaml for a controller-role S3 upload source `avatars` on `bucket` (with more `options`, YAML
    flow-mapping entries such as ", intake: sqs"), one consent-based activity and `consent` (YAML: the
    consent key and its ledger, alerts if any) appended as is."""
    path = tmp_path / "privmap.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            version: 1
            organization: {{name: Example Media Ltd, country: IE}}
            sources:
              - name: avatars
                type: s3
                role: controller
                uploads: true
                options: {{endpoint_url: "{endpoint}", buckets: [{bucket}]{options}}}
            inventory:
              activities:
                - {{name: Profile pictures, purposes: [essential.service], lawful_basis: consent, role: controller,
                   stores: [avatars], data_categories: [user]}}
            """
        )
        + textwrap.dedent(consent),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def s3_operations(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Every AWS operation privmap sends during the test, by name, counted through botocore's events
    (privmap's S3 source makes its boto3 sessions anew; the fixtures' admin clients are not counted)."""
    counted: Counter[str] = Counter()

    class Recording(boto3.Session):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.events.register("before-call.*.*", lambda model, **kw: counted.update([model.name]))

    monkeypatch.setattr(boto3, "Session", Recording)
    return counted


def put_consent_uploads(s3: Any, bucket: str) -> None:
    """The four uploads with personal data both consent tests start from: consent id c-ok in user
    metadata (ok.txt) and in a tag (tagged.txt), none (none.txt), c-withdrawn in metadata (withdrawn.txt)."""
    body = PERSONAL.encode()
    s3.put_object(Bucket=bucket, Key="ok.txt", Body=body, Metadata={"consent-id": "c-ok"})
    s3.put_object(Bucket=bucket, Key="tagged.txt", Body=body, Tagging="consent-id=c-ok")
    s3.put_object(Bucket=bucket, Key="none.txt", Body=body)
    s3.put_object(Bucket=bucket, Key="withdrawn.txt", Body=body, Metadata={"consent-id": "c-withdrawn"})


def _bucket(s3: Any, name: str, region: str) -> None:
    kwargs = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **kwargs)


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> Iterator[Callable[..., Any]]:
    """make(name, region="eu-west-1") -> an admin S3 client in `region`, with a new bucket `name` there.
    Emptied and deleted after the test: the server lives for the session, and a test that lists every
    bucket must not find it."""
    made: list[tuple[Any, str]] = []

    def make(name: str, region: str = "eu-west-1") -> Any:
        s3 = s3_server.client(region=region)
        _bucket(s3, name, region)
        made.append((s3, name))
        return s3

    yield make
    for s3, name in made:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
            for listed in page.get("Contents", []):
                s3.delete_object(Bucket=name, Key=listed["Key"])
        s3.delete_bucket(Bucket=name)


def _encrypt(s3: Any, name: str) -> None:
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(principal: Any, bucket: str, action: str = "s3:GetObject") -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": f"arn:aws:s3:::{bucket}/*"}


PERSONAL = (
    f"Customer record: Alice Martin, email {EMAILS[0]}, phone +353 1 555 0142.\n"
    f"Forwarded by Bob Keller <{EMAILS[1]}> on behalf of the support team.\n"
)


@dataclass(frozen=True)
class Estate:
    """Buckets of a media company in two regions, with every posture the checks look at."""

    buckets: tuple[str, ...] = ("media-eu", "replica-us", "public-us", "plain-eu", "shared-eu", "locked-us", "logs-eu")
    consented_key: str = "uploads/alice.txt"
    denied_key: str = "private/contract.txt"


@pytest.fixture(scope="session")
def s3_estate(s3_server: S3Server) -> Estate:
    estate = Estate()
    eu, us = s3_server.client(region="eu-west-1"), s3_server.client()
    for name in estate.buckets:
        _bucket(us, name, "eu-west-1" if name.endswith("-eu") else "us-east-1")
    for name in ("media-eu", "replica-us", "public-us", "shared-eu", "locked-us", "logs-eu"):
        _encrypt(us, name)

    # media-eu: encrypted, logged, versioned, replicated to us-east-1, objects expire after a year
    for name in ("media-eu", "replica-us"):
        us.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    eu.put_bucket_acl(Bucket="logs-eu", ACL="log-delivery-write")
    eu.put_bucket_logging(
        Bucket="media-eu", BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "logs-eu", "TargetPrefix": "media/"}}
    )
    eu.put_bucket_replication(
        Bucket="media-eu",
        ReplicationConfiguration={
            "Role": "arn:aws:iam::123456789012:role/replication",
            "Rules": [
                {"ID": "to-us", "Status": "Enabled", "Prefix": "", "Destination": {"Bucket": "arn:aws:s3:::replica-us"}}
            ],
        },
    )
    eu.put_bucket_lifecycle_configuration(
        Bucket="media-eu",
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "a-year",
                    "Status": "Enabled",
                    "Filter": {},
                    "Expiration": {"Days": 365},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                }
            ]
        },
    )
    eu.put_object(
        Bucket="media-eu",
        Key=estate.consented_key,
        Body=PERSONAL.encode(),
        Metadata={"consent-id": "c-20240117-0042", "uploader": "user-8812"},
        Tagging="tenant=acme&purpose=profile",
    )
    # written twice: the first version is kept as a noncurrent version (a copy for retention)
    eu.put_object(Bucket="media-eu", Key="uploads/readme.txt", Body=b"Thumbnails are regenerated hourly.\n")
    eu.put_object(Bucket="media-eu", Key="uploads/readme.txt", Body=b"Thumbnails are regenerated nightly.\n")
    eu.put_object(Bucket="media-eu", Key=estate.denied_key, Body=PERSONAL.encode())

    # public-us: readable by anyone through its ACL
    us.put_object(Bucket="public-us", Key="export.txt", Body=PERSONAL.encode())
    us.put_bucket_acl(Bucket="public-us", ACL="public-read")
    # plain-eu: no default encryption, no logging
    eu.put_object(Bucket="plain-eu", Key="notes.txt", Body=PERSONAL.encode())
    # shared-eu: a bucket policy grants the affiliate's account and an unknown one
    eu.put_object(Bucket="shared-eu", Key="crm-export.txt", Body=PERSONAL.encode())
    eu.put_bucket_policy(
        Bucket="shared-eu",
        Policy=_policy(
            _allow({"AWS": f"arn:aws:iam::{AFFILIATE}:root"}, "shared-eu"),
            _allow({"AWS": [f"arn:aws:iam::{STRANGER}:role/partner-sync"]}, "shared-eu", "s3:*"),
            _allow({"Service": "logging.s3.amazonaws.com"}, "shared-eu", "s3:PutObject"),
        ),
    )
    # logs-eu: denies requests without TLS (holds nothing to read: the test server speaks plain HTTP)
    eu.put_bucket_policy(
        Bucket="logs-eu",
        Policy=_policy(
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::logs-eu/*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ),
    )
    # locked-us: the scanner may not list it
    us.put_object(Bucket="locked-us", Key="hidden.txt", Body=PERSONAL.encode())
    return estate


@pytest.fixture(scope="session")
def many_objects(s3_server: S3Server) -> str:
    """A bucket of 5,000 small objects: five pages of ListObjectsV2."""
    s3 = s3_server.client(region="eu-west-1")
    _bucket(s3, "many-eu", "eu-west-1")
    put_many(s3, "many-eu", 5000)
    return "many-eu"


BIG_SIZE = 200_000_000


@pytest.fixture(scope="session")
def big_object(s3_server: S3Server) -> tuple[str, str]:
    s3 = s3_server.client()
    _bucket(s3, "big-us", "us-east-1")
    put_large(s3, "big-us", "logs/huge.log", BIG_SIZE)
    return "big-us", "logs/huge.log"


# -- Google Cloud Storage: fake-gcs-server in EU and in US, gcp-storage-emulator -----------------

GCP_PROJECT = "acme-media"
BIG_GCS_SIZE = 3_000_000


@dataclass(frozen=True)
class GCSEstate:
    """Buckets of a media company in the EU and the US (one emulator process per location)."""

    eu: str  # endpoint URL of the EU emulator
    us: str
    consented_name: str = "uploads/alice.txt"
    big_name: str = "logs/huge.log"


def _generated(size: int) -> bytes:
    """`size` bytes of 64-byte lines naming their 100 kB block, so a sample shows where it came from."""
    return b"".join(b"block %05d %s\n" % (i // 100_000, b"." * 51) for i in range(0, size, 64))[:size]


@pytest.fixture(scope="session")
def gcs_estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GCSEstate]:
    logs = tmp_path_factory.mktemp("fake-gcs")
    with (
        (logs / "eu.log").open("wb") as eu_log,
        (logs / "us.log").open("wb") as us_log,
        gcs.fake_gcs_server("EU", eu_log, {"many-eu": gcs.many(3000)}) as eu,
        gcs.fake_gcs_server("US", us_log) as us,
    ):
        estate = GCSEstate(eu, us)
        client = gcs.admin_client(eu, GCP_PROJECT)
        media = client.create_bucket("media-eu")
        consented = media.blob(estate.consented_name)
        consented.metadata = {"consent-id": "c-20240117-0042", "uploader": "user-8812"}
        consented.upload_from_string(PERSONAL.encode())
        media.blob("uploads/readme.txt").upload_from_string(b"Thumbnails are regenerated nightly.\n")
        media.blob("uploads/empty.txt").upload_from_string(b"")
        media.blob(estate.big_name).upload_from_string(_generated(BIG_GCS_SIZE))
        client.create_bucket("locked-eu").blob("hidden.txt").upload_from_string(PERSONAL.encode())
        exports = gcs.admin_client(us, GCP_PROJECT).create_bucket("exports-us")
        exports.blob("crm/export.txt").upload_from_string(PERSONAL.encode())
        yield estate


@pytest.fixture(scope="session")
def gcs_stub() -> Iterator[str]:
    """gcp-storage-emulator: keeps metagenerations, project numbers and patched bucket settings."""
    with gcs.storage_emulator() as url:
        yield url


@pytest.fixture(params=ENGINES)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty database on each engine in turn, dropped afterwards."""
    with database(request.param, tmp_path) as made:
        yield made


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database on a server engine (roles, connections, posture): PostgreSQL and MariaDB."""
    with database(request.param, tmp_path) as made:
        yield made
