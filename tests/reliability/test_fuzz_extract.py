"""Fuzz every extractor with mutated files of its format: an extraction ends in chunks, recorded
problems or `Unsupported`, never an exception, a hang or a problem message that quotes the content."""

from __future__ import annotations

import json
from functools import cache

from hypothesis import given
from hypothesis import strategies as st

from privmap.config.models import ScanConfig
from privmap.model import Blob, Location
from privmap.scanner.extractors import Context, Unsupported, extract, time_limit
from tests import formats

LOC = Location("files", "file:///estate/item")
PERSONAL = (formats.NAME, formats.EMAIL, formats.IBAN, "Anna Schmidt", "anna.schmidt@mailbox.de")
TEXT = f"Kunde {formats.NAME}, {formats.EMAIL}, IBAN {formats.IBAN}\n"


@cache
def seeds() -> dict[str, bytes]:
    """One valid file of each format the extractors read, each holding the personal data above."""
    row = {"name": formats.NAME, "email": formats.EMAIL}
    return {
        "pdf": formats.pdf([TEXT, TEXT]),
        "docx": formats.docx_file(),
        "xlsx": formats.xlsx_file(),
        "pptx": formats.pptx_file(),
        "ods": formats.ods_file(),
        "csv": formats.customers_csv(),
        "json": json.dumps([row, row]).encode(),
        "xml": f"<?xml version='1.0'?><people><p n='{formats.NAME}'>{formats.EMAIL}</p></people>".encode(),
        "html": formats.html_file(),
        "eml": formats.eml_file(),
        "msg": formats.msg_file(),
        "rtf": ("{\\rtf1\\ansi " + TEXT + "\\par}").encode(),
        "utf16": TEXT.encode("utf-16"),
        "zip": formats.zipped({"a.txt": TEXT.encode(), "b.csv": formats.customers_csv()}),
        "tar.gz": formats.tar_gz({"a.txt": TEXT.encode()}),
        "7z": formats.seven_zip({"a.txt": TEXT.encode()}),
        "parquet": formats.parquet_file(),
        "jpeg": formats.jpeg_with_gps(),
        "heic": formats.heic_with_gps(),
        "mp4": formats.mp4_with_location(),
    }


# a mutation: (what, where as a fraction of the length, bytes)
mutations = st.lists(
    st.tuples(
        st.sampled_from(["flip", "cut", "insert", "delete", "repeat"]),
        st.floats(0, 1),
        st.binary(min_size=1, max_size=16),
    ),
    min_size=1,
    max_size=6,
)


def mutate(data: bytes, steps: list[tuple[str, float, bytes]]) -> bytes:
    for what, where, extra in steps:
        at = int(where * len(data))
        if what == "flip":
            data = data[:at] + extra + data[at + len(extra) :]
        elif what == "cut":
            data = data[:at]
        elif what == "insert":
            data = data[:at] + extra + data[at:]
        elif what == "delete":
            data = data[:at] + data[at + len(extra) :]
        else:  # a stretch repeated, as a bad copy would
            data = data[:at] + data[at : at + 64] * len(extra) + data[at:]
    return data


def check(data: bytes) -> None:
    ctx = Context.for_item(ScanConfig(item_timeout=10))
    try:
        with time_limit(ctx.budget):
            chunks = list(extract(Blob(LOC, data), ctx))
    except Unsupported:
        return
    assert all(isinstance(c.text, str) and c.location.uri == LOC.uri for c in chunks)
    for problem in ctx.problems:
        assert problem.kind and problem.location.uri == LOC.uri
        assert not any(value.lower() in problem.message.lower() for value in PERSONAL), problem.message


def test_every_seed_is_read():
    for name, data in seeds().items():
        ctx = Context.for_item(ScanConfig())
        with time_limit(ctx.budget):
            text = " ".join(c.text for c in extract(Blob(LOC, data), ctx))
        assert ctx.problems == [] or name in ("jpeg", "heic", "mp4"), (name, ctx.problems)
        assert any(value in text for value in PERSONAL) or name in ("jpeg", "heic", "mp4"), name


@given(st.sampled_from(sorted(seeds())), mutations)
def test_mutated_files_of_every_format_are_read_or_recorded(name, steps):
    check(mutate(seeds()[name], steps))


@given(st.sampled_from(sorted(seeds())), st.sampled_from(sorted(seeds())), st.floats(0, 1))
def test_one_format_spliced_into_another(head, tail, where):
    a, b = seeds()[head], seeds()[tail]
    check(a[: int(where * len(a))] + b[int(where * len(b)) :])


@given(st.binary(max_size=4096))
def test_arbitrary_bytes(data):
    check(data)
