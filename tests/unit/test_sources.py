import pytest

from privmap.config import ConfigError
from privmap.model import Blob
from privmap.pipeline import build_source
from privmap.scanner.sources.base import read_sampled, sample_ranges


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
    assert isinstance(blob, Blob) and blob.truncated and len(blob.data) <= 10_000 + 8


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
