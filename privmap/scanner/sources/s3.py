"""Amazon S3 and S3-compatible stores: every bucket the credentials can list, each in its own region.

Read-only by construction: the source issues List*, Get* and Head* calls only (plus
sts:AssumeRole when `role_arn` is set); tests/integration/test_s3_source.py records every
operation of a full scan to prove it. Objects are read by byte ranges within the scan's
per-object budget, so a large object is sampled, never downloaded.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
import os
from collections.abc import Iterator
from contextlib import closing, suppress
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import boto3
import botocore.session
from botocore import xform_name
from botocore.config import Config as BotoConfig
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    IncompleteReadError,
    ReadTimeoutError,
    ResponseStreamingError,
)
from botocore.utils import parse_timestamp as botocore_parse_timestamp
from pydantic import Field, ValidationInfo, field_validator, model_validator
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from privmap.config.models import Config, SourceConfig
from privmap.data import legal
from privmap.model import Blob, Item, Location, StoreFact
from privmap.scanner.sources.base import (
    EVIDENCE_READERS,
    ByteSource,
    Options,
    SourceError,
    changes_since,
    object_metadata,
    status_kind,
)

log = logging.getLogger("privmap")
# error codes -> Problem kinds; other codes go by their HTTP status (base.status_kind)
_KINDS = {
    "AccessDenied": "denied",
    "AllAccessDisabled": "denied",
    "AccountProblem": "denied",
    "InvalidAccessKeyId": "denied",
    "SignatureDoesNotMatch": "denied",
    "ExpiredToken": "denied",
    "NoSuchBucket": "missing",
    "NoSuchKey": "missing",
    "SlowDown": "throttled",
    "Throttling": "throttled",
    "ThrottlingException": "throttled",
    "RequestLimitExceeded": "throttled",
    "RequestTimeout": "timeout",
}
_PUBLIC_GROUPS = {
    "http://acs.amazonaws.com/groups/global/AllUsers": "AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "AuthenticatedUsers",
}
NONCURRENT_PAGES = 10  # pages of 1,000 versions read for the noncurrent-version count and age
_PAB_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


class S3Options(Options):
    buckets: list[str] = []  # empty: every bucket the credentials can list
    prefix: str = ""  # list only keys under this prefix
    endpoint_url: str | None = None  # an S3-compatible endpoint (also used for STS and S3 Control)
    profile: str | None = None  # a profile of the AWS config files
    role_arn: str | None = None  # a role to assume for the scan (e.g. a read-only auditor role)
    timeout: float = Field(60, gt=0)  # connect and read timeout of each request, in seconds
    max_attempts: int = Field(8, ge=1)  # tries per request on throttling, 5xx and dropped connections
    ordered_keys: bool = False  # keys sort in upload order (time-prefixed): `privmap watch` lists only newer keys
    # how `privmap watch` learns of uploads: listing since a mark, or S3 event notifications in an SQS queue
    intake: Literal["listing", "sqs"] = "listing"
    queue_url: str | None = None  # intake sqs: the queue the buckets' event notifications go to
    queue_region: str | None = None  # intake sqs: default the region in an AWS queue URL, else us-east-1
    visibility_timeout: int = Field(300, ge=1, le=43_200)  # seconds a taken message stays hidden until recorded
    # intake sqs: the queue also gets the buckets' s3:ObjectTagging:* events, so a consent tag is read when its
    # event comes (by the watch) and never polled: no scan or re-check reads the tags of an unchanged upload
    tag_events: bool = False

    @model_validator(mode="after")
    def _queue_for_sqs(self) -> S3Options:
        if (self.intake == "sqs") != (self.queue_url is not None):
            raise ValueError("queue_url goes with intake: sqs (and intake: sqs needs it)")
        return self

    @field_validator("tag_events")
    @classmethod
    def _tag_events_through_sqs(cls, value: bool, info: ValidationInfo) -> bool:
        # a field's own validator, so the error names the `tag_events` key and its line
        if value and info.data.get("intake") != "sqs":
            raise ValueError("needs intake: sqs (the tagging events come through its queue)")
        return value


@dataclass(frozen=True)
class Bucket:
    name: str
    region: str | None  # None when GetBucketLocation was denied
    owned: bool  # listed by ListBuckets, so it belongs to the scanned account

    @property
    def store(self) -> str:
        return f"s3://{self.name}"


def classify(operation: str, exc: Exception) -> SourceError:
    """A SourceError naming the operation and the error code, never the response text or the key."""
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = str(exc.response.get("Error", {}).get("Code") or status)
        return SourceError(_KINDS.get(code) or status_kind(status), f"{operation}: {code}")
    if isinstance(exc, (ReadTimeoutError, ConnectTimeoutError)):
        return SourceError("timeout", f"{operation}: {type(exc).__name__}")
    if isinstance(exc, (EndpointConnectionError, ConnectionClosedError)):
        return SourceError("unreachable", f"{operation}: {type(exc).__name__}")
    return SourceError("unreadable", f"{operation}: {type(exc).__name__}")


class S3Source(ByteSource):
    Options = S3Options
    needs_region = False  # each bucket's region is discovered

    options: S3Options

    def __init__(self, spec: SourceConfig, config: Config) -> None:
        super().__init__(spec, config)
        self._clients: dict[tuple[str, str], Any] = {}
        self._pid = os.getpid()

    # -- sessions and clients -----------------------------------------------------------

    @cached_property
    def session(self) -> boto3.Session:
        base = boto3.Session(botocore_session=_botocore_session(), profile_name=self.options.profile)
        if not self.options.role_arn:
            return base

        def assume() -> dict[str, str]:
            sts = base.client("sts", endpoint_url=self.options.endpoint_url, config=self._config("us-east-1"))
            creds = sts.assume_role(RoleArn=self.options.role_arn, RoleSessionName="privmap")["Credentials"]
            return {
                "access_key": creds["AccessKeyId"],
                "secret_key": creds["SecretAccessKey"],
                "token": creds["SessionToken"],
                "expiry_time": creds["Expiration"].isoformat(),
            }

        assumed = _botocore_session()
        # boto3 has no public way to hand a session credentials that renew themselves; a long
        # scan outlives one set of role credentials, so botocore's refreshable kind is set directly
        assumed._credentials = RefreshableCredentials.create_from_metadata(assume(), assume, "assume-role")
        return boto3.Session(botocore_session=assumed)

    def _config(self, region: str) -> BotoConfig:
        o = self.options
        return BotoConfig(
            region_name=region,
            retries={"mode": "adaptive", "total_max_attempts": o.max_attempts},  # backoff + client-side rate limit
            connect_timeout=o.timeout,
            read_timeout=o.timeout,
            # as many connections as concurrent evidence reads: a connection beyond the pool is dropped after
            # its request, and a new one (a TLS handshake on AWS) made for the next
            max_pool_connections=EVIDENCE_READERS,
        )

    def _client(self, service: str, region: str | None = None) -> Any:
        """A client per service and region, per process: forked workers never share the parent's sockets."""
        if self._pid != os.getpid():
            self._pid, self._clients = os.getpid(), {}
        key = (service, region or "us-east-1")
        if key not in self._clients:
            client = self.session.client(service, endpoint_url=self.options.endpoint_url, config=self._config(key[1]))
            if service == "s3control" and _is_ip_endpoint(self.options.endpoint_url):
                client.meta.events.register("before-sign.s3-control", _drop_account_label)
            self._clients[key] = client
        return self._clients[key]

    # -- buckets --------------------------------------------------------------------------

    @cached_property
    def account(self) -> str | None:
        """The account the credentials belong to, or None when it cannot be asked."""
        try:
            return str(self._client("sts").get_caller_identity()["Account"])
        except (ClientError, BotoCoreError) as exc:
            # without it, ownership and account-wide public-access blocks are unknown: a gap to
            # report on AWS; S3-compatible endpoints (endpoint_url) often have no STS at all
            if not self.options.endpoint_url:
                self.gap(self.name, classify("GetCallerIdentity", exc))
            return None

    @cached_property
    def buckets(self) -> list[Bucket]:
        s3 = self._client("s3")
        try:
            owned = {b["Name"] for page in s3.get_paginator("list_buckets").paginate() for b in page.get("Buckets", [])}
        except (ClientError, BotoCoreError) as exc:
            if not self.options.buckets:
                raise classify("ListBuckets", exc) from exc
            owned = set()  # named buckets can still be scanned; their owner stays unknown
        names = sorted(self.options.buckets or owned)
        return [Bucket(name, self._region_of(name), name in owned) for name in names]

    def _region_of(self, name: str, record: bool = True) -> str | None:
        try:
            constraint = self._client("s3").get_bucket_location(Bucket=name).get("LocationConstraint")
        except (ClientError, BotoCoreError) as exc:
            if record:
                self._gap(name, "GetBucketLocation", exc)
            return None
        return bucket_region(constraint)

    def _gap(self, bucket: str, operation: str, exc: Exception) -> None:
        self.gap(f"s3://{bucket}", classify(operation, exc))

    # -- listing and reading --------------------------------------------------------------

    def items(self) -> Iterator[Item]:
        for bucket in self.buckets:
            yield from self._list(bucket)

    def _list(self, bucket: Bucket, start_after: str = "") -> Iterator[Item]:
        pages = self._client("s3", bucket.region).get_paginator("list_objects_v2")
        after = {"StartAfter": start_after} if start_after else {}
        try:
            for page in pages.paginate(Bucket=bucket.name, Prefix=self.options.prefix, **after):
                yield from self._items(bucket, page)
        except (ClientError, BotoCoreError) as exc:  # a coverage gap; the other buckets go on
            self._gap(bucket.name, "ListObjectsV2", exc)

    def _items(self, bucket: Bucket, page: dict[str, Any]) -> Iterator[Item]:
        for obj in page.get("Contents", []):
            key, modified = obj["Key"], obj["LastModified"].isoformat()
            yield Item(
                location=Location(self.name, f"{bucket.store}/{key}"),
                store=bucket.store,
                fingerprint=f"{obj['ETag']}|{obj['Size']}|{modified}",
                size=obj["Size"],
                region=bucket.region,
                metadata={"path": key, "modified": modified},
            )

    def object_item(self, bucket_name: str, key: str) -> Item | None:
        """The item of one object as a listing shows it (the same fingerprint), by a listing that starts
        at its key; None when the bucket is not scanned, the key is outside `prefix` or it is gone."""
        bucket = next((b for b in self.buckets if b.name == bucket_name), None)
        if bucket is None or not key.startswith(self.options.prefix):
            return None
        try:
            page = self._client("s3", bucket.region).list_objects_v2(Bucket=bucket.name, Prefix=key, MaxKeys=1)
        except (ClientError, BotoCoreError) as exc:
            raise classify("ListObjectsV2", exc) from exc
        # the first key under a prefix equal to the key is the key itself
        return next((i for i in self._items(bucket, page) if i.metadata["path"] == key), None)

    def changes(self, mark: str | None) -> tuple[list[Item], str]:
        """Objects uploaded or overwritten since `mark` (base.changes_since). With `ordered_keys`, only
        keys after the last one seen are listed (StartAfter); otherwise each call lists the bucket."""

        def listing(bucket: Bucket, prev: dict[str, Any] | None) -> Iterator[Item]:
            return self._list(bucket, prev["last_key"] if prev and self.options.ordered_keys else "")

        return changes_since(mark, self.buckets, listing)

    def reader(self, item: Item) -> ObjectReader:
        bucket, _, key = item.location.uri.removeprefix("s3://").partition("/")
        client = self._client("s3", item.region)
        return ObjectReader(client, bucket, key, item.size or 0, self.options.max_attempts)

    def open(self, item: Item) -> Blob:
        blob = super().open(item)
        if isinstance(blob.reader, ObjectReader) and blob.reader.tag_count:
            bucket, _, key = item.location.uri.removeprefix("s3://").partition("/")
            try:
                tags = self._client("s3", item.region).get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
            except (ClientError, BotoCoreError) as exc:
                raise classify("GetObjectTagging", exc) from exc
            blob = replace(blob, metadata={**blob.metadata, **{f"tag:{t['Key']}": t["Value"] for t in tags}})
        return blob

    @cached_property
    def evidence_events(self) -> bool:
        """Whether every change of an object's tags comes as an event through the queue (`tag_events`),
        as each bucket's notification configuration confirms (s3:GetBucketNotification, asked once per
        run or watch). Where a bucket sends no s3:ObjectTagging events covering the listed keys to the
        queue (or to an SNS topic, which may fan out to it), or its configuration cannot be read, the
        tags are polled as without the option, and a warning says so: a tag added later is still seen."""
        if not self.options.tag_events:
            return False
        silent = [b.name for b in self.buckets if not self._sends_tag_events(b)]
        if silent:
            log.warning(
                "tag_events: these buckets send no s3:ObjectTagging events to the queue; their tags are polled",
                extra={"source": self.name, "buckets": silent},
            )
        return not silent

    def _sends_tag_events(self, bucket: Bucket) -> bool:
        try:
            config = self._client("s3", bucket.region).get_bucket_notification_configuration(Bucket=bucket.name)
        except (ClientError, BotoCoreError) as exc:  # a setting not read: a coverage gap like the posture's
            self._gap(bucket.name, "GetBucketNotificationConfiguration", exc)
            return False
        return sends_tag_events(config, self.options.queue_url or "", self.options.prefix)

    def metadata(self, item: Item) -> dict[str, str]:
        """Tags (`tag:`) as they are now, without reading content (GetObjectTagging): a consent tag added
        after the upload is seen on the next run. User metadata needs no second look: S3 changes it only
        by writing the object again, which changes its fingerprint, so the object is read again."""
        bucket, _, key = item.location.uri.removeprefix("s3://").partition("/")
        try:
            tags = self._client("s3", item.region).get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
        except (ClientError, BotoCoreError) as exc:
            raise classify("GetObjectTagging", exc) from exc
        return {f"tag:{t['Key']}": t["Value"] for t in tags}

    # -- posture --------------------------------------------------------------------------

    def posture(self) -> list[StoreFact]:
        account_pab = self._account_public_access_block()
        return [fact for bucket in self.buckets for fact in self._bucket_posture(bucket, account_pab)]

    def _get(self, bucket: Bucket, operation: str, absent: str = "") -> dict[str, Any] | None:
        """A bucket setting: {} when the error code `absent` says it is not set, None when unreadable."""
        client = self._client("s3", bucket.region)
        try:
            return dict(getattr(client, xform_name(operation))(Bucket=bucket.name))
        except ClientError as exc:
            if absent and exc.response.get("Error", {}).get("Code") == absent:
                return {}
            self._gap(bucket.name, operation, exc)
        except BotoCoreError as exc:
            self._gap(bucket.name, operation, exc)
        return None

    def _account_public_access_block(self) -> dict[str, bool]:
        if self.account is None:
            return {}
        try:
            config = self._client("s3control").get_public_access_block(AccountId=self.account)
        except (ClientError, BotoCoreError) as exc:
            absent = isinstance(exc, ClientError) and (
                exc.response.get("Error", {}).get("Code") == "NoSuchPublicAccessBlockConfiguration"
            )
            if not absent:
                self.gap(self.name, classify("GetAccountPublicAccessBlock", exc))
            return {}
        return dict(config["PublicAccessBlockConfiguration"])

    def _bucket_posture(self, bucket: Bucket, account_pab: dict[str, bool]) -> Iterator[StoreFact]:
        def fact(key: str, value: Any) -> StoreFact:
            return StoreFact(self.name, bucket.store, key, value)

        if bucket.region:
            yield fact("region", bucket.region)
        if bucket.owned and self.account:
            yield fact("account", self.account)

        pab = self._get(bucket, "GetPublicAccessBlock", "NoSuchPublicAccessBlockConfiguration")
        status = self._get(bucket, "GetBucketPolicyStatus", "NoSuchBucketPolicy")
        acl = self._get(bucket, "GetBucketAcl")
        # a setting that could not be read is a recorded gap, never a guess that it is off
        if pab is not None:
            bucket_pab = pab.get("PublicAccessBlockConfiguration", {})
            blocks = {flag: bool(bucket_pab.get(flag) or account_pab.get(flag)) for flag in _PAB_FLAGS}
            yield fact("public_access_block", blocks)
        if pab is not None and status is not None and acl is not None:
            reasons = []
            if status.get("PolicyStatus", {}).get("IsPublic") and not blocks["RestrictPublicBuckets"]:
                reasons.append("bucket policy is public")
            if not blocks["IgnorePublicAcls"]:
                for grant in acl.get("Grants", []):
                    group = _PUBLIC_GROUPS.get(grant.get("Grantee", {}).get("URI", ""))
                    if group:
                        reasons.append(f"ACL grants {grant['Permission']} to {group}")
            yield fact("public", bool(reasons))
            yield fact("public_reasons", reasons)

        policy = self._get(bucket, "GetBucketPolicy", "NoSuchBucketPolicy")
        if policy is not None:
            yield fact("grants", policy_grants(policy.get("Policy") or "{}", {self.account} - {None}))
            enforced = denies_insecure_transport(policy.get("Policy") or "{}")
            why = (
                "the bucket policy denies requests without TLS"
                if enforced
                else "no bucket policy statement denies requests without TLS (aws:SecureTransport)"
            )
            yield fact("tls", {"enforced": enforced, "evidence": why})

        encryption = self._get(bucket, "GetBucketEncryption", "ServerSideEncryptionConfigurationNotFoundError")
        if encryption is not None:
            rules = encryption.get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
            default = rules[0].get("ApplyServerSideEncryptionByDefault", {}) if rules else {}
            yield fact(
                "encryption",
                {
                    "enabled": bool(default),
                    "algorithm": default.get("SSEAlgorithm"),
                    "kms_key": default.get("KMSMasterKeyID"),
                },
            )
        versioning = self._get(bucket, "GetBucketVersioning")
        if versioning is not None:
            yield fact("versioning", versioning.get("Status") or "Disabled")
            if versioning.get("Status"):  # versions kept now or before suspension: copies for retention
                versions = self._noncurrent_versions(bucket)
                if versions is not None:
                    yield fact("noncurrent_versions", versions)
        logging = self._get(bucket, "GetBucketLogging")
        if logging is not None:
            yield fact("logging", "LoggingEnabled" in logging)
        lifecycle = self._get(bucket, "GetBucketLifecycleConfiguration", "NoSuchLifecycleConfiguration")
        if lifecycle is not None:
            days = [
                r["Expiration"]["Days"]
                for r in lifecycle.get("Rules", [])
                if r.get("Status") == "Enabled" and "Days" in r.get("Expiration", {})
            ]
            yield fact("lifecycle_expiration_days", min(days) if days else None)
            noncurrent = [
                r["NoncurrentVersionExpiration"]["NoncurrentDays"]
                for r in lifecycle.get("Rules", [])
                if r.get("Status") == "Enabled" and "NoncurrentDays" in r.get("NoncurrentVersionExpiration", {})
            ]
            yield fact("noncurrent_expiration_days", min(noncurrent) if noncurrent else None)
        replication = self._get(bucket, "GetBucketReplication", "ReplicationConfigurationNotFoundError")
        if replication is not None:
            rules = replication.get("ReplicationConfiguration", {}).get("Rules", [])
            yield fact(
                "replication", [self._destination(r["Destination"]) for r in rules if r.get("Status") == "Enabled"]
            )

    def _noncurrent_versions(self, bucket: Bucket) -> dict[str, Any] | None:
        """{count, oldest (ISO 8601), complete} of the bucket's noncurrent versions, from at most
        NONCURRENT_PAGES pages of ListObjectVersions (`complete` false when it stopped there); None
        when the listing is denied (a recorded gap)."""
        pages = self._client("s3", bucket.region).get_paginator("list_object_versions")
        count, oldest, complete = 0, None, True
        try:
            for i, page in enumerate(pages.paginate(Bucket=bucket.name, Prefix=self.options.prefix)):
                if i == NONCURRENT_PAGES:
                    complete = False
                    break
                for version in page.get("Versions", []):
                    if not version.get("IsLatest"):
                        count += 1
                        oldest = min(oldest or version["LastModified"], version["LastModified"])
        except (ClientError, BotoCoreError) as exc:
            self._gap(bucket.name, "ListObjectVersions", exc)
            return None
        return {"count": count, "oldest": oldest.isoformat() if oldest else None, "complete": complete}

    def _destination(self, destination: dict[str, Any]) -> dict[str, str | None]:
        """Where a replication rule sends copies: bucket, account and region, None where unknown."""
        name = destination["Bucket"].rpartition(":")[2]
        known = {b.name: b for b in self.buckets}.get(name)
        account = destination.get("Account") or (self.account if known and known.owned else None)
        region = known.region if known else self._region_of(name, record=False)
        return {"bucket": name, "account": account, "region": region}


