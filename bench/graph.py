"""Data-map speed: `python -m bench.graph [N]`.

Builds the data map of a synthetic estate of N buckets (5 findings each, every third replicated,
every fifth shared with another account), runs the checks and writes the four exports; then the
same for 10 x N buckets. Prints seconds per 1000 buckets for each size and the ratio of the two:
1.0 means the cost grows linearly with the estate.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

from privmap.checks import Evidence, run_checks
from privmap.config import parse_config
from privmap.graph import FORMATS, build_graph
from privmap.model import StoreFact

REGIONS = ("eu-west-1", "us-east-1", "eu-central-1", "ap-southeast-1")
ENTITIES = (("EMAIL_ADDRESS", "user.contact.email"), ("PERSON", "user.name"), ("IP_ADDRESS", "user.device.ip_address"))
CONFIG = """\
version: 1
organization: {name: Bench Ltd, country: IE, accounts: ["000000000000"]}
sources: [{name: media, type: s3, role: processor, options: {}}]
inventory:
  storage_locations: [EEA, US]
  affiliates: [{name: Bench Inc, country: US, relationship: subsidiary, accounts: ["111111111111"]}]
  recipients:
"""


def estate(buckets: int) -> tuple[object, list[dict], list[StoreFact]]:
    text = CONFIG + "".join(
        f"    - {{name: Vendor{i}, kind: processor, country: {'US' if i % 2 else 'DE'}, transfer_mechanism: scc}}\n"
        for i in range(20)
    )
    text += "  activities:\n" + "".join(
        f"    - {{name: Act{i}, purposes: [x], data_categories: [user.contact], stores: [media], "
        f"recipients: [Vendor{i}, Vendor{(i + 1) % 20}]}}\n"
        for i in range(10)
    )
    config = parse_config(text, Path("bench.yaml"), {})
    findings, facts = [], []
    for b in range(buckets):
        store = f"s3://bucket-{b:06d}"
        facts.append(StoreFact("media", store, "region", REGIONS[b % len(REGIONS)]))
        if b % 3 == 0:
            facts.append(
                StoreFact("media", store, "replication", [{"bucket": f"dr-{b}", "account": "2", "region": "us-west-2"}])
            )
        if b % 5 == 0:
            facts.append(
                StoreFact("media", store, "grants", [{"account": "111111111111", "principal": "r", "actions": []}])
            )
        for f in range(5):
            entity, category = ENTITIES[f % len(ENTITIES)]
            findings.append({"source": "media", "store": store, "uri": f"{store}/o{f}", "entity": entity,
                             "category": category, "count": 3})  # fmt: skip
    return config, findings, facts


def measure(buckets: int) -> float:
    config, findings, facts = estate(buckets)
    start = time.perf_counter()
    as_of = dt.date(2026, 6, 1)
    graph = build_graph(config, findings, facts, as_of)  # type: ignore[arg-type]
    run_checks(Evidence(config, findings, facts, as_of, graph=graph))  # type: ignore[arg-type]
    for export in FORMATS.values():
        export(graph)
    return time.perf_counter() - start


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    small, large = measure(n), measure(10 * n)
    per_small, per_large = small / n * 1000, large / (10 * n) * 1000
    print(f"{n} buckets: {small:.2f} s ({per_small:.2f} s per 1000 buckets)")
    print(f"{10 * n} buckets: {large:.2f} s ({per_large:.2f} s per 1000 buckets)")
    print(f"ratio (per bucket, {10 * n} vs {n}): {per_large / per_small:.2f}")


if __name__ == "__main__":
    main()
