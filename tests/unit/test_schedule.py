"""The scheduler's clock: cron times, never overlapping, missed times skipped not queued."""

from __future__ import annotations

import datetime as dt

import pytest

from privmap.config import ConfigError
from privmap.schedule import next_time, parse, run_on_schedule

T0 = dt.datetime(2026, 11, 30, 2, 59, 30, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.t = T0
        self.slept: list[float] = []

    def now(self) -> dt.datetime:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += dt.timedelta(seconds=seconds)


def test_parse_and_next_time():
    assert parse("0 3 * * *") == "0 3 * * *"
    assert next_time("0 3 * * *", T0) == dt.datetime(2026, 11, 30, 3, 0, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="not a cron expression"):
        parse("61 * * * *")
    assert parse("*/10 * * * * 0") == "*/10 * * * * 0"  # seconds last
    for fields in ("*/10 * * * * * *", "0 3 * *", "0"):  # a year croniter would take; too few
        with pytest.raises(ValueError, match=r"give five .* or six"):
            parse(fields)


def test_runs_at_each_time_and_skips_the_times_a_long_run_missed():
    clock = Clock()
    started: list[dt.datetime] = []

    def job() -> int:
        started.append(clock.now())
        # the second run takes 2.5 minutes: the 03:02 and 03:03 times pass while it runs
        clock.t += dt.timedelta(seconds=150 if len(started) == 2 else 5)
        return len(started) % 2

    code = run_on_schedule("* * * * *", job, max_runs=3, now=clock.now, sleep=clock.sleep)
    assert [t.strftime("%H:%M:%S") for t in started] == ["03:00:00", "03:01:00", "03:04:00"]
    assert code == 1  # the last run's


def test_a_failing_run_does_not_end_the_schedule_nor_echo_what_it_choked_on(caplog):
    clock = Clock()
    calls: list[int] = []

    def job() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise ConfigError([])
        if len(calls) == 2:
            raise RuntimeError("cannot encode row 'Søren Kierkegaard-Holm', soren.holm@eksempel.dk")
        return 0

    assert run_on_schedule("* * * * *", job, max_runs=3, now=clock.now, sleep=clock.sleep) == 0
    assert len(calls) == 3
    (failed,) = [r for r in caplog.records if r.getMessage() == "scheduled run failed"]
    assert failed.detail.startswith("RuntimeError") and "Søren" not in failed.detail and "@" not in failed.detail


def test_the_last_run_allowed_is_not_said_to_outlast_its_schedule(caplog):
    clock = Clock()

    def job() -> int:
        clock.t += dt.timedelta(seconds=90)  # longer than the schedule's minute
        return 0

    run_on_schedule("* * * * *", job, max_runs=2, now=clock.now, sleep=clock.sleep)
    outlasted = [r for r in caplog.records if r.getMessage() == "run outlasted its schedule"]
    assert len(outlasted) == 1  # after the first run, which another follows; not after the last