# what a body read raises when the connection breaks or stalls after the headers came
_BROKEN_BODY = (ResponseStreamingError, IncompleteReadError, ReadTimeoutError, ConnectionClosedError)


class ObjectReader:
    """Random access to one S3 object by ranged GETs (the RangeReader of the S3 source).

    The first response's user metadata becomes `meta:` evidence; a read of the whole object is
    sent without a Range header (some S3-compatible stores answer 416 to a range on an empty object).
    A body cut off mid-transfer is fetched again, up to `attempts` times: the client retries a request
    whose answer never came, but not one whose body broke after the headers.
    """

    def __init__(self, client: Any, bucket: str, key: str, size: int, attempts: int = 1) -> None:
        self._client, self._bucket, self._key = client, bucket, key
        self.size = size
        self.metadata: dict[str, str] = {}
        self.bytes_read = 0
        self.tag_count = 0
        self._first = True
        self._attempts = attempts

    def read(self, start: int, end: int) -> bytes:
        end = min(end, self.size)
        if start >= end and not self._first:
            return b""
        ranged = {} if start == 0 and end == self.size else {"Range": f"bytes={start}-{end - 1}"}
        retrying = Retrying(
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential_jitter(multiplier=0.05, max=2, jitter=0.05),
            retry=retry_if_exception_type(_BROKEN_BODY),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    resp = self._get(ranged)
                    with closing(resp["Body"]) as body:
                        data = body.read()  # one range: at most what was asked, however large the object
        except _BROKEN_BODY as exc:
            raise classify("GetObject", exc) from exc
        if self._first:
            self._first = False
            self.metadata = object_metadata(resp.get("Metadata"))
            self.tag_count = int(resp.get("TagCount") or 0)
        self.bytes_read += len(data)
        return data

    def _get(self, ranged: dict[str, str]) -> dict[str, Any]:
        """The GetObject answer, its body unread; SourceError once the client's own retries are spent."""
        try:
            return self._client.get_object(Bucket=self._bucket, Key=self._key, **ranged)
        except (ClientError, BotoCoreError) as exc:
            raise classify("GetObject", exc) from exc

    def close(self) -> None:
        pass


def _botocore_session() -> botocore.session.Session:
    """A botocore session whose answers read timestamps by `parse_timestamp`: every listed object has
    one, and botocore's default parser (dateutil) costs a 1,000-key ListObjectsV2 page nearly twice
    what the rest of its parsing does. Set through the documented parser defaults of the
    session's response parser factory, for the clients of this session only."""
    session = botocore.session.Session()
    session.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=parse_timestamp)
    return session


