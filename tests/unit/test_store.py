"""The run history: per-run snapshots, carry-over, failed reads, partial runs, leases, retention,
and the in-place upgrade of a schema-2 store."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import replace

import pytest

from privmap.model import Finding, Item, ItemOutcome, Location, Problem
from privmap.pipeline import finding_records
from privmap.store import Store, StoreBusy


def item(uri: str, fingerprint: str = "f1") -> Item:
    return Item(Location("src", uri), store="file:///root", fingerprint=fingerprint, size=10)


def finding(it: Item, entity: str = "EMAIL_ADDRESS", count: int = 1) -> Finding:
    return Finding(entity, "user.contact.email", it.location, 1.0, count, "a***@b***.ie", "k" * 64)


def finish(store: Store, run: int) -> None:
    store.finish_run(run, "finished", {})


def keys(rows) -> list[tuple]:
    return [(r["uri"], r["entity"], r["count"], r["first_seen_run"], r["verified"]) for r in rows]


def test_unchanged_items_carry_findings_into_the_next_run(tmp_path):
    store = Store(tmp_path / "state.db")
    run1 = store.begin_run("h", "c").id
    a = item("file:///a")
    assert store.carry_over(run1, [a]) == [a]
    store.save_outcome(ItemOutcome(a, [finding(a)], bytes_read=10), run1, "eu-west-1")
    finish(store, run1)
    run2 = store.begin_run("h", "c").id
    assert store.carry_over(run2, [a]) == []  # carried over, nothing to read
    [row] = store.findings(run2)
    assert (row["first_seen_run"], row["last_seen_run"], row["region"], row["verified"]) == (run1, run2, "eu-west-1", 1)
    assert store.item_counts(run2) | {} == {
        "items_listed": 1,
        "items_scanned": 0,
        "items_unchanged": 1,
        "items_skipped": 0,
        "items_failed": 0,
        "bytes_read": 0,
    }
    assert store.previous_run(run2) == run1


def test_each_run_keeps_its_own_snapshot(tmp_path):
    store = Store(tmp_path / "state.db")
    a, b = item("file:///a"), item("file:///b")
    run1 = store.begin_run("h", "c").id
    for it in store.carry_over(run1, [a, b]):
        store.save_outcome(ItemOutcome(it, [finding(it), finding(it, "PERSON")]), run1, None)
    finish(store, run1)
    snapshot = finding_records(store.findings(run1))
    # run 2: a changes (PERSON gone, e-mail count up), b is deleted; run 3: a changes again
    run2 = store.begin_run("h", "c").id
    a2 = item("file:///a", "f2")
    [todo] = store.carry_over(run2, [a2])
    store.save_outcome(ItemOutcome(todo, [finding(a2, count=3)]), run2, None)
    finish(store, run2)
    assert keys(store.findings(run2)) == [("file:///a", "EMAIL_ADDRESS", 3, run1, 1)]
    resolved = {(r["uri"], r["entity"]) for r in store.resolved_findings(run2, run1)}
    assert resolved == {("file:///a", "PERSON"), ("file:///b", "EMAIL_ADDRESS"), ("file:///b", "PERSON")}
    assert store.new_findings(run2, run1) == []  # the same e-mail finding, counted again, is not new
    run3 = store.begin_run("h", "c").id
    a3 = item("file:///a", "f3")
    store.save_outcome(ItemOutcome(*store.carry_over(run3, [a3])), run3, None)
    finish(store, run3)
    assert store.findings(run3) == []
    # run 4: a new item, and a's e-mail and name back (new since run 3, though run 1 had the name)
    run4 = store.begin_run("h", "c").id
    a4, c = item("file:///a", "f4"), item("file:///c")
    for it in store.carry_over(run4, [a4, c]):
        store.save_outcome(ItemOutcome(it, [finding(it), *([finding(it, "PERSON")] if it is a4 else [])]), run4, None)
    finish(store, run4)
    new = {(r["uri"], r["entity"]) for r in store.new_findings(run4, run3)}
    assert new == {("file:///a", "EMAIL_ADDRESS"), ("file:///a", "PERSON"), ("file:///c", "EMAIL_ADDRESS")}
    assert {(r["uri"], r["entity"]) for r in store.new_findings(run4, run2)} == {
        ("file:///a", "PERSON"),
        ("file:///c", "EMAIL_ADDRESS"),
    }
    assert finding_records(store.findings(run1)) == snapshot  # run 1 as it was
    assert store.item_counts(run1)["items_listed"] == 2


def test_a_failed_read_keeps_the_findings_unverified_and_is_retried(tmp_path):
    store = Store(tmp_path / "state.db")
    a = item("file:///a")
    run1 = store.begin_run("h", "c").id
    store.save_outcome(ItemOutcome(a, [finding(a)]), run1, None)
    finish(store, run1)
    run2 = store.begin_run("h", "c").id
    a2 = item("file:///a", "f2")
    failed = ItemOutcome(a2, problems=[Problem(a2.location, "timeout", "ReadTimeoutError")])
    store.save_outcome(failed, run2, None)
    finish(store, run2)
    assert keys(store.findings(run2)) == [("file:///a", "EMAIL_ADDRESS", 1, run1, 0)]
    assert store.resolved_findings(run2, run1) == []
    assert store.item_counts(run2)["items_failed"] == 1
    assert store.coverage(run2, ["src"])["src"]["reasons"] == {"failed": {"timeout": 1}}
    # the next run reads it again even though its fingerprint did not change
    run3 = store.begin_run("h", "c").id
    assert store.carry_over(run3, [a2]) == [a2]
    store.save_outcome(ItemOutcome(a2, []), run3, None)  # a successful read: now it is resolved
    assert [r["entity"] for r in store.resolved_findings(run3, run2)] == ["EMAIL_ADDRESS"]


def test_a_problem_on_one_part_is_no_failed_read(tmp_path):
    store = Store(tmp_path / "state.db")
    a = item("file:///a.zip")
    run = store.begin_run("h", "c").id
    part = Problem(a.location.refine(part="b.csv"), "corrupt", "BadZipFile")
    store.save_outcome(ItemOutcome(a, [finding(a)], problems=[part], bytes_read=10), run, None)
    assert store.item_counts(run)["items_scanned"] == 1
    assert store.coverage(run, ["src"])["src"]["partial"] == 1


def test_a_skipped_item_stays_skipped_and_is_never_counted_unchanged(tmp_path):
    store = Store(tmp_path / "state.db")
    a = item("file:///a.bin")
    for _ in range(3):
        run = store.begin_run("h", "c").id
        for todo in store.carry_over(run, [a]):
            store.save_outcome(ItemOutcome(todo, skipped="unsupported media type application/octet-stream"), run, None)
        finish(store, run)
        counts = store.item_counts(run)
        assert (counts["items_skipped"], counts["items_unchanged"]) == (1, 0)
        [row] = store.items(run)
        assert (row["state"], row["reason"]) == ("skipped", "unsupported media type application/octet-stream")
    # what decided the skip changed (it is part of the fingerprint): looked at again
    run = store.begin_run("h", "c").id
    assert store.carry_over(run, [replace(a, fingerprint="new-settings:f1")]) != []


def test_a_partial_run_resolves_nothing_it_did_not_list(tmp_path):
    store = Store(tmp_path / "state.db")
    a, b = item("file:///a"), item("file:///b")
    run1 = store.begin_run("h", "c").id
    for it in (a, b):
        store.save_outcome(ItemOutcome(it, [finding(it)]), run1, None)
    finish(store, run1)
    watch = store.begin_run("h", "c", "partial").id
    b2 = item("file:///b", "f2")
    store.save_outcome(ItemOutcome(b2, []), watch, None)
    finish(store, watch)
    assert [r["uri"] for r in store.resolved_findings(watch, run1)] == ["file:///b"]  # a is not gone
    assert store.previous_run(watch) == run1
    # the next incremental run compares with run 1 (not with the partial run) and carries b's new state
    run3 = store.begin_run("h", "c").id
    assert store.previous_run(run3) == run1
    assert store.carry_over(run3, [a, b2]) == []
    assert keys(store.findings(run3)) == [("file:///a", "EMAIL_ADDRESS", 1, run1, 1)]


def test_runs_compare_only_with_runs_of_their_own_configuration(tmp_path):
    store = Store(tmp_path / "state.db")
    one = store.begin_run("h1", "hr").id
    finish(store, one)
    other = store.begin_run("h2", "finance").id
    finish(store, other)
    again = store.begin_run("h1", "hr").id
    assert (store.previous_run(other), store.previous_run(again)) == (None, one)


def test_an_interrupted_run_resumes_and_skips_done_items(tmp_path):
    store = Store(tmp_path / "state.db")
    run = store.begin_run("h", "c")
    a, b = item("file:///a"), item("file:///b")
    store.save_outcome(ItemOutcome(a, [finding(a)]), run.id, None)
    store.interrupt_run(run.id)
    store.close()
    store = Store(tmp_path / "state.db")
    other = store.begin_run("other-config", "other")  # another configuration leaves it alone
    store.finish_run(other.id, "finished", {})
    again = store.begin_run("h", "c")
    assert again.resumed and again.id == run.id
    assert store.carry_over(again.id, [a, b]) == [b]
    store.finish_run(again.id, "finished", {})
    edited = store.begin_run("h", "c")
    store.interrupt_run(edited.id)
    fresh = store.begin_run("h-edited", "c")  # the same configuration, edited: the old run is abandoned
    assert not fresh.resumed and store.run(edited.id)["status"] == "abandoned"


def test_a_watch_batch_leaves_an_interrupted_scan_resumable(tmp_path):
    store = Store(tmp_path / "state.db")
    scan = store.begin_run("h", "c")
    store.interrupt_run(scan.id)
    batch = store.begin_run("h", "c", "partial", fresh=True)
    store.interrupt_run(batch.id)  # a watcher killed mid-batch
    assert store.run(scan.id)["status"] == "interrupted"
    next_batch = store.begin_run("h", "c", "partial", fresh=True)
    finish(store, next_batch.id)
    assert store.run(batch.id)["status"] == "abandoned"  # its uploads come again from the intake
    again = store.begin_run("h", "c")
    assert again.resumed and again.id == scan.id


def test_a_live_lease_makes_another_process_wait_or_fail(tmp_path):
    path = tmp_path / "state.db"
    first = Store(path, lease_seconds=3)
    run = first.begin_run("h", "c")
    second = Store(path)
    with pytest.raises(StoreBusy, match=f"in use by run {run.id} \\(process {os.getpid()}"):
        second.begin_run("h", "c")
    time.sleep(1.5)  # longer than a third of the lease: the keeper renewed it
    with pytest.raises(StoreBusy):
        second.begin_run("h", "c")
    threading.Timer(0.5, first.finish_run, (run.id, "finished", {})).start()
    waited = second.begin_run("h", "c", wait=10)
    assert not waited.resumed and waited.id == run.id + 1
    first.close()
    second.close()


def test_a_dead_owner_s_run_is_resumed(tmp_path):
    path = tmp_path / "state.db"
    script = (
        "import sys; from pathlib import Path; from privmap.store import Store; "
        "s = Store(Path(sys.argv[1])); print(s.begin_run('h', 'c').id)"
    )
    started = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True)
    store = Store(path)  # the process is gone, its lease not yet expired: resumed all the same
    again = store.begin_run("h", "c")
    assert again.resumed and again.id == int(started.stdout)


def test_retention_keeps_the_newest_runs_and_what_they_refer_to(tmp_path):
    store = Store(tmp_path / "state.db")
    a = item("file:///a")
    runs = []
    for n in range(4):
        run = store.begin_run("h", "c").id
        it = replace(a, fingerprint=f"f{n}") if n < 2 else replace(a, fingerprint="f1")
        for todo in store.carry_over(run, [it]):
            store.save_outcome(ItemOutcome(todo, [finding(todo, count=n + 1)]), run, None)
        finish(store, run)
        runs.append(run)
    assert store.prune(2) == [runs[1], runs[0]]
    assert [r["id"] for r in store.runs()] == [runs[3], runs[2]]
    # runs 3 and 4 carried run 2's version: it stays; run 1's is gone
    assert keys(store.findings(runs[3])) == [("file:///a", "EMAIL_ADDRESS", 2, runs[0], 1)]
    assert store.db.execute("SELECT count(*) FROM item_versions").fetchone()[0] == 1


def test_a_no_change_rescan_costs_a_few_statements_per_batch(tmp_path):
    store = Store(tmp_path / "state.db")
    listed = [item(f"file:///{n:05}") for n in range(2000)]
    run1 = store.begin_run("h", "c").id
    with store.transaction() as db:  # the first run's reads, quickly
        db.executemany(
            "INSERT INTO items (source, uri, version_id) VALUES ('src', ?, NULL)", [(i.location.uri,) for i in listed]
        )
        db.execute(
            "INSERT INTO item_versions (item_id, run_id, outcome, fingerprint, store) "
            "SELECT id, ?, 'read', 'f1', 'file:///root' FROM items",
            (run1,),
        )
        db.execute("UPDATE items SET version_id = (SELECT id FROM item_versions v WHERE v.item_id = items.id)")
    finish(store, run1)
    run2 = store.begin_run("h", "c").id
    statements: list[str] = []
    store.db.set_trace_callback(statements.append)
    todo = [t for n in range(0, 2000, 500) for t in store.carry_over(run2, listed[n : n + 500])]
    store.db.set_trace_callback(None)
    assert todo == []
    assert store.item_counts(run2)["items_unchanged"] == 2000
    # per batch: BEGIN, one lookup, one executemany insert (traced once per row), COMMIT
    assert sum(1 for s in statements if s.startswith("SELECT")) == 4
    assert sum(1 for s in statements if s.startswith("BEGIN")) == 4


# the schema privmap wrote before run snapshots (version 2), as created by its store module
V2_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY, started TEXT NOT NULL, finished TEXT, status TEXT NOT NULL,
    config_hash TEXT NOT NULL, summary TEXT);
CREATE TABLE items (
    source TEXT NOT NULL, uri TEXT NOT NULL, store TEXT NOT NULL, fingerprint TEXT NOT NULL,
    region TEXT, size INTEGER, metadata TEXT NOT NULL DEFAULT '{}', last_run INTEGER NOT NULL,
    status TEXT NOT NULL, skipped TEXT, bytes_read INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source, uri));
CREATE TABLE findings (
    source TEXT NOT NULL, uri TEXT NOT NULL, part TEXT NOT NULL, field TEXT NOT NULL,
    entity TEXT NOT NULL, category TEXT NOT NULL, store TEXT NOT NULL, region TEXT,
    count INTEGER NOT NULL, distinct_values INTEGER NOT NULL, score REAL NOT NULL,
    preview TEXT NOT NULL, value_key TEXT NOT NULL,
    first_seen_run INTEGER NOT NULL, last_seen_run INTEGER NOT NULL,
    why TEXT NOT NULL DEFAULT '', test_data INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source, uri, part, field, entity));
CREATE INDEX findings_by_run ON findings (last_seen_run);
CREATE TABLE problems (
    run_id INTEGER NOT NULL, source TEXT NOT NULL, uri TEXT NOT NULL, part TEXT NOT NULL,
    kind TEXT NOT NULL, message TEXT NOT NULL);
CREATE TABLE facts (
    run_id INTEGER NOT NULL, source TEXT NOT NULL, store TEXT NOT NULL, key TEXT NOT NULL,
    value TEXT NOT NULL, PRIMARY KEY (run_id, source, store, key));
CREATE TABLE checks (run_id INTEGER NOT NULL, result TEXT NOT NULL);
INSERT INTO meta VALUES ('schema_version', '2');
INSERT INTO runs VALUES (1, '2026-01-01T00:00:00+00:00', '2026-01-01T00:01:00+00:00', 'finished', 'h', '{}');
INSERT INTO runs VALUES (2, '2026-01-02T00:00:00+00:00', '2026-01-02T00:01:00+00:00', 'finished', 'h', '{}');
INSERT INTO items VALUES ('src', 'file:///a', 'file:///root', 'f1', 'eu-west-1', 10, '{}', 2, 'unchanged', NULL, 0);
INSERT INTO items VALUES ('src', 'file:///b.bin', 'file:///root', 'f1', 'eu-west-1', 10, '{}', 2, 'skipped',
                          'unsupported media type application/octet-stream', 0);
INSERT INTO findings VALUES ('src', 'file:///a', '', '', 'EMAIL_ADDRESS', 'user.contact.email', 'file:///root',
                             'eu-west-1', 2, 1, 1.0, 'a***@b***.ie', 'k', 1, 2, 'pattern', 0);
INSERT INTO findings VALUES ('src', 'file:///a', '', '', 'PERSON', 'user.name', 'file:///root',
                             'eu-west-1', 1, 1, 0.9, 'A***', 'k', 1, 1, 'NER', 0);
INSERT INTO problems VALUES (2, 'src', 'file:///c', '', 'denied', 'PermissionError');
INSERT INTO checks VALUES (2, '{"id": "INV-001"}');
"""


