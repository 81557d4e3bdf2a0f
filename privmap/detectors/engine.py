"""spaCy NER, run only where it can matter.

A pipeline per model, loaded once per process with every pipe but `ner` (and what `ner` listens
to) left out. Text reaches it only in windows around capitalised words that could start a name
or a place; everything else (log lines, numbers, lower-case prose) never pays for NER. The CNN
models see a few tokens either side of a word, so a window of some tokens around a candidate
gives the entities NER would find in the whole text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from privmap.model import Halt

# spaCy labels (OntoNotes for English, WikiNER for the European news models) -> privmap entities
LABELS = {
    "PERSON": "PERSON",
    "PER": "PERSON",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "ORG": "ORGANIZATION",
    "NORP": "NRP",
    "DATE": "DATE_TIME",
    "TIME": "DATE_TIME",
}
_WINDOW = 32  # characters kept on each side of a candidate word (five to six tokens)
_BATCH = 128  # texts per nlp.pipe batch
# characters per batch: spaCy holds a whole batch's arrays at once (~400 bytes a character with the small
# CNN pipelines: 5 MB of caseless text in one batch took 2.4 GB), so a long piece goes through alone
_BATCH_CHARS = 100_000
_PART = re.compile(r"[-'’]")
_LETTER = re.compile(r"[^\W\d_]")
_PROSE_WORD = re.compile(r"[(\"'¿¡«“]*[^\W\d_]+(?:[-'’][^\W\d_]+)*[.,;:!?)\"'»”]*")


class ModelMissing(Halt, RuntimeError):
    """A configured spaCy model is not installed, or a model cannot be loaded."""


def _chars(pred: Any) -> str:
    ranges = [(0x41, 0x24F), (0x370, 0x52F), (0x1E00, 0x1EFF)]
    return "".join(re.escape(chr(c)) for lo, hi in ranges for c in range(lo, hi + 1) if pred(chr(c)))


UPPER = _chars(lambda c: c.isupper() and c.isalpha())
LOWER = _chars(lambda c: c.islower() and c.isalpha())
# a capitalised word that starts a token (not 'Mozilla' in 'agent=Mozilla/5.0')
_CANDIDATE = re.compile(rf"(?<![\w@./:=<_-])[{UPPER}][{LOWER}]+(?:[-'’][{UPPER}]?[{LOWER}]+)*")
# words written with a capital for grammar or habit, not because they name someone or somewhere
COMMON = frozenset(
    """I I'm I'll I've I'd A An The This That These Those It Its We Our You Your He She They Their My If In On At
    For To Of And Or But So As By From With Without Not No Yes All Any Some Each Every Could Can Would Will
    Shall Should Might Must Do Does Did Is Are Was Were Have Has Had Let Let's Sorry Ok Okay Great Good Sure
    However Unfortunately Regarding Attached Find See Note Many Much Most More Such Only Even Still Since Until
    Because Although Though Anyway Besides Otherwise Meanwhile Once Again Please Thanks Thank Hi Hello Hey Dear
    Regards Best Kind Cheers Sincerely Yours Subject Re Fwd Fw Sent Here There When Where What Who Why How Which
    While After Before Also Just Then Now Today Tomorrow Monday Tuesday Wednesday Thursday Friday Saturday
    Sunday January February March April May June July August September October November December Mon Tue Wed Thu
    Fri Sat Sun Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Le La Les Un Une Des Du De Et Ou Mais Nous Vous
    Je Il Elle Ils Elles Ce Cette Ces Merci Pouvez Pourriez Est Sont Avec Pour Dans Sur Par Donc Car Si Quand
    Comme On Cela Ceci Voici Voilà Bien Nous Avons Vous Avez Ci-joint Bonjour Bonsoir Cordialement Madame
    Monsieur Lundi Mardi Mercredi Jeudi Vendredi Samedi Dimanche Der Die Das Den Dem Des Einen Mit Für Von Zu
    Bei Nach Wenn Weil Dass Bitte Vielen Anbei Können Könnten Gestern Heute Morgen Ein Eine Und Oder Aber Wir
    Ich Sie Es Danke Hallo Grüße Gruß Liebe Lieber Sehr Geehrte Geehrter Montag Dienstag Mittwoch Donnerstag
    Freitag Samstag Sonntag El Los Las Una Por Para Con Hemos Puede Puedes Podría Gracias Hola Saludos Estimado
    Estimada Lunes Martes Miércoles Jueves Viernes Sábado Domingo Lo Gli Uno Per Grazie Ciao Buongiorno Cordiali
    Saluti Gentile Het Een Wij Ik Dat Dank Bedankt Groeten Beste Met Vriendelijke Na Nie Ja Dzień Dobry Dziękuję
    Pozdrawiam Szanowny Szanowna""".split()
)


def check_installed(model: str) -> None:
    """Raise ModelMissing unless `model` is an installed spaCy model package, or a directory holding
    a spaCy pipeline (its config.cfg), as a vendored model is shipped (without loading it)."""
    from importlib.util import find_spec

    if _is_path(model):
        if not (Path(model) / "config.cfg").is_file():
            raise ModelMissing(f"no spaCy pipeline (config.cfg) in the model directory {model!r}")
        return
    if find_spec(model) is None:
        raise ModelMissing(
            f"spaCy model {model!r} is not installed (make install installs the pinned defaults; "
            "set detection.models to use another)"
        )


def _is_path(model: str) -> bool:
    """A model given as a directory ('/opt/models/en_core_web_md') rather than a package name."""
    return "/" in model or "\\" in model


@lru_cache(maxsize=8)
def pipeline(model: str) -> Any:
    """The spaCy pipeline `model` (a package name or a directory) with only NER enabled; cached, so
    loaded once per process."""
    import spacy
    import spacy.util

    check_installed(model)
    root = Path(model) if _is_path(model) else spacy.util.get_package_path(model)
    config = spacy.util.load_config(next(root.glob("*/config.cfg"), root / "config.cfg"))
    keep = {"ner", *_listened(config)}
    names = config["nlp"]["pipeline"]
    return spacy.load(root if _is_path(model) else model, exclude=[n for n in names if n not in keep])


def _listened(config: Any) -> set[str]:
    """Upstream components the NER model listens to (shared tok2vec or transformer)."""
    tok2vec = config["components"].get("ner", {}).get("model", {}).get("tok2vec", {})
    upstream = tok2vec.get("upstream")
    if not upstream:
        return set()
    return set(config["nlp"]["pipeline"]) if upstream == "*" else {upstream}


def candidates(text: str, ordinary: frozenset[str] = frozenset()) -> Iterator[tuple[int, int]]:
    """Capitalised words that may begin or be part of a name or a place, on lines of prose; not
    those in COMMON, nor those whose lower-case form (or first part: 'Pouvez-vous') is in
    `ordinary` (stop words capitalised at a sentence start, which NER need not read)."""
    line_start, prose = -1, False
    for m in _CANDIDATE.finditer(text):
        word = m.group()
        first = _PART.split(word, maxsplit=1)[0]
        if word in COMMON or first in COMMON or (ordinary and first.lower() in ordinary):
            continue
        start = text.rfind("\n", 0, m.start()) + 1
        if start != line_start:
            end = text.find("\n", m.end())
            line_start, prose = start, prose_line(text[start : len(text) if end == -1 else end])
        if prose:
            yield m.start(), m.end()


# what stands for a value the patterns found, however many groups it is written in (detector._blanked):
# a private-use character, so no token of real text ('# Summary', 'Issue # 42') is taken for one
FOUND_VALUE = "\ue000"


def prose_line(line: str) -> bool:
    """Most of the line is words: not a log record, a table row or a list of numbers. A found value
    (FOUND_VALUE) is one token, and a label before values ('Phone: +44 20 7946 0958') is no prose."""
    tokens = line.split()
    words = sum(1 for t in tokens if _PROSE_WORD.fullmatch(t))
    return words * 2 >= len(tokens) and (words >= 2 or FOUND_VALUE not in tokens)


def caseless(text: str) -> bool:
    """Prose typed without capitals (chat, search logs, lower-cased exports)."""
    sample = text[:2000]
    if sample != sample.lower():  # any capital (the common case, decided at C speed)
        return False
    return len(_LETTER.findall(sample)) >= 20


def windows(
    text: str, spots: Sequence[tuple[int, int]], taken: Sequence[tuple[int, int]] = (), lines: bool = False
) -> list[tuple[int, int]]:
    """Merged windows around `spots`, cut at whitespace so no word is split, and kept clear of
    `taken` (sorted spans already found by patterns: NER has nothing to add inside an email);
    with `lines`, kept within the line of their spot (short lines of chat or logs are unrelated)."""
    out: list[tuple[int, int]] = []
    for start, end in spots:
        lo = max(0, start - _WINDOW)
        hi = min(len(text), end + _WINDOW)
        if lines:
            lo = max(lo, text.rfind("\n", lo, start) + 1)
            stop = text.find("\n", end, hi)
            hi = hi if stop == -1 else stop
        i = bisect_right(taken, (start, 0))
        if i and taken[i - 1][1] > lo:
            lo = min(start, taken[i - 1][1])
        if i < len(taken) and taken[i][0] < hi:
            hi = max(end, taken[i][0])
        if lo > 0 and not text[lo - 1].isspace():
            space = text.find(" ", lo, start)
            lo = space + 1 if space != -1 else start
        if hi < len(text) and not text[hi].isspace():
            space = text.rfind(" ", end, hi)
            hi = space if space != -1 else end
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


# spaCy refuses a text over nlp.max_length (1,000,000 characters) and its memory grows with the
# length, so a long text (a 2 MB cell, a log with no line breaks) goes through in pieces
MAX_NER_CHARS = 100_000


def entities(model: str, texts: Sequence[str]) -> list[list[tuple[int, int, str]]]:
    """(start, end, spaCy label) of the entities in each text, in one batched pass; offsets are into the
    text whatever its length (a text longer than MAX_NER_CHARS is read in pieces)."""
    nlp = pipeline(model)
    pieces = [(i, off) for i, text in enumerate(texts) for off in range(0, len(text) or 1, MAX_NER_CHARS)]
    found: list[list[tuple[int, int, str]]] = [[] for _ in texts]
    for batch in _batches(pieces, texts):
        docs = nlp.pipe((texts[i][off : off + MAX_NER_CHARS] for i, off in batch), batch_size=len(batch))
        for (i, off), doc in zip(batch, docs, strict=True):
            found[i].extend((e.start_char + off, e.end_char + off, e.label_) for e in doc.ents)
    return found


def _batches(pieces: list[tuple[int, int]], texts: Sequence[str]) -> Iterator[list[tuple[int, int]]]:
    """`pieces` (text index, offset) in runs of at most _BATCH pieces and about _BATCH_CHARS characters."""
    batch: list[tuple[int, int]] = []
    size = 0
    for i, off in pieces:
        length = min(MAX_NER_CHARS, len(texts[i]) - off)
        if batch and (len(batch) == _BATCH or size + length > _BATCH_CHARS):
            yield batch
            batch, size = [], 0
        batch.append((i, off))
        size += length
    if batch:
        yield batch
