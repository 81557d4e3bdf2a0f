"""Scan throughput by executor, the scanner's memory as the estate grows, and a no-change rescan.

    make bench-scale        # or: python -m bench.scale [--mb 200] [--small-mb 50] [--rescan-items 100000]

1. A generated estate of `--mb` megabytes of mixed content (mails, logs, CSV exports, JSON records,
   and media files no extractor reads), three quarters in a local folder and one quarter in a moto S3
   bucket, is scanned three times in one run: one process (the baseline), the local executor with
   `--workers` processes, and Dask on a LocalCluster of `--workers` processes; the findings of the
   three must be the same.
2. The scanning process's peak RSS with the local executor on a `--small-mb` estate of the same
   mixture and on the whole estate (it must not grow with the estate).
3. `--rescan-items` small local files scanned with the local executor, then scanned again with
   nothing changed: the rescan's time against the first scan's.

Each scan runs in its own process (`python -m bench.scale --one CONFIG OUT`), which reports its
wall time, its own CPU time and peak RSS (the scanning process alone: local workers and Dask
workers are other processes), and the CPU time of the worker processes it waited for. A projection
of throughput against workers follows from the measured worker CPU per item and the scanning
process's CPU per item (which bounds the items per second one scanner can take in).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import boto3

from bench import corpus

MB = 1_000_000
# share of the estate's bytes by kind: (extension, share, typical file size in bytes)
KINDS = {
    "mail": (".eml", 0.25, 24_000),
    "log": (".log", 0.30, 400_000),
    "csv": (".csv", 0.20, 200_000),
    "json": (".json", 0.10, 100_000),
    "media": (".jpg", 0.15, 1_500_000),
}
STABLE = ("source", "store", "uri", "part", "field", "entity", "category", "count", "distinct", "preview", "value_key")


def pool(seed: int = 7) -> dict[str, list[str]]:
    """A few megabytes of generated documents per kind, from which files are drawn."""
    rng = random.Random(seed)
    docs: dict[str, list[str]] = {"mail": [], "log": [], "csv": [], "json": []}
    for _ in range(600):
        docs["mail"].append("".join(corpus.mail(rng).parts))
    for _ in range(120):
        docs["log"].append("".join(corpus.log(rng).parts))
        docs["csv"].append("".join(corpus.export(rng).parts))
    for n in range(3000):
        first, last = rng.choice(corpus.FIRST["en"]), rng.choice(corpus.LAST["en"])
        record = {
            "id": n,
            "name": f"{first} {last}",
            "email": corpus.ascii_mail(first, last, rng.choice(corpus.DOMAINS)),
            "iban": corpus.make_iban(rng),
            "ip": corpus.ip(rng),
        }
        docs["json"].append(json.dumps(record))
    return docs


def file_body(kind: str, size: int, docs: dict[str, list[str]], rng: random.Random) -> bytes:
    if kind == "media":  # a JPEG header and noise: sniffed, not read (no OCR)
        return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + rng.randbytes(size - 11)
    if kind == "json":
        out = ["["]
        while sum(map(len, out)) < size:
            out.append(rng.choice(docs["json"]) + ",\n")
        return ("".join(out).rstrip(",\n") + "]").encode()
    parts: list[str] = []
    total = 0
    if kind == "csv":
        header, *_ = docs["csv"][0].partition("\n")
        parts.append(header + "\n")
        while total < size:
            rows = rng.choice(docs["csv"]).split("\n", 1)[1]
            parts.append(rows)
            total += len(rows)
    else:
        while total < size:
            doc = rng.choice(docs[kind])
            parts.append(doc + "\n")
            total += len(doc) + 1
    return "".join(parts).encode()


def in_bucket(n: int) -> bool:
    """Whether the estate's `n`th file goes to the bucket (one in four) rather than the local folder."""
    return n % 4 == 3


