"""Write every output file of a run into one folder (the contract of the README)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from privmap.reports.data import ReportData
from privmap.reports.html import render
from privmap.reports.ropa import COLUMNS, ropa_records


def _json(path: Path, value: Any) -> None:
    path.write_text(
        json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str) + "\n", encoding="utf-8"
    )


def write_reports(data: ReportData, out_dir: Path) -> list[Path]:
    """Write findings.json, checks.json, run.json, the graph files, report.html and the RoPA; return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    ropa = ropa_records(data)
    written = []
    for name, value in (
        ("findings.json", data.findings),
        ("checks.json", data.checks),
        ("run.json", data.run),
        ("ropa.json", {"organization": data.config.organization.model_dump(mode="json"), "activities": ropa}),
    ):
        _json(out_dir / name, value)
        written.append(out_dir / name)
    with (out_dir / "ropa.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([title for _, title in COLUMNS])
        writer.writerows([[record[key] for key, _ in COLUMNS] for record in ropa])
    written.append(out_dir / "ropa.csv")
    for name, text in sorted(data.graph_exports.items()):
        (out_dir / name).write_text(text, encoding="utf-8")
        written.append(out_dir / name)
    for name, template in (("report.html", "report.html.j2"), ("ropa.html", "ropa.html.j2")):
        (out_dir / name).write_text(render(template, data=data, ropa=ropa, columns=COLUMNS), encoding="utf-8")
        written.append(out_dir / name)
    return written
