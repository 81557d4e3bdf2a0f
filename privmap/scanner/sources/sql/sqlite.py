"""SQLite databases through the SQL crawler: opened read-only (`mode=ro`, `query_only`).

Internal tables are those whose name starts with `sqlite_` exactly (SQLite reserves that
prefix); LIKE is never used, as its `_` is a wildcard that also matches `sqlite3_customers`.
Sampling spreads over the table in rowid ranges (cheap lookups in the table's own b-tree);
a WITHOUT ROWID table, or one whose columns shadow every rowid alias, is read from its first
rows. The change signal is exact: the database file's and its write-ahead log's size and
modification time, so rows committed to a live WAL database are seen before any checkpoint.
A statement runs at most `statement_timeout` seconds (a progress handler interrupts it).
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from privmap.scanner.sources.base import SourceError
from privmap.scanner.sources.sql.crawler import Column, Disconnected, SqlOptions, SqlSource, TableInfo

ROWID_ALIASES = ("rowid", "_rowid_", "oid")


class SqliteOptions(SqlOptions):
    path: str


class SqliteSource(SqlSource):
    Options = SqliteOptions
    options: SqliteOptions
    scheme = "sqlite"
    exact_signal = True
    param = "?"

    @property
    def path(self) -> Path:
        return self.config.resolve(self.options.path).resolve()

    def server(self) -> str:
        return ""

    def databases(self) -> list[str]:
        return [str(self.path)]

    def store(self, database: str) -> str:
        return "sqlite://" + Path(database).as_uri().removeprefix("file://")  # '#' and '%' percent-encoded

    def database_of(self, base: str) -> str:
        return unquote(base.removeprefix("sqlite://"))

    def connect(self, database: str) -> Any:
        path = Path(database)
        if not path.is_file():
            raise FileNotFoundError(f"database {path} does not exist")
        # mode=ro: read-only by construction, even on a misbehaving extractor
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        conn.execute("PRAGMA query_only = ON")
        limit = self.options.statement_timeout
        started = [time.monotonic()]
        conn.set_trace_callback(lambda _: started.__setitem__(0, time.monotonic()))
        conn.set_progress_handler(lambda: int(time.monotonic() - started[0] > limit), 10_000)
        return conn

    def list_tables(self, conn: Any, database: str, only: tuple[str, str] | None = None) -> list[TableInfo]:
        kinds = ("table", "view") if self.options.views else ("table",)
        sql, args = "SELECT name, type FROM sqlite_schema WHERE type IN (?, ?)", [kinds[0], kinds[-1]]
        if only:  # one table: looked up by name, not found among all of them
            sql, args = sql + " AND name = ?", [*args, only[1]]
        rows = conn.execute(sql + " ORDER BY name", args).fetchall()
        signal = file_signal(Path(database))
        tables = []
        for name, kind in rows:
            if name.startswith("sqlite_") or (only and only != ("main", name)):
                continue  # the reserved prefix, compared exactly (never with LIKE)
            columns = tuple(
                Column(col, decl or "", _kind(decl or ""))
                for col, decl in conn.execute("SELECT name, type FROM pragma_table_xinfo(?) ORDER BY cid", (name,))
            )
            table = TableInfo("main", name, columns, None, signal=signal, view=kind == "view")
            if only:  # reading it: the rowid range bounds its size (no COUNT(*) over the table)
                bounds = self._bounds(conn, table)
                table = replace(table, rows=bounds[2] - bounds[1] + 1 if bounds else None)
            tables.append(table)
        return tables

    def cell(self, column: Column) -> str:
        name, cap = self.quote(column.name), self.options.max_cell_bytes
        # SQLite's types are per value: cut only the text and blob ones (substr counts characters in text)
        return f"CASE WHEN typeof({name}) IN ('text', 'blob') THEN substr({name}, 1, {cap}) ELSE {name} END"

    def indexed(self, conn: Any, table: TableInfo) -> set[str]:
        found = set()
        for _, index, _, _, partial in conn.execute("SELECT * FROM pragma_index_list(?)", (table.name,)).fetchall():
            if not partial:
                first = conn.execute("SELECT name FROM pragma_index_info(?) WHERE seqno = 0", (index,)).fetchone()
                if first and first[0] is not None:  # None: an index on an expression
                    found.add(first[0])
        return found

    def sample(self, cur: Any, table: TableInfo, cells: str, limit: int) -> None:
        source = self.quote(table.name)
        bounds = self._bounds(cur, table)
        if not bounds or bounds[2] - bounds[1] < limit:
            cur.execute(f"SELECT {cells} FROM {source} LIMIT ?", (limit,))
            return
        alias, lo, hi = bounds
        windows = self.key_ranges(lo, hi, limit)
        sql = " UNION ALL ".join(
            f"SELECT * FROM (SELECT {cells} FROM {source} WHERE {alias} >= ? AND {alias} < ? ORDER BY {alias} LIMIT ?)"
            for _ in windows
        )
        cur.execute(sql, [v for w in windows for v in w])

    def _bounds(self, conn: Any, table: TableInfo) -> tuple[str, int, int] | None:
        """(rowid alias, lowest, highest rowid): two b-tree lookups. None for a view, a WITHOUT ROWID
        table, an empty one, or one whose own columns are named like every rowid alias."""
        names = {c.name.lower() for c in table.columns}
        alias = next((a for a in ROWID_ALIASES if a not in names), None)
        if alias is None or table.view:
            return None
        try:
            source = self.quote(table.name)
            # one aggregate per SELECT: SQLite answers a lone min() or max() from the b-tree, both at once by a scan
            lo, hi = conn.execute(
                f"SELECT (SELECT min({alias}) FROM {source}), (SELECT max({alias}) FROM {source})"
            ).fetchone()
        except sqlite3.OperationalError as exc:
            if "no such column" in str(exc):
                return None  # WITHOUT ROWID
            raise
        return (alias, lo, hi) if isinstance(lo, int) and isinstance(hi, int) else None

    def fail(self, exc: Exception) -> Exception:
        if isinstance(exc, FileNotFoundError):
            return SourceError("missing", "the database file does not exist")
        if not isinstance(exc, sqlite3.Error):
            return exc
        text = str(exc)
        if text == "interrupted":
            return SourceError("timeout", f"a statement ran longer than {self.options.statement_timeout:g} s")
        if "no such table" in text:
            return SourceError("missing", "no such table")
        if "locked" in text or "busy" in text:
            return SourceError("busy", "the database is locked")
        if isinstance(exc, sqlite3.DatabaseError) and ("not a database" in text or "malformed" in text):
            return SourceError("corrupt", "the file is not a valid SQLite database")
        if "unable to open" in text:
            return SourceError("denied", "the database file cannot be opened")
        if isinstance(exc, sqlite3.ProgrammingError) and "closed" in text:
            return Disconnected()
        return SourceError("unreadable", f"SQLite error ({type(exc).__name__})")


def file_signal(path: Path) -> str:
    """The state of the database file and of its write-ahead log: size, modification time, the
    file change counter of the database header and the checkpoint counter and salts of the log
    header. A commit to a WAL database changes only the log until a checkpoint copies it back."""
    parts = []
    for suffix, header in (("", slice(24, 28)), ("-wal", slice(12, 24))):
        p = path.with_name(path.name + suffix)
        try:
            with p.open("rb") as fh:
                head = fh.read(100)[header]
                st = os.fstat(fh.fileno())
        except FileNotFoundError:
            continue
        parts.append(f"{suffix or 'db'}:{st.st_size}:{st.st_mtime_ns}:{head.hex()}")
    return "|".join(parts)


def _kind(declared: str) -> str:
    """SQLite's type affinity rules, reduced to how cells are read."""
    decl = declared.upper()
    if "JSON" in decl:
        return "json"
    if "CHAR" in decl or "CLOB" in decl or "TEXT" in decl:
        return "text"
    if "BLOB" in decl or not decl:
        return "binary"
    return "other"
