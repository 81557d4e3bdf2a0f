"""Incremental state: fingerprints, first/last seen, resumption of an interrupted run."""

from privmap.model import Finding, Item, ItemOutcome, Location, Problem
from privmap.store import Store


def item(uri: str, fingerprint: str = "f1") -> Item:
    return Item(Location("src", uri), store="file:///root", fingerprint=fingerprint)


def finding(it: Item, entity: str = "EMAIL_ADDRESS", count: int = 1) -> Finding:
    return Finding(entity, "user.contact.email", it.location, 1.0, count, "a***@b***.ie", "k" * 64)


def test_unchanged_items_carry_findings_into_the_next_run(tmp_path):
    store = Store(tmp_path / "state.db")
    run1 = store.begin_run("h").id
    a = item("file:///a")
    store.save_outcome(ItemOutcome(a, [finding(a)]), run1, "eu-west-1", None)
    store.finish_run(run1, "finished", {})
    run2 = store.begin_run("h").id
    prev = store.item_state(a)
    assert prev is not None and prev.fingerprint == "f1"
    store.mark_unchanged(a, run2, prev)
    [row] = store.findings(run2)
    assert (row["first_seen_run"], row["last_seen_run"]) == (run1, run2)
    assert store.item_counts(run2)["items_unchanged"] == 1


def test_a_finding_gone_from_a_changed_item_is_resolved(tmp_path):
    store = Store(tmp_path / "state.db")
    run1 = store.begin_run("h").id
    a = item("file:///a")
    store.save_outcome(ItemOutcome(a, [finding(a), finding(a, "PERSON")]), run1, None, None)
    store.finish_run(run1, "finished", {})
    run2 = store.begin_run("h").id
    a2 = item("file:///a", "f2")
    store.save_outcome(ItemOutcome(a2, [finding(a2, count=3)]), run2, None, store.item_state(a2))
    assert [(r["entity"], r["count"], r["first_seen_run"]) for r in store.findings(run2)] == [
        ("EMAIL_ADDRESS", 3, run1)
    ]
    assert [r["entity"] for r in store.resolved_findings(run2, run1)] == ["PERSON"]


def test_an_interrupted_run_resumes_and_skips_done_items(tmp_path):
    store = Store(tmp_path / "state.db")
    run = store.begin_run("h")
    a = item("file:///a")
    store.save_outcome(ItemOutcome(a, [finding(a)]), run.id, None, None)
    store.close()  # killed here: the run never finished
    store = Store(tmp_path / "state.db")
    again = store.begin_run("h")
    assert again.resumed and again.id == run.id
    assert store.item_state(a).last_run == run.id  # the pipeline skips it
    other = store.begin_run("other-config", fresh=True)
    assert not other.resumed and other.id == run.id + 1


def test_a_failed_item_is_retried_next_time(tmp_path):
    store = Store(tmp_path / "state.db")
    run1 = store.begin_run("h").id
    a = item("file:///a")
    store.save_outcome(ItemOutcome(a, problems=[Problem(a.location, "corrupt", "ValueError")]), run1, None, None)
    assert store.item_state(a).fingerprint == ""  # never equal to a real fingerprint
    assert [p["kind"] for p in store.problems(run1)] == ["corrupt"]


def test_explanations_and_test_data_reach_findings_json(tmp_path):
    from dataclasses import replace

    from privmap.pipeline import finding_record

    store = Store(tmp_path / "state.db")
    run = store.begin_run("h").id
    a = item("file:///a")
    why = "pattern EMAIL_ADDRESS; column name 'email'"
    store.save_outcome(ItemOutcome(a, [replace(finding(a), why=why, test_data=True)]), run, None, None)
    [row] = store.findings(run)
    assert (finding_record(row)["why"], finding_record(row)["test_data"]) == (why, True)


def test_a_store_of_the_first_schema_is_upgraded(tmp_path):
    import sqlite3

    path = tmp_path / "state.db"
    old = sqlite3.connect(path)
    old.executescript(
        """CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('schema_version', '1');
        CREATE TABLE findings (source TEXT NOT NULL, uri TEXT NOT NULL, part TEXT NOT NULL, field TEXT NOT NULL,
            entity TEXT NOT NULL, category TEXT NOT NULL, store TEXT NOT NULL, region TEXT,
            count INTEGER NOT NULL, distinct_values INTEGER NOT NULL, score REAL NOT NULL,
            preview TEXT NOT NULL, value_key TEXT NOT NULL,
            first_seen_run INTEGER NOT NULL, last_seen_run INTEGER NOT NULL,
            PRIMARY KEY (source, uri, part, field, entity));
        INSERT INTO findings VALUES ('src','file:///a','','','PERSON','user.name','s',NULL,1,1,0.9,'A***','k',1,1);"""
    )
    old.close()
    store = Store(path)
    [row] = store.findings(1)
    assert (row["entity"], row["why"], row["test_data"]) == ("PERSON", "", 0)
    assert store.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "2"
