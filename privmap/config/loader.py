"""Load a YAML config: `${ENV}` interpolation, line numbers for every key, strict validation."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from privmap import logs
from privmap.config import codes
from privmap.config.errors import ConfigError, ConfigIssue, ConfigOrigin, Loc
from privmap.config.models import Config

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
# Bounds that keep a hostile or broken file from costing more than a moment: a config is a page of
# YAML, so a megabyte, a nesting depth of 40 or 100,000 values after alias expansion is never real.
MAX_BYTES = 1_000_000
MAX_DEPTH = 40
MAX_VALUES = 100_000


def load_config(path: str | Path, env: Mapping[str, str] | None = None) -> Config:
    """Read, interpolate and validate a config file; raise ConfigError naming file, line and key."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ConfigError([ConfigIssue(str(path), None, (), f"cannot read config: {exc.strerror}")]) from exc
    if len(raw) > MAX_BYTES:
        raise ConfigError([ConfigIssue(str(path), None, (), f"larger than {MAX_BYTES:,} bytes: not a config file")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError([ConfigIssue(str(path), line, (), "not UTF-8 text (save the file as UTF-8)")]) from None
    return parse_config(text, path, os.environ if env is None else env)


def parse_config(text: str, path: Path, env: Mapping[str, str]) -> Config:
    """Parse and validate config `text` read from `path`; raise ConfigError naming file, line and key."""
    origin = ConfigOrigin(path)
    try:
        _check_depth(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        raise ConfigError(
            [ConfigIssue(str(path), line, (), f"not valid YAML: {getattr(exc, 'problem', None) or exc}")]
        ) from None
    except _TooBig as exc:
        raise origin.error((), str(exc)) from None
    if node is None:
        raise origin.error((), "the file is empty (expected a mapping with version, organization, sources ...)")
    issues: list[ConfigIssue] = []
    builder = _Builder(origin, env, issues)
    try:
        data = builder.build(node, ())
    except _TooBig as exc:
        raise origin.error(exc.loc, str(exc)) from None
    if issues:
        raise ConfigError(issues)
    if not isinstance(data, dict):
        raise origin.error((), "expected a mapping at the top level")
    try:
        config = Config.model_validate({**data, "base_dir": path.resolve().parent})
    except ValidationError as exc:
        raise ConfigError([origin.issue(tuple(e["loc"]), _explain(e, builder.hidden)) for e in exc.errors()]) from None
    config._origin = origin
    issues = [origin.issue(loc, msg) for loc, msg in (*_reference_problems(config), *_code_problems(config))]
    if issues:
        raise ConfigError(issues)
    return config


def _check_depth(text: str) -> None:
    """Refuse deep nesting from the event stream, before the (recursive) composer would spend seconds
    on it and then fail with RecursionError."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1
                raise _TooBig((), f"line {line}: nested more than {MAX_DEPTH} levels deep: not a config file")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _explain(error: Any, hidden: set[Loc]) -> str:
    """A validation error in words; the offending value is quoted unless it may be a secret or came from
    the environment (`hidden` holds the locations whose values were interpolated)."""
    kind, msg, loc = error["type"], error["msg"].removeprefix("Value error, "), tuple(error["loc"])
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see the README for the allowed keys)"
    if kind == "missing":
        return "required key is missing"
    value = error.get("input")
    if isinstance(value, dict | list):
        return msg
    secret = loc in hidden or any(logs.is_secret_name(k) for k in loc)
    if loc in hidden:
        shown = "a value from the environment"
    else:
        shown = "a value not shown" if secret else logs.redact(repr(value))
    return f"{msg}, got {shown}" if kind == "literal_error" else f"{msg} (got {shown})"


def _state_inside_sources(config: Config) -> list[tuple[Loc, str]]:
    """A source must not be privmap's own state: the store file (a SQLite source), the state folder or a
    folder inside it. (A local source that merely contains the state folder skips it when listing.)"""
    state, store = config.state_dir.resolve(), config.resolve(config.store.path).resolve()
    problems: list[tuple[Loc, str]] = []
    for source in config.sources:
        path = source.options.get("path")
        if not isinstance(path, str) or not path:
            continue
        scanned = config.resolve(path).resolve()
        if scanned in (state, store) or state in scanned.parents:
            problems.append(
                (
                    ("store", "path"),
                    f"source {source.name!r} would scan privmap's own state ({store}): "
                    "move store.path or the source elsewhere",
                )
            )
    return problems


_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


class _TooBig(Exception):
    def __init__(self, loc: Loc, message: str) -> None:
        super().__init__(message)
        self.loc = loc


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
    problems += _state_inside_sources(config)
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
    """Codes checked against maintained tables: countries, languages, data categories and regions, each
    error with a suggestion (privmap.config.codes). Alert sink types and options are checked by
    privmap.alerts.build_sinks, before any scan."""
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
    return [(loc, message) for loc, message in found if message]


class _Builder:
    """Turns a YAML node tree into plain data, recording the line of every key."""

    def __init__(self, origin: ConfigOrigin, env: Mapping[str, str], issues: list[ConfigIssue]) -> None:
        self.origin, self.env, self.issues = origin, env, issues
        self.constructor = yaml.SafeLoader("")
        self.hidden: set[Loc] = set()  # where a value came from the environment
        self.values = 0
        self.open: set[int] = set()  # nodes being built: an alias back to one of them is a cycle

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        # aliases make the node graph a DAG (or a cycle): count what expanding it would build
        self.values += 1
        if self.values > MAX_VALUES:
            raise _TooBig(loc, f"more than {MAX_VALUES:,} values once YAML aliases are expanded")
        if len(loc) > MAX_DEPTH:
            raise _TooBig(loc, f"nested more than {MAX_DEPTH} levels deep")
        if id(node) in self.open:
            raise _TooBig(loc, "a YAML alias refers to the mapping or list that contains it")
        self.origin.lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            if node.tag not in _PLAIN_TAGS:
                self.issues.append(
                    ConfigIssue(str(self.origin.file), node.start_mark.line + 1, loc, f"unknown YAML tag {node.tag}")
                )
                return None
            self.open.add(id(node))
            try:
                return self._build_collection(node, loc)
            finally:
                self.open.discard(id(node))
        value = self._scalar(node, loc)
        if isinstance(value, str) and "${" in value:
            return self._interpolate(value, loc)
        return value

    def _scalar(self, node: yaml.Node, loc: Loc) -> Any:
        """A scalar's value; a tag YAML's safe schema does not know, or a malformed value, is an issue."""
        try:
            return self.constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            problem = getattr(exc, "problem", None) or type(exc).__name__
            self.issues.append(
                ConfigIssue(str(self.origin.file), node.start_mark.line + 1, loc, f"cannot read value: {problem}")
            )
            return None

    def _build_collection(self, node: yaml.MappingNode | yaml.SequenceNode, loc: Loc) -> Any:
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.issues.append(
                        ConfigIssue(
                            str(self.origin.file), key_node.start_mark.line + 1, loc, "keys must be plain words"
                        )
                    )
                    continue
                key = self._scalar(key_node, loc)
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
        return [self.build(child, (*loc, i)) for i, child in enumerate(node.value)]

    def _interpolate(self, value: str, loc: Loc) -> str:
        def sub(m: re.Match[str]) -> str:
            name, default = m.group(1), m.group(2)
            if name in self.env:
                self.hidden.add(loc)
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
