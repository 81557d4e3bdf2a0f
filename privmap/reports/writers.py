"""Write every output file of a run into one folder (the contract of the README)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import orjson

from privmap.coverage import incomplete, summary_line
from privmap.files import FILE_MODE, OutputError, commit, private_dir
from privmap.reports.audit import coverage_json, coverage_totals, ordered_checks, store_rows
from privmap.reports.data import HTML_ROWS, SCORE_PENALTIES, ReportData, by_store, listed, root_causes
from privmap.reports.html import render
from privmap.reports.record import BASES, Entry
from privmap.reports.ropa import COLUMNS, ORGANISATION_COLUMNS, PROCESSOR_COLUMNS, build_ropa, ropa_json
from privmap.reports.sheets import write_csv, write_xlsx

OUTPUTS = (
    "findings.json",
    "checks.json",
    "run.json",
    "coverage.json",
    "ropa.json",
    "ropa.csv",
    "ropa.xlsx",
    "report.html",
    "ropa.html",
)


def _json(path: Path, value: Any) -> None:
    """A JSON file, keys sorted: an object indented, a list one record per line (findings.json of a
    no-change rescan of 100,000 small files holds 245,000 findings: the standard library's indenting
    encoder took 10 s, orjson per line takes 0.4). Dates and datetimes read as `str()` gives them."""
    with path.open("wb") as fh:
        if not isinstance(value, list):
            fh.write(orjson.dumps(value, default=str, option=_OPTIONS | orjson.OPT_INDENT_2) + b"\n")
            return
        fh.write(b"[")
        for n, record in enumerate(value):
            fh.write(b"\n" if n == 0 else b",\n")
            fh.write(orjson.dumps(record, default=str, option=_OPTIONS))
        fh.write(b"\n]\n" if value else b"]\n")


_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def write_reports(data: ReportData, out_dir: Path) -> list[Path]:
    """Write the findings, checks, run summary, data map exports, audit report and RoPA; return the paths.

    Every file is first written into a private folder inside `out_dir`, then moved into place (run.json
    last), so a crash or a full disk never leaves one run's files beside another's or a truncated file,
    and a link planted at an output's name is replaced, never written through. Files are mode 0600.
    Raises OutputError naming the path when `out_dir` cannot be written."""
    private_dir(out_dir)
    try:
        with tempfile.TemporaryDirectory(dir=out_dir, prefix=".privmap-") as tmp:
            names = _write_all(data, Path(tmp))
            for name in sorted(names, key=lambda n: n == "run.json"):
                os.chmod(Path(tmp) / name, FILE_MODE)
                commit(Path(tmp) / name, out_dir / name)
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot write the reports: {exc.strerror or exc}") from None
    return [out_dir / n for n in names]


def _write_all(data: ReportData, out_dir: Path) -> list[str]:
    """Render every output into `out_dir`; returns the file names, in the README's order."""
    ropa = build_ropa(data)
    for name, value in (
        ("findings.json", data.findings),
        ("checks.json", data.checks),
        ("run.json", data.run),
        ("coverage.json", coverage_json(data)),
        ("ropa.json", ropa_json(data, ropa)),
    ):
        _json(out_dir / name, value)
    write_csv(out_dir / "ropa.csv", ropa)
    write_xlsx(out_dir / "ropa.xlsx", data, ropa)
    for name, text in sorted(data.graph_exports.items()):
        (out_dir / name).write_text(text, encoding="utf-8")
    totals = data.category_totals()
    shown = listed(data.findings)
    context = {
        "data": data,
        "ropa": ropa,
        "columns": COLUMNS,
        "processor_columns": PROCESSOR_COLUMNS,
        "organisation_columns": ORGANISATION_COLUMNS,
        "bases": BASES,
        "entry": Entry,
        "stores": store_rows(data),
        "checks": ordered_checks(data.checks),
        "totals": coverage_totals(data),
        "summary_line": summary_line(data.score(), data.coverage),
        "incomplete": incomplete(data.coverage),
        "score_penalties": SCORE_PENALTIES,
        "root_causes": root_causes(data.checks),
        "totals_by_store": totals,
        "category_names": sorted({r["category"] for rows in totals.values() for r in rows}),
        "listed_by_store": by_store(shown),
        "listed_count": len(shown),
        "html_rows": HTML_ROWS,
        "new_listed": listed(data.new_findings),
        "resolved_listed": listed(data.resolved_findings),
    }
    for name in ("report.html", "ropa.html"):
        (out_dir / name).write_text(render(f"{name}.j2", **context), encoding="utf-8")
    return [*OUTPUTS, *sorted(data.graph_exports)]
