"""Reading `privmap detect` input lines: JSON objects with an id and a text, checked one by one so a bad
line is answered with an error and never costs the other lines of its batch."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class DetectRequest:
    """One input line: `text` to analyse, or `error` saying why the line was not read."""

    line: int  # 1-based line number in the input
    id: Any  # the caller's id, echoed as given (a JSON string, number, bool or null)
    text: str = ""
    error: str | None = None


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def read_request(raw: bytes, line: int) -> DetectRequest | None:
    """Parse one line of input bytes; None for a blank line.

    A UTF-8 byte-order mark is ignored; invalid UTF-8, invalid JSON, NaN/Infinity, a missing or
    non-string `text` and an id that is not a scalar become an error record. Lone surrogates (from
    JSON escapes) are replaced by U+FFFD one for one, so character offsets stay those of the text."""
    if line == 1:
        raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return DetectRequest(line, None, error=f"not UTF-8 at byte {exc.start}")
    if not decoded.strip():
        return None
    try:
        record = json.loads(decoded, parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:
        return DetectRequest(line, None, error=f"not a JSON object: {type(exc).__name__}")
    if not isinstance(record, dict):
        return DetectRequest(line, None, error="expected a JSON object with a text field")
    rid = record.get("id")
    if not isinstance(rid, str | int | float | bool | type(None)):
        return DetectRequest(line, None, error="id must be a string, a number or null")
    text = record.get("text")
    if not isinstance(text, str):
        what = "missing" if "text" not in record else f"a {type(text).__name__}, not a string"
        return DetectRequest(line, rid, error=f"text is {what}")
    return DetectRequest(line, rid, _SURROGATE.sub("\ufffd", text))
