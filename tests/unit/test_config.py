from pathlib import Path

import pytest

from privmap.config import ConfigError, load_config, parse_config, parse_size
from tests.configs import BASE, config_error


def test_unknown_key_names_file_line_and_key():
    msg = config_error(BASE.replace("    region:", "    regoin:"))
    assert "conf/privmap.yaml:6: sources[0].regoin: unknown key" in msg


def test_wrong_type_says_what_was_expected():
    msg = config_error(BASE + "scan: {rows_per_table: many}\n")
    assert "privmap.yaml:8: scan.rows_per_table:" in msg
    assert "valid integer" in msg and "'many'" in msg


def test_missing_env_var_is_named_with_its_line():
    msg = config_error(BASE.replace("path: data", 'path: "${DATA_DIR}"'))
    assert "privmap.yaml:7: sources[0].options.path: environment variable DATA_DIR is not set" in msg


def test_env_vars_and_defaults_are_interpolated():
    text = BASE.replace("path: data", 'path: "${DATA_DIR}/x"') + 'reports: {fail_on: "${FAIL_ON:-high}"}\n'
    config = parse_config(text, Path("c.yaml"), {"DATA_DIR": "/srv"})
    assert config.sources[0].options["path"] == "/srv/x"
    assert config.reports.fail_on == "high"


def test_bad_enum_value_lists_allowed_values():
    msg = config_error(BASE.replace("type: local", "type: local\n    role: owner"))
    assert "sources[0].role" in msg and "'controller'" in msg and "'owner'" in msg


def test_missing_required_key():
    msg = config_error(BASE.replace("organization: {name: Org, country: IE}\n", ""))
    assert "organization: required key is missing" in msg


def test_duplicate_key_is_an_error():
    msg = config_error(BASE + "scan: {workers: 1}\nscan: {workers: 2}\n")
    assert ":9: scan: duplicate key" in msg


def test_yaml_syntax_error_has_a_line():
    msg = config_error(BASE + "scan: {workers: [1\n")
    assert "not valid YAML" in msg and "privmap.yaml:" in msg


def test_inventory_references_must_resolve():
    text = (
        BASE
        + """\
inventory:
  activities:
    - {name: Billing, purposes: [billing], stores: [crm], recipients: [PayCo]}
"""
    )
    msg = config_error(text)
    assert "inventory.activities[0].stores[0]: 'crm' is not a configured source" in msg
    assert "inventory.activities[0].recipients[0]: 'PayCo' is not a declared recipient or affiliate" in msg


def test_duplicate_source_names():
    text = BASE + "  - {name: files, type: sqlite, region: eu-west-1, options: {path: x.db}}\n"
    assert "sources[1].name: duplicate source name 'files'" in config_error(text)


def test_paths_resolve_against_the_config_file(tmp_path):
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "privmap.yaml"
    path.write_text(BASE)
    config = load_config(path)
    assert config.resolve("data") == tmp_path / "sub" / "data"
    assert config.state_dir == tmp_path / "sub" / ".privmap"
    # ~ is the home folder; ~name of no user stays as written, as a shell leaves it (found by the config fuzzer)
    assert config.resolve("~/x") == Path.home() / "x"
    assert config.resolve("~no-such-user-privmap/state.db") == tmp_path / "sub" / "~no-such-user-privmap/state.db"
    store = BASE + "store: {path: '~no-such-user-privmap/state.db'}\n"
    path.write_text(store)
    assert load_config(path).state_dir == tmp_path / "sub" / "~no-such-user-privmap"


def test_unreadable_config_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "absent.yaml")


def test_full_inventory_parses():
    text = (
        BASE
        + """\
inventory:
  affiliates:
    - {name: Example Inc, country: US, relationship: subsidiary, accounts: ["111122223333"]}
  recipients:
    - {name: PayCo, kind: processor, country: US, transfer_mechanism: dpf, dpf_certified: true,
       dpa_signed_on: 2023-09-01}
  activities:
    - {name: Billing, purposes: [billing], lawful_basis: contract, data_categories: [user.financial],
       stores: [files], recipients: [PayCo, Example Inc], retention: 7 years}
  transfers:
    - {source: files, recipient: PayCo, data_categories: [user.financial], mechanism: dpf}
"""
    )
    config = parse_config(text, Path("c.yaml"), {})
    assert config.inventory.recipients[0].dpa_signed_on.year == 2023
    assert config.inventory.activities[0].recipients == ["PayCo", "Example Inc"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10MB", 10_000_000),
        ("1MiB", 1_048_576),
        ("512KiB", 524_288),
        ("2048", 2048),
        (77, 77),
        ("1.5GB", 1_500_000_000),
    ],
)
def test_parse_size(text, expected):
    assert parse_size(text) == expected


def test_parse_size_rejects_nonsense():
    with pytest.raises(ValueError, match="not a size"):
        parse_size("ten megs")


def test_the_readme_config_example_is_valid():
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    example = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    config = parse_config(example, Path("README.md"), {})
    assert config.sources and config.inventory.activities


def test_duplicate_activity_names():
    text = (
        BASE
        + """\
inventory:
  activities:
    - {name: Billing, purposes: [billing]}
    - {name: Billing, purposes: [marketing]}
"""
    )
    assert "inventory.activities[1].name: duplicate activity name 'Billing'" in config_error(text)
