"""`privmap locate` at scale: look-up latency and index size for an index of a million identifiers.

    make bench-locate       # or: python -m bench.locate [--identifiers 1000000] [--lookups 2000]

The store is filled as a scan fills it (`Store.save_outcome`, one transaction per item): tables of
1,000 rows, each row holding a person's e-mail and phone (two identifiers, linked by the row), so
`--identifiers` index entries in all; one person in a hundred is also in a log file (by phone
only), so a look-up by e-mail follows the row to the phone and finds the log too. Then:

- look-up latency, p50 and p99 over `--lookups` random people: `locate.find` (index probe, the
  rows holding the hit, the linked identifiers' probe), which is what a request costs without the
  data map; and the whole answer (`locate.answer`: also the data map and coverage) on 50 of them,
  after a first answer that loads the legal tables (timed apart);
- the baseline measured in the same run: the same probe with the index not used (`NOT INDEXED`:
  what answering costs without the occurrence index, reading every entry), on a few people;
- the index's size per million identifiers (SQLite's dbstat: table and its two indexes).

Nothing is rescanned: every look-up reads only the store.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import textwrap
import time
from pathlib import Path

from privmap import identifiers, locate
from privmap.config import load_config
from privmap.model import Finding, Item, ItemOutcome, Location
from privmap.store import Store

SECRET = bytes(range(32))
ROWS = 1000  # rows per table
CONFIG = """\
version: 1
organization: {name: Bench Ltd, country: IE}
sources:
  - {name: crm, type: sqlite, region: eu-west-1, role: controller, options: {path: crm.db}}
  - {name: logs, type: local, region: eu-west-1, role: controller, options: {path: logs}}
"""


def email(n: int) -> str:
    return f"person{n}@example-{n % 97}.ie"


def phone(n: int) -> str:
    return f"+353 87 {n // 10000 % 1000:03d} {n % 10000:04d}"


def key(kind: str, value: str) -> bytes:
    spelled = identifiers.normalise(kind, value, ("IE",))
    assert spelled is not None
    return identifiers.keyed(SECRET, kind, spelled)


def fill(store: Store, people: int) -> int:
    """One run holding `people` rows of (e-mail, phone) in tables of ROWS rows, and every hundredth
    person's phone in a log; returns the run id."""
    run = store.begin_run("bench", "bench").id
    for table in range(0, people, ROWS):
        item = Item(Location("crm", f"sqlite:///crm.db#main.customers_{table // ROWS:05d}"), "sqlite:///crm.db", "f")
        emails = tuple((key("email", email(n)), n - table) for n in range(table, min(table + ROWS, people)))
        phones = tuple((key("phone", phone(n)), n - table) for n in range(table, min(table + ROWS, people)))
        found = [
            Finding("EMAIL_ADDRESS", "user.contact.email", item.location.refine(field="email"), 1.0, len(emails),
                    "p***@e***.ie", "k", occurrences=emails),
            Finding("PHONE_NUMBER", "user.contact.telephone_number", item.location.refine(field="phone"), 1.0,
                    len(phones), "+***", "k", occurrences=phones),
        ]  # fmt: skip
        store.carry_over(run, [item])
        store.save_outcome(ItemOutcome(item, found), run, "eu-west-1")
    logged = [n for n in range(0, people, 100)]
    for start in range(0, len(logged), ROWS):
        log = Item(Location("logs", f"file:///srv/logs/calls-{start:07d}.log"), "file:///srv/logs", "f", 1)
        occurrences = tuple((key("phone", phone(n)), -1) for n in logged[start : start + ROWS])
        found = [Finding("PHONE_NUMBER", "user.contact.telephone_number", log.location, 1.0, len(occurrences), "+***",
                         "k", occurrences=occurrences)]  # fmt: skip
        store.carry_over(run, [log])
        store.save_outcome(ItemOutcome(log, found, bytes_read=1), run, "eu-west-1")
    store.finish_run(run, "finished", {})
    return run


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[98]


def index_bytes(store: Store) -> int | None:
    """Bytes of the occurrences table and its indexes (dbstat), None where SQLite lacks dbstat."""
    try:
        row = store.db.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name IN ('occurrences', 'occurrences_by_key', 'occurrences_by_row')"
        ).fetchone()
    except Exception:
        return None
    return int(row[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--identifiers", type=int, default=1_000_000, help="index entries (two per person)")
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--baseline-lookups", type=int, default=5)
    args = parser.parse_args()
    people = args.identifiers // 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "privmap.yaml").write_text(textwrap.dedent(CONFIG), encoding="utf-8")
        config = load_config(folder / "privmap.yaml")
        store = Store(config.resolve(config.store.path))
        start = time.perf_counter()
        run = fill(store, people)
        built = time.perf_counter() - start
        entries = store.index_size()
        size = index_bytes(store)
        rng = random.Random(7)
        asked = [rng.randrange(people) for _ in range(args.lookups)]
        find_times = []
        for n in asked:
            request = [locate.wanted(SECRET, "email", email(n), "IE")]
            t = time.perf_counter()
            matches = locate.find(store, run, request)
            find_times.append(time.perf_counter() - t)
            expected = 2 + (n % 100 == 0)  # e-mail, phone in the same row, and the log for every hundredth
            assert len(matches) == expected, (n, [(m.uri, m.field, m.via) for m in matches])
        answer_times = []
        start = time.perf_counter()
        locate.answer(config, store, run, [locate.wanted(SECRET, "email", email(0), "IE")])
        cold = time.perf_counter() - start  # the first answer loads the legal tables and builds caches
        for n in asked[:50]:
            request = [locate.wanted(SECRET, "email", email(n), "IE"), locate.wanted(SECRET, "phone", phone(n), "IE")]
            t = time.perf_counter()
            locate.answer(config, store, run, request)
            answer_times.append(time.perf_counter() - t)
        baseline = []
        for n in asked[: args.baseline_lookups]:
            probe = key("email", email(n))
            t = time.perf_counter()
            rows = store.db.execute(
                "SELECT version_id, part, field, row_key FROM occurrences NOT INDEXED WHERE key = ?", (probe,)
            ).fetchall()
            baseline.append(time.perf_counter() - t)
            assert len(rows) == 1
        store.close()
        file_bytes = sum(p.stat().st_size for p in config.state_dir.iterdir() if p.name.startswith("state.db"))
    p50, p99 = percentiles(find_times)
    a50, a99 = percentiles(answer_times)
    b50 = statistics.median(baseline)
    print(f"index: {entries:,} entries ({people:,} people x e-mail and phone, plus logs), built in {built:.1f} s")
    if size is not None:
        print(f"index size: {size / 1e6:.1f} MB ({size / entries * 1e6 / 1e6:.1f} MB per million identifiers)")
    print(f"store file: {file_bytes / 1e6:.1f} MB in all")
    print(f"locate.find  ({len(find_times)} look-ups): p50 {p50 * 1e3:.2f} ms, p99 {p99 * 1e3:.2f} ms")
    print(f"locate.answer ({len(answer_times)} look-ups, with data map and coverage): p50 {a50 * 1e3:.1f} ms, "
          f"p99 {a99 * 1e3:.1f} ms; the first one in a process {cold * 1e3:.0f} ms")  # fmt: skip
    print(f"baseline, the same probe without the index ({len(baseline)} look-ups): median {b50 * 1e3:.0f} ms "
          f"({b50 / p50:,.0f}x the indexed p50)")  # fmt: skip


if __name__ == "__main__":
    main()
