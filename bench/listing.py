"""What the object-store listing benches share: the arguments, the config, the timing loop and the report.

Each store's bench (bench/s3_listing.py, bench/gcs_listing.py) brings up its emulator, fills a bucket of
many small objects and one of a single large object, and passes the client library's own way of listing
and of downloading whole as the baselines measured in the same run.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from privmap.config import load_config
from privmap.config.models import Config, parse_size
from privmap.pipeline import build_source
from privmap.scanner.sources.base import Source


def arguments(doc: str, objects: int, large_mb: int) -> argparse.Namespace:
    """The benches' command line: --objects, --large-mb, --budget (scan.max_bytes_per_object), --runs."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--objects", type=int, default=objects)
    parser.add_argument("--large-mb", type=int, default=large_mb)
    parser.add_argument("--budget", default="10MB", help="scan.max_bytes_per_object")
    parser.add_argument("--runs", type=int, default=5)
    return parser.parse_args()


def config(folder: Path, budget: str, many: dict[str, Any], large: dict[str, Any]) -> Config:
    """A config with source 0 (`many`: type and options) over the many objects, source 1 over the large one."""
    path = folder / "privmap.yaml"
    sources = [{"name": name, **source} for name, source in (("many", many), ("large", large))]
    document = {
        "version": 1,
        "organization": {"name": "Bench", "country": "IE"},
        "scan": {"max_bytes_per_object": budget},
        "sources": sources,
    }
    path.write_text(yaml.safe_dump(document))
    return load_config(path)


def best_of(runs: int, *fns: Callable[[], int]) -> list[tuple[float, int]]:
    """(fastest seconds, result) of each function, calling them in turn so drift in the server hits all alike."""
    best = [(float("inf"), 0) for _ in fns]
    for _ in range(runs):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            result = fn()
            best[i] = min(best[i], (time.perf_counter() - start, result))
    return best


def compare_listing(config: Config, baseline_name: str, baseline: Callable[[], int], objects: int, runs: int) -> None:
    """Print objects/s of `baseline` (returns the number listed) and of privmap's listing of source 0, built
    fresh each time (client, bucket and region discovery) and reused; all must list `objects`."""

    def fresh() -> int:
        return sum(1 for _ in build_source(config, 0).items())

    warm = build_source(config, 0)
    timed = best_of(runs, baseline, fresh, lambda: sum(1 for _ in warm.items()))
    assert [n for _, n in timed] == [objects] * 3, timed
    (base_s, _), *privmap = timed
    print(f"listing {objects} objects (best of {runs}):")
    print(f"  baseline {baseline_name:<24}{objects / base_s:8,.0f} objects/s")
    for label, (seconds, n) in zip(("fresh source ", "source reused"), privmap, strict=True):
        print(f"  privmap items(), {label}   {n / seconds:8,.0f} objects/s   {base_s / seconds:.2f}x baseline speed")


def compare_sample(
    source: Source, whole: Callable[[], int], budget: str, fetched: Callable[[], int] | None = None
) -> None:
    """Print bytes and seconds of privmap's ranged read of source 1's one object against `whole` (a download
    of it whole, returning its size); `fetched` counts the bytes the server sent, when the client can tell."""
    [item] = source.items()
    [(sample_s, sample_n), (whole_s, whole_n)] = best_of(1, lambda: len(source.open(item).data), whole)
    sent = fetched() if fetched else sample_n
    print(f"large object of {whole_n:,} bytes, budget {parse_size(budget):,} bytes:")
    print(f"  baseline whole download    {whole_n:12,} bytes in {whole_s:.2f} s")
    print(
        f"  privmap ranged sample      {sent:12,} bytes in {sample_s:.2f} s   "
        f"{sent / whole_n:.4f}x the bytes, {sample_s / whole_s:.2f}x the time (loopback: no network to save)"
    )
