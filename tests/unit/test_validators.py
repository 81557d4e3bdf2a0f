"""Every validator: a valid value, the same value with a broken checksum or rule."""

import pytest

from privmap.detectors.validators import VALIDATORS, card_network, iban_prefix, is_test_value

CASES = [
    # validator, valid, invalid (checksum or rule broken)
    ("luhn", "4929 1234 5678 9015", "4929 1234 5678 9012"),
    ("luhn", "3714-496353-98431", "3714-496353-98432"),
    ("ip", "81.2.69.160", "127.0.0.1"),
    ("ip", "2a02:c7f:1234::1", "::"),
    ("ssn", "536-90-4399", "666-90-4399"),
    ("itin", "912-71-1234", "912-41-1234"),
    ("nino", "AB 12 34 56 C", "QQ 12 34 56 C"),
    ("nhs", "943 476 5919", "943 476 5918"),
    ("idnr", "36574261809", "36574261808"),
    ("nir", "2 95 10 99 126 111 93", "2 95 10 99 126 111 94"),
    ("dni", "54362315K", "54362315Z"),
    ("nie", "X2482300W", "X2482300A"),
    ("codicefiscale", "RCCMNL83S18D969H", "RCCMNL83S18D969X"),
    ("bsn", "111222333", "111222334"),
    ("pesel", "44051401359", "44051401358"),
    ("vat", "DE136695976", "DE136695977"),
    ("passport", "X12345678", "000000000"),
    ("driver_license", "F162823540116", "A1111"),
    ("gps", "52.520008, 13.404954", "52.520008, 193.404954"),
    ("gps", "-33.856159, 151.215256", "0.000000, 0.000000"),  # no fix
    ("date", "17/03/1984", "31/02/1984"),
    ("date", "1979-11-02", "1979-13-02"),
    ("date", "3 mai 1984", "3 mai 1784"),
    ("date", "03/17/1984", "17/17/1984"),
    ("icd10", "E11.9", "E99.9"),
    ("icd10", "J45", "U99"),
]


@pytest.mark.parametrize(("name", "valid", "invalid"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_validator(name, valid, invalid):
    assert VALIDATORS[name](valid)
    assert not VALIDATORS[name](invalid)


def test_every_validator_is_tested():
    assert {c[0] for c in CASES} == set(VALIDATORS)


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("DE44 5001 0517 5407 3249 31", 27),
        ("DE44500105175407324931 EUR", 22),  # the next word is not part of it
        ("de44500105175407324931", 22),  # written in lower case
        ("DE44500105175407324932", 0),  # mod-97 broken
    ],
)
def test_iban_prefix(text, length):
    assert iban_prefix(text) == length


def test_card_networks():
    assert card_network("4929123456789015") and card_network("371449635398431")
    assert not card_network("1800018947182467")


@pytest.mark.parametrize(
    ("entity", "value", "test"),
    [
        ("CREDIT_CARD", "4111 1111 1111 1111", True),
        ("CREDIT_CARD", "4929 1234 5678 9015", False),
        ("EMAIL_ADDRESS", "jane@example.com", True),
        ("EMAIL_ADDRESS", "jane@shop.test", True),
        ("EMAIL_ADDRESS", "jane@examples.com", False),
        ("IP_ADDRESS", "203.0.113.9", True),
        ("IP_ADDRESS", "2001:db8::1", True),
        ("IP_ADDRESS", "81.2.69.160", False),
        ("IBAN_CODE", "GB82 WEST 1234 5698 7654 32", True),
        ("US_SSN", "078-05-1120", True),
        ("PERSON", "Anna Byrne", False),
    ],
)
def test_known_test_values(entity, value, test):
    assert is_test_value(entity, value) is test


@pytest.mark.parametrize(
    "bban",
    ["DE00370400440532013000", "FR0030006000011234567890189", "GB00WEST12345698765432", "NL00ABNA0417164300",
     "IT00X0542811101000000123456", "ES0021000418450200051332", "PL00109010140000071219812874",
     "PT00000201231234567890154", "AT001904300234573201", "MT00MALT011000012345MTLCAST001S", "NO0086011117947"],
)  # fmt: skip
def test_iban_check_agrees_with_stdnum_and_reads_any_separator(bban):
    from stdnum import iban

    from privmap.detectors.validators import _valid_iban, iban_prefix

    number = bban[:2] + iban.calc_check_digits(bban) + bban[4:]
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    for candidate in (number, wrong, number[:-1], number + "7"):
        assert _valid_iban(candidate) == iban.is_valid(candidate), candidate
    grouped = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    for written in (number, grouped, grouped.replace(" ", "-"), grouped.replace(" ", "  ")):
        assert iban_prefix(written + " EUR") == len(written)
    assert iban_prefix(wrong) == 0
