"""Codes in a config, checked against maintained tables: ISO 3166-1 countries and ISO 639-1
languages (pycountry), data categories (the fideslang taxonomy plus privmap's declared additions
in privmap/data/taxonomy_additions.yaml), cloud regions (privmap/data/regions.yaml) and plugin
types. Each check returns None for a valid code, or the message to show, with a suggestion."""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterable
from functools import cache

PRIVATE_REGION = "private:"  # `private:DE` or `private:DE:frankfurt-dc1`: a region of your own, in a country


def _suggest(value: str, choices: Iterable[str], what: str) -> str:
    close = difflib.get_close_matches(value, list(choices), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(f'`{c}`' for c in close)}?" if close else ""
    return f"{value!r} is not {what}{hint}"


def country(value: str) -> str | None:
    """None if `value` is an ISO 3166-1 alpha-2 code (upper-case); else the error, e.g.
    `'Germany' is not an ISO 3166-1 alpha-2 country code; did you mean `DE` (Germany)?`"""
    import pycountry

    from privmap.data import load_table

    if len(value) == 2 and value.isupper() and pycountry.countries.get(alpha_2=value):
        return None
    what = "an ISO 3166-1 alpha-2 country code"
    alias = load_table("countries")["aliases"].get(value.strip().upper())  # UK, EL: the EU's own spellings
    found = pycountry.countries.get(alpha_2=alias) if alias else None
    if found is None:
        with contextlib.suppress(LookupError):
            found = pycountry.countries.lookup(value.strip())  # alpha-3, names, official names, any case
    if found is None and len(value) > 3:  # a misspelt name; short codes have no meaningful near miss
        names = {c.name: c for c in pycountry.countries}
        close = difflib.get_close_matches(value.strip().title(), list(names), n=1, cutoff=0.75)
        found = names[close[0]] if close else None
    if found is None:
        return f"{value!r} is not {what} (two letters, e.g. DE, IE, US)"
    return f"{value!r} is not {what}; did you mean `{found.alpha_2}` ({found.name})?"


def language(value: str) -> str | None:
    """None if `value` is an ISO 639-1 language code (two lower-case letters); else the error."""
    import pycountry

    if len(value) == 2 and value.islower() and pycountry.languages.get(alpha_2=value):
        return None
    what = "an ISO 639-1 language code"
    found = (
        pycountry.languages.get(alpha_2=value.lower())
        or pycountry.languages.get(alpha_3=value.lower())
        or pycountry.languages.get(name=value.title())
    )
    if found is not None and getattr(found, "alpha_2", None):
        return f"{value!r} is not {what}; did you mean `{found.alpha_2}` ({found.name})?"
    return f"{value!r} is not {what} (two letters, e.g. en, de, fr)"


@cache
def data_categories() -> frozenset[str]:
    """Every data category key: the fideslang taxonomy's, and privmap's declared additions."""
    try:
        from fideslang.default_taxonomy import DEFAULT_TAXONOMY
    except ImportError:  # installed apart (requirements/taxonomy.txt): say so instead of failing later
        raise TaxonomyMissing(
            "data categories cannot be checked: the fideslang taxonomy is not installed "
            "(pip install --no-deps --require-hashes -r requirements/taxonomy.txt)"
        ) from None

    from privmap.data import load_table

    keys = {c.fides_key for c in DEFAULT_TAXONOMY.data_category}
    return frozenset(keys | {a["key"] for a in load_table("taxonomy_additions")["data_categories"]})


class TaxonomyMissing(Exception):
    """The fideslang package is not installed."""


def data_category(value: str) -> str | None:
    """None if `value` is a fideslang data category (or one of privmap's additions); else the error."""
    try:
        known = data_categories()
    except TaxonomyMissing as exc:
        return str(exc)
    if value in known:
        return None
    return _suggest(value, known, "a fideslang data category (see privmap/data/taxonomy_additions.yaml)")


def region(value: str) -> str | None:
    """None if `value` is in the region table, or a private region `private:CC[:name]`; else the error."""
    from privmap.data.legal import place

    if value.startswith(PRIVATE_REGION):
        cc = value[len(PRIVATE_REGION) :].partition(":")[0]
        problem = country(cc)
        return f"private region {value!r}: {problem}" if problem else None
    if place(value) is not None:
        return None
    from privmap.data import load_table

    codes = [loc["code"] for loc in load_table("regions")["locations"]]
    message = _suggest(value, codes, "a region in privmap/data/regions.yaml")
    return f"{message} (a region of your own: `{PRIVATE_REGION}<country>[:<name>]`, e.g. `{PRIVATE_REGION}DE:dc1`)"
