"""Google Cloud Storage: every bucket of a project (or the named ones), each at its location.

Read-only by construction: the source sends GET requests of the JSON API only (buckets.list,
buckets.get, buckets.getIamPolicy, bucketAccessControls.list, defaultObjectAccessControls.list,
objects.list, objects.get); tests/integration/test_gcs_source.py records every request of a
full scan to prove it. Objects are read by byte ranges (the random-access seam of
sources/base.py ByteSource), pinned to the generation that was listed, within the scan's
budgets, so a large object is sampled or parsed in parts, never downloaded whole.

Throttling (429), server errors (5xx) and dropped connections are retried by the client
library's own retry (exponential backoff with jitter), bounded to `max_attempts` tries per
request; every other error is classified into a Problem kind by its HTTP status.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import google.auth
import requests
from google.api_core import exceptions as api_exceptions
from google.api_core.retry import Retry
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage
from google.cloud.storage.retry import DEFAULT_RETRY
from google.oauth2 import service_account
from pydantic import Field

from privmap.config.models import Config, SourceConfig
from privmap.data import legal
from privmap.model import Item, Location, StoreFact
from privmap.scanner.sources.base import ByteSource, Options, SourceError, changes_since, object_metadata, status_kind

READ_ONLY_SCOPE = "https://www.googleapis.com/auth/devstorage.read_only"  # the token can read, nothing more
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")  # IAM members and ACL entities meaning "anyone"
_PROJECT_ROLES = ("projectOwner:", "projectEditor:", "projectViewer:")  # IAM convenience members name a project id
_HOLDS = (("temporary", "temporaryHold"), ("event-based", "eventBasedHold"))  # object holds, kept as evidence
PAGE_SIZE = 1000  # objects per objects.list answer: the most GCS sends
# listing asks only for what an Item needs: a smaller answer per page
_LIST_FIELDS = "items(name,size,generation,metageneration,updated,temporaryHold,eventBasedHold),nextPageToken"


class GCSOptions(Options):
    project: str  # the project (id) whose buckets are listed; its buckets are the organisation's own
    buckets: list[str] = []  # empty: every bucket of the project
    prefix: str = ""  # list only objects under this prefix
    endpoint: str | None = None  # another JSON API endpoint (an emulator); sends no credentials unless a file is given
    credentials_file: str | None = None  # a service-account key file; default: Application Default Credentials
    timeout: float = Field(60, gt=0)  # connect and read timeout of each request, in seconds
    max_attempts: int = Field(8, ge=1)  # tries per request on throttling, 5xx and dropped connections


class BoundedRetry(Retry):
    """The client library's retry (its predicate and backoff), ending after `attempts` tries of one request.

    api_core bounds a retry by time only; the count is kept per wrapped request, so each request
    (one page of a listing, one range of an object) gets `attempts` tries.
    """

    def __init__(self, attempts: int, timeout: float) -> None:
        super().__init__(predicate=DEFAULT_RETRY._predicate, timeout=timeout)
        self.attempts = attempts

    def __call__(self, func: Callable[..., Any], on_error: Callable[[Exception], Any] | None = None) -> Any:
        tries = itertools.count(2)  # the number of the try a retry would make
        retryable = self._predicate
        bounded = Retry(
            predicate=lambda exc: retryable(exc) and next(tries) <= self.attempts,
            initial=self._initial,
            maximum=self._maximum,
            multiplier=self._multiplier,
            timeout=self._timeout,
        )
        return bounded(func, on_error)


@dataclass(frozen=True)
class Bucket:
    name: str
    resource: dict[str, Any]  # the bucket as the JSON API returns it; {} when it could not be read
    owned: bool  # listed under the scanned project

    @property
    def store(self) -> str:
        return f"gs://{self.name}"

    @property
    def region(self) -> str | None:
        """The bucket's location code, lower-case as regions.yaml keys it: `eu`, `europe-west1`, `eur4`."""
        location = self.resource.get("location")
        return str(location).lower() if location else None


