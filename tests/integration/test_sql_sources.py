"""The SQL crawler on real PostgreSQL, MariaDB and SQLite: the same assertions on each engine."""

from __future__ import annotations

import json
import threading
import time

import pytest

from privmap.config import ConfigError, load_config
from privmap.pipeline import build_source
from privmap.scanner.crawl import scan_item
from privmap.scanner.sources.base import SourceError
from privmap.scanner.sources.sql.crawler import split_uri

BCRYPT = "$2b$12$C6UzMDM.H6dfI/f/IKcEeO5rDbL5RkvW1pZWkEM3bYdJq2VmYH2dK"
HOSTILE_TABLE = 'we"ird; DROP TABLE x;-- t#users'
HOSTILE_COLUMN = "e-mail adresse (naïve 名前) 100%"


def source_of(db, write_config, scan: str = "", **options):
    config = load_config(
        write_config(
            f"- {{name: crm, type: {db.engine}, region: eu-west-1, role: controller, "
            f"options: {json.dumps({**db.options, **options})}}}",
            scan,
        )
    )
    return build_source(config, 0), config


def crm(db) -> None:
    """A small CRM: customers with contact data, card numbers, passwords and a JSON profile."""
    db.table(
        "customers",
        [
            ("id", "key"),
            ("full_name", "text"),
            ("email", "text"),
            ("card_number", "text"),
            ("password", "text"),
            ("password_hash", "text"),
            ("profile", "json"),
            ("attachment", "blob"),
        ],
    )
    profile = {"contact": {"email": "anna.byrne@example.ie", "phones": ["+353 87 123 4567"]}, "tier": "gold"}
    rows = [
        (
            i,
            name,
            f"{name.split()[0].lower()}.{i}@mail.ie",
            "4111 1111 1111 1111" if i % 2 else "5500 0000 0000 0004",
            f"Summer{2020 + i}!",
            BCRYPT,
            json.dumps(profile),
            f"Invoice for {name}, contact: billing.{i}@customer.ie".encode(),
        )
        for i, name in enumerate(["Anna Byrne", "Liam Walsh", "Chloe Murphy", "Sean Kelly"], start=1)
    ]
    db.insert(
        "customers",
        ["id", "full_name", "email", "card_number", "password", "password_hash", "profile", "attachment"],
        rows,
    )
    db.table(HOSTILE_TABLE, [("id", "key"), (HOSTILE_COLUMN, "text")])
    db.insert(HOSTILE_TABLE, ["id", HOSTILE_COLUMN], [(1, "eve.h@hostile.ie"), (2, "mallory@hostile.ie")])
    db.grant_read()


def by_table(items):
    return {split_uri(i.location.uri)[2]: i for i in items}


def test_crm_columns_json_paths_blobs_and_passwords(db, tmp_path, write_config, detector):
    crm(db)
    source, config = source_of(db, write_config)
    items = by_table(source.items())
    assert set(items) == {"customers", HOSTILE_TABLE}
    item = items["customers"]
    base, schema, table = split_uri(item.location.uri)
    assert (schema, table) == (db.schema, "customers")
    assert "pw-" not in item.location.uri and "@" not in base.partition("://")[2]  # never credentials
    outcome = scan_item(source, item, config.sources[0], config.scan, detector.detect)
    assert not outcome.problems
    found = {(f.location.field, f.entity) for f in outcome.findings}
    assert ("email", "EMAIL_ADDRESS") in found
    assert ("card_number", "CREDIT_CARD") in found
    assert ("profile.contact.email", "EMAIL_ADDRESS") in found  # JSON flattened into key paths
    assert ("profile.contact.phones[]", "PHONE_NUMBER") in found
    assert ("attachment", "EMAIL_ADDRESS") in found  # the blob went through the extractors
    assert ("password", "PASSWORD") in found and ("password", "PASSWORD_HASH") not in found
    assert ("password_hash", "PASSWORD_HASH") in found and ("password_hash", "PASSWORD") not in found
    previews = " ".join(f.preview for f in outcome.findings)
    assert "Summer" not in previews and "anna.byrne" not in previews


def test_hostile_names_are_quoted_and_located(db, tmp_path, write_config, detector):
    crm(db)
    source, config = source_of(db, write_config)
    item = by_table(source.items())[HOSTILE_TABLE]
    assert "#" not in item.location.uri.partition("#")[2]  # the name's own '#' is encoded
    table = source.open(item)
    assert list(table.columns) == ["id", HOSTILE_COLUMN]
    assert sorted(r[1] for r in table.rows) == ["eve.h@hostile.ie", "mallory@hostile.ie"]
    outcome = scan_item(source, item, config.sources[0], config.scan, detector.detect)
    assert {(f.location.field, f.entity) for f in outcome.findings} == {(HOSTILE_COLUMN, "EMAIL_ADDRESS")}


