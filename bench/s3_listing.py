"""S3 listing throughput and bytes read per large object, against moto_server on loopback.

    .venv/bin/python -m bench.s3_listing [--objects 5000] [--large-mb 200] [--budget 10MB] [--runs 5]

Baselines are measured in the same run: listing with a bare boto3 ListObjectsV2 paginator
(privmap's listing adds region discovery and Item building on top of it), and downloading
the large object whole (what a scanner without ranged reads would fetch).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import boto3
from botocore.config import Config

from bench.listing import arguments, compare_listing, compare_sample, config
from privmap.pipeline import build_source
from tests.integration.moto import moto_server, put_large, put_many


def main() -> None:
    args = arguments(__doc__, objects=5000, large_mb=200)
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_EC2_METADATA_DISABLED="true")
    with moto_server() as url, tempfile.TemporaryDirectory() as tmp:
        s3 = boto3.client("s3", endpoint_url=url, region_name="eu-west-1", config=Config(max_pool_connections=16))
        for bucket in ("bench-eu", "bench-large"):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        put_many(s3, "bench-eu", args.objects)
        put_large(s3, "bench-large", "huge.log", args.large_mb * 1_000_000)
        bench = config(
            Path(tmp),
            args.budget,
            many={"type": "s3", "options": {"endpoint_url": url, "buckets": ["bench-eu"]}},
            large={"type": "s3", "options": {"endpoint_url": url, "buckets": ["bench-large"]}},
        )

        def raw_listing() -> int:
            pages = s3.get_paginator("list_objects_v2").paginate(Bucket="bench-eu")
            return sum(len(page.get("Contents", [])) for page in pages)

        compare_listing(bench, "boto3 paginator", raw_listing, args.objects, args.runs)

        source = build_source(bench, 1)
        received: list[int] = []  # bytes of each GetObject answer: what the ranged reads really fetched
        source.session.events.register(
            "after-call.s3.GetObject", lambda parsed, **_: received.append(parsed["ContentLength"])
        )

        def whole() -> int:
            return len(s3.get_object(Bucket="bench-large", Key="huge.log")["Body"].read())

        compare_sample(source, whole, args.budget, fetched=lambda: sum(received))


if __name__ == "__main__":
    main()
