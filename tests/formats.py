"""Files of every format privmap reads, generated with the libraries that write them (tests and bench).

Each builder returns bytes holding known personal data at a known part, so a test can assert
that the finding is located there.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import lzma
import tarfile
import zipfile
from email.message import EmailMessage

import zstandard

IBAN = "DE89370400440532013000"
EMAIL = "robert.fischer@mailbox.de"
NAME = "Robert Fischer"


def pdf(pages: list[str], password: str | None = None) -> bytes:
    """A PDF with one line of text per page (Helvetica), optionally encrypted."""
    from pypdf import PdfWriter
    from pypdf.generic import ContentStream, DictionaryObject, NameObject

    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    font_ref = writer._add_object(font)
    for text in pages:
        page = writer.add_blank_page(612, 792)
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = ContentStream(None, writer)
        stream.set_data(f"BT /F1 12 Tf 72 700 Td ({escaped}) Tj ET".encode())
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font_ref})}
        )
    writer.add_metadata({"/Author": NAME})
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_file() -> bytes:
    """A Word document: body text, a comment by a named reviewer, an author in its properties."""
    import docx

    doc = docx.Document()
    doc.core_properties.author = NAME
    doc.core_properties.last_modified_by = "Anna Schmidt"
    paragraph = doc.add_paragraph("Please wire the refund to the account on file.")
    doc.add_comment(paragraph.runs, text=f"Customer e-mail: {EMAIL}", author="Anna Schmidt")
    doc.sections[0].header.paragraphs[0].text = "Internal"
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def xlsx_file() -> bytes:
    """A workbook whose second sheet has an IBAN column."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Summary"
    book.active.append(["quarter", "total"])
    book.active.append(["Q1", 1200])
    sheet = book.create_sheet("Payouts")
    sheet.append(["name", "iban", "amount"])
    sheet.append([NAME, IBAN, 100])
    sheet.append(["Anna Schmidt", "GB82WEST12345698765432", 250])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pptx_file() -> bytes:
    """A deck whose second slide's speaker notes hold an e-mail address."""
    import pptx

    deck = pptx.Presentation()
    for title, notes in (("Roadmap", "Nothing personal."), ("Escalations", f"Call back {EMAIL} tomorrow.")):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.notes_slide.notes_text_frame.text = notes
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def customers_csv(rows: int = 3) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "email", "iban"])
    for i in range(rows):
        writer.writerow([NAME, f"customer{i}@mailbox.de", IBAN])
    return out.getvalue().encode()


def eml_file() -> bytes:
    """A message with a quoted-printable body (an IBAN across a soft line break) and a base64 CSV attachment."""
    msg = EmailMessage()
    msg["From"] = f"{NAME} <{EMAIL}>"
    msg["To"] = "billing@shop.example.com"
    msg["Subject"] = "Refund"
    body = "Hello,\n" + "please refund to my account " + "x" * 50 + f" IBAN {IBAN} thanks\n"
    msg.set_content(body, charset="utf-8", cte="quoted-printable")
    msg.add_attachment(customers_csv(), maintype="text", subtype="csv", filename="customers.csv", cte="base64")
    return msg.as_bytes()


