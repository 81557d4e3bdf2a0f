"""`privmap locate`: where one person's identifiers are held, from the occurrence index, without a rescan.

A request is a few identifiers of one data subject (e-mail, phone, IBAN, card, national id, name).
Each is normalised by privmap.identifiers exactly as the detector normalised what it found, keyed
with the install key, and looked up in the occurrence index of the last finished run
(`Store.occurrences`). The answer lists every store, object, table and column holding one of them,
with what the data map says about that store (region, role, the processing activities that use it,
the recipients they disclose to, and the replicas, locations, processors and affiliates an erasure
must reach), the request's own identifiers held in the same rows ("also held with it"), and the
coverage caveat: which stores were indexed only from a sample or in part, or not at all, so that
"not found" is never read as "not held".

Nothing here keeps or prints a raw value: the request's inputs appear masked, locations as the
scan stored them (pseudonymised names), identifiers found beside them only as counts.

Shape of the answer (`Answer.to_json()`, the `--format json` contract):
    {"run_id", "finished", "request": [{"kind", "input" (masked), "valid", "key" (hex of the keyed
     hash: what an erased list may record instead of the value), "found" (locations)}],
     "found": bool, "matches": [{"source", "store", "uri", "part", "field", "kinds", "inputs",
     "via" ("direct": holds one; "same row": another column of a row holding one; "linked": holds an
     identifier read from such a row), "rows" (rows, for tables and records), "also_held_with" (the
     request's inputs held in those rows), "other_identifiers" ({kind: n}: more identifiers in those rows),
     "indexed" ("whole" | "sample" | "none"), "state", "verified" (null, or what --verify found: true,
     false, or why the item could not be read)}],
     "stores": [{"source", "store", "type", "region", "zone", "role", "activities": [{"name",
     "purposes", "lawful_basis"}], "erasure_reach": [{"name", "kind", "country", "via"}],
     "declared_replicas"}], "coverage": [{"source", "indexed_whole", "indexed_in_part", "not_indexed",
     "not_inspected", "gaps", "complete"}], "complete": bool, "caveats": [str],
     "erased": [{"subject", "erased_on", "still_found": [{"source", "uri", "part", "field"}]}]}
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import networkx as nx

from privmap import identifiers
from privmap.config import Config
from privmap.detectors.masking import mask
from privmap.store import Store
from privmap.store.keyfile import read_secret

# the entity whose masking rule shows an identifier of each kind
_MASK_AS = {
    "email": "EMAIL_ADDRESS",
    "phone": "PHONE_NUMBER",
    "iban": "IBAN_CODE",
    "card": "CREDIT_CARD",
    "national_id": "NATIONAL_ID",
    "name": "PERSON",
}
_KEY_PREFIX = "key:"  # an erased list's value given as the keyed hash locate printed, not the identifier
_INDEXED = {1: "whole", 0: "sample", None: "none"}
_NAME = identifiers.KINDS.index("name")
_VIA = ("direct", "same row", "linked")


class LocateError(Exception):
    """locate cannot answer: no install key beside the store, an unreadable erased list. The CLI exits 2."""


@dataclass(frozen=True)
class Wanted:
    """One identifier of a request, as normalised and keyed (the raw input is not kept)."""

    kind: str
    masked: str  # the input, masked as previews are
    key: bytes | None  # None: the input is not a valid identifier of its kind


def secret_of(config: Config) -> bytes:
    """The install key beside the store, never created here: a new key would match nothing and hide
    that the index cannot be read. Raises LocateError when it is missing, KeyFileError when damaged."""
    path = config.state_dir / "secret.key"
    if not path.exists():
        raise LocateError(
            f"{path}: no install key: the occurrence index is keyed with it and cannot be searched without it. "
            "Restore the key that scanned this store (it is never recreated by locate), or scan to start a new index"
        )
    return read_secret(path)


def region_of(config: Config) -> str:
    """The country whose numbering plan reads a request's phone numbers in national format."""
    return config.dsr.region or config.organization.country


def wanted(secret: bytes, kind: str, value: str, region: str | None) -> Wanted:
    """`value` of `kind` as the index spells and keys it. A value `key:<32 hex digits>` is taken as the
    keyed hash itself (what an erased list keeps instead of the identifier)."""
    if value.startswith(_KEY_PREFIX):
        try:
            key = bytes.fromhex(value[len(_KEY_PREFIX) :])
        except ValueError:
            key = b""
        ok = len(key) == identifiers.KEY_BYTES
        return Wanted(kind, f"{_KEY_PREFIX}{value[len(_KEY_PREFIX) :][:8]}…", key if ok else None)
    spelled = identifiers.normalise(kind, value, identifiers.phone_regions(region))
    if spelled is None:
        return Wanted(kind, mask(_MASK_AS[kind], value), None)
    return Wanted(kind, mask(_MASK_AS[kind], spelled), identifiers.keyed(secret, kind, spelled))