def test_column_comments_are_context_for_detection(server, tmp_path, write_config, detector):
    server.table("kunden", [("id", "key"), ("f7", "text")])
    server.insert("kunden", ["id", "f7"], [(i, n) for i, n in enumerate(["Byrne", "Walsh", "Murphy", "Kelly"])])
    server.comment("kunden", "f7", "Nachname des Kunden")
    server.grant_read()
    source, config = source_of(server, write_config)
    [item] = source.items()
    outcome = scan_item(source, item, config.sources[0], config.scan, detector.detect)
    [found] = outcome.findings
    assert (found.location.field, found.entity) == ("f7", "PERSON") and "Nachname" in found.why


def test_a_million_rows_are_sampled_not_read(db, tmp_path, write_config):
    db.numbers("events", 1_000_000)
    db.grant_read()
    source, _ = source_of(db, write_config, "scan: {rows_per_table: 500}\n")
    [item] = source.items()
    before = db.rows_read("events")
    table = source.open(item)
    assert 0 < len(table.rows) <= 500
    ids = sorted(int(r[0]) for r in table.rows)
    assert ids[0] < 200_000 and ids[-1] > 800_000  # spread over the whole table, not its first rows
    assert table.total_rows is not None and table.total_rows > 500_000  # from the catalogue, no COUNT(*)
    source.close()
    if before is not None:  # the server's own count (PostgreSQL): it read a sample, not the table
        assert db.rows_read("events") - before < 100_000
    assert source.open(item).rows == table.rows  # the same sample again: unchanged tables, same findings


def test_permission_denied_is_a_gap_and_the_rest_is_read(server, tmp_path, write_config, detector):
    crm(server)
    server.revoke("customers")
    source, config = source_of(server, write_config)
    items = by_table(source.items())
    denied = scan_item(source, items["customers"], config.sources[0], config.scan, detector.detect)
    assert [p.kind for p in denied.problems] == ["denied"] and not denied.findings
    assert "anna" not in denied.problems[0].message.lower()
    fine = scan_item(source, items[HOSTILE_TABLE], config.sources[0], config.scan, detector.detect)
    assert fine.findings and not fine.problems


def test_a_killed_connection_is_reopened_and_the_table_read_again(server, tmp_path, write_config):
    crm(server)
    source, _ = source_of(server, write_config)
    items = by_table(source.items())
    source.open(items["customers"])
    [pid] = server.scanner_pids()
    server.kill(pid)
    table = source.open(items[HOSTILE_TABLE])  # the dead connection is noticed, reopened, the table read
    assert len(table.rows) == 2
    assert server.scanner_pids() != [pid]


def test_a_connection_lost_twice_is_recorded(server, tmp_path, write_config, detector):
    crm(server)
    source, config = source_of(server, write_config)
    item = by_table(source.items())["customers"]
    connect = source.connect

    def connect_then_die(database):
        conn = connect(database)
        for pid in server.scanner_pids():
            server.kill(pid)
        return conn

    source.connect = connect_then_die
    outcome = scan_item(source, item, config.sources[0], config.scan, detector.detect)
    assert [p.kind for p in outcome.problems] == ["disconnected"]


def test_a_connection_killed_mid_statement(server, tmp_path, write_config):
    crm(server)
    source, _ = source_of(server, write_config)
    item = by_table(source.items())["customers"]
    killed = []

    def killer():
        deadline = time.monotonic() + 20
        while not killed and time.monotonic() < deadline:
            for pid in server.scanner_pids():
                server.kill(pid)
                killed.append(pid)
            time.sleep(0.005)

    thread = threading.Thread(target=killer)
    thread.start()
    try:
        try:
            table = source.open(item)
        except SourceError as exc:  # killed on both tries
            assert exc.kind == "disconnected"
        else:
            assert len(table.rows) == 4
    finally:
        killed.append(-1)
        thread.join()


def test_statement_timeout_is_recorded(db, tmp_path, write_config, detector):
    crm(db)
    slow = {
        "postgres": "CREATE VIEW slow AS SELECT pg_sleep(5)::text AS s",
        "mysql": "CREATE VIEW slow AS SELECT BENCHMARK(1000000000, SHA2('x', 512)) AS s",
        "sqlite": "CREATE VIEW slow AS WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
        "WHERE n < 1000000000) SELECT max(n) AS s FROM c",
    }[db.engine]
    db.execute(slow)
    db.grant_read()
    source, config = source_of(db, write_config, views=True, statement_timeout=0.5)
    item = by_table(source.items())["slow"]
    outcome = scan_item(source, item, config.sources[0], config.scan, detector.detect)
    assert [p.kind for p in outcome.problems] == ["timeout"]


