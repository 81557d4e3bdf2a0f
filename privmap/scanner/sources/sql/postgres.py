"""PostgreSQL (psycopg 3): the dialect hooks of the SQL crawler, and the server's posture.

Sampling: `TABLESAMPLE SYSTEM (p) REPEATABLE (0)` reads only the sampled pages (at least 64) of
a table the catalogue estimates larger than twice `rows_per_table`, and keeps `rows_per_table` of
their rows in a fixed order; smaller tables (and views, and tables never analysed) are read with
`LIMIT` alone. Sessions are read-only
(`default_transaction_read_only`) with `statement_timeout`; rows come through a server-side
cursor so the byte budget holds. The change signal is the table's write counters
(`pg_stat_all_tables`) and its file node (which TRUNCATE and VACUUM FULL change); the counters
are flushed lazily and reset by `pg_stat_reset`, so the age policy of the crawler applies too.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from pydantic import SecretStr

from privmap.scanner.sources.base import SourceError
from privmap.scanner.sources.sql.crawler import (
    CellKind,
    Column,
    Disconnected,
    SqlOptions,
    SqlSource,
    TableInfo,
    quote_ident,
)

# roles whose membership gives the power of a superuser, or writes outside the database
POWERFUL_ROLES = ("pg_execute_server_program", "pg_write_server_files", "pg_read_server_files", "pg_write_all_data")
_STATES = {
    "42501": ("denied", "permission denied"),
    "28000": ("denied", "authorization rejected"),
    "28P01": ("denied", "authentication failed"),
    "57014": ("timeout", "statement timed out or was cancelled"),
    "42P01": ("missing", "no such table"),
    "3F000": ("missing", "no such schema"),
    "3D000": ("missing", "no such database"),
}
PAGES = 64  # the fewest pages a block sample of a large table reads
_DROPPED = ("57P01", "57P02", "57P03")  # terminated by an administrator, crash shutdown, cannot connect now


class PostgresOptions(SqlOptions):
    dsn: SecretStr  # libpq URL or key=value string; usually "${ENV}"
    databases: list[str] = []  # empty: the DSN's database
    schemas: list[str] = []  # empty: every schema but the system ones


class PostgresSource(SqlSource):
    Options = PostgresOptions
    options: PostgresOptions
    scheme = "postgres"

    def _params(self) -> dict[str, Any]:
        try:
            return conninfo_to_dict(self.options.dsn.get_secret_value())
        except psycopg.ProgrammingError:
            raise SourceError("config", "the dsn is not a valid PostgreSQL connection string") from None

    def server(self) -> str:
        params = self._params()
        return f"{params.get('host') or 'localhost'}:{params.get('port') or 5432}"

    def address(self) -> tuple[str, int] | None:
        params = self._params()
        # libpq takes a list of hosts to try in turn: the first is the one normally reached
        host = str(params.get("host") or "localhost").split(",")[0]
        return host, int(str(params.get("port") or 5432).split(",")[0])

    def databases(self) -> list[str]:
        params = self._params()
        return self.options.databases or [str(params.get("dbname") or params.get("user") or "postgres")]

    def connect(self, database: str) -> Any:
        params = {**self._params(), "dbname": database, "application_name": "privmap"}
        params.setdefault("connect_timeout", max(1, int(self.options.statement_timeout)))
        conn = psycopg.connect(**params, autocommit=True)
        try:
            conn.execute("SET default_transaction_read_only = on")
            conn.execute(
                "SELECT set_config('statement_timeout', %s, false)", (str(int(self.options.statement_timeout * 1000)),)
            )
            conn.autocommit = False  # each table is read in one (read-only) transaction
        except Exception:
            conn.close()
            raise
        return conn

    def list_tables(self, conn: Any, database: str, only: tuple[str, str] | None = None) -> list[TableInfo]:
        kinds = ["r", "p", "m", "v"] if self.options.views else ["r", "p"]
        where = ["c.relkind = ANY(%s)", "NOT c.relispartition", "n.nspname <> 'information_schema'"]
        # pg_ prefixes are reserved for system schemas; a regex, as LIKE's _ is a wildcard
        where.append("n.nspname !~ '^pg_'")
        args: list[Any] = [kinds]
        if self.options.schemas:
            where.append("n.nspname = ANY(%s)")
            args.append(self.options.schemas)
        if only:
            where.append("n.nspname = %s AND c.relname = %s")
            args.extend(only)
        rows = conn.execute(
            "SELECT c.oid, n.nspname, c.relname, c.relkind, c.reltuples::bigint, c.relpages, c.relfilenode, "
            "s.n_tup_ins, s.n_tup_upd, s.n_tup_del "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid "
            f"WHERE {' AND '.join(where)} ORDER BY n.nspname, c.relname",
            args,
        ).fetchall()
        columns: dict[int, list[Column]] = {}
        for relid, name, type_name, base, category, comment in conn.execute(
            "SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), t.typname, t.typcategory, "
            "col_description(a.attrelid, a.attnum) "
            "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
            "WHERE a.attrelid = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attrelid, a.attnum",
            ([r[0] for r in rows],),
        ):
            columns.setdefault(relid, []).append(Column(name, type_name, _kind(base, category), comment or ""))
        return [
            TableInfo(
                schema,
                name,
                tuple(columns.get(oid, ())),
                estimate if estimate >= 0 else None,  # -1: never analysed
                signal=f"{node}:{ins}:{upd}:{dele}",
                view=kind in ("v", "m"),
                pages=pages,
            )
            for oid, schema, name, kind, estimate, pages, node, ins, upd, dele in rows
        ]

    def cell(self, column: Column) -> str:
        name, cap = self.quote(column.name), self.options.max_cell_bytes
        if column.kind == "binary":
            return f"substring({name} from 1 for {cap})"
        # arrays, composites, dates and the rest are read as their text form, cut on the server
        return f"left({name}::text, {cap})"

    def sample(self, cur: Any, table: TableInfo, cells: str, limit: int) -> None:
        source = f"{self.quote(table.schema)}.{self.quote(table.name)}"
        if table.view or table.rows is None or table.rows <= 2 * limit:
            cur.execute(f"SELECT {cells} FROM {source} LIMIT %s", (limit,))
            return
        # SYSTEM sampling picks whole pages: take enough of them (at least PAGES) that the sample
        # spans the table, then keep `limit` of their rows in a fixed pseudo-random order (a sort
        # of row addresses only); the rows themselves are fetched by address (a TID scan)
        percent = min(100.0, 100.0 * max(2 * limit / table.rows, PAGES / max(table.pages or 1, 1)))
        cur.execute(
            f"SELECT {cells} FROM {source} WHERE ctid = ANY(ARRAY("
            f"SELECT ctid FROM {source} TABLESAMPLE SYSTEM (%s) REPEATABLE (0) ORDER BY md5(ctid::text) LIMIT %s))",
            (percent, limit),
        )

    def indexed(self, conn: Any, table: TableInfo) -> set[str]:
        rows = conn.execute(
            """SELECT a.attname FROM pg_index i
               JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
               WHERE i.indrelid = to_regclass(%s) AND am.amname = 'btree' AND i.indpred IS NULL""",
            (f"{quote_ident(table.schema)}.{quote_ident(table.name)}",),
        ).fetchall()
        return {r[0] for r in rows}

    def cursor(self, conn: Any) -> Any:
        return conn.cursor(name="privmap_sample")  # server-side: rows arrive as they are fetched

    def fail(self, exc: Exception) -> Exception:
        if not isinstance(exc, psycopg.Error):
            return exc
        state = exc.sqlstate or ""
        if state in _DROPPED or state.startswith("08") or (isinstance(exc, psycopg.OperationalError) and not state):
            return Disconnected()
        kind, text = _STATES.get(state, ("unreadable", "database error"))
        return SourceError(kind, f"{text} ({f'SQLSTATE {state}' if state else type(exc).__name__})")

    def facts(self, conn: Any, database: str) -> dict[str, Any]:
        def one(sql: str, args: tuple[Any, ...] = ()) -> Any:
            try:
                row = conn.execute(sql, args).fetchone()
            except psycopg.Error:  # not readable by this role: the fact stays unknown
                conn.rollback()
                return None
            return row[0] if row else None

        server_ssl = one("SELECT current_setting('ssl')") == "on"
        in_use = bool(one("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"))
        plain_rules = one("SELECT count(*) FROM pg_hba_file_rules WHERE type = 'host'")
        if not server_ssl:
            tls = {"enforced": False, "evidence": "the server has ssl = off"}
        elif not in_use:
            tls = {"enforced": False, "evidence": "the scanner's own connection was accepted without TLS"}
        elif plain_rules is not None:
            tls = {
                "enforced": plain_rules == 0,
                "evidence": f"pg_hba.conf has {plain_rules} `host` rule(s) that accept connections without TLS",
            }
        else:
            tls = {"enforced": None, "evidence": "TLS in use; pg_hba.conf is not readable by the scanning role"}
        role = conn.execute(
            "SELECT rolname, rolsuper, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles "
            "WHERE rolname = current_user"
        ).fetchone()
        attributes = ("superuser", "createrole", "replication", "bypassrls")
        powers = [attr for attr, held in zip(attributes, role[1:], strict=True) if held]
        powers += [
            r
            for r in POWERFUL_ROLES
            if one("SELECT pg_has_role(current_user, oid, 'USAGE') FROM pg_roles WHERE rolname = %s", (r,))
        ]
        writable = one(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_' "
            "AND has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')"
        )
        public = one(
            "SELECT has_schema_privilege('public', n.oid, 'CREATE') FROM pg_namespace n WHERE n.nspname = 'public'"
        )
        conn.rollback()
        facts: dict[str, Any] = {
            "tls": tls,
            "scanner_role": {
                "role": role[0],
                "superuser_equivalent": powers,
                "writes": [f"INSERT, UPDATE, DELETE or TRUNCATE on {writable} table(s)"] if writable else [],
            },
        }
        if public is not None:
            facts["public_schema_create"] = bool(public)
        return facts


def _kind(base: str, category: str) -> CellKind:
    """How cells of a type are read, from its pg_type name and category (S: string types)."""
    if base in ("json", "jsonb"):
        return "json"
    return "binary" if base == "bytea" else "text" if category == "S" else "other"
