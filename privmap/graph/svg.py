"""The data map as a self-contained SVG, deterministic, no fonts or files from anywhere.

Graphviz's `dot` (Debian's graphviz package; `make /usr/bin/dot`) lays the map out left to right:
the organisation, its stores (with region, country and zone) and the places they copy to,
processing activities, recipients, including accounts the evidence shows but the inventory does
not name. dot routes every flow around the boxes it does not connect and places each label
where it overlaps nothing; privmap draws the boxes and curves itself from dot's coordinates
(`-Tplain`), so the SVG stays self-contained and every text is escaped here. Without dot, a
fixed four-column layout is drawn instead (flows may then cross boxes).

Box colour = zone of the place or party. Edge colour = legal state of the flow on the graph's
date: grey inside the EEA, amber for a transfer with a valid basis, red for one without (or an
unknown destination). Dashed = observed only (not declared). Names are attacker-controlled.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from html import escape
from typing import Any

import networkx as nx

from privmap.data import legal

BOX_W, COL_GAP, ROW_GAP, LINE_H, PAD, TOP = 230, 120, 14, 15, 10, 64
COLUMNS = {"organization": 0, "affiliate": 0, "store": 1, "location": 1, "activity": 2, "recipient": 3, "account": 3}
ZONE_COLOURS = {"EEA": "#1e8449", "ADEQUATE": "#1f618d", "US": "#b9770e", "THIRD": "#c0392b", "UNKNOWN": "#566573"}
EDGE_COLOURS = {"internal": "#98a2ae", "valid": "#b9770e", "invalid": "#c0392b", "context": "#c9ced6"}
LEGEND_W = 1180  # the legend's width, the narrowest a map is drawn
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"  # generic families only: nothing to load


def _fit(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _wrap(words: list[str], width: int, max_lines: int) -> list[str]:
    """Comma-separated words on at most `max_lines` lines of `width` characters; the rest cut with an ellipsis."""
    lines = [""]
    for i, word in enumerate(words):
        piece = word + ("," if i < len(words) - 1 else "")
        if lines[-1] and len(lines[-1]) + 1 + len(piece) > width:
            if len(lines) == max_lines:
                lines[-1] = _fit(lines[-1] + " …", width)
                break
            lines.append("")
        lines[-1] = f"{lines[-1]} {piece}".strip()
    return [_fit(line, width) for line in lines]


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _zone_key(zone: str | None) -> str:
    return (zone or legal.UNKNOWN).split(":")[0]


def _lines(d: dict[str, Any]) -> list[str]:
    """The text under a box's title."""
    kind = d["kind"]
    if kind == "store":
        where = " · ".join(x for x in (d["region"] or "no region", ", ".join(d["countries"]), d["zone"]) if x)
        lines = [where + ("" if d["scanned"] else " · replica")]
        cats = [c.removeprefix("user.") for c in d["categories"]]
        return lines + (_wrap(cats, 34, 2) if cats else ["no personal data found"])
    if kind == "location":
        return [" · ".join(x for x in (d["place"] or "unknown place", ", ".join(d["countries"]), d["zone"]) if x)]
    if kind == "activity":
        basis = (d["lawful_basis"] or "").replace("_", " ") or ("" if d["role"] == "processor" else "no lawful basis")
        return [" · ".join(x for x in (d["role"], basis) if x)]
    if kind == "account":
        return ["not in the inventory"]
    what = d.get("recipient_kind") or d.get("relationship") or "controller"
    return [f"{what.replace('_', ' ')} · {d['country']} · {d['zone']}"]


