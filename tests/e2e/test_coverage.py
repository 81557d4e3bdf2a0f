"""Coverage is part of the verdict: items not inspected, empty sources and excluded files,
through the CLI on a local folder."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import privmap

CONFIG = """\
version: 1
organization: {{name: Test Org, country: IE}}
sources:
  - {{name: files, type: local, region: eu-west-1, role: controller, options: {{path: data}}{extra}}}
"""
BINARY = bytes(range(256)) * 8  # no media type any extractor reads


def write(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "privmap.yaml"
    config.write_text(CONFIG.format(extra=extra), encoding="utf-8")
    return config


def checks(out: Path, check_id: str) -> list[dict]:
    return [c for c in json.loads((out / "checks.json").read_text()) if c["id"] == check_id]


def test_items_not_inspected_fail_cov_002_on_every_run(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "staff.csv").write_text("name,email\nAnn Byrne,ann.byrne@mail.ie\n")
    (data / "payroll.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 200)  # not a valid workbook
    (data / "scan.pdf").write_bytes(b"%PDF-1.4\n" + b"\x00\x01\x02" * 100)  # nor a valid PDF
    (data / "blob.dat").write_bytes(BINARY)
    config = write(tmp_path)
    seen = []
    for run in (1, 2):
        out = tmp_path / f"run{run}"
        result = privmap("scan", "-c", str(config), "-o", str(out), "--fail-on", "medium")
        assert result.returncode == 1, result.stderr  # COV-002 is medium
        [cov] = checks(out, "COV-002")
        assert cov["status"] == "fail" and cov["severity"] == "medium"
        assert "unsupported media type (BIN)" in cov["evidence"]
        [source] = json.loads((out / "coverage.json").read_text())["sources"]
        seen.append((source["listed"], source["not_inspected"], cov["evidence"]))
        assert source["unchanged"] + source["scanned"] + sum(r["count"] for r in source["not_inspected"]) == 4
        assert "1 source with gaps" in result.stdout
        assert "warning: source files: read" in result.stderr
        run_json = json.loads((out / "run.json").read_text())
        assert run_json["items_unchanged"] == (
            0 if run == 1 else run_json["items_listed"] - run_json["items_skipped"] - run_json["items_failed"]
        )
    assert seen[0] == seen[1]  # the second run counts the same items as not inspected, not as unchanged
    assert seen[1][1]  # and there are some


def test_an_empty_folder_fails_cov_003(tmp_path):
    (tmp_path / "data").mkdir()
    out = tmp_path / "out"
    result = privmap("scan", "-c", str(write(tmp_path)), "-o", str(out))
    assert result.returncode == 0, result.stderr
    [cov] = checks(out, "COV-003")
    assert (cov["status"], cov["severity"]) == ("fail", "low")
    assert "coverage no items" in result.stdout and "listed no items" in result.stderr
    [spc] = checks(out, "SPC-001") or [None]
    assert spc is None or "0 of 0 items" in spc["evidence"]


def test_removing_an_exclude_glob_reads_the_formerly_excluded_file(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "kept.txt").write_text("nothing personal here\n")
    (data / "export.tmp").write_text("ann.byrne@mail.ie\n")
    first = tmp_path / "run1"
    assert (
        privmap(
            "scan", "-c", str(write(tmp_path, ", exclude: ['*.tmp']")), "-o", str(first), "--fail-on", "none"
        ).returncode
        == 0
    )
    assert json.loads((first / "findings.json").read_text()) == []
    [source] = json.loads((first / "coverage.json").read_text())["sources"]
    assert source["skipped"] == {"excluded": 1} and source["not_inspected"] == []  # the config's own scope
    second = tmp_path / "run2"
    assert privmap("scan", "-c", str(write(tmp_path)), "-o", str(second), "--fail-on", "none").returncode == 0
    found = json.loads((second / "findings.json").read_text())
    assert [(Path(f["uri"]).name, f["entity"]) for f in found] == [("export.tmp", "EMAIL_ADDRESS")]
