"""How a failure becomes a Problem: its kind and a message that never echoes content."""

from __future__ import annotations

import re

from privmap.logs import redact
from privmap.scanner.sources.base import SourceError


def problem_kind(exc: BaseException) -> str:
    """The Problem kind of a failure: the classified kind when there is one, else by exception type."""
    # imported here: the extractors package imports this module, so a module-level import is a cycle
    from privmap.scanner.extractors.base import Stopped

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
    the credentials a library quotes back (a URL's password): parsers quote the bytes they choked on
    (`Invalid Elementary Object starting with b')' @165: b'... IBAN DE89...'`), so quoted text, e-mail
    addresses and long digit runs are cut out, whatever the library."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{type(exc).__name__}: {exc.strerror}"
    text = str(exc).splitlines()[0] if str(exc) else ""
    text = _DIGITS.sub("…", _ADDRESS.sub("…", _QUOTED.sub("…", redact(text))))
    return f"{type(exc).__name__}: {text[:200]}" if text.strip(" …:") else type(exc).__name__


# a quoted run (repr of str or bytes) opening after a space or punctuation, so `can't` is no quote; one
# left open (a library cut it short) runs to the end
_QUOTED = re.compile(r"""(?:(?<=^)|(?<=[\s:=(\[{,]))[bBrRuU]?(['"`]).*?(?:\1|$)""")
_ADDRESS = re.compile(r"\S+@\S+")
_DIGITS = re.compile(r"\d[\d .-]{4,}\d")  # six or more digits in a row: identifiers, not offsets
