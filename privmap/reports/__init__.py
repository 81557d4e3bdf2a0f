"""Reports: machine-readable JSON/CSV and self-contained HTML (audit report, RoPA)."""

from privmap.reports.data import ReportData
from privmap.reports.writers import write_reports

__all__ = ["ReportData", "write_reports"]
