"""Fuzz the config loader: whatever the bytes, the answer is a Config or a ConfigError naming the file."""

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from privmap.config import Config, ConfigError, load_config

VALID = b"""\
version: 1
organization: {name: Org, country: IE}
store: {path: state/state.db}
scan: {workers: 1, max_bytes_per_object: 10MB, include: ["*.csv"]}
detection: {min_score: 0.5, thresholds: {PERSON: 0.7}}
sources:
  - {name: files, type: local, region: eu-west-1, options: {path: data}}
inventory:
  activities:
    - {name: Billing, purposes: [billing], stores: [files], recipients: [Pay]}
  recipients:
    - {name: Pay, kind: processor, country: US, transfer_mechanism: scc}
reports: {fail_on: high}
"""
# fragments that exercise YAML's corners: anchors, tags, flow/block switches, odd scalars
FRAGMENTS = [
    b"&a ",
    b"*a",
    b"!!",
    b"!!binary ",
    b"!!python/tuple ",
    b"<<: ",
    b"{",
    b"}",
    b"[",
    b"]",
    b": ",
    b"- ",
    b"? ",
    b"|\n",
    b">\n",
    b"\t",
    b"\xff",
    b"\x00",
    b"'",
    b'"',
    b"\\",
    b"${X}",
    b"${X:-",
    b".nan",
    b"-.inf",
    b"0x1F",
    b"1e309",
    b"~",
    b"true",
    b"2026-13-45",
    b"\xef\xbb\xbf",
    b"%YAML 1.1\n",
    b"---\n",
    b"...\n",
]


def _check(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(data)
    try:
        assert isinstance(load_config(path, env={"X": "1"}), Config)
    except ConfigError as exc:
        assert str(exc).startswith(str(path)), str(exc)


@given(st.data())
def test_mutated_configs_load_or_fail_clearly(tmp_path_factory, data):
    text = bytearray(VALID)
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(text)))
        op = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = data.draw(st.sampled_from(FRAGMENTS) | st.binary(max_size=8))
        if op == "insert":
            text[at:at] = piece
        elif op == "delete":
            del text[at : at + data.draw(st.integers(1, 20))]
        else:
            text[at : at + len(piece)] = piece
    _check(tmp_path_factory.mktemp("cfg"), bytes(text))


@given(st.binary(max_size=400))
def test_arbitrary_bytes_load_or_fail_clearly(tmp_path_factory, data):
    _check(tmp_path_factory.mktemp("cfg"), data)
