"""Codes in a config are checked at load time against maintained tables, with a suggestion."""

from privmap.config.codes import data_categories
from privmap.data import load_table
from privmap.data.legal import place
from tests.configs import BASE, config_error


def test_countries_are_iso_3166_alpha_2_with_a_suggestion():
    msg = config_error(BASE.replace("country: IE", "country: Germany"))
    assert "conf/privmap.yaml:2: organization.country: 'Germany' is not an ISO 3166-1 alpha-2 country code" in msg
    assert "did you mean `DE` (Germany)?" in msg
    inventory = BASE + (
        "inventory:\n"
        "  storage_locations: [EEA, USA]\n"
        "  recipients:\n"
        "    - {name: Mailer, kind: processor, country: UK}\n"
    )
    msg = config_error(inventory)
    assert "privmap.yaml:9: inventory.storage_locations[1]: 'USA' is not an ISO 3166-1" in msg
    assert "did you mean `US` (United States)?" in msg
    assert "inventory.recipients[0].country: 'UK' is not an ISO 3166-1 alpha-2 country code" in msg
    assert "did you mean `GB` (United Kingdom)?" in msg


def test_data_categories_are_fideslang_keys_or_declared_additions():
    activity = BASE + (
        "inventory:\n"
        "  activities:\n"
        "    - name: Payroll\n"
        "      purposes: [payroll]\n"
        "      data_categories: [user.contact.emial, user.demographic.trade_union_membership, user.name]\n"
    )
    msg = config_error(activity)
    assert "privmap.yaml:12: inventory.activities[0].data_categories[0]: 'user.contact.emial'" in msg
    assert "did you mean `user.contact.email`" in msg
    assert "data_categories[1]" not in msg and "data_categories[2]" not in msg  # an addition, a taxonomy key


def test_languages_and_regions():
    text = BASE.replace("region: eu-west-1", "region: eu-west-9\n    replicas: [private:DE:dc1, private:Germany]")
    text += "detection: {language: english, languages: [en, EN]}\n"
    msg = config_error(text)
    assert "privmap.yaml:6: sources[0].region: 'eu-west-9' is not a region in privmap/data/regions.yaml" in msg
    assert "did you mean `eu-west-3`" in msg and "private:<country>[:<name>]" in msg
    assert "sources[0].replicas[0]" not in msg  # a private region of one's own, in Germany
    assert "sources[0].replicas[1]: private region 'private:Germany'" in msg
    assert "detection.language: 'english' is not an ISO 639-1 language code; did you mean `en` (English)?" in msg
    assert "detection.languages[1]: 'EN' is not an ISO 639-1 language code; did you mean `en`" in msg


def test_a_private_region_is_in_its_country():
    where = place("private:DE:frankfurt-dc1")
    assert where is not None and where.countries == ("DE",) and where.name == "frankfurt-dc1"


def test_privmap_s_own_tables_use_only_taxonomy_keys_or_declared_additions():
    keys = data_categories()
    entities = load_table("entity_categories")["entities"]
    assert not {e["category"] for e in entities.values() if e["category"]} - keys
    assert not {k for k in load_table("vocabulary")["categories"]} - keys
    additions = load_table("taxonomy_additions")["data_categories"]
    assert all(a["parent"] in keys and a["reason"] for a in additions)
