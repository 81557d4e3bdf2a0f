"""One process, local worker processes and a Dask cluster find the same things; Dask survives a lost worker."""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import pytest

from privmap import work
from privmap.config import load_config
from privmap.pipeline import build_source
from privmap.scanner.cluster import DaskExecutor
from privmap.work import Job
from tests import formats
from tests.e2e.conftest import privmap

# what a finding is, without the run it was seen in
STABLE = ("source", "store", "uri", "part", "field", "entity", "category", "count", "distinct", "preview", "value_key")


def _estate(data: Path) -> None:
    """Mixed content: prose, logs, CSV, JSON, a spreadsheet, a zip, and files without personal data."""
    data.mkdir(parents=True)
    for i in range(24):
        (data / f"ticket-{i:02}.txt").write_text(
            f"Dear support, this is Aoife Murphy {i}. Reach me at aoife{i}@mailbox.ie or +353 85 123 45{i:02}.\n"
            f"My IBAN is NL39RABO0347123456 and I was at 81.2.69.{i}.\n" * (1 + i % 3)
        )
        (data / f"app-{i:02}.log").write_text(
            "".join(
                f"2024-05-0{1 + j % 9} GET /api/users/{j} ip=10.0.{i}.{j} user=u{j}@example.org\n" for j in range(40)
            )
        )
    (data / "customers.csv").write_bytes(formats.customers_csv())
    (data / "people.json").write_text(
        json.dumps([{"name": f"Liam Byrne {i}", "email": f"l{i}@mailbox.ie"} for i in range(30)])
    )
    (data / "plain.txt").write_text("nothing personal here, only weather and tea\n" * 50)
    shutil.make_archive(str(data / "bundle"), "zip", data, "customers.csv")


def _config(root: Path, data: Path, scan: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    config = root / "privmap.yaml"
    config.write_text(
        "version: 1\norganization: {name: X, country: IE}\n"
        f"scan: {scan}\n"
        f"sources:\n  - {{name: files, type: local, region: eu-west-1, role: controller, options: {{path: {data}}}}}\n"
    )
    return config


def _findings(out: Path) -> list[tuple]:
    return sorted(tuple(f[k] for k in STABLE) for f in json.loads((out / "findings.json").read_text()))


@pytest.mark.slow
def test_one_process_local_workers_and_dask_give_the_same_findings(tmp_path):
    data = tmp_path / "data"
    _estate(data)
    runs = {
        "single": "{workers: 1}",
        "local": "{workers: 2}",
        "dask": "{executor: dask, workers: 2, dask: {batch: 4}}",
    }
    found = {}
    for name, scan in runs.items():
        config = _config(tmp_path / name, data, scan)
        if name != "single":  # the same install key, so value keys compare too
            (tmp_path / name / ".privmap").mkdir(mode=0o700)
            shutil.copy2(tmp_path / "single" / ".privmap" / "secret.key", tmp_path / name / ".privmap" / "secret.key")
        result = privmap("scan", "-c", str(config), "-o", str(tmp_path / name / "out"), "--fail-on", "none")
        assert result.returncode == 0, result.stderr
        found[name] = _findings(tmp_path / name / "out")
        coverage = json.loads((tmp_path / name / "out" / "coverage.json").read_text())
        assert coverage["complete"] and coverage["problems"] == [], coverage
    assert len(found["single"]) > 50
    assert found["local"] == found["single"]
    assert found["dask"] == found["single"]


@pytest.mark.slow
def test_a_dask_worker_killed_mid_scan_loses_nothing(tmp_path):
    data = tmp_path / "data"
    _estate(data)
    config = load_config(
        _config(tmp_path / "run", data, "{executor: dask, workers: 2, dask: {batch: 2, in_flight: 2}}")
    )
    job = Job.of(config, 0, b"k" * 32)
    items = list(build_source(config, 0).items())
    executor = DaskExecutor(config.scan)
    try:
        pids = executor.client.run(os.getpid)  # worker address -> process id
        results = []
        for item, outcome in executor.run(job, items):
            if not results:  # the first unit is back: the others are queued or running on both workers
                os.kill(next(iter(pids.values())), signal.SIGKILL)
            results.append((item, outcome))
        assert "workers" in executor.status()
    finally:
        executor.close()
        work._detectors.pop(job.key, None)
    assert sorted(i.location.uri for i, _ in results) == sorted(i.location.uri for i in items)  # each once
    assert [o.problems for _, o in results if o.problems] == []
    by_name = {i.metadata["path"]: o for i, o in results}
    assert {f.entity for f in by_name["ticket-05.txt"].findings} >= {"EMAIL_ADDRESS", "IBAN_CODE", "PERSON"}
