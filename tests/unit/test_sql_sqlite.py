"""SQLite through the SQL crawler: the faults a reliability probe found, fixed at their root."""

import sqlite3
from contextlib import closing

import pytest

from privmap.config import load_config
from privmap.pipeline import build_source
from privmap.scanner.sources.sql.crawler import quote_ident, split_uri, table_uri


def source_for(tmp_path, write_config, rows_per_table: int = 1000):
    config = load_config(
        write_config(
            "- {name: crm, type: sqlite, region: eu-west-1, options: {path: crm.db}}",
            f"scan: {{rows_per_table: {rows_per_table}}}\n",
        )
    )
    return build_source(config, 0)


def make_db(path, rows: int) -> None:
    with closing(sqlite3.connect(path)) as db:
        db.execute('CREATE TABLE "cust omers" (id INTEGER PRIMARY KEY, email TEXT, "na""me" TEXT)')
        db.executemany('INSERT INTO "cust omers" VALUES (?,?,?)', [(i, f"u{i}@x.ie", f"N{i}") for i in range(rows)])
        db.execute("CREATE TABLE empty (a TEXT)")
        db.commit()


def names(source):
    return [split_uri(i.location.uri)[2] for i in source.items()]


def test_lists_every_table_and_samples_rows_spread_and_deterministic(tmp_path, write_config):
    make_db(tmp_path / "crm.db", 5000)
    source = source_for(tmp_path, write_config, rows_per_table=100)
    items = list(source.items())
    assert names(source) == ["cust omers", "empty"]
    assert items[0].location.uri == f"sqlite://{tmp_path / 'crm.db'}#main.cust%20omers"
    table = source.open(items[0])
    assert list(table.columns) == ["id", "email", 'na"me']
    assert len(table.rows) == 100 and table.total_rows == 5000
    ids = [r[0] for r in table.rows]
    assert ids[0] < 500 and ids[-1] > 4000  # spread over the table, not its first rows
    assert table.rows == source.open(items[0]).rows  # deterministic


def test_opened_read_only(tmp_path, write_config):
    make_db(tmp_path / "crm.db", 3)
    source = source_for(tmp_path, write_config)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        source.connect(source.databases()[0]).execute("DELETE FROM empty")


def test_wal_commits_change_the_fingerprint_before_a_checkpoint(tmp_path, write_config):
    path = tmp_path / "crm.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA wal_autocheckpoint = 0")  # a live database: the log is not copied back
    writer.execute("CREATE TABLE users (email TEXT)")
    writer.execute("INSERT INTO users VALUES ('a@x.ie')")
    source = source_for(tmp_path, write_config)
    before = [i.fingerprint for i in source.items()]
    db_file = path.read_bytes()
    writer.execute("INSERT INTO users VALUES ('new.person@x.ie')")
    assert path.read_bytes() == db_file  # the new row is only in the write-ahead log
    after = list(source.items())
    assert [i.fingerprint for i in after] != before
    assert ("new.person@x.ie",) in source.open(after[0]).rows
    writer.close()


def test_a_hash_in_a_table_name_is_not_a_fragment_separator(tmp_path, write_config):
    with closing(sqlite3.connect(tmp_path / "crm.db")) as db:
        db.execute('CREATE TABLE "t#users" (email TEXT)')
        db.execute("CREATE TABLE users (email TEXT)")
        db.execute("INSERT INTO \"t#users\" VALUES ('hidden@x.ie')")
        db.commit()
    source = source_for(tmp_path, write_config)
    item = next(i for i in source.items() if split_uri(i.location.uri)[2] == "t#users")
    assert source.open(item).rows == [("hidden@x.ie",)]


def test_only_the_reserved_prefix_is_internal(tmp_path, write_config):
    with closing(sqlite3.connect(tmp_path / "crm.db")) as db:
        db.execute("CREATE TABLE sqlite3_customers (email TEXT)")
        db.execute("CREATE TABLE sqliteXcustomers (email TEXT)")
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT)")  # makes sqlite_sequence
        db.commit()
    assert names(source_for(tmp_path, write_config)) == ["sqlite3_customers", "sqliteXcustomers", "t"]


@pytest.mark.parametrize(
    "columns", [("privmap_rn", "email"), ("rowid", "email"), ("rowid", "_rowid_", "oid", "email")], ids=str
)
def test_user_columns_named_like_helpers_or_rowid_aliases(tmp_path, write_config, columns):
    cols = ", ".join(quote_ident(c) for c in columns)
    with closing(sqlite3.connect(tmp_path / "crm.db")) as db:
        db.execute(f"CREATE TABLE people ({cols})")
        rows = [(*(f"{c}-{i}" for c in columns[:-1]), f"p{i}@x.ie") for i in range(300)]
        db.executemany(f"INSERT INTO people VALUES ({', '.join('?' * len(columns))})", rows)
        db.commit()
    source = source_for(tmp_path, write_config, rows_per_table=50)
    [item] = source.items()
    table = source.open(item)
    assert list(table.columns) == list(columns)
    assert len(table.rows) == 50 and all(r[-1].endswith("@x.ie") for r in table.rows)


def test_without_rowid_tables_are_read(tmp_path, write_config):
    with closing(sqlite3.connect(tmp_path / "crm.db")) as db:
        db.execute("CREATE TABLE k (email TEXT PRIMARY KEY) WITHOUT ROWID")
        db.executemany("INSERT INTO k VALUES (?)", [(f"p{i}@x.ie",) for i in range(30)])
        db.commit()
    source = source_for(tmp_path, write_config, rows_per_table=10)
    [item] = source.items()
    assert len(source.open(item).rows) == 10


def test_table_uris_round_trip_hostile_names():
    for schema, name in [("public", "t#users"), ("a.b", "c.d%2E"), ("s", 'we"ird; DROP TABLE x;--'), ("é", "名前")]:
        uri = table_uri("postgres://h:5432/db", schema, name)
        assert uri.count("#") == 1
        assert split_uri(uri) == ("postgres://h:5432/db", schema, name)
