"""The embedded store: a run history in which every run keeps its own snapshot.

Tables (schema version 4)
-------------------------
runs           one row per run: kind (full, incremental, partial), status, the configuration's
               identity (`config_id`: which runs compare with each other) and exact hash
               (`config_hash`: which interrupted run may be resumed), the configuration and legal
               date it was judged with, its summary and its lease.
items          one row per (source, uri) ever listed, pointing at its latest version.
item_versions  what one look at an item decided: `read` (inspected), `skipped` (not inspected, and
               why) or `failed` (could not be read: the problem kind), with its fingerprint, store,
               region, size, metadata and bytes read. Versions never change once written.
findings       the findings of one version. A failed read copies the findings of the item's last
               read with `verified = 0`: a timeout or a lost connection never resolves anything.
run_items      the snapshot: for each run, which items it saw, which version stood for each and in
               what state: `scanned` (read in this run), `unchanged` (same fingerprint as a read
               version: carried over), `skipped` (not inspected; carried skips stay skipped, never
               "unchanged") or `failed` (read failed in this run; the last findings kept, unverified).
occurrences    the occurrence index of one version (schema 4): for each identifier value found
               (privmap.identifiers: e-mail, phone in E.164, IBAN, card, national id, confident
               names), its 16-byte keyed hash (`key`, HMAC-SHA256 with the install key), its `kind`
               (the position in privmap.identifiers.KINDS) and where it
               occurs (`part`, `field`; the item is the version's), and for table rows and records
               `row_key`, a 64-bit hash of (uri, part, row position) shared by every value read from
               one row, so values held together can be linked without keeping the row. Never a raw
               value. `item_versions.indexed` says what the index of a version covers: 1 every byte
               or row of the item, 0 a sample or a part (a sampled table, a large object, a part
               that failed), NULL nothing (not read, or read before schema 4).
problems, facts, checks   per run.

A run's findings are the findings of its snapshot's versions, so `Store.findings(run)` answers
the same after any number of later runs. Unchanged items cost one `run_items` row per run (a few
bytes), nothing else.

Building on it
--------------
Data derived from one read of an item (an occurrence index) belongs to its version: key it by
the version id `save_outcome` returns and add the table to `PER_VERSION`; unchanged items then
carry it for free, and retention deletes it with its version. Data of one run (alerts) is keyed
by run id and listed in `PER_RUN`. A partial run (an upload watch) lists only some items; it
never resolves findings or marks items gone outside what it listed.

Protection of the index
-----------------------
The index is pseudonymised personal data (GDPR Recital 26): whoever holds the install key can
test whether a given person's identifier is held. The store file and its -wal/-shm are created
mode 0600 in a private folder (0700), and the key is `secret.key` beside it (0600, checked on
every read); a copy of the store without the key answers nothing, a copy with it answers
everything, so back them up and restrict them as you would the data itself.

Concurrency
-----------
A run holds a lease (owner, expiry) renewed by a background thread while it runs. Another
process finds the lease and waits up to `wait` seconds, then raises `StoreBusy`; it never
resumes, steals or abandons a run whose owner is alive. A run whose owner died (its lease
expired, or its process is gone on this host) or was interrupted is resumed by the next run of
the same configuration.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from privmap.files import FILE_MODE, OutputError, private_dir
from privmap.model import Item, ItemOutcome, Problem, StoreFact

SCHEMA_VERSION = 4
RunKind = Literal["full", "incremental", "partial"]
RUN_KINDS: tuple[RunKind, ...] = ("full", "incremental", "partial")
ItemState = Literal["scanned", "unchanged", "skipped", "failed"]
FINISHED = ("finished", "failed")  # statuses of runs whose results stand
UNFINISHED = ("running", "interrupted")  # statuses of runs that may be resumed
# tables holding one run's rows (`run_id` column) or one version's rows (`version_id` column):
# retention deletes them with their run or version
PER_RUN = ["run_items", "problems", "facts", "checks", "uploads"]  # uploads: privmap.uploads' verdicts
PER_VERSION = ["findings", "occurrences"]
LEASE_SECONDS = 30.0  # a lease not renewed for this long belongs to a dead process
# SQLite's primary result codes for a store that cannot be written: READONLY, IOERR, FULL, CANTOPEN
_UNWRITABLE = {sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN}
BATCH = 500  # items per carry-over transaction (and per lookup: SQLite binds up to 32,766 values)

# schema 3: a new store is created with it and then takes the steps of _MIGRATIONS above 3
_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY, started TEXT NOT NULL, finished TEXT, status TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'incremental', config_hash TEXT NOT NULL, config_id TEXT NOT NULL DEFAULT '',
    config TEXT, as_of TEXT, summary TEXT, lease_owner TEXT, lease_until REAL NOT NULL DEFAULT 0);
CREATE TABLE items (
    id INTEGER PRIMARY KEY, source TEXT NOT NULL, uri TEXT NOT NULL, version_id INTEGER, UNIQUE (source, uri));
CREATE TABLE item_versions (
    id INTEGER PRIMARY KEY, item_id INTEGER NOT NULL, run_id INTEGER NOT NULL, outcome TEXT NOT NULL,
    reason TEXT, fingerprint TEXT NOT NULL, store TEXT NOT NULL, region TEXT, size INTEGER,
    metadata TEXT NOT NULL DEFAULT '{}', bytes_read INTEGER NOT NULL DEFAULT 0);
CREATE TABLE run_items (
    run_id INTEGER NOT NULL, item_id INTEGER NOT NULL, version_id INTEGER NOT NULL, state TEXT NOT NULL,
    PRIMARY KEY (run_id, item_id)) WITHOUT ROWID;
CREATE TABLE findings (
    version_id INTEGER NOT NULL, part TEXT NOT NULL, field TEXT NOT NULL, entity TEXT NOT NULL,
    category TEXT NOT NULL, count INTEGER NOT NULL, distinct_values INTEGER NOT NULL, score REAL NOT NULL,
    preview TEXT NOT NULL, value_key TEXT NOT NULL, why TEXT NOT NULL DEFAULT '',
    test_data INTEGER NOT NULL DEFAULT 0, first_seen_run INTEGER NOT NULL, verified INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (version_id, part, field, entity)) WITHOUT ROWID;
CREATE TABLE problems (
    run_id INTEGER NOT NULL, source TEXT NOT NULL, uri TEXT NOT NULL, part TEXT NOT NULL,
    kind TEXT NOT NULL, message TEXT NOT NULL);
CREATE INDEX problems_by_run ON problems (run_id);
CREATE TABLE facts (
    run_id INTEGER NOT NULL, source TEXT NOT NULL, store TEXT NOT NULL, key TEXT NOT NULL,
    value TEXT NOT NULL, PRIMARY KEY (run_id, source, store, key));
CREATE TABLE checks (run_id INTEGER NOT NULL, result TEXT NOT NULL);
CREATE INDEX checks_by_run ON checks (run_id);
"""

