"""scan_item: one item in, one outcome out, whatever goes wrong with it."""

from __future__ import annotations

from privmap.config.models import ScanConfig, SourceConfig
from privmap.model import Blob, Item, Location
from privmap.scanner.crawl import scan_item

SPEC = SourceConfig(name="uploads", type="s3")
GIF = b"GIF89a" + bytes(64)


class Uploads:
    """A source holding one image whose object metadata names its uploader."""

    name = "uploads"
    problems: list = []

    def __init__(self, data: bytes, metadata: dict[str, str]) -> None:
        self.data, self.metadata = data, metadata

    def open(self, item: Item) -> Blob:
        return Blob(item.location, self.data, metadata=self.metadata)


def item(**metadata: str) -> Item:
    return Item(Location("uploads", "s3://media/cat.png"), "s3://media", "etag", metadata=metadata)


def test_personal_data_in_metadata_is_found_and_kept_only_masked(detector):
    source = Uploads(GIF, {"meta:uploader": "aoife.murphy@mailbox.ie", "meta:consent-id": "cns-2024-0042"})
    outcome = scan_item(source, item(**{"tag:tenant": "studio-nord"}), SPEC, ScanConfig(), detector.detect)
    assert outcome.skipped == "unsupported media type image/gif"  # the image itself is not read
    [finding] = outcome.findings
    assert (finding.entity, finding.location.field) == ("EMAIL_ADDRESS", "meta:uploader")
    assert outcome.item.metadata == {
        "meta:uploader": "a***@m***.ie",
        "meta:consent-id": "cns-2024-0042",  # evidence with no personal data stays as it is
        "tag:tenant": "studio-nord",
    }


def test_an_item_that_fails_to_open_is_a_problem_not_an_exception(detector):
    class Broken(Uploads):
        def open(self, item: Item) -> Blob:
            raise ConnectionResetError("connection reset by peer")

    outcome = scan_item(Broken(b"", {}), item(), SPEC, ScanConfig(), detector.detect)
    assert [(p.kind, p.message) for p in outcome.problems] == [
        ("unreadable", "ConnectionResetError: connection reset by peer")
    ]
    assert outcome.findings == []


def test_detection_runs_in_batches_and_a_location_met_twice_is_merged(detector):
    from privmap.model import Chunk
    from privmap.scanner.crawl import detect_in_batches

    a, b = Location("s", "file:///a", part="x"), Location("s", "file:///a", part="y")
    chunks = [Chunk(a, "mail anna@mailbox.ie\n"), Chunk(a, "mail liam@mailbox.ie\n"), Chunk(b, "mail eva@mailbox.ie\n")]
    calls: list[int] = []

    def counting(batch):
        calls.append(len(batch))
        return detector.detect(batch)

    found = detect_in_batches([*chunks, Chunk(a, "again anna@mailbox.ie\n")], counting, batch_chars=10)
    assert calls == [2, 1, 1]  # a batch never splits a location's consecutive chunks
    by_part = {f.location.part: f for f in found}
    assert (by_part["x"].count, by_part["x"].distinct, by_part["y"].count) == (3, 2, 1)
