"""Presidio recognizers inside privmap's detector: Presidio's predefined ones by class name, a
team's own by import path, so recognizers already written for Presidio keep working.

They run without Presidio's AnalyzerEngine and NLP engine (privmap runs spaCy itself, where it
matters): `analyze` gets the text and empty NLP artifacts, and the detector scores what comes back
with its own context words. A hyperscan gate keeps them off the fast path: compiled in prefilter
mode from the recognizers' own patterns (it matches a superset of what they match) and their
context words, one scan says which recognizers could report anything in a text; the rest never run.
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import hyperscan

from privmap.config.errors import ConfigError, ConfigIssue, Loc
from privmap.config.models import PresidioConfig
from privmap.detectors.recognizers import CONTEXT

# Presidio's email recognizer imports tldextract, which fetches the public suffix list unless told not to
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

# Presidio compiles with the `regex` module, whose flag values are those of `re`
_HS_FLAGS = {
    re.IGNORECASE: hyperscan.HS_FLAG_CASELESS,
    re.DOTALL: hyperscan.HS_FLAG_DOTALL,
    re.MULTILINE: hyperscan.HS_FLAG_MULTILINE,
}
# The gate reads bytes, not UTF-8 (which compiles three times slower, and \w and \d would still be
# ASCII only): it stands for the recognizers exactly on identifiers written in ASCII. Python's \s
# also matches a no-break space between digit groups, so Unicode spaces are read as plain ones.
_SPACES = [c.encode() for c in map(chr, range(0x80, 0x3001)) if c.isspace()]
_SMOKE_TEXT = "privmap 0"


class RecognizerFailed(RuntimeError):
    """A Presidio recognizer raised while analysing a text (the message never quotes the text)."""


@dataclass(frozen=True, eq=False)
class Plugged:
    """A loaded recognizer, with what privmap needs to gate and score it."""

    name: str
    recognizer: Any  # a presidio_analyzer.EntityRecognizer
    entities: tuple[str, ...]
    context: frozenset[str]  # single lower-case words: its own, and privmap's for its entities
    artifacts: Any  # the empty presidio_analyzer.nlp_engine.NlpArtifacts it is given

    def analyze(self, text: str) -> list[Any]:
        """Presidio RecognizerResults, offsets into `text`."""
        try:
            return list(self.recognizer.analyze(text, list(self.entities), self.artifacts))
        except Exception as exc:  # its message may quote the text: only the type is kept
            raise RecognizerFailed(f"Presidio recognizer {self.name} failed: {type(exc).__name__}") from None


def load(config: PresidioConfig) -> tuple[Plugged, ...]:
    """The configured recognizers, built once per process. A name or import path that does not
    give a working recognizer is a ConfigError naming its key."""
    return _load(tuple(config.recognizers), tuple(config.custom))


@lru_cache(maxsize=4)
def _load(names: tuple[str, ...], custom: tuple[str, ...]) -> tuple[Plugged, ...]:
    if not names and not custom:
        return ()
    from presidio_analyzer import predefined_recognizers

    plugged = []
    for i, name in enumerate(names):
        loc: Loc = ("detection", "presidio", "recognizers", i)
        found = getattr(predefined_recognizers, name, None)
        if not inspect.isclass(found):
            raise _error(loc, f"{name!r} is not one of Presidio's predefined recognizers")
        plugged.append(_plug(found, name, loc))
    for i, path in enumerate(custom):
        loc = ("detection", "presidio", "custom", i)
        module_name, _, attr = path.partition(":")
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:  # any error in the user's module is a config error, not a crash mid-scan
            raise _error(loc, f"cannot import {module_name}: {type(exc).__name__}: {exc}") from None
        if not hasattr(module, attr):
            raise _error(loc, f"module {module_name} has no {attr}")
        plugged.append(_plug(getattr(module, attr), path, loc))
    return tuple(plugged)


def _plug(found: Any, label: str, loc: Loc) -> Plugged:
    """`found`, an EntityRecognizer subclass (built with no arguments) or instance, checked on a
    sample text the way the detector will call it."""
    from presidio_analyzer import EntityRecognizer
    from presidio_analyzer.nlp_engine import NlpArtifacts
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    cls = found if inspect.isclass(found) else type(found)
    if not issubclass(cls, EntityRecognizer):
        raise _error(loc, f"{label} is not a Presidio EntityRecognizer")
    if issubclass(cls, SpacyRecognizer):
        raise _error(loc, f"{label} reads the entities of Presidio's NLP engine, which privmap does not run")
    try:
        recognizer = found() if inspect.isclass(found) else found
    except Exception as exc:
        raise _error(loc, f"cannot build {label}(): {type(exc).__name__}: {exc}") from None
    artifacts = NlpArtifacts([], [], [], [], None, recognizer.supported_language)  # type: ignore[arg-type]
    entities = tuple(recognizer.supported_entities)
    try:
        recognizer.analyze(_SMOKE_TEXT, list(entities), artifacts)
    except Exception as exc:
        raise _error(loc, f"{label} fails without Presidio's NLP engine: {type(exc).__name__}: {exc}") from None
    # Presidio's own context enhancer compares context words with single tokens, so phrases never match
    words = {w.strip().lower() for w in getattr(recognizer, "context", None) or () if len(w.split()) == 1}
    words.update(w for entity in entities for w in CONTEXT.get(entity, ()))
    return Plugged(recognizer.name, recognizer, entities, frozenset(words), artifacts)


def _error(loc: Loc, message: str) -> ConfigError:
    return ConfigError([ConfigIssue("<config>", None, loc, message)])


class Gate:
    """Which recognizers could report anything in a text, from one hyperscan scan.

    A recognizer runs when one of its patterns that can be reported on its own (per `reportable`:
    entity, pattern score) may match, or when a weaker one may match and one of its context words
    is in the text or its column names. Recognizers the gate cannot judge (no patterns, their own
    `analyze`, a pattern hyperscan cannot compile) run on every text.
    """

    def __init__(self, plugged: Sequence[Plugged], reportable: Callable[[str, float], bool]) -> None:
        self.plugged = tuple(plugged)
        self.always: set[int] = set()
        entries: list[tuple[int, str, bytes, int]] = []  # (recognizer index, strong|weak|context, regex, flags)
        for i, p in enumerate(self.plugged):
            found = _patterns(p)
            if found is None:
                self.always.add(i)
                continue
            for regex, score, flags in found:
                entries.append((i, "strong" if reportable(p.entities[0], score) else "weak", regex.encode(), flags))
            for word in sorted(p.context):
                for spelling in {word, word.upper(), word.capitalize()} if not word.isascii() else {word}:
                    # (hyperscan folds the case of ASCII letters only)
                    regex = rb"(?:^|[^0-9a-z])" + re.escape(spelling).encode() + rb"(?:[^0-9a-z]|$)"
                    entries.append((i, "context", regex, hyperscan.HS_FLAG_CASELESS))
        try:
            self.db = _compile(entries)
        except hyperscan.error:  # syntax hyperscan cannot read: that recognizer runs on every text
            failing = {i for i, *_ in entries if not _compiles([e for e in entries if e[0] == i])}
            self.always |= failing
            entries = [e for e in entries if e[0] not in failing]
            self.db = _compile(entries)
        self.kinds = [(i, kind) for i, kind, *_ in entries]

    def gated(self, text: str, names: frozenset[str] = frozenset()) -> Iterator[Plugged]:
        """The recognizers to run on `text`; `names` are the tokens of its column or key names."""
        hits: dict[int, set[str]] = defaultdict(set)
        if self.db is not None:
            data = text.encode("utf-8")
            if not data.isascii():
                for space in _SPACES:
                    data = data.replace(space, b" ")  # one character for one: the gate needs no offsets
            kinds = self.kinds
            self.db.scan(data, match_event_handler=lambda rid, _s, _e, _f, _c: hits[kinds[rid][0]].add(kinds[rid][1]))
        for i, p in enumerate(self.plugged):
            kinds_hit = hits.get(i, set())
            if (
                i in self.always
                or "strong" in kinds_hit
                or ("weak" in kinds_hit and ("context" in kinds_hit or names & p.context))
            ):
                yield p


def _patterns(p: Plugged) -> list[tuple[str, float, int]] | None:
    """(regex, score, hyperscan flags) of each pattern of a plain PatternRecognizer, or None when the
    gate cannot stand for it (hyperscan folds the case of ASCII letters only)."""
    from presidio_analyzer import PatternRecognizer

    rec = p.recognizer
    if not isinstance(rec, PatternRecognizer) or type(rec).analyze is not PatternRecognizer.analyze or not rec.patterns:
        return None
    if not all(pattern.regex.isascii() for pattern in rec.patterns):
        return None
    # prefilter mode: lookarounds and backreferences are widened into what hyperscan can match
    flags = hyperscan.HS_FLAG_PREFILTER
    for flag, hs_flag in _HS_FLAGS.items():
        if (rec.global_regex_flags or 0) & flag:
            flags |= hs_flag
    return [(pattern.regex, pattern.score, flags) for pattern in rec.patterns]


def _compile(entries: Sequence[tuple[int, str, bytes, int]]) -> hyperscan.Database | None:
    if not entries:
        return None
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    ids = list(range(len(entries)))
    db.compile(expressions=[e[2] for e in entries], ids=ids, elements=len(ids), flags=[e[3] for e in entries])
    return db


def _compiles(entries: Sequence[tuple[int, str, bytes, int]]) -> bool:
    try:
        _compile(entries)
    except hyperscan.error:
        return False
    return True
