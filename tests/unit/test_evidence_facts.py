"""Evidence facts the checks rest on: which columns date a row (RET-001) and whether a server's
address is publicly reachable (SEC-003)."""

from __future__ import annotations

import datetime as dt

import pytest

from privmap.retention import column_clock, value_date
from privmap.scanner.sources.network import reachability


@pytest.mark.parametrize(
    ("name", "clock"),
    [
        ("created_at", "created"),
        ("signup_date", "created"),
        ("signupDate", "created"),
        ("DATE_JOINED", "created"),
        ("create_time", "created"),
        ("inserted_on", "created"),
        ("registered", "created"),
        ("updated_at", "last_modified"),
        ("lastLoginAt", "last_modified"),
        ("last_login", "last_modified"),
        ("last_seen", "last_modified"),
        ("modified", "last_modified"),
        ("update_ts", "last_modified"),
        ("created_by", None),  # who, not when
        ("last_login_ip", None),
        ("login_count", None),
        ("deleted_at", None),
        ("expires_at", None),
        ("date_of_birth", None),
        ("last_name", None),
        ("email", None),
    ],
)
def test_timestamp_columns_by_name(name, clock):
    assert column_clock(name) == clock


@pytest.mark.parametrize(
    ("value", "date"),
    [
        (dt.datetime(2016, 3, 1, 10, 0), dt.date(2016, 3, 1)),
        (dt.date(2016, 3, 1), dt.date(2016, 3, 1)),
        ("2016-03-01 10:00:00", dt.date(2016, 3, 1)),
        ("2016-03-01T10:00:00Z", dt.date(2016, 3, 1)),
        (1456826400, dt.date(2016, 3, 1)),  # Unix seconds
        (1456826400000, dt.date(2016, 3, 1)),  # and milliseconds
        ("1900-01-01", None),  # a sentinel, not an age
        (0, None),
        ("not a date", None),
        (True, None),
        (None, None),
    ],
)
def test_cell_values_as_dates(value, date):
    assert value_date(value) == date


def test_a_public_address_is_publicly_reachable():
    facts = reachability("8.8.8.8", 5432, None)  # an address literal: no DNS query
    assert facts["publicly_reachable"] is True and "public address 8.8.8.8" in facts["public_reasons"][0]


@pytest.mark.parametrize("host", ["10.1.2.3", "192.168.0.5", "127.0.0.1", "::1", "fe80::1"])
def test_private_loopback_and_link_local_addresses_are_not(host):
    facts = reachability(host, 3306, None)
    assert facts["publicly_reachable"] is False and facts["public_reasons"] == []


def test_a_unix_socket_is_not_and_a_declaration_wins():
    assert reachability("/var/run/postgresql", 5432, None)["publicly_reachable"] is False
    assert reachability("10.1.2.3", 5432, True)["publicly_reachable"] is True
    assert reachability("8.8.8.8", 5432, False) == {
        "publicly_reachable": False,
        "public_reasons": [],
        "network": "declared not publicly reachable in the source's options",
    }


def test_a_name_that_does_not_resolve_gives_no_fact():
    assert reachability("no-such-host.invalid", 5432, None) == {}