def classify(operation: str, exc: Exception) -> SourceError:
    """A SourceError naming the operation and the HTTP status or error type, never the response text."""
    if isinstance(exc, api_exceptions.GoogleAPICallError) and exc.code:
        return SourceError(status_kind(exc.code), f"{operation}: {int(exc.code)} {type(exc).__name__}")
    if isinstance(exc, auth_exceptions.TransportError) and exc.args and isinstance(exc.args[0], Exception):
        exc = exc.args[0]
    if isinstance(exc, requests.Timeout):
        return SourceError("timeout", f"{operation}: {type(exc).__name__}")
    if isinstance(exc, (requests.ConnectionError, ConnectionError)):
        return SourceError("unreachable", f"{operation}: {type(exc).__name__}")
    if isinstance(exc, auth_exceptions.GoogleAuthError):
        return SourceError("denied", f"{operation}: {type(exc).__name__}")
    return SourceError("unreadable", f"{operation}: {type(exc).__name__}")


# every failure a request can end in; caught per bucket or per setting so that the scan goes on
ERRORS = (api_exceptions.GoogleAPIError, auth_exceptions.GoogleAuthError, requests.RequestException, ConnectionError)


class GCSSource(ByteSource):
    Options = GCSOptions
    needs_region = False  # each bucket's location is discovered

    options: GCSOptions

    def __init__(self, spec: SourceConfig, config: Config) -> None:
        super().__init__(spec, config)
        self._clients: dict[int, storage.Client] = {}
        o = self.options
        self.retry = BoundedRetry(o.max_attempts, timeout=max(120.0, o.timeout * o.max_attempts))
        self.timeout = (o.timeout, o.timeout)  # connect, read

    @property
    def client(self) -> storage.Client:
        """A client per process: forked workers never share the parent's connection pool."""
        pid = os.getpid()
        if pid not in self._clients:
            self._clients = {pid: self._new_client()}
        return self._clients[pid]

    def _new_client(self) -> storage.Client:
        # the client otherwise fetches each bucket's metadata from background threads to label its
        # trace spans: requests the scan did not ask for, and threads that a forked worker would inherit
        os.environ.setdefault("DISABLE_GCS_PYTHON_CLIENT_OTEL_BUCKET_METADATA", "true")
        o = self.options
        options = {"api_endpoint": o.endpoint} if o.endpoint else None
        if o.credentials_file:
            path = str(self.config.resolve(o.credentials_file))
            credentials = service_account.Credentials.from_service_account_file(path, scopes=[READ_ONLY_SCOPE])
        elif o.endpoint:
            credentials = AnonymousCredentials()  # an emulator: Application Default Credentials are never sent
        else:
            credentials, _ = google.auth.default(scopes=[READ_ONLY_SCOPE])  # Application Default Credentials
        return storage.Client(project=o.project, credentials=credentials, client_options=options)

    def _call(self) -> dict[str, Any]:
        return {"retry": self.retry, "timeout": self.timeout}

    # -- buckets --------------------------------------------------------------------------

    @cached_property
    def buckets(self) -> list[Bucket]:
        try:
            answer = self.client.list_buckets(project=self.options.project, **self._call())
            listed = {b.name: b._properties for b in answer}
        except ERRORS as exc:
            if not self.options.buckets:
                raise classify("buckets.list", exc) from exc
            listed = {}  # named buckets can still be scanned; whether they are the project's stays unknown
        found = []
        for name in sorted(self.options.buckets or listed):
            resource = listed.get(name)
            if resource is None:
                try:
                    resource = self.client.get_bucket(name, **self._call())._properties
                except ERRORS as exc:
                    self.gap(f"gs://{name}", classify("buckets.get", exc))
                    resource = {}
            found.append(Bucket(name, dict(resource), name in listed))
        return found

    @cached_property
    def project_number(self) -> str | None:
        """The scanned project's number, as its own buckets report it (None when none was listed)."""
        numbers = (b.resource.get("projectNumber") for b in self.buckets if b.owned)
        return next((str(n) for n in numbers if n), None)

    @cached_property
    def own_account(self) -> str:
        """The scanned project as the inventory names it: its id, or its number if only that is listed."""
        listed = set(self.config.organization.accounts)
        inv = self.config.inventory
        for party in (*inv.affiliates, *inv.recipients):
            listed.update(party.accounts)
        number = self.project_number
        return number if number and number in listed and self.options.project not in listed else self.options.project

    def account_of(self, account: str) -> str:
        """One name per project: the scanned project's id or number becomes `own_account`; others stay as reported."""
        return self.own_account if account in (self.options.project, self.project_number) else account

    # -- listing and reading --------------------------------------------------------------

    def items(self) -> Iterator[Item]:
        for bucket in self.buckets:
            yield from self._list(bucket)

    def _list(self, bucket: Bucket) -> Iterator[Item]:
        blobs = self.client.list_blobs(
            bucket.name,
            prefix=self.options.prefix or None,
            fields=_LIST_FIELDS,
            page_size=PAGE_SIZE,
            **self._call(),
        )
        store, region = bucket.store, bucket.region
        try:
            # each page's JSON as sent: an Item needs no client-side Blob object per listed object
            for page in blobs.pages:
                for obj in page.raw_page.get("items", ()):
                    yield self._item(store, region, obj)
        except ERRORS as exc:  # a coverage gap; the other buckets go on
            self.gap(store, classify("objects.list", exc))

    def changes(self, mark: str | None) -> tuple[list[Item], str]:
        """Objects uploaded, overwritten or with metadata changed (`updated`) since `mark`
        (base.changes_since); each call lists the bucket."""
        return changes_since(mark, self.buckets, lambda bucket, _: self._list(bucket))

    def _item(self, store: str, region: str | None, obj: dict[str, Any]) -> Item:
        name, size = obj["name"], int(obj.get("size") or 0)
        metadata = {"path": name}
        if obj.get("updated"):
            metadata["modified"] = obj["updated"]  # the object's age, for the retention checks
        if holds := [hold for hold, key in _HOLDS if obj.get(key)]:
            metadata["hold"] = ",".join(holds)
        return Item(
            location=Location(self.name, f"{store}/{name}"),
            store=store,
            # metageneration: a metadata-only change (a withdrawn consent id) must be re-read too
            fingerprint=f"{obj.get('generation')}|{obj.get('metageneration')}|{size}",
            size=size,
            region=region,
            metadata=metadata,
        )

    def reader(self, item: Item) -> ObjectReader:
        """Random access to the object as listed (its generation), by ranged downloads."""
        bucket, _, name = item.location.uri.removeprefix("gs://").partition("/")
        generation = item.fingerprint.partition("|")[0]
        blob = self.client.bucket(bucket).blob(name, generation=int(generation) if generation.isdigit() else None)
        return ObjectReader(blob, item.size or 0, self._call())

    # -- posture --------------------------------------------------------------------------

    def posture(self) -> list[StoreFact]:
        return [fact for bucket in self.buckets if bucket.resource for fact in self._bucket_posture(bucket)]

    def _get(self, bucket: Bucket, operation: str, read: Callable[[storage.Bucket], Any]) -> Any:
        """A bucket setting read by `read`, or None when unreadable (a recorded gap, never a guess)."""
        try:
            return read(self.client.bucket(bucket.name))
        except ERRORS as exc:
            self.gap(bucket.store, classify(operation, exc))
            return None

    def _iam_policy(self, bucket: storage.Bucket) -> dict[str, Any]:
        return dict(bucket.get_iam_policy(requested_policy_version=3, **self._call()).to_api_repr())

    def _acl(self, acl: Any) -> list[dict[str, str]]:
        acl.reload(**self._call())
        return list(acl)

    def _bucket_posture(self, bucket: Bucket) -> Iterator[StoreFact]:
        def fact(key: str, value: Any) -> StoreFact:
            return StoreFact(self.name, bucket.store, key, value)

        r = bucket.resource
        if bucket.region:
            yield fact("region", bucket.region)
            yield fact("location_type", r.get("locationType"))
            if len(places := data_locations(r)) > 1:
                yield fact("locations", places)
        if bucket.owned:
            yield fact("account", self.own_account)
        elif r.get("projectNumber"):
            yield fact("account", self.account_of(str(r["projectNumber"])))

        iam_config = r.get("iamConfiguration") or {}
        prevention = iam_config.get("publicAccessPrevention") or "inherited"
        uniform = bool((iam_config.get("uniformBucketLevelAccess") or {}).get("enabled"))
        yield fact("public_access_prevention", prevention)
        yield fact("uniform_bucket_level_access", uniform)

        policy = self._get(bucket, "buckets.getIamPolicy", self._iam_policy)
        acl: list[dict[str, Any]] | None = []
        default_acl: list[dict[str, Any]] | None = []
        if not uniform:  # with uniform bucket-level access, ACLs grant nothing (and cannot be read)
            acl = self._get(bucket, "bucketAccessControls.list", lambda b: self._acl(b.acl))
            default_acl = self._get(
                bucket, "defaultObjectAccessControls.list", lambda b: self._acl(b.default_object_acl)
            )
        reasons = public_reasons(policy, acl, default_acl)
        if prevention == "enforced":
            yield fact("public", False)  # public access prevention overrides every public grant
            yield fact("public_reasons", [])
        elif reasons is not None:
            yield fact("public", bool(reasons))
            yield fact("public_reasons", reasons)
        if policy is not None and acl is not None:
            own = {self.options.project, *([self.project_number] if self.project_number else [])}
            yield fact("grants", grants(policy, acl, own))

        key = (r.get("encryption") or {}).get("defaultKmsKeyName")
        # GCS always encrypts at rest; the question is whose key
        yield fact(
            "encryption", {"enabled": True, "algorithm": "CMEK" if key else "Google-managed keys", "kms_key": key}
        )
        yield fact("versioning", "Enabled" if (r.get("versioning") or {}).get("enabled") else "Disabled")
        yield fact("logging", bool((r.get("logging") or {}).get("logBucket")))
        yield fact("lifecycle_expiration_days", lifecycle_delete_age(r.get("lifecycle") or {}))
        retention = r.get("retentionPolicy") or {}
        yield fact(
            "retention_policy",
            {"period_days": int(retention["retentionPeriod"]) / 86400, "locked": bool(retention.get("isLocked"))}
            if retention.get("retentionPeriod")
            else None,
        )
        yield fact("default_event_based_hold", bool(r.get("defaultEventBasedHold")))
        yield fact("labels", dict(r.get("labels") or {}))


