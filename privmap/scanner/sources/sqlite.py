"""SQLite databases: every table, sampled rows, opened read-only."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import closing

from privmap.model import Item, Location, Table
from privmap.scanner.sources.base import Options, SourceBase


class SqliteOptions(Options):
    path: str
    tables: list[str] = []  # empty: every table


class SqliteSource(SourceBase):
    Options = SqliteOptions

    def _connect(self) -> sqlite3.Connection:
        path = self.config.resolve(self.options.path).resolve()
        if not path.is_file():
            raise FileNotFoundError(f"database {path} does not exist")
        # mode=ro: scanning is read-only by construction, even on a misbehaving extractor
        return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)

    def items(self) -> Iterator[Item]:
        path = self.config.resolve(self.options.path).resolve()
        store = f"sqlite://{path}"
        st = path.stat()
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            ).fetchall()
        for name, sql in rows:
            if self.options.tables and name not in self.options.tables:
                continue
            # any write changes the file's mtime: conservative, and needs no table scan to list
            digest = hashlib.sha256(f"{sql}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:32]
            yield Item(Location(self.name, f"{store}#{name}"), store=store, fingerprint=digest)

    def open(self, item: Item) -> Table:
        table = item.location.uri.rpartition("#")[2]
        limit = self.config.scan.rows_per_table
        quoted = '"' + table.replace('"', '""') + '"'
        with closing(self._connect()) as db:
            columns = [r[1] for r in db.execute(f"PRAGMA table_info({quoted})")]
            total = db.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0]
            cols = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
            if total <= limit:
                rows = db.execute(f"SELECT {cols} FROM {quoted}").fetchall()
            else:
                # evenly spaced rows: deterministic, so unchanged tables give the same findings
                step = total // limit
                rows = db.execute(
                    f"SELECT {cols} FROM (SELECT {cols}, row_number() OVER () AS privmap_rn FROM {quoted}) "
                    f"WHERE privmap_rn % ? = 0 LIMIT ?",
                    (step, limit),
                ).fetchall()
        return Table(item.location, columns, rows, total)
