"""Context words: tokens near a candidate, or in its column name, that say what it is."""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"[\w#]+(?:['’.-][\w#]+)*")
_PARTS = re.compile(r"['’._-]")  # inner punctuation a token is also split at
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
BEFORE, AFTER = 48, 24  # characters of text looked at on each side of a candidate


def tokens(text: str) -> set[str]:
    """Lower-case tokens, whole and split at inner punctuation and camelCase: 'Steuer-ID' gives
    'steuer-id', 'steuer' and 'id'; 'firstName' gives 'firstname', 'first' and 'name'."""
    out: set[str] = set()
    for token in _WORD.findall(text):
        for part in (token, *_CAMEL.split(token)):
            low = part.lower()
            out.add(low)
            out.update(p for p in _PARTS.split(low) if p)
    return out


def column_tokens(names: Iterable[str]) -> frozenset[str]:
    return frozenset(t for name in names for t in tokens(name))


def find_context(words: frozenset[str], text: str, start: int, end: int) -> tuple[str, int] | None:
    """The nearest context word around [start, end) and its distance in characters, or None.
    Words before the value are preferred ('IBAN: ...'), then words just after it."""
    before = text[max(0, start - BEFORE) : start].lower()
    best = None
    for m in _WORD.finditer(before):
        if word := _known(m.group(), words):
            best = (word, len(before) - m.end())  # later matches are nearer
    if best:
        return best
    for m in _WORD.finditer(text[end : end + AFTER].lower()):
        if word := _known(m.group(), words):
            return word, m.start()
    return None


def _known(token: str, words: frozenset[str]) -> str | None:
    """The context word `token` is or contains. Only that word is returned, never the token:
    'anna.kowalska-phone' names 'phone', and the rest of it may be personal data."""
    if token in words:
        return token
    return next((part for part in _PARTS.split(token) if part in words), None)
