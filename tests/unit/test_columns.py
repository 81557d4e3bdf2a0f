"""Column classification from the column name and sampled values, and tables inside text."""

import pytest

from privmap.detectors.columns import header_entity, name_like, split_table
from privmap.detectors.context import column_tokens


@pytest.mark.parametrize(
    ("name", "entity"),
    [
        ("first_name", "PERSON"),
        ("customerName", "PERSON"),
        ("Nachname", "PERSON"),
        ("prénom", "PERSON"),
        ("apellidos", "PERSON"),
        ("cognome", "PERSON"),
        ("achternaam", "PERSON"),
        ("nazwisko", "PERSON"),
        ("company_name", None),
        ("file name", None),
        ("username", None),
        ("city", "LOCATION"),
        ("Straße", "LOCATION"),
        ("ville", "LOCATION"),
        ("ciudad", "LOCATION"),
        ("indirizzo", "LOCATION"),
        ("woonplaats", "LOCATION"),
        ("miasto", "LOCATION"),
        ("amount", None),
    ],
)
def test_header_entity(name, entity):
    assert header_entity(column_tokens([name])) == entity


@pytest.mark.parametrize(
    ("value", "ok"),
    [("Anna Byrne", True), ("J. R. Smith", True), ("María de la Cruz", True), ("anna", False), ("A1 Ltd", False)],
)
def test_name_like(value, ok):
    assert name_like(value) is ok


def test_split_table_finds_cells_with_quotes():
    text = 'name;note\n"Byrne; Anna";first\nLiam Walsh;"said ""hi"""\nZoe Roe;x\n'
    columns = split_table(text)
    assert [c.name for c in columns] == ["name", "note"]
    assert [text[s:e] for s, e in columns[0].cells] == ["Byrne; Anna", "Liam Walsh", "Zoe Roe"]


def test_split_table_refuses_prose():
    assert split_table("Hello Anna,\nthanks for the files, all good.\nBest, Liam") is None


def spans_of(detector, text, context=(), kind="values"):
    return [(text[s.start : s.end], s.entity, s.why) for s in detector.spans(text, context=context, kind=kind)]


def test_named_person_column_needs_no_ner(detector):
    found = spans_of(detector, "Anna Byrne\nLiam Walsh\n\nZoe Roe", ("customer_name",))
    assert found == [(v, "PERSON", "column name 'customer_name'") for v in ("Anna Byrne", "Liam Walsh", "Zoe Roe")]


def test_unnamed_column_of_names_is_classified_by_ner_on_a_sample(detector):
    values = ["John Smith", "Mary Johnson", "Robert Brown", "Patricia Miller", "Michael Davis", "Linda Wilson"]
    found = spans_of(detector, "\n".join(values), ("c3",))
    assert [v for v, e, _ in found if e == "PERSON"] == values
    assert all("NER on a sample" in why for _, _, why in found)


def test_column_name_backs_weak_patterns(detector):
    found = spans_of(detector, "72 128 827\n61 333 442", ("Telefon",))
    assert [e for _, e, _ in found] == ["PHONE_NUMBER", "PHONE_NUMBER"]
    assert found[0][2].endswith("column name 'Telefon'")


def test_code_column_is_not_people(detector):
    assert spans_of(detector, "ABX-112\nQRT-554\nLMN-998", ("sku",)) == []


def test_free_text_column_is_read_as_prose(detector):
    text = "Called back and spoke with Maria Schneider about the refund.\nNo answer, will try again tomorrow."
    assert ("Maria Schneider", "PERSON") in [(v, e) for v, e, _ in spans_of(detector, text, ("notes",))]


def test_csv_text_is_classified_per_column(detector):
    text = "id,first_name,email,city\n1,Anna,anna@x-mail.ie,Cork\n2,Liam,liam@y-mail.ie,Galway\n3,Zoe,zoe@z.ie,Sligo\n"
    found = spans_of(detector, text, kind="prose")
    assert [(v, e) for v, e, _ in found][:3] == [
        ("Anna", "PERSON"),
        ("anna@x-mail.ie", "EMAIL_ADDRESS"),
        ("Cork", "LOCATION"),
    ]
