"""Throw-away databases on the three engines, built through one interface so each test runs on all.

PostgreSQL (127.0.0.1:5432, trust auth) and MariaDB (127.0.0.1:3306, root without password) run
on the machine; each database and scanning role made here has a unique name and is dropped
afterwards. The scanning role gets the grants the README gives for least privilege; SQLite is a
file in the test's folder.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from pathlib import Path
from typing import Any

# generic column types -> each engine's spelling
TYPES = {
    "postgres": {
        "key": "bigint PRIMARY KEY",
        "int": "bigint",
        "text": "text",
        "json": "jsonb",
        "blob": "bytea",
        "time": "timestamp",
    },
    "mysql": {
        "key": "BIGINT PRIMARY KEY",
        "int": "BIGINT",
        "text": "TEXT",
        "json": "JSON",
        "blob": "LONGBLOB",
        "time": "DATETIME",
    },
    "sqlite": {
        "key": "INTEGER PRIMARY KEY",
        "int": "INTEGER",
        "text": "TEXT",
        "json": "TEXT",
        "blob": "BLOB",
        "time": "TEXT",  # ISO 8601 text, as SQLite applications store timestamps
    },
}
ENGINES = tuple(TYPES)
SERVERS = ("postgres", "mysql")
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
MY = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}


class Database:
    """One empty database and a scanning role that may read it; `options` configure a source on it."""

    def __init__(self, engine: str, tmp_path: Path) -> None:
        self.engine = engine
        self.tag = uuid.uuid4().hex[:10]
        self.name = f"privmap_t_{self.tag}"
        self.role = f"privmap_scan_{self.tag}"
        self.mark = "`" if engine == "mysql" else '"'
        self.param = "?" if engine == "sqlite" else "%s"
        self.path = tmp_path / f"{self.name}.db"
        self.conn: Any = None

    # -- life cycle ----------------------------------------------------------------------

    def create(self) -> Database:
        if self.engine == "postgres":
            import psycopg

            with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{self.name}"')
                admin.execute(f'CREATE ROLE "{self.role}" LOGIN')
            self.conn = psycopg.connect(**PG, dbname=self.name, autocommit=True)
        elif self.engine == "mysql":
            import pymysql

            self.conn = pymysql.connect(**MY, autocommit=True, charset="utf8mb4")
            self.execute(f"CREATE DATABASE `{self.name}` CHARACTER SET utf8mb4")
            self.execute(f"CREATE USER '{self.role}'@'%%' IDENTIFIED BY 'pw-{self.tag}'")
            self.execute(f"USE `{self.name}`")
        else:
            self.conn = sqlite3.connect(self.path, isolation_level=None)
        return self

    def grant_read(self) -> None:
        """The README's least-privilege grants for the scanning role (after the tables exist)."""
        if self.engine == "postgres":
            self.execute(f'GRANT CONNECT ON DATABASE "{self.name}" TO "{self.role}"')
            self.execute(f'GRANT USAGE ON SCHEMA public TO "{self.role}"')
            self.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{self.role}"')
        elif self.engine == "mysql":
            self.execute(f"GRANT SELECT, SHOW VIEW ON `{self.name}`.* TO '{self.role}'@'%%'")

    def revoke(self, table: str) -> None:
        """Take reading `table` away from the scanning role (which still sees that it exists)."""
        if self.engine == "postgres":
            self.execute(f'REVOKE SELECT ON {self.q(table)} FROM "{self.role}"')
        elif self.engine == "mysql":  # grants are per database: grant the other tables one by one
            self.execute(f"REVOKE ALL PRIVILEGES, GRANT OPTION FROM '{self.role}'@'%%'")
            for (name,) in self.execute("SHOW TABLES"):
                what = "INSERT" if name == table else "SELECT"  # INSERT alone: listed, not readable
                self.execute(f"GRANT {what} ON {self.q(self.name)}.{self.q(name)} TO '{self.role}'@'%%'")

    def comment(self, table: str, column: str, text: str) -> None:
        """A column comment (SQLite has none); `column` must be of the generic type text."""
        if self.engine == "postgres":
            literal = "'" + text.replace("'", "''") + "'"  # COMMENT takes no parameters
            self.execute(f"COMMENT ON COLUMN {self.q(table)}.{self.q(column)} IS {literal}")
        elif self.engine == "mysql":
            self.execute(f"ALTER TABLE {self.q(table)} MODIFY {self.q(column)} TEXT COMMENT %s", (text,))

    def grant_write(self, table: str) -> None:
        if self.engine == "postgres":
            self.execute(f'GRANT INSERT, UPDATE, DELETE ON {self.q(table)} TO "{self.role}"')
        elif self.engine == "mysql":
            self.execute(f"GRANT INSERT, DELETE ON {self.q(self.name)}.{self.q(table)} TO '{self.role}'@'%%'")

    def settle(self) -> None:
        """Make this connection's writes visible in the server's statistics now."""
        if self.engine == "postgres":
            self.execute("SELECT pg_stat_force_next_flush()")
            self.execute("SELECT 1")

    def rows_read(self, table: str) -> int | None:
        """Rows the server has read from `table` so far (PostgreSQL's statistics; None elsewhere).
        The scanner's connections must be closed first: a backend flushes its counts as it ends."""
        if self.engine != "postgres":
            return None
        for _ in range(100):
            if not self.scanner_pids():
                break
            time.sleep(0.05)
        self.execute("SELECT pg_stat_clear_snapshot()")
        [(count,)] = self.execute(
            "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_user_tables WHERE relname = %s",
            (table,),
        )
        return int(count)

    def drop(self) -> None:
        with suppress(Exception):
            self.conn.close()
        if self.engine == "postgres":
            import psycopg

            with psycopg.connect(**PG, dbname="postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
                admin.execute(f'DROP ROLE IF EXISTS "{self.role}"')
        elif self.engine == "mysql":
            import pymysql

            with closing(pymysql.connect(**MY, autocommit=True)) as admin, admin.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{self.name}`")
                cur.execute(f"DROP USER IF EXISTS '{self.role}'@'%'")

    # -- building ------------------------------------------------------------------------

    @property
    def options(self) -> dict[str, Any]:
        if self.engine == "postgres":
            return {"dsn": f"postgresql://{self.role}@127.0.0.1:5432/{self.name}"}
        if self.engine == "mysql":
            return {"dsn": f"mysql://{self.role}:pw-{self.tag}@127.0.0.1:3306/{self.name}"}
        return {"path": str(self.path)}

    @property
    def schema(self) -> str:
        return {"postgres": "public", "mysql": self.name, "sqlite": "main"}[self.engine]

    def q(self, name: str) -> str:
        quoted = self.mark + name.replace(self.mark, self.mark * 2) + self.mark
        return quoted if self.engine == "sqlite" else quoted.replace("%", "%%")  # every statement has parameters

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        if self.engine == "mysql":
            with self.conn.cursor() as cur:
                cur.execute(sql, tuple(params))
                return list(cur.fetchall())
        cur = self.conn.execute(sql, tuple(params))
        return list(cur.fetchall()) if cur.description else []

    def table(self, name: str, columns: Sequence[tuple[str, str]]) -> None:
        """CREATE TABLE with generic types (key, int, text, json, blob, time)."""
        types = TYPES[self.engine]
        self.execute(f"CREATE TABLE {self.q(name)} ({', '.join(f'{self.q(c)} {types[t]}' for c, t in columns)})")

    def insert(self, name: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        marks = ", ".join([self.param] * len(columns))
        sql = f"INSERT INTO {self.q(name)} ({', '.join(map(self.q, columns))}) VALUES ({marks})"
        if self.engine == "sqlite":
            self.conn.executemany(sql, rows)
        else:
            with self.conn.cursor() as cur:
                cur.executemany(sql, rows)

    def numbers(self, name: str, count: int) -> None:
        """A table `name` (id key, email text) of `count` rows, generated on the server."""
        self.table(name, [("id", "key"), ("email", "text")])
        target = self.q(name)
        if self.engine == "postgres":
            self.execute(
                f"INSERT INTO {target} SELECT n, 'user' || n || '@example.org' FROM generate_series(0, {count - 1}) n"
            )
        elif self.engine == "mysql":  # MariaDB's sequence engine
            self.execute(
                f"INSERT INTO {target} SELECT seq, CONCAT('user', seq, '@example.org') FROM seq_0_to_{count - 1}"
            )
        else:
            self.execute(
                f"WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c WHERE n < {count - 1}) "
                f"INSERT INTO {target} SELECT n, 'user' || n || '@example.org' FROM c"
            )
        self.analyze(name)

    def analyze(self, name: str) -> None:
        if self.engine == "postgres":
            self.execute(f"ANALYZE {self.q(name)}")
        elif self.engine == "mysql":
            self.execute(f"ANALYZE TABLE {self.q(name)}")

    def scanner_pids(self) -> list[int]:
        """Server-side ids of the scanner's open connections."""
        if self.engine == "postgres":
            rows = self.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND usename = %s", (self.name, self.role)
            )
        else:
            rows = self.execute(
                "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = %s AND DB = %s", (self.role, self.name)
            )
        return [r[0] for r in rows]

    def kill(self, pid: int) -> None:
        if self.engine == "postgres":
            self.execute("SELECT pg_terminate_backend(%s)", (pid,))
        else:
            self.execute(f"KILL CONNECTION {int(pid)}")


@contextmanager
def database(engine: str, tmp_path: Path) -> Iterator[Database]:
    db = Database(engine, tmp_path)
    try:
        yield db.create()
    finally:
        db.drop()
