"""Chunks in, aggregated findings out: masked previews and keyed hashes, never raw values.

The fast path: one hyperscan pass proposes pattern candidates, Python confirms their boundaries,
validators (checksums, numbering plans) and context words score them; spaCy NER runs only in
windows around capitalised words, batched over every text of a call; columns of structured
data are classified from their name and a sample of their values. Presidio recognizers
(detection.presidio) run behind a hyperscan gate and fill the gaps: privmap's own spans win
where they overlap. Every span says why.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right, insort
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache

from privmap import identifiers
from privmap.config.models import DetectionConfig
from privmap.data import category_of
from privmap.detectors import columns, credentials, engine, lexicon, presidio, special
from privmap.detectors.context import column_tokens, find_context
from privmap.detectors.language import detect_language, load_identifier
from privmap.detectors.masking import mask, normalise, value_key
from privmap.detectors.names import (
    cued_names,
    extend_name,
    given_names,
    given_names_found,
    is_role,
    is_title,
    known_name,
    lone_given_names,
    ordinary_words,
    particle,
    recase,
    recase_caseless,
    recase_value,
    titled_names,
)
from privmap.detectors.people_places import addresses, countries, cued_places, street_like, units
from privmap.detectors.phones import letter_label, phone_score, plausible
from privmap.detectors.prefilter import Prefilter
from privmap.detectors.recognizers import RECOGNIZERS, Recognizer
from privmap.detectors.validators import VALIDATORS, card_network, iban_prefix, is_test_value
from privmap.model import Chunk, Finding, Location

CONTEXT_BOOST = 0.35  # added to a pattern's score when a context word or column name backs it
# the least a Presidio match backed by a context word scores: Presidio rates bare shapes 0.01-0.1
# (its threshold is 0), where privmap's weakest need only the boost to pass min_score
PRESIDIO_CONTEXT_SCORE = 0.6
STRONG = 0.75  # a validated match this confident is reported whatever surrounds it
NER_SCORE = 0.85
# the fallback model reading a language it was not trained on (the English model on Polish): a
# weaker signal than a model of the language, and than a title or a known given name
FALLBACK_NER_SCORE = 0.75
TITLE_SCORE = 0.9
GIVEN_NAME_SCORE = 0.8  # a known given name and a surname: below NER, which may know it is a company
LONE_GIVEN_NAME_SCORE = 0.7  # a known given name alone ('said Željko to Teresa')
COLUMN_SCORE = 0.85
NAME_SCORE = min(NER_SCORE, COLUMN_SCORE)  # the least a name is indexed with (privmap locate)
ADDRESS_SCORE = 0.88  # a street pattern beats NER calling 'Baker' in '221B Baker Street' a person
COUNTRY_SCORE = 0.7  # below NER: 'Jordan' may well be a person
CUED_NAME_SCORE = 0.86  # above NER: 'My name is Quionia' is a person whatever NER calls the word
CUED_PLACE_SCORE = 0.86  # above NER, which calls rare towns people: 'flew to Horten', 'wohnt in Kassel'
_SAMPLE = 24  # values of an unnamed column run through NER to classify it
_ADDRESS_REACH = 48  # characters before an NER window that a street address may start in
_MERGE_GAP = 3  # LOCATION parts this close on one line ('London, UK') are one place
_SPECIAL = special.entities()
_IDENTIFIER = re.compile(r"(?<![^\W\d_])(?=[^\W_]*\d)(?=[^\W_]*[^\W\d_])[^\W_]{4,}")  # letters and digits mixed
_USERINFO = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/@]*$")  # a URL's scheme and user info, up to '@'


@dataclass(frozen=True, slots=True)
class Span:
    """One detected value inside a text: offsets, entity type, confidence, and why."""

    start: int
    end: int
    entity: str
    score: float
    why: str = ""  # pattern, validator, context word, column name, NER model
    test_data: bool = False  # a documentation value (test card, example.com), not a person's


@dataclass(eq=False)
class _Text:
    """One text being analysed, and what has been found in it so far."""

    text: str
    kind: str
    names: tuple[str, ...]  # column name or key the text came with
    context: frozenset[str]  # their tokens
    detector: Detector
    forced_language: str | None
    spans: list[Span] = field(default_factory=list)
    presidio: list[Span] = field(default_factory=list)  # they fill gaps, never override `spans`
    tabular: bool = False  # a column of values or a table: each cell is a value of its own

    @cached_property
    def cased(self) -> str:
        """The text with names typed in capitals re-cased, and names in text typed without capitals
        capitalised where a cue makes them findable (same offsets): what name cues and NER read."""
        return recase_caseless(self.text) if engine.caseless(self.text) else recase(self.text)

    @cached_property
    def language(self) -> str:
        config = self.detector.config
        if self.forced_language or not config.detect_language:
            return self.forced_language or config.language
        return detect_language(self.text, self.detector.languages, config.language)


@dataclass(frozen=True)
class _NerJob:
    target: _Text
    offset: int  # of the window in the target text
    text: str
    column: columns.Column | None = None  # set when the window is a sampled column value
    lo: int = 0  # where the text the window was cut from (a cell, or the whole text) begins in the target


class Detector:
    """Detects personal data in texts and chunks. Pure (no I/O) and safe to share within a process."""

    def __init__(self, config: DetectionConfig, secret: bytes) -> None:
        self.config = config
        self.secret = secret
        self.ignored = frozenset(config.ignore_entities)
        self.allowed = frozenset(normalise("", v) for v in config.allow_list)
        self.languages = tuple(sorted({*config.models, *config.languages}))
        recognizers = (*RECOGNIZERS, *special.recognizers())
        self.prefilter = _prefilter(tuple(r for r in recognizers if r.entity not in self.ignored))
        for model in set(config.models.values()):
            engine.check_installed(model)
        plugged = [p for p in presidio.load(config.presidio) if set(p.entities) - self.ignored]
        self.gate = presidio.Gate(plugged, self._reportable) if plugged else None

    def preload(self) -> None:
        """Load every NER model, the language identifier and the word lists now, before scan workers
        fork, so each worker starts with them in shared memory instead of loading its own copy."""
        for model in {*self.config.models.values(), self.config.fallback_model} - {None}:
            engine.pipeline(model)
        if self.config.detect_language:
            load_identifier(self.languages, self.config.language)
        given_names()
        lexicon.common_words()

    # -- public API -------------------------------------------------------------------

    def spans(
        self, text: str, language: str | None = None, context: Iterable[str] = (), kind: str = "prose"
    ) -> list[Span]:
        """Spans of personal data in `text` (used by `privmap detect`, and by `detect` below)."""
        return self.analyze([(text, kind, tuple(context))], language)[0]

    def analyze(
        self, texts: Sequence[tuple[str, str, tuple[str, ...]]], language: str | None = None
    ) -> list[list[Span]]:
        """Spans for each (text, kind, context); NER is batched over all of them."""
        jobs = [_Text(t, kind, ctx, column_tokens(ctx), self, language) for t, kind, ctx in texts]
        ner: list[_NerJob] = []
        for job in jobs:
            if job.kind == "values":
                job.tabular = True
                lines = [(off, off + len(line)) for off, line in _lines(job.text) if line.strip()]
                self._plan_columns(job, [columns.Column(" ".join(job.names), lines)], ner)
            elif table := columns.split_table(job.text):
                job.tabular = True
                self._plan_columns(job, table, ner)
            else:
                self._patterns(job)
                self._plan_prose(job, 0, len(job.text), sorted((s.start, s.end) for s in job.spans), ner)
        self._run_ner(ner)
        return [self._finish(job) for job in jobs]

    def detect(self, chunks: Iterable[Chunk], country: str | None = None) -> list[Finding]:
        """Findings over `chunks`, one per (location, entity), counting every occurrence.

        Test values (documentation card numbers, example.com addresses) make a finding of their
        own kind only where no real value of that entity was seen at the location. Every real
        identifier value is kept as a keyed hash in `Finding.occurrences`, with its row for
        tables; phone numbers in national format are read in `country` (ISO 3166-1 alpha-2,
        where the data rests) first, then in the regions of detection.language.
        """
        chunks = list(chunks)
        found = self.analyze([(c.text, c.kind, c.context) for c in chunks])
        regions = identifiers.phone_regions(country, self.config.language)
        tallies: dict[tuple[Location, str], dict[bool, _Tally]] = defaultdict(dict)
        for chunk, spans in zip(chunks, found, strict=True):
            row_of = _RowIndex(chunk) if chunk.rows else None
            for span in spans:
                value = chunk.text[span.start : span.end]
                tally = tallies[(chunk.location, span.entity)].setdefault(span.test_data, _Tally(value, span.why))
                tally.add(span, value_key(self.secret, span.entity, value, regions))
                if not span.test_data and (key := self._occurrence(span, value, regions)):
                    tally.occurrences.add((key, row_of.row(span.start) if row_of else -1))
        findings = []
        for (location, entity), by_kind in tallies.items():
            test_data = False not in by_kind
            t = by_kind[test_data]
            findings.append(
                Finding(
                    entity=entity,
                    category=category_of(entity),
                    location=location,
                    score=round(t.score, 3),
                    count=t.count,
                    preview=mask(entity, t.first),
                    value_key=value_key(self.secret, entity, t.first, regions),
                    distinct=len(t.keys),
                    why=t.why,
                    test_data=test_data,
                    occurrences=tuple(sorted(t.occurrences)),
                )
            )
        return findings

    def _occurrence(self, span: Span, value: str, regions: tuple[str, ...]) -> bytes | None:
        """The index key of a confidently found identifier (names only from NER, a title or a
        column name, never from a guess), or None."""
        kind = identifiers.kind_of(span.entity)
        if kind is None or (kind == "name" and span.score < NAME_SCORE):
            return None
        spelled = identifiers.normalise(kind, value, regions)
        return identifiers.keyed(self.secret, kind, spelled) if spelled else None

    # -- stages -----------------------------------------------------------------------

    def _patterns(self, job: _Text, column_of: _ColumnIndex | None = None) -> None:
        text = job.text
        for rec, start, end in self.prefilter.matches(text):
            span = self._score(job, rec, start, end, column_of)
            if span is not None:
                job.spans.append(span)
        if self.gate is not None:
            for plugged in self.gate.gated(text, job.context):
                job.presidio.extend(self._presidio(job, plugged, column_of))

    def _score(self, job: _Text, rec: Recognizer, start: int, end: int, column_of: _ColumnIndex | None) -> Span | None:
        text = job.text
        value = text[start:end]
        why = [f"pattern {rec.entity}"]
        score = rec.score
        if rec.validator == "iban":
            length = iban_prefix(value)
            if not length:
                return None
            end = start + length
            value = text[start:end]
            why.append("IBAN mod-97 checksum")
        elif rec.validator == "phone":
            scored = phone_score(value, job.language) if plausible(value) else None
            if scored is None:
                return None
            score, reason = scored
            why.append(reason)
        elif rec.validator:
            if not VALIDATORS[rec.validator](value):
                return None
            why.append(f"{rec.validator} check")
            if rec.validator == "luhn" and not card_network(value):
                score, why[-1] = 0.4, "luhn check, unknown card network"
        elif rec.entity == "EMAIL_ADDRESS" and _USERINFO.search(text, max(0, start - 256), start):
            return None  # 'ftp://user:password@host': credentials in a URL, not an address
        elif rec.entity in _SPECIAL and rec.validator is None and special.institutional(text, start, end):
            return None  # 'Diabetes Clinic', 'Union Street': a name, not a fact about someone
        # strong matches need no backing; looking for it is most of the cost in logs and tables
        backing = self._backing(job, rec.context, start, end, column_of) if score < STRONG else None
        if backing is None and rec.validator == "phone" and score < STRONG and (label := letter_label(text, start)):
            backing = (f"label '{label}:'", 0.0)
        if backing:
            why.append(backing[0])
            score = min(1.0, score + CONTEXT_BOOST) - backing[1]
        return Span(start, end, rec.entity, round(score, 3), "; ".join(why), is_test_value(rec.entity, value))

    def _presidio(self, job: _Text, plugged: presidio.Plugged, column_of: _ColumnIndex | None) -> Iterator[Span]:
        """Spans of a Presidio recognizer. With `context` on, a match scores its pattern's score
        (a validator only decides whether it counts, as privmap's do) and a context word or column
        name lifts it; off, it keeps Presidio's score (1.0 when validated)."""
        scored = self.config.presidio.context
        text = job.text
        for result in plugged.analyze(text):
            if result.entity_type in self.ignored or _fragment(text, result.start, result.end):
                continue
            explained = result.analysis_explanation
            score = explained.original_score if scored and explained is not None else result.score
            why = [f"presidio:{plugged.name}"]
            validated = explained is not None and bool(explained.validation_result)
            if validated:
                why.append("validated")
            elif scored and _doubtful(result.entity_type, text[result.start : result.end]):
                score = min(score, self._threshold(result.entity_type) - CONTEXT_BOOST / 2)
            backing = (
                self._backing(job, plugged.context, result.start, result.end, column_of)
                if scored and score < STRONG
                else None
            )
            if backing:
                why.append(backing[0])
                score = max(min(1.0, score + CONTEXT_BOOST), PRESIDIO_CONTEXT_SCORE) - backing[1]
            elif scored and not validated and score <= self._threshold(result.entity_type):
                continue  # a bare shape at the bar (IN_VEHICLE_REGISTRATION on every hash) needs context
            value = text[result.start : result.end]
            yield Span(
                result.start,
                result.end,
                result.entity_type,
                round(score, 3),
                "; ".join(why),
                is_test_value(result.entity_type, value),
            )

    def _backing(
        self, job: _Text, words: frozenset[str], start: int, end: int, column_of: _ColumnIndex | None
    ) -> tuple[str, float] | None:
        """What backs a candidate, and a penalty for its distance: its column name, or a context word near it.
        The nearer word wins when two recognizers claim one value ('passport' vs 'ssn')."""
        if not words:
            return None
        names = column_of.tokens(start) if column_of else job.context
        if names & words:
            return f"column name '{column_of.name(start) if column_of else min(names & words)}'", 0.0
        near = find_context(words, job.text, start, end)
        return (f"context word '{near[0]}'", near[1] / 10_000) if near else None

    def _plan_prose(self, job: _Text, lo: int, hi: int, taken: list[tuple[int, int]], ner: list[_NerJob]) -> None:
        """Cues (titles, given names, addresses, countries) in windows around candidate words of
        text[lo:hi], then NER only around the candidates no confident cue explains: a titled name,
        a given name with a surname or a street address is what it is, and NER would only read it
        again. `taken` (sorted) holds the pattern spans already found, which no window reads."""
        text = job.cased
        part = text[lo:hi]
        inside = taken[bisect_left(taken, (lo,)) : bisect_left(taken, (hi,))]
        local = [(s - lo, e - lo) for s, e in inside if e <= hi]
        # text typed without capitals was re-cased where a cue makes a name findable (_Text.cased):
        # NER reads around those words, never every character of it
        caseless = engine.caseless(job.text[lo:hi])
        # a value the patterns found counts as one token however it is written: a phone in four groups or
        # an IBAN in seven is no list of numbers, and 'Call John Smith, +44 20 7946 0958' is a line of prose
        spots = [
            c for c in engine.candidates(_blanked(part, local), ordinary_words()) if not _covered(local, c[0], c[0] + 1)
        ]
        found = engine.windows(part, spots, local, lines=caseless)
        explained: list[tuple[int, int]] = []  # spans of confident cues, relative to lo
        for wlo, whi in found:
            a, b = wlo + lo, whi + lo
            for s, e, title in titled_names(text, a, b):
                job.spans.append(Span(s, e, "PERSON", TITLE_SCORE, f"title '{title}'"))
                explained.append((s - lo, e - lo))
            for s, e, _given in given_names_found(text, a, b):
                if not street_like(text[s:e]):
                    job.spans.append(Span(s, e, "PERSON", GIVEN_NAME_SCORE, "given name and surname"))
                    explained.append((s - lo, e - lo))
            for s, e in cued_names(text, max(text.rfind("\n", 0, a) + 1, a - _ADDRESS_REACH), b):
                job.spans.append(Span(s, e, "PERSON", CUED_NAME_SCORE, "words that name someone before it"))
                explained.append((max(s, lo) - lo, min(e, hi) - lo))
            for s, e in lone_given_names(text, a, b):  # 'Florence', 'Jordan': NER still tells places apart
                job.spans.append(Span(s, e, "PERSON", LONE_GIVEN_NAME_SCORE, "given name"))
            # from the start of the line: a house number may sit in a span a pattern took ('17151 2450 Crown St')
            for s, e in addresses(text, max(text.rfind("\n", 0, a) + 1, a - _ADDRESS_REACH), b):
                job.spans.append(Span(s, e, "LOCATION", ADDRESS_SCORE, "street address pattern"))
                explained.append((max(s, lo) - lo, min(e, hi) - lo))
            for s, e in countries(text, a, b):
                job.spans.append(Span(s, e, "LOCATION", COUNTRY_SCORE, "country name"))
            for s, e in cued_places(text, max(text.rfind("\n", 0, a) + 1, a - _ADDRESS_REACH), b):
                job.spans.append(Span(s, e, "LOCATION", CUED_PLACE_SCORE, "words of place before it"))
                explained.append((max(s, lo) - lo, min(e, hi) - lo))
        if caseless:  # 'apt. 999', 'suite 112': units need no capitals
            for s, e in units(text, lo, hi):
                job.spans.append(Span(s, e, "LOCATION", ADDRESS_SCORE, "street address pattern"))
        fallback = bool(spots) and job.language not in self.config.models  # only what _corroborated keeps
        if explained or fallback:  # a cue cut short ('Adam Mc' of 'Adam McDowell') explains nothing
            known = _merged([(s, e) for s, e in explained if not part[e : e + 1].isalnum()])
            rest = [c for c in spots if not _covered(known, c[0], c[1]) and (not fallback or _corroborable(part, *c))]
            windows = engine.windows(part, rest, local, caseless) if len(rest) < len(spots) else found
        else:
            windows = found
        for wlo, whi in windows:
            ner.append(_NerJob(job, wlo + lo, text[wlo + lo : whi + lo], lo=lo))

    def _plan_columns(self, job: _Text, table: list[columns.Column], ner: list[_NerJob]) -> None:
        index = _ColumnIndex(table)
        self._patterns(job, index)
        taken = {(s.start, s.end) for s in job.spans}
        for column in table:
            values = [recase_value(job.text[s:e]) for s, e in column.cells]
            tokens = column_tokens([column.name])
            if credentials.password_column(tokens):
                for s, e, entity, why in credentials.classify(job.text, column.name, column.cells):
                    job.spans.append(Span(s, e, entity, credentials.SCORE, why))
                continue
            hint = columns.header_entity(tokens)
            if category := special.column_entity(tokens):  # 'diagnosis', 'religion': every value is one
                why = f"column name '{column.name}'"
                for (s, e), value in zip(column.cells, values, strict=True):
                    if any(c.isalpha() for c in value):
                        job.spans.append(Span(s, e, category, COLUMN_SCORE, why))
            elif hint:
                fits = columns.name_like if hint == "PERSON" else columns.place_like
                why = f"column name '{column.name}'"
                strong = _strong(job.spans)
                for (s, e), value in zip(column.cells, values, strict=True):
                    if fits(value) and not _covered(strong, s, e):
                        job.spans.append(Span(s, e, hint, COLUMN_SCORE, why))
            elif columns.prose_like(values):
                ordered = sorted(taken)
                for s, e in column.cells:
                    self._plan_prose(job, s, e, ordered, ner)
            elif self._address_column(job, column, values):
                continue
            elif not columns.business(tokens):  # a 'company' column of business names is not people
                sample = [(s, e) for (s, e), v in zip(column.cells, values, strict=True) if columns.name_like(v)]
                sample = [c for c in sample if c not in taken][:_SAMPLE]
                if len(sample) >= max(1, 0.6 * min(len(values), _SAMPLE)):
                    ner.extend(_NerJob(job, s, recase_value(job.text[s:e]), column, s) for s, e in sample)

    def _address_column(self, job: _Text, column: columns.Column, values: list[str]) -> bool:
        """Mark the cells of a column whose sampled values are street addresses, whatever its name
        ('line1', 'ship_to'); True when it is such a column."""
        sample = [v for v in values[:_SAMPLE] if v.strip()]
        if not sample or sum(bool(next(addresses(v), None)) for v in sample) * 2 < len(sample):
            return False
        why = "column values are street addresses"
        for (s, e), value in zip(column.cells, values, strict=True):
            if next(addresses(value), None):
                job.spans.append(Span(s, e, "LOCATION", ADDRESS_SCORE, why))
        return True

    def _run_ner(self, ner: list[_NerJob]) -> None:
        by_model: dict[str, list[_NerJob]] = defaultdict(list)
        for item in ner:
            model = self.config.models.get(item.target.language) or self.config.fallback_model
            if model:
                by_model[model].append(item)
        votes: Counter[tuple[int, str]] = Counter()  # (column id, entity) -> sampled values that are one
        columns_seen: dict[int, tuple[_Text, columns.Column]] = {}
        for model, items in by_model.items():
            for item, ents in zip(items, engine.entities(model, [i.text for i in items]), strict=True):
                found = [(s, e, engine.LABELS.get(label)) for s, e, label in ents]
                found = [(s, e, entity) for s, e, entity in found if entity and entity not in self.ignored]
                found = [(s, e, entity) for s, e, entity in found if not _sentence_capital(item, entity, s, e)]
                if item.column is not None:
                    columns_seen[id(item.column)] = (item.target, item.column)
                    for entity in {entity for s, e, entity in found if (e - s) * 2 >= len(item.text)}:
                        votes[(id(item.column), entity)] += 1
                    continue
                native = model == self.config.models.get(item.target.language)
                for s, e, entity in found:
                    s, e = _trim(item.text, s, e)
                    if entity == "PERSON" and street_like(item.text[s:e]):
                        entity = "LOCATION"
                    elif entity == "LOCATION" and _given_name_led(item.text[s:e]):
                        entity = "PERSON"  # 'Zuzana', 'Maurice Okafor': CNN models call rare names places
                    elif entity == "PERSON":
                        s, e = _name_start(item.text, s, e), extend_name(item.text, s, _name_end(item.text, s, e))
                        if item.text[s:e].islower() and not item.text.islower():
                            continue  # names are capitalised wherever anything is
                    if not native and not _corroborated(entity, item.text, s, e):
                        continue
                    if _plausible(entity, item.text[s:e]):
                        score = NER_SCORE if native else FALLBACK_NER_SCORE
                        item.target.spans.append(Span(s + item.offset, e + item.offset, entity, score, f"NER {model}"))
        sampled = Counter(id(i.column) for i in ner if i.column is not None)
        for (cid, entity), hits in votes.items():
            target, column = columns_seen[cid]
            if hits * 2 >= sampled[cid]:
                why = f"column values look like {entity} (NER on a sample)"
                strong = _strong(target.spans)
                for s, e in column.cells:
                    if columns.name_like(recase_value(target.text[s:e])) and not _covered(strong, s, e):
                        target.spans.append(Span(s, e, entity, COLUMN_SCORE, why))

    def _finish(self, job: _Text) -> list[Span]:
        """Threshold, resolve overlaps (best score wins, patterns before NER, privmap's spans before
        Presidio's), merge places, filter."""
        own = _union([s for s in job.spans if s.score >= self._threshold(s.entity) and s.entity not in self.ignored])
        own.sort(key=lambda s: (-s.score, not s.why.startswith("pattern"), s.start - s.end))
        extra = sorted(
            (s for s in job.presidio if s.score >= self._threshold(s.entity)), key=lambda s: (-s.score, s.start - s.end)
        )
        chosen: list[Span] = []
        taken: list[tuple[int, int]] = []  # sorted, disjoint
        for span in [*own, *extra]:
            if _covered(taken, span.start, span.end):
                continue
            insort(taken, (span.start, span.end))
            chosen.append(span)
        chosen.sort(key=lambda s: s.start)
        merged: list[Span] = []
        for span in chosen:
            prev = merged[-1] if merged else None
            if (
                prev
                and not job.tabular  # cells are values of their own, never one place
                and prev.entity == span.entity == "LOCATION"
                and span.start - prev.end <= _MERGE_GAP
                and not job.text[prev.end : span.start].strip(" ,\t")
            ):
                merged[-1] = replace(prev, end=span.end, score=max(prev.score, span.score))
            else:
                merged.append(span)
        return [s for s in merged if normalise("", job.text[s.start : s.end]) not in self.allowed]

    def _threshold(self, entity: str) -> float:
        return self.config.thresholds.get(entity, self.config.min_score)

    def _reportable(self, entity: str, score: float) -> bool:
        """A Presidio pattern of this score can be reported with no context word (so the gate must run it)."""
        return not self.config.presidio.context or score >= self._threshold(entity)


class _ColumnIndex:
    """Which column a character offset of a table text falls in."""

    def __init__(self, table: list[columns.Column]) -> None:
        cells = sorted((s, e, i) for i, c in enumerate(table) for s, e in c.cells)
        self.starts = [c[0] for c in cells]
        self.cells = cells
        self.table = table
        self.names = [column_tokens([c.name]) for c in table]

    def _column(self, offset: int) -> int | None:
        i = bisect_right(self.starts, offset) - 1
        return self.cells[i][2] if i >= 0 and offset < self.cells[i][1] else None

    def tokens(self, offset: int) -> frozenset[str]:
        i = self._column(offset)
        return self.names[i] if i is not None else frozenset()

    def name(self, offset: int) -> str:
        i = self._column(offset)
        return self.table[i].name if i is not None else ""


@dataclass
class _Tally:
    first: str
    why: str
    score: float = 0.0
    count: int = 0
    keys: set[str] = field(default_factory=set)
    occurrences: set[tuple[bytes, int]] = field(default_factory=set)  # (index key, row or -1)

    def add(self, span: Span, key: str) -> None:
        self.count += 1
        if span.score > self.score:
            self.score, self.why = span.score, span.why
        self.keys.add(key)


@lru_cache(maxsize=4)
def _prefilter(recognizers: tuple[Recognizer, ...]) -> Prefilter:
    return Prefilter(recognizers)


class _RowIndex:
    """Which row of a table a character offset of a "values" chunk falls in (one value per line)."""

    def __init__(self, chunk: Chunk) -> None:
        self.rows = chunk.rows
        self.starts = [0, *(i + 1 for i, c in enumerate(chunk.text) if c == "\n")]

    def row(self, offset: int) -> int:
        line = bisect_right(self.starts, offset) - 1
        return self.rows[line] if line < len(self.rows) else -1


def _union(spans: list[Span]) -> list[Span]:
    """Overlapping spans of one entity become one: 'Baker Street' (NER) and '221B Baker Street'."""
    out: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.entity, s.start)):
        prev = out[-1] if out else None
        if prev and prev.entity == span.entity and span.start < prev.end:
            best = prev if prev.score >= span.score else span
            out[-1] = replace(
                best, start=prev.start, end=max(prev.end, span.end), test_data=prev.test_data or span.test_data
            )
        else:
            out.append(span)
    return out


