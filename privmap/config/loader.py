"""Load a YAML config: `${ENV}` interpolation, line numbers for every key, strict validation."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from privmap import plugins
from privmap.config import codes
from privmap.config.errors import ConfigError, ConfigIssue, ConfigOrigin, Loc
from privmap.config.models import Config

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def load_config(path: str | Path, env: Mapping[str, str] | None = None) -> Config:
    """Read, interpolate and validate a config file; raise ConfigError naming file, line and key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([ConfigIssue(str(path), None, (), f"cannot read config: {exc.strerror}")]) from exc
    return parse_config(text, path, os.environ if env is None else env)


def parse_config(text: str, path: Path, env: Mapping[str, str]) -> Config:
    origin = ConfigOrigin(path)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise ConfigError(
            [ConfigIssue(str(path), line, (), f"not valid YAML: {getattr(exc, 'problem', exc)}")]
        ) from exc
    if node is None:
        raise origin.error((), "the file is empty (expected a mapping with version, organization, sources ...)")
    issues: list[ConfigIssue] = []
    data = _Builder(origin, env, issues).build(node, ())
    if issues:
        raise ConfigError(issues)
    if not isinstance(data, dict):
        raise origin.error((), "expected a mapping at the top level")
    try:
        config = Config.model_validate({**data, "base_dir": path.resolve().parent})
    except ValidationError as exc:
        raise ConfigError([origin.issue(tuple(e["loc"]), _explain(e)) for e in exc.errors()]) from None
    config._origin = origin
    issues = [origin.issue(loc, msg) for loc, msg in (*_reference_problems(config), *_code_problems(config))]
    if issues:
        raise ConfigError(issues)
    return config


def _explain(error: Any) -> str:
    kind, msg = error["type"], error["msg"]
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see the README for the allowed keys)"
    if kind == "literal_error":
        return f"{msg}, got {error['input']!r}"
    if kind == "missing":
        return "required key is missing"
    return f"{msg} (got {error['input']!r})" if not isinstance(error["input"], dict | list) else msg


def _reference_problems(config: Config) -> list[tuple[Loc, str]]:
    """Names that must refer to something declared elsewhere in the same file."""
    problems: list[tuple[Loc, str]] = []
    inv = config.inventory
    sources = [s.name for s in config.sources]
    # names are how everything refers to everything: a second entry would silently shadow the first
    for where, what, names in (
        (("sources",), "source", sources),
        (("inventory", "activities"), "activity", [a.name for a in inv.activities]),
        (("inventory", "recipients"), "recipient", [r.name for r in inv.recipients]),
        (("inventory", "affiliates"), "affiliate", [a.name for a in inv.affiliates]),
        (("inventory", "controllers"), "controller", [c.name for c in inv.controllers]),
    ):
        for i, name in enumerate(names):
            if name in names[:i]:
                problems.append(((*where, i, "name"), f"duplicate {what} name {name!r}"))
    recipients = {r.name for r in inv.recipients} | {a.name for a in inv.affiliates}
    for i, activity in enumerate(inv.activities):
        for j, name in enumerate(activity.recipients):
            if name not in recipients:
                problems.append(
                    (
                        ("inventory", "activities", i, "recipients", j),
                        f"{name!r} is not a declared recipient or affiliate",
                    )
                )
        for j, name in enumerate(activity.stores):
            if name not in sources:
                problems.append((("inventory", "activities", i, "stores", j), f"{name!r} is not a configured source"))
    for i, transfer in enumerate(inv.transfers):
        if transfer.recipient not in recipients:
            problems.append(
                (
                    ("inventory", "transfers", i, "recipient"),
                    f"{transfer.recipient!r} is not a declared recipient or affiliate",
                )
            )
        if transfer.source not in sources and transfer.source != config.organization.name:
            problems.append(
                (
                    ("inventory", "transfers", i, "source"),
                    f"{transfer.source!r} is not a configured source or the organization",
                )
            )
    processing = {a.name for a in inv.activities if a.role == "processor"}
    for i, controller in enumerate(inv.controllers):
        problems += [
            (("inventory", "controllers", i, "activities", j), f"{name!r} is not an activity with role: processor")
            for j, name in enumerate(controller.activities)
            if name not in processing
        ]
    for i, recipient in enumerate(inv.recipients):
        if recipient.processor_of and recipient.processor_of not in recipients:
            problems.append(
                (
                    ("inventory", "recipients", i, "processor_of"),
                    f"{recipient.processor_of!r} is not a declared recipient",
                )
            )
    return problems


