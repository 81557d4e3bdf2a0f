"""The data map: the declared inventory joined with the observed evidence in one networkx DiGraph.

Nodes carry `kind` and `label`:
  organization  the controller (`country`, `zone`, `accounts`)
  affiliate     group companies; recipient  processors, sub-processors, third parties, authorities
                (`country`, `zone`, `transfer_mechanism`, `dpf_certified`, `tia_link`, `accounts`, ...)
  account       a cloud account seen in the evidence that the inventory names nowhere
  store         a bucket, folder or database (`source`, `uri`, `region`, `locations`, `countries`,
                `zone` (worst of its locations), `region_zone`, `unknown_regions`, `account`,
                `categories`, `declared_countries`, `scanned`: false for a replica seen only as a target)
  location      one place of a multi- or dual-region store
  activity      a processing activity; category  a data category (`special`, `high_risk`)

Edges carry `kind`: `affiliation` (organization -> affiliate), `holds` (store -> category, with
`count` and `entities`), `declares` (activity -> category), `uses` (store -> activity), and `flow`:
personal data reaching another place or party. A flow lists in `via` how it is known:
  declared  storage (organization -> store), disclosure (activity -> recipient),
            transfer (inventory.transfers), onward (processor -> sub-processor)
  observed  replication, placement (multi-region), access (cross-account grant),
            ownership (a store in another party's account)
and carries `declared`, `categories` (observed categories that flow), `declared_categories`,
`mechanism`, `party` (the node whose agreement covers the flow), `exporter_role`, `zone` of the
destination, `transfer` (destination outside the EEA; null when unknown) and, for a transfer of
personal data (declared as sent, or categories found in what it copies), `basis`: the legal
assessment on the graph's `as_of` date (see privmap.data.legal).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

import networkx as nx

from privmap.attribution import holds
from privmap.config.models import Config, Party, SourceConfig
from privmap.data import covered, flags_of, legal, load_table
from privmap.model import ORGANIZATION, StoreFact

ORG = ORGANIZATION
SENT_VIA = {"disclosure", "transfer", "onward"}  # declared as sending personal data to a party
IMPORTER_ROLE = {
    "processor": "processor",
    "sub_processor": "processor",
    "affiliate_processor": "processor",
    "affiliate_controller": "controller",
    "third_party": "controller",
    "authority": "controller",
}


def build_graph(config: Config, findings: list[dict[str, Any]], facts: list[StoreFact], as_of: dt.date) -> nx.DiGraph:
    """The data map of one run, evaluated as of `as_of`; the same inputs give the same graph."""
    return _Builder(config, findings, facts, as_of).build()


class _Builder:
    def __init__(self, config: Config, findings: list[dict[str, Any]], facts: list[StoreFact], as_of: dt.date):
        self.config, self.inv, self.as_of = config, config.inventory, as_of
        # (source, store) -> its findings: each store and each activity using it reads only its own
        self.by_store: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for f in findings:
            self.by_store[(f["source"], f["store"])].append(f)
        self.facts: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
        for fact in sorted(facts, key=lambda f: (f.source, f.store, f.key)):
            self.facts[(fact.source, fact.store)][fact.key] = fact.value
        self.specs = {s.name: s for s in config.sources}
        self.g = nx.DiGraph(
            as_of=as_of.isoformat(),
            organization=config.organization.name,
            storage_locations=list(self.inv.storage_locations),
            legal_tables={t: str(load_table(t)["version"]) for t in ("adequacy", "regions", "mechanisms")},
        )
        self.stores_of: dict[str, list[str]] = defaultdict(list)  # source name -> store node ids
        self.store_by_uri: dict[str, str] = {}  # where a replication target may already be a scanned store

    def build(self) -> nx.DiGraph:
        self._parties()
        self._stores()
        self._activities()
        self._transfers()
        self._onward()
        self._observed()
        for _, v, data in self.g.edges(data=True):
            if data["kind"] == "flow":
                self._judge(v, data)
        return self.g

    # -- nodes ----------------------------------------------------------------------------

    def _party_id(self, name: str) -> str:
        kind = "affiliate" if any(a.name == name for a in self.inv.affiliates) else "recipient"
        return f"{kind}:{name}"

    def _zone(self, country: str) -> str:
        return legal.country_zone(country, self.as_of)

    def _parties(self) -> None:
        org = self.config.organization
        self.g.add_node(
            ORG,
            kind=ORG,
            label=org.name,
            country=legal.country_code(org.country),
            zone=self._zone(org.country),
            accounts=sorted(org.accounts),
        )
        for a in self.inv.affiliates:
            node = self._party_id(a.name)
            self.g.add_node(
                node,
                kind="affiliate",
                label=a.name,
                relationship=a.relationship,
                intra_group_agreement=a.intra_group_agreement,
                role=None,  # the entry under `recipients` with the affiliate's name says, if there is one
                **self._party_attrs(a),
            )
            self.g.add_edge(ORG, node, kind="affiliation", relationship=a.relationship)
        for r in self.inv.recipients:
            node = self._party_id(r.name)
            attrs = {
                "recipient_kind": r.kind,
                "role": IMPORTER_ROLE.get(r.kind),
                "purpose": r.purpose,
                "dpa_signed_on": r.dpa_signed_on.isoformat() if r.dpa_signed_on else None,
                "processor_of": r.processor_of,
            }
            if node in self.g:  # a recipient entry for an affiliate: its role, and its agreement where it has one
                self.g.nodes[node].update(attrs, **{k: v for k, v in self._party_attrs(r).items() if v})
            else:
                self.g.add_node(node, kind="recipient", label=r.name, **self._party_attrs(r), **attrs)
        self.account_owner = {acc: ORG for acc in org.accounts}
        for node, data in sorted(self.g.nodes(data=True)):
            for acc in data["accounts"] if node != ORG else []:
                self.account_owner.setdefault(acc, node)

    def _party_attrs(self, p: Party) -> dict[str, Any]:
        return {
            "country": legal.country_code(p.country),
            "zone": self._zone(p.country),
            "transfer_mechanism": p.transfer_mechanism,
            "dpf_certified": p.dpf_certified,
            "tia_link": p.tia_link,
            "accounts": sorted(p.accounts),
        }

    def _stores(self) -> None:
        by_store = self.by_store
        stores_by_source: dict[str, set[str]] = defaultdict(set)
        for source, store in [*self.facts, *by_store]:
            stores_by_source[source].add(store)
        names = list(self.specs) + sorted(set(stores_by_source) - set(self.specs))
        for source in names:
            stores = sorted(stores_by_source[source] - {source}) or [source]
            for store in stores:
                # a source's only store goes by the source's name, as in the inventory
                node, label = (f"store:{source}", source) if len(stores) == 1 else (f"store:{source}:{store}", store)
                facts = {**self.facts.get((source, source), {}), **self.facts.get((source, store), {})}
                self._add_store(node, label, source, store, facts, by_store.get((source, store), []), scanned=True)
                self.stores_of[source].append(node)
        # the accounts of scanned stores are the organisation's unless the inventory says whose
        for node in (n for ids in self.stores_of.values() for n in ids):
            if acc := self.g.nodes[node]["account"]:
                self.account_owner.setdefault(acc, ORG)

    def _add_store(
        self,
        node: str,
        label: str,
        source: str,
        uri: str,
        facts: dict[str, Any],
        findings: list[dict[str, Any]],
        scanned: bool,
        replica_of: str | None = None,
    ) -> None:
        spec = self.specs.get(source)
        region = facts.get("region") or (spec.region if spec and scanned else None)
        locations = sorted(facts.get("locations") or [])
        codes = sorted({*locations, *([region] if region else [])})
        places = {c: legal.place(c) for c in codes}
        counts: Counter[str] = Counter()
        entities: dict[str, set[str]] = defaultdict(set)
        for f in findings:
            counts[f["category"]] += f["count"]
            entities[f["category"]].add(f["entity"])
        self.store_by_uri.setdefault(uri, node)
        self.g.add_node(
            node,
            kind="store",
            label=label,
            source=source,
            uri=uri,
            role=spec.role if spec else None,
            scanned=scanned,
            replica_of=replica_of,
            region=region,
            region_zone=legal.place_zone(places.get(region), self.as_of) if region else legal.UNKNOWN,
            locations=locations,
            unknown_regions=[c for c, p in places.items() if p is None],
            countries=sorted({c for p in places.values() if p for c in p.countries}),
            zone=legal.worst(legal.place_zone(p, self.as_of) for p in places.values()),
            account=facts.get("account"),
            categories=sorted(counts),
            declared_countries=self._declared_countries(spec),
        )
        for category in sorted(counts):
            cat = self.g.nodes[self._category(category)]
            cat["entities"] = sorted({*cat["entities"], *entities[category]})
            flags = frozenset().union(*(flags_of(e) for e in cat["entities"]))
            cat["special"], cat["high_risk"] = "special" in flags, "high_risk" in flags
            self.g.add_edge(
                node, f"category:{category}", kind="holds", count=counts[category], entities=sorted(entities[category])
            )

    def _declared_countries(self, spec: SourceConfig | None) -> list[str]:
        if spec is None:
            return []
        places = [legal.place(c) for c in ([spec.region] if spec.region else []) + spec.replicas]
        return sorted({c for p in places if p for c in p.countries})

    def _category(self, category: str) -> str:
        node = f"category:{category}"
        if node not in self.g:
            self.g.add_node(node, kind="category", label=category, entities=[], special=False, high_risk=False)
        return node

    def _activities(self) -> None:
        for a in self.inv.activities:
            node = f"activity:{a.name}"
            self.g.add_node(
                node,
                kind="activity",
                label=a.name,
                role=a.role,
                purposes=list(a.purposes),
                lawful_basis=a.lawful_basis,
                data_categories=list(a.data_categories),
            )
            for category in a.data_categories:
                self.g.add_edge(node, self._category(category), kind="declares")
            flowing: set[str] = set()
            for store in (s for source in a.stores for s in self.stores_of.get(source, [])):
                where = self.g.nodes[store]
                # what the activity holds there (its scope within a shared store) and declares
                held = {f["category"] for f in self.by_store.get((where["source"], where["uri"]), []) if holds(a, f)}
                cats = [c for c in sorted(held) if covered(c, a.data_categories)]
                flowing.update(cats)
                self.g.add_edge(store, node, kind="uses", categories=cats)
            for name in a.recipients:
                party = self._party_id(name)
                self._flow(
                    node,
                    party,
                    "disclosure",
                    declared=True,
                    categories=flowing,
                    declared_categories=a.data_categories,
                    exporter_role=a.role,
                    **self._agreement(a.stores, name),
                )

    def _agreement(self, sources: Iterable[str], name: str) -> dict[str, Any]:
        """The mechanism covering data from `sources` to party `name`: a declared transfer's, else the party's."""
        return {"mechanism": self.inv.mechanism(name, sources), "party": self._party_id(name)}

    def _transfers(self) -> None:
        for t in self.inv.transfers:
            party = self._party_id(t.recipient)
            spec = self.specs.get(t.source)
            origins = [ORG] if spec is None else self.stores_of[t.source]
            for origin in origins:
                found = self.g.nodes[origin].get("categories", [])
                self._flow(
                    origin,
                    party,
                    "transfer",
                    declared=True,
                    categories=[c for c in found if not t.data_categories or covered(c, t.data_categories)],
                    declared_categories=t.data_categories,
                    mechanism=self.inv.mechanism(t.recipient, [t.source]),
                    party=party,
                    exporter_role=(spec.role if spec else None) or "controller",
                )
        for source, stores in self.stores_of.items():
            spec = self.specs.get(source)
            for store in stores:
                self._flow(
                    ORG,
                    store,
                    "storage",
                    declared=True,
                    categories=self.g.nodes[store]["categories"],
                    exporter_role=(spec.role if spec else None) or "controller",
                    **self._storage_agreement(source, self.g.nodes[store]["countries"]),
                )

    def _storage_agreement(self, source: str, countries: list[str]) -> dict[str, Any]:
        """Data resting outside the EEA is covered by a declared transfer from its source to a party there
        (the hosting provider, or the affiliate whose account holds it)."""
        for t in self.inv.transfers:
            party = self._party_id(t.recipient)
            if t.source == source and self.g.nodes[party]["country"] in countries:
                return {"mechanism": self.inv.mechanism(t.recipient, [source]), "party": party}
        return {"mechanism": None, "party": None}

    def _onward(self) -> None:
        """Processor -> sub-processor hops carry whatever reaches the processor, in chain order."""
        subs = {r.name: r for r in self.inv.recipients if r.processor_of}

        def depth(name: str, seen: tuple[str, ...] = ()) -> int:
            parent = subs[name].processor_of
            return 1 + depth(parent, (*seen, name)) if parent in subs and parent not in seen else 0

        for r in sorted(subs.values(), key=lambda r: (depth(r.name), r.name)):
            processor = self._party_id(r.processor_of or "")
            incoming = [d for _, _, d in self.g.in_edges(processor, data=True) if d["kind"] == "flow"]
            self._flow(
                processor,
                self._party_id(r.name),
                "onward",
                declared=True,
                categories={c for d in incoming for c in d["categories"]},
                declared_categories={c for d in incoming for c in d["declared_categories"]},
                mechanism=r.transfer_mechanism,
                party=self._party_id(r.name),
                exporter_role="processor",
            )

    def _observed(self) -> None:
        declared_pairs = {(t.source, t.recipient) for t in self.inv.transfers} | {
            (s, r) for a in self.inv.activities for s in a.stores for r in a.recipients
        }
        for store in [n for ids in self.stores_of.values() for n in ids]:
            node = self.g.nodes[store]
            facts = self.facts.get((node["source"], node["uri"]), {})
            for target in sorted(facts.get("replication") or [], key=lambda t: (str(t.get("bucket")), str(t))):
                self._copy(store, self._replica(store, target), "replication")
            if len(node["locations"]) > 1:
                for code in node["locations"]:
                    self._copy(store, self._location(code), "placement")
            grants = sorted(facts.get("grants") or [], key=lambda g: (str(g.get("account")), str(g.get("principal"))))
            for grant in grants:
                self._account_flow(store, str(grant.get("account")), "access", declared_pairs, grant)
        for store in [n for n, d in self.g.nodes(data=True) if d["kind"] == "store" and d["account"]]:
            self._account_flow(store, self.g.nodes[store]["account"], "ownership", declared_pairs)

    def _copy(self, store: str, place: str, via: str) -> None:
        """The store's data also rests in `place` (a replica, a location of a multi-region store)."""
        node, countries = self.g.nodes[store], self.g.nodes[place]["countries"]
        self._flow(
            store,
            place,
            via,
            categories=node["categories"],
            declared=bool(countries) and set(countries) <= set(node["declared_countries"]),
            exporter_role=node["role"] or "controller",
            **self._storage_agreement(node["source"], countries),
        )

    def _replica(self, origin: str, target: dict[str, Any]) -> str:
        bucket = str(target.get("bucket"))
        uri = bucket if "://" in bucket else f"{self.g.nodes[origin]['uri'].split('://')[0]}://{bucket}"
        if uri in self.store_by_uri:
            return self.store_by_uri[uri]
        node, source = f"store:{self.g.nodes[origin]['source']}:{uri}", self.g.nodes[origin]["source"]
        facts = {"region": target.get("region"), "account": target.get("account")}
        self._add_store(node, uri, source, uri, facts, [], scanned=False, replica_of=origin)
        self.g.nodes[node]["categories"] = self.g.nodes[origin]["categories"]  # a replica holds what its origin holds
        return node

    def _location(self, code: str) -> str:
        node = f"location:{code}"
        if node not in self.g:
            where = legal.place(code)
            self.g.add_node(
                node,
                kind="location",
                label=code,
                region=code,
                place=where.name if where else None,
                countries=sorted(where.countries) if where else [],
                unknown_regions=[] if where else [code],
                zone=legal.place_zone(where, self.as_of),
            )
        return node

    def _account_flow(
        self, store: str, account: str, via: str, declared_pairs: set[tuple[str, str]], grant: dict | None = None
    ) -> None:
        owner = self.account_owner.get(account)
        if owner == ORG:
            return  # the organisation's own accounts: not a recipient
        node = self.g.nodes[store]
        if owner is None:
            owner = f"account:{account}"
            if owner not in self.g:
                self.g.add_node(owner, kind="account", label=f"account {account}", account=account, zone=legal.UNKNOWN)
            agreement: dict[str, Any] = {"mechanism": None, "party": None}
            declared = False
        else:
            name = self.g.nodes[owner]["label"]
            agreement = self._agreement([node["source"]], name)
            declared = (node["source"], name) in declared_pairs
        extra = {}
        if grant:
            extra = {"principals": [str(grant.get("principal"))], "actions": sorted(grant.get("actions") or [])}
        self._flow(
            store,
            owner,
            via,
            declared=declared,
            categories=node["categories"],
            exporter_role=node["role"] or "controller",
            **agreement,
            **extra,
        )

    # -- edges ----------------------------------------------------------------------------

    def _flow(self, u: str, v: str, via: str, *, declared: bool = False, **attrs: Any) -> None:
        """Add a flow, or merge what another declaration or observation says about the same one."""
        attrs = {k: sorted(set(val)) if isinstance(val, list | set | tuple) else val for k, val in attrs.items()}
        if not self.g.has_edge(u, v):
            base = {"kind": "flow", "via": [], "declared": False, "categories": [], "declared_categories": []}
            self.g.add_edge(u, v, **{**base, "mechanism": None, "party": None, "exporter_role": None})
        edge = self.g.edges[u, v]
        edge["via"] = sorted({*edge["via"], via})
        edge["declared"] = edge["declared"] or declared
        for key, value in attrs.items():
            if isinstance(value, list):
                edge[key] = sorted({*edge.get(key, []), *value})
            elif edge.get(key) is None:
                edge[key] = value

    def _judge(self, dest: str, edge: dict[str, Any]) -> None:
        """Zone of the destination and, for a transfer, the legal basis on the graph's date."""
        node = self.g.nodes[dest]
        countries = node.get("countries") or ([node["country"]] if node.get("country") else [])
        edge["zone"] = node["zone"]
        if node["zone"] == legal.UNKNOWN:
            edge["transfer"] = None  # where the data went is not known: TRF-010 / SEC-008 say so
            return
        outside = [c for c in countries if not legal.is_eea(c)]
        edge["transfer"] = bool(outside)
        # personal data goes there: declared as sent, or found in what is copied or exposed
        if outside and (edge["categories"] or edge["declared_categories"] or set(edge["via"]) & SENT_VIA):
            party = self.g.nodes[edge["party"]] if edge["party"] else {}
            bases = [
                legal.transfer_basis(edge["mechanism"], c, self.as_of, party.get("dpf_certified", False))
                for c in outside
            ]
            edge["basis"] = asdict(next((b for b in bases if not b.valid), bases[0]))
