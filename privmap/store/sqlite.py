"""The embedded store: runs, items with fingerprints, findings with first/last seen, problems,
posture facts and check results. One transaction per item, so a killed run loses nothing and
resumes where it stopped; findings are never counted twice."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from privmap.files import FILE_MODE, OutputError, private_dir
from privmap.model import Item, ItemOutcome, Problem, StoreFact

SCHEMA_VERSION = 2
# statements that bring a store of version N-1 to version N
_MIGRATIONS = {
    2: [
        "ALTER TABLE findings ADD COLUMN why TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE findings ADD COLUMN test_data INTEGER NOT NULL DEFAULT 0",
    ],
}
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, started TEXT NOT NULL, finished TEXT, status TEXT NOT NULL,
    config_hash TEXT NOT NULL, summary TEXT);
CREATE TABLE IF NOT EXISTS items (
    source TEXT NOT NULL, uri TEXT NOT NULL, store TEXT NOT NULL, fingerprint TEXT NOT NULL,
    region TEXT, size INTEGER, metadata TEXT NOT NULL DEFAULT '{}', last_run INTEGER NOT NULL,
    status TEXT NOT NULL, skipped TEXT, bytes_read INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source, uri));
CREATE TABLE IF NOT EXISTS findings (
    source TEXT NOT NULL, uri TEXT NOT NULL, part TEXT NOT NULL, field TEXT NOT NULL,
    entity TEXT NOT NULL, category TEXT NOT NULL, store TEXT NOT NULL, region TEXT,
    count INTEGER NOT NULL, distinct_values INTEGER NOT NULL, score REAL NOT NULL,
    preview TEXT NOT NULL, value_key TEXT NOT NULL,
    first_seen_run INTEGER NOT NULL, last_seen_run INTEGER NOT NULL,
    why TEXT NOT NULL DEFAULT '', test_data INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source, uri, part, field, entity));
CREATE INDEX IF NOT EXISTS findings_by_run ON findings (last_seen_run);
CREATE TABLE IF NOT EXISTS problems (
    run_id INTEGER NOT NULL, source TEXT NOT NULL, uri TEXT NOT NULL, part TEXT NOT NULL,
    kind TEXT NOT NULL, message TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS facts (
    run_id INTEGER NOT NULL, source TEXT NOT NULL, store TEXT NOT NULL, key TEXT NOT NULL,
    value TEXT NOT NULL, PRIMARY KEY (run_id, source, store, key));
CREATE TABLE IF NOT EXISTS checks (
    run_id INTEGER NOT NULL, result TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Run:
    id: int
    started: str
    finished: str | None
    status: str  # running, finished, failed
    resumed: bool = False


@dataclass(frozen=True)
class ItemState:
    fingerprint: str
    last_run: int
    status: str


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Store:
    def __init__(self, path: Path) -> None:
        private_dir(path.parent)
        if path.is_dir():
            raise OutputError(f"{path}: store.path names a folder; give a file name such as state.db")
        with contextlib.suppress(FileExistsError):  # created private: SQLite gives its -wal and -shm the same mode
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE))
        self.path = path
        try:
            self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except sqlite3.Error as exc:  # a full disk, a read-only file, a file that is not a store
            raise OutputError(f"{path}: cannot open the state store: {exc}") from None

    def _migrate(self) -> None:
        """Create the schema, or bring a store written by an older privmap up to date."""
        version = None
        if self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone():
            row = self.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            version = int(row[0]) if row else None
        with self.transaction() as db:
            if version is None:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
            for newer in range(version + 1 if version else SCHEMA_VERSION + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[newer]:
                    db.execute(statement)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- runs -------------------------------------------------------------------------

    def begin_run(self, config_hash: str, fresh: bool = False) -> Run:
        """Resume the last run if it was interrupted with the same config; else start a new one."""
        with self.transaction() as db:
            last = db.execute("SELECT * FROM runs ORDER BY id DESC LIMIT 1").fetchone()
            if last and last["status"] == "running":
                if last["config_hash"] == config_hash and not fresh:
                    return Run(last["id"], last["started"], None, "running", resumed=True)
                db.execute("UPDATE runs SET status = 'abandoned', finished = ? WHERE id = ?", (_now(), last["id"]))
            cur = db.execute(
                "INSERT INTO runs (started, status, config_hash) VALUES (?, 'running', ?)", (_now(), config_hash)
            )
            return Run(int(cur.lastrowid or 0), _now(), None, "running")

    def finish_run(self, run_id: int, status: str, summary: dict[str, Any]) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE runs SET status = ?, finished = ?, summary = ? WHERE id = ?",
                (status, _now(), json.dumps(summary), run_id),
            )

    def run(self, run_id: int | None = None) -> sqlite3.Row | None:
        """A run by id, or the last finished one."""
        if run_id is None:
            return self.db.execute(
                "SELECT * FROM runs WHERE status IN ('finished', 'failed') ORDER BY id DESC LIMIT 1"
            ).fetchone()
        return self.db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()

    def previous_run(self, run_id: int) -> int | None:
        row = self.db.execute(
            "SELECT max(id) FROM runs WHERE id < ? AND status IN ('finished', 'failed')", (run_id,)
        ).fetchone()
        return row[0]

    # -- items ------------------------------------------------------------------------

    def item_state(self, item: Item) -> ItemState | None:
        row = self.db.execute(
            "SELECT fingerprint, last_run, status FROM items WHERE source = ? AND uri = ?",
            (item.location.source, item.location.uri),
        ).fetchone()
        return ItemState(row[0], row[1], row[2]) if row else None

    def mark_unchanged(self, item: Item, run_id: int, prev: ItemState) -> None:
        """The item has not changed since `prev`: carry its findings into this run."""
        loc = item.location
        with self.transaction() as db:
            db.execute(
                "UPDATE findings SET last_seen_run = ? WHERE source = ? AND uri = ? AND last_seen_run = ?",
                (run_id, loc.source, loc.uri, prev.last_run),
            )
            db.execute(
                "UPDATE items SET last_run = ?, status = 'unchanged', bytes_read = 0 WHERE source = ? AND uri = ?",
                (run_id, loc.source, loc.uri),
            )

    def save_outcome(self, outcome: ItemOutcome, run_id: int, region: str | None, prev: ItemState | None) -> None:
        """Persist one item's findings, problems and fingerprint atomically."""
        item = outcome.item
        loc = item.location
        # an item whose scan failed keeps no fingerprint, so the next run tries it again
        status = "error" if outcome.problems and not outcome.findings else "skipped" if outcome.skipped else "scanned"
        prev_run = prev.last_run if prev else -1
        with self.transaction() as db:
            db.executemany(
                """INSERT INTO findings VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
                   ON CONFLICT (source, uri, part, field, entity) DO UPDATE SET
                     category = excluded.category, store = excluded.store, region = excluded.region,
                     count = excluded.count, distinct_values = excluded.distinct_values,
                     score = excluded.score, preview = excluded.preview, value_key = excluded.value_key,
                     why = excluded.why, test_data = excluded.test_data,
                     first_seen_run = CASE WHEN findings.last_seen_run >= ? THEN findings.first_seen_run
                                           ELSE excluded.first_seen_run END,
                     last_seen_run = excluded.last_seen_run""",
                [
                    (
                        f.location.source,
                        f.location.uri,
                        f.location.part,
                        f.location.field,
                        f.entity,
                        f.category,
                        item.store,
                        region,
                        f.count,
                        f.distinct,
                        f.score,
                        f.preview,
                        f.value_key,
                        run_id,
                        run_id,
                        f.why,
                        int(f.test_data),
                        prev_run,
                    )
                    for f in outcome.findings
                ],
            )
            db.executemany(
                "INSERT INTO problems VALUES (?,?,?,?,?,?)",
                [
                    (run_id, p.location.source, p.location.uri, p.location.part, p.kind, p.message)
                    for p in outcome.problems
                ],
            )
            db.execute(
                """INSERT INTO items VALUES (?,?,?,?,?,?,?,?,?,?,?)
                   ON CONFLICT (source, uri) DO UPDATE SET store = excluded.store,
                     fingerprint = excluded.fingerprint, region = excluded.region, size = excluded.size,
                     metadata = excluded.metadata, last_run = excluded.last_run, status = excluded.status,
                     skipped = excluded.skipped, bytes_read = excluded.bytes_read""",
                (
                    loc.source,
                    loc.uri,
                    item.store,
                    "" if status == "error" else item.fingerprint,
                    region,
                    item.size,
                    json.dumps(item.metadata),
                    run_id,
                    status,
                    outcome.skipped,
                    outcome.bytes_read,
                ),
            )

    def record_problem(self, run_id: int, problem: Problem) -> None:
        """A problem not tied to one item (a source that cannot be listed)."""
        loc = problem.location
        with self.transaction() as db:
            db.execute(
                "INSERT INTO problems VALUES (?,?,?,?,?,?)",
                (run_id, loc.source, loc.uri, loc.part, problem.kind, problem.message),
            )

    def item_counts(self, run_id: int) -> dict[str, int]:
        rows = self.db.execute(
            "SELECT status, count(*), coalesce(sum(bytes_read), 0) FROM items WHERE last_run = ? GROUP BY status",
            (run_id,),
        ).fetchall()
        counts = {r[0]: r[1] for r in rows}
        return {
            "items_listed": sum(counts.values()),
            "items_scanned": counts.get("scanned", 0) + counts.get("error", 0),
            "items_unchanged": counts.get("unchanged", 0),
            "items_skipped": counts.get("skipped", 0),
            "bytes_read": sum(r[2] for r in rows),
        }

    def coverage(self, run_id: int, sources: list[str]) -> dict[str, dict[str, Any]]:
        """Per source (those given, and any other seen in the run): items by outcome, bytes read of
        bytes listed, items read only in part, and problems by kind."""
        keys = ("listed", "scanned", "unchanged", "skipped", "failed", "partial", "bytes_read", "bytes_listed")
        out: dict[str, dict[str, Any]] = {}

        def entry(source: str) -> dict[str, Any]:
            return out.setdefault(source, {**dict.fromkeys(keys, 0), "problems": {}})

        for source in sources:
            entry(source)
        for r in self.db.execute(
            """SELECT source, count(*), sum(status = 'scanned'), sum(status = 'unchanged'),
                      sum(status = 'skipped'), sum(status = 'error'),
                      coalesce(sum(status = 'scanned' AND size > bytes_read), 0), coalesce(sum(bytes_read), 0),
                      coalesce(sum(size), 0)
               FROM items WHERE last_run = ? GROUP BY source""",
            (run_id,),
        ):
            entry(r[0]).update(zip(keys, r[1:], strict=True))
        for source, kind, n in self.db.execute(
            "SELECT source, kind, count(*) FROM problems WHERE run_id = ? GROUP BY source, kind ORDER BY kind",
            (run_id,),
        ):
            entry(source)["problems"][kind] = n
        return out

    def items(self, run_id: int) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM items WHERE last_run = ? ORDER BY source, uri", (run_id,)).fetchall()

    # -- findings, problems, facts, checks --------------------------------------------

    def findings(self, run_id: int) -> list[sqlite3.Row]:
        """Findings present in `run_id` (seen in it, or carried over from unchanged items)."""
        return self.db.execute(
            "SELECT * FROM findings WHERE first_seen_run <= ? AND last_seen_run >= ? "
            "ORDER BY source, uri, part, field, entity",
            (run_id, run_id),
        ).fetchall()

    def resolved_findings(self, run_id: int, previous: int) -> list[sqlite3.Row]:
        """Findings present in `previous` and gone in `run_id`."""
        return self.db.execute(
            "SELECT * FROM findings WHERE first_seen_run <= ? AND last_seen_run >= ? AND last_seen_run < ? "
            "ORDER BY source, uri, part, field, entity",
            (previous, previous, run_id),
        ).fetchall()

    def problems(self, run_id: int) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM problems WHERE run_id = ? ORDER BY source, uri, part", (run_id,)
        ).fetchall()

    def save_facts(self, run_id: int, facts: list[StoreFact]) -> None:
        with self.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO facts VALUES (?,?,?,?,?)",
                [(run_id, f.source, f.store, f.key, json.dumps(f.value, sort_keys=True)) for f in facts],
            )

    def facts(self, run_id: int) -> list[StoreFact]:
        rows = self.db.execute(
            "SELECT source, store, key, value FROM facts WHERE run_id = ? ORDER BY source, store, key", (run_id,)
        ).fetchall()
        return [StoreFact(r[0], r[1], r[2], json.loads(r[3])) for r in rows]

    def save_checks(self, run_id: int, results: list[dict[str, Any]]) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM checks WHERE run_id = ?", (run_id,))
            db.executemany("INSERT INTO checks VALUES (?, ?)", [(run_id, json.dumps(r)) for r in results])

    def checks(self, run_id: int) -> list[dict[str, Any]]:
        return [json.loads(r[0]) for r in self.db.execute("SELECT result FROM checks WHERE run_id = ?", (run_id,))]
