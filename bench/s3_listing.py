"""S3 listing throughput and bytes read per large object, against moto_server on loopback.

    .venv/bin/python -m bench.s3_listing [--objects 5000] [--large-mb 200] [--budget 10MB]

Baselines are measured in the same run: listing with a bare boto3 ListObjectsV2 paginator
(privmap's listing adds region discovery and Item building on top of it), and downloading
the large object whole (what a scanner without ranged reads would fetch).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import boto3
from botocore.config import Config

from privmap.config import load_config
from privmap.config.models import parse_size
from privmap.pipeline import build_source
from tests.integration.moto import moto_server, put_large, put_many


def best_of(runs: int, *fns: Callable[[], int]) -> list[tuple[float, int]]:
    """(fastest seconds, result) of each function, calling them in turn so drift in the server hits all alike."""
    best = [(float("inf"), 0) for _ in fns]
    for _ in range(runs):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            result = fn()
            best[i] = min(best[i], (time.perf_counter() - start, result))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=5000)
    parser.add_argument("--large-mb", type=int, default=200)
    parser.add_argument("--budget", default="10MB", help="scan.max_bytes_per_object")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_EC2_METADATA_DISABLED="true")

    with moto_server() as url, tempfile.TemporaryDirectory() as tmp:
        s3 = boto3.client("s3", endpoint_url=url, region_name="eu-west-1", config=Config(max_pool_connections=16))
        s3.create_bucket(Bucket="bench-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        put_many(s3, "bench-eu", args.objects)
        large = args.large_mb * 1_000_000
        s3.create_bucket(Bucket="bench-large", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        put_large(s3, "bench-large", "huge.log", large)

        config_path = Path(tmp) / "privmap.yaml"
        config_path.write_text(
            textwrap.dedent(
                f"""\
                version: 1
                organization: {{name: Bench, country: IE}}
                scan: {{max_bytes_per_object: {args.budget}}}
                sources:
                  - {{name: s3, type: s3, options: {{endpoint_url: "{url}", buckets: [bench-eu]}}}}
                  - {{name: large, type: s3, options: {{endpoint_url: "{url}", buckets: [bench-large]}}}}
                """
            )
        )
        config = load_config(config_path)

        def raw_listing() -> int:
            pages = s3.get_paginator("list_objects_v2").paginate(Bucket="bench-eu")
            return sum(len(page.get("Contents", [])) for page in pages)

        def cold_listing() -> int:  # a fresh source: session, clients, bucket and region discovery
            return sum(1 for _ in build_source(config, 0).items())

        warm = build_source(config, 0)
        (base_s, base_n), (cold_s, cold_n), (warm_s, warm_n) = best_of(
            args.runs, raw_listing, cold_listing, lambda: sum(1 for _ in warm.items())
        )
        assert base_n == cold_n == warm_n == args.objects, (base_n, cold_n, warm_n)

        source = build_source(config, 1)
        received: list[int] = []
        source.session.events.register(
            "after-call.s3.GetObject", lambda parsed, **_: received.append(parsed["ContentLength"])
        )
        [item] = source.items()
        [(sample_s, _), (whole_s, whole_n)] = best_of(
            1,
            lambda: len(source.open(item).data),
            lambda: len(s3.get_object(Bucket="bench-large", Key="huge.log")["Body"].read()),
        )

    print(f"listing {args.objects} objects (best of {args.runs}):")
    print(f"  baseline boto3 paginator         {base_n / base_s:8,.0f} objects/s")
    print(
        f"  privmap items(), fresh source    {cold_n / cold_s:8,.0f} objects/s   {base_s / cold_s:.2f}x baseline speed"
    )
    print(
        f"  privmap items(), source reused   {warm_n / warm_s:8,.0f} objects/s   {base_s / warm_s:.2f}x baseline speed"
    )
    budget = parse_size(args.budget)
    print(f"large object of {large:,} bytes, budget {budget:,} bytes:")
    print(f"  baseline whole download    {whole_n:12,} bytes in {whole_s:.2f} s")
    print(
        f"  privmap ranged sample      {sum(received):12,} bytes in {sample_s:.2f} s   in {len(received)} GETs, "
        f"{sum(received) / whole_n:.4f}x the bytes, {sample_s / whole_s:.2f}x the time (loopback: no network to save)"
    )


if __name__ == "__main__":
    main()
