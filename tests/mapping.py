"""Builders for data-map tests: a config from YAML, findings and posture facts made directly
(the stand-ins for what the S3, GCS and database sources record), Evidence with its graph."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from typing import Any

from privmap.checks import Evidence, run_checks
from privmap.config import Config, parse_config
from privmap.data import category_of
from privmap.graph import build_graph
from privmap.model import StoreFact

BASE = """\
version: 1
organization: {name: Org, country: IE, accounts: ["000000000000"]}
sources:
  - {name: eu, type: local, region: eu-west-1, role: controller, options: {path: .}}
  - {name: us, type: local, region: us-east-1, role: controller, options: {path: .}}
  - {name: media, type: s3, role: processor, options: {}}
"""
TODAY = dt.date(2026, 6, 1)


def config(inventory: str = "", sources: str = "") -> Config:
    text = BASE + textwrap.indent(textwrap.dedent(sources).strip("\n"), "  ") + "\n"
    text += "inventory:\n" + textwrap.indent(textwrap.dedent(inventory).strip("\n") or "{}", "  ") + "\n"
    return parse_config(text, Path("privmap.yaml"), {})


def finding(source: str, entity: str = "EMAIL_ADDRESS", store: str | None = None, count: int = 3) -> dict[str, Any]:
    return {
        "source": source,
        "store": store or source,
        "uri": f"{store or source}/x",
        "entity": entity,
        "category": category_of(entity),
        "count": count,
    }


def declared_facts(cfg: Config) -> list[StoreFact]:
    """What the pipeline records for every source: its declared region."""
    return [StoreFact(s.name, s.name, "region", s.region) for s in cfg.sources if s.region]


def evidence(
    cfg: Config,
    findings: list[dict[str, Any]] | None = None,
    facts: list[StoreFact] | None = None,
    as_of: dt.date = TODAY,
) -> Evidence:
    findings = [finding("eu")] if findings is None else findings
    facts = declared_facts(cfg) + (facts or [])
    return Evidence(cfg, findings, facts, as_of, graph=build_graph(cfg, findings, facts, as_of))


def outcomes(check_id: str, ev: Evidence) -> dict[str, str]:
    """subject -> status for one check."""
    return {r["subject"]: r["status"] for r in run_checks(ev) if r["id"] == check_id}
