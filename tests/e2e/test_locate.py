"""The README's worked access request and erasure check on the demo estate, through the CLI."""

from __future__ import annotations

import json
import random

import pytest

from privmap.demo import ERASED, person
from tests.e2e.conftest import privmap


@pytest.mark.slow
def test_the_readme_access_request_and_erasure_check_on_the_demo(estate, tmp_path):
    scanned = privmap("scan", "-c", str(estate), "--out", str(tmp_path / "reports"), "--fail-on", "none")
    assert scanned.returncode == 0, scanned.stderr
    # the access request: an e-mail in another case and a phone in national format
    found = privmap(
        "locate", "-c", str(estate), "--email", "Tomasz.Rossi28@courriel.fr", "--phone", "087 646 7929"
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    answer = json.loads(found.stdout)
    direct = {(m["source"], m["field"]) for m in answer["matches"] if m["via"] == "direct"}
    assert direct == {("crm", "email"), ("crm", "phone"), ("exports", "email"), ("exports", "phone"), ("web-logs", "")}
    assert {m["field"] for m in answer["matches"] if m["via"] == "same row"} == {"name", "full_name"}
    assert answer["complete"] is True and [r["found"] for r in answer["request"]] == [3, 2]
    stores = {s["source"]: s for s in answer["stores"]}
    reach = {(r["kind"], r["name"]) for r in stores["crm"]["erasure_reach"]}
    assert {("processor", "PayFlow"), ("affiliate", "Pixelcloud Inc"), ("sub_processor", "CallBridge")} <= reach
    assert stores["exports"]["role"] is None and stores["exports"]["activities"] == []
    assert "tomasz" not in found.stdout.lower() and "646 7929" not in found.stdout
    page = tmp_path / "answer.html"
    html = privmap("locate", "-c", str(estate), "--email", "tomasz.rossi28@courriel.fr", "-f", "html", "-o", str(page))
    assert html.returncode == 0 and "t***@c***.fr" in page.read_text() and "tomasz" not in page.read_text().lower()
    # the erasure check: her CRM rows are gone, the export and the logs still hold her
    checked = privmap("locate", "-c", str(estate), "--erased-list", str(estate.parent / "erasure-log.csv"))
    assert checked.returncode == 1, checked.stderr
    [erased] = json.loads(checked.stdout)["erased"]
    assert erased["subject"] == "DSR-2026-031"
    assert {(f["source"], f["field"]) for f in erased["still_found"]} == {
        ("exports", "email"),
        ("exports", "phone"),
        ("web-logs", ""),
    }
    rng = random.Random(2018)
    her = [person(rng) for _ in range(ERASED + 1)][ERASED]
    assert her["email"] not in checked.stdout
    checks = json.loads((tmp_path / "reports" / "checks.json").read_text())
    assert [c["status"] for c in checks if c["id"] == "DSR-002"] == ["fail"]
