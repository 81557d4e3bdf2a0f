"""Logging: one JSON object per line when not on a terminal (cron, CI), plain text otherwise.

Log records carry names, counts and error kinds only; values found in data are never logged.
"""

from __future__ import annotations

import json
import logging
import sys

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "event": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extra = " ".join(f"{k}={v}" for k, v in vars(record).items() if k not in _STANDARD)
        return f"{record.levelname.lower()}: {record.getMessage()}" + (f" ({extra})" if extra else "")


def setup(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(TextFormatter() if sys.stderr.isatty() else JsonFormatter())
    root = logging.getLogger("privmap")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose or not sys.stderr.isatty() else logging.WARNING)
    root.propagate = False