@dataclass
class Match:
    """One location holding a requested identifier (or one linked to it)."""

    source: str
    store: str
    uri: str
    part: str
    field: str
    region: str | None
    state: str
    indexed: str
    via: str = "direct"
    kinds: set[str] = field(default_factory=set)
    inputs: set[str] = field(default_factory=set)
    rows: set[tuple[int, int]] = field(default_factory=set)  # (version id, row key)
    also_held_with: set[str] = field(default_factory=set)
    other_identifiers: dict[str, int] = field(default_factory=dict)  # kind -> distinct values
    verified: bool | str | None = None
    version_id: int = 0
    keys: set[bytes] = field(default_factory=set)  # the index keys matched here (kept in memory only)

    def where(self) -> tuple[str, str, str, str]:
        return (self.source, self.uri, self.part, self.field)

    def record(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "store": self.store,
            "uri": self.uri,
            "part": self.part,
            "field": self.field,
            "region": self.region,
            "kinds": sorted(self.kinds),
            "inputs": sorted(self.inputs),
            "via": self.via,
            "rows": len(self.rows),
            "also_held_with": sorted(self.also_held_with - self.inputs),
            "other_identifiers": self.other_identifiers,
            "indexed": self.indexed,
            "state": self.state,
            "verified": self.verified,
        }


def find(store: Store, run_id: int, request: Sequence[Wanted], *, linked: bool = True) -> list[Match]:
    """Every location of the run's snapshot holding one of the request's identifiers (`via` "direct").

    Rows of tables and records holding one of the request's identifiers other than a name anchor the
    rest: with `linked`, the other columns of those rows (`via` "same row"), and every location of
    the other identifiers (names excepted) read from them (`via` "linked", one step, never further).
    A name alone anchors nothing: two customers may share one. Per location: which inputs it holds,
    the request's other inputs held in the same rows, and how many other identifiers of each kind
    those rows hold (counted, never shown)."""
    by_key: dict[bytes, list[Wanted]] = defaultdict(list)
    for w in request:
        if w.key is not None:
            by_key[w.key].append(w)
    matches: dict[tuple[str, str, str, str], Match] = {}

    def add(rows: Iterable[Any], via: str) -> None:
        for r in rows:
            m = matches.get(_where(r))
            if m is None:
                m = matches[_where(r)] = Match(
                    source=r["source"],
                    store=r["store"],
                    uri=r["uri"],
                    part=r["part"],
                    field=r["field"],
                    region=r["region"],
                    state=r["state"],
                    indexed=_INDEXED.get(r["indexed"], "none"),
                    via=via,
                    version_id=r["version_id"],
                )
            m.keys.add(r["key"])
            m.kinds.add(identifiers.KINDS[r["kind"]])
            m.inputs.update(w.masked for w in by_key.get(r["key"], []))
            if r["row_key"] is not None:
                m.rows.add((r["version_id"], r["row_key"]))

    add(store.occurrences(run_id, list(by_key)), "direct")
    held = store.row_occurrences([row for m in matches.values() for row in m.rows])
    strong = {w.key for w in request if w.key is not None and w.kind != "name"}
    anchored = {row for row, found in held.items() if any(o["key"] in strong for o in found)}
    origin = {row: m for m in matches.values() for row in m.rows}
    for m in matches.values():
        m.also_held_with = {w.masked for row in m.rows for o in held[row] for w in by_key.get(o["key"], [])}
        others = {(o["key"], o["kind"]) for row in m.rows & anchored for o in held[row] if o["key"] not in by_key}
        m.other_identifiers = dict(sorted(Counter(identifiers.KINDS[k] for _, k in others).items()))
    if not linked:
        return sorted(matches.values(), key=_order)
    for row in sorted(anchored):
        base = origin[row]
        for o in held[row]:
            where = (base.source, base.uri, o["part"], o["field"])
            if where not in matches:
                matches[where] = replace(
                    base,
                    part=o["part"],
                    field=o["field"],
                    via="same row",
                    kinds=set(),
                    inputs=set(),
                    keys=set(),
                    rows=set(),
                    also_held_with=set(),
                    other_identifiers={},
                )
            if matches[where].via == "same row":
                matches[where].keys.add(o["key"])
                matches[where].kinds.add(identifiers.KINDS[o["kind"]])
                matches[where].rows.add(row)
    extra = {o["key"] for row in anchored for o in held[row] if o["kind"] != _NAME and o["key"] not in by_key}
    add((r for r in store.occurrences(run_id, sorted(extra)) if _where(r) not in matches), "linked")
    return sorted(matches.values(), key=_order)