def _order(g: nx.DiGraph) -> list[list[str]]:
    """Nodes per column: stores by zone then name (replicas and places after their store); the
    columns to the right by the mean row of what feeds them, which keeps edges short and uncrossed."""
    cols: list[list[str]] = [[], [], [], []]
    kinds = {n: d["kind"] for n, d in g.nodes(data=True)}
    cols[0] = ["organization", *sorted((n for n, k in kinds.items() if k == "affiliate"), key=lambda n: n.lower())]
    stores = sorted(
        (n for n, d in g.nodes(data=True) if d["kind"] == "store" and d["scanned"]),
        key=lambda n: (legal.rank(g.nodes[n]["zone"]), g.nodes[n]["label"].lower()),
    )
    for store in stores:
        cols[1].append(store)
        cols[1] += sorted(v for v in g.successors(store) if kinds[v] in ("store", "location") and v not in cols[1])
    cols[1] += sorted(n for n, k in kinds.items() if k in ("store", "location") and n not in cols[1])
    row = {n: i for col in cols[:2] for i, n in enumerate(col)}
    for c, wanted in ((2, ("activity",)), (3, ("recipient", "account"))):
        nodes = [n for n, k in kinds.items() if k in wanted]
        for n in sorted(nodes, key=lambda n: (g.nodes[n].get("processor_of") is not None, n)):
            feeds = [row[u] for u in g.predecessors(n) if u in row and u != "organization"]
            # a sub-processor goes just below its processor
            row[n] = sum(feeds) / len(feeds) + (0.5 if g.nodes[n].get("processor_of") else 0) if feeds else len(row)
        cols[c] = sorted(nodes, key=lambda n: (row[n], g.nodes[n]["label"].lower()))
        row.update({n: i for i, n in enumerate(cols[c])})
    return cols


def _edge_style(d: dict[str, Any]) -> tuple[str, str, str]:
    """(colour key, dash pattern, label) of an edge."""
    if d["kind"] != "flow":
        return "context", "2 3" if d["kind"] == "affiliation" else "", ""
    dash = "" if d["declared"] else "6 4"
    observed = [v for v in d["via"] if v in ("replication", "placement", "access", "ownership")]
    label = ", ".join(observed)
    if d.get("transfer") is None:
        return "invalid", dash, label or "unknown destination"
    if not d["transfer"]:
        return "internal", dash, label
    basis = d.get("basis") or {}
    if d.get("mechanism"):
        mechanism = d["mechanism"].replace("_", " ")
    else:
        mechanism = "adequacy" if basis.get("decision") else "no mechanism"
    return ("valid" if basis.get("valid") else "invalid"), dash, ", ".join(x for x in (label, mechanism) if x)


Box = tuple[float, float, float, float]  # x, y, w, h in px
Route = tuple[str, tuple[float, float]]  # SVG path, label centre


def _height(d: dict[str, Any]) -> float:
    return PAD * 2 + LINE_H * (1 + len(_lines(d)))


def _dot_label(text: str) -> str:
    """A DOT string for sizing a label: dot only measures it; what is drawn is escaped separately."""
    return '"' + text.replace("\\", "/").replace('"', "'") + '"'


