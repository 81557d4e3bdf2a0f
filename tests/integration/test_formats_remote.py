"""The same files in a local folder, an S3 bucket (moto_server) and a GCS bucket (fake-gcs-server)
give the same findings.

The containers are larger than the head a source reads first, so PDF, ZIP, XLSX and Parquet
are parsed through the random-access seam: local `seek`, S3 ranged GETs, GCS ranged downloads.
"""

from __future__ import annotations

import random
import textwrap

import pytest

from privmap.config import load_config
from privmap.pipeline import build_source
from privmap.scanner.crawl import scan_item
from tests import formats
from tests.integration import gcs
from tests.integration.conftest import GCP_PROJECT


def estate() -> dict[str, bytes]:
    filler = [f"Page {i}: nothing personal here. " + "lorem ipsum " * 200 for i in range(30)]
    return {
        "docs/report.pdf": formats.pdf([*filler, f"Refund IBAN {formats.IBAN}"]),
        "docs/contract.docx": formats.docx_file(),
        "finance/payouts.xlsx": formats.xlsx_file(),
        "decks/q3.pptx": formats.pptx_file(),
        "mail/refund.eml": formats.eml_file(),
        "mail/refund.msg": formats.msg_file(),
        "finance/payouts.ods": formats.ods_file(),
        "web/order.html": formats.html_file(),
        "exports/bundle.zip": formats.zipped(
            {
                "padding.bin": random.Random(0).randbytes(100_000),
                "inner.zip": formats.zipped({"c.csv": formats.customers_csv()}),
            }
        ),
        "exports/customers.tar.gz": formats.tar_gz({"customers.csv": formats.customers_csv()}),
        "exports/customers.parquet": formats.parquet_file(),
        "photos/beach.jpg": formats.jpeg_with_gps(),
        "videos/clip.mp4": formats.mp4_with_location(),
        "windows/export.txt": formats.customers_csv().decode().encode("utf-16"),
    }


def findings(config_text: str, tmp_path, detector) -> tuple[set[tuple[str, ...]], set[tuple[str, ...]]]:
    """({(path, part, field, entity)}, {(path, part, problem kind)}) of every item of the source."""
    path = tmp_path / "privmap.yaml"
    path.write_text(config_text, encoding="utf-8")
    config = load_config(path)
    source = build_source(config, 0)
    spec = config.sources[0]
    (tmp_path / "data").mkdir(exist_ok=True)
    found, problems = set(), set()
    for item in source.items():
        outcome = scan_item(source, item, spec, config.scan, detector.detect)
        assert outcome.skipped is None, (item.metadata["path"], outcome.skipped)
        name = item.metadata["path"]
        found |= {(name, f.location.part, f.location.field, f.entity) for f in outcome.findings}
        problems |= {(name, p.location.part, p.kind) for p in outcome.problems}
    return found, problems


@pytest.fixture
def formats_bucket(s3_server, gcs_estate):
    """A bucket `formats-eu` in S3 and in GCS (the estates are shared by the session: removed after)."""
    s3 = s3_server.client(region="eu-west-1")
    s3.create_bucket(Bucket="formats-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    bucket = gcs.admin_client(gcs_estate.eu, GCP_PROJECT).create_bucket("formats-eu")
    yield s3, bucket
    for key in estate():
        s3.delete_object(Bucket="formats-eu", Key=key)
    s3.delete_bucket(Bucket="formats-eu")
    bucket.delete(force=True)


def test_local_s3_and_gcs_give_the_same_findings(tmp_path, s3_server, gcs_estate, formats_bucket, detector):
    files = estate()
    s3, bucket = formats_bucket
    for name, data in files.items():
        (tmp_path / "data" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "data" / name).write_bytes(data)
        s3.put_object(Bucket="formats-eu", Key=name, Body=data)
        bucket.blob(name).upload_from_string(data)
    common = textwrap.dedent(
        """\
        version: 1
        organization: {name: Example Media Ltd, country: IE}
        scan: {max_bytes_per_object: 16KB}
        sources:
        """
    )
    local = findings(
        common + "  - {name: files, type: local, region: eu-west-1, options: {path: data}}\n", tmp_path, detector
    )
    remote = findings(
        common
        + f'  - {{name: files, type: s3, options: {{endpoint_url: "{s3_server.url}", buckets: [formats-eu]}}}}\n',
        tmp_path,
        detector,
    )
    google = findings(
        common
        + f"  - {{name: files, type: gcs, options: {{project: {GCP_PROJECT}, endpoint: '{gcs_estate.eu}', "
        + "buckets: [formats-eu]}}\n",
        tmp_path,
        detector,
    )
    assert local == remote == google
    assert local[1] == {("exports/bundle.zip", "padding.bin", "unsupported")}
    assert len(files["docs/report.pdf"]) > 16_000  # parsed through ranged reads, not from the head
    expected = {
        ("docs/report.pdf", "page 31", "", "IBAN_CODE"),
        ("docs/contract.docx", "comment 1", "", "EMAIL_ADDRESS"),
        ("finance/payouts.xlsx", "sheet Payouts", "iban", "IBAN_CODE"),
        ("decks/q3.pptx", "notes 2", "", "EMAIL_ADDRESS"),
        ("mail/refund.eml", "attachment customers.csv", "email", "EMAIL_ADDRESS"),
        ("mail/refund.msg", "attachment Escalation.msg > body", "", "EMAIL_ADDRESS"),
        ("finance/payouts.ods", "sheet Payouts", "iban", "IBAN_CODE"),
        ("web/order.html", "", "", "EMAIL_ADDRESS"),
        ("exports/bundle.zip", "inner.zip > c.csv", "email", "EMAIL_ADDRESS"),
        ("exports/customers.tar.gz", "gzip > customers.csv", "email", "EMAIL_ADDRESS"),
        ("exports/customers.parquet", "", "email", "EMAIL_ADDRESS"),
        ("photos/beach.jpg", "", "EXIF:GPSInfo", "GPS_COORDINATES"),
        ("videos/clip.mp4", "", "©xyz", "GPS_COORDINATES"),
        ("windows/export.txt", "", "email", "EMAIL_ADDRESS"),
    }
    assert expected <= local[0]