def _order(m: Match) -> tuple[int, tuple[str, str, str, str]]:
    return (_VIA.index(m.via), m.where())


def _where(row: Any) -> tuple[str, str, str, str]:
    return (row["source"], row["uri"], row["part"], row["field"])


# -- what the data map says about the stores found ------------------------------------------


def store_node(g: nx.DiGraph, source: str, store: str) -> str | None:
    """The data map's node of a scanned store."""
    for node, d in g.nodes(data=True):
        if d.get("kind") == "store" and d.get("scanned") and d.get("source") == source and d.get("uri") == store:
            return str(node)
    return None


def reach(g: nx.DiGraph, node: str) -> list[dict[str, Any]]:
    """Everything personal data of `node` flows to, directly or onward: replicas and other locations
    of the store, recipients (processors, sub-processors, third parties, authorities), affiliates and
    foreign accounts; each with its kind, country and how the flow is known (`via`)."""
    starts = [node, *(v for _, v, d in g.out_edges(node, data=True) if d["kind"] == "uses")]
    seen, out, todo = set(starts), [], list(starts)
    while todo:
        here = todo.pop(0)
        for _, there, d in sorted(g.out_edges(here, data=True), key=lambda e: str(e[1])):
            if d["kind"] != "flow" or there in seen:
                continue
            seen.add(there)
            todo.append(there)
            n = g.nodes[there]
            kind = n["kind"]
            if kind == "store":
                kind = "replica" if n.get("replica_of") or d.get("via") == ["replication"] else "store"
            elif kind == "recipient":
                kind = n.get("recipient_kind") or "recipient"
            countries = n.get("countries") or ([n["country"]] if n.get("country") else [])
            out.append({"name": n["label"], "kind": kind, "country": ",".join(countries), "via": list(d["via"])})
    return out


def store_records(config: Config, g: nx.DiGraph, matches: Sequence[Match]) -> list[dict[str, Any]]:
    """One record per store holding a match: region, zone, role, the activities using it, and where an
    erasure must reach (`reach`) plus the regions its copies are declared in."""
    specs = {s.name: s for s in config.sources}
    out = []
    for source, store in sorted({(m.source, m.store) for m in matches}):
        spec = specs.get(source)
        node = store_node(g, source, store)
        d = g.nodes[node] if node else {}
        activities = [
            {
                k: g.nodes[v][a]
                for k, a in (("name", "label"), ("purposes", "purposes"), ("lawful_basis", "lawful_basis"))
            }
            for _, v, e in (g.out_edges(node, data=True) if node else [])
            if e["kind"] == "uses"
        ]
        out.append(
            {
                "source": source,
                "store": store,
                "type": spec.type if spec else None,
                "region": d.get("region") or (spec.region if spec else None),
                "zone": d.get("zone"),
                "role": spec.role if spec else None,
                "activities": sorted(activities, key=lambda a: a["name"]),
                "erasure_reach": reach(g, node) if node else [],
                "declared_replicas": list(spec.replicas) if spec else [],
            }
        )
    return out


# -- coverage: what "not found" rests on ---------------------------------------------------


