"""The data map as files: JSON node-link, GraphML and DOT, byte-identical for the same graph.

Nodes and edges are written in sorted order and attributes by name, so two builds from the
same inputs give the same bytes whatever order the evidence arrived in. GraphML and DOT hold
only scalars: lists are joined with ", " and mappings written as JSON; null attributes are left out.
"""

from __future__ import annotations

import json
from typing import Any

import networkx as nx


def node_link(g: nx.DiGraph) -> dict[str, Any]:
    """The node-link form of graph.json (networkx's `node_link_data`, sorted)."""
    data = nx.node_link_data(g, edges="links")
    data["nodes"] = sorted(data["nodes"], key=lambda n: n["id"])
    data["links"] = sorted(data["links"], key=lambda e: (e["source"], e["target"]))
    return data


def to_json(g: nx.DiGraph) -> str:
    return json.dumps(node_link(g), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _scalar(value: Any) -> str | int | float | bool | None:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return value


def _flat(attrs: dict[str, Any]) -> dict[str, Any]:
    return {k: _scalar(attrs[k]) for k in sorted(attrs) if attrs[k] is not None}


def flattened(g: nx.DiGraph) -> nx.DiGraph:
    """A copy holding only scalar attributes, nodes and edges inserted in sorted order."""
    flat = nx.DiGraph()
    flat.graph.update(_flat(g.graph))
    for node in sorted(g.nodes):
        flat.add_node(node, **_flat(g.nodes[node]))
    for u, v in sorted(g.edges):
        flat.add_edge(u, v, **_flat(g.edges[u, v]))
    return flat


def to_graphml(g: nx.DiGraph) -> str:
    return "\n".join(nx.generate_graphml(flattened(g))) + "\n"


def _dot_id(value: Any) -> str:
    """A DOT quoted string: names are attacker-controlled, so quotes, backslashes and newlines are escaped."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "")
    return f'"{text}"'


def to_dot(g: nx.DiGraph) -> str:
    flat = flattened(g)

    def attrs(data: dict[str, Any]) -> str:
        return ", ".join(
            f"{_dot_id(k)}={_dot_id(str(v).lower() if isinstance(v, bool) else v)}" for k, v in data.items()
        )

    lines = ["digraph privmap {", "  rankdir=LR;", "  node [shape=box];"]
    lines += [f"  {_dot_id(n)} [{attrs(d)}];" for n, d in flat.nodes(data=True)]
    lines += [f"  {_dot_id(u)} -> {_dot_id(v)} [{attrs(d)}];" for u, v, d in flat.edges(data=True)]
    return "\n".join([*lines, "}"]) + "\n"
