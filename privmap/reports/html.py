"""Self-contained HTML: jinja2 with autoescaping on everything (names are attacker-chosen)."""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import unquote

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from privmap import __version__


@cache
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("privmap.reports", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["version"] = __version__
    # readable paths rather than %-encoded URIs; autoescaping still applies to the result
    env.filters["display_uri"] = unquote
    return env


def render(template: str, **context: Any) -> str:
    return _env().get_template(template).render(**context)
