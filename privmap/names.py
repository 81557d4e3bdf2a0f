"""Personal data in names: object keys, file and folder names, archive members, JSON key paths.

Names are data too (`users/anna.byrne@mailbox.ie/cv.pdf`, a JSON object keyed by e-mail address),
and they travel further than content: into findings, reports, logs and the state store. Every name
a scan records passes through `NameGuard`, which finds identifiers in it and replaces each with its
masked preview and a short keyed hash (`users/a***@m***.ie~3f9a1c2b/cv.pdf`): stable across runs,
so an unchanged object is still recognised, and meaningless without the install key. The name
itself becomes a finding (field `(name)`), so an estate that keys objects by e-mail is reported.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from urllib.parse import quote, unquote

from privmap import identifiers
from privmap.data import category_of
from privmap.detectors.detector import NAME_SCORE, Detector
from privmap.detectors.masking import mask, value_key
from privmap.identifiers import kind_of
from privmap.model import Finding, Item, ItemOutcome, Location

NAME_FIELD = "(name)"
_KEY_CHARS = 8  # of the keyed hash shown beside a masked value: tells values apart, reveals nothing
# characters a URI keeps as they are when a pseudonymised name is quoted back
_URI_SAFE = "/:~*@!$&'()+,;=[]"

# (text, kind, context) -> spans with .start .end .entity .score, as Detector.analyze returns them
Analyze = Callable[[Sequence[tuple[str, str, tuple[str, ...]]]], list[list]]


class NameGuard:
    """Pseudonymises the names in locations; pure and deterministic for one install key."""

    def __init__(self, analyze: Analyze, secret: bytes, category_of: Callable[[str], str]) -> None:
        self.analyze, self.secret, self.category_of = analyze, secret, category_of
        self._cache: dict[str, tuple[str, list[tuple[str, str, float, str]]]] = {}

    @classmethod
    def of(cls, detector: Detector) -> NameGuard:
        """The guard that reads names with `detector` and keys them with its install secret."""
        return cls(lambda texts: detector.analyze(texts, None), detector.secret, category_of)

    def name(self, text: str) -> tuple[str, list[tuple[str, str, float, str]]]:
        """(`text` with every identifier replaced by its pseudonym, [(entity, value, score, why)]).

        A path is read one segment at a time: no identifier a name may carry spans a `/` (e-mail, IBAN,
        card, national id, phone with its country code), and the folders every item shares are then read
        once per run, not once per item (`2026/11/30` holds six digits, none of its segments does)."""
        if not _may_hold_identifier(text):
            return text, []
        if "/" not in text:
            return self._segment(text)
        read = [self._segment(segment) for segment in text.split("/")]
        found = [f for _, segment_found in read for f in segment_found]
        return ("/".join(safe for safe, _ in read), found) if found else (text, [])

    def _segment(self, text: str) -> tuple[str, list[tuple[str, str, float, str]]]:
        """`name` for text without a `/`, cached per guard."""
        if not _may_hold_identifier(text):
            return text, []
        if text in self._cache:
            return self._cache[text]
        (spans,) = self.analyze([(_readable(text), "prose", ("file name",))])
        found, out, last = [], [], 0
        for span in sorted(spans, key=lambda s: s.start):
            value = text[span.start : span.end]
            if span.start < last or not _identifier(span.entity, value) or span.test_data:
                continue
            out.append(text[last : span.start])
            out.append(f"{mask(span.entity, value)}~{value_key(self.secret, span.entity, value)[:_KEY_CHARS]}")
            last = span.end
            found.append((span.entity, value, span.score, span.why))
        result = ("".join(out) + text[last:], found) if found else (text, [])
        if len(self._cache) < 100_000:
            self._cache[text] = result
        return result

    def uri(self, uri: str) -> tuple[str, list[tuple[str, str, float, str]]]:
        """A URI with its path's identifiers pseudonymised (the path is read percent-decoded)."""
        scheme, sep, rest = uri.partition("://")
        if not sep:
            return self.name(uri)
        head, slash, path = rest.partition("/")
        decoded = unquote(path)
        safe, found = self.name(decoded)
        if not found:
            return uri, []
        return f"{scheme}://{head}{slash}{quote(safe, safe=_URI_SAFE)}", found

    def location(self, loc: Location) -> Location:
        """`loc` with its uri, part and field pseudonymised."""
        uri, _ = self.uri(loc.uri)
        part, _ = self.name(loc.part)
        field, _ = self.name(loc.field)
        return (
            loc
            if (uri, part, field) == (loc.uri, loc.part, loc.field)
            else replace(loc, uri=uri, part=part, field=field)
        )

    def item(self, item: Item) -> Item:
        """The item as it is recorded: its location and its `path` metadata pseudonymised."""
        path = item.metadata.get("path")
        raw = item.location
        if not _may_hold_identifier(f"{raw.uri}\n{raw.part}\n{raw.field}\n{path or ''}"):
            return item  # one test for every listed item, as listed (a URI's escapes only add digits)
        loc = self.location(raw)
        if loc is item.location and not path:
            return item
        metadata = {**item.metadata, "path": self.name(path)[0]} if path else item.metadata
        return replace(item, location=loc, metadata=metadata)

    def outcome(self, outcome: ItemOutcome) -> ItemOutcome:
        """The outcome as it is stored: every location pseudonymised, and one finding per entity for the
        identifiers in the item's own name (field `(name)`)."""
        item = self.item(outcome.item)
        findings = [replace(f, location=self.location(f.location)) for f in outcome.findings]
        problems = [replace(p, location=self.location(p.location)) for p in outcome.problems]
        _, in_uri = self.uri(outcome.item.location.uri)
        by_entity: dict[str, list[tuple[str, float, str]]] = {}
        for entity, value, score, why in in_uri:
            by_entity.setdefault(entity, []).append((value, score, why))
        for entity, values in sorted(by_entity.items()):
            value, score, why = max(values, key=lambda v: v[1])
            findings.append(
                Finding(
                    entity=entity,
                    category=self.category_of(entity),
                    location=item.location.refine(part="", field=NAME_FIELD),
                    score=score,
                    count=len(values),
                    preview=mask(entity, value),
                    value_key=value_key(self.secret, entity, value),
                    distinct=len({v for v, _, _ in values}),
                    why=f"in the name: {why}",
                    occurrences=self._occurrences(entity, values),
                )
            )
        return replace(outcome, item=item, findings=findings, problems=problems)

    def _occurrences(self, entity: str, values: list[tuple[str, float, str]]) -> tuple[tuple[bytes, int], ...]:
        """Index keys of the identifiers in an item's name, so `privmap locate` finds a file named after
        a person (names only when found with confidence, as in content)."""
        kind = kind_of(entity)
        if kind is None:
            return ()
        spelled = (
            identifiers.normalise(kind, v, ()) for v, score, _ in values if kind != "name" or score >= NAME_SCORE
        )
        return tuple(sorted({(identifiers.keyed(self.secret, kind, s), -1) for s in spelled if s}))