# Schema 2 (privmap before run snapshots) -> 3: each item's last state becomes a version in the
# snapshot of the run that last saw it, with the findings present in that run. Earlier runs keep
# their rows, summaries and stored checks; the findings they had resolved before the upgrade are
# not part of any snapshot (schema 2 kept no per-run item state to rebuild them from).
_UPGRADE_FROM_2 = """
ALTER TABLE runs RENAME TO runs_v2;
ALTER TABLE items RENAME TO items_v2;
ALTER TABLE findings RENAME TO findings_v2;
DROP INDEX IF EXISTS findings_by_run;
DROP TABLE meta;
{schema_without_problems_facts_checks}
INSERT INTO runs (id, started, finished, status, kind, config_hash, config_id, summary)
    SELECT id, started, finished, CASE status WHEN 'running' THEN 'abandoned' ELSE status END,
           'incremental', config_hash, config_hash, summary FROM runs_v2;
INSERT INTO items (source, uri) SELECT source, uri FROM items_v2 ORDER BY source, uri;
INSERT INTO item_versions (id, item_id, run_id, outcome, reason, fingerprint, store, region, size, metadata,
                           bytes_read)
    SELECT i.id, i.id, o.last_run,
           CASE o.status WHEN 'skipped' THEN 'skipped' WHEN 'error' THEN 'failed' ELSE 'read' END,
           o.skipped, o.fingerprint, o.store, o.region, o.size, o.metadata, o.bytes_read
    FROM items_v2 o JOIN items i USING (source, uri);
UPDATE items SET version_id = id;
INSERT INTO run_items (run_id, item_id, version_id, state)
    SELECT o.last_run, i.id, i.id,
           CASE o.status WHEN 'error' THEN 'failed' ELSE o.status END
    FROM items_v2 o JOIN items i USING (source, uri);
INSERT INTO findings (version_id, part, field, entity, category, count, distinct_values, score, preview,
                      value_key, why, test_data, first_seen_run)
    SELECT i.id, f.part, f.field, f.entity, f.category, f.count, f.distinct_values, f.score, f.preview,
           f.value_key, f.why, f.test_data, f.first_seen_run
    FROM findings_v2 f JOIN items_v2 o USING (source, uri) JOIN items i USING (source, uri)
    WHERE f.first_seen_run <= o.last_run AND f.last_seen_run >= o.last_run;
DROP TABLE runs_v2;
DROP TABLE items_v2;
DROP TABLE findings_v2;
"""


def _schema_statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _upgrade_from_2() -> list[str]:
    kept = ("CREATE TABLE problems", "CREATE TABLE facts", "CREATE TABLE checks")
    schema = [s for s in _schema_statements(_SCHEMA) if not s.startswith(kept)]
    script = _UPGRADE_FROM_2.replace("{schema_without_problems_facts_checks}", ";\n".join(schema) + ";")
    return _schema_statements(script)


# statements that bring a store of version N-1 to version N
_MIGRATIONS: dict[int, list[str]] = {
    2: [
        "ALTER TABLE findings ADD COLUMN why TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE findings ADD COLUMN test_data INTEGER NOT NULL DEFAULT 0",
    ],
    3: _upgrade_from_2(),
    # the occurrence index; versions read before it have `indexed` NULL (privmap locate and DSR-001
    # say so) until their item is read again
    4: [
        "ALTER TABLE item_versions ADD COLUMN indexed INTEGER",
        """CREATE TABLE occurrences (
               version_id INTEGER NOT NULL, key BLOB NOT NULL, kind INTEGER NOT NULL, part TEXT NOT NULL,
               field TEXT NOT NULL, row_key INTEGER)""",
        "CREATE INDEX occurrences_by_key ON occurrences (key)",
        "CREATE INDEX occurrences_by_row ON occurrences (version_id, row_key)",
    ],
}


