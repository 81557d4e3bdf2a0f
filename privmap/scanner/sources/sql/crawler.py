"""The crawler every SQL source shares; engines differ only in the hooks of `SqlSource`.

Listing reads the catalogue only (tables, columns with types and comments, row estimates and
change statistics), never the rows. Reading samples at most `scan.rows_per_table` rows with the
engine's cheap sampler (never a full-table sort or window function), cuts wide cells at
`max_cell_bytes` and stops at `scan.max_bytes_per_object` per table. Sessions are read-only and
have a statement timeout; every identifier is quoted. A connection lost mid-table is reopened
and the table read once more; any other failure becomes a `SourceError` whose message names the
failure (an SQLSTATE or error code) and never quotes the server's text, which may hold cell values.

Locations: `scheme://host:port/database#schema.table`, each name percent-encoded (`.`, `#` and
`%` included), the column in `field`. Credentials never appear in a URI or a message.

Change detection: a table's fingerprint is a hash of its columns and types plus the engine's
change signal. Where that signal is exact (`exact_signal`: SQLite's file and WAL state) nothing
else is needed; where it is an estimate (PostgreSQL's write counters, which are flushed lazily
and reset by `pg_stat_reset`; MySQL's `UPDATE_TIME`, lost on restart), the fingerprint also
carries the current period of `reread_after_hours`, so every table is read again at least that
often (periods are staggered per table so a database is not re-read all at once).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import json
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, ClassVar, Literal
from urllib.parse import quote, unquote

from pydantic import Field, field_validator

from privmap.config.models import parse_size
from privmap.model import Item, Location, Problem, StoreFact, Table
from privmap.retention import column_clock, value_date
from privmap.scanner.sources.base import Options, SourceBase, SourceError
from privmap.scanner.sources.network import reachability

CellKind = Literal["text", "json", "binary", "other"]
WINDOWS = 8  # key ranges a sample is spread over


@dataclass(frozen=True, slots=True)
class Column:
    """A column as the catalogue describes it; `kind` says how its cells are read."""

    name: str
    type: str  # the engine's type name, e.g. jsonb, varchar, bytea, integer[]
    kind: CellKind = "other"
    comment: str = ""


@dataclass(frozen=True, slots=True)
class TableInfo:
    """One table (or view) from the catalogue, without reading its rows."""

    schema: str
    name: str
    columns: tuple[Column, ...]
    rows: int | None  # the catalogue's row estimate; None when the engine has none
    signal: str = ""  # change statistics: write counters, last update time
    view: bool = False
    key: str | None = None  # an integer key column the sample can be spread over in ranges
    pages: int | None = None  # storage pages, for a block sampler

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


class SqlOptions(Options):
    """Options every SQL source has."""

    tables: list[str] = []  # glob patterns on `schema.table` (or `table`); empty: every table
    exclude_tables: list[str] = []
    views: bool = False  # also sample views (they may run arbitrary queries: off by default)
    statement_timeout: float = Field(30.0, gt=0)  # seconds for any one statement
    max_cell_bytes: int = 1_000_000  # a wider TEXT/BLOB/JSON cell is cut to this many bytes
    reread_after_hours: float = Field(168.0, gt=0)  # where change statistics are estimates
    # date each table's rows by its timestamp columns (created_at, last_login ...): one more sampled
    # read, of those columns only, per table and scan; the oldest date per column is the fact `row_ages`
    row_ages: bool = True
    # declare whether the server accepts connections from the internet; null: judged from its address
    publicly_reachable: bool | None = None

    _size = field_validator("max_cell_bytes", mode="before")(lambda v: parse_size(v))


class Disconnected(Exception):
    """The connection dropped (killed, server restart, network); the table may be tried again."""


def table_uri(base: str, schema: str, name: str) -> str:
    """`base#schema.table` with both names percent-encoded, so `t#users` or `a.b` stay whole."""
    return f"{base}#{_quote(schema)}.{_quote(name)}"


def split_uri(uri: str) -> tuple[str, str, str]:
    """(base, schema, table) of a `table_uri`."""
    base, _, fragment = uri.partition("#")
    schema, _, name = fragment.partition(".")
    return base, unquote(schema), unquote(name)


def _quote(name: str) -> str:
    return quote(name, safe="").replace(".", "%2E")


def quote_ident(name: str, mark: str = '"') -> str:
    """An identifier quoted for SQL: the quote character doubled inside (names are hostile input)."""
    if "\x00" in name:
        raise SourceError("unsupported", "an identifier contains a NUL character")
    return mark + name.replace(mark, mark * 2) + mark


class SqlSource(SourceBase):
    """A relational database; subclasses implement the hooks below for one engine.

    Connections are made per process (scan workers are forked) and kept for the next table;
    `items` and `posture` close theirs before returning, so no connection crosses a fork.
    """

    Options: ClassVar[type[SqlOptions]] = SqlOptions
    options: SqlOptions
    scheme: ClassVar[str]
    exact_signal: ClassVar[bool] = False  # the change signal moves with every committed write
    param: ClassVar[str] = "%s"  # the driver's placeholder
    mark: ClassVar[str] = '"'  # the identifier quote

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._conns: dict[str, Any] = {}
        self._pid = os.getpid()

    # -- hooks ---------------------------------------------------------------------------

    def server(self) -> str:
        """The `host:port` (or file path) part of URIs; never credentials."""
        raise NotImplementedError

    def databases(self) -> list[str]:
        """Names of the databases to crawl, from the options or the connection string."""
        raise NotImplementedError

    def connect(self, database: str) -> Any:
        """A DB-API connection to `database`: read-only, with the statement timeout set."""
        raise NotImplementedError

    def list_tables(self, conn: Any, database: str, only: tuple[str, str] | None = None) -> list[TableInfo]:
        """The catalogue's tables of `database` (views too when `options.views`), or just `only`."""
        raise NotImplementedError

    def cell(self, column: Column) -> str:
        """The select expression for `column`, cutting wide cells at `max_cell_bytes` on the server."""
        raise NotImplementedError

    def sample(self, cur: Any, table: TableInfo, cells: str, limit: int) -> None:
        """Execute the sampling query on `cur`; at most `limit` rows, never a full-table sort."""
        raise NotImplementedError

    def fail(self, exc: Exception) -> Exception:
        """`Disconnected`, a classified `SourceError`, or `exc` itself when it is no database error."""
        raise NotImplementedError

    def facts(self, conn: Any, database: str) -> dict[str, Any]:
        """Posture of one database: TLS, the scanning role's privileges, public schema rights."""
        return {}

    def indexed(self, conn: Any, table: TableInfo) -> set[str]:
        """Columns that lead a plain (b-tree, not partial) index of `table`: MIN() over one is an
        index lookup, not a scan. Empty when the engine cannot tell."""
        return set()

    def address(self) -> tuple[str, int] | None:
        """The (host, port) the server is reached at; None for a database that is a local file."""
        return None

    def cursor(self, conn: Any) -> Any:
        """A cursor that fetches rows as they are asked for (the byte budget holds)."""
        return conn.cursor()

    def finish(self, conn: Any) -> None:
        """End the read transaction of `open` (nothing was written: rolling back is enough)."""
        conn.rollback()

    # -- shared --------------------------------------------------------------------------

    def store(self, database: str) -> str:
        """The URI of a database: `scheme://host:port/database`."""
        return f"{self.scheme}://{self.server()}/{quote(database, safe='')}"

    def database_of(self, base: str) -> str:
        """The database a `store` URI names."""
        return unquote(base.rpartition("/")[2])

    def items(self) -> Iterator[Item]:
        listed, failure = 0, None
        for database in self.databases():
            store = self.store(database)
            try:
                with self._session(database) as conn:
                    tables = self.list_tables(conn, database)
            except Exception as exc:
                failure = self._error(exc)
                self.problems.append(Problem(Location(self.name, store), failure.kind, str(failure)))
                continue
            listed += 1
            for table in tables:
                if self._wanted(table):
                    yield self._item(store, database, table)
        if not listed and failure is not None:
            raise failure  # nothing could be listed at all: the source failed, not one database

    def open(self, item: Item) -> Table:
        base, schema, name = split_uri(item.location.uri)
        database = self.database_of(base)
        try:
            return self._read(item, database, schema, name)
        except Disconnected:
            self._drop(database)
        try:  # once more on a new connection; a second drop is recorded on the table
            return self._read(item, database, schema, name)
        except Disconnected:
            self._drop(database)
            raise SourceError("disconnected", "the connection was lost twice while reading the table") from None

    def posture(self) -> list[StoreFact]:
        """Per database: the engine's facts, whether it is publicly reachable (privmap.scanner.sources.network)
        and, with `row_ages`, the oldest date of each table's timestamp columns."""
        out = []
        address = self.address()
        network = reachability(*address, self.options.publicly_reachable) if address else {}
        for database in self.databases():
            store = self.store(database)
            try:
                with self._session(database) as conn:
                    facts = self.facts(conn, database) | network
                    if self.options.row_ages and (ages := self._row_ages(conn, store, database)):
                        facts["row_ages"] = ages
            except Exception as exc:
                err = self._error(exc)
                self.problems.append(Problem(Location(self.name, store, field="posture"), err.kind, str(err)))
                continue
            out.extend(StoreFact(self.name, store, key, value) for key, value in sorted(facts.items()))
        return out

    def _row_ages(self, conn: Any, store: str, database: str) -> dict[str, list[dict[str, Any]]]:
        """table URI -> [{column, clock, oldest (ISO date), rows, whole}] for the timestamp columns
        (privmap.retention.column_clock) of each wanted table.

        A column that leads a b-tree index (`indexed`) is dated by MIN() over it, an index lookup:
        `oldest` is the table's (`read: index`). The others come from the same sampler and budget as
        the table's read (`scan.rows_per_table` rows, the statement timeout), selecting those columns
        only: no full-table aggregate on an unindexed column. `whole` says the sample held every row,
        so `oldest` is the table's; else it is the oldest sampled row (an age past the rule is then
        certain, its absence likely only). A minimum that is no date (a sentinel such as 1900-01-01
        or MySQL's zero date) falls back to the sample. A table that cannot be read is a problem on
        its `row ages` field; the others go on."""
        out: dict[str, list[dict[str, Any]]] = {}
        limit = self.config.scan.rows_per_table
        for table in self.list_tables(conn, database):
            clocks = [(c, clock) for c in table.columns if c.kind != "binary" and (clock := column_clock(c.name))]
            if table.view or not clocks or not self._wanted(table):
                continue
            uri = table_uri(store, table.schema, table.name)
            try:
                minima = self._minima(conn, table, [c for c, _ in clocks])
                cur = self.cursor(conn)
                self.sample(cur, table, ", ".join(self.quote(c.name) for c, _ in clocks), limit)
                rows: list[tuple[Any, ...]] = []
                while len(rows) < limit and (batch := cur.fetchmany(min(500, limit - len(rows)))):
                    rows.extend(batch)
                cur.close()
                if table.rows is None:  # SQLite lists no estimate; looked up alone, its rowid range bounds the count
                    table = next(iter(self.list_tables(conn, database, only=(table.schema, table.name))), table)
                self.finish(conn)
            except Exception as exc:
                with suppress(Exception):
                    self.finish(conn)
                err = self._error(exc)
                self.problems.append(Problem(Location(self.name, uri, field="row ages"), err.kind, str(err)))
                continue
            whole = len(rows) < limit and table.rows is not None and table.rows <= len(rows)
            ages = []
            for i, (column, clock) in enumerate(clocks):
                entry = {"column": column.name, "clock": clock, "rows": len(rows), "whole": whole, "read": "sample"}
                if column.name in minima:
                    ages.append({**entry, "oldest": minima[column.name].isoformat(), "read": "index"})
                elif dates := [d for row in rows if (d := value_date(row[i])) is not None]:
                    ages.append({**entry, "oldest": min(dates).isoformat()})
            if ages:
                out[uri] = ages
        return out

    def close(self) -> None:
        """Close this process's connections (the next `open` makes new ones)."""
        for database in list(self._conns):
            self._drop(database)

    def quote(self, name: str) -> str:
        quoted = quote_ident(name, self.mark)
        # with %s placeholders a % in a name must be doubled (every statement passes parameters)
        return quoted.replace("%", "%%") if self.param == "%s" else quoted

    def key_ranges(self, lo: int, hi: int, limit: int) -> list[tuple[int, int, int]]:
        """(start, end, rows) windows spread evenly over keys [lo, hi]: a sample of the whole
        table read through its index, at most `limit` rows in all."""
        span = hi - lo + 1
        n = max(1, min(WINDOWS, limit, span))
        per = -(-limit // n)
        bounds = [lo + span * i // n for i in range(n)] + [hi + 1]
        return [(bounds[i], bounds[i + 1], per) for i in range(n) if bounds[i] < bounds[i + 1]]

    def _item(self, store: str, database: str, table: TableInfo) -> Item:
        uri = table_uri(store, table.schema, table.name)
        schema = ";".join(f"{c.name}:{c.type}" for c in table.columns)
        signal = table.signal
        if not self.exact_signal:
            period = self.options.reread_after_hours * 3600
            stagger = int(hashlib.sha256(uri.encode()).hexdigest()[:8], 16) % int(period)
            signal += f"|period {int((time.time() + stagger) // period)}"
        digest = hashlib.sha256(f"{schema}|{signal}".encode()).hexdigest()[:32]
        return Item(
            Location(self.name, uri),
            store=store,
            fingerprint=digest,
            metadata={"path": f"{database}/{table.qualified}"},
        )

    def _wanted(self, table: TableInfo) -> bool:
        names = (table.qualified, table.name)

        def match(patterns: list[str]) -> bool:
            return any(fnmatch.fnmatchcase(n, p) for n in names for p in patterns)

        if self.options.tables and not match(self.options.tables):
            return False
        return not match(self.options.exclude_tables)

    def _read(self, item: Item, database: str, schema: str, name: str) -> Table:
        try:
            conn = self._conn(database)
        except Exception as exc:
            raise self._classified(exc) from None
        try:
            found = self.list_tables(conn, database, only=(schema, name))
            if not found:
                raise SourceError("missing", "the table no longer exists")
            table = found[0]
            limit = self.config.scan.rows_per_table
            cur = self.cursor(conn)
            self.sample(cur, table, ", ".join(self.cell(c) for c in table.columns), limit)
            rows = self._fetch(cur, table.columns, limit)
            cur.close()
            self.finish(conn)
        except Exception as exc:
            with suppress(Exception):  # a dead connection cannot roll back; it is dropped instead
                self.finish(conn)
            raise self._classified(exc) from None
        comments = {c.name: c.comment for c in table.columns if c.comment}
        return Table(item.location, [c.name for c in table.columns], rows, table.rows, comments)

    def _minima(self, conn: Any, table: TableInfo, columns: list[Column]) -> dict[str, dt.date]:
        """Column -> its minimum as a date, for the columns that lead an index (one lookup each)."""
        indexed = self.indexed(conn, table)
        source = f"{self.quote(table.schema)}.{self.quote(table.name)}"
        out = {}
        for column in columns:
            if column.name not in indexed:
                continue
            cur = conn.cursor()
            cur.execute(f"SELECT MIN({self.quote(column.name)}) FROM {source}", ())
            value = cur.fetchone()[0]
            cur.close()
            if (when := value_date(value)) is not None:
                out[column.name] = when
        return out

    def _classified(self, exc: Exception) -> Exception:
        return exc if isinstance(exc, (SourceError, Disconnected)) else self.fail(exc)

    def _fetch(self, cur: Any, columns: Sequence[Column], limit: int) -> list[tuple[Any, ...]]:
        """Rows as values the extractors read, within the table's byte budget."""
        budget = self.config.scan.max_bytes_per_object
        rows: list[tuple[Any, ...]] = []
        while len(rows) < limit and budget > 0:
            batch = cur.fetchmany(min(200, limit - len(rows)))
            if not batch:
                break
            for raw in batch:
                row = tuple(cell_value(c, v) for c, v in zip(columns, raw, strict=True))
                budget -= sum(len(v) if isinstance(v, (str, bytes)) else 8 for v in raw if v is not None)
                rows.append(row)
        return rows

    def _conn(self, database: str) -> Any:
        if self._pid != os.getpid():  # a forked worker: the parent's connections are not ours to use
            self._conns, self._pid = {}, os.getpid()
        if database not in self._conns:
            self._conns[database] = self.connect(database)
        return self._conns[database]

    def _drop(self, database: str) -> None:
        conn = self._conns.pop(database, None)
        if conn is not None:
            with suppress(Exception):  # already dead: that is why it is dropped
                conn.close()

    def _session(self, database: str) -> _Session:
        return _Session(self, database)

    def _error(self, exc: Exception) -> SourceError:
        failed = self._classified(exc)
        if isinstance(failed, SourceError):
            return failed
        if isinstance(failed, Disconnected):
            return SourceError("disconnected", "the connection was lost")
        return SourceError("unreadable", type(exc).__name__)


class _Session:
    """A short-lived connection for listing and posture, closed before the caller yields."""

    def __init__(self, source: SqlSource, database: str) -> None:
        self.source, self.database, self.conn = source, database, None

    def __enter__(self) -> Any:
        self.conn = self.source.connect(self.database)
        return self.conn

    def __exit__(self, *exc: object) -> None:
        if self.conn is not None:
            with suppress(Exception):
                self.conn.close()


def cell_value(column: Column, value: Any) -> Any:
    """A cell as the extractors take it: JSON parsed (flattened into key paths later), binary
    as bytes (handed to the extractors as a Blob), everything else as it came (text, numbers)."""
    if value is None:
        return None
    if isinstance(value, (memoryview, bytearray)):
        value = bytes(value)
    if isinstance(value, bytes):
        if column.kind == "json":
            value = value.decode("utf-8", "replace")
        else:
            return value
    if isinstance(value, str) and (column.kind == "json" or value[:1] in ("{", "[")):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value  # cut at max_cell_bytes, or text that only starts like JSON
        return parsed if isinstance(parsed, (dict, list)) else value
    return value
