import pytest

from privmap.detectors.masking import mask, normalise, value_key

SECRET = b"s" * 32


@pytest.mark.parametrize(
    ("entity", "value", "preview"),
    [
        ("EMAIL_ADDRESS", "john.smith@acme-corp.com", "j***@a***.com"),
        ("CREDIT_CARD", "4929 1234 5678 9012", "**** **** **** **12"),
        ("IBAN_CODE", "DE89370400440532013000", "********************00"),
        ("PHONE_NUMBER", "+353 87 123 4567", "+*** ** *** **67"),
        ("IP_ADDRESS", "192.168.10.77", "192.***.***.***"),
        ("PERSON", "Anna Byrne", "A*** B****"),
        ("US_SSN", "123-45-6789", "***-**-**89"),
    ],
)
def test_mask_shapes(entity, value, preview):
    assert mask(entity, value) == preview


@pytest.mark.parametrize(
    ("entity", "value"),
    [("EMAIL_ADDRESS", "zoe@x.io"), ("PERSON", "Bo"), ("CREDIT_CARD", "4111111111111111"), ("LOCATION", "Łódź")],
)
def test_mask_never_contains_the_value(entity, value):
    assert value not in mask(entity, value)
    assert len(value) < 3 or value[1:] not in mask(entity, value)


def test_value_key_ignores_formatting_but_not_the_value():
    a = value_key(SECRET, "CREDIT_CARD", "4111 1111-1111 1111")
    assert a == value_key(SECRET, "CREDIT_CARD", "4111111111111111")
    assert a != value_key(SECRET, "CREDIT_CARD", "4111111111111112")
    assert value_key(SECRET, "EMAIL_ADDRESS", "Anna@X.ie ") == value_key(SECRET, "EMAIL_ADDRESS", "anna@x.ie")


def test_value_key_depends_on_the_install_secret():
    assert value_key(SECRET, "PERSON", "Anna") != value_key(b"t" * 32, "PERSON", "Anna")
    assert len(value_key(SECRET, "PERSON", "Anna")) == 64


def test_normalise():
    assert normalise("IBAN_CODE", "de89 3704 0044") == "DE8937040044"
    assert normalise("PERSON", "  Anna   BYRNE ") == "anna byrne"
