"""Throttling, server errors and hung connections, injected by a proxy in front of moto_server."""

from __future__ import annotations

import pytest

from privmap.scanner.sources.base import SourceError
from tests.integration.conftest import S3Server
from tests.integration.proxy import FirstTryFails, proxy
from tests.integration.test_s3_source import s3_config, source_of


# throttling, server errors, and connections reset before or during an answer
@pytest.mark.parametrize("kind", ["slowdown", "error", "reset", "truncate"])
def test_a_request_failing_once_is_retried(tmp_path, s3_server: S3Server, s3_estate, kind):
    with proxy(s3_server.url, FirstTryFails(kind)) as (url, seen):
        source = source_of(s3_config(tmp_path, url, "buckets: [plain-eu]"))
        [item] = source.items()
        blob = source.open(item)
        assert b"Alice Martin" in blob.data
        assert source.problems == []
    # ListBuckets, GetBucketLocation, ListObjectsV2, GetObject: each failed once, then went through
    assert seen[kind] == seen["forwarded"] == 4


@pytest.mark.parametrize(
    ("fault", "kind", "message"), [("hang", "timeout", "ReadTimeoutError"), ("reset", "unreachable", None)]
)
def test_a_read_failing_every_try_ends_after_bounded_tries(
    tmp_path, s3_server: S3Server, s3_estate, fault, kind, message
):
    def fail_reads(method: str, path: str, query: str) -> str | None:
        return fault if path.endswith("/notes.txt") else None

    with proxy(s3_server.url, fail_reads) as (url, seen):
        source = source_of(s3_config(tmp_path, url, "buckets: [plain-eu], timeout: 0.5, max_attempts: 2"))
        [item] = source.items()
        with pytest.raises(SourceError) as error:
            source.open(item)
    assert error.value.kind == kind and str(error.value).startswith("GetObject: ")
    assert message is None or str(error.value) == f"GetObject: {message}"
    assert seen[fault] == 2  # max_attempts, then the item's problem
