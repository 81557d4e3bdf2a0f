"""moto_server (a real S3 HTTP endpoint) on a free loopback port, and fast ways to fill it.

Used by the integration tests and by bench/s3_listing.py.
"""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from boto3.s3.transfer import TransferConfig


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def moto_server(log: IO[bytes] | int = subprocess.DEVNULL) -> Iterator[str]:
    """Yield the endpoint URL of a fresh moto_server; it is stopped on exit."""
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def put_many(s3: Any, bucket: str, count: int) -> None:
    """`count` one-byte objects obj/00000.txt ..., uploaded by 16 threads (s3 needs max_pool_connections=16)."""
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: s3.put_object(Bucket=bucket, Key=f"obj/{i:05d}.txt", Body=b"x"), range(count)))


class Generated(io.RawIOBase):
    """Generated content: 64-byte lines naming their megabyte, so a sample shows where it came from."""

    def __init__(self, size: int) -> None:
        self.size, self.pos = size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.size - self.pos)
        # 64-byte lines; reads come in whole MiB, so every read starts on a line
        chunk = b"".join(b"megabyte %05d %s\n" % ((self.pos + i) // 1_000_000, b"." * 48) for i in range(0, n, 64))
        buffer[:n] = chunk[:n]
        self.pos += n
        return n


def put_large(s3: Any, bucket: str, key: str, size: int) -> None:
    """A `size`-byte object of generated lines, uploaded in 16 MiB parts without holding it in memory."""
    s3.upload_fileobj(
        io.BufferedReader(Generated(size), 1 << 20),
        bucket,
        key,
        Config=TransferConfig(multipart_chunksize=16 * 1024 * 1024, max_concurrency=4),
    )