def _strong(spans: list[Span]) -> list[tuple[int, int]]:
    """Sorted offsets of the spans a column guess must not override."""
    return sorted((s.start, s.end) for s in spans if s.score >= COLUMN_SCORE)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, disjoint (start, end) covering `spans`."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _covered(taken: list[tuple[int, int]], start: int, end: int) -> bool:
    i = bisect_right(taken, (start, 1 << 62))
    return bool((i and taken[i - 1][1] > start) or (i < len(taken) and taken[i][0] < end))


def _fragment(text: str, start: int, end: int) -> bool:
    """The match is a piece of a longer token: 'fa4c7744' of a UUID, the middle of a hash or path.
    privmap's own patterns hold these boundaries; Presidio's use \\b, which a hyphen satisfies."""
    before = text[start - 2 : start] if start >= 2 else " " + text[:start]
    after = text[end : end + 2]
    joined = before[-1:].isalnum() or (before[-1:] in "-._/" and before[:1].isalnum())
    return joined or after[:1].isalnum() or (after[:1] in "-._/" and after[1:2].isalnum())


def _doubtful(entity: str, value: str) -> bool:
    """A shape that is rarely what the recognizer claims unless a context word says so: a MAC
    address of decimal digits only ('2023.0415.0001' is a reference number)."""
    return entity == "MAC_ADDRESS" and not any(c in "abcdefABCDEF" for c in value)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Entity offsets without a trailing possessive or surrounding punctuation."""
    value = text[start:end]
    for suffix in ("'s", "’s"):
        if value.endswith(suffix):
            end -= len(suffix)
    while end > start and not text[end - 1].isalnum():
        end -= 1
    while start < end and not text[start].isalnum():
        start += 1
    return start, end


# prepositions that put a place after them, in the languages read with the fallback model
_LOCATIVE = re.compile(
    r"(?i)(?:^|\s)(?:in|en|à|a|nach|aus|w|we|em|no|na|naar|uit|te|bei|desde|hasta|para|per|verso)\s+$"
)


def _corroborated(entity: str, text: str, start: int, end: int) -> bool:
    """A name or place the fallback model found in a language it was not trained on, and that
    something else backs: a known given name or surname in it, or a preposition of place before
    it ('en Madrid', 'nach Kassel'), or a country name. The English model reads most capitalised
    nouns of Spanish or German legal text as names otherwise ('Convenio Europeo', 'Gobierno')."""
    value = text[start:end]
    if entity == "PERSON":
        return known_name(value)
    if entity == "LOCATION":
        return bool(_LOCATIVE.search(text, max(0, start - 8), start)) or any(countries(value))
    return True


def _corroborable(text: str, start: int, end: int) -> bool:
    """A candidate word whose entity _corroborated could keep: a known given name or surname, a
    country, or a word after a preposition of place. The fallback model's other finds are dropped,
    so NER need not read them (German capitalises every noun)."""
    return (
        known_name(text[start:end])
        or bool(_LOCATIVE.search(text, max(0, start - 8), start))
        or any(countries(text, start, min(len(text), end + 40)))
    )


def _name_end(text: str, start: int, end: int) -> int:
    """Where a name NER found ends, before lower-case words it took along ('Jürgen angerufen')."""
    words = text[start:end].split()
    while len(words) > 1 and words[-1][:1].islower() and not particle(words[-1]):
        words.pop()
    return text.rindex(words[-1], start, end) + len(words[-1]) if words else end


def _given_name_led(value: str) -> bool:
    """One to three capitalised words led by a known given name, and not a country: a person."""
    words = value.split()
    return (
        len(words) <= 3
        and words[0] in given_names()
        and all(w[:1].isupper() for w in words)
        and not any(countries(value))
    )


def _name_start(text: str, start: int, end: int) -> int:
    """Where a name NER found begins, past the words it took along that are no part of a name:
    lower-case ones that are not surname particles ('paciente Andrés Moreno', read by the English
    model), titles ('Pan Krzysztof Nowak') and words capitalised for grammar ('Il')."""
    words = text[start:end].split()
    titled = [i for i, w in enumerate(words[:-1]) if is_title(w)]
    pos, skip = start, titled[-1] + 1 if titled else 0  # 'Antrag von Frau Marlene': the name follows the title
    for i, word in enumerate(words):
        if i >= skip and (word[:1].isupper() or particle(word)) and not is_title(word) and word not in engine.COMMON:
            break
        pos = text.index(word, pos) + len(word)
        while pos < end and text[pos].isspace():
            pos += 1
    return pos if pos < end else start


_OPENERS = " \t\"'“‘«(["  # what may stand between a sentence's start and its first word
_BULLET = re.compile(r"[-*•·>]+|\d{1,3}[.)]")


def _blanked(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with each of `spans` (sorted; overlaps allowed) written as one token, engine.FOUND_VALUE and
    spaces (line breaks kept): the same offsets and lines, and a value in several groups is one non-word."""
    if not spans:
        return text
    out, pos = [], 0
    for start, end in spans:
        start = max(start, pos)
        if end > start:
            out += [text[pos:start], engine.FOUND_VALUE, re.sub(r"[^\n]", " ", text[start + 1 : end])]
            pos = end
    return "".join(out) + text[pos:]


