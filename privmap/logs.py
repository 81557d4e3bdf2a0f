"""Logging: one JSON object per line when not on a terminal (cron, CI), plain text otherwise.

Log records carry names, counts and error kinds only; values found in data are never logged.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# credentials libraries quote back in their errors: a URL's user:password@, key=value secrets
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*:/*)[^/\s@]*@|()[^\s/@:'\"]+:[^\s/@'\"]+@")
# `password=`-style pairs in libpq, JDBC and ODBC strings (`Pwd={a;b}`), URLs' query strings and cloud
# connection strings (`AccountKey=...`)
_KEY_VALUE = re.compile(
    r"(?i)\b(password|passwd|pwd|secret|token|[a-z]*[_-]?key|sig|signature)"
    r"(\s*[=:]\s*)('[^']*'|\"[^\"]*\"|\{[^}]*\}|[^\s&;,)]+)"
)

# names of options and fields whose values are secrets wherever they are quoted or kept: DSNs and passwords,
# keys and tokens, and URLs and endpoints, because webhook and Slack URLs carry their token in the path
_SECRET_NAME = re.compile(r"dsn|pass|secret|token|key|credential|auth|url|endpoint|webhook", re.IGNORECASE)


def is_secret_name(name: object) -> bool:
    """Whether an option or field called `name` holds a secret (`password`, `dsn`, `api_key`, `url`, ...)."""
    return isinstance(name, str) and _SECRET_NAME.search(name) is not None


def masked(value: Any, name: str = "") -> Any:
    """`value` (a parsed config tree: dicts, lists, scalars) with secrets masked: non-empty strings under a
    secret name (see `is_secret_name`) become `***`, others lose URL credentials and `password=` pairs."""
    if isinstance(value, dict):
        return {k: masked(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v, name) for v in value]
    if isinstance(value, str):
        return "***" if value and is_secret_name(name) else redact(value)
    return value


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
