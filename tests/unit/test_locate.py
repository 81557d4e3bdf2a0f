"""privmap locate without scanning: request normalisation, the occurrence index in the store (per
item version: carried over, replaced, gone with its item; the schema 3 -> 4 upgrade), linking by
rows, the coverage caveat, the erased list, checks DSR-001/DSR-002 and the refusal without a key."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from privmap import identifiers, locate
from privmap.checks import Evidence, run_checks
from privmap.cli import main
from privmap.config import load_config
from privmap.model import Finding, Item, ItemOutcome, Location, Problem
from privmap.store import Store
from privmap.store.sqlite import _SCHEMA, row_key

SECRET = b"s" * 32


def key(kind: str, value: str, region: str = "IE") -> bytes:
    spelled = identifiers.normalise(kind, value, identifiers.phone_regions(region))
    assert spelled is not None
    return identifiers.keyed(SECRET, kind, spelled)


def item(uri: str, fingerprint: str = "f1", size: int | None = 10, source: str = "src") -> Item:
    return Item(Location(source, uri), store=f"{source}-store", fingerprint=fingerprint, size=size)


def found(it: Item, entity: str, field: str, *occurrences: tuple[bytes, int]) -> Finding:
    return Finding(
        entity,
        "user.contact",
        it.location.refine(field=field),
        1.0,
        len(occurrences),
        "x***",
        "k" * 64,
        occurrences=tuple(occurrences),
    )


ANNA = key("email", "anna.byrne@example.ie")
ANNA_PHONE = key("phone", "+353 1 555 0142")
OTHER = key("email", "someone.else@example.org")
NAME = key("name", "Anna Byrne")


def customers(it: Item) -> list[Finding]:
    """A table: row 0 holds Anna's e-mail, phone and name; row 1 someone else's e-mail and the same name."""
    return [
        found(it, "EMAIL_ADDRESS", "email", (ANNA, 0), (OTHER, 1)),
        found(it, "PHONE_NUMBER", "phone", (ANNA_PHONE, 0)),
        found(it, "PERSON", "name", (NAME, 0), (NAME, 1)),
    ]


def scanned(store: Store, run: int, outcomes: list[ItemOutcome]) -> None:
    store.carry_over(run, [o.item for o in outcomes])
    for o in outcomes:
        store.save_outcome(o, run, "eu-west-1")


def request(*pairs: tuple[str, str]) -> list[locate.Wanted]:
    return [locate.wanted(SECRET, kind, value, "GB") for kind, value in pairs]


# -- normalisation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "spellings"),
    [
        ("email", ["Anna.Byrne@Example.IE", "  anna.byrne@example.ie ", "mailto:ANNA.BYRNE@EXAMPLE.IE"]),
        ("phone", ["+44 20 7946 0000", "0044 20 7946 0000", "020 7946 0000", "+44 (0)20 7946-0000", "+442079460000"]),
        ("iban", ["DE89 3704 0044 0532 0130 00", "de89370400440532013000", "DE89-3704-0044-0532-0130-00"]),
        ("card", ["4111 1111 1111 1111", "4111-1111-1111-1111", "4111.1111.1111.1111", "4111111111111111"]),
        ("national_id", ["AB 12 34 56 C", "ab123456c", "AB-123456-C"]),
        ("name", ["Anna Byrne", "  anna   BYRNE ", "ANNA BYRNE."]),
    ],
)
def test_every_spelling_of_an_identifier_meets_at_one_key(kind, spellings):
    keys = {locate.wanted(SECRET, kind, s, "GB").key for s in spellings}
    assert len(keys) == 1 and None not in keys


def test_national_format_phones_are_read_in_the_request_region():
    irish = locate.wanted(SECRET, "phone", "01 555 0142", "IE").key
    assert irish == locate.wanted(SECRET, "phone", "+353 1 555 0142", "GB").key
    assert locate.wanted(SECRET, "phone", "01 555 0142", "GB").key != irish  # not a Dublin number in GB


def test_invalid_inputs_are_not_searched_and_inputs_are_masked():
    bad = request(("email", "not-an-email"), ("iban", "12"), ("card", "4111"), ("phone", "12"))
    assert [w.key for w in bad] == [None] * 4
    w = locate.wanted(SECRET, "email", "Anna.Byrne@Example.IE", "GB")
    assert w.masked == "a***@e***.ie" and "byrne" not in w.masked
    # an erased list may keep the keyed hash instead of the identifier
    assert locate.wanted(SECRET, "email", f"key:{w.key.hex()}", "GB").key == w.key
    assert locate.wanted(SECRET, "email", "key:zz", "GB").key is None


# -- the index in the store -------------------------------------------------------------------


def test_the_index_keeps_keys_and_places_never_values(tmp_path):
    store = Store(tmp_path / "state.db")
    run = store.begin_run("h", "c").id
    t = item("sqlite:///crm.db#main.customers", size=None)
    scanned(store, run, [ItemOutcome(t, customers(t))])
    store.finish_run(run, "finished", {})
    rows = store.db.execute("SELECT key, kind, part, field, row_key FROM occurrences ORDER BY field, key").fetchall()
    assert {(bytes(r[0]), identifiers.KINDS[r[1]], r[3]) for r in rows} == {
        (ANNA, "email", "email"),
        (OTHER, "email", "email"),
        (ANNA_PHONE, "phone", "phone"),
        (NAME, "name", "name"),
    }
    assert len(rows) == 5  # the name once per row
    assert {r[4] for r in rows} == {row_key(t.location.uri, "", 0), row_key(t.location.uri, "", 1)}
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("state.db"))
    assert b"anna" not in raw.lower() and b"555" not in raw


def test_the_index_is_carried_over_replaced_and_gone_with_its_item(tmp_path):
    store = Store(tmp_path / "state.db")
    a, b = item("file:///a.txt"), item("file:///b.txt")
    run1 = store.begin_run("h", "c").id
    scanned(store, run1, [ItemOutcome(a, [found(a, "EMAIL_ADDRESS", "", (ANNA, -1))], bytes_read=10)])
    scanned(store, run1, [ItemOutcome(b, [found(b, "EMAIL_ADDRESS", "", (ANNA, -1))], bytes_read=10)])
    store.finish_run(run1, "finished", {})
    where = lambda run: sorted(r["uri"] for r in store.occurrences(run, [ANNA]))  # noqa: E731
    assert where(run1) == ["file:///a.txt", "file:///b.txt"]
    # a no-change rescan: both carried over with their index, nothing read
    run2 = store.begin_run("h", "c").id
    assert store.carry_over(run2, [a, b]) == []
    store.finish_run(run2, "finished", {})
    assert where(run2) == ["file:///a.txt", "file:///b.txt"]
    assert [r["state"] for r in store.occurrences(run2, [ANNA])] == ["unchanged", "unchanged"]
    # a changed a (Anna erased from it) and a deleted b: neither holds her any more
    run3 = store.begin_run("h", "c").id
    a2 = replace(a, fingerprint="f2")
    assert store.carry_over(run3, [a2]) == [a2]
    store.save_outcome(ItemOutcome(a2, [found(a2, "EMAIL_ADDRESS", "", (OTHER, -1))], bytes_read=10), run3, None)
    store.finish_run(run3, "finished", {})
    assert where(run3) == [] and [r["uri"] for r in store.occurrences(run3, [OTHER])] == ["file:///a.txt"]
    assert where(run1) == ["file:///a.txt", "file:///b.txt"]  # each run keeps its own snapshot
    # retention deletes the index of versions no kept run refers to
    assert store.prune(1) == [run2, run1]
    assert store.index_size() == 1


def test_a_failed_read_keeps_the_last_index_and_a_sampled_read_is_marked(tmp_path):
    store = Store(tmp_path / "state.db")
    a, t = item("file:///a.txt"), item("pg://db#public.big", size=None)
    run1 = store.begin_run("h", "c").id
    scanned(
        store,
        run1,
        [
            ItemOutcome(a, [found(a, "EMAIL_ADDRESS", "", (ANNA, -1))], bytes_read=10),
            ItemOutcome(t, customers(t), sampled=True),
        ],
    )
    store.finish_run(run1, "finished", {})
    assert store.index_coverage(run1) == {"src": {"items": 2, "whole": 1, "part": 1, "none": 0}}
    run2 = store.begin_run("h", "c").id
    a2 = replace(a, fingerprint="f2")
    store.carry_over(run2, [a2, t])
    store.save_outcome(ItemOutcome(a2, problems=[Problem(a2.location, "timeout", "read timed out")]), run2, None)
    hits = {r["uri"]: (r["state"], r["indexed"]) for r in store.occurrences(run2, [ANNA])}
    assert hits == {"file:///a.txt": ("failed", 1), "pg://db#public.big": ("unchanged", 0)}


def test_upgrading_a_schema_3_store_adds_an_empty_index(tmp_path):
    path = tmp_path / "state.db"
    with sqlite3.connect(path) as old:
        old.executescript(_SCHEMA)
        old.executescript(
            """INSERT INTO meta VALUES ('schema_version', '3');
               INSERT INTO runs (id, started, finished, status, config_hash) VALUES (1, 't', 't', 'finished', 'h');
               INSERT INTO items VALUES (1, 'src', 'file:///a.txt', 1);
               INSERT INTO item_versions (id, item_id, run_id, outcome, fingerprint, store)
                   VALUES (1, 1, 1, 'read', 'f1', 's');
               INSERT INTO run_items VALUES (1, 1, 1, 'scanned');
               INSERT INTO findings (version_id, part, field, entity, category, count, distinct_values, score,
                                     preview, value_key, first_seen_run)
                   VALUES (1, '', '', 'EMAIL_ADDRESS', 'user.contact.email', 1, 1, 1.0, 'a***', 'k', 1);"""
        )
    old.close()
    store = Store(path)
    assert store.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "4"
    assert store.index_size() == 0
    # the item read before the index is counted as not indexed (DSR-001, the locate caveat)
    assert store.index_coverage(1) == {"src": {"items": 1, "whole": 0, "part": 0, "none": 1}}
    store.close()
    Store(path).close()  # opening it again changes nothing


# -- finding a person -------------------------------------------------------------------------


def test_rows_link_what_is_held_together_and_names_anchor_nothing(tmp_path):
    store = Store(tmp_path / "state.db")
    run = store.begin_run("h", "c").id
    t, log = item("sqlite:///crm.db#main.customers", size=None), item("file:///access.log")
    scanned(
        store,
        run,
        [
            ItemOutcome(t, customers(t)),
            # the phone alone in a log, and the other customer (who shares Anna's name) in another log
            ItemOutcome(log, [found(log, "PHONE_NUMBER", "", (ANNA_PHONE, -1))], bytes_read=10),
        ],
    )
    other_log = item("file:///other.log")
    scanned(store, run, [ItemOutcome(other_log, [found(other_log, "EMAIL_ADDRESS", "", (OTHER, -1))], bytes_read=10)])
    store.finish_run(run, "finished", {})
    matches = locate.find(store, run, request(("email", "ANNA.byrne@example.ie")))
    got = {(m.uri.rsplit("/", 1)[1], m.field, m.via, tuple(sorted(m.kinds))) for m in matches}
    assert got == {
        ("crm.db#main.customers", "email", "direct", ("email",)),
        ("crm.db#main.customers", "phone", "same row", ("phone",)),
        ("crm.db#main.customers", "name", "same row", ("name",)),
        ("access.log", "", "linked", ("phone",)),  # her phone, found by the row that holds her e-mail
    }
    email = next(m for m in matches if m.field == "email")
    assert email.other_identifiers == {"name": 1, "phone": 1} and email.rows == {(1, row_key(t.location.uri, "", 0))}
    # asked by name only: both rows holding the name are candidates, and nothing is linked from them
    by_name = locate.find(store, run, request(("name", "anna byrne")))
    assert [(m.field, m.via, len(m.rows), m.other_identifiers) for m in by_name] == [("name", "direct", 2, {})]
    # asked with e-mail and phone: each is "also held with" the other in that row
    both = locate.find(store, run, request(("email", "anna.byrne@example.ie"), ("phone", "+353 1 555 0142")))
    email = next(m for m in both if m.field == "email")
    assert email.also_held_with == {"a***@e***.ie", "+*********42"} and email.other_identifiers == {"name": 1}


def test_a_person_with_no_data_gets_an_empty_answer_with_the_coverage_caveat(tmp_path, write_config):
    config = load_config(
        write_config(
            """\
            - {name: crm, type: sqlite, region: eu-west-1, role: controller, options: {path: crm.db}}
            - {name: files, type: local, region: eu-west-1, options: {path: data}}
            """
        )
    )
    store = Store(config.resolve(config.store.path))
    run = store.begin_run("h", "c").id
    t = item("sqlite:///crm.db#main.customers", size=None, source="crm")
    scanned(store, run, [ItemOutcome(t, customers(t), sampled=True)])
    store.finish_run(run, "finished", {})
    result = locate.answer(config, store, run, request(("email", "nobody@example.org")))
    out = result.to_json()
    assert out["found"] is False and out["matches"] == [] and out["complete"] is False
    assert out["coverage"][0] | {} == {
        "source": "crm",
        "indexed_whole": 0,
        "indexed_in_part": 1,
        "not_indexed": 0,
        "not_inspected": 0,
        "gaps": 0,
        "complete": False,
    }
    assert "crm: 1 item(s) holding personal data were read only in part (sampled)" in out["caveats"][0]
    assert "not found there does not mean not held" in out["caveats"][0]
    page = locate.render(result, "html")
    assert "Not found" in page and "not found does not mean not held" in page


def test_html_and_csv_escape_what_they_show(tmp_path, write_config):
    config = load_config(write_config("- {name: files, type: local, region: eu-west-1, options: {path: data}}"))
    store = Store(config.resolve(config.store.path))
    run = store.begin_run("h", "c").id
    hostile = item("file:///data/<script>alert(1)<%2Fscript>=cmd.csv", source="files")
    scanned(store, run, [ItemOutcome(hostile, [found(hostile, "EMAIL_ADDRESS", "<b>x</b>", (ANNA, 3))], bytes_read=10)])
    store.finish_run(run, "finished", {})
    result = locate.answer(config, store, run, request(("email", "Anna.Byrne@example.ie")))
    page = locate.render(result, "html")
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)" in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert "anna" not in page.lower() and "a***@e***.ie" in page
    data = json.loads(locate.render(result, "json"))
    assert "anna" not in json.dumps(data).lower()
    [line] = locate.render(result, "csv").splitlines()[1:]
    assert line.startswith("files,")


def test_an_erased_list_names_lines_not_values(tmp_path):
    path = tmp_path / "erased.csv"
    path.write_text("subject,kind,value,erased_on\nDSR-1,email,anna.byrne@example.ie,2026-10-01\n", encoding="utf-8")
    [e] = locate.read_erased(path, SECRET, "IE")
    assert (e.subject, e.erased_on, [w.key for w in e.wanted]) == ("DSR-1", "2026-10-01", [ANNA])
    path.write_text("subject,kind,value\nDSR-1,shoe-size,anna.byrne@example.ie\n", encoding="utf-8")
    with pytest.raises(locate.LocateError, match=r"erased.csv:2: unknown kind") as err:
        locate.read_erased(path, SECRET, "IE")
    assert "anna" not in str(err.value)
    path.write_text("who,what\n", encoding="utf-8")
    with pytest.raises(locate.LocateError, match="needs the columns"):
        locate.read_erased(path, SECRET, "IE")


# -- checks -----------------------------------------------------------------------------------


def test_dsr_checks_judge_index_coverage_and_erased_subjects(tmp_path, write_config):
    config = load_config(write_config("- {name: crm, type: sqlite, region: eu-west-1, options: {path: crm.db}}"))
    extra = {
        "index": {
            "crm": {"items": 3, "whole": 1, "part": 1, "none": 1},
            "files": {"items": 2, "whole": 2, "part": 0, "none": 0},
        },
        "erased": [
            {"subject": "DSR-1", "erased_on": "2026-10-01", "still_found": [
                {"source": "crm-replica", "store": "s3://crm-replica", "uri": "s3://crm-replica/dump.csv",
                 "part": "", "field": "email"}]},
            {"subject": "DSR-2", "erased_on": "", "still_found": []},
        ],
    }  # fmt: skip
    import datetime as dt

    results = run_checks(Evidence(config, [], [], dt.date(2026, 11, 30), extra=extra))
    dsr = {(r["id"], r["subject"]): r for r in results if r["id"].startswith("DSR-00") and r["id"] != "DSR-003"}
    assert {k: r["status"] for k, r in dsr.items()} == {
        ("DSR-001", "store:crm"): "fail",
        ("DSR-001", "store:files"): "pass",
        ("DSR-002", "subject:DSR-1"): "fail",
        ("DSR-002", "subject:DSR-2"): "pass",
    }
    crm = dsr[("DSR-001", "store:crm")]
    assert "1 indexed only from a sample" in crm["evidence"] and "1 not indexed" in crm["evidence"]
    erased = dsr[("DSR-002", "subject:DSR-1")]
    assert erased["severity"] == "high" and "s3://crm-replica/dump.csv [email]" in erased["evidence"]
    assert erased["article"].startswith("GDPR Art. 17") and erased["remediation"]
    bad = run_checks(Evidence(config, [], [], dt.date(2026, 11, 30), extra={"erased_error": "x.csv:2: unknown kind"}))
    assert [r["status"] for r in bad if r["id"] == "DSR-002"] == ["error"]


# -- the command ------------------------------------------------------------------------------


def test_locate_refuses_to_run_without_the_install_key(tmp_path, write_config):
    path = write_config("- {name: files, type: local, region: eu-west-1, options: {path: data}}")
    config = load_config(path)
    store = Store(config.resolve(config.store.path))
    store.finish_run(store.begin_run("h", "c").id, "finished", {})
    store.close()
    done = CliRunner().invoke(main, ["locate", "-c", str(path), "--email", "anna.byrne@example.ie"])
    assert done.exit_code == 2
    assert "no install key" in done.output and "anna" not in done.output
    assert not (config.state_dir / "secret.key").exists()  # never created by locate: it would match nothing
    done = CliRunner().invoke(main, ["locate", "-c", str(path)])
    assert done.exit_code == 2 and "give at least one identifier" in done.output


def test_locate_answers_from_the_store_and_exits_1_for_an_erased_subject_still_found(tmp_path, write_config):
    path = write_config("- {name: files, type: local, region: eu-west-1, options: {path: data}}")
    config = load_config(path)
    (config.state_dir).mkdir(parents=True, exist_ok=True)
    (config.state_dir / "secret.key").write_text(SECRET.hex())
    (config.state_dir / "secret.key").chmod(0o600)
    store = Store(config.resolve(config.store.path))
    run = store.begin_run("h", "c").id
    a = item("file:///data/a.txt", source="files")
    scanned(store, run, [ItemOutcome(a, [found(a, "EMAIL_ADDRESS", "", (ANNA, -1))], bytes_read=10)])
    store.finish_run(run, "finished", {})
    store.close()
    out = tmp_path / "answer.json"
    done = CliRunner().invoke(
        main, ["locate", "-c", str(path), "--email", " Anna.Byrne@Example.IE", "--email", "nope", "-o", str(out)]
    )
    assert done.exit_code == 0, done.output
    assert "identifier 2 (n***) is not a valid email" in done.output
    answer = json.loads(out.read_text())
    assert [m["uri"] for m in answer["matches"]] == ["file:///data/a.txt"]
    assert [r["found"] for r in answer["request"]] == [1, 0] and oct(out.stat().st_mode & 0o777) == "0o600"
    erased = tmp_path / "erased.csv"
    erased.write_text(f"subject,kind,value\nDSR-9,email,{answer['request'][0]['key']}\n", encoding="utf-8")
    done = CliRunner().invoke(main, ["locate", "-c", str(path), "--erased-list", str(erased), "-f", "csv"])
    assert done.exit_code == 1, done.output
    assert Path(out).exists()


def test_a_file_named_after_a_person_is_in_the_index(detector):
    from privmap.names import NAME_FIELD, NameGuard

    it = item("file:///share/users/anna.byrne@example.ie/cv.pdf", source="files")
    guarded = NameGuard.of(detector).outcome(ItemOutcome(it))
    [named] = guarded.findings
    spelled = identifiers.normalise("email", "anna.byrne@example.ie")
    assert named.location.field == NAME_FIELD and "anna" not in named.location.uri
    assert named.occurrences == ((identifiers.keyed(detector.secret, "email", spelled), -1),)


def test_locate_searches_the_last_whole_run_and_says_when_watch_batches_came_after(tmp_path, write_config):
    config = load_config(write_config("- {name: files, type: local, region: eu-west-1, options: {path: data}}"))
    store = Store(config.resolve(config.store.path))
    a, b = item("file:///data/a.txt", source="files"), item("file:///data/b.txt", source="files")
    scan = store.begin_run("h", "c").id
    scanned(store, scan, [ItemOutcome(a, [found(a, "EMAIL_ADDRESS", "", (ANNA, -1))], bytes_read=10)])
    store.finish_run(scan, "finished", {})
    batch = store.begin_run("h", "c", "partial").id  # an upload watch: one new file, without Anna
    scanned(store, batch, [ItemOutcome(b, [found(b, "EMAIL_ADDRESS", "", (OTHER, -1))], bytes_read=10)])
    store.finish_run(batch, "finished", {})
    assert store.run()["id"] == batch and store.last_whole_run() == scan
    result = locate.answer(config, store, store.last_whole_run(), request(("email", "anna.byrne@example.ie")))
    assert [m.uri for m in result.matches] == ["file:///data/a.txt"]
    assert result.complete is False and result.caveats[0].startswith("1 upload watch batch(es) ran after run 1")
