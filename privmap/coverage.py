"""What a run examined and what it did not: the coverage every verdict rests on.

One record per configured source (the `coverage.json` contract), built from the run's snapshot
and problems, and the few judgements made from it: whether a source could be listed at all,
which items were not inspected and why, and the summary line shown beside the score.
"""

from __future__ import annotations

import mimetypes
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

# skip reasons that are the configuration's own scoping, not gaps: the user chose not to look
SCOPED_OUT = ("excluded", "not included")
_UNSUPPORTED = "unsupported media type"
_DETAIL = re.compile(r"\s*\(.*\)$")  # "larger than max_object_size (123 bytes)" -> the reason alone


def reason_of(reason: str | None) -> str:
    """A skip reason or failure kind without the item's own details, to count items by."""
    text = reason or "unknown"
    return _UNSUPPORTED if text.startswith(_UNSUPPORTED) else _DETAIL.sub("", text)


def media_type_of(uri: str, reason: str | None) -> str:
    """The item's media type: as sniffed when that is why it was skipped, else guessed from its name."""
    if reason and reason.startswith(_UNSUPPORTED):
        return reason[len(_UNSUPPORTED) :].strip() or "unknown"
    return mimetypes.guess_type(uri.split("#")[0])[0] or "unknown"


def build(
    sources: Iterable[Mapping[str, Any]],
    counted: Mapping[str, Mapping[str, Any]],
    items: Iterable[Mapping[str, Any]],
    problems: Iterable[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """Per source (configured sources: `name`, `type`, `region`): the coverage record.

    `counted` is `Store.coverage`, `items` the run's snapshot (`Store.items`), `problems` the run's
    problems. Each record: `source`, `type`, `region`, `status` (`complete`, `gaps`, `not listed`,
    `empty`), `listed`, `scanned`, `unchanged`, `skipped` {reason: n}, `failed` {kind: n},
    `not_inspected` [{reason, media_type, count}] (skipped for other reasons than the config's
    include/exclude, or failed), `bytes_listed`, `bytes_read`, `read_in_part`, `gaps` [{uri, kind,
    message}] (problems not tied to one item: a listing, a bucket or a setting that could not be read)."""
    problems, items = list(problems), list(items)
    known = {(i["source"], i["uri"]) for i in items}
    missing: dict[str, Counter[tuple[str, str]]] = {}
    for i in items:
        if i["state"] == "failed" or (i["state"] == "skipped" and reason_of(i["reason"]) not in SCOPED_OUT):
            label = reason_of(i["reason"]) if i["state"] == "skipped" else f"failed: {reason_of(i['reason'])}"
            missing.setdefault(i["source"], Counter())[(label, media_type_of(i["uri"], i["reason"]))] += 1
    out = []
    for spec in sources:
        c = counted.get(spec["name"], {})
        reasons = c.get("reasons", {})
        skipped: dict[str, int] = Counter()
        for reason, n in reasons.get("skipped", {}).items():
            skipped[reason_of(reason)] += n
        gaps = [
            {"uri": p["uri"], "kind": p["kind"], "message": p["message"]}
            for p in problems
            if p["source"] == spec["name"] and (p["source"], p["uri"]) not in known
        ]
        listed = c.get("listed", 0)
        record = {
            "source": spec["name"],
            "type": spec["type"],
            "region": spec.get("region"),
            "status": "not listed" if gaps and not listed else "gaps" if gaps else "empty" if not listed else "",
            "listed": listed,
            "scanned": c.get("scanned", 0),
            "unchanged": c.get("unchanged", 0),
            "skipped": dict(sorted(skipped.items())),
            "failed": dict(sorted(reasons.get("failed", {}).items())),
            "not_inspected": [
                {"reason": r, "media_type": m, "count": n}
                for (r, m), n in sorted(missing.get(spec["name"], Counter()).items())
            ],
            "bytes_listed": c.get("bytes_listed", 0),
            "bytes_read": c.get("bytes_read", 0),
            "read_in_part": c.get("partial", 0),
            "gaps": gaps,
        }
        if not record["status"]:
            record["status"] = "gaps" if record["not_inspected"] else "complete"
        out.append(record)
    return out


def kind_label(media_type: str) -> str:
    """A reader's name for a media type: PDF, XLSX, CSV; the type itself when it has no extension."""
    ext = mimetypes.guess_extension(media_type) if media_type != "unknown" else None
    return ext.lstrip(".").upper() if ext else media_type


def in_scope(record: Mapping[str, Any]) -> int:
    """Items listed, less those the config's include/exclude leaves out."""
    return int(record["listed"]) - sum(n for r, n in record["skipped"].items() if r in SCOPED_OUT)


def inspected(record: Mapping[str, Any]) -> int:
    """Items whose content was examined: read in this run, or unchanged since a read."""
    return int(record["scanned"]) + int(record["unchanged"])


def not_inspected_text(record: Mapping[str, Any]) -> str:
    """E.g. `read 11 of 18 items; 7 not inspected: 3 PDF, 2 XLSX, 2 failed (timeout)`."""
    total, seen = in_scope(record), inspected(record)
    text = f"read {seen} of {total} item{'s' if total != 1 else ''}"
    by_kind: Counter[str] = Counter()
    for row in record["not_inspected"]:
        reason = row["reason"]
        label = f"failed ({reason.removeprefix('failed: ')})" if reason.startswith("failed") else None
        by_kind[label or kind_label(row["media_type"]) if reason == _UNSUPPORTED else label or reason] += row["count"]
    if by_kind:
        text += f"; {sum(by_kind.values())} not inspected: " + ", ".join(f"{n} {k}" for k, n in by_kind.most_common())
    return text


def not_listed(coverage: Iterable[Mapping[str, Any]]) -> list[str]:
    """Sources that could not be listed or opened at all: the run exits 2."""
    return [c["source"] for c in coverage if c["status"] == "not listed"]


def incomplete(coverage: Iterable[Mapping[str, Any]]) -> bool:
    """Whether a source could not be listed or read, wholly or in part: the score is then incomplete."""
    return any(c["gaps"] for c in coverage)


def share(coverage: Iterable[Mapping[str, Any]]) -> tuple[int, int]:
    """(items inspected, items in scope) over every source."""
    rows = list(coverage)
    return sum(inspected(c) for c in rows), sum(in_scope(c) for c in rows)


def summary_line(score: int, coverage: Iterable[Mapping[str, Any]]) -> str:
    """E.g. `score 92 · coverage 61% of items, 2 sources with gaps` (`incomplete` when a source failed)."""
    rows = list(coverage)
    seen, total = share(rows)
    percent = f"{100 * seen // total}%" if total else "no items"
    gaps = sum(1 for c in rows if c["status"] != "complete")
    line = f"score {score}{' (incomplete)' if incomplete(rows) else ''} · coverage {percent}"
    line += " of items" if total else ""
    return line + (f", {gaps} source{'s' if gaps != 1 else ''} with gaps" if gaps else ", no gaps")


def warning(record: Mapping[str, Any]) -> str | None:
    """One line about a source with gaps, for the CLI; None for a complete one."""
    name = record["source"]
    if record["status"] == "complete":
        return None
    if record["status"] == "not listed":
        kinds = ", ".join(sorted({g["kind"] for g in record["gaps"]}))
        return f"source {name}: could not be listed ({kinds}); nothing in it was examined"
    if record["status"] == "empty":
        return f"source {name}: listed no items (an unmounted share or an empty bucket?)"
    parts = [not_inspected_text(record)]
    if record["gaps"]:
        parts.append(
            f"{len(record['gaps'])} part(s) could not be read ("
            + ", ".join(sorted({g["kind"] for g in record["gaps"]}))
            + ")"
        )
    return f"source {name}: " + "; ".join(parts)