class ObjectReader:
    """Random access to one GCS object by ranged downloads pinned to one generation, so every range
    and the metadata come from the version that was listed.

    `read` takes [start, end) like every privmap reader and asks the client for [start, end - 1]
    (its `end` is inclusive). The first read also fetches the object's resource (objects.get):
    its custom metadata becomes `meta:` evidence.
    """

    def __init__(self, blob: storage.Blob, size: int, call: dict[str, Any]) -> None:
        self._blob, self._call = blob, call
        self.size = size
        self.metadata: dict[str, str] = {}
        self.bytes_read = 0
        self._described = False

    def read(self, start: int, end: int) -> bytes:
        end = min(end, self.size)
        try:
            # an empty range is no request: GCS answers 416 to a range of an empty object
            data = self._blob.download_as_bytes(start=start, end=end - 1, **self._call) if start < end else b""
            if not self._described:
                self._describe()
        except ERRORS as exc:
            raise classify("objects.get", exc) from exc
        self.bytes_read += len(data)
        return data

    def _describe(self) -> None:
        # a blob of its own: a reloaded one would download from its mediaLink, not through `endpoint`
        described = self._blob.bucket.blob(self._blob.name, generation=self._blob.generation)
        described.reload(**self._call)
        self.metadata = object_metadata(described.metadata)
        self._described = True

    def close(self) -> None:
        pass