def build_estate(root: Path, mb: int, s3: object, bucket: str, seed: int = 11) -> list[tuple[str, int]]:
    """Write `mb` MB of files (3/4 local under root/local, 1/4 to the bucket); [(name, bytes)] in order."""
    rng = random.Random(seed)
    docs = pool()
    written: list[tuple[str, int]] = []
    target = mb * MB
    total = 0
    n = 0
    while total < target:
        kind = rng.choices(list(KINDS), weights=[v[1] / v[2] for v in KINDS.values()])[0]
        ext, _, typical = KINDS[kind]
        body = file_body(kind, max(1000, int(rng.uniform(0.5, 1.5) * typical)), docs, rng)
        name = f"dept-{letters(n % 20)}/{kind}-{n:05d}{ext}"
        if in_bucket(n):
            s3.put_object(Bucket=bucket, Key=name, Body=body)  # type: ignore[attr-defined]
        else:
            path = root / "local" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
        written.append((name, len(body)))
        total += len(body)
        n += 1
    return written


def config(folder: Path, scan: str, sources: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "privmap.yaml"
    path.write_text(f"version: 1\norganization: {{name: Bench, country: IE}}\nscan: {scan}\nsources:\n{sources}")
    return path


def share_key(source: Path, folder: Path) -> None:
    """The same install key in `folder`'s state, so value keys of two runs compare."""
    (folder / ".privmap").mkdir(mode=0o700, exist_ok=True)
    shutil.copy2(source / ".privmap" / "secret.key", folder / ".privmap" / "secret.key")


def scan(config_path: Path, out: Path) -> dict[str, float]:
    """One scan in a fresh process: its wall time, CPU and peak RSS, and its workers' CPU."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.scale", "--one", str(config_path), str(out)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    if done.returncode != 0:
        raise RuntimeError(f"scan of {config_path} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def one(config_path: str, out: str) -> None:
    """--one: scan in this process and print what it cost."""
    from privmap import pipeline
    from privmap.config import load_config

    config = load_config(Path(config_path))
    start = time.perf_counter()
    result = pipeline.run(config, Path(out))
    seconds = time.perf_counter() - start
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    counts = result.report.run
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": me.ru_utime + me.ru_stime,
                "rss_mb": me.ru_maxrss / 1024,
                "workers_cpu": kids.ru_utime + kids.ru_stime,
                "scanned": counts["items_scanned"] + counts["items_failed"] + counts["items_skipped"],
                "unchanged": counts["items_unchanged"],
                "failed": counts["items_failed"],
                "findings": len(result.report.findings),
            }
        )
    )


def touch(path: Path) -> None:
    """A newer modification time, the content unchanged: the next scan reads the file again."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


def findings(out: Path) -> list[tuple]:
    return sorted(tuple(f[k] for k in STABLE) for f in json.loads((out / "findings.json").read_text()))


def machine() -> str:
    load = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min)"