def test_a_schema_2_store_is_upgraded_in_place(tmp_path):
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as old:
        old.executescript(V2_SCHEMA)
    old.close()
    store = Store(path)
    assert store.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "4"
    assert [(r["id"], r["status"], r["kind"]) for r in store.runs()] == [
        (2, "finished", "incremental"),
        (1, "finished", "incremental"),
    ]
    assert keys(store.findings(2)) == [("file:///a", "EMAIL_ADDRESS", 2, 1, 1)]  # PERSON was resolved in run 2
    assert [(r["uri"], r["state"]) for r in store.items(2)] == [
        ("file:///a", "unchanged"),
        ("file:///b.bin", "skipped"),
    ]
    assert [p["kind"] for p in store.problems(2)] == ["denied"] and store.checks(2) == [{"id": "INV-001"}]
    # the next run carries what the old store knew: nothing to read again
    run = store.begin_run("h", "c")
    assert run.id == 3
    assert store.carry_over(run.id, [item("file:///a"), item("file:///b.bin")]) == []
    assert store.item_counts(run.id) | {} == {
        "items_listed": 2,
        "items_scanned": 0,
        "items_unchanged": 1,
        "items_skipped": 1,
        "items_failed": 0,
        "bytes_read": 0,
    }
    store.close()
    Store(path).close()  # opening an upgraded store again changes nothing