def coverage_records(
    config: Config, index: Mapping[str, Mapping[str, int]], covered: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Per configured source: items with personal data indexed whole, in part (sampled) or not at all,
    items not inspected, listing gaps, and whether a "not found" there means "not held"."""
    by_source = {c["source"]: c for c in covered}
    out = []
    for spec in config.sources:
        idx = index.get(spec.name, {"items": 0, "whole": 0, "part": 0, "none": 0})
        cov = by_source.get(spec.name, {})
        not_inspected = sum(r["count"] for r in cov.get("not_inspected", []))
        gaps = len(cov.get("gaps", []))
        out.append(
            {
                "source": spec.name,
                "indexed_whole": idx["whole"],
                "indexed_in_part": idx["part"],
                "not_indexed": idx["none"],
                "not_inspected": not_inspected,
                "gaps": gaps,
                "complete": not (idx["part"] or idx["none"] or not_inspected or gaps),
            }
        )
    return out


def caveats(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """Plain sentences on what the answer cannot see, one per source that is not fully indexed, and
    the limits of the index itself."""
    out = []
    for c in records:
        parts = []
        if c["indexed_in_part"]:
            parts.append(f"{c['indexed_in_part']} item(s) holding personal data were read only in part (sampled)")
        if c["not_indexed"]:
            parts.append(f"{c['not_indexed']} item(s) holding personal data were read before the index existed")
        if c["not_inspected"]:
            parts.append(f"{c['not_inspected']} item(s) were not inspected")
        if c["gaps"]:
            parts.append(f"{c['gaps']} part(s) of the source could not be listed or read")
        if parts:
            out.append(f"{c['source']}: " + "; ".join(parts) + ": not found there does not mean not held")
    out.append(
        "The index holds e-mail addresses, phone numbers, IBANs, card numbers, national identifiers and names "
        "found with confidence; other data about the person (addresses, free text) is found only through "
        "the rows and files that also hold one of these. A name alone may be another person's: a location "
        "found by name only is a candidate to check, not a match."
    )
    return out


# -- erased subjects -----------------------------------------------------------------------


@dataclass(frozen=True)
class Erased:
    """One subject whose erasure was recorded as completed: its identifiers, keyed."""

    subject: str  # the request's reference (e.g. DSR-2026-014), never the person's name
    erased_on: str
    wanted: tuple[Wanted, ...]


def read_erased(path: Path, secret: bytes, region: str | None) -> list[Erased]:
    """An erased list: CSV with the header `subject,kind,value[,erased_on]`, one identifier a line
    (a subject may have several lines). `value` is the identifier, or `key:<hex>` as locate printed it
    (so the list need not keep the identifier itself). Raises LocateError naming the line at fault,
    never its value."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LocateError(f"{path}: cannot read the erased list: {exc.__class__.__name__}") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = {"subject", "kind", "value"} - set(reader.fieldnames or [])
    if missing:
        raise LocateError(f"{path}: the erased list needs the columns subject, kind, value (missing {sorted(missing)})")
    subjects: dict[str, tuple[str, list[Wanted]]] = {}
    for n, row in enumerate(reader, start=2):
        kind = (row.get("kind") or "").strip().replace("-", "_")
        if kind not in identifiers.KINDS:
            raise LocateError(f"{path}:{n}: unknown kind (one of {', '.join(identifiers.KINDS)})")
        subject = (row.get("subject") or "").strip()
        if not subject:
            raise LocateError(f"{path}:{n}: no subject (the request's reference)")
        _, found = subjects.setdefault(subject, ((row.get("erased_on") or "").strip(), []))
        found.append(wanted(secret, kind, (row.get("value") or "").strip(), region))
    return [Erased(s, on, tuple(w)) for s, (on, w) in sorted(subjects.items())]


def erased_still_found(store: Store, run_id: int, erased: Sequence[Erased]) -> list[dict[str, Any]]:
    """Per erased subject, where its identifiers are still found (direct matches only: a linked
    value may be someone else's)."""
    out = []
    for e in erased:
        found = find(store, run_id, e.wanted, linked=False)
        out.append(
            {
                "subject": e.subject,
                "erased_on": e.erased_on,
                "still_found": [
                    {"source": m.source, "store": m.store, "uri": m.uri, "part": m.part, "field": m.field}
                    for m in found
                ],
            }
        )
    return out


# -- the answer ----------------------------------------------------------------------------


@dataclass
class Answer:
    run_id: int
    finished: str | None
    request: list[dict[str, Any]]
    matches: list[Match]
    stores: list[dict[str, Any]]
    coverage: list[dict[str, Any]]
    caveats: list[str]
    erased: list[dict[str, Any]] = field(default_factory=list)
    watched: int = 0  # partial runs (upload watch batches) finished after the run searched

    @property
    def complete(self) -> bool:
        return not self.watched and all(c["complete"] for c in self.coverage)

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "finished": self.finished,
            "request": self.request,
            "found": any(m.via == "direct" for m in self.matches),
            "matches": [m.record() for m in self.matches],
            "stores": self.stores,
            "coverage": self.coverage,
            "complete": self.complete,
            "caveats": self.caveats,
            "erased": self.erased,
        }


def answer(
    config: Config,
    store: Store,
    run_id: int,
    request: Sequence[Wanted],
    erased: Sequence[Erased] = (),
) -> Answer:
    """Look the request up in run `run_id` and assemble the answer (no source is read)."""
    from privmap import pipeline

    matches = find(store, run_id, request) if request else []
    g = pipeline.data_map(config, store, run_id) if matches else nx.DiGraph()
    records = coverage_records(config, store.index_coverage(run_id), pipeline.run_coverage(config, store, run_id))
    direct = [m for m in matches if m.via == "direct"]
    asked = [
        {
            "kind": w.kind,
            "input": w.masked,
            "valid": w.key is not None,
            "key": f"{_KEY_PREFIX}{w.key.hex()}" if w.key else None,
            "found": sum(1 for m in direct if w.masked in m.inputs and w.kind in m.kinds),
        }
        for w in request
    ]
    row = store.run(run_id)
    notes = caveats(records)
    watched = store.partial_runs_after(run_id)
    if watched:
        notes.insert(
            0, f"{watched} upload watch batch(es) ran after run {run_id}: what they read is not in this answer"
        )
    return Answer(
        run_id,
        row["finished"] if row else None,
        asked,
        matches,
        store_records(config, g, matches),
        records,
        notes,
        erased_still_found(store, run_id, erased),
        watched,
    )


