"""GCS listing throughput and bytes read per large object, against fake-gcs-server on loopback.

    .venv/bin/python -m bench.gcs_listing [--objects 3000] [--large-mb 50] [--budget 10MB] [--runs 5]

Baselines are measured in the same run: listing with the client library's own paginator
(`Client.list_blobs`, 1,000 objects a page as GCS sends them; privmap's listing adds bucket discovery and Item building
on top, and asks only for the fields an Item needs), and downloading the large object whole
(what a scanner without ranged reads would fetch).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.listing import arguments, compare_listing, compare_sample, config
from privmap.pipeline import build_source
from tests.integration.gcs import admin_client, fake_gcs_server, many


def main() -> None:
    args = arguments(__doc__, objects=3000, large_mb=50)
    with fake_gcs_server("EU", preload={"bench-eu": many(args.objects)}) as url, tempfile.TemporaryDirectory() as tmp:
        client = admin_client(url, "bench")
        lines = b"x" * 63 + b"\n"  # 64 bytes
        client.create_bucket("bench-large").blob("huge.log").upload_from_string(lines * (args.large_mb * 15_625))
        bench = config(
            Path(tmp),
            args.budget,
            many={"type": "gcs", "options": {"project": "bench", "endpoint": url, "buckets": ["bench-eu"]}},
            large={"type": "gcs", "options": {"project": "bench", "endpoint": url, "buckets": ["bench-large"]}},
        )

        def library_paginator() -> int:
            # GCS answers at most 1,000 objects a page; the emulator sends everything unless asked
            return sum(1 for _ in client.list_blobs("bench-eu", page_size=1000))

        compare_listing(bench, "Client.list_blobs", library_paginator, args.objects, args.runs)

        def whole() -> int:
            return len(client.bucket("bench-large").blob("huge.log").download_as_bytes())

        compare_sample(build_source(bench, 1), whole, args.budget)


if __name__ == "__main__":
    main()
