"""Coverage through the CLI against moto_server: an S3 source that cannot be listed is never
"clean", and a read that times out keeps what an earlier run found."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.integration.conftest import PERSONAL, S3Server
from tests.integration.moto import free_port
from tests.integration.proxy import proxy


def scan(tmp_path: Path, endpoint: str, options: str = "", env: dict[str, str] | None = None, out: str = "out"):
    config = tmp_path / "privmap.yaml"
    config.write_text(
        textwrap.dedent(
            f"""\
            version: 1
            organization: {{name: Example Media Ltd, country: IE}}
            sources:
              - name: media
                type: s3
                role: controller
                options: {{endpoint_url: "{endpoint}", timeout: 1, max_attempts: 2, {options}}}
            """
        ),
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "privmap", "scan", "-c", str(config), "-o", str(tmp_path / out)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {}), "PYTHONWARNINGS": "ignore"},
        timeout=600,
    )
    return result, tmp_path / out


def failing(out: Path, check_id: str) -> list[dict]:
    return [c for c in json.loads((out / "checks.json").read_text()) if c["id"] == check_id and c["status"] == "fail"]


def assert_not_clean(result: subprocess.CompletedProcess[str], out: Path) -> None:
    assert result.returncode == 2, result.stderr
    [cov] = failing(out, "COV-001")
    assert cov["subject"] == "store:media" and "could not be listed at all" in cov["evidence"]
    [source] = json.loads((out / "coverage.json").read_text())["sources"]
    assert (source["status"], source["listed"]) == ("not listed", 0)
    summary = [line for line in result.stdout.splitlines() if line.startswith("score")]
    assert summary and "(incomplete)" in summary[0] and "1 source with gaps" in summary[0]
    assert "warning: source media: could not be listed" in result.stderr
    assert "(incomplete)" in (out / "report.html").read_text()


def test_no_credentials_exit_2_and_nothing_is_called_clean(tmp_path, s3_server: S3Server):
    no_keys = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}
    result, out = scan(tmp_path, s3_server.url, env=no_keys)
    assert_not_clean(result, out)


def test_named_buckets_without_credentials_exit_2(tmp_path, s3_server: S3Server, s3_estate):
    result, out = scan(tmp_path, s3_server.url, "buckets: [plain-eu, media-eu]", {"AWS_ACCESS_KEY_ID": "nobody"})
    assert_not_clean(result, out)


def test_an_unreachable_endpoint_exits_2(tmp_path, s3_server: S3Server):
    result, out = scan(tmp_path, f"http://127.0.0.1:{free_port()}")
    assert_not_clean(result, out)


def test_a_read_that_times_out_keeps_the_findings_of_the_last_read(tmp_path, s3_server: S3Server, s3_bucket):
    admin = s3_bucket("slow-eu")
    admin.put_object(Bucket="slow-eu", Key="notes.txt", Body=PERSONAL.encode())
    hang = {"on": False}

    def fault(method: str, path: str, query: str) -> str | None:
        return "hang" if hang["on"] and method == "GET" and path.endswith("/notes.txt") else None

    with proxy(s3_server.url, fault) as (url, _):
        first, out1 = scan(tmp_path, url, "buckets: [slow-eu]", out="run1")
        assert first.returncode in (0, 1), first.stderr
        before = json.loads((out1 / "findings.json").read_text())
        assert {f["entity"] for f in before} >= {"EMAIL_ADDRESS"} and all(f["verified"] for f in before)
        admin.put_object(Bucket="slow-eu", Key="notes.txt", Body=PERSONAL.encode() + b"\n")  # changed: read again
        hang["on"] = True
        second, out2 = scan(tmp_path, url, "buckets: [slow-eu]", out="run2")
    assert second.returncode in (0, 1), second.stderr
    after = json.loads((out2 / "findings.json").read_text())
    key = lambda f: (f["uri"], f["entity"], f["count"])  # noqa: E731
    assert sorted(map(key, after)) == sorted(map(key, before))
    assert not any(f["verified"] for f in after)
    run = json.loads((out2 / "run.json").read_text())
    assert (run["items_failed"], run["findings"]) == (1, len(before))
    assert "0 resolved" in second.stdout
    [cov] = failing(out2, "COV-002")
    assert "1 failed: timeout" in cov["evidence"]
