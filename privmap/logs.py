"""Logging: one JSON object per line when not on a terminal (cron, CI), plain text otherwise.

Log records carry names, counts and error kinds only; values found in data are never logged.
"""

from __future__ import annotations

import json
import logging
import re
import sys

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# credentials libraries quote back in their errors: a URL's user:password@, key=value secrets
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*:/*)[^/\s@]*@|()[^\s/@:'\"]+:[^\s/@'\"]+@")
_KEY_VALUE = re.compile(
    r"(?i)\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key|sig|signature)"
    r"(\s*[=:]\s*)('[^']*'|\"[^\"]*\"|[^\s&;,)]+)"
)


def redact(text: str) -> str:
    """`text` without the secrets that error messages of libraries quote: the user and password of a URL
    (`postgresql://app:pw@db` -> `postgresql://***@db`) and `password=...`-style pairs."""
    return _KEY_VALUE.sub(r"\1\2***", _URL_CREDENTIALS.sub(lambda m: f"{m.group(1) or ''}***@", text))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "event": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        return redact(json.dumps(entry, default=str))


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extra = " ".join(f"{k}={v}" for k, v in vars(record).items() if k not in _STANDARD)
        return redact(f"{record.levelname.lower()}: {record.getMessage()}" + (f" ({extra})" if extra else ""))


def setup(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(TextFormatter() if sys.stderr.isatty() else JsonFormatter())
    root = logging.getLogger("privmap")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose or not sys.stderr.isatty() else logging.WARNING)
    root.propagate = False
