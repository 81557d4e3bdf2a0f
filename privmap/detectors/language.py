"""Per-chunk language detection, offline (py3langid ships its model in the wheel)."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from functools import lru_cache

_SAMPLE = 300  # characters of words looked at: enough for langid, cheap on megabytes
_MIN_LETTERS = 24  # below this a guess is noise; the configured language stands
_MIN_PROBABILITY = 0.9  # a less certain guess leaves the configured language
_WORD = re.compile(r"[^\W\d_]{2,}")


@lru_cache(maxsize=8)
def _identifier(languages: tuple[str, ...]):  # type: ignore[no-untyped-def]
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from privmap.detectors.engine import ModelMissing

    try:
        identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    except OSError as exc:  # it unpacks its model into the temporary folder, which may be full
        raise ModelMissing(
            f"the language identifier could not be loaded: {exc.strerror or exc} (py3langid unpacks its model "
            f"into {tempfile.gettempdir()}; set TMPDIR to a folder with space)"
        ) from None
    identifier.set_languages(list(languages))
    return identifier


def _candidates(languages: Iterable[str], default: str) -> tuple[str, ...]:
    return tuple(sorted(set(languages) | {default}))


def load_identifier(languages: Iterable[str], default: str) -> None:
    """Build the identifier for these languages now (it is cached per process)."""
    _identifier(_candidates(languages, default))


def detect_language(text: str, languages: Iterable[str], default: str) -> str:
    """The language of `text` among `languages`, or `default` when the text is too short or unclear."""
    words = " ".join(_WORD.findall(text[: _SAMPLE * 4]))[:_SAMPLE]
    candidates = _candidates(languages, default)
    if len(words) < _MIN_LETTERS or len(candidates) == 1:
        return default
    language, probability = _identifier(candidates).classify(words)
    return str(language) if probability >= _MIN_PROBABILITY else default
