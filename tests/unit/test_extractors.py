import json

import pytest

from privmap.config.models import ScanConfig
from privmap.model import Blob, Location, Table
from privmap.scanner.extractors import Context, Unsupported, extract
from privmap.scanner.extractors.sniff import sniff
from privmap.scanner.extractors.text import decode, windows

LOC = Location("s", "file:///x")


def blob(data: bytes, truncated: bool = False) -> Blob:
    return Blob(LOC, data, truncated)


def chunks_of(obj, **scan):
    ctx = Context.for_item(ScanConfig(chunk_chars=1000, **scan))
    return list(extract(obj, ctx)), ctx.problems


@pytest.mark.parametrize(
    ("data", "media_type"),
    [
        (b"%PDF-1.7\n...", "application/pdf"),
        (b"PK\x03\x04rest", "application/zip"),
        (b"\x89PNG\r\n\x1a\nxxxx", "image/png"),
        (b"<!DOCTYPE html><html><body><b>Robert</b></body></html>", "text/html"),
        (b'<?xml version="1.0"?><people><p>Ann</p></people>', "application/xml"),
        (b"{\\rtf1\\ansi Hello}", "application/rtf"),
        (b"From: Ann <a@x.ie>\r\nTo: b@y.ie\r\nSubject: hi\r\n\r\nbody", "message/rfc822"),
        ("name,email\nAnn,a@x.ie\nBob,b@y.ie\n".encode("utf-16-le"), "text/csv"),
        ("Dear Anna,\nthanks.\n".encode("utf-16-be"), "text/plain"),
        ("Dear Anna,\nthanks.\n".encode("utf-32"), "text/plain"),
        ("Dear Anna,\nthanks.\n".encode("utf-32-le"), "text/plain"),
        (bytes(257) + b"ustar\x0000" + bytes(100), "application/x-tar"),
        (b"\xff\xd8\xff\xe0xxxx", "image/jpeg"),
        (b"\x1f\x8b\x08\x00", "application/gzip"),
        (b"SQLite format 3\x00....", "application/vnd.sqlite3"),
        (b'{"a": 1, "b": [1, 2]}', "application/json"),
        (b'{"a": 1}\n{"a": 2}\n{"a": 3}\n', "application/x-ndjson"),
        (b"name,email\nA,a@b.ie\nB,b@c.ie\n", "text/csv"),
        (b"name\temail\nA\ta@b.ie\nB\tb@c.ie\n", "text/tab-separated-values"),
        (b"Dear Anna,\nthanks for the photos.\n", "text/plain"),
        (bytes(range(256)) * 4, "application/octet-stream"),
    ],
)
def test_sniff_by_content(data, media_type):
    assert sniff(data) == media_type


def test_decode_detects_legacy_charsets():
    assert decode("Zoë Müller, Łódź".encode()) == "Zoë Müller, Łódź"
    assert decode("Gérard Dépardieu habite à Besançon, près de la rivière".encode("latin-1")).startswith("Gérard")
    assert decode("Zoë".encode("utf-16")) == "Zoë"
    for codec in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "utf-16", "utf-32", "utf-8-sig"):
        assert decode("Zoë Müller, Łódź\n".encode(codec)) == "Zoë Müller, Łódź\n", codec


def test_windows_cover_the_text_and_cut_at_lines():
    text = "".join(f"line {i} with some words\n" for i in range(500))
    parts = list(windows(text, 1000))
    assert "".join(parts) == text
    assert len(parts) > 1
    assert all(w.endswith("\n") and len(w) <= 1000 for w in parts)


def test_text_chunks():
    chunks = chunks_of(blob(b"hello\nworld\n"))[0]
    assert [c.text for c in chunks] == ["hello\nworld\n"] and chunks[0].kind == "prose"


def test_csv_gives_one_values_chunk_per_column_with_header_context():
    data = b"email,full_name,amount\na@x.ie,Anna Byrne,10\nb@y.ie,Liam Walsh,20\n"
    chunks = {c.location.field: c for c in chunks_of(blob(data))[0]}
    assert set(chunks) == {"email", "full_name", "amount"}
    assert chunks["email"].text == "a@x.ie\nb@y.ie"
    assert chunks["email"].kind == "values" and chunks["email"].context == ("email",)


def test_csv_with_semicolons_and_quotes():
    data = b'name;note\n"Byrne, Anna";"said ""hi"""\n"Walsh, Liam";ok\n'
    chunks = {c.location.field: c.text for c in chunks_of(blob(data))[0]}
    assert chunks["name"] == "Byrne, Anna\nWalsh, Liam"


def test_json_values_grouped_by_key_path():
    doc = {"customer": {"email": "a@x.ie", "tags": ["vip"]}, "items": [{"iban": "IE1"}, {"iban": "IE2"}]}
    chunks = {c.location.field: c for c in chunks_of(blob(json.dumps(doc).encode()))[0]}
    assert chunks["customer.email"].text == "a@x.ie"
    assert chunks["customer.email"].context == ("email",)
    assert chunks["items[].iban"].text == "IE1\nIE2"
    assert chunks["customer.tags[]"].text == "vip"


def test_jsonl_skips_a_cut_line():
    data = b'{"email": "a@x.ie"}\n{"email": "b@y.ie"}\n{"email": "c@'
    chunks = {c.location.field: c.text for c in chunks_of(blob(data, truncated=True))[0]}
    assert chunks == {"email": "a@x.ie\nb@y.ie"}


def test_corrupt_json_is_a_problem_of_the_item():
    chunks, problems = chunks_of(blob(b'{"email": "a@x.ie", '))
    assert chunks == [] and [(p.location, p.kind) for p in problems] == [(LOC, "corrupt")]


def test_unsupported_binary():
    with pytest.raises(Unsupported, match="image/gif"):
        chunks_of(blob(b"GIF89a" + bytes(100)))


def test_table_columns():
    table = Table(LOC, ["id", "email", "note"], [(1, "a@x.ie", None), (2, "b@y.ie", "multi\nline")])
    chunks = {c.location.field: c.text for c in chunks_of(table)[0]}
    assert chunks == {"id": "1\n2", "email": "a@x.ie\nb@y.ie", "note": "multi line"}


def test_table_and_record_chunks_say_which_row_each_value_came_from():
    rows = [("a@b.ie", None), ("", "+353 1 555 0142"), ("c@d.ie", "+353 1 555 0199")]
    table = chunks_of(Table(LOC, ["email", "phone"], rows))[0]
    assert {c.location.field: c.rows for c in table} == {"email": (0, 2), "phone": (1, 2)}
    records = json.dumps([{"email": "a@b.ie", "tags": ["x", "y"]}, {"email": "c@d.ie"}]).encode()
    chunks = {c.location.field: c.rows for c in chunks_of(blob(records))[0]}
    # values inside a nested list are not linked to the record as a whole
    assert chunks == {"[].email": (0, 1), "[].tags[]": (-1, -1)}
    lines = b'{"email": "a@b.ie"}\n{"email": "c@d.ie", "name": "C D"}\n{"name": "E F"}\n'
    assert {c.location.field: c.rows for c in chunks_of(blob(lines))[0]} == {"email": (0, 1), "name": (1, 2)}