def parse_timestamp(value: Any) -> dt.datetime:
    """A timestamp of an AWS answer as botocore's own parser reads it: the ISO 8601 form S3 lists
    (`2026-11-30T10:37:29.000Z`) by the standard library, anything else (an HTTP date in a header,
    epoch seconds, an ISO form without a zone) by botocore's parser. The same datetime either way,
    so listed fingerprints (which hold its `isoformat()`) do not change."""
    if isinstance(value, str):
        with suppress(ValueError):
            parsed = dt.datetime.fromisoformat(value)
            if parsed.tzinfo is not None:
                return parsed
    return botocore_parse_timestamp(value)  # type: ignore[no-any-return]


def sends_tag_events(notifications: dict[str, Any], queue_url: str, prefix: str) -> bool:
    """Whether a bucket's notification configuration (GetBucketNotificationConfiguration) sends
    s3:ObjectTagging:Put events for every key under `prefix` to the queue at `queue_url` (matched by
    account and name in its ARN), or to an SNS topic (which may fan out to it). A key filter covers the
    keys only as a prefix of `prefix`; a suffix filter never does."""
    queue = urlsplit(queue_url).path.strip("/").replace("/", ":")  # "ACCOUNT:NAME"
    queues = [c for c in notifications.get("QueueConfigurations", []) if c.get("QueueArn", "").endswith(f":{queue}")]
    return any(
        {"s3:ObjectTagging:*", "s3:ObjectTagging:Put"} & set(c.get("Events", []))
        and all(
            r["Name"].lower() == "prefix" and prefix.startswith(r["Value"])
            for r in c.get("Filter", {}).get("Key", {}).get("FilterRules", [])
        )
        for c in queues + notifications.get("TopicConfigurations", [])
    )


