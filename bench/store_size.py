"""The run-history store: its size per 10,000 items and per run, and the cost of a no-change rescan.

    make bench-store        # or: python -m bench.store_size [--items 10000] [--runs 3] [--rescan 100000]

Run 1 reads `--items` items (two findings each, as a typical text file or table has), each in its
own transaction as the scanner does; later runs change nothing, so each adds only its snapshot.
The no-change rescan of `--rescan` items is timed as the pipeline does it (`Store.carry_over`, one
lookup and one transaction per batch of `BATCH` items) against a baseline measured in the same
run: the same carry-over one item at a time (a lookup and a transaction per item, as privmap did
before snapshots), on a tenth of the items and scaled.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from privmap.model import Finding, Item, ItemOutcome, Location
from privmap.store import BATCH, Store


def items(n: int) -> list[Item]:
    return [
        Item(
            Location("files", f"file:///srv/share/dept-{i % 50:02d}/doc-{i:07d}.txt"),
            "file:///srv/share",
            f"s:{i}",
            4096,
        )
        for i in range(n)
    ]


def findings(item: Item) -> list[Finding]:
    return [
        Finding("EMAIL_ADDRESS", "user.contact.email", item.location, 1.0, 3, "a***@b***.ie", "k" * 64, 2, "pattern"),
        Finding("PERSON", "user.name", item.location, 0.85, 1, "A*** B***", "v" * 64, 1, "NER"),
    ]


def first_run(store: Store, listed: list[Item]) -> int:
    run = store.begin_run("h", "c").id
    for item in store.carry_over(run, listed):
        store.save_outcome(ItemOutcome(item, findings(item), bytes_read=4096), run, "eu-west-1")
    store.finish_run(run, "finished", {})
    return run


def rescan(store: Store, listed: list[Item], batch: int) -> float:
    """Seconds for a run in which nothing changed, carrying `listed` over `batch` items at a time."""
    run = store.begin_run("h", "c").id
    start = time.perf_counter()
    for n in range(0, len(listed), batch):
        assert store.carry_over(run, listed[n : n + batch]) == []
    elapsed = time.perf_counter() - start
    store.finish_run(run, "finished", {})
    return elapsed


def size(path: Path, store: Store) -> int:
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3, help="no-change runs after the first")
    parser.add_argument("--rescan", type=int, default=100_000, help="items in the timed no-change rescan")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "state.db"
        store = Store(path)
        listed = items(args.items)
        first_run(store, listed)
        after_first = size(path, store)
        sizes = [after_first]
        for _ in range(args.runs):
            rescan(store, listed, BATCH)
            sizes.append(size(path, store))
        store.close()
        per_run = (sizes[-1] - sizes[0]) / max(args.runs, 1)
        print(f"store after one run of {args.items:,} items (2 findings each): {after_first / 1e6:.2f} MB")
        print(f"  per 10,000 items read: {after_first * 10_000 / args.items / 1e6:.2f} MB")
        print(
            f"  per no-change run: {per_run / 1e3:.0f} kB"
            f" ({per_run * 10_000 / args.items / 1e3:.0f} kB per 10,000 items)"
        )

        path = Path(tmp) / "rescan.db"
        store = Store(path)
        listed = items(args.rescan)
        first_run(store, listed)
        batched = rescan(store, listed, BATCH)
        sample = listed[: max(args.rescan // 10, 1)]
        one_by_one = rescan(store, sample, 1) * len(listed) / len(sample)
        store.close()
        print(f"no-change rescan of {args.rescan:,} items: {batched:.2f} s in batches of {BATCH}")
        print(f"  baseline, one lookup and transaction per item (scaled from {len(sample):,}): {one_by_one:.2f} s")
        print(f"  ratio: {one_by_one / batched:.1f}x faster")


if __name__ == "__main__":
    main()
