"""The hostile corpus: bombs, deep nesting, path traversal, truncation, lies about type, slow input."""

from __future__ import annotations

import time
from collections.abc import Iterator

from privmap import plugins
from privmap.config.models import ScanConfig
from privmap.model import Blob, Chunk, Location
from privmap.scanner import extractors
from privmap.scanner.extractors import Context, extract, time_limit
from privmap.scanner.extractors.sniff import sniff
from tests import formats

LOC = Location("files", "file:///estate/item")


def run(data: bytes, **scan: object) -> tuple[list[Chunk], list[tuple[str, str]], Context]:
    ctx = Context.for_item(ScanConfig(**scan))
    with time_limit(ctx.budget):
        chunks = list(extract(Blob(LOC, data), ctx))
    return chunks, [(p.location.part, p.kind) for p in ctx.problems], ctx


def test_a_zip_bomb_is_refused_by_its_ratio():
    chunks, problems, ctx = run(formats.zip_bomb())
    assert problems == [("zeros.bin", "budget")] and chunks == []
    assert ctx.budget.bytes == ScanConfig().archive.max_total_bytes  # nothing was inflated


def test_total_uncompressed_bytes_are_budgeted():
    data = formats.zipped({f"{i}.txt": b"hello world\n" * 20_000 for i in range(5)})
    _, problems, _ = run(data, archive={"max_total_bytes": 500_000})
    assert ("2.txt", "budget") in problems  # the first two fit, then the budget stops each member


def test_30_levels_of_nesting_stop_at_max_depth():
    chunks, problems, _ = run(formats.nested_zip(30, formats.customers_csv()))
    assert chunks == []
    [(part, kind)] = problems
    assert kind == "budget" and part.count(" > ") == ScanConfig().archive.max_depth


def test_members_are_budgeted():
    data = formats.zipped({f"{i}.txt": f"line {i}\n".encode() for i in range(20)})
    chunks, problems, _ = run(data, archive={"max_members": 5})
    assert len(chunks) == 5 and len(problems) == 15 and {k for _, k in problems} == {"budget"}


def test_a_member_named_to_escape_is_only_a_label(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    chunks, problems, _ = run(formats.zipped({"../../etc/passwd": b"root:x:0:0:Robert Fischer:/root:/bin/sh\n"}))
    assert [c.location.part for c in chunks] == ["../../etc/passwd"] and problems == []
    assert list(tmp_path.iterdir()) == []  # nothing written anywhere


def test_truncated_zero_byte_and_lying_files():
    _, problems, _ = run(formats.pdf(["a", "b"])[:300])
    assert problems == [("", "corrupt")]
    assert run(b"")[:2] == ([], [])
    assert sniff(bytes(range(256)) * 16) == "application/octet-stream"  # a binary named .txt stays binary


def test_a_truncated_outlook_message_is_corrupt_not_unsupported():
    data = formats.zipped({"mail/refund.msg": formats.msg_file()[:3000], "b.csv": formats.customers_csv()})
    ctx = Context.for_item(ScanConfig())
    chunks = list(extract(Blob(LOC, data), ctx))
    assert [(p.location.part, p.kind) for p in ctx.problems] == [("mail/refund.msg", "corrupt")]
    assert any(c.location.part == "b.csv" for c in chunks)


def test_the_quadratic_csv_sniff_is_linear_now():
    data = formats.quadratic_csv()
    started = time.monotonic()
    assert sniff(data) in ("text/csv", "text/plain")
    run(data)
    assert time.monotonic() - started < 5  # csv.Sniffer took ~40 s on this input


class Endless:
    """An extractor stuck in a pathological loop (a parser on millions of objects)."""

    media_types = frozenset({"text/plain"})
    reads = "sample"

    def extract(self, blob: Blob, ctx: Context) -> Iterator[Chunk]:
        yield Chunk(blob.location, "first part", "prose")
        while True:
            pass


def test_item_timeout_interrupts_a_stuck_extractor_and_keeps_earlier_parts(monkeypatch):
    monkeypatch.setitem(plugins.BUILTINS["extractor"], "text", (f"{__name__}:Endless", None))
    extractors.extractor_for.cache_clear()
    try:
        started = time.monotonic()
        chunks, problems, _ = run(b"plain words\n", item_timeout=0.5)
    finally:
        extractors.extractor_for.cache_clear()
    assert time.monotonic() - started < 5
    assert [c.text for c in chunks] == ["first part"] and problems == [("", "timeout")]


def test_item_timeout_holds_in_worker_processes(monkeypatch, tmp_path, local_config, detector):
    from privmap import work
    from privmap.pipeline import build_source
    from privmap.scanner.executor import LocalPool

    (tmp_path / "data" / "notes.txt").write_text("plain words\n")
    (tmp_path / "data" / "customers.csv").write_bytes(formats.customers_csv())
    config = local_config("scan: {item_timeout: 1, workers: 2}\n")
    source = build_source(config, 0)
    monkeypatch.setitem(plugins.BUILTINS["extractor"], "text", (f"{__name__}:Endless", None))
    extractors.extractor_for.cache_clear()  # the forked workers inherit the patched registry
    try:
        job = work.Job.of(config, 0, detector.secret)
        work.adopt(job, detector)
        pool = LocalPool(2, config.scan.item_timeout)
        outcomes = {item.metadata["path"]: outcome for item, outcome in pool.run(job, source.items())}
    finally:
        pool.close()
        extractors.extractor_for.cache_clear()
    assert [p.kind for p in outcomes["notes.txt"].problems] == ["timeout"]
    assert outcomes["customers.csv"].problems == [] and outcomes["customers.csv"].findings
