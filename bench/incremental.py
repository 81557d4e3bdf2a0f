"""Incremental runs and the upload watch on a 10,000-object estate, local and on moto S3.

    make bench-incremental    # or: python -m bench.incremental [--objects 10000] [--uploads 10] [--estates local,s3]

Per estate (a local folder, a moto_server bucket), all in one run:
- first scan: `privmap scan` as the pipeline runs it (list, read, detect, store, judge, report);
- no-change rescan: the same again with nothing changed. It must read zero object bytes; the target
  is at most 5% of the first scan's time (the first scan is the baseline, measured in the same run);
  on S3 also with `tag_events: true` (tag changes come as S3 events through SQS, so no tag is polled);
- watch cycle: a watcher (`privmap watch`'s Watcher, one look a second) sees `--uploads` new uploads
  without consent evidence; the time is from the first upload to the webhook receiving the alerts.
  Folder events locally; on S3, listing since the mark and S3 event notifications through SQS.
On S3 each line also gives the CPU time moto_server spent serving it (what the emulator costs, not privmap).
`--profile` prints where the no-change rescan's time goes (cProfile, by cumulative time).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil
import yaml

from privmap import pipeline
from privmap.config import load_config
from privmap.config.models import Config
from privmap.watch import Watcher
from tests.integration.sinks import http_endpoint

# one object in ten holds personal data (a name and a phone number), the others none
PERSONAL = "Customer record: {name}, phone +353 1 555 {n:04d}. Forwarded by the support team.\n"
PLAIN = "Thumbnail {n} regenerated nightly; cache key {n:08x}.\n"
NAMES = ("Alice Martin", "Bob Keller", "Chiara Rossi", "Dmitri Volkov", "Eva Novak")


def body(n: int) -> bytes:
    text = PERSONAL.format(name=NAMES[n % len(NAMES)], n=n % 10_000) if n % 10 == 0 else PLAIN.format(n=n)
    return text.encode()


def write_config(folder: Path, source: dict[str, Any], hook: str, name: str = "privmap.yaml") -> Config:
    """A controller-role upload source `up`, a CSV consent ledger with no consents, a webhook sink."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "consents.csv").write_text("consent_id,purpose,given_at,withdrawn_at\n")
    document = {
        "version": 1,
        "organization": {"name": "Bench", "country": "IE"},
        "sources": [{"name": "up", "role": "controller", "uploads": True, **source}],
        "inventory": {
            "activities": [
                {
                    "name": "Profile pictures",
                    "purposes": ["essential.service"],
                    "lawful_basis": "consent",
                    "role": "controller",
                    "stores": ["up"],
                    "data_categories": ["user"],
                }
            ]
        },
        "consent": {"key": "consent-id", "ledger": {"csv": "consents.csv"}},
        "alerts": [{"type": "webhook", "max_messages": 1, "options": {"url": hook}}],
    }
    path = folder / name
    path.write_text(yaml.safe_dump(document))
    return load_config(path)


def server_cpu() -> float:
    """CPU seconds used so far by this process's child processes that are still running (moto_server)."""
    return sum(sum(p.cpu_times()[:2]) for p in psutil.Process().children(recursive=True))


def timed_scan(config: Config, out: Path, profile: bool = False) -> tuple[float, dict[str, Any], str]:
    """(seconds, run.json counters with "server_cpu": the emulator's CPU seconds, profile table or "")
    of one `privmap scan` run."""
    profiler = cProfile.Profile() if profile else None
    served = server_cpu()
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    result = pipeline.run(config, out)
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - start
    table = ""
    if profiler:
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(30)
        table = buffer.getvalue()
    return elapsed, {**result.report.run, "server_cpu": server_cpu() - served}, table


def watch_cycle(config: Config, upload: Callable[[int], None], uploads: int, hook: Any) -> float:
    """Seconds from the first of `uploads` new uploads to the webhook holding an alert for each."""
    with Watcher(config, interval=1.0) as watcher:
        ready = threading.Event()
        thread = threading.Thread(target=watcher.run, kwargs={"ready": ready.set}, daemon=True)
        thread.start()
        ready.wait(600)
        before = len(hook.delivered)
        start = time.perf_counter()
        for n in range(uploads):
            upload(n)
        deadline = start + 600
        while sum(len(r.json()["alerts"]) for r in hook.delivered[before:]) < uploads:
            if time.perf_counter() > deadline:
                raise RuntimeError("the alerts did not come within 10 minutes")
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
        watcher.stopping.set()
        watcher.wake.set()
        thread.join()
    return elapsed


Upload = Callable[[str], None]  # upload(name): one new object without consent evidence
Estate = tuple[Config, Upload, dict[str, Config]]  # the config, upload, and {intake: config} to watch with


