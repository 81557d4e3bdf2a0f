"""`privmap schedule`: scans on a cron expression, in the foreground (for systemd and containers).

One process per store: a lock file beside the store keeps a second scheduler out, and runs never
overlap within one (a run that outlasts its interval makes the scheduler skip the missed times, not
queue them). A scan by another process (a watcher, a manual scan) is kept apart by the store's lease.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from croniter import CroniterError, croniter

from privmap.config import Config, ConfigError
from privmap.scanner.problems import describe

log = logging.getLogger("privmap")


class AlreadyRunning(Exception):
    """Another process holds this store's scheduler or watcher lock."""


def parse(expression: str) -> str:
    """The cron expression, checked; ValueError naming what is wrong.

    Five fields (minute hour day month weekday), or six with seconds last (`*/30 * * * * 0`).
    croniter would take a seventh (a year) and read a slip of the keyboard as one."""
    fields = len(expression.split())
    if fields not in (5, 6) and not expression.startswith("@"):  # @daily, @hourly ... are croniter's
        raise ValueError(
            f"not a cron expression: {expression!r} has {fields} fields; give five (minute hour day month"
            " weekday) or six (seconds last)"
        )
    try:
        croniter(expression)
    except (CroniterError, ValueError) as exc:
        raise ValueError(f"not a cron expression: {expression!r} ({exc})") from None
    return expression


def next_time(expression: str, after: dt.datetime) -> dt.datetime:
    """The first time strictly after `after` (an aware datetime) that matches `expression`."""
    return croniter(expression, after).get_next(dt.datetime)  # type: ignore[no-any-return]


@contextmanager
def exclusive(config: Config, role: str) -> Iterator[IO[str]]:
    """Hold `<state dir>/<role>.lock` for this process's life; AlreadyRunning if another holds it.

    The lock is the kernel's (flock): it goes with the process, so a killed scheduler leaves none behind."""
    path = config.state_dir / f"{role}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise AlreadyRunning(f"a privmap {role} already runs on {config.state_dir} ({holder})") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} since {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}\n")
        fh.flush()
        yield fh
    finally:
        fh.close()


def run_on_schedule(
    expression: str,
    job: Callable[[], int],
    *,
    max_runs: int | None = None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now().astimezone(),
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Call `job` at every time matching `expression` (local time, as cron does) until `max_runs`
    (None: forever); returns the last job's exit code. `job` errors are the job's to report: a
    config error or a crash of one run is logged and the schedule goes on."""
    done, code = 0, 0
    due = next_time(expression, now())
    while max_runs is None or done < max_runs:
        wait = (due - now()).total_seconds()
        if wait > 0:
            log.info("next run", extra={"at": due.isoformat(timespec="seconds")})
            sleep(wait)
        started = now()
        try:
            code = job()
        except ConfigError as exc:
            code = 2
            log.error("scheduled run not started: bad config", extra={"detail": str(exc)})
        except Exception as exc:  # one failed run must not end the schedule
            code = 2
            log.error("scheduled run failed", extra={"detail": describe(exc)})  # its message may quote content
        done += 1
        if done == max_runs:
            break
        ended = now()
        due = next_time(expression, started)
        if due <= ended:  # the run outlasted its interval: never queue the missed times
            missed = 0
            while due <= ended:
                due, missed = next_time(expression, due), missed + 1
            log.warning("run outlasted its schedule", extra={"skipped_times": missed, "next": due.isoformat()})
    return code


def scheduled_scan(config_path: Path, out_dir: Path, fail_on: str | None) -> Callable[[], int]:
    """One scheduled run: the config is read again each time (edits apply from the next run)."""

    def job() -> int:
        from privmap import pipeline
        from privmap.config import load_config

        config = load_config(config_path)
        result = pipeline.run(config, out_dir)
        code = result.exit_code(fail_on or config.reports.fail_on)
        r = result.report.run
        log.info(
            "scheduled run finished",
            extra={"run_id": r["run_id"], "exit_code": code, "findings": r["findings"], "bytes_read": r["bytes_read"]},
        )
        return code

    return job