def data_locations(resource: dict[str, Any]) -> list[str]:
    """Where a bucket's data rests, lower-case: a custom dual-region's pair (customPlacementConfig),
    a predefined dual-region's pair from regions.yaml, else the bucket's one location."""
    custom = (resource.get("customPlacementConfig") or {}).get("dataLocations") or []
    if custom:
        return sorted(str(c).lower() for c in custom)
    location = str(resource.get("location") or "").lower()
    where = legal.place(location, "gcp")
    return sorted(where.regions) if where and where.regions else [location] if location else []


def public_reasons(
    policy: dict[str, Any] | None, acl: list[dict[str, Any]] | None, default_acl: list[dict[str, Any]] | None
) -> list[str] | None:
    """Why a bucket is readable by anyone: IAM bindings and ACL entries naming allUsers or allAuthenticatedUsers
    (any Google account is the public too). None when a part could not be read; public access prevention
    is the caller's to apply. Shapes: the JSON API's Policy (v3) and BucketAccessControl/ObjectAccessControl lists."""
    if policy is None or acl is None or default_acl is None:
        return None
    reasons = []
    for binding in policy.get("bindings") or []:
        for member in sorted(set(binding.get("members") or []) & set(PUBLIC_MEMBERS)):
            condition = binding.get("condition")
            when = f" under the condition {condition.get('title') or 'set'}" if condition else ""
            reasons.append(f"IAM grants {binding.get('role')} to {member}{when}")
    for what, entries in (("ACL", acl), ("default object ACL", default_acl)):
        for entry in entries:
            if entry.get("entity") in PUBLIC_MEMBERS:
                reasons.append(f"{what} grants {entry.get('role')} to {entry['entity']}")
    return reasons


