"""Every format privmap reads, generated with its own library: findings located to their part."""

from __future__ import annotations

import pytest

from privmap.config.models import ScanConfig
from privmap.model import Blob, Location
from privmap.scanner.extractors import Context, extract
from tests import formats

LOC = Location("files", "file:///estate/item")


def scan(detector, data: bytes, **scan: object):
    """(findings as {(part, field, entity)}, problems as [(part, kind)]) of one blob."""
    ctx = Context.for_item(ScanConfig(**scan))
    found = detector.detect(extract(Blob(LOC, data), ctx))
    return {(f.location.part, f.location.field, f.entity) for f in found}, [
        (p.location.part, p.kind) for p in ctx.problems
    ]


def test_pdf_text_is_located_to_its_page(detector):
    found, problems = scan(detector, formats.pdf(["Cover", "Contents", f"Refund to IBAN {formats.IBAN}"]))
    assert ("page 3", "", "IBAN_CODE") in found
    assert not any(part in ("page 1", "page 2") for part, _, _ in found)
    assert problems == []


def test_an_encrypted_pdf_is_a_recorded_problem(detector):
    found, problems = scan(detector, formats.pdf([f"IBAN {formats.IBAN}"], password="s3cret"))
    assert found == set() and problems == [("", "encrypted")]


def test_docx_comment_and_author(detector):
    found, _ = scan(detector, formats.docx_file())
    assert ("comment 1", "", "EMAIL_ADDRESS") in found
    assert ("properties", "author", "PERSON") in found


def test_xlsx_iban_column_on_the_second_sheet(detector):
    found, _ = scan(detector, formats.xlsx_file())
    assert ("sheet Payouts", "iban", "IBAN_CODE") in found
    assert not any(part == "sheet Summary" for part, _, _ in found)


def test_pptx_speaker_notes(detector):
    found, _ = scan(detector, formats.pptx_file())
    assert ("notes 2", "", "EMAIL_ADDRESS") in found


def test_eml_decodes_quoted_printable_headers_and_base64_attachments(detector):
    found, problems = scan(detector, formats.eml_file())
    assert ("body", "", "IBAN_CODE") in found  # joined across the quoted-printable soft line break
    assert ("", "from", "EMAIL_ADDRESS") in found
    assert ("attachment customers.csv", "email", "EMAIL_ADDRESS") in found
    assert problems == []


def test_outlook_msg_headers_body_and_attachments_recursed(detector):
    found, problems = scan(detector, formats.msg_file())
    assert ("body", "", "IBAN_CODE") in found
    assert ("", "from", "EMAIL_ADDRESS") in found  # the sender's address from its MAPI property
    assert ("", "to", "EMAIL_ADDRESS") in found
    assert ("attachment customers.csv", "email", "EMAIL_ADDRESS") in found
    assert ("attachment Escalation.msg > body", "", "EMAIL_ADDRESS") in found  # an attached message, read in turn
    assert problems == []


def test_outlook_msg_attachments_count_in_the_item_budgets(detector):
    found, problems = scan(detector, formats.msg_file(), archive={"max_members": 1})
    assert ("attachment customers.csv", "email", "EMAIL_ADDRESS") in found
    assert ("attachment Escalation.msg", "budget") in problems
    assert ("body", "", "IBAN_CODE") in found  # the message's own parts are not nested ones


def test_other_ole_files_are_told_apart_from_messages():
    from privmap.scanner.extractors import Unsupported

    with pytest.raises(Unsupported, match="application/msword"):
        list(extract(Blob(LOC, formats.ole_file("WordDocument")), Context.for_item(ScanConfig())))


def test_ods_sheets_are_tables_with_repeated_cells_expanded(detector):
    found, problems = scan(detector, formats.ods_file())
    assert ("sheet Payouts", "iban", "IBAN_CODE") in found
    assert ("properties", "initial-creator", "PERSON") in found
    assert not any(part == "sheet Summary" for part, _, _ in found) and problems == []
    ctx = Context.for_item(ScanConfig(rows_per_table=2))
    payouts = [c for c in extract(Blob(LOC, formats.ods_file()), ctx) if c.location.field == "iban"]
    assert payouts[0].text.splitlines() == [formats.IBAN, "GB82WEST12345698765432"]  # sampled, repeats expanded