def _dot_layout(
    g: nx.DiGraph, drawn: list[str], edges: list[tuple[str, str, str]]
) -> tuple[dict[str, Box], dict[tuple[str, str], Route], float, float] | None:
    """Boxes and routed edges from Graphviz's dot, or None when dot is not installed or fails."""
    exe = shutil.which("dot")
    if exe is None:
        return None
    ids = {n: f"n{i}" for i, n in enumerate(drawn)}
    lines = [
        "digraph map {",
        "rankdir=LR; nodesep=0.25; ranksep=1.1; splines=spline;",
        'node [shape=box, fixedsize=true, label=""];',
    ]
    lines += [f"{ids[n]} [width={BOX_W / 72:.3f}, height={_height(g.nodes[n]) / 72:.3f}];" for n in drawn]
    if "organization" in ids:
        lines.append(f"{{rank=min; {ids['organization']};}}")
    lines += [
        f"{ids[u]} -> {ids[v]} [label={_dot_label(label)}];" if label else f"{ids[u]} -> {ids[v]};"
        for u, v, label in edges
    ]
    lines.append("}")
    try:
        plain = subprocess.run(
            [exe, "-Tplain"], input="\n".join(lines), capture_output=True, text=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    names = {v: k for k, v in ids.items()}
    boxes: dict[str, Box] = {}
    routes: dict[tuple[str, str], Route] = {}
    height = 0.0
    margin_x, margin_y = 20.0, TOP
    for raw in plain.splitlines():
        parts = shlex.split(raw)
        if parts[0] == "graph":
            height = float(parts[3]) * 72
        elif parts[0] == "node":
            x, y, w, h = (float(v) * 72 for v in parts[2:6])
            boxes[names[parts[1]]] = (margin_x + x - w / 2, margin_y + height - y - h / 2, w, h)
        elif parts[0] == "edge":
            n = int(parts[3])
            pts = [
                (margin_x + float(parts[4 + 2 * i]) * 72, margin_y + height - float(parts[5 + 2 * i]) * 72)
                for i in range(n)
            ]
            rest = parts[4 + 2 * n :]
            if len(rest) >= 5:  # label text, lx, ly, style, colour
                mid = (margin_x + float(rest[1]) * 72, margin_y + height - float(rest[2]) * 72)
            else:
                mid = pts[len(pts) // 2]
            path = f"M{pts[0][0]:.1f},{pts[0][1]:.1f} C" + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts[1:])
            routes[(names[parts[1]], names[parts[2]])] = (path, mid)
    width = max(max((x + w for x, _, w, _ in boxes.values()), default=BOX_W) + 40, LEGEND_W)
    return boxes, routes, width, margin_y + height + 70


def _column_layout(g: nx.DiGraph) -> tuple[dict[str, Box], float, float]:
    """The fallback without dot: four fixed columns."""
    box: dict[str, Box] = {}
    heights = []
    for c, nodes in enumerate(_order(g)):
        y = TOP
        for n in nodes:
            h = _height(g.nodes[n])
            box[n] = (20 + c * (BOX_W + COL_GAP), y, BOX_W, h)
            y += h + ROW_GAP
        heights.append(y)
    return box, 140 + 4 * BOX_W + 3 * COL_GAP, max(heights) + 70  # room on the right for loops


def to_svg(g: nx.DiGraph) -> str:
    """The data map as SVG text (UTF-8), laid out by dot when it is installed."""
    drawn = [n for col in _order(g) for n in col]
    edges = [
        (u, v, _edge_style(d)[2])
        for u, v, d in sorted(g.edges(data=True), key=lambda e: (e[0], e[1]))
        if u in drawn and v in drawn  # categories are listed inside the store boxes
    ]
    laid = _dot_layout(g, drawn, edges)
    if laid:
        box, routes, width, height = laid
        columns = False
    else:
        box, width, height = _column_layout(g)
        routes, columns = {}, True
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-labelledby="pm-title" '
        f'style="max-width:100%;height:auto" font-family="{_e(FONT)}" font-size="12">',
        f'<title id="pm-title">Data map of {_e(g.graph.get("organization", ""))} '
        f"as of {_e(g.graph.get('as_of'))}</title>",
        "<defs>",
        *(
            f'<marker id="pm-arrow-{k}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
            f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{c}"/></marker>'
            for k, c in EDGE_COLOURS.items()
        ),
        "</defs>",
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
        f'<text x="20" y="28" font-size="16" font-weight="700" fill="#1d2430">'
        f"{_e(_fit(str(g.graph.get('organization', '')), 80))}: data map as of {_e(g.graph.get('as_of'))}</text>",
    ]
    titles = ("Organisation and affiliates", "Stores", "Processing activities", "Recipients")
    for c, title in enumerate(titles if columns else ()):
        out.append(f'<text x="{20 + c * (BOX_W + COL_GAP)}" y="52" fill="#5b6472" font-weight="600">{title}</text>')
    labels: dict[tuple[str, int, int], str] = {}  # one label where several edges say the same thing
    for u, v, _ in edges:
        d = g.edges[u, v]
        colour, dash, label = _edge_style(d)
        path, mid = routes.get((u, v)) or _path(box[u], box[v])
        width_attr = "1.8" if colour == "invalid" else "1.2"
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<path d="{path}" fill="none" stroke="{EDGE_COLOURS[colour]}" stroke-width="{width_attr}"{dash_attr} '
            f'marker-end="url(#pm-arrow-{colour})"><title>{_e(_edge_title(g, u, v, d))}</title></path>'
        )
        key = (label, round(mid[0] / 60), round(mid[1] / 30)) if columns else (label, round(mid[0]), round(mid[1]))
        if label and key not in labels:
            labels[key] = (
                f'<text x="{mid[0]:.1f}" y="{mid[1] - 3:.1f}" text-anchor="middle" font-size="10" '
                f'fill="{EDGE_COLOURS[colour]}" stroke="#ffffff" stroke-width="3" paint-order="stroke">'
                f"{_e(_fit(label, 30))}</text>"
            )
    out += labels.values()  # above every edge, so no line crosses a label
    for n in drawn:
        out.append(_box(g.nodes[n], *box[n]))
    out.append(_legend(height - 40))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _path(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[str, tuple[float, float]]:
    """A cubic curve between two boxes, and its midpoint (for the label)."""
    (ax, ay, aw, ah), (bx, by, bw, bh) = a, b
    y1, y2 = ay + ah / 2, by + bh / 2
    if bx > ax:  # rightwards
        p0, p3 = (ax + aw, y1), (bx, y2)
        bend = (p3[0] - p0[0]) / 2
        p1, p2 = (p0[0] + bend, y1), (p3[0] - bend, y2)
    elif bx < ax:  # leftwards: an account of an affiliate reaching a store
        p0, p3 = (ax, y1), (bx + bw, y2)
        bend = (p0[0] - p3[0]) / 2
        p1, p2 = (p0[0] - bend, y1), (p3[0] + bend, y2)
    else:  # same column: a loop out to the right
        p0, p3 = (ax + aw, y1), (bx + bw, y2)
        p1, p2 = (p0[0] + 50, y1), (p3[0] + 50, y2)
    mid = ((p0[0] + 3 * p1[0] + 3 * p2[0] + p3[0]) / 8, (p0[1] + 3 * p1[1] + 3 * p2[1] + p3[1]) / 8)
    pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (p1, p2, p3))
    return f"M{p0[0]:.1f},{p0[1]:.1f} C{pts}", mid


