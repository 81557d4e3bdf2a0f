"""Region -> country -> zone, adequacy over time, and the legal basis of a transfer on a date."""

from __future__ import annotations

import datetime as dt
import typing

import pytest

from privmap.config.models import TransferMechanism
from privmap.data import legal, load_table

D = dt.date

# every AWS region and GCS location of DOMAIN.md 3.8, with its country (or countries) and zone on 2026-06-01
DOMAIN_REGIONS = {
    # AWS
    "eu-west-1": ("IE",), "eu-west-3": ("FR",), "eu-central-1": ("DE",), "eu-north-1": ("SE",),
    "eu-south-1": ("IT",), "eu-south-2": ("ES",), "eusc-de-east-1": ("DE",), "eu-west-2": ("GB",),
    "eu-central-2": ("CH",), "il-central-1": ("IL",), "ca-central-1": ("CA",), "ca-west-1": ("CA",),
    "ap-northeast-1": ("JP",), "ap-northeast-3": ("JP",), "ap-northeast-2": ("KR",), "ap-southeast-6": ("NZ",),
    "sa-east-1": ("BR",), "us-east-1": ("US",), "us-east-2": ("US",), "us-west-1": ("US",), "us-west-2": ("US",),
    "us-gov-east-1": ("US",), "us-gov-west-1": ("US",), "mx-central-1": ("MX",), "ap-east-1": ("HK",),
    "ap-east-2": ("TW",), "ap-south-1": ("IN",), "ap-south-2": ("IN",), "ap-southeast-1": ("SG",),
    "ap-southeast-2": ("AU",), "ap-southeast-4": ("AU",), "ap-southeast-3": ("ID",), "ap-southeast-5": ("MY",),
    "ap-southeast-7": ("TH",), "me-south-1": ("BH",), "me-central-1": ("AE",), "af-south-1": ("ZA",),
    "cn-north-1": ("CN",), "cn-northwest-1": ("CN",),
    # GCS
    "europe-west1": ("BE",), "europe-west3": ("DE",), "europe-west10": ("DE",), "europe-west4": ("NL",),
    "europe-west8": ("IT",), "europe-west12": ("IT",), "europe-west9": ("FR",), "europe-southwest1": ("ES",),
    "europe-north1": ("FI",), "europe-north2": ("SE",), "europe-central2": ("PL",), "europe-west2": ("GB",),
    "europe-west6": ("CH",), "me-west1": ("IL",), "northamerica-northeast1": ("CA",),
    "northamerica-northeast2": ("CA",), "asia-northeast1": ("JP",), "asia-northeast2": ("JP",),
    "asia-northeast3": ("KR",), "southamerica-east1": ("BR",), "us-central1": ("US",), "us-east1": ("US",),
    "us-east4": ("US",), "us-east5": ("US",), "us-south1": ("US",), "us-west1": ("US",), "us-west2": ("US",),
    "us-west3": ("US",), "us-west4": ("US",), "northamerica-south1": ("MX",), "southamerica-west1": ("CL",),
    "asia-east1": ("TW",), "asia-east2": ("HK",), "asia-south1": ("IN",), "asia-south2": ("IN",),
    "asia-southeast1": ("SG",), "asia-southeast2": ("ID",), "australia-southeast1": ("AU",),
    "australia-southeast2": ("AU",), "me-central1": ("QA",), "me-central2": ("SA",), "africa-south1": ("ZA",),
    "EU": None, "US": ("US",), "ASIA": None, "EUR4": ("FI", "NL"), "NAM4": ("US",), "ASIA1": ("JP",),
}  # fmt: skip
ZONE_2026 = {
    "eu-west-2": "ADEQUATE:GB", "sa-east-1": "ADEQUATE:BR", "us-east-1": "US", "ap-southeast-1": "THIRD",
    "EU": "EEA", "US": "US", "ASIA": "THIRD", "EUR4": "EEA", "NAM4": "US", "ASIA1": "ADEQUATE:JP",
    "eusc-de-east-1": "EEA", "ca-central-1": "ADEQUATE:CA", "me-central2": "THIRD",
}  # fmt: skip


@pytest.mark.parametrize("code", sorted(DOMAIN_REGIONS))
def test_every_domain_region_maps_to_its_countries(code):
    where = legal.place(code)
    assert where is not None, f"{code} is not in regions.yaml"
    if DOMAIN_REGIONS[code]:
        assert where.countries == DOMAIN_REGIONS[code]
    assert legal.place_zone(where, D(2026, 6, 1)) != legal.UNKNOWN


