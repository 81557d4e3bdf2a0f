"""The report files without a browser: spreadsheets, JSON, the HTML's policy and the score."""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import re
from dataclasses import replace

import pytest
from openpyxl import load_workbook

from privmap.reports import ReportData, write_reports
from privmap.reports.data import HTML_ROWS, listed, score
from privmap.reports.sheets import csv_cell
from tests.unit.test_ropa import CONFIG, CRM, FINDINGS, config, finding, report

# every point of Art. 30(1) and 30(2) has a column of its own
ART30 = [f"Art. 30(1)({p})" for p in "abcdefg"] + [f"Art. 30(2)({p})" for p in "abcd"]
HOSTILE = '=HYPERLINK("http://evil.example","x")'


def check(id_: str, severity: str, status: str, subject: str = "store:crm") -> dict:
    return {"id": id_, "title": id_, "severity": severity, "status": status, "subject": subject, "evidence": "e"}


def test_csv_and_xlsx_open_with_the_standard_libraries_and_carry_every_art30_column(tmp_path):
    extra = "controllers:\n  - {name: Studio A, country: DE}\n"
    write_reports(report(config(extra)), tmp_path)
    # UTF-8 with a byte-order mark, so spreadsheet programs on every platform read it as UTF-8
    assert (tmp_path / "ropa.csv").read_bytes().startswith(b"\xef\xbb\xbfProcessing activity")
    with (tmp_path / "ropa.csv").open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["Processing activity [CNIL]"] for r in rows] == ["Billing", "Hosting"]
    assert [r["Role [Art. 30(1), 30(2)]"] for r in rows] == ["controller", "processor"]
    headers = list(rows[0])
    for point in ART30[:7]:
        assert any(point in h for h in headers), point
    billing = rows[0]
    assert billing["Categories of personal data [Art. 30(1)(c)]"].startswith("declared: email address, name;")

    wb = load_workbook(tmp_path / "ropa.xlsx")
    assert wb.sheetnames == ["Activities (Art. 30)", "Processor records (Art. 30(2))", "About"]
    sheet = wb["Activities (Art. 30)"]
    assert [c.value for c in sheet[1]] == headers
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2)] == [list(r.values()) for r in rows]
    processor = wb["Processor records (Art. 30(2))"]
    titles = [c.value for c in processor[1]]
    for point in ART30[7:]:
        assert any(point in t for t in titles), point
    assert processor.cell(2, 1).value == "declared: Studio A, Germany"
    gap_fill = sheet.cell(2, headers.index("Categories of personal data [Art. 30(1)(c)]") + 1).fill.fgColor.rgb
    assert gap_fill.endswith("FBE3E1")  # and the text says "observed in addition" too


