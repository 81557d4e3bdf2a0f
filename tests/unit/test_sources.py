import io

import pytest

from privmap.config import ConfigError
from privmap.model import Blob
from privmap.pipeline import build_source
from privmap.scanner.extractors import Context
from privmap.scanner.extractors.base import sample
from privmap.scanner.sources.base import RangeFile, SourceError, read_sampled, sample_ranges


def test_local_lists_sorted_and_lists_links_as_not_regular(tmp_path, local_config):
    data = tmp_path / "data"
    (data / "b").mkdir()
    (data / "b" / "z.txt").write_text("z")
    (data / "a.txt").write_text("a")
    (data / "link.txt").symlink_to(data / "a.txt")
    source = build_source(local_config(), 0)
    items = list(source.items())
    assert [i.metadata["path"] for i in items] == ["a.txt", "link.txt", "b/z.txt"]
    assert items[1].size is None  # listed so the scan records it as not read; never followed


def test_local_open_reads_within_the_byte_budget(tmp_path, local_config):
    (tmp_path / "data" / "big.log").write_bytes(b"x" * 100_000)
    source = build_source(local_config("scan: {max_bytes_per_object: 10KB}\n"), 0)
    [item] = source.items()
    blob = source.open(item)
    assert isinstance(blob, Blob) and blob.truncated and len(blob.data) <= 10_000  # the head, to sniff
    data, truncated = sample(blob, Context.for_item(source.config.scan))
    assert truncated and len(data) <= 10_000 + 8 and blob.reader.bytes_read <= 15_000
    blob.reader.close()


def test_a_range_file_reads_blocks_within_its_budget(tmp_path, local_config):
    (tmp_path / "data" / "big.bin").write_bytes(bytes(range(256)) * 4096)  # 1 MiB
    source = build_source(local_config(), 0)
    [item] = source.items()
    reader = source.reader(item)
    fh = RangeFile(reader, budget=300_000, block=100_000)
    fh.seek(-10, io.SEEK_END)
    assert fh.read() == (bytes(range(256)) * 4096)[-10:]
    fh.seek(5)
    assert fh.read(3) == bytes([5, 6, 7]) and reader.bytes_read == 148_576
    with pytest.raises(SourceError, match="read in part") as info:
        fh.seek(500_000)
        fh.read(300_000)
    assert info.value.kind == "too-large"
    reader.close()


def test_sample_ranges_cover_head_and_spread():
    assert sample_ranges(100, 1000) == [(0, 100)]
    ranges = sample_ranges(1_000_000, 10_000)
    assert ranges[0] == (0, 5000)
    assert sum(e - s for s, e in ranges) <= 10_000
    assert ranges[-1][1] > 900_000


def test_read_sampled_joins_windows():
    data = bytes(range(256)) * 100
    out, truncated = read_sampled(lambda s, e: data[s:e], len(data), 1000)
    assert truncated and out.startswith(data[:500])


def test_unknown_source_type_and_bad_options_are_config_errors(tmp_path, write_config):
    from privmap.config import load_config

    config = load_config(write_config("- {name: x, type: ftp, region: eu-west-1}"))
    with pytest.raises(ConfigError, match=r"privmap.yaml:4: sources\[0\].type: unknown source type 'ftp'"):
        build_source(config, 0)
    config = load_config(write_config("- {name: x, type: local, region: eu-west-1, options: {pth: data}}"))
    with pytest.raises(ConfigError) as info:
        build_source(config, 0)
    assert "sources[0].options.pth: unknown option" in str(info.value)
    assert "sources[0].options.path: Field required" in str(info.value)
    config = load_config(write_config("- {name: x, type: local, options: {path: data}}"))
    with pytest.raises(ConfigError, match="needs `region`"):
        build_source(config, 0)


def test_s3_tag_events_need_the_sqs_intake_named_at_their_line_before_anything_is_written(tmp_path, write_config):
    from privmap.config import load_config
    from privmap.pipeline import run

    block = """\
    - name: x
      type: s3
      options:
        buckets: [media-eu]
        intake: listing
        tag_events: true
    """
    config = load_config(write_config(block))
    with pytest.raises(ConfigError, match=r"privmap.yaml:9: sources\[0\].options.tag_events: needs intake: sqs"):
        run(config, tmp_path / "report")
    assert not (tmp_path / "report").exists() and not config.state_dir.exists()  # no folder, no run left behind
    queued = "intake: sqs, queue_url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q', tag_events: true"
    assert build_source(load_config(write_config(f"- {{name: x, type: s3, options: {{{queued}}}}}")), 0)