def estate_local(folder: Path, objects: int, hook: str) -> Estate:
    root = folder / "up"
    for n in range(objects):
        d = root / f"d{n % 100:02d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{n:05d}.txt").write_bytes(body(n))
    config = write_config(folder, {"type": "local", "region": "eu-west-1", "options": {"path": "up"}}, hook)
    return config, lambda name: (root / f"{name}.txt").write_bytes(body(0)), {"folder events": config}


def estate_s3(folder: Path, objects: int, hook: str, url: str) -> Estate:
    import boto3
    from botocore.config import Config as BotoConfig

    s3 = boto3.client("s3", endpoint_url=url, region_name="eu-west-1", config=BotoConfig(max_pool_connections=16))
    s3.create_bucket(Bucket="bench-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda n: s3.put_object(Bucket="bench-eu", Key=f"obj/{n:05d}.txt", Body=body(n)), range(objects)))
    options = {"endpoint_url": url, "buckets": ["bench-eu"]}
    config = write_config(folder, {"type": "s3", "options": options}, hook)
    sqs = boto3.client("sqs", endpoint_url=url, region_name="eu-west-1")
    queue = sqs.create_queue(QueueName="privmap-uploads")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket="bench-eu",
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": arn,
                    "Events": ["s3:ObjectCreated:*"],
                    # only the SQS cycle's uploads: the queue holds nothing else when that watcher starts
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "new/sqs-"}]}},
                },
                {"QueueArn": arn, "Events": ["s3:ObjectTagging:*"]},  # every key: what `tag_events` promises
            ]
        },
    )
    queued = {**options, "intake": "sqs", "queue_url": queue, "queue_region": "eu-west-1", "tag_events": True}
    intakes = {"listing": config, "sqs": write_config(folder, {"type": "s3", "options": queued}, hook, "sqs.yaml")}
    return config, lambda name: s3.put_object(Bucket="bench-eu", Key=f"new/{name}.txt", Body=body(0)), intakes


def bench(name: str, folder: Path, make: Callable[[Path, str], Estate], args: Any) -> None:
    with http_endpoint() as hook:
        config, upload, intakes = make(folder, hook.url)
        first, run1, _ = timed_scan(config, folder / "r1")
        again, run2, table = timed_scan(config, folder / "r2", profile=args.profile)
        # the same with tag changes learnt from S3 events (`tag_events`) instead of polled
        evented = [(i, timed_scan(c, folder / f"r2-{i}")) for i, c in intakes.items() if c is not config]
        cycles = {
            intake: watch_cycle(watched, lambda n, i=intake: upload(f"{i}-{n:02d}"), args.uploads, hook)
            for intake, watched in intakes.items()
        }
    print(f"\n{name}: {args.objects} objects")
    print(f"  first scan        {first:8.2f} s  {run1['items_scanned']} read, {run1['bytes_read']} bytes{served(run1)}")
    print(
        f"  no-change rescan  {again:8.2f} s  {run2['items_unchanged']} unchanged, {run2['bytes_read']} bytes read"
        f"  = {100 * again / first:.1f}% of the first scan (target <= 5%){served(run2)}"
    )
    for intake, (seconds, counters, _) in evented:
        print(
            f"  no-change rescan  {seconds:8.2f} s  {counters['items_unchanged']} unchanged,"
            f" {counters['bytes_read']} bytes read  = {100 * seconds / first:.1f}% of the first scan"
            f" ({intake} intake, tag_events: tags not polled){served(counters)}"
        )
    for intake, cycle in cycles.items():
        print(
            f"  watch cycle       {cycle:8.2f} s  from the first of {args.uploads} uploads to their alerts ({intake})"
        )
    if run2["bytes_read"] or any(counters["bytes_read"] for _, (_, counters, _) in evented):
        print("  FAIL: the no-change rescan read object bytes")
    if table:
        print(table)


def served(counters: dict[str, Any]) -> str:
    """What the emulator's own CPU took of a run, when one served it."""
    return f"; the emulator's CPU {counters['server_cpu']:.2f} s" if counters["server_cpu"] > 0.05 else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--uploads", type=int, default=10)
    parser.add_argument("--estates", default="local,s3")
    parser.add_argument("--profile", action="store_true", help="profile the no-change rescan")
    args = parser.parse_args()
    estates = args.estates.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        if "local" in estates:
            bench("local folder", Path(tmp) / "local", lambda f, hook: estate_local(f, args.objects, hook), args)
        if "s3" in estates:
            from tests.integration.moto import moto_server

            os.environ.update(
                AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_EC2_METADATA_DISABLED="true"
            )
            with moto_server() as url:
                bench("moto S3", Path(tmp) / "s3", lambda f, hook: estate_s3(f, args.objects, hook, url), args)


if __name__ == "__main__":
    main()
