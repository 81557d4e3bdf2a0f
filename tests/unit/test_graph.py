"""The data map: nodes and edges from inventory and evidence, stable exports, a safe SVG."""

from __future__ import annotations

import io
import json
import random
import xml.etree.ElementTree as ET

import networkx as nx

from privmap.graph import build_graph, to_dot, to_graphml, to_json, to_svg
from privmap.model import StoreFact
from tests.mapping import TODAY, config, declared_facts, finding

INVENTORY = """
storage_locations: [EEA, US]
affiliates:
  - {name: Group Inc, country: US, relationship: parent, accounts: ["111111111111"], transfer_mechanism: scc}
recipients:
  - {name: PayCo, kind: processor, country: US, transfer_mechanism: dpf, dpf_certified: true}
  - {name: CallCo, kind: sub_processor, processor_of: PayCo, country: IN}
transfers:
  - {source: us, recipient: Group Inc, data_categories: [user.contact]}
activities:
  - {name: Billing, purposes: [billing], data_categories: [user.contact, user.financial], stores: [eu],
     recipients: [PayCo]}
"""
FACTS = [
    StoreFact("media", "s3://media-eu", "region", "eu-west-1"),
    StoreFact("media", "s3://media-eu", "account", "000000000000"),
    StoreFact(
        "media",
        "s3://media-eu",
        "replication",
        [{"bucket": "media-dr", "account": "222222222222", "region": "us-west-2"}],
    ),
    StoreFact(
        "media",
        "s3://media-eu",
        "grants",
        [{"account": "111111111111", "principal": "arn:aws:iam::111111111111:role/ops", "actions": ["s3:GetObject"]}],
    ),
    StoreFact("media", "gs://media-dual", "region", "nam4"),
    StoreFact("media", "gs://media-dual", "locations", ["us-central1", "us-east1"]),
]
FINDINGS = [
    finding("eu"),
    finding("eu", "CREDIT_CARD"),
    finding("us", "PHONE_NUMBER"),
    finding("media", store="s3://media-eu"),
    finding("media", "PERSON", store="gs://media-dual"),
]


def data_map(findings=FINDINGS, facts=FACTS, inventory=INVENTORY):
    cfg = config(inventory)
    return build_graph(cfg, findings, declared_facts(cfg) + facts, TODAY)


def flows(g):
    return {(u, v): d for u, v, d in g.edges(data=True) if d["kind"] == "flow"}


def test_declared_and_observed_flows():
    g = data_map()
    f = flows(g)
    bucket, replica = "store:media:s3://media-eu", "store:media:s3://media-dr"
    assert f["activity:Billing", "recipient:PayCo"]["via"] == ["disclosure"]
    assert f["activity:Billing", "recipient:PayCo"]["categories"] == [
        "user.contact.email",
        "user.financial.credit_card",
    ]
    assert f["recipient:PayCo", "recipient:CallCo"]["via"] == ["onward"]
    assert f["recipient:PayCo", "recipient:CallCo"]["basis"]["valid"] is False
    assert f["store:us", "affiliate:Group Inc"]["mechanism"] == "scc"
    assert f["organization", "store:us"]["party"] == "affiliate:Group Inc"  # US storage covered by that transfer
    # observed: replication to another account and region, a cross-account grant, dual-region placement
    assert f[bucket, replica]["via"] == ["replication"] and f[bucket, replica]["declared"] is False
    assert g.nodes[replica]["zone"] == "US" and g.nodes[replica]["scanned"] is False
    assert f[replica, "account:222222222222"]["via"] == ["ownership"]
    access = f[bucket, "affiliate:Group Inc"]
    assert access["via"] == ["access"] and access["principals"] == ["arn:aws:iam::111111111111:role/ops"]
    assert access["declared"] is False  # the declared transfer to Group Inc is from `us`, not from this bucket
    dual = "store:media:gs://media-dual"
    assert {v for (u, v) in f if u == dual} == {"location:us-central1", "location:us-east1"}
    assert g.nodes[dual]["countries"] == ["US"] and g.nodes[dual]["zone"] == "US"
    # categories and where they are held
    assert g.nodes["category:user.financial.credit_card"]["high_risk"] is True
    assert g.has_edge("store:eu", "category:user.financial.credit_card")
    assert g.has_edge("activity:Billing", "category:user.financial")


def test_zones_and_basis_follow_the_date():
    import datetime as dt

    cfg = config(INVENTORY.replace("transfer_mechanism: dpf", "transfer_mechanism: privacy_shield"))
    for day, valid in ((dt.date(2019, 1, 1), True), (dt.date(2021, 1, 1), False)):
        g = build_graph(cfg, FINDINGS, declared_facts(cfg), day)
        assert g.graph["as_of"] == day.isoformat()
        assert flows(g)["activity:Billing", "recipient:PayCo"]["basis"]["valid"] is valid
        assert g.nodes["recipient:PayCo"]["zone"] == ("US" if valid else "THIRD")


def test_exports_are_byte_identical_whatever_order_the_evidence_came_in():
    first = data_map()
    shuffled = FACTS[:]
    random.Random(7).shuffle(shuffled)
    second = data_map(findings=list(reversed(FINDINGS)), facts=shuffled)
    for export in (to_json, to_graphml, to_dot, to_svg):
        assert export(first) == export(second), export.__name__
    assert to_json(first) == to_json(data_map())


def test_graphml_and_json_read_back():
    g = data_map()
    back = nx.read_graphml(io.BytesIO(to_graphml(g).encode()))
    assert set(back.nodes) == set(g.nodes) and set(back.edges) == set(g.edges)
    assert back.edges["activity:Billing", "recipient:PayCo"]["via"] == "disclosure"
    data = json.loads(to_json(g))
    assert data["directed"] is True and {"nodes", "links", "graph"} <= set(data)
    assert nx.node_link_graph(data, edges="links").number_of_edges() == g.number_of_edges()


HOSTILE = '<script>alert(1)</script>"&\\'


def test_hostile_names_are_escaped_in_svg_and_dot():
    inventory = INVENTORY.replace("PayCo", f"'{HOSTILE}'")
    g = data_map(inventory=inventory, findings=[*FINDINGS, finding("media", store=f"s3://{HOSTILE}")])
    svg = to_svg(g)
    ET.fromstring(svg)  # well-formed XML
    assert "<script" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&amp;" in svg
    dot = to_dot(g)
    assert '\\"&\\\\' in dot and HOSTILE not in dot


def test_svg_is_self_contained():
    svg = to_svg(data_map())
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    hrefs = [el.attrib for el in root.iter() if any("href" in k for k in el.attrib)]
    assert not hrefs and "<script" not in svg and "@import" not in svg and "<image" not in svg
    assert "url(#pm-arrow" in svg and "url(http" not in svg
    for label in ("PayCo", "Group Inc", "s3://media-dr", "account 222222222222", "us-east1", "Billing"):
        assert f">{label}<" in svg, label


def test_an_empty_inventory_still_draws():
    g = data_map(findings=[], facts=[], inventory="")
    assert {d["kind"] for _, d in g.nodes(data=True)} == {"organization", "store"}
    ET.fromstring(to_svg(g))
