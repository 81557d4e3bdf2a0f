"""Masked previews and keyed hashes: the only forms in which detected values leave the scanner."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

from privmap import identifiers

_NUMERIC = {"CREDIT_CARD", "IBAN_CODE", "PHONE_NUMBER", "US_SSN", "US_BANK_NUMBER", "US_ITIN", "US_PASSPORT"}
_SEPARATORS = re.compile(r"[\s\-./()]")


def normalise(entity: str, value: str) -> str:
    """One spelling per value, so that '4111 1111-1111 1111' and '4111111111111111' share a key."""
    value = value.strip()
    if entity in _NUMERIC or entity.endswith(("_ID", "_CODE", "_NUMBER")):
        return _SEPARATORS.sub("", value).upper()
    return " ".join(value.lower().split())


def value_key(secret: bytes, entity: str, value: str, regions: Iterable[str] = ()) -> str:
    """HMAC-SHA256 of the normalised value: stable per install, useless without the key.

    Identifiers (e-mail, phone, IBAN, card, national ids, names) are spelled as privmap.identifiers
    spells them (phones in E.164, national formats read in the first valid of `regions`)."""
    kind = identifiers.kind_of(entity)
    spelled = identifiers.normalise(kind, value, regions) if kind else None
    return hmac.new(secret, f"{entity}\x00{spelled or normalise(entity, value)}".encode(), hashlib.sha256).hexdigest()


def mask(entity: str, value: str) -> str:
    """A preview that shows the shape of a value but not the value.

    Emails keep the first letter of each part and the top-level domain; numbers keep at most
    their last two digits (never enough to rebuild them); words keep their first letter.
    """
    value = value.strip()
    if entity == "PASSWORD":
        return "********"  # no letter of a password, not even its length
    if entity == "PASSWORD_HASH":  # the scheme marker only: $2b$12$***, pbkdf2_sha256$***
        lead = "$" if value.startswith("$") else ""
        head, sep, _ = value[len(lead) :].partition("$")
        return f"{lead}{head}$***" if sep else "***"
    if entity == "EMAIL_ADDRESS" and "@" in value:
        local, _, domain = value.rpartition("@")
        host, dot, tld = domain.rpartition(".")
        return f"{local[:1]}***@{host[:1]}***{dot}{tld}" if host else f"{local[:1]}***@***"
    if entity == "GPS_COORDINATES":  # a coarse cell (0.1 degree, about 11 km), never the point
        lat, lon = (float(v) for v in value.split(","))
        return f"~{lat:.1f}, ~{lon:.1f}"
    if entity == "IP_ADDRESS":
        sep = ":" if ":" in value else "."
        parts = value.split(sep)
        return sep.join([parts[0], *["***"] * (len(parts) - 1)])
    digits = sum(c.isdigit() for c in value)
    if digits >= max(4, len(value) // 2):
        keep = 2 if digits >= 8 else 0
        total = sum(c.isalnum() for c in value)
        out, seen = [], 0
        for c in value:
            if c.isalnum():
                seen += 1
                out.append(c if seen > total - keep else "*")
            else:
                out.append(c)
        return "".join(out)
    return " ".join(w[:1] + "*" * min(len(w) - 1, 4) for w in value.split())
