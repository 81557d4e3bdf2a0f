"""Identifiers in names are pseudonymised the same way every time, and become findings of their own."""

import pytest

from privmap.data import category_of
from privmap.model import Finding, Item, ItemOutcome, Location, Problem
from privmap.names import NAME_FIELD, NameGuard


@pytest.fixture(scope="module")
def guard(detector):
    return NameGuard(lambda texts: detector.analyze(texts, None), b"k" * 32, category_of)


@pytest.mark.parametrize(
    ("uri", "raw", "entity"),
    [
        ("s3://media/users/anna.byrne@mailbox.ie/avatar.png", "anna.byrne", "EMAIL_ADDRESS"),
        ("file:///srv/cv/CV_juergen.mueller%40posteo.de_2021.pdf", "juergen", "EMAIL_ADDRESS"),
        ("gs://exports/4539148803436467.json", "4539148803436467", "CREDIT_CARD"),
        ("gs://exports/payout NL39RABO0347123456.csv", "NL39RABO0347123456", "IBAN_CODE"),
        ("sqlite:///db.sqlite#contacts_maria.garcia@correo.es", "maria.garcia", "EMAIL_ADDRESS"),
    ],
)
def test_identifiers_in_names_are_masked_with_a_stable_key(guard, uri, raw, entity):
    safe, found = guard.uri(uri)
    assert raw not in safe and "~" in safe
    assert [f[0] for f in found] == [entity]
    assert guard.uri(uri)[0] == safe  # the same every run: an unchanged object is recognised
    other = NameGuard(guard.analyze, b"x" * 32, category_of)
    assert other.uri(uri)[0] != safe  # and meaningless under another install's key


@pytest.mark.parametrize(
    "uri",
    [
        "file:///data/report-20231015-0930.csv",
        "file:///data/v1.2.3.4/release notes.txt",
        "s3://logs/2026/11/30/app-7f3c2a9e-41d2-4b7a-9a7c-5d1e2f3a4b5c.log",
        "file:///x/DE89370400440532013000.csv",  # the documentation IBAN: test data, not a person's
        "file:///home/build/1.0.0.tar.gz",
    ],
)
def test_ordinary_names_are_left_alone(guard, uri):
    assert guard.uri(uri) == (uri, [])


def test_outcomes_are_stored_pseudonymised_with_a_name_finding(guard):
    loc = Location("s3", "s3://b/users/anna.byrne@mailbox.ie/notes.json")
    item = Item(loc, "s3://b", "etag", metadata={"path": "users/anna.byrne@mailbox.ie/notes.json"})
    json_key = loc.refine(field="contacts.bo.lind@mailbox.se.phone")
    outcome = ItemOutcome(
        item,
        findings=[Finding("PHONE_NUMBER", "user.contact.phone_number", json_key, 0.9, 1, "+** ** ** 42", "k")],
        problems=[Problem(loc.refine(part="att/anna.byrne@mailbox.ie.pdf"), "corrupt", "bad xref")],
    )
    stored = guard.outcome(outcome)
    text = repr(stored)
    assert "anna.byrne" not in text and "bo.lind" not in text
    assert stored.item.location.uri == guard.uri(loc.uri)[0]
    name = [f for f in stored.findings if f.location.field == NAME_FIELD]
    assert [(f.entity, f.category, f.count) for f in name] == [("EMAIL_ADDRESS", "user.contact.email", 1)]
    assert "~" in stored.findings[0].location.field  # a dotted key path reads as one address: masked whole
