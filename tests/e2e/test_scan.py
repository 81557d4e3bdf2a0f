"""The CLI end to end on a fixture estate: outputs, exit codes, privacy of outputs, escaping."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing, suppress
from pathlib import Path

from privmap.reports.writers import OUTPUTS
from tests.e2e.conftest import privmap


def raw_values(estate_dir: Path) -> set[str]:
    """Personal data planted in the estate, straight from its CRM and exports."""
    values: set[str] = set()
    with closing(sqlite3.connect(estate_dir / "crm.sqlite")) as db:
        for sql in (
            "SELECT name, email FROM accounts",
            "SELECT card_number, iban FROM billing",
            "SELECT phone, notes FROM contacts",
        ):
            for row in db.execute(sql):
                values.update(str(v) for v in row)
    for line in (estate_dir / "exports" / "newsletter-leads.csv").read_text().splitlines()[1:]:
        values.update(line.split(",")[:3])
    return values


def test_scan_writes_every_report_and_keeps_raw_values_in(estate, tmp_path):
    out = tmp_path / "out"
    result = privmap("scan", "--config", str(estate), "--out", str(out), "--fail-on", "none")
    assert result.returncode == 0, result.stderr
    for name in OUTPUTS:
        assert (out / name).stat().st_size > 0, name

    findings = json.loads((out / "findings.json").read_text())
    keys = {
        "source",
        "uri",
        "part",
        "field",
        "entity",
        "category",
        "count",
        "score",
        "preview",
        "region",
        "first_seen_run",
        "last_seen_run",
    }
    assert all(keys <= set(f) for f in findings)
    got = {(f["source"], f["field"], f["entity"]) for f in findings}
    assert {
        ("crm", "email", "EMAIL_ADDRESS"),
        ("crm", "card_number", "CREDIT_CARD"),
        ("crm", "iban", "IBAN_CODE"),
        ("exports", "email", "EMAIL_ADDRESS"),
        ("web-logs", "", "IP_ADDRESS"),
    } <= got
    assert all(f["region"] == "us-east-1" for f in findings if f["source"] == "web-logs")

    checks = json.loads((out / "checks.json").read_text())
    assert all({"id", "title", "severity", "status", "subject", "evidence", "article"} <= set(c) for c in checks)
    failed = {(c["id"], c["subject"]) for c in checks if c["status"] == "fail"}
    assert ("INV-001", "store:exports") in failed  # undeclared store with contact data
    assert ("INV-008", "store:exports") in failed  # no role declared
    assert ("INV-001", "store:crm") not in failed

    run = json.loads((out / "run.json").read_text())
    assert run["items_scanned"] > 10 and run["bytes_read"] > 0 and run["problems"] == 0
    assert {"run_id", "started", "finished", "items_listed", "items_unchanged"} <= set(run)

    # nothing planted in the estate appears in any output, the logs or the state database
    outputs = [p.read_bytes() for p in out.iterdir()]
    outputs += [result.stdout.encode(), result.stderr.encode(), (estate.parent / ".privmap" / "state.db").read_bytes()]
    secrets = raw_values(estate.parent)
    assert len(secrets) > 100
    leaked = {v for v in secrets for blob in outputs if v.encode() in blob}
    assert not leaked

    ropa = json.loads((out / "ropa.json").read_text())
    billing = next(a for a in ropa["activities"] if a["title"] == "Billing")
    assert billing["categories"]["observed"]["user.financial.credit_card"] == ["crm"]
    transfers = [e["text"] for e in billing["fields"]["transfers"]]
    assert "PayFlow in United States: EU-US Data Privacy Framework ((EU) 2023/1795)" in transfers
    assert [r["title"] for r in ropa["processor_records"]] == ["Studio Nord GmbH", "Lumen Weddings SARL"]


def test_second_run_is_incremental_and_reports_changes(estate, tmp_path):
    out = tmp_path / "out"
    assert privmap("scan", "-c", str(estate), "-o", str(out), "--fail-on", "none").returncode == 0
    (estate.parent / "uploads-eu" / "caption-000.txt").unlink()
    (estate.parent / "uploads-eu" / "new-note.txt").write_text("Contact Dara Walsh at dara.walsh@inbox.pl\n")
    assert privmap("scan", "-c", str(estate), "-o", str(out), "--fail-on", "none").returncode == 0
    run = json.loads((out / "run.json").read_text())
    assert run["items_scanned"] == 1 and run["items_unchanged"] > 10
    findings = json.loads((out / "findings.json").read_text())
    new = [f for f in findings if f["first_seen_run"] == run["run_id"]]
    assert {f["uri"].rsplit("/", 1)[1] for f in new} == {"new-note.txt"}
    html = (out / "report.html").read_text()
    assert "since run 1" in html and "caption-000.txt" in html  # listed as resolved

    # the first run's reports, re-rendered from the store without scanning
    again = privmap("report", "-c", str(estate), "-o", str(tmp_path / "run1"), "--run", "1")
    assert again.returncode == 0, again.stderr
    assert json.loads((tmp_path / "run1" / "run.json").read_text())["run_id"] == 1
    assert "Scan run 1," in (tmp_path / "run1" / "report.html").read_text()
    assert "new-note.txt" not in (tmp_path / "run1" / "findings.json").read_text()
    assert all((tmp_path / "run1" / name).stat().st_size > 0 for name in OUTPUTS)


def test_full_rereads_everything_and_new_settings_invalidate_fingerprints(estate, tmp_path):
    out = tmp_path / "out"
    assert privmap("scan", "-c", str(estate), "-o", str(out), "--fail-on", "none").returncode == 0
    first = json.loads((out / "run.json").read_text())
    assert privmap("scan", "-c", str(estate), "-o", str(out), "--full", "--fail-on", "none").returncode == 0
    full = json.loads((out / "run.json").read_text())
    assert full["run_id"] == 2 and full["items_unchanged"] == 0
    assert full["items_scanned"] == first["items_scanned"]
    estate.write_text(estate.read_text().replace("version: 1\n", "version: 1\ndetection: {min_score: 0.6}\n", 1))
    assert privmap("scan", "-c", str(estate), "-o", str(out), "--fail-on", "none").returncode == 0
    changed = json.loads((out / "run.json").read_text())
    assert changed["items_unchanged"] == 0 and changed["items_scanned"] == first["items_scanned"]


def test_documentation_values_are_reported_as_test_data_and_fail_no_check(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "payments-howto.txt").write_text(
        "To try the checkout, pay with the card 4111 1111 1111 1111 and write to someone@example.com.\n"
    )
    config = tmp_path / "privmap.yaml"
    config.write_text(
        "version: 1\norganization: {name: X, country: IE}\n"
        "sources:\n  - {name: docs, type: local, region: eu-west-1, role: controller, options: {path: docs}}\n"
    )
    out = tmp_path / "out"
    assert privmap("scan", "-c", str(config), "-o", str(out), "--fail-on", "info").returncode == 0
    findings = json.loads((out / "findings.json").read_text())
    assert {f["entity"] for f in findings} >= {"CREDIT_CARD"} and all(f["test_data"] for f in findings)
    assert not [c for c in json.loads((out / "checks.json").read_text()) if c["status"] == "fail"]


def test_fail_on_and_exit_codes(estate, tmp_path):
    # the demo still relies on the Privacy Shield: a critical transfer failure
    assert privmap("scan", "-c", str(estate), "-o", str(tmp_path / "a"), "--fail-on", "critical").returncode == 1
    # reports.fail_on defaults to high; --fail-on none never fails
    assert privmap("scan", "-c", str(estate), "-o", str(tmp_path / "b")).returncode == 1
    assert privmap("scan", "-c", str(estate), "-o", str(tmp_path / "c"), "--fail-on", "none").returncode == 0


def test_bad_config_exits_2_with_file_line_and_key(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text(
        "version: 1\norganization: {name: X, country: IE}\nsources:\n  - {name: a, type: local, colour: red}\n"
    )
    result = privmap("scan", "-c", str(config), "-o", str(tmp_path / "out"))
    assert result.returncode == 2
    assert f"{config}:4: sources[0].colour: unknown key" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_source_exits_2_and_still_reports_the_rest(estate, tmp_path):
    text = estate.read_text().replace("options: {path: weblogs}", "options: {path: no-such-folder}")
    estate.write_text(text)
    out = tmp_path / "out"
    result = privmap("scan", "-c", str(estate), "-o", str(out))
    assert result.returncode == 2
    run = json.loads((out / "run.json").read_text())
    assert run["source_errors"] == 1 and run["findings"] > 0
    assert "no-such-folder" in (out / "report.html").read_text()


def test_corrupt_and_hostile_items_are_recorded_and_escaped(estate, tmp_path):
    uploads = estate.parent / "uploads-eu"
    hostile = '<img src=x onerror=alert(1)>"; DROP TABLE users; --.txt'
    (uploads / hostile).write_text("Reach Aoife Byrne at aoife.byrne@mailbox.ie\n")
    (uploads / "broken.json").write_text('{"email": "x@y.ie", ')
    with closing(sqlite3.connect(estate.parent / "crm.sqlite")) as db:
        db.execute('CREATE TABLE "<script>alert(2)</script>" ("<b>email</b>" TEXT)')
        db.execute('INSERT INTO "<script>alert(2)</script>" VALUES (?)', ("liam.walsh@inbox.pl",))
        db.commit()
    out = tmp_path / "out"
    assert privmap("scan", "-c", str(estate), "-o", str(out), "--fail-on", "none").returncode == 0
    html = (out / "report.html").read_text()
    assert "&lt;img src=x onerror=alert(1)&gt;&#34;; DROP TABLE users" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html and "&lt;b&gt;email&lt;/b&gt;" in html
    assert "<img" not in html and html.count("<script") == 1 and "<b>" not in html  # only the table script
    run = json.loads((out / "run.json").read_text())
    assert run["problems"] == 1
    assert "broken.json" in html and "corrupt" in html
    findings = json.loads((out / "findings.json").read_text())
    assert any("onerror" in f["uri"] for f in findings)  # the hostile file was still scanned


def test_a_killed_scan_resumes_without_losing_or_double_counting(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    folder = tmp_path / "notes"
    folder.mkdir()
    for i in range(150):
        (folder / f"note-{i:03d}.txt").write_text(
            f"Ticket {i}: customer{i}@mailbox.ie called from 81.2.69.{i % 250}\n" * 20
        )
    config = tmp_path / "privmap.yaml"
    config.write_text(
        "version: 1\norganization: {name: X, country: IE}\nreports: {fail_on: none}\n"
        "sources:\n  - {name: notes, type: local, region: eu-west-1, role: controller, options: {path: notes}}\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "privmap", "scan", "-c", str(config), "-o", str(tmp_path / "a")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db = tmp_path / ".privmap" / "state.db"
    deadline = time.monotonic() + 120
    done = 0
    while done < 20 and time.monotonic() < deadline:
        time.sleep(0.2)
        if db.exists():
            with closing(sqlite3.connect(db)) as con, suppress(sqlite3.OperationalError):  # schema not yet made
                done = con.execute("SELECT count(*) FROM items").fetchone()[0]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 20 <= done < 150, "the scan was not interrupted midway"

    result = privmap("scan", "-c", str(config), "-o", str(tmp_path / "b"), "--fail-on", "none")
    assert result.returncode == 0, result.stderr
    run = json.loads((tmp_path / "b" / "run.json").read_text())
    assert run["run_id"] == 1 and run["items_listed"] == 150  # the same run, completed
    findings = json.loads((tmp_path / "b" / "findings.json").read_text())
    emails = [f for f in findings if f["entity"] == "EMAIL_ADDRESS"]
    assert len(emails) == 150 and all(f["count"] == 20 for f in emails)


def test_detect_contract(tmp_path):
    lines = [
        {"id": "a", "text": "Write to anna.byrne@mailbox.ie or call +44 20 7946 0958 (phone)."},
        {"id": 7, "text": "nothing here"},
    ]
    result = privmap("detect", "--input", "-", "--output", "-", input="\n".join(json.dumps(x) for x in lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = [json.loads(x) for x in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", 7]
    text = lines[0]["text"]
    emails = [s for s in out[0]["spans"] if s["entity_type"] == "EMAIL_ADDRESS"]
    assert [text[s["start"] : s["end"]] for s in emails] == ["anna.byrne@mailbox.ie"]
    assert all({"start", "end", "entity_type", "score", "why"} <= set(s) for s in out[0]["spans"])
    assert emails[0]["why"] == "pattern EMAIL_ADDRESS"
    assert out[1]["spans"] == []
    assert "anna.byrne" not in result.stderr


def test_detect_names_a_bad_recognizer_at_its_line(tmp_path):
    config = tmp_path / "privmap.yaml"
    config.write_text(
        "version: 1\norganization: {name: T, country: IE}\nsources: [{name: f, type: local, region: eu-west-1}]\n"
        "detection:\n  presidio:\n    recognizers: [AuTfnRecognizer, NoSuchRecognizer]\n"
    )
    result = privmap("detect", "-c", str(config), input='{"id": 1, "text": "x"}\n')
    assert result.returncode == 2
    assert f"{config}:6: detection.presidio.recognizers[1]: 'NoSuchRecognizer' is not one of" in result.stderr


def test_detect_answers_every_good_line_and_names_the_bad_ones():
    good = json.dumps({"id": "ok", "text": "Mail anna.byrne@mailbox.ie"})
    lines = [
        b"\xef\xbb\xbf" + json.dumps({"id": 0, "text": "nothing here"}).encode(),  # a BOM on the first line
        b'{"id": 1}',  # no text
        b'{"id": 2, "text": ["a", "list"]}',  # not a string
        b'{"id": NaN, "text": "x"}',  # not JSON
        b'{"id": 4, "text": "caf\xe9 bad utf-8"}',
        b'{"id": 5, "text": "\\ud800 lone surrogate then bo.lind@mailbox.se"}',
        good.encode(),
    ]
    result = privmap("detect", input_bytes=b"\n".join(lines) + b"\n")
    assert result.returncode == 2, result.stderr
    out = [json.loads(x) for x in result.stdout.splitlines()]
    assert [o.get("line") for o in out] == [None, 2, 3, 4, 5, None, None]
    assert [o["id"] for o in out] == [0, 1, 2, None, None, 5, "ok"]
    assert out[0]["spans"] == [] and out[6]["spans"][0]["entity_type"] == "EMAIL_ADDRESS"
    (email,) = [s for s in out[5]["spans"] if s["entity_type"] == "EMAIL_ADDRESS"]
    assert (email["start"], email["end"]) == (22, 40)  # offsets into the text as sent (one char per surrogate)
    assert "text is missing" in out[1]["error"] and "not a string" in out[2]["error"]
    assert "4 input line(s) could not be read" in result.stderr
    assert "anna.byrne" not in result.stderr and "bo.lind" not in result.stderr


def test_plugins_version_and_help():
    assert "local" in privmap("plugins").stdout and "sqlite" in privmap("plugins").stdout
    assert privmap("--version").stdout.startswith("privmap, version")
    help_text = privmap("scan", "--help").stdout
    assert "--fail-on" in help_text and "Exit code" in help_text
