"""Phone numbers: libphonenumber's rules, applied only to candidates the prefilter found."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

# Regions whose numbering plans are tried for text in a language, most likely first.
REGIONS: dict[str, tuple[str, ...]] = {
    "en": ("GB", "US", "IE", "CA", "AU"),
    "fr": ("FR", "BE", "CH", "LU"),
    "de": ("DE", "AT", "CH"),
    "es": ("ES", "MX", "AR"),
    "it": ("IT", "CH"),
    "nl": ("NL", "BE"),
    "pl": ("PL",),
    "pt": ("PT", "BR"),
}
ELSEWHERE = ("US", "GB", "DE", "FR", "ES", "IT", "NL", "BE", "AT", "CH", "PL", "PT", "IE", "SE", "DK", "FI", "NO")
_DATE = re.compile(r"\d{1,4}([./-])\d{1,2}\1\d{1,4}|\d{1,2}:\d{2}(?::\d{2})?|\d{4}-\d{2}(?:-\d{2})?")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")  # a loopback or private address, which the IP check turned down
# one-letter labels of letterheads and signatures ('T: ...', 'M. ...', 'F: ...'), too short to be context words
_LETTER_LABEL = re.compile(r"(?:^|(?<=[\s(\[|,;>]))(?P<label>[TtMmFfPp])\s?[:.]\s*$")
_SHAPE = re.compile(r"(?:\+|00)?(?:\(?\d{1,5}\)?[ .\/-]){1,6}\d{2,6}")


@lru_cache(maxsize=65536)
def phone_score(value: str, language: str) -> tuple[float, str] | None:
    """(confidence, reason) for a phone-number candidate, or None when it cannot be one.

    Valid in an international form scores highest; valid in a region of the text's language
    next; a number only valid elsewhere, or only phone-shaped, needs a context word.
    """
    if not plausible(value):
        return None
    formatted = not value.isdigit()
    if value.startswith(("+", "00")):
        number = parse("+" + value[2:] if value.startswith("00") else value, None)
        if number is not None and phonenumbers.is_valid_number(number):
            return 0.85, "valid international number"
        return (0.4, "international form") if number is not None else None
    for region in REGIONS.get(language, ()):
        number = parse(value, region)
        if number is not None and phonenumbers.is_valid_number(number):
            return (0.6 if formatted else 0.4), f"valid {region} number"
    for region in ELSEWHERE:
        number = parse(value, region)
        if number is not None and phonenumbers.is_valid_number(number):
            return (0.45 if formatted else 0.3), f"valid {region} number"
    if formatted and _SHAPE.fullmatch(value):
        return 0.3, "phone-shaped"
    return None


def plausible(value: str) -> bool:
    """7 to 15 digits, and not a date, a time or an IPv4 address: worth a numbering-plan check (cheap,
    and needs no language, so most candidates of a log never ask for one)."""
    digits = sum(c.isdigit() for c in value)
    return 7 <= digits <= 15 and not _DATE.fullmatch(value.strip()) and not _IPV4.fullmatch(value)


def parse(value: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    """The number `value` is in `region`'s numbering plan (None: only with its country code), or None."""
    try:
        return phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None


def letter_label(text: str, start: int) -> str | None:
    """The one-letter label written just before a number at `start` ('T:', 'M.'), or None."""
    m = _LETTER_LABEL.search(text, max(0, start - 4), start)
    return m.group("label") if m else None
