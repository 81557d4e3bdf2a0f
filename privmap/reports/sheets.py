"""The record as spreadsheets: ropa.csv (one row per activity) and ropa.xlsx (ICO-style workbook).

Cells hold names an attacker may choose (tables, files), so nothing is ever written as a formula:
CSV cells that a spreadsheet would evaluate get a leading apostrophe (the OWASP advice), XLSX cells
are typed as text, and characters XML cannot carry are dropped.
"""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from privmap.reports.data import ReportData
from privmap.reports.record import BASES, Column, Record
from privmap.reports.ropa import COLUMNS, PROCESSOR_COLUMNS, Ropa

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_GAP_FILL = PatternFill("solid", fgColor="FBE3E1")
_HEAD_FILL = PatternFill("solid", fgColor="DCE3EC")


def header(column: Column) -> str:
    return f"{column.title} [{column.reference}]"


def csv_cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(path: Path, ropa: Ropa) -> None:
    # UTF-8 with a byte-order mark: how Excel on every platform knows the file is UTF-8
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow([header(c) for c in COLUMNS])
        writer.writerows([[csv_cell(r.text(c.key, c.marked)) for c in COLUMNS] for r in ropa.activities])


def _sheet(ws: Worksheet, columns: list[Column], records: list[Record]) -> None:
    ws.append([header(c) for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r in records:
        ws.append([ILLEGAL_CHARACTERS_RE.sub("", r.text(c.key, c.marked)) for c in columns])
        for cell, column in zip(ws[ws.max_row], columns, strict=True):
            cell.data_type = "s"  # never a formula, whatever the text starts with
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            if any(e.gap for e in r.fields[column.key]):
                cell.fill = _GAP_FILL
    for i in range(1, len(columns) + 1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = 24 if i == 1 else 40
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = ws.dimensions


def write_xlsx(path: Path, data: ReportData, ropa: Ropa) -> None:
    wb = Workbook()
    _sheet(wb.active, COLUMNS, ropa.activities)
    wb.active.title = "Activities (Art. 30)"
    _sheet(wb.create_sheet("Processor records (Art. 30(2))"), PROCESSOR_COLUMNS, ropa.processor_records)
    about = wb.create_sheet("About")
    org = data.config.organization
    rows = [
        ("Record of processing activities", ILLEGAL_CHARACTERS_RE.sub("", org.name)),
        ("Observed evidence", f"privmap scan run {data.run['run_id']}, finished {data.run['finished']}"),
        ("", ""),
        ("Each part of a cell starts with where it comes from:", ""),
        *[(b.label, f"{b.meaning}{' (a gap to close)' if b.gap else ''}") for b in BASES.values()],
    ]
    for row in rows:
        about.append(row)
        for cell in about[about.max_row]:
            cell.data_type = "s"
    about.column_dimensions["A"].width = 50
    about.column_dimensions["B"].width = 60
    wb.save(path)