def html_file() -> bytes:
    return (
        "<!DOCTYPE html><html><head><title>t</title><script>var x='Not A Person';</script></head>"
        f"<body><p>Ordered by <b>{NAME}</b>, contact <i>{EMAIL}</i></p></body></html>"
    ).encode()


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def tar_gz(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


COMPRESSORS = {
    "gz": gzip.compress,
    "bz2": bz2.compress,
    "xz": lzma.compress,
    "zst": lambda data: zstandard.ZstdCompressor().compress(data),
}


def nested_zip(depth: int, inner: bytes) -> bytes:
    data = inner
    for level in range(depth):
        data = zipped({f"level{level}.zip" if level else "customers.csv": data})
    return data


def zip_bomb(expanded: int = 50_000_000) -> bytes:
    """A zip whose one member declares and holds `expanded` zero bytes (~1000x compression)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("zeros.bin", "w") as member:
        block = bytes(1 << 20)
        for _ in range(expanded >> 20):
            member.write(block)
    return out.getvalue()


def quadratic_csv(size: int = 65_536) -> bytes:
    """A CSV head that made csv.Sniffer's quote regex backtrack for minutes (quotes never closed)."""
    unit = ',"a'
    return ("name,note\n" + unit * (size // len(unit)) + "\n").encode()


GPS = (52.520008, 13.404954)  # degrees north, east


def _gps_exif():
    from PIL import Image

    exif = Image.Exif()
    exif[0x013B] = NAME  # Artist
    exif[0x8825] = {  # GPSInfo
        1: "N",
        2: (52.0, 31.0, 12.03),
        3: "E",
        4: (13.0, 24.0, 17.83),
    }
    return exif


def jpeg_with_gps() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(out, "JPEG", exif=_gps_exif())
    return out.getvalue()


def heic_with_gps() -> bytes:
    from PIL import Image
    from pillow_heif import register_heif_opener

    register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(out, "HEIF", exif=_gps_exif().tobytes())
    return out.getvalue()


def mp4_with_location() -> bytes:
    """A minimal MP4 (ftyp + moov/mvhd) tagged by mutagen with an ISO 6709 location and an artist."""
    import struct

    from mutagen.mp4 import MP4

    def box(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", 8 + len(payload)) + kind + payload

    mvhd = box(b"mvhd", bytes(4) + struct.pack(">IIIIIH", 0, 0, 1000, 0, 0x00010000, 0x0100) + bytes(74))
    fh = io.BytesIO(box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41") + box(b"moov", mvhd))
    video = MP4(fh)
    video.add_tags()
    video["©xyz"] = [f"+{GPS[0]:.4f}+{GPS[1]:08.4f}/"]
    video["©ART"] = [NAME]
    fh.seek(0)
    video.save(fh)
    return fh.getvalue()


def parquet_file() -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"customer": [NAME, "Anna Schmidt"], "email": [EMAIL, "anna.schmidt@mailbox.de"]})
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def seven_zip(members: dict[str, bytes]) -> bytes:
    import py7zr

    out = io.BytesIO()
    with py7zr.SevenZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(data, name)
    return out.getvalue()


def msg_file() -> bytes:
    """An Outlook message (written by aspose-email-foss; extract-msg only reads): a sender address
    only in the MAPI sender properties, an IBAN in the body, a CSV attachment and an attached
    message whose body holds an e-mail address."""
    from aspose.email_foss import msg

    message = msg.MapiMessage.create("Refund", f"Hello,\nplease refund to my account IBAN {IBAN} thanks\n")
    message.set_property(msg.PropertyId.SENDER_NAME, NAME)
    message.set_property(msg.PropertyId.SENDER_EMAIL_ADDRESS, EMAIL)
    message.add_recipient("billing@shop.example.com", display_name="Billing")
    message.add_attachment("customers.csv", customers_csv(), mime_type="text/csv")
    forwarded = msg.MapiMessage.create("Escalation", f"Please call back {EMAIL} tomorrow.")
    message.add_embedded_message_attachment(forwarded)
    return message.to_bytes()


def ods_file() -> bytes:
    """An OpenDocument spreadsheet whose second sheet has an IBAN column, written as the ODF 1.3
    schema has it (no maintained Python library writes ODS): repeated cells and rows, a number
    cell, an empty trailing run of 1,000 columns as office suites write them."""
    cell = '<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>'

    def row(*values: object, repeat: int = 1) -> str:
        cells = "".join(
            f'<table:table-cell office:value-type="float" office:value="{v}"><text:p>{v}</text:p></table:table-cell>'
            if isinstance(v, int)
            else cell.format(v)
            for v in values
        )
        attr = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
        trailing = '<table:table-cell table:number-columns-repeated="1000"/>'
        return f"<table:table-row{attr}>{cells}{trailing}</table:table-row>"

    sheets = {
        "Summary": row("quarter", "total") + row("Q1", 1200),
        "Payouts": row("name", "iban", "amount")
        + row(NAME, IBAN, 100)
        + row("Anna Schmidt", "GB82WEST12345698765432", 250, repeat=2)
        + '<table:table-row table:number-rows-repeated="1048570"><table:table-cell/></table:table-row>',
    }
    body = "".join(f'<table:table table:name="{name}">{rows}</table:table>' for name, rows in sheets.items())
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content'
        ' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">'
        f"<office:body><office:spreadsheet>{body}</office:spreadsheet></office:body></office:document-content>"
    )
    meta = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-meta'
        ' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" office:version="1.3">'
        f"<office:meta><meta:initial-creator>{NAME}</meta:initial-creator></office:meta></office:document-meta>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
        archive.writestr("meta.xml", meta)
    return out.getvalue()


def ole_file(stream: str) -> bytes:
    """An OLE compound file with one root stream (`WordDocument`: a legacy Word file to the sniffer)."""
    from aspose.email_foss import cfb

    root = cfb.CFBStorage(cfb.ROOT_ENTRY_NAME)
    root.add_stream(cfb.CFBStream(stream, b"\x00" * 600))
    return cfb.CFBWriter.to_bytes(cfb.CFBDocument(root))
