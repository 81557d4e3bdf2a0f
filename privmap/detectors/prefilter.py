"""One hyperscan pass over a text finds where any recognizer may match; Python's `re` then
runs only in those windows, with the boundaries hyperscan cannot express."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

import hyperscan
import numpy as np

from privmap.detectors.recognizers import Recognizer

_PAD = 8  # characters past the last hyperscan end: room for the lookahead


class Prefilter:
    """Candidate (recognizer, start, end) matches of many recognizers in one scan. Thread-safe."""

    def __init__(self, recognizers: Sequence[Recognizer]) -> None:
        self.recognizers = tuple(recognizers)
        self.regexes = [r.regex() for r in self.recognizers]
        self.db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        n = len(self.recognizers)
        self.db.compile(
            expressions=[r.core.encode() for r in self.recognizers], ids=list(range(n)), elements=n, flags=[0] * n
        )

    def matches(self, text: str) -> Iterator[tuple[Recognizer, int, int]]:
        data = text.encode("utf-8")
        ends: dict[int, list[int]] = defaultdict(list)
        self.db.scan(data, match_event_handler=lambda i, _from, to, _flags, _ctx: ends[i].append(to))
        to_char = _byte_to_char(data) if len(data) != len(text) else None
        size = len(text)
        for rid, byte_ends in ends.items():
            recognizer, regex = self.recognizers[rid], self.regexes[rid]
            hits = sorted({int(to_char[e]) for e in byte_ends} if to_char is not None else set(byte_ends))
            for lo, hi in _windows(hits, recognizer.max_len, size):
                for m in regex.finditer(text, lo, hi):
                    if m.end() < hi or hi == size:  # a match cut by the window's end is not a match
                        yield recognizer, m.start(), m.end()


def _windows(ends: list[int], max_len: int, size: int) -> Iterator[tuple[int, int]]:
    """Merged [lo, hi) windows that hold every match ending at one of `ends`."""
    lo, hi = -1, -1
    for end in ends:
        start, stop = max(0, end - max_len - 1), min(size, end + _PAD)
        if start > hi:
            if hi > 0:
                yield lo, hi
            lo = start
        hi = stop
    if hi > 0:
        yield lo, hi


def _byte_to_char(data: bytes) -> np.ndarray:
    """Character offset of every UTF-8 byte offset (0..len(data)): count of lead bytes before it."""
    raw = np.frombuffer(data, dtype=np.uint8)
    lead = (raw & 0xC0) != 0x80
    return np.concatenate(([0], np.cumsum(lead)))
