"""Identifiers of a person, in one spelling each: the one place that normalises them.

The detector normalises every identifier it records in the occurrence index with these
functions, and `privmap locate` normalises the values of a request with the same ones, so
"Anna.Byrne@Example.IE " and "anna.byrne@example.ie", "+44 20 7946 0000", "0044 20 7946 0000"
and "020 7946 0000" (read in GB), "DE89 3704 0044 0532 0130 00" and "DE89370400440532013000"
meet at one keyed hash.

Kinds: email, phone (E.164), iban, card, national_id (python-stdnum's compact form: separators
removed, upper case), name (conservative: case, accents as typed, spacing).
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum.util import clean

from privmap.data import category_of
from privmap.detectors.phones import ELSEWHERE, REGIONS, parse

KINDS = ("email", "phone", "iban", "card", "national_id", "name")
KEY_BYTES = 16  # of the HMAC-SHA256 kept in the index: 128 bits, no collisions among billions of values
_ENTITY_KINDS = {
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
    "IBAN_CODE": "iban",
    "CREDIT_CARD": "card",
    "PERSON": "name",
}
# government ids that identify a person (a vehicle registration identifies a car)
_NATIONAL = "user.government_id"
_NOT_NATIONAL = ("user.government_id.vehicle_registration",)


@lru_cache(maxsize=512)
def kind_of(entity: str) -> str | None:
    """The identifier kind of a detector entity (Presidio vocabulary), or None when the entity is
    not an identifier a person can be looked up by. National ids are every entity whose fideslang
    category is under `user.government_id` (so entities added to entity_categories.yaml count)."""
    if entity in _ENTITY_KINDS:
        return _ENTITY_KINDS[entity]
    category = category_of(entity)
    if category.startswith(_NATIONAL) and not category.startswith(_NOT_NATIONAL):
        return "national_id"
    return None


def phone_regions(country: str | None = None, language: str | None = None) -> tuple[str, ...]:
    """Regions (ISO 3166-1 alpha-2) tried, in order, for a phone number written in national format:
    the store's or request's country, those of the text's language, then the usual others."""
    ordered = [*([country.upper()] if country else []), *REGIONS.get(language or "", ()), *ELSEWHERE]
    return tuple(dict.fromkeys(ordered))


def normalise(kind: str, value: str, regions: Iterable[str] = ()) -> str | None:
    """The one spelling of `value` as an identifier of `kind`, or None when it cannot be one.

    email: trimmed and lower-cased. phone: E.164 ('+35315550142'); '00' is read as '+', a national
    number in the first of `regions` where it is valid (else where it is possible). iban and
    national_id: python-stdnum's compact form. card: the digits. name: NFKC, case-folded, one space
    between words, surrounding punctuation dropped (no reordering, no nicknames: a name matches only
    as written). Raises ValueError for an unknown kind.
    """
    value = value.strip()
    if kind == "email":
        value = value.removeprefix("mailto:").lower()
        local, at, domain = value.rpartition("@")
        return value if at and local and "." in domain and not any(c.isspace() for c in value) else None
    if kind == "phone":
        # as the detector's phone validator: 7 to 15 digits (ITU E.164 allows at most 15)
        return _e164(value, tuple(regions)) if 7 <= sum(c.isdigit() for c in value) <= 15 else None
    if kind == "iban":
        compact = stdnum_iban.compact(value)
        return compact if len(compact) >= 15 and compact[:2].isalpha() and compact[2:4].isdigit() else None
    if kind == "card":
        digits = clean(value, " -./").strip()
        return digits if digits.isdigit() and 12 <= len(digits) <= 19 else None
    if kind == "national_id":
        compact = clean(value, " -./").strip().upper()
        return compact if compact.isalnum() and len(compact) >= 5 else None
    if kind == "name":
        words = unicodedata.normalize("NFKC", value).casefold().split()
        name = " ".join(words).strip(" .,;:'\"()")
        return name if sum(c.isalpha() for c in name) >= 2 else None
    raise ValueError(f"unknown identifier kind {kind!r} (one of {', '.join(KINDS)})")


@lru_cache(maxsize=65536)
def _e164(value: str, regions: tuple[str, ...]) -> str | None:
    if value.startswith("00"):
        value = "+" + value[2:]
    if value.startswith("+"):
        number = parse(value, None)
        return _format(number) if number is not None and phonenumbers.is_possible_number(number) else None
    parsed = [n for n in (parse(value, r) for r in regions) if n is not None]
    for check in (phonenumbers.is_valid_number, phonenumbers.is_possible_number):
        number = next((n for n in parsed if check(n)), None)
        if number is not None:
            return _format(number)
    return None


def _format(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def keyed(secret: bytes, kind: str, normalised: str) -> bytes:
    """HMAC-SHA256 (keyed with the install secret) of a normalised identifier, first KEY_BYTES bytes:
    stable per install, useless without the key."""
    return hmac.new(secret, f"{kind}\x00{normalised}".encode(), hashlib.sha256).digest()[:KEY_BYTES]