def bucket_region(constraint: str | None) -> str:
    """The region of a GetBucketLocation answer: None means us-east-1, the legacy `EU` eu-west-1.

    A code regions.yaml does not know is kept as given, for the unmapped-region check to name.
    """
    where = legal.place(constraint or "", "aws")
    return where.code if where else str(constraint).lower()


def denies_insecure_transport(document: str) -> bool:
    """Whether a bucket policy denies requests made without TLS (`aws:SecureTransport` false)."""
    statements = json.loads(document).get("Statement", [])
    for st in statements if isinstance(statements, list) else [statements]:
        secure = (st.get("Condition") or {}).get("Bool", {}).get("aws:SecureTransport")
        if st.get("Effect") == "Deny" and str(_as_list(secure)[0] if secure else "").lower() == "false":
            return True
    return False


def policy_grants(document: str, own_accounts: set[str]) -> list[dict[str, Any]]:
    """Principals of other accounts allowed by a bucket policy: [{account, principal, actions}].

    Public principals ("*") are left to the policy status; service principals are not accounts.
    """
    statements = json.loads(document).get("Statement", [])
    found: dict[tuple[str, str], set[str]] = {}
    for st in statements if isinstance(statements, list) else [statements]:
        principal = st.get("Principal")
        if st.get("Effect") != "Allow" or not isinstance(principal, dict):
            continue
        actions = st.get("Action", [])
        for arn in _as_list(principal.get("AWS")):
            account = _account_of(arn)
            if account and account not in own_accounts:
                found.setdefault((account, arn), set()).update(_as_list(actions))
    return [{"account": a, "principal": p, "actions": sorted(acts)} for (a, p), acts in sorted(found.items())]


def _account_of(principal: str) -> str | None:
    """The account id of an AWS principal: `111122223333` or `arn:aws:iam::111122223333:role/x`."""
    if principal.isdigit() and len(principal) == 12:
        return principal
    parts = principal.split(":")
    return parts[4] if len(parts) > 4 and parts[0] == "arn" and parts[4].isdigit() else None


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _is_ip_endpoint(url: str | None) -> bool:
    try:
        return url is not None and bool(ipaddress.ip_address(urlsplit(url).hostname or ""))
    except ValueError:
        return False


def _drop_account_label(request: Any, **_: Any) -> None:
    """S3 Control puts the account id in front of the endpoint's host name; an IP address takes no
    such label, so for an IP endpoint (a local S3-compatible server) the label is dropped."""
    parts = urlsplit(request.url)
    label, _, host = parts.netloc.partition(".")
    if label.isdigit() and _is_ip_endpoint(f"{parts.scheme}://{host}"):
        request.url = urlunsplit(parts._replace(netloc=host))
