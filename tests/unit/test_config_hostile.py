"""Hostile and broken configs: each is a clear ConfigError naming the file and line, never a traceback,
a hang or gigabytes of memory."""

import resource
from pathlib import Path

import pytest

from privmap.config import ConfigError, load_config, parse_config
from tests.configs import config_error

BASE = """\
version: 1
organization: {name: Org, country: IE}
sources:
  - {name: files, type: local, region: eu-west-1, options: {path: data}}
"""

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (BASE + BILLION_LAUGHS, "more than 100,000 values once YAML aliases are expanded"),
        ("x: " + "[" * 5000 + "]" * 5000, "nested more than"),
        ("x: " + "{a: " * 60 + "1" + "}" * 60, "nested more than 40 levels deep"),
        ("x: &x\n  y: *x\n", "refers to the mapping or list that contains it"),
        (BASE + "scan: !!python/object:os.system {}\n", "privmap.yaml:5: scan: unknown YAML tag"),
        (BASE + "scan: !!python/name:os.system\n", "cannot read value"),
        (BASE + "scan: {workers: !!int nope}\n", "privmap.yaml:5: scan.workers: cannot read value"),
        (BASE + "scan: {max_bytes_per_object: 1.5}\n", "scan.max_bytes_per_object"),
        (BASE + "scan: {max_bytes_per_object: 0}\n", "greater than 0"),
        (BASE + "scan: {max_bytes_per_object: -1}\n", "greater than 0"),
        (BASE + "scan: {max_bytes_per_object: true}\n", "not a size"),
        (BASE + "scan: {max_object_size: -5}\n", "greater than or equal to 0"),
        (BASE + "detection: {min_score: .nan}\n", "detection.min_score"),
        (BASE + "detection: {thresholds: {PERSON: .nan}}\n", "detection.thresholds.PERSON"),
        (BASE + "detection: {min_score: .inf}\n", "detection.min_score"),
        (BASE.replace("version: 1", "version: true"), "version: expected the number 1"),
        (BASE + "? [a, b]\n: 1\n", "keys must be plain words"),
        (BASE.replace("path: data", 'path: ""'), None),  # checked when the source is built
        (BASE.replace("path: data", "path: .privmap"), "would scan privmap's own state"),
        (BASE.replace("path: data", "path: .privmap/x"), "would scan privmap's own state"),
    ],
)
def test_hostile_configs_are_clear_errors(text, expected):
    if expected is None:
        parse_config(text, Path("conf/privmap.yaml"), {})  # loads; the source's options say the rest
        return
    msg = config_error(text)
    assert expected in msg, msg
    assert msg.startswith("conf/privmap.yaml")


def test_store_inside_a_scanned_sqlite_file_is_refused():
    text = BASE.replace("type: local", "type: sqlite").replace("path: data", "path: crm.sqlite")
    assert "source 'files' would scan privmap's own state" in config_error(text + "store: {path: crm.sqlite}\n")


def test_a_local_source_around_the_state_folder_never_lists_it(tmp_path):
    from privmap.scanner.sources.local import LocalSource

    (tmp_path / "data" / "state").mkdir(parents=True)
    (tmp_path / "data" / "state" / "secret.key").write_text("ab" * 32)
    (tmp_path / "data" / "a.txt").write_text("a")
    (tmp_path / "privmap.yaml").write_text(BASE + "store: {path: data/state/state.db}\n")
    config = load_config(tmp_path / "privmap.yaml")
    assert [i.metadata["path"] for i in LocalSource(config.sources[0], config).items()] == ["a.txt"]


def test_alias_bomb_stays_small_in_memory(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(BASE + BILLION_LAUGHS)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ConfigError):
        load_config(path)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KiB


def test_non_utf8_file_names_its_line(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(BASE.encode() + b"# Gr\xfc\xdfe\n")
    with pytest.raises(ConfigError, match=f"{path}:5: not UTF-8 text"):
        load_config(path)


def test_huge_file_is_refused_without_reading_it_all(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text(BASE + "#" * 2_000_000 + "\n")
    with pytest.raises(ConfigError, match="not a config file"):
        load_config(path)


@pytest.mark.parametrize("key", ["dsn", "password", "endpoint_url"])
def test_values_from_the_environment_or_secret_keys_are_never_echoed(key):
    secret = "hunter2-s3cr3t-value"
    via_env = config_error(BASE + 'scan: {workers: "${WORKERS}"}\n', {"WORKERS": secret})
    assert secret not in via_env and "a value from the environment" in via_env
    via_key = config_error(BASE + f"alerts: [{{type: webhook, min_severity: {secret}, options: {{}}}}]\n")
    assert "min_severity" in via_key  # an ordinary key's bad value is still quoted ...
    nested = config_error(BASE + f"scan: {{{key}: {secret}}}\n")
    assert secret not in nested  # ... but never one under a key that may hold a secret
