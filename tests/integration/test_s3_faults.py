"""Throttling, server errors and hung connections, injected by a proxy in front of moto_server."""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from privmap.scanner.sources.base import SourceError
from tests.integration.conftest import S3Server
from tests.integration.test_s3_source import s3_config, source_of

SLOW_DOWN = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"

# (method, path, query) -> what to do: None forwards, "slowdown" and "error" answer 503 / 500, "hang" stalls
Fault = Callable[[str, str, str], str | None]


@contextmanager
def proxy(upstream: str, fault: Fault) -> Iterator[tuple[str, Counter[str]]]:
    """An HTTP proxy to `upstream` that injects the faults `fault` picks; yields (url, counts of each fault)."""
    target = urlsplit(upstream)
    seen: Counter[str] = Counter()

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            path, _, query = self.path.partition("?")
            action = fault(self.command, path, query)
            seen[action or "forwarded"] += 1
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if action == "hang":
                time.sleep(3)  # longer than the client's read timeout
                self.close_connection = True
                return
            if action in ("slowdown", "error"):
                self.send_response(503 if action == "slowdown" else 500)
                self.send_header("Content-Length", str(len(SLOW_DOWN)))
                self.end_headers()
                self.wfile.write(SLOW_DOWN if action == "slowdown" else b"")
                return
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
            # the Host header is kept: the request is signed for it
            conn.request(self.command, self.path, body, dict(self.headers.items()))
            resp = conn.getresponse()
            data = resp.read()
            self.send_response(resp.status)
            for key, value in resp.getheaders():
                if key.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            conn.close()

        do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _any

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def first_try_of_each_call(kind: str) -> Fault:
    calls: Counter[str] = Counter()

    def fault(method: str, path: str, query: str) -> str | None:
        calls[f"{path}?{query}"] += 1
        return kind if calls[f"{path}?{query}"] == 1 else None

    return fault


@pytest.mark.parametrize("kind", ["slowdown", "error"])
def test_throttling_and_server_errors_are_retried(tmp_path, s3_server: S3Server, s3_estate, kind):
    with proxy(s3_server.url, first_try_of_each_call(kind)) as (url, seen):
        source = source_of(s3_config(tmp_path, url, "buckets: [plain-eu]"))
        [item] = source.items()
        blob = source.open(item)
        assert b"Alice Martin" in blob.data
        assert source.problems == []
    # ListBuckets, GetBucketLocation, ListObjectsV2, GetObject: each failed once, then went through
    assert seen[kind] == seen["forwarded"] == 4


def test_a_hung_read_times_out_after_bounded_tries(tmp_path, s3_server: S3Server, s3_estate):
    def hang_reads(method: str, path: str, query: str) -> str | None:
        return "hang" if path.endswith("/notes.txt") else None

    with proxy(s3_server.url, hang_reads) as (url, seen):
        source = source_of(s3_config(tmp_path, url, "buckets: [plain-eu], timeout: 0.5, max_attempts: 2"))
        [item] = source.items()
        with pytest.raises(SourceError) as error:
            source.open(item)
    assert error.value.kind == "timeout" and str(error.value) == "GetObject: ReadTimeoutError"
    assert seen["hang"] == 2  # max_attempts, then the item's problem