def verify(config: Config, store: Store, secret: bytes, result: Answer) -> None:
    """Read again only the items holding a match and mark each match `verified`: True when the
    identifier is still there, False when the item no longer holds it, or the failure's kind when it
    could not be read. Nothing else is read."""
    from privmap import pipeline
    from privmap.model import Item, Location
    from privmap.names import NameGuard
    from privmap.scanner.crawl import scan_item
    from privmap.work import home_country

    specs = {s.name: i for i, s in enumerate(config.sources)}
    detector = pipeline.build_detector(config, secret)
    guard = NameGuard.of(detector)
    by_item: dict[tuple[str, str], list[Match]] = defaultdict(list)
    for m in result.matches:
        by_item[(m.source, m.uri)].append(m)
    versions = store.versions([m.version_id for m in result.matches])
    sources: dict[str, Any] = {}
    for (source, uri), found in sorted(by_item.items()):
        if source not in specs:
            for m in found:
                m.verified = "source no longer configured"
            continue
        spec = config.sources[specs[source]]
        if source not in sources:
            sources[source] = pipeline.build_source(config, specs[source])
        v = versions[found[0].version_id]
        item = Item(Location(source, uri), v["store"], v["fingerprint"].partition(":")[2], v["size"], v["region"])
        country = home_country(spec.region, config.organization.country)
        outcome = scan_item(
            sources[source],
            item,
            spec,
            config.scan,
            lambda chunks, c=country: detector.detect(chunks, country=c),
            guard,
        )
        whole = [p for p in outcome.problems if not p.location.part and not p.location.field]
        if outcome.skipped or whole:
            for m in found:
                m.verified = whole[0].kind if whole else f"not read: {outcome.skipped}"
            continue
        held: dict[tuple[str, str], set[bytes]] = defaultdict(set)
        for f in outcome.findings:
            held[(f.location.part, f.location.field)].update(k for k, _ in f.occurrences)
        for m in found:
            here = held.get((m.part, m.field), set())
            m.verified = bool(here & m.keys)


# -- output --------------------------------------------------------------------------------

CSV_COLUMNS = (
    "source",
    "store",
    "uri",
    "part",
    "field",
    "region",
    "role",
    "kinds",
    "inputs",
    "via",
    "rows",
    "also_held_with",
    "other_identifiers",
    "indexed",
    "verified",
    "activities",
    "erasure_reach",
)


def to_csv(result: Answer) -> str:
    """One line per location (the columns of CSV_COLUMNS); lists joined with `; `. Cells that a
    spreadsheet would run as a formula are prefixed with a quote."""
    stores = {(s["source"], s["store"]): s for s in result.stores}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for m in result.matches:
        rec, s = m.record(), stores.get((m.source, m.store), {})
        rec["role"] = s.get("role")
        rec["activities"] = [a["name"] for a in s.get("activities", [])]
        rec["erasure_reach"] = [f"{r['kind']}: {r['name']}" for r in s.get("erasure_reach", [])]
        writer.writerow([_cell(rec[c]) for c in CSV_COLUMNS])
    return out.getvalue()


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        value = [f"{k}: {n}" for k, n in value.items()]
    text = "; ".join(map(str, value)) if isinstance(value, list) else "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_html(result: Answer) -> str:
    """A self-contained page (privmap.reports.html: autoescaped, no network, one hashed script)."""
    from privmap.reports.html import render

    now = dt.datetime.now(dt.UTC).isoformat(" ", "seconds")
    # `data.run` names the run in the shared page footer
    return render("locate.html.j2", answer=result.to_json(), generated=now, data={"run": {"run_id": result.run_id}})


def render(result: Answer, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return to_csv(result)
    if fmt == "html":
        return to_html(result)
    raise ValueError(f"unknown format {fmt!r}")


__all__ = [
    "Answer",
    "Erased",
    "LocateError",
    "Wanted",
    "answer",
    "read_erased",
    "region_of",
    "render",
    "secret_of",
    "verify",
    "wanted",
]
