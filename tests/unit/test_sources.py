import io
import os
import sqlite3
from contextlib import closing

import pytest

from privmap.config import ConfigError
from privmap.model import Blob
from privmap.pipeline import build_source
from privmap.scanner.extractors import Context
from privmap.scanner.extractors.base import sample
from privmap.scanner.sources.base import RangeFile, SourceError, read_sampled, sample_ranges


def make_db(path, rows: int) -> None:
    with closing(sqlite3.connect(path)) as db:
        db.execute('CREATE TABLE "cust omers" (id INTEGER PRIMARY KEY, email TEXT, "na""me" TEXT)')
        db.executemany('INSERT INTO "cust omers" VALUES (?,?,?)', [(i, f"u{i}@x.ie", f"N{i}") for i in range(rows)])
        db.execute("CREATE TABLE empty (a TEXT)")
        db.commit()


def sqlite_config(tmp_path, write_config, rows_per_table: int = 1000):
    from privmap.config import load_config

    return load_config(
        write_config(
            "- {name: crm, type: sqlite, region: eu-west-1, options: {path: crm.db}}",
            f"scan: {{rows_per_table: {rows_per_table}}}\n",
        )
    )


def test_sqlite_lists_every_table_and_samples_rows(tmp_path, write_config):
    make_db(tmp_path / "crm.db", 5000)
    source = build_source(sqlite_config(tmp_path, write_config, rows_per_table=100), 0)
    items = list(source.items())
    assert [i.location.uri.rpartition("#")[2] for i in items] == ["cust omers", "empty"]
    table = source.open(items[0])
    assert list(table.columns) == ["id", "email", 'na"me']
    assert len(table.rows) == 100 and table.total_rows == 5000
    ids = [r[0] for r in table.rows]
    assert ids[0] > 0 and ids[-1] > 4000  # spread over the table, not its first rows
    assert table.rows == source.open(items[0]).rows  # deterministic


def test_sqlite_is_opened_read_only(tmp_path, write_config):
    make_db(tmp_path / "crm.db", 3)
    source = build_source(sqlite_config(tmp_path, write_config), 0)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        source._connect().execute("DELETE FROM empty")


def test_sqlite_fingerprint_changes_with_a_write(tmp_path, write_config):
    make_db(tmp_path / "crm.db", 3)
    source = build_source(sqlite_config(tmp_path, write_config), 0)
    before = [i.fingerprint for i in source.items()]
    with closing(sqlite3.connect(tmp_path / "crm.db")) as db:
        db.execute("INSERT INTO empty VALUES ('x')")
        db.commit()
    os.utime(tmp_path / "crm.db", ns=(1, 1))
    assert [i.fingerprint for i in source.items()] != before


def test_local_lists_sorted_and_skips_links(tmp_path, local_config):
    data = tmp_path / "data"
    (data / "b").mkdir()
    (data / "b" / "z.txt").write_text("z")
    (data / "a.txt").write_text("a")
    (data / "link.txt").symlink_to(data / "a.txt")
    source = build_source(local_config(), 0)
    paths = [i.metadata["path"] for i in source.items()]
    assert paths == ["a.txt", "b/z.txt"]


def test_local_open_reads_within_the_byte_budget(tmp_path, local_config):
    (tmp_path / "data" / "big.log").write_bytes(b"x" * 100_000)
    source = build_source(local_config("scan: {max_bytes_per_object: 10KB}\n"), 0)
    [item] = source.items()
    blob = source.open(item)
    assert isinstance(blob, Blob) and blob.truncated and len(blob.data) <= 10_000  # the head, to sniff
    data, truncated = sample(blob, Context.for_item(source.config.scan))
    assert truncated and len(data) <= 10_000 + 8 and blob.reader.bytes_read <= 15_000
    blob.reader.close()


def test_a_range_file_reads_blocks_within_its_budget(tmp_path, local_config):
    (tmp_path / "data" / "big.bin").write_bytes(bytes(range(256)) * 4096)  # 1 MiB
    source = build_source(local_config(), 0)
    [item] = source.items()
    reader = source.reader(item)
    fh = RangeFile(reader, budget=300_000, block=100_000)
    fh.seek(-10, io.SEEK_END)
    assert fh.read() == (bytes(range(256)) * 4096)[-10:]
    fh.seek(5)
    assert fh.read(3) == bytes([5, 6, 7]) and reader.bytes_read == 148_576
    with pytest.raises(SourceError, match="read in part") as info:
        fh.seek(500_000)
        fh.read(300_000)
    assert info.value.kind == "too-large"
    reader.close()


def test_sample_ranges_cover_head_and_spread():
    assert sample_ranges(100, 1000) == [(0, 100)]
    ranges = sample_ranges(1_000_000, 10_000)
    assert ranges[0] == (0, 5000)
    assert sum(e - s for s, e in ranges) <= 10_000
    assert ranges[-1][1] > 900_000


def test_read_sampled_joins_windows():
    data = bytes(range(256)) * 100
    out, truncated = read_sampled(lambda s, e: data[s:e], len(data), 1000)
    assert truncated and out.startswith(data[:500])


def test_unknown_source_type_and_bad_options_are_config_errors(tmp_path, write_config):
    from privmap.config import load_config

    config = load_config(write_config("- {name: x, type: ftp, region: eu-west-1}"))
    with pytest.raises(ConfigError, match=r"privmap.yaml:4: sources\[0\].type: unknown source type 'ftp'"):
        build_source(config, 0)
    config = load_config(write_config("- {name: x, type: local, region: eu-west-1, options: {pth: data}}"))
    with pytest.raises(ConfigError) as info:
        build_source(config, 0)
    assert "sources[0].options.pth: unknown option" in str(info.value)
    assert "sources[0].options.path: Field required" in str(info.value)
    config = load_config(write_config("- {name: x, type: local, options: {path: data}}"))
    with pytest.raises(ConfigError, match="needs `region`"):
        build_source(config, 0)
