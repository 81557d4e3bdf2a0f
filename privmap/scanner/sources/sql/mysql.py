"""MySQL and MariaDB (PyMySQL): the dialect hooks of the SQL crawler, and the server's posture.

Sampling: tables with an integer first primary-key column are read in evenly spread key ranges
(`WHERE k >= ? AND k < ? ORDER BY k LIMIT n`, each an index range scan), never `ORDER BY
RAND()`; other tables, and tables the catalogue estimates at most twice `rows_per_table`,
with `LIMIT` alone. Sessions are read-only (`SET SESSION TRANSACTION READ ONLY`) with
`max_statement_time` (MariaDB) or `max_execution_time` (MySQL); rows arrive through an
unbuffered cursor. The change signal (`UPDATE_TIME`, `TABLE_ROWS`) is an estimate that InnoDB
forgets on restart, so the crawler's age policy applies. MySQL shows in `information_schema`
only the tables the scanning role holds some privilege on: grant SELECT on whole databases.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pymysql
import pymysql.cursors
from pydantic import SecretStr

from privmap.scanner.sources.base import SourceError
from privmap.scanner.sources.sql.crawler import CellKind, Column, Disconnected, SqlOptions, SqlSource, TableInfo

SYSTEM_DATABASES = ("information_schema", "mysql", "performance_schema", "sys")
_TEXT = {"char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set"}
_BINARY = {"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"}
_INTEGER = {"tinyint", "smallint", "mediumint", "int", "integer", "bigint"}
_CODES = {
    1044: ("denied", "access denied to the database"),
    1045: ("denied", "access denied"),
    1142: ("denied", "permission denied on the table"),
    1143: ("denied", "permission denied on a column"),
    1049: ("missing", "no such database"),
    1146: ("missing", "no such table"),
    1969: ("timeout", "statement timed out (max_statement_time)"),
    3024: ("timeout", "statement timed out (max_execution_time)"),
    1317: ("timeout", "statement interrupted"),
    2003: ("unreachable", "cannot connect to the server"),
    2005: ("unreachable", "unknown server host"),
}
_DROPPED = {2006, 2013, 2014, 2055, 1927, 4031, 1053}  # gone away, lost, killed, shutting down
# privileges that make the scanning role more than a reader
_POWERFUL = ("ALL PRIVILEGES", "SUPER", "FILE", "GRANT OPTION", "CREATE USER", "SHUTDOWN", "PROCESS", "RELOAD")
_WRITES = ("INSERT", "UPDATE", "DELETE", "DROP", "ALTER", "CREATE", "ALL PRIVILEGES")
_GRANT = re.compile(r"^GRANT (.+?) ON (\S+) TO .*?( WITH GRANT OPTION)?$")


class MysqlOptions(SqlOptions):
    dsn: SecretStr  # mysql://user:password@host:port/database[?ssl_ca=PATH]; usually "${ENV}"
    databases: list[str] = []  # empty: the DSN's database, else every non-system database


class MysqlSource(SqlSource):
    Options = MysqlOptions
    options: MysqlOptions
    scheme = "mysql"
    mark = "`"

    def _params(self) -> dict[str, Any]:
        url = urlsplit(self.options.dsn.get_secret_value())
        if url.scheme not in ("mysql", "mariadb"):
            raise SourceError("config", "the dsn must be a mysql:// or mariadb:// URL")
        query = parse_qs(url.query)
        params: dict[str, Any] = {
            "host": url.hostname or "localhost",
            "port": url.port or 3306,
            "user": unquote(url.username or ""),
            "password": unquote(url.password or ""),
            "database": unquote(url.path.lstrip("/")) or None,
        }
        if "ssl_ca" in query:
            params["ssl"] = {"ca": query["ssl_ca"][0]}
        return params

    def server(self) -> str:
        params = self._params()
        return f"{params['host']}:{params['port']}"

    def address(self) -> tuple[str, int] | None:
        params = self._params()
        return params["host"], int(params["port"])

    def databases(self) -> list[str]:
        if self.options.databases:
            return self.options.databases
        if named := self._params()["database"]:
            return [named]
        conn = self.connect("")
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME")
                return [r[0] for r in cur.fetchall() if r[0] not in SYSTEM_DATABASES]
        finally:
            conn.close()

    def connect(self, database: str) -> Any:
        timeout = self.options.statement_timeout
        params = {**self._params(), "database": database or None}
        conn = pymysql.connect(
            **params,
            charset="utf8mb4",
            connect_timeout=max(1, int(timeout)),
            read_timeout=int(timeout) + 30,  # a server that stops answering: the statement timeout failed
            autocommit=False,
            program_name="privmap",
        )
        try:
            with conn.cursor() as cur:
                cur.execute("SET SESSION TRANSACTION READ ONLY")
                cur.execute("SELECT VERSION()")
                if "mariadb" in cur.fetchone()[0].lower():
                    cur.execute("SET SESSION max_statement_time = %s", (timeout,))
                else:
                    cur.execute("SET SESSION max_execution_time = %s", (int(timeout * 1000),))
        except Exception:
            conn.close()
            raise
        return conn

    def list_tables(self, conn: Any, database: str, only: tuple[str, str] | None = None) -> list[TableInfo]:
        kinds = ("BASE TABLE", "VIEW") if self.options.views else ("BASE TABLE", "BASE TABLE")
        where, args = "TABLE_SCHEMA = %s", [database]
        if only:
            where += " AND TABLE_NAME = %s"
            args.append(only[1])
        with conn.cursor() as cur:
            cur.execute(
                "SELECT TABLE_NAME, TABLE_TYPE, TABLE_ROWS, UPDATE_TIME, CREATE_TIME FROM information_schema.TABLES "
                f"WHERE {where} AND TABLE_TYPE IN (%s, %s) ORDER BY TABLE_NAME",
                [*args, *kinds],
            )
            tables = cur.fetchall()
            cur.execute(
                "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, COLUMN_COMMENT, COLUMN_KEY "
                f"FROM information_schema.COLUMNS WHERE {where} ORDER BY TABLE_NAME, ORDINAL_POSITION",
                args,
            )
            columns: dict[str, list[Column]] = {}
            keys: dict[str, str] = {}
            for table, name, data_type, column_type, comment, key in cur.fetchall():
                data_type = data_type.lower()
                columns.setdefault(table, []).append(Column(name, column_type, _kind(data_type), comment or ""))
                if key == "PRI" and data_type in _INTEGER:
                    keys.setdefault(table, name)  # the first integer column of the primary key
        return [
            TableInfo(
                database,
                name,
                tuple(columns.get(name, ())),
                rows,
                signal=f"{updated}|{created}|{rows}",
                view=kind == "VIEW",
                key=keys.get(name),
            )
            for name, kind, rows, updated, created in tables
            if only is None or name == only[1]  # information_schema compares names case-insensitively
        ]

    def cell(self, column: Column) -> str:
        name = self.quote(column.name)
        if column.kind in ("text", "json", "binary"):
            return f"SUBSTRING({name}, 1, {self.options.max_cell_bytes})"
        return name

    def sample(self, cur: Any, table: TableInfo, cells: str, limit: int) -> None:
        source = f"{self.quote(table.schema)}.{self.quote(table.name)}"
        key = None if table.view else table.key
        if key is None or (table.rows is not None and table.rows <= 2 * limit):
            cur.execute(f"SELECT {cells} FROM {source} LIMIT %s", (limit,))
            return
        k = self.quote(key)
        bounds = cur.connection.cursor()
        bounds.execute(f"SELECT MIN({k}), MAX({k}) FROM {source}", ())
        lo, hi = bounds.fetchone()
        bounds.close()
        if lo is None:
            cur.execute(f"SELECT {cells} FROM {source} LIMIT %s", (limit,))
            return
        windows = self.key_ranges(int(lo), int(hi), limit)
        sql = " UNION ALL ".join(
            f"(SELECT {cells} FROM {source} WHERE {k} >= %s AND {k} < %s ORDER BY {k} LIMIT %s)" for _ in windows
        )
        cur.execute(sql, [v for w in windows for v in w])

    def indexed(self, conn: Any, table: TableInfo) -> set[str]:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s"
                " AND SEQ_IN_INDEX = 1 AND INDEX_TYPE = 'BTREE'",
                (table.schema, table.name),
            )
            return {r[0] for r in cur.fetchall()}

    def cursor(self, conn: Any) -> Any:
        return conn.cursor(pymysql.cursors.SSCursor)  # unbuffered: rows arrive as they are fetched

    def fail(self, exc: Exception) -> Exception:
        if isinstance(exc, pymysql.err.InterfaceError):
            return Disconnected()  # the socket is already closed
        if not isinstance(exc, pymysql.err.MySQLError):
            return exc
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
        if code in _DROPPED:
            return Disconnected()
        kind, text = _CODES.get(code, ("unreadable", "database error"))
        return SourceError(kind, f"{text} (error {code})")

    def facts(self, conn: Any, database: str) -> dict[str, Any]:
        with conn.cursor() as cur:
            cur.execute("SHOW SESSION STATUS WHERE Variable_name = 'Ssl_cipher'")
            row = cur.fetchone()
            in_use = bool(row and row[1])
            cur.execute("SHOW GLOBAL VARIABLES WHERE Variable_name = 'require_secure_transport'")
            row = cur.fetchone()
            required = None if row is None else row[1].upper() == "ON"
            cur.execute("SHOW GRANTS FOR CURRENT_USER()")
            grants = [r[0] for r in cur.fetchall()]
            cur.execute("SELECT CURRENT_USER()")
            user = cur.fetchone()[0]
        conn.rollback()
        if required:
            tls = {"enforced": True, "evidence": "require_secure_transport = ON"}
        elif required is False:
            how = "TLS in use on the scanner's connection" if in_use else "the scanner's own connection has no TLS"
            tls = {"enforced": False, "evidence": f"require_secure_transport = OFF; {how}"}
        else:
            tls = {"enforced": False if not in_use else None, "evidence": "require_secure_transport is not readable"}
        powers: set[str] = set()
        writes: set[str] = set()
        for grant in grants:
            m = _GRANT.match(grant)
            if not m:
                continue
            privileges = {p.strip().split("(")[0].strip().upper() for p in m.group(1).split(",")}
            if m.group(3):
                privileges.add("GRANT OPTION")
            everywhere = m.group(2) == "*.*"
            # ALL and GRANT OPTION are powers on any scope; the rest (FILE, SUPER ...) exist only globally
            powers |= {p for p in privileges & set(_POWERFUL) if everywhere or p in ("ALL PRIVILEGES", "GRANT OPTION")}
            writes |= {f"{p} ON {m.group(2)}" for p in privileges if p in _WRITES}
        return {
            "tls": tls,
            "scanner_role": {"role": user, "superuser_equivalent": sorted(powers), "writes": sorted(writes)},
        }


def _kind(data_type: str) -> CellKind:
    if data_type == "json":
        return "json"
    return "text" if data_type in _TEXT else "binary" if data_type in _BINARY else "other"
