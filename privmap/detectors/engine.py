"""The Presidio analyzer, built once per process from an explicit NLP configuration."""

from __future__ import annotations

import os
from functools import lru_cache

# Presidio's email recognizer uses tldextract, which otherwise fetches the public suffix
# list over the network on first use: privmap runs offline and must not try.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import NlpEngineProvider


class ModelMissing(RuntimeError):
    """A configured spaCy model is not installed."""


@lru_cache(maxsize=4)
def analyzer(models: tuple[tuple[str, str], ...]) -> AnalyzerEngine:
    """An AnalyzerEngine for (language, spaCy model) pairs; cached, so built once per process."""
    import spacy.util

    for lang, model in models:
        if not spacy.util.is_package(model):
            raise ModelMissing(
                f"spaCy model {model!r} for language {lang!r} is not installed "
                "(make install-models installs the pinned defaults; set detection.models to use another)"
            )
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": lang, "model_name": model} for lang, model in models],
        }
    )
    return AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=[lang for lang, _ in models])
