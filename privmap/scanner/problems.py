"""How a failure becomes a Problem: its kind and a message that never echoes content."""

from __future__ import annotations

from privmap.logs import redact
from privmap.scanner.extractors.base import Stopped
from privmap.scanner.sources.base import SourceError


def problem_kind(exc: BaseException) -> str:
    """The Problem kind of a failure: the classified kind when there is one, else by exception type."""
    if isinstance(exc, (SourceError, Stopped)):
        return exc.kind
    if isinstance(exc, PermissionError):
        return "denied"
    if isinstance(exc, FileNotFoundError):
        return "missing"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, (ValueError, UnicodeError, EOFError)) or type(exc).__name__ in _CORRUPT:
        return "corrupt"
    return "unreadable"


# parsers' own error types, named so that their libraries stay optional imports
_CORRUPT = frozenset(
    {
        "BadZipFile",
        "ReadError",
        "PdfReadError",
        "PdfStreamError",
        "ArrowInvalid",
        "MutagenError",
        "UnidentifiedImageError",
    }
)


def describe(exc: BaseException) -> str:
    """An error message that names the failure without echoing content (which may be personal data) or
    the credentials a library quotes back (a URL's password)."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{type(exc).__name__}: {exc.strerror}"
    text = redact(str(exc).splitlines()[0]) if str(exc) else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