def row_key(uri: str, part: str, row: int) -> int:
    """The index's key of one row of a table or record file: a signed 64-bit BLAKE2b hash of where
    the row is (never of its content), the same for every value read from that row."""
    digest = hashlib.blake2b(f"{uri}\x00{part}\x00{row}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _occurrences(version: int | None, uri: str, outcome: ItemOutcome) -> list[tuple[Any, ...]]:
    """Occurrence index rows of one read: (version, key, kind, part, field, row key or NULL), each once."""
    from privmap.identifiers import KINDS, kind_of  # phonenumbers and stdnum: loaded only by a store that writes

    rows = {
        (
            key,
            KINDS.index(kind_of(f.entity) or ""),
            f.location.part,
            f.location.field,
            row_key(uri, f.location.part, row) if row >= 0 else None,
        )
        for f in outcome.findings
        if kind_of(f.entity)
        for key, row in f.occurrences
    }
    return [(version, *r) for r in sorted(rows, key=lambda r: (r[0], r[2], r[3], r[4] or 0))]


def _read_whole(outcome: ItemOutcome) -> bool:
    """Whether a read saw all of its item, so that its index is complete: no sampled table, no
    object read only in part, no part that failed (as `Store.coverage` counts `partial`)."""
    size = outcome.item.size
    return not (outcome.sampled or outcome.problems or (size is not None and size > outcome.bytes_read))


class StoreBusy(Exception):
    """Another live process holds a run on this store (its lease has not expired)."""


@dataclass(frozen=True)
class Run:
    """A run as `begin_run` started or resumed it."""

    id: int
    started: str
    kind: RunKind
    config_id: str
    resumed: bool = False


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _owner_alive(owner: str | None, lease_until: float) -> bool:
    """Whether the lease's owner may still be running: the lease is fresh and, on this host,
    its process exists."""
    if not owner or lease_until < time.time():
        return False
    host, _, rest = owner.partition(":")
    if host != socket.gethostname():
        return True
    try:
        os.kill(int(rest.partition(":")[0]), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return True


class Store:
    """One SQLite file holding the run history, private to its owner. Not shared between threads
    except by the lease keeper, which uses its own connection."""

    def __init__(self, path: Path, lease_seconds: float = LEASE_SECONDS) -> None:
        private_dir(path.parent)
        if path.is_dir():
            raise OutputError(f"{path}: store.path names a folder; give a file name such as state.db")
        with contextlib.suppress(FileExistsError):  # created private: SQLite gives its -wal and -shm the same mode
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE))
        self.path = path
        self.lease_seconds = lease_seconds
        self._lease: tuple[int, str] | None = None  # (run id, owner) of the run this process holds
        self._keeper: threading.Thread | None = None
        self._stop = threading.Event()
        try:
            self.db = self._connect()
            self._migrate()
        except sqlite3.Error as exc:  # a full disk, a read-only file, a file that is not a store
            raise OutputError(f"{path}: cannot open the state store: {exc}") from None

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=60)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def _migrate(self) -> None:
        """Create the schema, or bring a store written by an older privmap up to date in place."""
        with self.transaction() as db:
            version = None
            if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone():
                row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
                version = int(row[0]) if row else 1
            if version == SCHEMA_VERSION:
                return
            if version is None:  # a new store: schema 3, then the same steps an old one takes
                for statement in _schema_statements(_SCHEMA):
                    db.execute(statement)
                version = 3
            if version > SCHEMA_VERSION:
                raise RuntimeError(f"{self.path} was written by a newer privmap (store schema {version})")
            for newer in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[newer]:
                    db.execute(statement)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    def ensure_tables(self, schema: str) -> None:
        """Create a module's own tables (`CREATE ... IF NOT EXISTS` statements separated by `;`) on its
        first use of this store: the alert, upload-verdict and watch tables live beside the schema."""
        with self.transaction() as db:
            for statement in _schema_statements(schema):
                db.execute(statement)

    def close(self) -> None:
        self._stop_keeper()
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction. Raises OutputError when the store cannot be written (a full disk, a
        read-only or vanished file): the run stops there, resumable, rather than blame an item."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                with suppress(sqlite3.Error):  # a failed write may have rolled back already
                    self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode & 0xFF not in _UNWRITABLE:
                raise
            raise OutputError(f"{self.path}: the state store could not be written: {exc}") from None

    # -- runs and leases --------------------------------------------------------------

    def begin_run(
        self,
        config_hash: str,
        config_id: str = "",
        kind: RunKind = "incremental",
        *,
        config_json: str | None = None,
        as_of: dt.date | None = None,
        fresh: bool = False,
        wait: float = 0.0,
    ) -> Run:
        """Take the store's lease and resume or start a run.

        The last unfinished run with the same `config_hash` (interrupted, or whose owner died) is
        resumed unless `fresh`; an unfinished run of the same `config_id` but another hash (the
        configuration was edited) or kind is marked abandoned, except that a partial run abandons only
        partial runs (an upload watch's batch leaves an interrupted scan resumable). Runs of other
        configurations are left alone.
        `config_json` and `as_of` are what the run is judged with, kept so that its reports can be
        reproduced. Raises StoreBusy when another live process holds a run for longer than `wait`
        seconds."""
        deadline = time.monotonic() + wait
        owner = _owner()
        while True:
            with self.transaction() as db:
                busy = [
                    r
                    for r in db.execute("SELECT * FROM runs WHERE status = 'running' AND lease_until > 0")
                    if _owner_alive(r["lease_owner"], r["lease_until"])
                ]
                if not busy:
                    run = self._start(db, owner, config_hash, config_id, kind, config_json, as_of, fresh)
                    break
            if time.monotonic() >= deadline:
                r = busy[0]
                host, _, pid = r["lease_owner"].partition(":")
                raise StoreBusy(
                    f"store {self.path} is in use by run {r['id']} (process {pid.partition(':')[0]} on {host}, "
                    f"started {r['started']}); try again when it ends, or set store.wait to wait for it"
                )
            time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))
        self._lease = (run.id, owner)
        self._start_keeper()
        return run

    def _start(
        self,
        db: sqlite3.Connection,
        owner: str,
        config_hash: str,
        config_id: str,
        kind: RunKind,
        config_json: str | None,
        as_of: dt.date | None,
        fresh: bool,
    ) -> Run:
        lease = time.time() + self.lease_seconds
        for r in db.execute(
            "SELECT * FROM runs WHERE status IN ('running', 'interrupted') ORDER BY id DESC"
        ).fetchall():
            if r["config_hash"] == config_hash and not fresh and r["kind"] == kind:
                db.execute(
                    "UPDATE runs SET status = 'running', lease_owner = ?, lease_until = ? WHERE id = ?",
                    (owner, lease, r["id"]),
                )
                return Run(r["id"], r["started"], r["kind"], r["config_id"], resumed=True)
            if r["config_id"] == config_id and (kind != "partial" or r["kind"] == "partial"):
                # a watcher's batch never abandons a scan left resumable; a scan abandons a dead batch
                db.execute(
                    "UPDATE runs SET status = 'abandoned', finished = ?, lease_until = 0 WHERE id = ?",
                    (_now(), r["id"]),
                )
        started = _now()
        cur = db.execute(
            """INSERT INTO runs (started, status, kind, config_hash, config_id, config, as_of, lease_owner, lease_until)
               VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?)""",
            (started, kind, config_hash, config_id, config_json, as_of and as_of.isoformat(), owner, lease),
        )
        return Run(int(cur.lastrowid or 0), started, kind, config_id)

    def _start_keeper(self) -> None:
        """Renew the lease in the background, on a connection of its own, until the run ends."""
        self._stop_keeper()
        self._stop = threading.Event()
        lease, stop, path, seconds = self._lease, self._stop, self.path, self.lease_seconds

        def keep() -> None:
            db = sqlite3.connect(path, isolation_level=None, timeout=60)
            try:
                while not stop.wait(seconds / 3):
                    with suppress(sqlite3.Error):
                        db.execute(
                            "UPDATE runs SET lease_until = ? WHERE id = ? AND lease_owner = ? AND status = 'running'",
                            (time.time() + seconds, *lease),  # type: ignore[misc]
                        )
            finally:
                db.close()

        self._keeper = threading.Thread(target=keep, name="privmap-lease", daemon=True)
        self._keeper.start()

    def _stop_keeper(self) -> None:
        if self._keeper is not None:
            self._stop.set()
            self._keeper.join()
            self._keeper = None

    def finish_run(self, run_id: int, status: str, summary: dict[str, Any]) -> None:
        """End a run as `finished` or `failed` (a source could not be listed) and release its lease."""
        self._stop_keeper()
        with self.transaction() as db:
            db.execute(
                "UPDATE runs SET status = ?, finished = ?, summary = ?, lease_until = 0 WHERE id = ?",
                (status, _now(), json.dumps(summary), run_id),
            )
        self._lease = None

    def interrupt_run(self, run_id: int) -> None:
        """Leave a run resumable (Ctrl-C, SIGTERM) and release its lease at once."""
        self._stop_keeper()
        with self.transaction() as db:
            db.execute("UPDATE runs SET status = 'interrupted', lease_until = 0 WHERE id = ?", (run_id,))
        self._lease = None

    def run(self, run_id: int | None = None) -> sqlite3.Row | None:
        """A run by id, or the last finished one."""
        if run_id is None:
            return self.db.execute(
                "SELECT * FROM runs WHERE status IN ('finished', 'failed') ORDER BY id DESC LIMIT 1"
            ).fetchone()
        return self.db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()

    def last_whole_run(self) -> int | None:
        """The last finished full or incremental run: the latest snapshot of every source (a partial
        run's snapshot holds only the items it listed)."""
        row = self.db.execute(
            "SELECT max(id) FROM runs WHERE status IN ('finished', 'failed') AND kind != 'partial'"
        ).fetchone()
        return row[0]

    def partial_runs_after(self, run_id: int) -> int:
        """How many partial runs (upload watches) finished after `run_id`."""
        return int(
            self.db.execute(
                "SELECT count(*) FROM runs WHERE id > ? AND kind = 'partial' AND status IN ('finished', 'failed')",
                (run_id,),
            ).fetchone()[0]
        )

    def runs(self) -> list[sqlite3.Row]:
        """Every run, newest first."""
        return self.db.execute("SELECT * FROM runs ORDER BY id DESC").fetchall()

    def previous_run(self, run_id: int) -> int | None:
        """The run `run_id` compares with: the last finished full or incremental run of the same
        configuration (`config_id`) before it."""
        row = self.db.execute(
            """SELECT max(p.id) FROM runs p JOIN runs r ON r.id = ?
               WHERE p.id < r.id AND p.config_id = r.config_id AND p.status IN ('finished', 'failed')
                 AND p.kind != 'partial'""",
            (run_id,),
        ).fetchone()
        return row[0]

    def prune(self, keep_runs: int) -> list[int]:
        """Delete finished runs beyond the newest `keep_runs`, with their snapshots and the item
        versions no remaining run or item refers to; the last version of an item no remaining run saw
        loses its occurrence index. Returns the deleted run ids."""
        with self.transaction() as db:
            old = [
                r[0]
                for r in db.execute(
                    "SELECT id FROM runs WHERE status NOT IN ('running', 'interrupted') "
                    "ORDER BY id DESC LIMIT -1 OFFSET ?",
                    (keep_runs,),
                )
            ]
            if not old:
                return []
            marks = ",".join("?" * len(old))
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            for table in (t for t in PER_RUN if t in tables):  # a module's table exists once it was used
                db.execute(f"DELETE FROM {table} WHERE run_id IN ({marks})", old)
            db.execute(f"DELETE FROM runs WHERE id IN ({marks})", old)
            # an item no kept run saw is gone: its last version stays (to recognise it if it comes back
            # unchanged) but loses its occurrence index, pseudonymised data of an item that no longer
            # exists; `indexed` NULL then says so if it does come back (locate, DSR-001)
            if "occurrences" in tables:
                db.execute(
                    """CREATE TEMP TABLE unseen AS SELECT version_id AS id FROM items
                       WHERE version_id IS NOT NULL AND version_id NOT IN (SELECT version_id FROM run_items)"""
                )
                db.execute("DELETE FROM occurrences WHERE version_id IN (SELECT id FROM unseen)")
                db.execute("UPDATE item_versions SET indexed = NULL WHERE id IN (SELECT id FROM unseen)")
                db.execute("DROP TABLE unseen")
            db.execute(
                """CREATE TEMP TABLE unused AS SELECT id FROM item_versions
                   WHERE id NOT IN (SELECT version_id FROM run_items)
                     AND id NOT IN (SELECT version_id FROM items WHERE version_id IS NOT NULL)"""
            )
            for table in (t for t in PER_VERSION if t in tables):
                db.execute(f"DELETE FROM {table} WHERE version_id IN (SELECT id FROM unused)")
            db.execute("DELETE FROM item_versions WHERE id IN (SELECT id FROM unused)")
            db.execute("DROP TABLE unused")
        return old

    # -- items ------------------------------------------------------------------------

    def carry_over(self, run_id: int, items: Sequence[Item], *, reread: bool = False) -> list[Item]:
        """Enter a batch of listed items (one source) into the run; return those that need reading.

        In one transaction and one lookup for the whole batch: items already in this run (it is
        being resumed) are dropped; items whose latest version was read or skipped with the same
        fingerprint join the snapshot as `unchanged` or, still not inspected, `skipped`; the rest
        (new, changed, failed last time, or every item when `reread`) are returned. Callers pass
        at most `BATCH` items per call."""
        if not items:
            return []
        by_uri = {i.location.uri: i for i in items}
        source = items[0].location.source
        todo: list[Item] = []
        carried: list[tuple[int, int, int, str]] = []
        with self.transaction() as db:
            marks = ",".join("?" * len(by_uri))
            rows = db.execute(
                f"""SELECT i.uri, i.id, v.id AS version, v.fingerprint, v.outcome, r.state AS done
                    FROM items i LEFT JOIN item_versions v ON v.id = i.version_id
                    LEFT JOIN run_items r ON r.run_id = ? AND r.item_id = i.id
                    WHERE i.source = ? AND i.uri IN ({marks})""",
                (run_id, source, *by_uri),
            ).fetchall()
            known = {r["uri"]: r for r in rows}
            for uri, item in by_uri.items():
                r = known.get(uri)
                if r is not None and r["done"] is not None:
                    continue  # entered before this run was interrupted
                same = r is not None and r["fingerprint"] == item.fingerprint and r["outcome"] in ("read", "skipped")
                if same and not reread:
                    carried.append(
                        (run_id, r["id"], r["version"], "unchanged" if r["outcome"] == "read" else "skipped")
                    )
                else:
                    todo.append(item)
            db.executemany("INSERT INTO run_items VALUES (?,?,?,?)", carried)
        return todo

    def save_outcome(self, outcome: ItemOutcome, run_id: int, region: str | None) -> int:
        """Persist one item's look (findings, problems, fingerprint) atomically; return its version id.

        An item whose read failed outright (a problem on the item itself, not on one part) is
        `failed`: it is tried again next run, and the findings of its last read are kept in this
        run's snapshot marked not re-verified (findings found anyway, in its metadata, win)."""
        item = outcome.item
        loc = item.location
        whole = [p for p in outcome.problems if not p.location.part and not p.location.field]
        outcome_kind, state, reason = (
            ("failed", "failed", whole[0].kind)
            if whole
            else ("skipped", "skipped", outcome.skipped)
            if outcome.skipped
            else ("read", "scanned", None)
        )
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO items (source, uri) VALUES (?, ?)", (loc.source, loc.uri))
            item_id, prev = db.execute(
                "SELECT id, version_id FROM items WHERE source = ? AND uri = ?", (loc.source, loc.uri)
            ).fetchone()
            before = {
                (r[0], r[1], r[2]): r[3]
                for r in db.execute(
                    "SELECT part, field, entity, first_seen_run FROM findings WHERE version_id = ?", (prev,)
                )
            }
            indexed = (
                int(_read_whole(outcome))
                if outcome_kind == "read"
                else db.execute("SELECT indexed FROM item_versions WHERE id = ?", (prev,)).fetchone()[0]
                if outcome_kind == "failed" and prev is not None
                else None
            )
            version = db.execute(
                """INSERT INTO item_versions (item_id, run_id, outcome, reason, fingerprint, store, region, size,
                                              metadata, bytes_read, indexed) VALUES (?,?,?,?,?,?,?,?,?,?,?)""",
                (
                    item_id,
                    run_id,
                    outcome_kind,
                    reason,
                    item.fingerprint,
                    item.store,
                    region,
                    item.size,
                    json.dumps(item.metadata, sort_keys=True),
                    outcome.bytes_read,
                    indexed,
                ),
            ).lastrowid
            db.executemany("INSERT INTO occurrences VALUES (?,?,?,?,?,?)", _occurrences(version, loc.uri, outcome))
            db.executemany(
                "INSERT OR REPLACE INTO findings VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,1)",
                [
                    (
                        version,
                        f.location.part,
                        f.location.field,
                        f.entity,
                        f.category,
                        f.count,
                        f.distinct,
                        f.score,
                        f.preview,
                        f.value_key,
                        f.why,
                        int(f.test_data),
                        before.get((f.location.part, f.location.field, f.entity), run_id),
                    )
                    for f in outcome.findings
                ],
            )
            if outcome_kind == "failed" and prev is not None:
                db.execute(
                    """INSERT OR IGNORE INTO findings
                       SELECT ?, part, field, entity, category, count, distinct_values, score, preview, value_key,
                              why, test_data, first_seen_run, 0 FROM findings WHERE version_id = ?""",
                    (version, prev),
                )
                db.execute(
                    """INSERT INTO occurrences SELECT ?, key, kind, part, field, row_key FROM occurrences
                       WHERE version_id = ? EXCEPT
                       SELECT version_id, key, kind, part, field, row_key FROM occurrences WHERE version_id = ?""",
                    (version, prev, version),
                )
            db.executemany(
                "INSERT INTO problems VALUES (?,?,?,?,?,?)",
                [
                    (run_id, p.location.source, p.location.uri, p.location.part, p.kind, p.message)
                    for p in outcome.problems
                ],
            )
            db.execute("UPDATE items SET version_id = ? WHERE id = ?", (version, item_id))
            db.execute("INSERT OR REPLACE INTO run_items VALUES (?,?,?,?)", (run_id, item_id, version, state))
        return int(version or 0)

    def record_problem(self, run_id: int, problem: Problem) -> None:
        """A problem not tied to one item (a source that cannot be listed)."""
        loc = problem.location
        with self.transaction() as db:
            db.execute(
                "INSERT INTO problems VALUES (?,?,?,?,?,?)",
                (run_id, loc.source, loc.uri, loc.part, problem.kind, problem.message),
            )

    def items(self, run_id: int) -> list[sqlite3.Row]:
        """The run's snapshot: source, uri, store, region, size, metadata, state (scanned, unchanged,
        skipped, failed), reason (why skipped, or the failure's kind), bytes_read (in this run),
        fingerprint, version_id and read_run (the run whose look it rests on)."""
        return self.db.execute(
            """SELECT i.source, i.uri, v.store, v.region, v.size, v.metadata, r.state, v.reason,
                      CASE r.state WHEN 'unchanged' THEN 0 WHEN 'skipped' THEN 0 ELSE v.bytes_read END AS bytes_read,
                      v.fingerprint, v.id AS version_id, v.run_id AS read_run
               FROM run_items r JOIN items i ON i.id = r.item_id JOIN item_versions v ON v.id = r.version_id
               WHERE r.run_id = ? ORDER BY i.source, i.uri""",
            (run_id,),
        ).fetchall()

    def item_counts(self, run_id: int) -> dict[str, int]:
        """Items in the run's snapshot by state, and bytes read in the run."""
        counts = dict.fromkeys(("scanned", "unchanged", "skipped", "failed"), 0)
        read = 0
        for state, n, b in self.db.execute(
            """SELECT r.state, count(*), coalesce(sum(CASE r.state WHEN 'scanned' THEN v.bytes_read
                                                                   WHEN 'failed' THEN v.bytes_read END), 0)
               FROM run_items r JOIN item_versions v ON v.id = r.version_id WHERE r.run_id = ? GROUP BY r.state""",
            (run_id,),
        ):
            counts[state] = n
            read += b
        return {
            "items_listed": sum(counts.values()),
            "items_scanned": counts["scanned"],
            "items_unchanged": counts["unchanged"],
            "items_skipped": counts["skipped"],
            "items_failed": counts["failed"],
            "bytes_read": read,
        }

    def coverage(self, run_id: int, sources: list[str]) -> dict[str, dict[str, Any]]:
        """Per source (those given, and any other seen in the run): items by state, items read only
        in part (sampled, or a part unreadable), bytes read of bytes listed, skip reasons and failure
        kinds with their counts, and problems by kind."""
        keys = ("listed", "scanned", "unchanged", "skipped", "failed", "partial", "bytes_read", "bytes_listed")
        out: dict[str, dict[str, Any]] = {}

        def entry(source: str) -> dict[str, Any]:
            return out.setdefault(source, {**dict.fromkeys(keys, 0), "reasons": {}, "problems": {}})

        for source in sources:
            entry(source)
        for r in self.db.execute(
            """SELECT i.source, count(*), sum(r.state = 'scanned'), sum(r.state = 'unchanged'),
                      sum(r.state = 'skipped'), sum(r.state = 'failed'),
                      coalesce(sum(r.state = 'scanned' AND (v.size > v.bytes_read OR EXISTS (
                          SELECT 1 FROM problems p WHERE p.run_id = r.run_id AND p.source = i.source
                                                     AND p.uri = i.uri))), 0),
                      coalesce(sum(CASE WHEN r.state IN ('scanned', 'failed') THEN v.bytes_read END), 0),
                      coalesce(sum(v.size), 0)
               FROM run_items r JOIN items i ON i.id = r.item_id JOIN item_versions v ON v.id = r.version_id
               WHERE r.run_id = ? GROUP BY i.source""",
            (run_id,),
        ):
            entry(r[0]).update(zip(keys, r[1:], strict=True))
        for source, state, reason, n in self.db.execute(
            """SELECT i.source, r.state, v.reason, count(*)
               FROM run_items r JOIN items i ON i.id = r.item_id JOIN item_versions v ON v.id = r.version_id
               WHERE r.run_id = ? AND r.state IN ('skipped', 'failed') GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""",
            (run_id,),
        ):
            entry(source)["reasons"].setdefault(state, {})[reason or "unknown"] = n
        for source, kind, n in self.db.execute(
            "SELECT source, kind, count(*) FROM problems WHERE run_id = ? GROUP BY source, kind ORDER BY kind",
            (run_id,),
        ):
            entry(source)["problems"][kind] = n
        return out

    # -- findings, problems, facts, checks --------------------------------------------

    _FINDINGS = """SELECT i.source, i.uri, v.store, v.region, f.part, f.field, f.entity, f.category, f.count,
                          f.distinct_values, f.score, f.preview, f.value_key, f.why, f.test_data,
                          f.first_seen_run, r.run_id AS last_seen_run, f.verified, r.item_id
                   FROM run_items r JOIN item_versions v ON v.id = r.version_id JOIN items i ON i.id = r.item_id
                   JOIN findings f ON f.version_id = r.version_id"""

    def findings(self, run_id: int) -> list[sqlite3.Row]:
        """Findings of the run's snapshot (read in it, or carried over from unchanged or unreadable
        items: `verified` is 0 for findings kept from an earlier read because this run's read failed)."""
        return self.db.execute(
            f"{self._FINDINGS} WHERE r.run_id = ? ORDER BY i.source, i.uri, f.part, f.field, f.entity", (run_id,)
        ).fetchall()

    def finding_count(self, run_id: int) -> int:
        """How many findings the run's snapshot holds."""
        return int(
            self.db.execute(
                "SELECT count(*) FROM run_items r JOIN findings f ON f.version_id = r.version_id WHERE r.run_id = ?",
                (run_id,),
            ).fetchone()[0]
        )

    def new_findings(self, run_id: int, previous: int) -> list[sqlite3.Row]:
        """Findings of `run_id` that `previous` did not have (same item, part, field and entity): one
        index lookup per finding, none of `previous`'s findings read back."""
        return self.db.execute(
            f"""{self._FINDINGS} WHERE r.run_id = :run
                AND NOT EXISTS (SELECT 1 FROM run_items p JOIN findings g ON g.version_id = p.version_id
                                WHERE p.run_id = :previous AND p.item_id = r.item_id AND g.part = f.part
                                  AND g.field = f.field AND g.entity = f.entity)
                ORDER BY i.source, i.uri, f.part, f.field, f.entity""",
            {"run": run_id, "previous": previous},
        ).fetchall()

    def resolved_findings(self, run_id: int, previous: int) -> list[sqlite3.Row]:
        """Findings of `previous` that `run_id` no longer has: a successful read did not find them,
        or (in a full or incremental run) their item was not listed any more. A partial run resolves
        nothing outside the items it listed."""
        partial = self.db.execute("SELECT kind = 'partial' FROM runs WHERE id = ?", (run_id,)).fetchone()
        return self.db.execute(
            f"""{self._FINDINGS} WHERE r.run_id = :previous
                AND NOT EXISTS (SELECT 1 FROM run_items n JOIN findings g ON g.version_id = n.version_id
                                WHERE n.run_id = :run AND n.item_id = r.item_id AND g.part = f.part
                                  AND g.field = f.field AND g.entity = f.entity)
                AND (:partial = 0 OR r.item_id IN (SELECT item_id FROM run_items WHERE run_id = :run))
                ORDER BY i.source, i.uri, f.part, f.field, f.entity""",
            {"run": run_id, "previous": previous, "partial": int(bool(partial and partial[0]))},
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
        """The run's own verdict: what its reports show, and what the next run compares with."""
        with self.transaction() as db:
            db.execute("DELETE FROM checks WHERE run_id = ?", (run_id,))
            db.executemany("INSERT INTO checks VALUES (?, ?)", [(run_id, json.dumps(r)) for r in results])

    def checks(self, run_id: int) -> list[dict[str, Any]]:
        return [
            json.loads(r[0])
            for r in self.db.execute("SELECT result FROM checks WHERE run_id = ? ORDER BY rowid", (run_id,))
        ]

    # -- occurrence index -------------------------------------------------------------

    def occurrences(self, run_id: int, keys: Sequence[bytes]) -> list[sqlite3.Row]:
        """Where the run's snapshot holds any of `keys` (privmap.identifiers.keyed): key, source, uri,
        store, region, part, field, row_key, version_id, state (scanned, unchanged, failed) and indexed.
        One index probe per key, then each hit's item: no scan of the index or of the run's items (the
        join order is forced: with several keys SQLite's planner would otherwise walk the run's items)."""
        out: list[sqlite3.Row] = []
        for start in range(0, len(keys), BATCH):
            batch = list(keys[start : start + BATCH])
            marks = ",".join("?" * len(batch))
            out += self.db.execute(
                f"""SELECT o.key, o.kind, i.source, i.uri, v.store, v.region, o.part, o.field, o.row_key, o.version_id,
                           r.state, v.indexed
                    FROM occurrences o INDEXED BY occurrences_by_key
                    CROSS JOIN item_versions v ON v.id = o.version_id
                    CROSS JOIN run_items r ON r.run_id = ? AND r.item_id = v.item_id AND r.version_id = v.id
                    CROSS JOIN items i ON i.id = v.item_id
                    WHERE o.key IN ({marks}) ORDER BY i.source, i.uri, o.part, o.field""",
                (run_id, *batch),
            ).fetchall()
        return out

    def row_occurrences(self, rows: Sequence[tuple[int, int]]) -> dict[tuple[int, int], list[sqlite3.Row]]:
        """For (version id, row key) pairs: every identifier read from that row (key, kind, part, field)."""
        out: dict[tuple[int, int], list[sqlite3.Row]] = {}
        for version, row in dict.fromkeys(rows):
            out[(version, row)] = self.db.execute(
                "SELECT key, kind, part, field FROM occurrences WHERE version_id = ? AND row_key = ?", (version, row)
            ).fetchall()
        return out

    def index_coverage(self, run_id: int) -> dict[str, dict[str, int]]:
        """Per source, what the occurrence index covers of the run's items holding personal data:
        `items` (inspected, with findings), `whole` (indexed from every byte or row), `part` (indexed
        from a sample or part: a sampled table, an object read in part, a part that failed) and
        `none` (not indexed: read before the index existed)."""
        out: dict[str, dict[str, int]] = {}
        for source, items, whole, part in self.db.execute(
            """SELECT i.source, count(*), coalesce(sum(v.indexed = 1), 0), coalesce(sum(v.indexed = 0), 0)
               FROM run_items r JOIN item_versions v ON v.id = r.version_id JOIN items i ON i.id = r.item_id
               WHERE r.run_id = ? AND r.state != 'skipped'
                 AND EXISTS (SELECT 1 FROM findings f WHERE f.version_id = v.id AND f.test_data = 0)
               GROUP BY i.source ORDER BY i.source""",
            (run_id,),
        ):
            out[source] = {"items": items, "whole": whole, "part": part, "none": items - whole - part}
        return out

    def versions(self, ids: Iterable[int]) -> dict[int, sqlite3.Row]:
        """Item versions by id: store, fingerprint, size, region (what reopening the item needs)."""
        out = {}
        for version in set(ids):
            row = self.db.execute(
                "SELECT id, store, fingerprint, size, region FROM item_versions WHERE id = ?", (version,)
            ).fetchone()
            if row is not None:
                out[version] = row
        return out

    def index_size(self) -> int:
        """Rows in the occurrence index (every version kept)."""
        return int(self.db.execute("SELECT count(*) FROM occurrences").fetchone()[0])