def _code_problems(config: Config) -> list[tuple[Loc, str]]:
    """Codes checked against maintained tables: countries, languages, data categories, regions and
    alert sink types, each error with a suggestion (privmap.config.codes)."""
    inv, detection = config.inventory, config.detection
    found: list[tuple[Loc, str | None]] = [(("organization", "country"), codes.country(config.organization.country))]
    for key, parties in (
        ("affiliates", inv.affiliates),
        ("recipients", inv.recipients),
        ("controllers", inv.controllers),
    ):
        found += [
            (("inventory", key, i, "country"), codes.country(p.country)) for i, p in enumerate(parties) if p.country
        ]
    found += [
        (("inventory", "storage_locations", i), codes.country(where))
        for i, where in enumerate(inv.storage_locations)
        if where != "EEA"
    ]
    for key, entries in (("activities", inv.activities), ("transfers", inv.transfers)):
        found += [
            (("inventory", key, i, "data_categories", j), codes.data_category(category))
            for i, entry in enumerate(entries)
            for j, category in enumerate(entry.data_categories)
        ]
    found.append((("detection", "language"), codes.language(detection.language)))
    found += [(("detection", "languages", i), codes.language(lang)) for i, lang in enumerate(detection.languages)]
    found += [(("detection", "models", lang), codes.language(lang)) for lang in detection.models]
    for i, source in enumerate(config.sources):
        found += [(("sources", i, "region"), codes.region(source.region))] if source.region else []
        found += [(("sources", i, "replicas", j), codes.region(r)) for j, r in enumerate(source.replicas)]
    sinks = plugins.names("alert")
    for i, alert in enumerate(config.alerts):
        if alert.type not in sinks:
            known = ", ".join(sinks) or "none installed"
            found.append((("alerts", i, "type"), f"unknown alert sink type {alert.type!r} (known: {known})"))
    return [(loc, message) for loc, message in found if message]


class _Builder:
    """Turns a YAML node tree into plain data, recording the line of every key."""

    def __init__(self, origin: ConfigOrigin, env: Mapping[str, str], issues: list[ConfigIssue]) -> None:
        self.origin, self.env, self.issues = origin, env, issues
        self.constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.origin.lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self.constructor.construct_object(key_node)
                if key == "<<":
                    self.issues.append(self.origin.issue(loc, "YAML merge keys are not supported"))
                    continue
                key = str(key)
                if key in out:
                    self.issues.append(
                        ConfigIssue(str(self.origin.file), key_node.start_mark.line + 1, (*loc, key), "duplicate key")
                    )
                self.origin.lines[(*loc, key)] = key_node.start_mark.line + 1
                out[key] = self.build(value_node, (*loc, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*loc, i)) for i, child in enumerate(node.value)]
        value = self.constructor.construct_object(node)
        if isinstance(value, str) and "${" in value:
            return self._interpolate(value, loc)
        return value

    def _interpolate(self, value: str, loc: Loc) -> str:
        def sub(m: re.Match[str]) -> str:
            name, default = m.group(1), m.group(2)
            if name in self.env:
                return self.env[name]
            if default is not None:
                return default
            self.issues.append(
                self.origin.issue(
                    loc, f"environment variable {name} is not set (write ${{{name}:-default}} for a default)"
                )
            )
            return ""

        return _ENV.sub(sub, value)