def _sentence_capital(item: _NerJob, entity: str, start: int, end: int) -> bool:
    """A person or place NER found in English that is one ordinary word, capitalised only because
    it starts a sentence, a line or a cell ('Thumbnail 91 regenerated', '- Queue cleared', 'Subject:
    Invoice overdue'): not a proper noun in the dictionary ('Paris', 'Nice'), not a known given name
    or surname, not a country. The small CNN models read that capital as a name."""
    if entity not in ("PERSON", "LOCATION") or item.target.language != "en":
        return False  # the dictionary is English; other languages' capitals stay NER's (or _corroborated's) call
    start, end = _trim(item.text, start, end)
    word = item.text[start:end]
    return (
        word.isalpha()
        and word[1:].islower()
        and _sentence_start(item.target.text, item.offset + start, item.lo)
        and lexicon.common_word(word)
        and not known_name(word)
        and not any(countries(word))
    )


def _sentence_start(text: str, start: int, lo: int = 0) -> bool:
    """The word at `start` begins a sentence, a line or the cell that begins at `lo`: only a bullet,
    quotes or brackets stand before it, or the end of a sentence or of a label ('Subject: ')."""
    before = text[max(lo, text.rfind("\n", 0, start) + 1) : start].rstrip(_OPENERS)
    return not before or before[-1] in ".!?:;" or bool(_BULLET.fullmatch(before.lstrip()))


def _plausible(entity: str, value: str) -> bool:
    """NER output that cannot be what it claims: digits in a name, a single letter, an address,
    an identifier ('Fc12a9', a UUID), a short lower-case word of a log line ('req'), an office
    ('Madam President')."""
    letters = sum(c.isalpha() for c in value)
    if letters < 2 or "@" in value or "://" in value or _IDENTIFIER.search(value):
        return False
    if len(value) < 4 and value.islower():
        return False
    if entity == "PERSON":
        return not any(c.isdigit() for c in value) and not is_role(value)
    return True


def _lines(text: str) -> Iterator[tuple[int, str]]:
    """(offset, line) for each line of `text`, without its line break."""
    pos = 0
    for line in text.splitlines(keepends=True):
        yield pos, line.rstrip("\r\n")
        pos += len(line)
