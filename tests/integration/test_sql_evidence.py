"""Evidence the SQL sources give the compliance checks, on real PostgreSQL, MariaDB and SQLite:
row ages from timestamp columns (RET-001) and whether the server is publicly reachable (SEC-003)."""

from __future__ import annotations

import json
import re

from privmap.config import load_config
from privmap.pipeline import build_source, run
from tests.integration.sql_engines import database

ROWS = [
    (1, "anna.byrne@mail.ie", "2015-03-01 10:00:00", "2025-11-02 08:00:00", "admin"),
    (2, "liam.walsh@mail.ie", "2019-06-01 12:30:00", None, "admin"),
    (3, "chloe.murphy@mail.ie", "2026-01-15 09:00:00", "2026-02-01 10:00:00", "import"),
]


def accounts(db) -> None:
    """Accounts dated by creation and last login (and a `created_by` that is no date), and a table without dates."""
    columns = [("id", "key"), ("email", "text"), ("created_at", "time"), ("last_login", "time"), ("created_by", "text")]
    db.table("accounts", columns)
    db.insert("accounts", [c for c, _ in columns], ROWS)
    db.analyze("accounts")
    db.numbers("newsletter", 3)
    db.grant_read()


def config_of(db, write_config, extra: str = "", **options):
    source = json.dumps({**db.options, **options})
    return load_config(
        write_config(
            f"- {{name: crm, type: {db.engine}, region: eu-west-1, role: controller, options: {source}}}", extra
        )
    )


def test_row_ages_are_the_oldest_dates_of_the_timestamp_columns(db, write_config):
    accounts(db)
    source = build_source(config_of(db, write_config), 0)
    facts = {f.key: f.value for f in source.posture()}
    uri = f"{source.store(source.databases()[0])}#{db.schema}.accounts"
    assert list(facts["row_ages"]) == [uri]  # `newsletter` has no timestamp column
    ages = {a["column"]: a for a in facts["row_ages"][uri]}
    assert set(ages) == {"created_at", "last_login"}  # created_by names who, not when
    assert (ages["created_at"]["clock"], ages["created_at"]["oldest"]) == ("created", "2015-03-01")
    assert (ages["last_login"]["clock"], ages["last_login"]["oldest"]) == ("last_modified", "2025-11-02")
    assert ages["created_at"]["rows"] == 3
    assert source.problems == []


def test_row_ages_respect_the_sample_budget(db, write_config):
    accounts(db)
    source = build_source(config_of(db, write_config, "scan: {rows_per_table: 2}\n"), 0)
    ages = {f.key: f.value for f in source.posture()}["row_ages"]
    [entry] = [a for a in next(iter(ages.values())) if a["column"] == "created_at"]
    # two sampled rows: the oldest of them, said so
    assert (entry["rows"], entry["whole"], entry["read"]) == (2, False, "sample")


def test_an_indexed_timestamp_column_is_dated_by_its_minimum(db, write_config):
    accounts(db)
    db.execute(f"CREATE INDEX accounts_created ON {db.q('accounts')} ({db.q('created_at')})")
    db.insert("accounts", ["id", "email", "created_at"], [(4, "sean.kelly@mail.ie", "2012-07-04 00:00:00")])
    db.analyze("accounts")
    source = build_source(config_of(db, write_config, "scan: {rows_per_table: 1}\n"), 0)
    ages = {f.key: f.value for f in source.posture()}["row_ages"]
    by_column = {a["column"]: a for a in next(iter(ages.values()))}
    assert (by_column["created_at"]["oldest"], by_column["created_at"]["read"]) == ("2012-07-04", "index")
    assert by_column["last_login"]["read"] == "sample"  # not indexed: the one sampled row's date


def test_row_ages_can_be_turned_off(db, write_config):
    accounts(db)
    source = build_source(config_of(db, write_config, row_ages=False), 0)
    assert "row_ages" not in {f.key for f in source.posture()}


def test_a_table_older_than_its_rule_fails_ret001_naming_the_column_and_age(db, tmp_path, write_config):
    accounts(db)
    inventory = """\
        inventory:
          activities:
            - {name: Accounts, purposes: [account management], lawful_basis: contract, role: controller,
               data_subjects: [customer], data_categories: [user.contact.email], stores: [crm],
               retention: {period: P5Y, from: created, text: five years from sign-up}}
            - {name: Dormant, purposes: [reactivation], lawful_basis: legitimate_interests, role: controller,
               data_subjects: [customer], data_categories: [user.contact.email], stores: [crm],
               retention: {period: P2Y, from: last_modified, text: two years from the last login}}
        """
    config = config_of(db, write_config, inventory)
    run(config, tmp_path / "out")
    checks = json.loads((tmp_path / "out" / "checks.json").read_text())
    ret = {c["evidence"].split(":")[0]: c for c in checks if c["id"] == "RET-001"}
    accounts_ret, dormant = ret["Accounts"], ret["Dormant"]
    assert accounts_ret["status"] == "fail"
    assert "accounts: the oldest row by created_at is from 2015-03-01" in accounts_ret["evidence"]
    assert re.search(r"\(\d+ years?[^)]*old; of all 3 rows\)", accounts_ret["evidence"])
    assert "anna" not in accounts_ret["evidence"]
    assert dormant["status"] == "pass"  # the longest-idle login is from 2025-11-02: within two years


def test_a_server_on_a_loopback_address_is_not_publicly_reachable(server, write_config):
    accounts(server)
    source = build_source(config_of(server, write_config), 0)
    facts = {f.key: f.value for f in source.posture()}
    assert facts["publicly_reachable"] is False and "loopback" in facts["network"]


def test_a_declared_public_server_fails_sec003(server, tmp_path, write_config):
    accounts(server)
    run(config_of(server, write_config, publicly_reachable=True), tmp_path / "out")
    checks = json.loads((tmp_path / "out" / "checks.json").read_text())
    [sec003] = [c for c in checks if c["id"] == "SEC-003"]
    assert sec003["status"] == "fail" and "declared publicly reachable" in sec003["evidence"]


def test_sqlite_files_have_no_network_facts(tmp_path, write_config):
    with database("sqlite", tmp_path) as db:
        accounts(db)
        keys = {f.key for f in build_source(config_of(db, write_config), 0).posture()}
    assert "publicly_reachable" not in keys and "row_ages" in keys
