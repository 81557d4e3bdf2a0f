"""Extraction throughput per format, and peak memory on hostile input and on a big zip of CSVs.

    .venv/bin/python -m bench.extract [--files 20] [--big-mb 1024] [--keep DIR]

Files are generated in a temporary folder with the libraries that write each format
(tests/formats.py). Each is read the way a scan reads it (a local source's head + random-access
reader, the extractor chosen by sniffing), without detection, so the numbers are the extractors'
own. The baseline, measured in the same run, is reading the same bytes from disk whole: the ratio
says what parsing costs on top of I/O. Peak RSS is measured in a fresh child process per corpus,
against the same child importing everything and reading nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from privmap.config.models import ScanConfig
from privmap.model import Blob, Location
from privmap.scanner.extractors import Context, Unsupported, extract, time_limit
from privmap.scanner.sources.base import HEAD_BYTES
from privmap.scanner.sources.local import FileReader
from tests import formats


def varied_csv(rows: int, seed: int = 0) -> bytes:
    """Customer rows that compress like real exports (a few x), unlike repeated test rows (100x+)."""
    rng = random.Random(seed)
    lines = ["name,email,iban,reference"]
    for i in range(rows):
        lines.append(f"{formats.NAME},customer{i}@mailbox.de,{formats.IBAN},{rng.randbytes(12).hex()}")
    return ("\n".join(lines) + "\n").encode()


LOREM = "The quarterly figures were reviewed and nothing personal is written on this line. " * 8


def corpus() -> dict[str, Callable[[int], bytes]]:
    """format -> builder of its i-th file (a few hundred KB each, personal data inside)."""
    rows = 5000
    return {
        "csv": lambda i: varied_csv(rows, i),
        "utf-16 text": lambda i: (LOREM + "\n").encode("utf-16") * 200,
        "html": lambda i: formats.html_file() * 500,
        "eml": lambda i: formats.eml_file(),
        "msg": lambda i: formats.msg_file(),
        "pdf": lambda i: formats.pdf([f"{LOREM} page {p} {formats.EMAIL}" for p in range(40)]),
        "docx": lambda i: formats.docx_file(),
        "xlsx": lambda i: formats.xlsx_file(),
        "ods": lambda i: formats.ods_file(),
        "pptx": lambda i: formats.pptx_file(),
        "zip of csv": lambda i: formats.zipped({f"{m}.csv": varied_csv(rows, m) for m in range(4)}),
        "tar.gz of csv": lambda i: formats.tar_gz({f"{m}.csv": varied_csv(rows, m) for m in range(4)}),
        "7z of csv": lambda i: formats.seven_zip({f"{m}.csv": varied_csv(rows, m) for m in range(4)}),
        "parquet": lambda i: formats.parquet_file(),
        "jpeg": lambda i: formats.jpeg_with_gps(),
        "heic": lambda i: formats.heic_with_gps(),
        "mp4": lambda i: formats.mp4_with_location(),
    }


def hostile() -> dict[str, bytes]:
    return {
        "bomb.zip": formats.zip_bomb(),
        "deep.zip": formats.nested_zip(30, formats.customers_csv()),
        "traversal.zip": formats.zipped({"../../etc/passwd": b"root:x:0:0::/root:/bin/sh\n"}),
        "truncated.pdf": formats.pdf(["a", "b"])[:300],
        "empty.txt": b"",
        "binary.txt": bytes(range(256)) * 64,
        "quadratic.csv": formats.quadratic_csv(),
    }


def read_item(path: Path, scan: ScanConfig) -> tuple[int, int]:
    """(chunks, problems) of one file read as a scan reads it (no detection)."""
    reader = FileReader(os.open(path, os.O_RDONLY))
    try:
        head = reader.read(0, min(reader.size, HEAD_BYTES))
        blob = Blob(Location("bench", path.as_uri()), head, reader.size > len(head), size=reader.size, reader=reader)
        ctx = Context.for_item(scan)
        with time_limit(ctx.budget):
            try:
                chunks = sum(1 for _ in extract(blob, ctx))
            except Unsupported:
                return 0, 1
        return chunks, len(ctx.problems)
    finally:
        reader.close()


def throughput(folder: Path, files: int) -> None:
    scan = ScanConfig()
    print(f"{'format':16} {'files':>5} {'MB':>7} {'MB/s':>8} {'files/s':>8} {'x raw read':>10}  problems")
    for name, build in corpus().items():
        paths = []
        for i in range(files):
            path = folder / name.replace(" ", "_") / f"{i}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(build(i))
            paths.append(path)
        size = sum(p.stat().st_size for p in paths)
        start = time.perf_counter()
        for p in paths:
            p.read_bytes().decode("utf-8", errors="ignore")
        raw = time.perf_counter() - start
        start = time.perf_counter()
        problems = sum(read_item(p, scan)[1] for p in paths)
        took = time.perf_counter() - start
        mb = size / 1e6
        print(f"{name:16} {files:5} {mb:7.2f} {mb / took:8.2f} {files / took:8.1f} {took / raw:10.1f}  {problems}")


def big_zip(path: Path, megabytes: int) -> None:
    """A zip of CSV members (10 MB each) holding `megabytes` MB uncompressed."""
    member = varied_csv(10_000_000 // 90)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for i in range(max(1, megabytes * 1_000_000 // len(member))):
            archive.writestr(f"exports/{i:04}.csv", member)


def child(folder: str) -> None:
    """Run in a fresh process: read every file under `folder`; print the peak RSS (KB)."""
    scan = ScanConfig()
    totals = [0, 0]
    start = time.perf_counter()
    for path in sorted(Path(folder).rglob("*")) if folder != "-" else []:
        if path.is_file():
            chunks, problems = read_item(path, scan)
            totals[0] += chunks
            totals[1] += problems
    took = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rss_kb": rss, "chunks": totals[0], "problems": totals[1], "seconds": took}))


def peak(folder: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-m", "bench.extract", "--child", folder], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=20, help="files per format")
    parser.add_argument("--big-mb", type=int, default=1024, help="uncompressed MB of the big zip of CSVs")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        throughput(folder / "formats", args.files)
        (folder / "hostile").mkdir()
        for name, data in hostile().items():
            (folder / "hostile" / name).write_bytes(data)
        (folder / "big").mkdir()
        start = time.perf_counter()
        big_zip(folder / "big" / "exports.zip", args.big_mb)
        made = time.perf_counter() - start
        size = (folder / "big" / "exports.zip").stat().st_size
        base = peak("-")
        print(f"\npeak RSS of a child that reads nothing (baseline): {base['rss_kb'] / 1024:.0f} MB")
        for label, path in (
            ("hostile corpus", folder / "hostile"),
            (f"zip of CSVs ({args.big_mb} MB)", folder / "big"),
        ):
            got = peak(str(path))
            extra = (got["rss_kb"] - base["rss_kb"]) / 1024
            speed = f", {args.big_mb / got['seconds']:.1f} MB/s uncompressed" if path.name == "big" else ""
            print(
                f"peak RSS, {label}: {got['rss_kb'] / 1024:.0f} MB (+{extra:.0f} MB), "
                f"{got['seconds']:.1f} s{speed}, {got['chunks']} chunks, {got['problems']} problems"
            )
        print(f"(the zip is {size / 1e6:.0f} MB on disk, made in {made:.0f} s; budgets: {ScanConfig().archive})")


if __name__ == "__main__":
    main()
