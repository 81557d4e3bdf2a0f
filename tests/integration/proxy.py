"""An HTTP proxy that injects faults (throttling, server errors, denials, hung connections) in front of a
real endpoint (moto_server, fake-gcs-server)."""

from __future__ import annotations

import http.client
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

SLOW_DOWN = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
DENIED = b'{"error": {"code": 403, "message": "The caller does not have permission"}}'
ERRORS = {"slowdown": (503, SLOW_DOWN), "error": (500, b""), "denied": (403, DENIED)}

# (method, path, query) -> what to do: None forwards, "slowdown", "error" and "denied" answer 503 / 500 / 403,
# "hang" stalls, "reset" drops the connection with a TCP reset before answering, "truncate" forwards the
# answer's headers and half its body, then resets (a connection lost mid-download)
Fault = Callable[[str, str, str], str | None]


class FirstTryFails:
    """A `Fault`: `kind` on the first try of each request (method aside: its path and query), forwarded on
    every retry; `calls` counts the tries of each."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.calls: Counter[str] = Counter()

    def __call__(self, method: str, path: str, query: str) -> str | None:
        self.calls[f"{path}?{query}"] += 1
        return self.kind if self.calls[f"{path}?{query}"] == 1 else None


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
            if action == "reset":
                self._reset()
                return
            if action in ERRORS:
                status, answer = ERRORS[action]
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
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
            conn.close()
            if action == "truncate":
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self._reset()
                return
            self.wfile.write(data)

        def _reset(self) -> None:
            # SO_LINGER with a zero timeout makes close() send RST instead of FIN: the peer sees ECONNRESET
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True

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