def test_html_visible_text_without_markup_or_script(detector):
    found, _ = scan(detector, formats.html_file())
    assert ("", "", "EMAIL_ADDRESS") in found
    assert ("", "", "PERSON") in found


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"])
def test_utf16_and_utf32_text_with_and_without_bom(detector, codec):
    found, _ = scan(detector, formats.customers_csv().decode().encode(codec))
    assert ("", "email", "EMAIL_ADDRESS") in found


def test_rtf_text(detector):
    found, _ = scan(detector, b"{\\rtf1\\ansi {\\b Contact:} " + formats.EMAIL.encode() + b"\\par}")
    assert ("", "", "EMAIL_ADDRESS") in found


def test_nested_zips_and_tar_gz_locate_the_member(detector):
    found, problems = scan(detector, formats.nested_zip(3, formats.customers_csv()))
    assert ("level2.zip > level1.zip > customers.csv", "email", "EMAIL_ADDRESS") in found and problems == []
    found, _ = scan(detector, formats.tar_gz({"exports/customers.csv": formats.customers_csv()}))
    assert ("gzip > exports/customers.csv", "email", "EMAIL_ADDRESS") in found


@pytest.mark.parametrize("suffix", sorted(formats.COMPRESSORS))
def test_compressed_streams(detector, suffix):
    found, _ = scan(detector, formats.COMPRESSORS[suffix](formats.customers_csv()))
    assert any(field == "email" and entity == "EMAIL_ADDRESS" for _, field, entity in found)


def test_a_failing_member_is_recorded_on_it_and_the_others_keep_their_findings(detector):
    broken = formats.pdf(["x"])[:200]  # a truncated PDF
    data = formats.zipped({"a.pdf": broken, "b.csv": formats.customers_csv(), "c.bin": bytes(range(256)) * 8})
    found, problems = scan(detector, data)
    assert ("b.csv", "email", "EMAIL_ADDRESS") in found
    assert ("a.pdf", "corrupt") in problems and ("c.bin", "unsupported") in problems


@pytest.mark.parametrize("make", [formats.jpeg_with_gps, formats.heic_with_gps], ids=["jpeg", "heic"])
def test_photo_gps_is_a_precise_location_previewed_as_a_coarse_cell(detector, make):
    ctx = Context.for_item(ScanConfig())
    found = {f.location.field: f for f in detector.detect(extract(Blob(LOC, make()), ctx))}
    gps = found["EXIF:GPSInfo"]
    assert (gps.entity, gps.category, gps.preview) == ("GPS_COORDINATES", "user.location.precise", "~52.5, ~13.4")
    assert found["EXIF:Artist"].entity == "PERSON" and ctx.problems == []


def test_video_location_and_artist_tags(detector):
    found, problems = scan(detector, formats.mp4_with_location())
    assert ("", "©xyz", "GPS_COORDINATES") in found and ("", "©ART", "PERSON") in found and problems == []


def test_parquet_columns_are_a_table(detector):
    found, _ = scan(detector, formats.parquet_file())
    assert ("", "email", "EMAIL_ADDRESS") in found


def test_7z_members(detector):
    found, _ = scan(detector, formats.seven_zip({"exports/customers.csv": formats.customers_csv()}))
    assert ("exports/customers.csv", "email", "EMAIL_ADDRESS") in found


def test_ocr_reads_text_in_images_or_says_why_it_cannot(detector):
    import io
    import shutil

    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (900, 120), "white")
    ImageDraw.Draw(image).text((20, 30), f"Contact {formats.EMAIL}", fill="black", font=ImageFont.load_default(40))
    png = io.BytesIO()
    image.save(png, "PNG")
    assert scan(detector, png.getvalue()) == (set(), [])  # OCR is off by default
    found, problems = scan(detector, png.getvalue(), ocr=True)
    if shutil.which("tesseract"):
        assert ("OCR", "", "EMAIL_ADDRESS") in found and problems == []
    else:  # skipped cleanly, and said so on the image
        assert found == set() and problems == [("OCR", "disabled")]


def test_documents_in_binary_table_cells_are_read_as_parts(detector):
    from privmap.model import Table

    table = Table(LOC, ["id", "scan", "hash"], [(1, formats.pdf([f"IBAN {formats.IBAN}"]), b"\x00\x01\x02\x03")])
    ctx = Context.for_item(ScanConfig())
    found = {(f.location.part, f.location.field, f.entity) for f in detector.detect(extract(table, ctx))}
    assert ("page 1", "scan", "IBAN_CODE") in found and ctx.problems == []  # the hash cell: quietly not a document