def _readable(segment: str) -> str:
    """A path segment with the separators people put in names read as spaces, character for character (so
    offsets hold): `_` always, `.` too in a segment without an e-mail address (`DE89...000.csv` ends at
    `000`), and in one with an address only before a file extension (`marie@orange.fr.txt` holds
    `marie@orange.fr`)."""
    segment = segment.replace("_", " ")
    if "@" not in segment:
        return segment.replace(".", " ")
    head, dot, extension = segment.rpartition(".")
    # two-letter endings are country domains (`.pl`, `.de`), never cut; the domain must keep a dot of its own
    if dot and len(extension) > 2 and f".{extension.lower()}" in _EXTENSIONS and "." in head.rpartition("@")[2]:
        return f"{head} {extension}"
    return segment


# Python's own table, not the machine's /etc/mime.types, so names read the same on every machine
_EXTENSIONS = frozenset(mimetypes.MimeTypes(filenames=()).types_map[True]) | {
    ".msg",
    ".eml",
    ".xlsx",
    ".docx",
    ".pptx",
    ".ods",
    ".odt",
}


def _may_hold_identifier(text: str) -> bool:
    """Whether `text` could hold an identifier `_identifier` accepts: each has an `@` (e-mail; `%40` in a URI
    not yet decoded) or at least six digits (IBAN, card, phone with its country code, national ids: a UK NINO
    has the fewest, six; decoding a URI never adds digits, a digit escaped is `%3X`). Every listed name passes
    here on every run, so most names (`report.pdf`, `logs/2026/app.log`) skip the detector, and the test runs
    in C: a regex search over a name that holds nothing tries every position (8 us for a 70-character URI);
    deleting the digits of an ASCII name and comparing lengths takes a tenth of that."""
    if "@" in text or "%40" in text:
        return True
    if text.isascii():
        return len(text) - len(text.encode("ascii").translate(None, b"0123456789")) >= 6
    return _SIX_DIGITS.search(text) is not None  # \d: digits of every script


_SIX_DIGITS = re.compile(r"(?:\d\D*+){6}")


def _identifier(entity: str, value: str) -> bool:
    """Identifiers a name can carry without doubt: e-mail, IBAN, card and national ids, and phone numbers
    written with their country code (digits in names are mostly dates, versions and counters)."""
    kind = kind_of(entity)
    if kind in ("email", "iban", "card", "national_id"):
        return True
    return kind == "phone" and value.lstrip().startswith("+")
