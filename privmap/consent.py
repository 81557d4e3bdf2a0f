"""Consent ledgers: where an upload's consent id is looked up (a CSV file or a SQL query).

A ledger answers `records(consent_id)` with the consent's records: purpose (a fideslang data
use), when it was given, when it was withdrawn. Judging them against an upload (purpose of the
activity, given before the upload, not withdrawn: GDPR Art. 6(1)(a), 7(1), 7(3)) is `judge`.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from privmap.config.models import Config, ConsentLedger
from privmap.data import covered


class LedgerError(Exception):
    """The ledger could not be read; the message names the failure, never the DSN or its password."""


@dataclass(frozen=True)
class ConsentRecord:
    purpose: str
    given_at: dt.datetime | None
    withdrawn_at: dt.datetime | None


class Ledger(Protocol):
    def records(self, consent_id: str) -> list[ConsentRecord]:
        """Every record of `consent_id` (none when the ledger does not know it); LedgerError when unreadable."""
        ...

    def close(self) -> None: ...


def timestamp(value: Any) -> dt.datetime | None:
    """A ledger time as an aware UTC datetime: datetimes, dates and ISO 8601 strings; naive means UTC."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, dt.date):
        when = dt.datetime(value.year, value.month, value.day)
    else:
        try:
            when = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            # described, not quoted: a misread column may hold anything (an e-mail address, a name)
            raise LedgerError(f"not an ISO 8601 time (a value of {len(str(value))} characters)") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


class CsvLedger:
    """A CSV file with the columns consent_id, purpose, given_at, withdrawn_at, read once."""

    def __init__(self, path: os.PathLike[str]) -> None:
        self._by_id: dict[str, list[ConsentRecord]] = {}
        try:
            with open(path, newline="", encoding="utf-8") as fh:
                for n, row in enumerate(csv.DictReader(fh), 2):
                    try:
                        record = ConsentRecord(
                            row["purpose"], timestamp(row["given_at"]), timestamp(row["withdrawn_at"])
                        )
                    except (KeyError, LedgerError) as exc:
                        raise LedgerError(f"consent ledger line {n}: {exc}") from None
                    self._by_id.setdefault(row["consent_id"], []).append(record)
        except OSError as exc:
            raise LedgerError(f"consent ledger {os.fspath(path)}: {exc.strerror}") from None

    def records(self, consent_id: str) -> list[ConsentRecord]:
        return self._by_id.get(consent_id, [])

    def close(self) -> None:
        pass


_NAMED = re.compile(r"(?<!:):id\b")


class SqlLedger:
    """A query against PostgreSQL (psycopg), MySQL/MariaDB (PyMySQL) or SQLite, with `:id` bound to
    the consent id; one connection for the ledger's life, read-only where the database allows."""

    def __init__(self, dsn: str, query: str) -> None:
        scheme = urlsplit(dsn).scheme.split("+")[0]
        self.query = query
        try:
            if scheme in ("postgres", "postgresql"):
                import psycopg

                self.db: Any = psycopg.connect(dsn, autocommit=True, connect_timeout=10)
                self.db.read_only = True
                self.query = _NAMED.sub("%(id)s", query)
            elif scheme in ("mysql", "mariadb"):
                import pymysql

                u = urlsplit(dsn)
                self.db = pymysql.connect(
                    host=u.hostname or "localhost",
                    port=u.port or 3306,
                    user=u.username,
                    password=u.password or "",
                    database=u.path.lstrip("/") or None,
                    connect_timeout=10,
                    autocommit=True,
                )
                self.query = _NAMED.sub("%(id)s", query)
            elif scheme == "sqlite":
                path = dsn.split("://", 1)[1]
                self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            else:
                raise LedgerError(f"unsupported consent ledger DSN scheme {scheme!r} (postgresql, mysql or sqlite)")
        except ImportError as exc:
            extra = "postgres" if scheme.startswith("postgres") else "mysql"
            raise LedgerError(f"{exc}; install it with: pip install 'privmap[{extra}]'") from None
        except LedgerError:
            raise
        except Exception as exc:  # driver errors may quote the DSN: only the error's type is kept
            raise LedgerError(f"cannot connect to the consent ledger ({type(exc).__name__})") from None

    def records(self, consent_id: str) -> list[ConsentRecord]:
        try:
            cur = self.db.cursor()
            cur.execute(self.query, {"id": consent_id})
            rows = cur.fetchall()
            cur.close()
        except Exception as exc:
            raise LedgerError(f"consent ledger query failed ({type(exc).__name__})") from None
        return [ConsentRecord(str(r[0]), timestamp(r[1]), timestamp(r[2])) for r in rows]

    def close(self) -> None:
        self.db.close()


def open_ledger(config: Config) -> Ledger | None:
    """The configured ledger, or None when there is none; LedgerError when it cannot be opened."""
    spec: ConsentLedger | None = config.consent.ledger
    if spec is None:
        return None
    if spec.csv is not None:
        return CsvLedger(config.resolve(spec.csv))
    dsn = spec.dsn or os.environ.get(spec.dsn_env or "")
    if not dsn:
        raise LedgerError(f"environment variable {spec.dsn_env} (the consent ledger DSN) is not set")
    if dsn.startswith("sqlite:///") and not dsn.startswith("sqlite:////"):
        dsn = f"sqlite:///{config.resolve(dsn.removeprefix('sqlite:///'))}"  # relative to the config file
    return SqlLedger(dsn, spec.query)


@dataclass(frozen=True)
class Judgement:
    status: str  # valid, unknown, purpose, late, withdrawn
    detail: str


def judge(
    records: Iterable[ConsentRecord], purposes: list[str], uploaded: dt.datetime | None, at: dt.datetime
) -> Judgement:
    """Whether consent records cover an upload: one record for a purpose of the activity (equal to or
    under a declared fideslang data use), given no later than the upload, not withdrawn by `at`.

    Otherwise the status says what is missing, in this order: unknown (no record), purpose (none for
    the activity's purposes), withdrawn, late (given after the upload)."""
    records = list(records)
    if not records:
        return Judgement("unknown", "the consent id is not in the consent ledger")
    matching = [r for r in records if covered(r.purpose, purposes)]
    if not matching:
        given = ", ".join(sorted({r.purpose for r in records}))
        wanted = ", ".join(purposes) or "none declared"
        return Judgement("purpose", f"consent given for {given}; the activity's purposes: {wanted}")
    current = [r for r in matching if r.withdrawn_at is None or r.withdrawn_at > at]
    if not current:
        last = max(r.withdrawn_at for r in matching if r.withdrawn_at)
        return Judgement("withdrawn", f"consent withdrawn on {last.date().isoformat()}")
    in_time = [r for r in current if r.given_at is not None and uploaded is not None and r.given_at <= uploaded]
    if not in_time:
        given_at = min((r.given_at for r in current if r.given_at), default=None)
        if uploaded is None:
            return Judgement("late", "the upload time is unknown, so consent given before it cannot be shown")
        when = f"given {given_at.isoformat(timespec='seconds')}" if given_at else "with no time given"
        return Judgement("late", f"consent {when}, after the upload")
    return Judgement("valid", f"consent for {in_time[0].purpose} given {in_time[0].given_at.date().isoformat()}")
