"""The HTML reports in a real browser (Debian's Chromium through Playwright): they open offline,
fetch nothing, log no error, filter and sort, print to PDF, degrade without JavaScript, and render
hostile names as text. Screenshots and PDFs are kept in tests/artifacts/ for people to look at."""

from __future__ import annotations

import csv
import fcntl
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page

from privmap import pipeline
from privmap.config import load_config
from privmap.demo import build
from tests.e2e.conftest import ARTIFACTS, open_page


def scan(config: Path, out: Path) -> None:
    """A scan in this process (test_scan.py runs the CLI), so the NLP model loads once."""
    assert pipeline.run(load_config(config), out).run_errors == 0


@pytest.fixture(scope="session")
def demo_reports(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The demo estate scanned twice, with a file removed and one added in between; built once per
    test run, by whichever xdist worker gets here first (the others wait on the lock)."""
    root = tmp_path_factory.getbasetemp()
    root = root.parent if worker_id != "master" else root  # the folder the workers of this run share
    out = root / "demo-reports" / "estate" / "reports"
    with (root / "demo-reports.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not out.exists():
            config = build(out.parent)
            scan(config, out)
            (config.parent / "uploads-eu" / "caption-000.txt").unlink()
            (config.parent / "uploads-eu" / "new-note.txt").write_text("Contact Dara Walsh at dara.walsh@inbox.pl\n")
            scan(config, out)
    ARTIFACTS.mkdir(exist_ok=True)
    return out


def visible_rows(page: Page, table: str) -> list[list[str]]:
    return page.locator(f"#{table} tbody tr:visible").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells).map(c => c.dataset.value ?? c.innerText.trim()))"
    )


def pdf_pages(pdf: bytes) -> int:
    assert pdf.startswith(b"%PDF")
    return pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")


def test_audit_report_filters_sorts_and_prints(browser: Browser, demo_reports: Path):
    with open_page(browser, demo_reports / "report.html") as page:
        assert page.locator("h1").inner_text() == "Personal data audit: Pixelcloud Media Ltd"
        for heading in ("Summary", "Checks", "Findings by store and category", "Data map", "Coverage"):
            assert page.get_by_role("heading", name=heading).count() == 1
        page.screenshot(path=ARTIFACTS / "report-summary.png")
        coverage = page.locator("section[aria-labelledby=coverage]")
        assert "items" in coverage.inner_text()
        coverage.screenshot(path=ARTIFACTS / "report-coverage.png")
        all_checks = visible_rows(page, "checks-table")
        assert [r[2] for r in all_checks[:6]] == ["fail"] * 6  # failures first

        form = page.get_by_role("search", name="Filter checks")
        form.get_by_label("Severity").select_option("high")
        high = visible_rows(page, "checks-table")
        assert high and all(r[1] == "high" for r in high) and len(high) < len(all_checks)
        assert form.locator("output").inner_text() == f"{len(high)} of {len(all_checks)} rows shown"
        form.get_by_label("Status").select_option("fail")
        form.get_by_label("Search checks").fill("exports")
        assert sorted((r[0][:7], r[3]) for r in visible_rows(page, "checks-table")) == [
            ("DSR-002", "subject:DSR-2026-031"),  # the demo's erased subject is still in the exports
            ("INV-001", "store:exports"),
            ("INV-008", "store:exports"),
        ]
        page.locator("section[aria-labelledby=checks]").screenshot(path=ARTIFACTS / "report-checks-filtered.png")
        form.get_by_label("Search checks").fill("")
        form.get_by_label("Severity").select_option("")
        form.get_by_label("Status").select_option("")

        header = page.locator("#checks-table thead th", has_text="Severity")
        header.get_by_role("button").click()
        assert header.get_attribute("aria-sort") == "ascending"
        assert visible_rows(page, "checks-table")[0][1] == "info"
        header.get_by_role("button").click()
        assert visible_rows(page, "checks-table")[0][1] == "critical"

        page.locator("#findings-table thead th", has_text="Count").get_by_role("button").click()
        counts = [int(r[4]) for r in visible_rows(page, "findings-table")]
        assert counts == sorted(counts) and counts[-1] > 100 > counts[0]  # numeric order, not text order
        page.get_by_role("search", name="Filter findings").get_by_label("Store").select_option("crm")
        assert {r[0] for r in visible_rows(page, "findings-table")} == {"crm"}

        changes = page.locator("#changes ~ h3, #changes ~ table").all_inner_texts()
        assert any("new-note.txt" in t for t in changes) and any("caption-000.txt" in t for t in changes)
        page.screenshot(path=ARTIFACTS / "report.png", full_page=True)
        page.emulate_media(media="print")
        assert not page.locator("form.filters").first.is_visible()
        pdf = page.pdf(format="A4", landscape=True, print_background=True)
        (ARTIFACTS / "report.pdf").write_bytes(pdf)
        assert pdf_pages(pdf) >= 3


def test_ropa_filters_and_prints_one_record_per_page(browser: Browser, demo_reports: Path):
    with open_page(browser, demo_reports / "ropa.html") as page:
        assert page.locator("h1").inner_text() == "Record of processing activities"
        page.screenshot(path=ARTIFACTS / "ropa-overview.png")
        form = page.get_by_role("search", name="Filter activities")
        form.get_by_label("Role").select_option("processor")
        assert [r[0] for r in visible_rows(page, "overview-table")] == ["Media hosting for customers"]
        form.get_by_label("Role").select_option("")
        form.get_by_label("Search activities").fill("billing")
        assert [r[0] for r in visible_rows(page, "overview-table")] == ["Billing"]

        billing = page.locator("section.record", has=page.get_by_role("heading", name="Billing", exact=True))
        categories = billing.locator("tr", has_text="Categories of personal data").inner_text()
        # Billing is scoped to its tables of the shared CRM: what Customer accounts holds is not its gap
        assert "DECLARED" in categories and "OBSERVED IN ADDITION" not in categories
        assert "card number (crm: table main.billing)" in categories and "table main.contacts" not in categories
        newsletter = page.locator("section.record", has=page.get_by_role("heading", name="Newsletter", exact=True))
        shared = newsletter.locator("tr", has_text="Categories of personal data").text_content() or ""
        assert "held in a store shared by Customer accounts, Billing, Newsletter (crm)" in shared
        assert "observed in addition" not in shared.lower()
        billing.screenshot(path=ARTIFACTS / "ropa-record.png")
        processors = page.locator("h3", has_text="Processing for").all_inner_texts()
        assert processors == ["Processing for Studio Nord GmbH", "Processing for Lumen Weddings SARL"]

        page.emulate_media(media="print")
        assert len(visible_rows(page, "overview-table")) == 5  # a printed table is whole, filtered or not
        pdf = page.pdf(format="A4", print_background=True)
        (ARTIFACTS / "ropa.pdf").write_bytes(pdf)
        assert pdf_pages(pdf) >= page.locator("section.record").count()  # each record starts a page


def test_without_javascript_the_tables_are_complete_and_the_controls_hidden(browser: Browser, demo_reports: Path):
    with open_page(browser, demo_reports / "report.html", java_script_enabled=False) as page:
        assert not page.locator("form.filters").first.is_visible()
        rows = page.locator("#checks-table tbody tr")
        assert rows.count() > 10 and all(rows.nth(i).is_visible() for i in range(rows.count()))
        assert page.locator("button.sort").count() == 0


def hostile_estate(root: Path) -> Path:
    """Files, tables and columns named to break out of HTML, SQL and spreadsheets."""
    files = root / "files"
    files.mkdir(parents=True)
    for name in ("<img src=x onerror=alert(1)>.txt", '"; DROP TABLE users; --.txt', "<svg onload=alert(2)>.txt"):
        (files / name).write_text("Write to aoife.byrne@mailbox.ie or call +353 87 123 4567.\n")
    with closing(sqlite3.connect(root / "db.sqlite")) as db:
        db.execute('CREATE TABLE "<img src=x onerror=alert(3)>" ("""; DROP TABLE t; --" TEXT)')
        db.execute('INSERT INTO "<img src=x onerror=alert(3)>" VALUES (?)', ("liam.walsh@inbox.pl",))
        db.execute('CREATE TABLE "<script>window.pwned=1</script>" ("=HYPERLINK(""http://x"")" TEXT)')
        db.execute('INSERT INTO "<script>window.pwned=1</script>" VALUES (?)', ("emma.kelly@webpost.nl",))
        db.commit()
    config = root / "privmap.yaml"
    config.write_text(
        """\
version: 1
organization: {name: '"; DROP TABLE orgs; --', country: IE}
sources:
  - {name: files, type: local, region: eu-west-1, role: controller, options: {path: files}}
  - {name: db, type: sqlite, region: us-east-1, role: controller, options: {path: db.sqlite}}
inventory:
  activities:
    - {name: "<img src=x onerror=alert(4)>", purposes: ["<b>x</b>"], stores: [files, db]}
"""
    )
    return config


def test_hostile_names_render_as_text_and_run_nothing(browser: Browser, tmp_path: Path):
    out = tmp_path / "out"
    scan(hostile_estate(tmp_path), out)
    ARTIFACTS.mkdir(exist_ok=True)
    for name in ("report.html", "ropa.html"):
        with open_page(browser, out / name) as page:
            assert page.evaluate("window.pwned") is None
            # markup only where privmap draws it: the data map's own SVG
            assert page.locator("img, b").count() == 0
            assert page.locator("svg").count() == page.locator(".figure > svg").count()
            assert page.locator("script").count() == 1  # the page's own table script
            text = page.locator("main").inner_text()
            assert "<img src=x onerror=alert(4)>" in text
            if name == "report.html":
                assert '"; DROP TABLE users; --.txt' in text and "<script>window.pwned=1</script>" in text
                assert "<img src=x onerror=alert(3)>" in text and "<svg onload=alert(2)>.txt" in text
                page.screenshot(path=ARTIFACTS / "hostile-report.png", full_page=True)
    with (out / "ropa.csv").open(newline="", encoding="utf-8") as fh:
        row = list(csv.reader(fh))[1]
    assert row[0] == "<img src=x onerror=alert(4)>"
    assert "table main.<script>window.pwned=1</script>" in " ".join(row)
    sheet = load_workbook(out / "ropa.xlsx")["Activities (Art. 30)"]
    assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)
