"""Ordinary words of English, told from proper nouns by how a dictionary writes them.

NER models read a capital as a sign of a name, and every sentence, line and cell starts with one:
'Thumbnail 91 regenerated', 'Queue cleared' come out as a place or a person. A dictionary that
keeps case says which words are ordinary ('thumbnail', 'queue') and which of those are also
proper nouns ('Nice', 'Jordan', 'Paris' beside 'paris'). The lists are those of the
`english-words` package (MIT): Webster's Second International (`web2`) and GCIDE, whose
lower-case entries add the words of this century ('email', 'login', 'dashboard'). GCIDE
capitalises many common headwords, so only Webster's capitalised entries count as proper nouns,
with the names of countries' subdivisions (ISO 3166-2, from `pycountry`): 'Berlin' and 'Reading'
are places Webster's lists only in lower case.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from functools import cache


def common_word(word: str) -> bool:
    """`word` (capitalised) is an ordinary English word and no proper noun: 'Thumbnail', 'Queue';
    not 'Paris', 'Nice', 'Berlin', nor a word no dictionary has ('Sydney', 'Okafor')."""
    return word.lower() in common_words()


@cache
def common_words() -> AbstractSet[str]:
    """Lower-case forms of the ordinary English words that are not also written as a proper noun
    (about 210,000; 20 MB, loaded once per process). Each list is read and filtered in turn, so
    no more than one is held whole."""
    import pycountry
    from english_words import get_english_words_set

    web2 = get_english_words_set(["web2"])
    proper = {w for w in web2 if w[:1].isupper()}
    proper.update(s.name for s in pycountry.subdivisions)
    out = {w for w in web2 if w.isalpha() and w.islower() and w.capitalize() not in proper}
    del web2
    out.update(
        w for w in get_english_words_set(["gcide"]) if w.isalpha() and w.islower() and w.capitalize() not in proper
    )
    return out
