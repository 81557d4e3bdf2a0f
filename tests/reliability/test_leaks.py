"""Secrets and personal data never leave the scanner: not in errors, logs, reports or the state store."""

import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from privmap.logs import is_secret_name, masked, redact
from privmap.reports.html import visible
from privmap.scanner.problems import describe
from tests.e2e.conftest import privmap
from tests.reliability.estates import write_config


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
        ("jdbc:postgresql://db:5432/crm?user=app&password=Wd8vQx2&ssl=true", "Wd8vQx2"),
        ("jdbc:mysql://app:Wd8vQx2@db.internal:3306/crm", "Wd8vQx2"),
        ("Driver={PostgreSQL Unicode};Server=db;Uid=app;Pwd={Wd8;vQx2};", "vQx2"),
        ("Server=tcp:db,1433;User ID=app;PASSWORD=Wd8vQx2;Encrypt=yes", "Wd8vQx2"),
        ("host=db user=app password='Wd8 vQx2' dbname=crm", "vQx2"),
        ("DefaultEndpointsProtocol=https;AccountName=a;AccountKey=Wd8vQx2==;", "Wd8vQx2"),
        ("mongodb+srv://app:Wd8vQx2@cluster0.example.net/crm", "Wd8vQx2"),
    ],
)
def test_library_errors_lose_their_credentials(text, secret):
    assert secret not in redact(text)


def test_secret_options_are_masked_wherever_they_nest():
    options = {
        "dsn": "postgresql://app:Wd8vQx2@db/crm",
        "region": "eu-west-1",
        "nested": {"api_key": "AKIAIOSFODNN7EXAMPLE", "tables": ["users"]},
        "url": "https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX",
        "note": "endpoint http://app:Wd8vQx2@host/",
        "password": "",
    }
    kept = masked(options)
    assert "Wd8vQx2" not in repr(kept) and "AKIAIOSFODNN7EXAMPLE" not in repr(kept) and "XXXXSECRET" not in repr(kept)
    assert kept["region"] == "eu-west-1" and kept["nested"]["tables"] == ["users"] and kept["password"] == ""
    assert all(is_secret_name(n) for n in ("dsn", "DB_PASSWORD", "credentials_file", "webhook", "endpoint_url"))
    assert not any(is_secret_name(n) for n in ("region", "bucket", "tables", "prefix", 3))


@pytest.mark.parametrize(
    ("error", "secret"),
    [
        (ValueError("Invalid Elementary Object starting with b')' @165: b'IBAN DE89370400440532013000'"), "DE89"),
        (ValueError('could not convert string to float: "Müller, Jürgen"'), "Müller"),
        (KeyError("anna.byrne@mailbox.ie"), "anna.byrne"),
        (ValueError("unexpected token at 'Teléfono: 612 345 678'"), "612"),
        (RuntimeError("bad row: zofia.kowalska@wp.pl;44051401359"), "44051401359"),
        (ValueError("invalid literal for int() with base 10: b'\\xd0\\x98\\xd0\\xb2\\xd0\\xb0\\xd0\\xbd'"), "xd0"),
        (ValueError("cell left open 'Robert Fisch"), "Robert"),
    ],
)
def test_parser_errors_never_quote_what_they_choked_on(error, secret):
    assert secret not in describe(error) and describe(error).startswith(type(error).__name__)


def test_parser_errors_keep_what_helps():
    assert describe(ValueError("Expecting value: line 1 column 5 (char 4)")).endswith("line 1 column 5 (char 4)")
    assert describe(ValueError("can't parse row 12")) == "ValueError: can't parse row 12"


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
    config = write_config(
        tmp_path, f'{{name: b, type: s3, options: {{endpoint_url: "{endpoint}", buckets: [x]}}}}', True
    )
    result = privmap("scan", "-c", str(config), "--out", str(tmp_path / "out"))
    assert result.returncode == 2, result.stderr
    assert "hunter2pw" not in result.stdout + result.stderr
    assert "hunter2pw" not in _everything(tmp_path / "out") + _everything(tmp_path / "state")


@pytest.mark.slow
def test_bidi_file_names_reach_the_report_visible(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "invoice-\u202egnp.exe.txt").write_text("IBAN DE89 3704 0044 0532 0130 00\n")
    config = write_config(tmp_path, fail_on=True)
    privmap("scan", "-c", str(config), "--out", str(tmp_path / "out"))
    html = (tmp_path / "out" / "report.html").read_text()
    assert "\u202e" not in html and "invoice-&lt;U+202E&gt;gnp.exe.txt" in html


@pytest.mark.slow
def test_personal_data_in_names_never_reaches_outputs_logs_or_the_store(tmp_path):
    data = tmp_path / "data"
    person = data / "users" / "anna.byrne@mailbox.ie"
    person.mkdir(parents=True)
    (person / "CV_anna.byrne@mailbox.ie.txt").write_text("Phone: +353 86 123 4567\n")
    (data / "contacts.json").write_text('{"bo.lind@mailbox.se": {"phone": "+46 70 123 45 67"}}')
    (data / "payout NL39RABO0347123456.csv").write_text("amount\n12\n")
    (data / "Lebenslauf_jürgen.müller@posteo.de.txt").write_text("Bewerbung\n")
    (data / "nómina 12345678Z.csv").write_text("importe\n1200\n")
    (data / "PESEL 44051401359.txt").write_text("umowa\n")
    with zipfile.ZipFile(data / "export.zip", "w") as archive:
        archive.writestr("clients/marie.dupont@orange.fr.txt", "rendez-vous lundi\n")
    config = write_config(tmp_path)
    raws = ("anna.byrne", "bo.lind", "NL39RABO0347123456", "anna.byrne%40", "jürgen", "j%C3%BCrgen", "12345678Z")
    raws += ("44051401359", "marie.dupont")
    for out in ("out1", "out2"):
        result = privmap("-v", "scan", "-c", str(config), "--out", str(tmp_path / out))
        assert result.returncode == 0, result.stderr
        everything = result.stdout + result.stderr + _everything(tmp_path / out) + _everything(tmp_path / "state")
        for raw in raws:
            assert raw not in everything, (raw, out)

    findings = json.loads((tmp_path / "out2" / "findings.json").read_text())
    named = {f["entity"] for f in findings if f["field"] == "(name)"}
    assert {"EMAIL_ADDRESS", "IBAN_CODE", "ES_NIF", "PL_PESEL"} <= named, named
    run = json.loads((tmp_path / "out2" / "run.json").read_text())
    assert run.get("findings") == len(findings)
    # items are recognised by their pseudonymised names: an unchanged estate is read once, not every run
    assert run["items_scanned"] == 0 and run["items_unchanged"] == 7, run