@pytest.mark.parametrize(("code", "zone"), sorted(ZONE_2026.items()))
def test_zones_of_regions(code, zone):
    assert legal.place_zone(legal.place(code), D(2026, 6, 1)) == zone


@pytest.mark.parametrize("code", ["mars-north-1", "eu-west-99", "europe-west", "", "on-prem-dublin"])
def test_unknown_regions_are_reported_not_guessed(code):
    assert legal.place(code) is None
    assert legal.place_zone(legal.place(code), D(2026, 1, 1)) == legal.UNKNOWN


def test_provider_spellings_apply_only_for_that_provider():
    assert legal.place("EU", "aws").code == "eu-west-1"  # S3's legacy location constraint
    assert legal.place("", "aws").code == "us-east-1"
    assert legal.place("EU").code == "eu"  # GCS's multi-region, upper-case as its API reports it
    assert legal.place("", None) is None


@pytest.mark.parametrize(
    ("country", "day", "zone"),
    [
        ("IE", D(2026, 1, 1), "EEA"),
        ("NO", D(2026, 1, 1), "EEA"),
        ("CH", D(2026, 1, 1), "ADEQUATE:CH"),
        ("UK", D(2026, 1, 1), "ADEQUATE:GB"),  # the common spelling is mapped
        ("GB", D(2031, 12, 27), "THIRD"),  # the renewed decision ends
        ("JP", D(2018, 12, 1), "THIRD"),
        ("JP", D(2019, 1, 23), "ADEQUATE:JP"),
        ("BR", D(2025, 12, 31), "THIRD"),
        ("BR", D(2026, 2, 1), "ADEQUATE:BR"),
        ("US", D(2014, 1, 1), "US"),  # Safe Harbour
        ("US", D(2016, 1, 1), "THIRD"),  # between Schrems I and the Privacy Shield
        ("US", D(2019, 1, 1), "US"),  # Privacy Shield
        ("US", D(2020, 7, 16), "THIRD"),  # Schrems II, no grace period
        ("US", D(2023, 7, 10), "US"),  # the DPF
        ("SG", D(2026, 1, 1), "THIRD"),
    ],
)
def test_country_zone_over_time(country, day, zone):
    assert legal.country_zone(country, day) == zone


@pytest.mark.parametrize(
    ("mechanism", "country", "day", "certified", "valid", "problem"),
    [
        ("privacy_shield", "US", D(2019, 1, 1), False, True, None),
        ("privacy_shield", "US", D(2021, 1, 1), False, False, "expired"),
        ("safe_harbour", "US", D(2016, 1, 1), False, False, "expired"),
        ("dpf", "US", D(2024, 1, 1), True, True, None),
        ("dpf", "US", D(2024, 1, 1), False, False, "uncertified"),
        ("dpf", "US", D(2022, 1, 1), True, False, "not_yet"),
        ("dpf", "SG", D(2024, 1, 1), True, False, "inapplicable"),
        ("adequacy", "US", D(2024, 1, 1), False, False, "inapplicable"),
        ("adequacy", "SG", D(2024, 1, 1), False, False, "inapplicable"),
        (None, "SG", D(2024, 1, 1), False, False, "missing"),
        ("none", "US", D(2024, 1, 1), False, False, "missing"),
        (None, "JP", D(2024, 1, 1), False, True, None),  # adequacy needs no recorded mechanism
        (None, "DE", D(2024, 1, 1), False, True, None),  # not a transfer
        ("scc_2021_m2", "SG", D(2024, 1, 1), False, True, None),
        ("scc_2021_m2", "SG", D(2021, 1, 1), False, False, "not_yet"),
        ("scc_legacy", "SG", D(2022, 12, 26), False, True, None),
        ("scc_legacy", "SG", D(2022, 12, 27), False, False, "expired"),
        ("bcr", "IN", D(2024, 1, 1), False, True, None),
        ("art49_a", "IN", D(2024, 1, 1), False, True, None),
    ],
)
def test_transfer_basis(mechanism, country, day, certified, valid, problem):
    basis = legal.transfer_basis(mechanism, country, day, certified)
    assert (basis.valid, basis.problem) == (valid, problem), basis.reason


def test_caveats_of_adequacy_decisions():
    assert "C-703/25 P" in legal.transfer_basis("dpf", "US", D(2026, 1, 1), True).caveat
    assert legal.transfer_basis(None, "GB", D(2026, 1, 1)).caveat is None
    assert "expires on 2031-12-27" in legal.transfer_basis(None, "GB", D(2031, 6, 1)).caveat


def test_every_config_mechanism_is_in_the_table():
    assert set(typing.get_args(TransferMechanism)) == set(load_table("mechanisms")["mechanisms"])
