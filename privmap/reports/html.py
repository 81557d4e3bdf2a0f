"""Self-contained HTML: jinja2 with autoescaping on everything (names are attacker-chosen).

The one inline script (sorting and filtering) is allowed by its SHA-256 hash in the page's
Content-Security-Policy, so nothing else can run: no other inline script, no event-handler
attribute, no script from anywhere, and no request of any kind (default-src 'none').
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from importlib.resources import files
from typing import Any
from urllib.parse import unquote

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from privmap import __version__
from privmap.reports.ropa import category_label


def csp_hash(script: str) -> str:
    """The CSP source expression that allows exactly this inline script."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


# bidirectional controls reorder what follows them on screen: `invoice-<RLO>gnp.exe.txt` reads as
# `invoice-txt.exe.png`; in a report every one is shown as its code point instead
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(value: Any) -> Any:
    """Jinja's finalize: every printed string with its bidi controls shown as `<U+202E>` (escaped later)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return _BIDI.sub(lambda m: f"<U+{ord(m.group()):04X}>", value)
    return value


@cache
def _env() -> Environment:
    env = Environment(
        finalize=visible,
        loader=PackageLoader("privmap.reports", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    script = files("privmap.reports").joinpath("templates/tables.js").read_text(encoding="utf-8")
    env.globals["version"] = __version__
    env.globals["script"] = Markup(script)  # our own file, shipped with the package, not data
    env.globals["script_src"] = Markup(csp_hash(script))  # base64 between quotes
    # readable paths rather than %-encoded URIs; autoescaping still applies to the result
    env.filters["display_uri"] = unquote
    env.filters["category_label"] = category_label
    return env


def render(template: str, **context: Any) -> str:
    return _env().get_template(template).render(**context)
