"""The alert tables, kept in the run store: alerts (one open per rule and subject) and deliveries
(one per alert and sink, pending until the sink took it)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from privmap.alerts.base import Alert
from privmap.store import Store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY, rule TEXT NOT NULL, subject TEXT NOT NULL, severity TEXT NOT NULL,
    title TEXT NOT NULL, article TEXT NOT NULL, evidence TEXT NOT NULL, previews TEXT NOT NULL,
    run_id INTEGER NOT NULL, raised TEXT NOT NULL, cleared_run INTEGER);
CREATE UNIQUE INDEX IF NOT EXISTS alerts_open ON alerts (rule, subject) WHERE cleared_run IS NULL;
CREATE TABLE IF NOT EXISTS deliveries (
    alert_id INTEGER NOT NULL, sink TEXT NOT NULL, delivered TEXT, attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT, PRIMARY KEY (alert_id, sink));
CREATE TABLE IF NOT EXISTS sinks (sink TEXT PRIMARY KEY, last_sent TEXT NOT NULL);
"""


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _alert(row: sqlite3.Row) -> Alert:
    return Alert(
        id=row["id"],
        rule=row["rule"],
        severity=row["severity"],
        title=row["title"],
        article=row["article"],
        subject=row["subject"],
        evidence=row["evidence"],
        previews=tuple(json.loads(row["previews"])),
        run_id=row["run_id"],
        raised=row["raised"],
    )


class AlertStore:
    """Alerts and their deliveries in `store`'s database (tables created on first use)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.ensure_tables(_SCHEMA)

    def open_keys(self) -> dict[tuple[str, str], int]:
        """(rule, subject) -> the run that raised it, for every alert not cleared yet."""
        rows = self.store.db.execute("SELECT rule, subject, run_id FROM alerts WHERE cleared_run IS NULL")
        return {(r[0], r[1]): r[2] for r in rows}

    def add(self, result: dict[str, Any], previews: list[str], run_id: int, sinks: Iterable[str]) -> int | None:
        """Record a new alert for a failing check result and a pending delivery per sink; returns its id,
        or None when another process (a watcher beside a scheduled run) opened the same alert meanwhile."""
        with self.store.transaction() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO alerts"
                " (rule, subject, severity, title, article, evidence, previews, run_id, raised)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    result["id"],
                    result["subject"],
                    result["severity"],
                    result["title"],
                    result["article"],
                    result["evidence"],
                    json.dumps(previews),
                    run_id,
                    now().isoformat(),
                ),
            )
            if not cur.rowcount:
                return None
            alert_id = int(cur.lastrowid or 0)
            db.executemany("INSERT INTO deliveries (alert_id, sink) VALUES (?, ?)", [(alert_id, s) for s in sinks])
        return alert_id

    def clear(self, keys: Iterable[tuple[str, str]], run_id: int) -> int:
        """Close the open alerts of these (rule, subject) pairs: the condition no longer holds."""
        with self.store.transaction() as db:
            cur = db.executemany(
                "UPDATE alerts SET cleared_run = ? WHERE rule = ? AND subject = ? AND cleared_run IS NULL",
                [(run_id, rule, subject) for rule, subject in keys],
            )
        return cur.rowcount

    def pending(self, sink: str) -> list[Alert]:
        """Open alerts `sink` has not taken yet, oldest first."""
        rows = self.store.db.execute(
            "SELECT a.* FROM alerts a JOIN deliveries d ON d.alert_id = a.id"
            " WHERE d.sink = ? AND d.delivered IS NULL AND a.cleared_run IS NULL ORDER BY a.id",
            (sink,),
        ).fetchall()
        return [_alert(r) for r in rows]

    def delivered(self, sink: str, alerts: list[Alert]) -> None:
        when = now().isoformat()
        with self.store.transaction() as db:
            db.executemany(
                "UPDATE deliveries SET delivered = ?, attempts = attempts + 1, last_error = NULL"
                " WHERE alert_id = ? AND sink = ?",
                [(when, a.id, sink) for a in alerts],
            )
            db.execute("INSERT OR REPLACE INTO sinks VALUES (?, ?)", (sink, when))

    def failed(self, sink: str, alerts: list[Alert], error: str) -> None:
        with self.store.transaction() as db:
            db.executemany(
                "UPDATE deliveries SET attempts = attempts + 1, last_error = ? WHERE alert_id = ? AND sink = ?",
                [(error, a.id, sink) for a in alerts],
            )

    def last_sent(self, sink: str) -> dt.datetime | None:
        row = self.store.db.execute("SELECT last_sent FROM sinks WHERE sink = ?", (sink,)).fetchone()
        return dt.datetime.fromisoformat(row[0]) if row else None

    def listing(self, pending_only: bool = False) -> list[dict[str, Any]]:
        """Every alert (or those some sink still has to take) with its delivery state per sink."""
        rows = self.store.db.execute("SELECT * FROM alerts ORDER BY id").fetchall()
        deliveries: dict[int, list[dict[str, Any]]] = {}
        for d in self.store.db.execute("SELECT * FROM deliveries ORDER BY alert_id, sink"):
            deliveries.setdefault(d["alert_id"], []).append(
                {"sink": d["sink"], "delivered": d["delivered"], "attempts": d["attempts"], "error": d["last_error"]}
            )
        out = []
        for r in rows:
            sinks = deliveries.get(r["id"], [])
            pending = r["cleared_run"] is None and any(s["delivered"] is None for s in sinks)
            if pending_only and not pending:
                continue
            out.append(_alert(r).record() | {"cleared_run": r["cleared_run"], "pending": pending, "sinks": sinks})
        return out
