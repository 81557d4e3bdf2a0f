"""Extractors are registered like sources: lazily, by name, and listed with why one is disabled."""

from __future__ import annotations

from click.testing import CliRunner

from privmap import plugins
from privmap.cli import main
from privmap.scanner.extractors import MEDIA_TYPES


def test_every_media_type_goes_to_an_extractor_that_claims_it():
    for media_type, name in MEDIA_TYPES.items():
        cls = plugins.load("extractor", name)
        assert media_type in cls.media_types, (media_type, name)
        assert cls.reads in ("sample", "file", "stream")


def test_a_missing_dependency_disables_an_extractor_and_names_the_extra(monkeypatch):
    monkeypatch.setitem(plugins.BUILTINS["extractor"], "parquet", ("privmap_missing.parquet:X", "parquet"))
    [info] = [i for i in plugins.catalogue() if i.kind == "extractor" and i.name == "parquet"]
    assert not info.enabled and info.extra == "parquet"
    assert "pip install 'privmap[parquet]'" in info.reason
    out = CliRunner().invoke(main, ["plugins"]).output
    assert "extractor pdf        enabled" in out
    assert "extractor parquet    disabled: " in out and out.rstrip().count("[parquet]") >= 1