def throughput(tmp: Path, args: argparse.Namespace, url: str) -> dict[str, dict[str, float]]:
    s3 = boto3.client("s3", endpoint_url=url, region_name="eu-west-1")
    s3.create_bucket(Bucket="estate-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    started = time.perf_counter()
    written = build_estate(tmp, args.mb, s3, "estate-eu")
    size = sum(n for _, n in written)
    print(f"estate: {len(written)} files, {size / MB:.0f} MB ({time.perf_counter() - started:.0f} s to generate)")
    estate = sources(tmp / "local", url, "estate-eu")
    w = args.workers
    runs = {
        "single process": "{workers: 1}",
        f"local executor, {w} workers": f"{{workers: {w}}}",
        f"dask LocalCluster, {w} workers": f"{{executor: dask, workers: {w}}}",
    }
    results: dict[str, dict[str, float]] = {}
    found: dict[str, list[tuple]] = {}
    first: Path | None = None
    for name, scan_yaml in runs.items():
        folder = tmp / f"run-{name.split()[0]}"
        path = config(folder, scan_yaml, estate)
        if first is not None:
            share_key(first, folder)
        print(f"  {name}: {machine()} before", flush=True)
        results[name] = r = scan(path, folder / "out")
        # the same scan again with one item touched reads that item alone: the scanning process's fixed
        # cost (start-up, models, workers or cluster, listing, carry-over, checks, reports), which the
        # projection takes off
        touch(tmp / "local" / next(n for i, (n, _) in enumerate(written) if not in_bucket(i)))
        r["idle_cpu"] = scan(path, folder / "out-again")["cpu"]
        first = first or folder
        found[name] = findings(folder / "out")
        r["mb_s"] = size / MB / r["seconds"]
        r["mb"] = size / MB
        print(
            f"  {name}: {r['seconds']:.1f} s, {r['mb_s']:.2f} MB/s, {r['scanned']:.0f} items, "
            f"{r['findings']:.0f} findings, scanner RSS {r['rss_mb']:.0f} MB, scanner CPU {r['cpu']:.1f} s, "
            f"workers' CPU {r['workers_cpu']:.1f} s",
            flush=True,
        )
    names = list(runs)
    base = results[names[0]]["seconds"]
    for name in names[1:]:
        same = "same findings" if found[name] == found[names[0]] else "FINDINGS DIFFER"
        print(f"  {name}: {base / results[name]['seconds']:.2f}x single process ({same})")
    results["_size"] = {"mb": size / MB, "files": len(written)}
    return results


def memory(tmp: Path, args: argparse.Namespace, url: str, whole: dict[str, float]) -> None:
    """Peak RSS of the scanning process (local executor) on a --small-mb estate of the same mixture,
    against its peak on the whole estate (measured in step 1)."""
    s3 = boto3.client("s3", endpoint_url=url, region_name="eu-west-1")
    s3.create_bucket(Bucket="small-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    small = tmp / "small"
    written = build_estate(small, args.small_mb, s3, "small-eu")
    path = config(tmp / "run-small", f"{{workers: {args.workers}}}", sources(small / "local", url, "small-eu"))
    r = scan(path, tmp / "run-small" / "out")
    print(
        f"  local executor on {sum(n for _, n in written) / MB:.0f} MB ({r['scanned']:.0f} items): "
        f"scanner peak RSS {r['rss_mb']:.0f} MB; on {whole['mb']:.0f} MB ({whole['scanned']:.0f} items): "
        f"{whole['rss_mb']:.0f} MB"
    )
    print(f"  growth: {100 * (whole['rss_mb'] / r['rss_mb'] - 1):+.1f}% (target within 10%)")


def sources(folder: Path, url: str, bucket: str) -> str:
    return textwrap.dedent(
        f"""\
          - {{name: share, type: local, region: eu-west-1, role: controller, options: {{path: {folder}}}}}
          - {{name: bucket, type: s3, role: controller, options: {{endpoint_url: "{url}", buckets: [{bucket}]}}}}
        """
    )


def rescan(tmp: Path, args: argparse.Namespace) -> tuple[dict[str, float], dict[str, float]]:
    """--rescan-items small files: a first scan, then a scan in which nothing changed."""
    folder = tmp / "many"
    rng = random.Random(3)
    docs = pool()
    started = time.perf_counter()
    written = 0
    for i in range(args.rescan_items):
        sub = folder / f"team-{letters(i // 1000)}"
        if i % 1000 == 0:
            sub.mkdir(parents=True)
        kind = ("mail", "json", "plain")[i % 3]
        text = "nothing to see here\n" if kind == "plain" else rng.choice(docs[kind])[:400]
        # names without runs of digits: a name with six or more digits is read for identifiers on every
        # listing (privmap.names), a cost of its own that this step does not measure
        written += (sub / f"note-{letters(i)}.txt").write_bytes(text.encode())
    print(f"  {args.rescan_items} files written in {time.perf_counter() - started:.0f} s")
    src = f"  - {{name: many, type: local, region: eu-west-1, role: controller, options: {{path: {folder}}}}}\n"
    path = config(tmp / "rescan", f"{{workers: {args.workers}}}", src)
    first = scan(path, tmp / "rescan" / "out1")
    first["mb"] = written / MB
    again = scan(path, tmp / "rescan" / "out2")
    print(
        f"  first scan: {first['seconds']:.1f} s ({first['scanned']:.0f} items read; scanner CPU {first['cpu']:.1f} s, "
        f"workers' CPU {first['workers_cpu']:.1f} s)"
    )
    print(
        f"  no-change rescan: {again['seconds']:.1f} s ({again['unchanged']:.0f} unchanged, "
        f"{again['scanned']:.0f} read; scanner CPU {again['cpu']:.1f} s) = "
        f"{100 * again['seconds'] / first['seconds']:.1f}% of the first scan's time, "
        f"{100 * again['cpu'] / (first['cpu'] + first['workers_cpu']):.1f}% of its CPU (target at most 5%)"
    )
    return first, again


def letters(n: int) -> str:
    """`n` written in letters (a, b, ... ba, bb ...)."""
    out = ""
    while True:
        n, r = divmod(n, 26)
        out = chr(97 + r) + out
        if not n:
            return out


def projection(results: dict[str, dict[str, float]], first: dict[str, float], again: dict[str, float]) -> None:
    """Throughput against workers, from the workers' CPU per MB and the scanning process's CPU per item.

    The scanning process's marginal CPU per item read (receiving the outcome, the store transaction,
    progress) is its CPU on the throughput estate less its CPU on a rescan of the same estate with the
    same executor that reads one item, per item; for tiny items, the first scan less the no-change rescan
    of the many small files of step 3."""
    local = next(v for k, v in results.items() if k.startswith("local"))
    mb_per_item = local["mb"] / local["scanned"]
    worker_s_per_mb = local["workers_cpu"] / local["mb"]  # CPU seconds a worker spends per MB of this mixture
    print(f"  one worker: {1 / worker_s_per_mb:.2f} MB/s of this mixture ({mb_per_item * 1000:.0f} KB per item)")
    for name, r in results.items():
        if name.startswith(("local", "dask")):
            limit(name, max(r["cpu"] - r["idle_cpu"], 0.0) / r["scanned"], mb_per_item, worker_s_per_mb)
    tiny_mb = first["mb"] / first["scanned"]
    limit(
        "local executor, tiny items",
        max(first["cpu"] - again["cpu"], 0.0) / first["scanned"],
        tiny_mb,
        first["workers_cpu"] / first["mb"],
    )


def limit(name: str, per_item: float, mb_per_item: float, worker_s_per_mb: float) -> None:
    """Print how far throughput grows with workers when the scanning process costs `per_item` CPU
    seconds per item read and a worker `worker_s_per_mb` per MB."""
    items_s = 1 / per_item if per_item > 0 else float("inf")
    stop = items_s * mb_per_item * worker_s_per_mb  # workers the scanning process can keep busy
    print(
        f"  {name}: scanner {1000 * per_item:.2f} ms CPU per item -> at most {items_s:.0f} items/s "
        f"({items_s * mb_per_item:.1f} MB/s at {mb_per_item * 1000:.1f} KB per item); "
        f"grows with workers up to ~{stop:.0f} workers"
    )
    line = ", ".join(
        f"{w}: {min(w / worker_s_per_mb, items_s * mb_per_item):.1f}" for w in (1, 2, 4, 8, 16, 32, 64, 128)
    )
    print(f"    projected MB/s by workers (a core each, storage and network not limiting): {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--small-mb", type=int, default=50)
    parser.add_argument("--rescan-items", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--one", nargs=2, metavar=("CONFIG", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(*args.one)
        return
    from tests.integration.moto import moto_server

    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_EC2_METADATA_DISABLED="true")
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="privmap-scale-") as name, moto_server() as url:
        tmp = Path(name)
        print(f"1. throughput on {args.mb} MB (local folder and moto S3)")
        results = throughput(tmp, args, url)
        print(f"2. scanner memory, {args.small_mb} MB vs {args.mb} MB")
        memory(tmp, args, url, next(v for k, v in results.items() if k.startswith("local")))
        print(f"3. no-change rescan of {args.rescan_items} local items")
        first, again = rescan(tmp, args)
        print("4. projection")
        projection(results, first, again)
    print(f"machine after: {machine()}")


if __name__ == "__main__":
    main()
