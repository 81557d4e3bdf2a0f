"""Identifiers in names are pseudonymised the same way every time, and become findings of their own."""

from urllib.parse import quote

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
        ("file:///hr/Lebenslauf_j%C3%BCrgen.m%C3%BCller@posteo.de.pdf", "ller@posteo.de.pdf", "EMAIL_ADDRESS"),
        ("file:///rh/clients/marie.dupont@orange.fr.txt", "marie.dupont", "EMAIL_ADDRESS"),
        ("file:///kadry/%C5%81ukasz.Wi%C5%9Bniewski@onet.com.pl", "onet.com.pl", "EMAIL_ADDRESS"),
        ("file:///nominas/n%C3%B3mina 12345678Z.pdf", "12345678Z", "ES_NIF"),
        ("file:///kadry/PESEL 44051401359.txt", "44051401359", "PL_PESEL"),
        ("s3://hr/exports/BSN 111222333.csv", "111222333", "NL_BSN"),
        ("gs://calls/R%C3%BCckruf +49 30 901820.m4a", "901820", "PHONE_NUMBER"),
        ("s3://payroll/ssn 536-90-4399 w2.pdf", "536-90-4399", "US_SSN"),
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


def test_an_address_keeps_its_domain_and_the_name_its_extension(guard):
    safe, found = guard.name("clients/marie.dupont@orange.fr.txt")
    assert safe.endswith(".txt") and "@o***.fr~" in safe and [f[1] for f in found] == ["marie.dupont@orange.fr"]
    # a two-letter ending is a country's domain, never a file extension
    assert [f[1] for f in guard.name("kadry/jan.nowak@wp.pl")[1]] == ["jan.nowak@wp.pl"]


def test_names_that_cannot_hold_an_identifier_skip_the_detector():
    seen: list[str] = []

    def analyze(texts):
        seen.extend(t for t, _, _ in texts)
        return [[] for _ in texts]

    guard = NameGuard(analyze, b"k" * 32, category_of)
    for name in ("report.pdf", "logs/2026/app.log", "minutes Q3.docx", "v1.2.3"):
        assert guard.name(name) == (name, [])
    assert seen == []
    guard.name("anna@mailbox.ie")
    guard.name("payout 12345678.csv")
    assert len(seen) == 2
    # a path is read a segment at a time, each segment once: dated folders hold six digits, no segment does
    seen.clear()
    for day in range(1, 29):
        assert guard.name(f"exports/2026/11/{day:02}/run-{day}.csv") == (f"exports/2026/11/{day:02}/run-{day}.csv", [])
    for n in range(3):
        guard.name(f"batch-20261130/part-{n}.csv")
    assert seen == ["batch-20261130"]


def test_an_identifier_in_a_folder_is_found_in_every_path_below_it(guard):
    for leaf in ("a.txt", "b.txt"):
        safe, found = guard.name(f"hr/jan.nowak@wp.pl/contracts/{leaf}")
        assert "jan.nowak@wp.pl" not in safe and safe.endswith(f"/contracts/{leaf}") and safe.startswith("hr/")
        assert [f[1] for f in found] == ["jan.nowak@wp.pl"]
    safe, found = guard.name("+48 601 234 567/cv 2026-11-30.pdf")
    assert [f[0] for f in found] == ["PHONE_NUMBER"] and safe.endswith("/cv 2026-11-30.pdf")


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


@pytest.mark.parametrize(
    "folder, entity",
    [
        ("jan.kowalski@poczta.pl", "EMAIL_ADDRESS"),
        ("DE62 3704 0044 0532 0130 01", "IBAN_CODE"),
        ("PL34109010140000071219812875", "IBAN_CODE"),
        ("FR76 3000 6000 0112 3456 7890 189", "IBAN_CODE"),
        ("nómina 12345678Z", "ES_NIF"),
        ("PESEL 44051401359", "PL_PESEL"),
        ("+49 30 901820", "PHONE_NUMBER"),
        ("+33 6 12 34 56 78", "PHONE_NUMBER"),
        ("4539-1488-0343-6467", "CREDIT_CARD"),
    ],
)
def test_an_identifier_in_a_middle_folder_is_masked_and_the_folders_around_it_kept(guard, folder, entity):
    path = f"exports/2026/11/{folder}/2026-11-30 rapport.csv"
    safe, found = guard.name(path)
    assert folder not in safe and [f[0] for f in found] == [entity]
    assert safe.startswith("exports/2026/11/") and safe.endswith("/2026-11-30 rapport.csv")
    # the same folder in a URI, percent-encoded, and in an archive member's path
    uri = "s3://bucket-eu/" + "/".join(quote(s) for s in path.split("/"))
    safe_uri, found_uri = guard.uri(uri)
    assert quote(folder) not in safe_uri and [f[0] for f in found_uri] == [entity]
    assert guard.name(f"backup.zip/{folder}/a.txt")[1][0][0] == entity
