"""How database scan time grows: with the number of tables (it should) and with rows per table (it should not).

    python bench/databases.py [--engines postgres,mysql,sqlite] [--tables 10,40,160] [--rows 10000,100000,1000000]
    (or: make bench-databases)

For each engine, on throw-away databases of the local servers (PostgreSQL 127.0.0.1:5432,
MariaDB 127.0.0.1:3306; see tests/integration/sql_engines.py) and a SQLite file:

- tables: N tables of 1,000 rows each; the crawl (list, then sample every table) is timed;
- rows: one table of R rows; listing and sampling it is timed, and so is the baseline a naive
  scanner would pay, reading the whole table (`SELECT *`), in the same run.

Times are the crawler's (catalogue queries, sampling, fetching, cell conversion); detection on
the sampled rows is bounded by `scan.rows_per_table` and is not part of this measure. Ratios are
against the smallest size of each series, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from privmap.config import load_config
from privmap.pipeline import build_source
from tests.integration.sql_engines import Database

ROWS_PER_TABLE = 1000  # the sample size (scan.rows_per_table, privmap's default)


def source_for(db: Database, folder: Path) -> Any:
    config = folder / "privmap.yaml"
    options = json.dumps(db.options)
    config.write_text(
        "version: 1\norganization: {name: Bench, country: IE}\n"
        f"scan: {{rows_per_table: {ROWS_PER_TABLE}}}\n"
        f"sources:\n  - {{name: db, type: {db.engine}, region: eu-west-1, options: {options}}}\n"
    )
    return build_source(load_config(config), 0)


def crawl(db: Database, folder: Path) -> tuple[float, int, int]:
    """(seconds, tables, rows fetched) to list and sample every table, best of two runs."""
    best = None
    for _ in range(2):
        source = source_for(db, folder)
        started = time.perf_counter()
        items = list(source.items())
        fetched = sum(len(source.open(item).rows) for item in items)
        elapsed = time.perf_counter() - started
        source.close()
        best = elapsed if best is None else min(best, elapsed)
    assert best is not None
    return best, len(items), fetched


def full_read(db: Database, table: str) -> float:
    started = time.perf_counter()
    if db.engine == "sqlite":
        count = sum(1 for _ in db.conn.execute(f"SELECT * FROM {db.q(table)}"))
    else:
        count = len(db.execute(f"SELECT * FROM {db.q(table)}"))
    assert count > 0
    return time.perf_counter() - started


def bench_tables(engine: str, counts: list[int], folder: Path) -> list[dict[str, Any]]:
    out = []
    for n in counts:
        db = Database(engine, folder).create()
        try:
            for i in range(n):
                db.numbers(f"t{i:04d}", ROWS_PER_TABLE)
            db.grant_read()
            seconds, tables, fetched = crawl(db, folder)
        finally:
            db.drop()
        out.append({"engine": engine, "tables": tables, "rows_per_table": ROWS_PER_TABLE, "seconds": seconds,
                    "rows_fetched": fetched})  # fmt: skip
        print(f"{engine:9} {tables:5} tables x {ROWS_PER_TABLE} rows: {seconds:7.3f} s, {fetched} rows fetched")
    return out


def bench_rows(engine: str, sizes: list[int], folder: Path) -> list[dict[str, Any]]:
    out = []
    for rows in sizes:
        db = Database(engine, folder).create()
        try:
            db.numbers("events", rows)
            db.grant_read()
            seconds, _, fetched = crawl(db, folder)
            naive = full_read(db, "events")
        finally:
            db.drop()
        out.append({"engine": engine, "tables": 1, "rows": rows, "seconds": seconds, "rows_fetched": fetched,
                    "full_read_seconds": naive})  # fmt: skip
        print(f"{engine:9} 1 table x {rows:9} rows: {seconds:7.3f} s ({fetched} fetched); SELECT * {naive:7.3f} s")
    return out


def ratios(rows: list[dict[str, Any]], key: str) -> None:
    by_engine: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_engine.setdefault(r["engine"], []).append(r)
    for engine, series in by_engine.items():
        base = series[0]
        for r in series:
            r["size_ratio"] = r[key] / base[key]
            r["time_ratio"] = r["seconds"] / base["seconds"]
        text = ", ".join(f"x{r['size_ratio']:g} {key} -> x{r['time_ratio']:.2f} time" for r in series[1:])
        print(f"{engine:9} {key}: {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="postgres,mysql,sqlite")
    parser.add_argument("--tables", default="10,40,160")
    parser.add_argument("--rows", default="10000,100000,1000000")
    parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")
    args = parser.parse_args()
    engines = args.engines.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        tables = [r for e in engines for r in bench_tables(e, [int(n) for n in args.tables.split(",")], folder)]
        rows = [r for e in engines for r in bench_rows(e, [int(n) for n in args.rows.split(",")], folder)]
    print()
    ratios(tables, "tables")
    ratios(rows, "rows")
    if args.out:
        args.out.write_text(json.dumps({"tables": tables, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
