"""Chunks in, aggregated findings out: masked previews and keyed hashes, never raw values."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from privmap.config.models import DetectionConfig
from privmap.data import category_of
from privmap.detectors.engine import analyzer
from privmap.detectors.masking import mask, normalise, value_key
from privmap.model import Chunk, Finding, Location


@dataclass(frozen=True, slots=True)
class Span:
    """One detected value inside a text: offsets, entity type, confidence."""

    start: int
    end: int
    entity: str
    score: float


@dataclass
class _Tally:
    first: str
    score: float = 0.0
    count: int = 0
    keys: set[str] = field(default_factory=set)


class Detector:
    """Detects personal data in chunks. Pure (no I/O) and safe to share within a process."""

    def __init__(self, config: DetectionConfig, secret: bytes) -> None:
        self.config = config
        self.secret = secret
        self.engine = analyzer(tuple(sorted(config.models.items())))
        self.ignored = frozenset(config.ignore_entities)
        self.allowed = frozenset(normalise("", v) for v in config.allow_list)

    def spans(self, text: str, language: str | None = None, context: Iterable[str] = ()) -> list[Span]:
        """Spans of personal data in `text` (used by `privmap detect`, and by `detect` below)."""
        results = self.engine.analyze(
            text=text,
            language=language or self.config.language,
            score_threshold=self.config.min_score,
            context=list(context) or None,
        )
        return [
            Span(r.start, r.end, r.entity_type, r.score)
            for r in sorted(results, key=lambda r: (r.start, -r.score))
            if r.entity_type not in self.ignored and normalise("", text[r.start : r.end]) not in self.allowed
        ]

    def detect(self, chunks: Iterable[Chunk]) -> list[Finding]:
        """Findings over `chunks`, one per (location, entity), counting every occurrence."""
        tallies: dict[tuple[Location, str], _Tally] = {}
        for chunk in chunks:
            for span in self.spans(chunk.text, context=chunk.context):
                value = chunk.text[span.start : span.end]
                tally = tallies.setdefault((chunk.location, span.entity), _Tally(value))
                tally.count += 1
                tally.score = max(tally.score, span.score)
                tally.keys.add(value_key(self.secret, span.entity, value))
        return [
            Finding(
                entity=entity,
                category=category_of(entity),
                location=location,
                score=round(t.score, 3),
                count=t.count,
                preview=mask(entity, t.first),
                value_key=value_key(self.secret, entity, t.first),
                distinct=len(t.keys),
            )
            for (location, entity), t in tallies.items()
        ]