def test_sessions_are_read_only(db, tmp_path, write_config):
    crm(db)
    if db.engine != "sqlite":
        db.grant_write("customers")  # even a role that may write cannot, through the scanner
    source, _ = source_of(db, write_config)
    conn = source.connect(source.databases()[0])
    with pytest.raises(Exception, match=r"(?i)read.?only"):
        cur = conn.cursor()
        cur.execute(
            f"DELETE FROM {source.quote(db.schema)}.{source.quote('customers')}"
            if db.engine != "sqlite"
            else 'DELETE FROM "customers"'
        )
    conn.close()


def test_fingerprint_follows_writes(db, tmp_path, write_config):
    crm(db)
    source, _ = source_of(db, write_config)
    before = {i.location.uri: i.fingerprint for i in source.items()}
    assert before == {i.location.uri: i.fingerprint for i in source.items()}  # stable when nothing changes
    db.insert(HOSTILE_TABLE, ["id", HOSTILE_COLUMN], [(3, "trent@hostile.ie")])
    db.settle()
    after = {i.location.uri: i.fingerprint for i in source.items()}
    changed = {split_uri(u)[2] for u in after if after[u] != before[u]}
    assert HOSTILE_TABLE in changed


def test_reread_policy_where_statistics_are_estimates(db, tmp_path, write_config, monkeypatch):
    crm(db)
    source, _ = source_of(db, write_config, reread_after_hours=1)
    now = time.time()
    first = [i.fingerprint for i in source.items()]
    monkeypatch.setattr(time, "time", lambda: now + 3600)
    later = [i.fingerprint for i in source.items()]
    if source.exact_signal:
        assert later == first  # SQLite's file state is exact: no re-read for age alone
    else:
        assert all(a != b for a, b in zip(first, later, strict=True))  # re-read at least once an hour


def test_posture_facts(server, tmp_path, write_config):
    crm(server)
    source, _ = source_of(server, write_config)
    facts = {f.key: f.value for f in source.posture()}
    assert facts["tls"]["enforced"] is False  # the test servers accept plain connections
    assert facts["scanner_role"]["superuser_equivalent"] == []
    assert facts["scanner_role"]["writes"] == []
    server.grant_write("customers")
    facts = {f.key: f.value for f in source.posture()}
    assert facts["scanner_role"]["writes"]


def test_unreachable_server_fails_the_source_without_credentials(db, tmp_path, write_config):
    if db.engine == "sqlite":
        source, _ = source_of(db, write_config, path=str(tmp_path / "absent.db"))
    else:
        scheme = "postgresql" if db.engine == "postgres" else "mysql"
        source, _ = source_of(
            db, write_config, dsn=f"{scheme}://someone:s3cret-pw@127.0.0.1:1/{db.name}", statement_timeout=2
        )
    with pytest.raises(SourceError) as info:
        list(source.items())
    assert "s3cret" not in str(info.value)
    assert info.value.kind in ("unreachable", "missing", "disconnected")


def test_source_options_are_strict(db, tmp_path, write_config):
    with pytest.raises(ConfigError, match="unknown option"):
        source_of(db, write_config, rows=3)


def test_a_scan_of_a_database_reports_findings_checks_and_posture_without_credentials(
    server, tmp_path, write_config, caplog
):
    from privmap.pipeline import run

    crm(server)
    # two forked workers: each opens its own connections (none is open in the parent when they fork)
    source, config = source_of(server, write_config, "scan: {workers: 2}\n")
    result = run(config, tmp_path / "out")
    assert result.run_errors == 0
    findings = json.loads((tmp_path / "out" / "findings.json").read_text())
    emails = [f for f in findings if f["field"] == "email" and f["entity"] == "EMAIL_ADDRESS"]
    assert emails and emails[0]["uri"] == f"{source.store(server.name)}#{server.schema}.customers"
    checks = {(c["id"], c["subject"]): c["status"] for c in json.loads((tmp_path / "out" / "checks.json").read_text())}
    store = f"store:{source.store(server.name)}"
    assert checks[("SEC-009", store)] == "fail"  # the plaintext password column
    assert checks[("SPC-005", store)] == "fail"  # full card numbers
    assert checks[("SEC-005", store)] == "fail"  # the test server accepts connections without TLS
    assert checks[("SEC-010", store)] == "pass"  # the README's grants are read-only
    secret = f"pw-{server.tag}"
    for path in (tmp_path / "out").rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert secret not in text and "Summer2021" not in text, path.name
    assert secret not in caplog.text


def test_tables_differing_only_in_case_stay_apart(server, tmp_path, write_config):
    for name, count in (("Users", 1), ("users", 2)):
        server.table(name, [("id", "key"), ("email", "text")])
        server.insert(name, ["id", "email"], [(i, f"{name}{i}@x.ie") for i in range(count)])
    server.grant_read()
    source, _ = source_of(server, write_config)
    items = by_table(source.items())
    assert {name: len(source.open(item).rows) for name, item in items.items()} == {"Users": 1, "users": 2}
