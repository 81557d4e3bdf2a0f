"""Secrets and personal data never leave the scanner: not in errors, logs, reports or the state store."""

import sqlite3
from pathlib import Path

import pytest

from privmap.logs import redact
from privmap.reports.html import visible
from tests.e2e.conftest import privmap


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Invalid endpoint: http://admin:hunter2pw@bad host/", "hunter2pw"),
        ("Invalid endpoint: ftp//admin:hunter2pw@host", "hunter2pw"),
        ('connection to "postgresql://scanner:Tr0ub4dor@db.internal:5432/crm" failed', "Tr0ub4dor"),
        ("mysql+pymysql://root:p%40ss@127.0.0.1/test refused", "p%40ss"),
        ("FATAL: password=s3cr3t host=db", "s3cr3t"),
        ("auth failed token: 'abc.def.ghi'", "abc.def.ghi"),
        ("https://h/x?X-Amz-Signature=0123abcd&X-Amz-Date=1", "0123abcd"),
        ("api_key=AKIAIOSFODNN7EXAMPLE;", "AKIAIOSFODNN7EXAMPLE"),
    ],
)
def test_library_errors_lose_their_credentials(text, secret):
    assert secret not in redact(text)


def test_plain_messages_are_left_alone():
    for text in ("Invalid IPv6 URL", "see https://example.com/a@b", "bucket eu-data: AccessDenied"):
        assert redact(text) == text


def test_bidi_controls_are_shown_not_obeyed():
    assert visible("invoice-\u202egnp.exe.txt") == "invoice-<U+202E>gnp.exe.txt"
    assert visible("plain") == "plain" and visible(3) == 3


def _everything(folder: Path) -> str:
    """Every byte privmap left in `folder` (reports and state), as text, the store's rows included."""
    parts = []
    for path in folder.rglob("*"):
        if path.is_file():
            parts.append(path.read_bytes().decode("utf-8", "replace"))
            if path.suffix == ".db":
                db = sqlite3.connect(path)
                for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
                    parts.append(repr(db.execute(f'SELECT * FROM "{table}"').fetchall()))
                db.close()
    return "\n".join(parts)


@pytest.mark.slow
@pytest.mark.parametrize(
    "endpoint",
    ["http://admin:hunter2pw@bad host/", "ftp//admin:hunter2pw@host", "http://admin:hunter2pw@[::1:bad/"],
)
def test_a_password_in_a_malformed_endpoint_is_never_printed_or_stored(tmp_path, endpoint):
    config = tmp_path / "privmap.yaml"
    config.write_text(
        "version: 1\norganization: {name: T, country: IE}\nstore: {path: state/state.db}\n"
        f'sources: [{{name: b, type: s3, options: {{endpoint_url: "{endpoint}", buckets: [x]}}}}]\n'
    )
    result = privmap("scan", "-c", str(config), "--out", str(tmp_path / "out"))
    assert result.returncode == 2, result.stderr
    assert "hunter2pw" not in result.stdout + result.stderr
    assert "hunter2pw" not in _everything(tmp_path / "out") + _everything(tmp_path / "state")


@pytest.mark.slow
def test_bidi_file_names_reach_the_report_visible(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "invoice-\u202egnp.exe.txt").write_text("IBAN DE89 3704 0044 0532 0130 00\n")
    config = tmp_path / "privmap.yaml"
    config.write_text(
        "version: 1\norganization: {name: T, country: IE}\nstore: {path: state/state.db}\n"
        "sources: [{name: f, type: local, region: eu-west-1, role: controller, options: {path: data}}]\n"
    )
    privmap("scan", "-c", str(config), "--out", str(tmp_path / "out"))
    html = (tmp_path / "out" / "report.html").read_text()
    assert "\u202e" not in html and "invoice-&lt;U+202E&gt;gnp.exe.txt" in html
