"""The data map: a networkx graph of the declared inventory and the observed evidence, and its exports."""

from privmap.graph.build import build_graph
from privmap.graph.export import node_link, to_dot, to_graphml, to_json
from privmap.graph.svg import to_svg

FORMATS = {"json": to_json, "graphml": to_graphml, "dot": to_dot, "svg": to_svg}

__all__ = ["FORMATS", "build_graph", "node_link", "to_dot", "to_graphml", "to_json", "to_svg"]
