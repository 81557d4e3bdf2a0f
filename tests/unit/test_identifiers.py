"""One spelling per identifier: what the detector indexes and what `privmap locate` asks for meet."""

import pytest

from privmap import identifiers
from privmap.identifiers import keyed, kind_of, normalise, phone_regions

GB, IE = phone_regions("GB"), phone_regions("IE")


@pytest.mark.parametrize(
    ("kind", "spellings", "regions"),
    [
        ("email", [" Anna.Byrne@Example.IE ", "anna.byrne@example.ie", "mailto:ANNA.BYRNE@EXAMPLE.IE"], ()),
        ("phone", ["+44 20 7946 0000", "0044 20 7946 0000", "020 7946 0000", "+44 (0)20 7946 0000"], GB),
        ("phone", ["+353 1 555 0142", "01 555 0142", "00353-1-555-0142", "(01) 555 0142"], IE),
        ("iban", ["DE89 3704 0044 0532 0130 00", "de89370400440532013000", "DE89-3704-0044-0532-0130-00"], ()),
        ("card", ["4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "4111.1111.1111.1111"], ()),
        ("national_id", ["AB 12 34 56 C", "ab123456c", "AB-12-34-56-C"], ()),
        ("national_id", ["123-45-6789", "123 45 6789", "123456789"], ()),
        ("name", ["Anna Byrne", "  ANNA   byrne ", "Anna Byrne."], ()),
    ],
)
def test_every_spelling_of_one_identifier_normalises_alike(kind, spellings, regions):
    assert len({normalise(kind, s, regions) for s in spellings}) == 1, [normalise(kind, s, regions) for s in spellings]
    assert normalise(kind, spellings[0], regions) is not None


def test_phones_are_e164_and_national_formats_read_in_the_first_region_where_valid():
    assert normalise("phone", "020 7946 0000", GB) == "+442079460000"
    assert normalise("phone", "01 555 0142", IE) == "+35315550142"
    # 01 555 0142 is no valid GB number: the next region of the list reads it
    assert normalise("phone", "01 555 0142", phone_regions("GB", "en")) == "+35315550142"
    assert normalise("phone", "0044 20 7946 0000", ()) == "+442079460000"  # international needs no region
    assert normalise("phone", "12", GB) is None


def test_different_values_stay_different():
    assert normalise("phone", "020 7946 0000", GB) != normalise("phone", "020 7946 0001", GB)
    assert normalise("name", "Anna Byrne") != normalise("name", "Byrne Anna")  # names are never reordered
    assert normalise("email", "anna@example.ie") != normalise("email", "anna@example.com")


@pytest.mark.parametrize(
    ("kind", "value"),
    [("email", "not an address"), ("iban", "DE89"), ("card", "4111"), ("national_id", "12"), ("name", "A")],
)
def test_what_cannot_be_an_identifier_is_refused(kind, value):
    assert normalise(kind, value) is None


def test_unknown_kind_raises():
    with pytest.raises(ValueError, match="unknown identifier kind"):
        normalise("shoe_size", "42")


def test_kinds_of_entities_follow_the_category_table():
    assert kind_of("EMAIL_ADDRESS") == "email"
    assert kind_of("PERSON") == "name"
    assert kind_of("UK_NINO") == kind_of("US_SSN") == kind_of("IT_FISCAL_CODE") == "national_id"
    assert kind_of("IP_ADDRESS") is None and kind_of("LOCATION") is None
    assert set(identifiers.KINDS) >= {kind_of(e) for e in ("IBAN_CODE", "CREDIT_CARD", "PHONE_NUMBER")}


def test_keys_are_keyed_short_and_kind_specific():
    a = keyed(b"s" * 32, "national_id", "123456789")
    assert len(a) == identifiers.KEY_BYTES
    assert a != keyed(b"t" * 32, "national_id", "123456789")
    assert a != keyed(b"s" * 32, "phone", "123456789")