def test_names_from_the_scan_never_become_formulas(tmp_path):
    assert csv_cell(HOSTILE) == "'" + HOSTILE and csv_cell("-1+2") == "'-1+2" and csv_cell("ok") == "ok"
    cfg = config(base=CONFIG.replace("name: Billing", f"name: '{HOSTILE}'"))
    findings = [*FINDINGS, finding("crm", f"{CRM}#bad\x07table", "EMAIL_ADDRESS", "user.contact.email")]
    write_reports(report(cfg, findings=findings), tmp_path)
    with (tmp_path / "ropa.csv").open(newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[1][0] == "'" + HOSTILE
    wb = load_workbook(tmp_path / "ropa.xlsx")
    cells = [c for row in wb["Activities (Art. 30)"].iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert any("table badtable" in str(c.value) for c in cells)  # the control character is dropped


def test_ropa_json_keeps_the_basis_of_every_field(tmp_path):
    write_reports(report(), tmp_path)
    ropa = json.loads((tmp_path / "ropa.json").read_text())
    billing = ropa["activities"][0]
    assert billing["title"] == "Billing" and billing["role"] == "controller"
    assert {"basis": "undeclared", "label": "observed in addition"}.items() <= billing["fields"]["data_categories"][
        2
    ].items()
    assert "Categories of personal data" in billing["gaps"]
    assert [c["key"] for c in ropa["columns"]][:2] == ["activity", "role"]
    assert ropa["controller"]["fields"]["dpo"][0]["text"] == "Dana Quinn, dpo@acme.example"


def test_the_only_script_is_allowed_by_its_hash_and_nothing_is_fetched(tmp_path):
    data = report()
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><title>map</title></svg>'
    write_reports(replace(data, data_map_svg=svg), tmp_path)
    for name in ("report.html", "ropa.html"):
        html = (tmp_path / name).read_text()
        [policy] = re.findall(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
        assert "default-src 'none'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        [script] = re.findall(r"<script>(.*?)</script>", html, re.S)
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"script-src 'sha256-{digest}'" in policy
        # no URL the browser would load: only the SVG namespace, which is a name, not a request
        assert re.findall(r"(?:src|href)=\"(?!#)", html) == []
        assert "http" not in html.replace("http-equiv", "").replace("http://www.w3.org/2000/svg", "")
    assert svg in (tmp_path / "report.html").read_text()


def test_score_and_change_since_the_previous_run():
    before = [check("A", "high", "fail"), check("B", "medium", "fail"), check("C", "low", "pass")]
    now = [check("A", "high", "fail"), check("B", "medium", "pass"), check("C", "low", "fail")]
    data = ReportData(config(), {}, [], now, [], [], [], previous_run=1, previous_checks=before)
    assert [c["id"] for c in data.newly_failing()] == ["C"]
    assert [c["id"] for c in data.fixed()] == ["B"]
    assert (data.score(), data.previous_score()) == (round(100 * 0.88 * 0.98), round(100 * 0.88 * 0.95))
    assert data.severity_counts(before) == {"critical": 0, "high": 1, "medium": 1, "low": 0, "info": 0}


@pytest.mark.parametrize(
    ("checks", "expected"),
    [
        ([], 100),
        ([check("A", "info", "fail")], 100),  # info checks only inform
        ([check("A", "critical", "fail")], 75),
        ([check("A", "critical", "error")], 75),  # not examined is not clean
        ([check("A", "high", "fail"), check("B", "low", "fail")], round(100 * 0.88 * 0.98)),
    ],
)
def test_score_formula(checks, expected):
    assert score(checks) == expected


def test_score_is_not_diluted_by_passes_and_not_raised_by_clean_stores():
    failing = [check("TRF-001", "critical", "fail")]
    clean = [check(f"SEC-00{i}", "medium", "pass", f"store:s{i}") for i in range(1, 10)]
    assert score(failing + clean) == score(failing)  # trivial passes do not dilute a failure
    more_stores = clean + [check("SEC-001", "medium", "pass", f"store:new{i}") for i in range(50)]
    assert score(failing + more_stores) <= score(failing + clean)


def test_one_root_cause_counts_once_at_its_highest_severity():
    shield = [
        {**check("TRF-002", "critical", "fail", f"transfer:{s}->Inc"), "cause": "party:affiliate:Inc"}
        for s in ("a", "b", "c")
    ]
    assert score(shield) == score(shield[:1]) == 75
    cache = [
        {**check("TRF-001", "critical", "fail", "transfer:Org->cache"), "cause": "place:store:cache"},
        {**check("TRF-012", "high", "fail", "store:cache"), "cause": "place:store:cache"},
    ]
    assert score(cache) == 75  # the Singapore cache once, as critical


def test_every_further_failure_lowers_the_score_and_it_stays_in_range():
    checks: list[dict] = []
    last = score(checks)
    for i in range(60):
        checks.append(check(f"X-{i}", "critical" if i % 2 else "medium", "fail", f"store:s{i}"))
        now = score(checks)
        assert 0 <= now <= last
        last = now
    assert last == 0


def test_a_large_run_lists_every_store_and_category_in_html_and_every_finding_in_json(tmp_path):
    many = [finding("crm", f"{CRM}#t{n}", "EMAIL_ADDRESS", "user.contact.email") for n in range(HTML_ROWS + 500)]
    few = [
        finding("crm", f"{CRM}#billing", "CREDIT_CARD", "user.financial.credit_card"),
        finding("media", "file:///srv/media/a.txt", "PERSON", "user.name", store="file:///srv/media"),
    ]
    data = replace(report(findings=many + few), new_findings=many, previous_run=0)
    write_reports(data, tmp_path)
    html = (tmp_path / "report.html").read_text()
    table = html.split('id="findings-table"')[1].split("</table>")[0]
    assert table.count("<tr>") - 1 == HTML_ROWS  # the header row, then the findings listed
    assert "user.financial.credit_card" in table and "file:///srv/media/a.txt" in table  # not crowded out
    assert f"This table lists {HTML_ROWS:,} of {HTML_ROWS + 502:,} findings" in html
    assert f"This table lists {HTML_ROWS:,} of {HTML_ROWS + 500:,}" in html.split('id="changes"')[1]
    # the totals count every finding, not only those listed
    assert f'<td class="num">{HTML_ROWS + 500}</td><td class="num">{3 * (HTML_ROWS + 500)}</td>' in html
    records = json.loads((tmp_path / "findings.json").read_text())
    assert len(records) == HTML_ROWS + 502 and records[0] == dict(sorted(many[0].items()))


def test_listed_spreads_the_rows_over_groups_and_keeps_their_order():
    rows = [
        {"source": s, "category": c, "n": n}
        for s, c, k in (("a", "x", 10), ("a", "y", 2), ("b", "x", 10))
        for n in range(k)
    ]
    assert listed(rows, 100) is rows
    shown = listed(rows, 10)
    assert [(r["source"], r["category"]) for r in shown].count(("a", "y")) == 2
    assert len(shown) == 10 and shown == [r for r in rows if r in shown]  # 4 + 2 + 4, in order
    crowded = [{"source": "a", "category": str(n)} for n in range(50)]
    assert listed(crowded, 10) == crowded[:10]  # more groups than rows: the first of the first groups
