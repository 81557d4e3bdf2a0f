"""The data map end to end: a scan writes the graph files and the report's map; `privmap graph`
re-renders a stored run; observed replication and grants (from a test double standing in for
a cloud source) become edges and findings."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx

from privmap import pipeline, plugins
from privmap.config import load_config
from privmap.model import Item, StoreFact
from privmap.scanner.sources.local import LocalOptions, LocalSource
from tests.e2e.conftest import privmap


def read_graph(out: Path) -> nx.DiGraph:
    return nx.node_link_graph(json.loads((out / "graph.json").read_text()), edges="links")


def test_demo_scan_maps_declared_flows_and_writes_every_graph_file(estate, tmp_path):
    out = tmp_path / "out"
    result = privmap("scan", "-c", str(estate), "-o", str(out), "--as-of", "2026-06-01", "--fail-on", "none")
    assert result.returncode == 0, result.stderr
    g = read_graph(out)
    assert g.graph["as_of"] == "2026-06-01"
    assert g.nodes["store:transcode-cache"]["zone"] == "THIRD"
    assert g.nodes["store:uploads-us"]["countries"] == ["US"]
    flow = g.edges["activity:Media hosting for customers", "affiliate:Pixelcloud Inc"]
    assert flow["mechanism"] == "privacy_shield" and flow["basis"]["problem"] == "expired"
    assert g.edges["recipient:HelpDeskly", "recipient:CallBridge"]["via"] == ["onward"]
    assert "user.financial.credit_card" in g.edges["activity:Billing", "recipient:PayFlow"]["categories"]

    checks = {(c["id"], c["subject"]): c["status"] for c in json.loads((out / "checks.json").read_text())}
    assert checks["TRF-002", "transfer:uploads-us->Pixelcloud Inc"] == "fail"
    assert checks["TRF-001", "transfer:Pixelcloud Media Ltd->transcode-cache"] == "fail"
    assert checks["TRF-012", "store:transcode-cache"] == "fail"
    assert checks["TRF-003", "transfer:Web analytics and security logs->Google Analytics"] == "fail"
    assert checks["TRF-013", "transfer:HelpDeskly->CallBridge"] == "fail"
    assert checks["VND-001", "recipient:Google Analytics"] == "fail"
    assert checks["TRF-001", "transfer:Customer accounts->Pixelcloud Israel Ltd"] == "pass"  # adequacy

    graphml = nx.read_graphml(out / "graph.graphml")
    assert set(graphml.nodes) == set(g.nodes)
    assert (out / "graph.dot").read_text().startswith("digraph privmap {")
    html = (out / "report.html").read_text()
    assert 'id="data-map"' in html and "<svg" in html and ">transcode-cache<" in html

    # re-rendered from the store, without scanning: the same bytes
    again = privmap("graph", "-c", str(estate), "--format", "json", "--as-of", "2026-06-01")
    assert again.returncode == 0, again.stderr
    assert again.stdout == (out / "graph.json").read_text()
    svg = tmp_path / "map.svg"
    assert privmap("graph", "-c", str(estate), "-f", "svg", "-o", str(svg)).returncode == 0
    ET.parse(svg)
    back_then = privmap("graph", "-c", str(estate), "-f", "json", "--as-of", "2019-01-01")
    flow = read_graph_text(back_then.stdout).edges["activity:Media hosting for customers", "affiliate:Pixelcloud Inc"]
    assert flow["basis"]["valid"] is True  # the Privacy Shield was still in force


def read_graph_text(text: str) -> nx.DiGraph:
    return nx.node_link_graph(json.loads(text), edges="links")


def test_graph_command_needs_a_run(estate):
    result = privmap("graph", "-c", str(estate))
    assert result.returncode == 2 and "run `privmap scan` first" in result.stderr


class PostureOptions(LocalOptions):
    store: str
    facts: dict[str, Any] = {}


class PostureSource(LocalSource):
    """Test double for a cloud source: a local folder reported as one bucket with the posture facts it is given."""

    Options = PostureOptions
    needs_region = False

    def items(self) -> Iterator[Item]:
        for item in super().items():
            yield dataclasses.replace(item, store=self.options.store)

    def posture(self) -> list[StoreFact]:
        return [StoreFact(self.name, self.options.store, k, v) for k, v in sorted(self.options.facts.items())]


HOSTILE = "<img src=x onerror=alert(1)>"


def test_observed_replication_and_grants_become_edges_and_findings(tmp_path, monkeypatch):
    monkeypatch.setitem(plugins.BUILTINS["source"], "fakecloud", (f"{__name__}:PostureSource", None))
    (tmp_path / "bucket").mkdir()
    (tmp_path / "bucket" / "signups.csv").write_text(
        "email,name\naoife.byrne@mailbox.ie,Aoife Byrne\nliam.walsh@inbox.pl,Liam Walsh\n"
    )
    facts = {
        "region": "eu-west-1",
        "account": "000011112222",
        "replication": [{"bucket": "media-dr", "account": "999988887777", "region": "ap-southeast-1"}],
        "grants": [
            {"account": "111122223333", "principal": "arn:aws:iam::111122223333:role/ops", "actions": ["s3:GetObject"]},
            {"account": "444455556666", "principal": "arn:aws:iam::444455556666:root", "actions": ["s3:*"]},
        ],
    }
    config = tmp_path / "privmap.yaml"
    config.write_text(
        "version: 1\norganization: {name: Org, country: IE}\n"
        "sources:\n"
        f"  - {{name: media, type: fakecloud, role: controller, options: {{path: bucket, store: 's3://{HOSTILE}', "
        f"facts: {json.dumps(facts)}}}}}\n"
        "inventory:\n"
        "  storage_locations: [EEA]\n"
        '  affiliates: [{name: Org Inc, country: US, relationship: subsidiary, accounts: ["111122223333"]}]\n'
        f"  recipients: [{{name: '{HOSTILE}', kind: processor, country: US, transfer_mechanism: scc_2021_m2}}]\n"
        "  activities:\n"
        f"    - {{name: Signups, purposes: [marketing], data_categories: [user], stores: [media], "
        f"recipients: ['{HOSTILE}']}}\n"
    )
    out = tmp_path / "out"
    result = pipeline.run(load_config(config), out)
    assert result.run_errors == 0
    g = read_graph(out)
    bucket = "store:media"
    replica = "store:media:s3://media-dr"
    assert g.edges[bucket, replica]["via"] == ["replication"]
    assert g.edges[bucket, replica]["categories"] == ["user.contact.email", "user.name"]
    assert g.nodes[replica]["zone"] == "THIRD"
    assert g.edges[replica, "account:999988887777"]["via"] == ["ownership"]
    assert g.edges[bucket, "affiliate:Org Inc"]["via"] == ["access"]
    assert g.edges[bucket, "account:444455556666"]["via"] == ["access"]

    failed = {(c["id"], c["subject"]) for c in result.report.checks if c["status"] == "fail"}
    assert {
        ("TRF-007", "transfer:media->s3://media-dr"),
        ("TRF-001", "transfer:media->s3://media-dr"),
        ("TRF-009", "transfer:media->Org Inc"),
        ("SEC-008", "transfer:media->account 444455556666"),
        ("SEC-008", "transfer:s3://media-dr->account 999988887777"),
        ("VND-003", "affiliate:Org Inc"),
    } <= failed

    # names are attacker-controlled: escaped inside the inline SVG, never markup
    html = (out / "report.html").read_text()
    section = html[html.index('id="data-map"') : html.index("</svg>")]
    assert "&lt;img src=x onerror=alert(1)&gt;" in section
    assert "<img" not in html