def grants(policy: dict[str, Any], acl: list[dict[str, Any]], own: set[str]) -> list[dict[str, Any]]:
    """Members of other projects or domains given access: [{account, principal, actions}].

    `account` is a project (id or number, as the member names it) or a domain (`user:`, `group:`,
    `domain:` members); `principal` masks a person's e-mail; `actions` are IAM roles and ACL roles.
    Members of the `own` project (id or number) and public members (public_reasons) are left out.
    """
    found: dict[tuple[str, str], set[str]] = {}
    for binding in policy.get("bindings") or []:
        for member in binding.get("members") or []:
            account = member_account(member)
            if account and account not in own:
                found.setdefault((account, masked_member(member)), set()).add(str(binding.get("role")))
    for entry in acl:
        entity = str(entry.get("entity") or "")
        account = entity_account(entry)
        if account and account not in own:
            found.setdefault((account, masked_member(entity)), set()).add(f"ACL {entry.get('role')}")
    return [{"account": a, "principal": p, "actions": sorted(acts)} for (a, p), acts in sorted(found.items())]


def member_account(member: str) -> str | None:
    """The project or domain an IAM member belongs to; None for public members.

    `user:a@example.com`, `group:g@example.com`, `domain:example.com` -> example.com;
    `serviceAccount:x@acme-prod.iam.gserviceaccount.com`, `projectViewer:acme-prod` -> acme-prod;
    `serviceAccount:123-compute@developer.gserviceaccount.com`, Google's service agents
    (`service-123@gs-project-accounts.iam.gserviceaccount.com`) -> 123 (a project number);
    `principal://.../projects/123/locations/global/workloadIdentityPools/...` -> 123.
    """
    member = member.removeprefix("deleted:").partition("?uid=")[0]
    kind, _, value = member.partition(":")
    if member in PUBLIC_MEMBERS:
        return None
    if member.startswith(_PROJECT_ROLES) or kind == "domain":
        return value.lower()
    if kind in ("principal", "principalSet"):
        parts = value.split("/")
        return parts[parts.index("projects") + 1] if "projects" in parts[:-1] else "/".join(parts[2:6])
    local, _, domain = value.lower().rpartition("@")
    if kind == "serviceAccount":
        return _service_account_project(local, domain)
    return domain or value.lower()


def _service_account_project(local: str, domain: str) -> str:
    if domain.endswith(".iam.gserviceaccount.com") and local.startswith("service-"):
        return local.removeprefix("service-")  # a Google-managed service agent of project <number>
    if domain.endswith(".iam.gserviceaccount.com"):
        return domain.removesuffix(".iam.gserviceaccount.com")
    if domain == "appspot.gserviceaccount.com":
        return local
    if domain == "developer.gserviceaccount.com":
        return local.removesuffix("-compute")
    if domain.endswith(".gserviceaccount.com") and local.isdigit():
        return local  # 123@cloudservices, 123@cloudbuild ...
    return domain


def entity_account(entry: dict[str, Any]) -> str | None:
    """The project or domain of an ACL entry (`project-viewers-123`, `user-a@example.com`, `domain-example.com`).

    An entry naming a person by Google id (`user-0123abcd`) is its own unknown account.
    """
    entity = str(entry.get("entity") or "")
    if entity in PUBLIC_MEMBERS or not entity:
        return None
    if team := entry.get("projectTeam"):
        return str(team.get("projectNumber"))
    kind, _, value = entity.partition("-")
    if kind == "project":
        return value.rpartition("-")[2]
    if kind == "domain":
        return value.lower()
    return value.lower().rpartition("@")[2] if "@" in value else entity


def masked_member(member: str) -> str:
    """A member as reports show it: a person's e-mail or id masked (`user:a***@example.com`), the domain kept."""
    for prefix in ("deleted:user:", "user:", "user-"):
        if member.startswith(prefix):
            local, at, domain = member.removeprefix(prefix).partition("?")[0].rpartition("@")
            return f"{prefix}{local[:1]}***@{domain}" if at else f"{prefix}{domain[:1]}***"
    return member


def lifecycle_delete_age(lifecycle: dict[str, Any]) -> int | None:
    """The shortest age (days) after which a Delete rule removes live objects (not rules on noncurrent versions)."""
    ages = [
        int(rule["condition"]["age"])
        for rule in lifecycle.get("rule") or []
        if (rule.get("action") or {}).get("type") == "Delete"
        and "age" in (rule.get("condition") or {})
        and (rule.get("condition") or {}).get("isLive", True)
    ]
    return min(ages) if ages else None