def _edge_title(g: nx.DiGraph, u: str, v: str, d: dict[str, Any]) -> str:
    text = f"{g.nodes[u]['label']} → {g.nodes[v]['label']}"
    if d["kind"] != "flow":
        return text
    parts = [text, f"via {', '.join(d['via'])}", "declared" if d["declared"] else "observed, not declared"]
    if d["categories"]:
        parts.append("categories: " + ", ".join(d["categories"]))
    if d.get("basis"):
        parts.append(d["basis"]["reason"])
    return "; ".join(parts)


def _box(d: dict[str, Any], x: float, y: float, w: float, h: float) -> str:
    colour = ZONE_COLOURS[_zone_key(d.get("zone"))]
    dash = ' stroke-dasharray="5 3"' if d["kind"] == "account" or d.get("scanned") is False else ""
    fill = "#fdf2f2" if d["kind"] == "account" else "#ffffff"
    lines = _lines(d)
    full = " | ".join([d["label"], *lines])
    parts = [
        f'<g><title>{_e(full)}</title><rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" fill="{fill}" '
        f'stroke="{colour}" stroke-width="1.5"{dash}/>',
        f'<rect x="{x}" y="{y}" width="5" height="{h}" rx="2" fill="{colour}"/>',
        f'<text x="{x + 14}" y="{y + PAD + 11}" font-weight="700" fill="#1d2430">{_e(_fit(d["label"], 30))}</text>',
    ]
    parts += [
        f'<text x="{x + 14}" y="{y + PAD + 11 + LINE_H * (i + 1)}" font-size="11" fill="#5b6472">'
        f"{_e(_fit(t, 38))}</text>"
        for i, t in enumerate(lines)
    ]
    return "".join(parts) + "</g>"


def _legend(y: float) -> str:
    items = [
        (f'<rect x="{{x}}" y="{y - 9}" width="12" height="12" rx="2" fill="{c}"/>', zone)
        for zone, c in ZONE_COLOURS.items()
    ] + [
        (f'<line x1="{{x}}" y1="{y - 3}" x2="{{x2}}" y2="{y - 3}" stroke="{EDGE_COLOURS[k]}" stroke-width="2"/>', text)
        for k, text in (
            ("internal", "within the EEA"),
            ("valid", "transfer, valid basis"),
            ("invalid", "no valid basis"),
        )
    ]
    out, x = [], 20.0
    for shape, text in items:
        out.append(shape.format(x=x, x2=x + 22))
        out.append(f'<text x="{x + 28}" y="{y + 1}" font-size="11" fill="#5b6472">{_e(text)}</text>')
        x += 48 + 7 * len(text)
    out.append(
        f'<line x1="{x}" y1="{y - 3}" x2="{x + 22}" y2="{y - 3}" stroke="#5b6472" stroke-width="2" '
        f'stroke-dasharray="6 4"/><text x="{x + 28}" y="{y + 1}" font-size="11" fill="#5b6472">'
        "observed, not declared</text>"
    )
    return "".join(out)
