"""privmap locate over every kind of source: seeded people in a local folder, SQLite, S3 (moto_server),
PostgreSQL, MariaDB and GCS (fake-gcs-server), found after one scan from the occurrence index alone.

Anna is spread over all six (each store holding a different mix of her identifiers, written in
different spellings), Tomás over two, Erin was erased from the CRM but is still in its S3 replica,
and nobody@example.org is held nowhere.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from privmap import locate, pipeline
from privmap.config import load_config
from privmap.scanner import crawl
from privmap.store import Store
from tests.integration import gcs
from tests.integration.conftest import GCP_PROJECT
from tests.integration.sql_engines import database

IBAN = "IE29 AIBK 9311 5212 3456 78"


def luhn(prefix: str, length: int = 16) -> str:
    """A Luhn-valid card number that is no documentation test number."""
    body = [int(c) for c in prefix.ljust(length - 1, "7")]
    total = sum(d if i % 2 else sum(divmod(2 * d, 10)) for i, d in enumerate(reversed(body)))
    return "".join(map(str, body)) + str(-total % 10)


CARD = luhn("453914")


@pytest.fixture
def estate(tmp_path, s3_server, s3_bucket, gcs_estate):
    """The six stores, filled; the config's path. Buckets and databases are removed afterwards."""
    files = tmp_path / "files"
    (files / "notes").mkdir(parents=True)
    (files / "notes" / "call.txt").write_text(
        "Call back Anna Byrne on 01 555 0142 about her renewal; she also wrote from anna.byrne@example.ie.\n",
        encoding="utf-8",
    )
    s3 = s3_bucket("crm-replica")
    dump = "email,full_name,phone\nanna.byrne@example.ie,Anna Byrne,+353 1 555 0142\n"
    dump += "erin.walsh@example.net,Erin Walsh,+353 87 123 4567\n"
    s3.put_object(Bucket="crm-replica", Key="dump/customers.csv", Body=dump.encode())
    bucket = gcs.admin_client(gcs_estate.eu, GCP_PROJECT).create_bucket("media-locate")
    bucket.blob("captions/shoot.txt").upload_from_string(b"Portrait session: contact ANNA.BYRNE@EXAMPLE.IE\n")
    with (
        database("sqlite", tmp_path) as crm,
        database("postgres", tmp_path) as pg,
        database("mysql", tmp_path) as my,
    ):
        crm.table("customers", [("id", "key"), ("name", "text"), ("email", "text"), ("phone", "text")])
        crm.insert(
            "customers",
            ["id", "name", "email", "phone"],
            [
                (1, "Anna Byrne", "Anna.Byrne@Example.ie", "+353 1 555 0142"),
                (2, "Tomás Ó Briain", "tomas@example.ie", ""),
            ],
        )
        # more rows than scan.rows_per_table: read from a sample, so its index is partial
        crm.table("events", [("id", "key"), ("email", "text")])
        crm.insert("events", ["id", "email"], [(i, f"visitor{i}@mailbox.ie") for i in range(80)])
        pg.table("payments", [("id", "key"), ("email", "text"), ("iban", "text")])
        pg.insert("payments", ["id", "email", "iban"], [(1, "anna.byrne@example.ie", IBAN)])
        pg.grant_read()
        my.table("cards", [("id", "key"), ("holder", "text"), ("card", "text")])
        my.insert("cards", ["id", "holder", "card"], [(1, "tomas@example.ie", "4929 1234 5678 9012"), (2, "-", CARD)])
        my.grant_read()
        config = tmp_path / "privmap.yaml"
        config.write_text(
            textwrap.dedent(
                f"""\
                version: 1
                organization: {{name: Example Media Ltd, country: IE}}
                scan: {{rows_per_table: 50}}
                sources:
                  - {{name: files, type: local, region: eu-west-1, role: controller, options: {{path: files}}}}
                  - {{name: crm, type: sqlite, region: eu-west-1, role: controller, replicas: [eu-central-1],
                     options: {json.dumps(crm.options)}}}
                  - {{name: crm-replica, type: s3, region: eu-west-1, role: controller,
                     options: {{endpoint_url: "{s3_server.url}", buckets: [crm-replica]}}}}
                  - {{name: payments, type: postgres, region: eu-west-1, role: controller,
                     options: {json.dumps(pg.options)}}}
                  - {{name: cards, type: mysql, region: us-east-1, role: processor, options: {json.dumps(my.options)}}}
                  - {{name: media, type: gcs, role: processor,
                     options: {{project: {GCP_PROJECT}, endpoint: "{gcs_estate.eu}", buckets: [media-locate]}}}}
                dsr: {{erased_list: erased.csv}}
                inventory:
                  recipients:
                    - {{name: MailRelay, kind: processor, country: US, transfer_mechanism: scc_2021_m2}}
                  activities:
                    - {{name: Customer accounts, purposes: [essential.service], lawful_basis: contract,
                       data_subjects: [customer], data_categories: [user.name, user.contact], stores: [crm],
                       recipients: [MailRelay]}}
                """
            ),
            encoding="utf-8",
        )
        (tmp_path / "erased.csv").write_text(
            "subject,kind,value,erased_on\nDSR-7,email,Erin.Walsh@example.net,2026-10-01\n"
            "DSR-7,phone,087 123 4567,2026-10-01\nDSR-8,email,tomas@example.ie,2026-11-02\n",
            encoding="utf-8",
        )
        yield config
    bucket.delete(force=True)


def places(answer: locate.Answer, via: str = "direct") -> set[tuple[str, str, str]]:
    """(source, file or table name, field) of the matches found `via`."""

    def name(uri: str) -> str:
        return uri.rsplit("#", 1)[1].rsplit(".", 1)[-1] if "#" in uri else uri.rsplit("/", 1)[-1]

    return {(m.source, name(m.uri), m.field) for m in answer.matches if m.via == via}


def test_one_scan_then_people_found_everywhere_without_reading_again(estate, tmp_path, monkeypatch):
    config = load_config(estate)
    result = pipeline.run(config, tmp_path / "out")
    checks = json.loads((tmp_path / "out" / "checks.json").read_text())
    store = Store(config.resolve(config.store.path))
    try:
        run = result.run_id
        secret = locate.secret_of(config)
        ask = lambda *pairs: locate.answer(  # noqa: E731
            config, store, run, [locate.wanted(secret, k, v, "IE") for k, v in pairs]
        )
        # Anna by e-mail (another spelling than any store's), phone in national format, IBAN and name
        anna = ask(
            ("email", " anna.BYRNE@example.ie"), ("phone", "01 555 0142"), ("iban", IBAN.replace(" ", "").lower())
        )
        assert places(anna) == {
            ("files", "call.txt", ""),
            ("crm", "customers", "email"),
            ("crm", "customers", "phone"),
            ("crm-replica", "customers.csv", "email"),
            ("crm-replica", "customers.csv", "phone"),
            ("payments", "payments", "email"),
            ("payments", "payments", "iban"),
            ("media", "shoot.txt", ""),
        }
        # her name is held in the same rows as her e-mail (not asked for, not shown: only where)
        assert ("crm", "customers", "name") in places(anna, "same row")
        crm_email = next(m for m in anna.matches if (m.source, m.field) == ("crm", "email"))
        assert crm_email.also_held_with == {"a***@e***.ie", "+*********42"} and crm_email.other_identifiers == {
            "name": 1
        }
        stores = {s["source"]: s for s in anna.to_json()["stores"]}
        assert set(stores) == {"files", "crm", "crm-replica", "payments", "media"}
        assert stores["crm"]["region"] == "eu-west-1" and stores["crm"]["role"] == "controller"
        assert [a["name"] for a in stores["crm"]["activities"]] == ["Customer accounts"]
        assert {"name": "MailRelay", "kind": "processor", "country": "US", "via": ["disclosure"]} in stores["crm"][
            "erasure_reach"
        ]
        assert stores["crm"]["declared_replicas"] == ["eu-central-1"]
        assert stores["media"]["region"] == "eu"  # the bucket's own location, from the store's facts
        # Tomás: the CRM and the card table (his card is a documentation number: only the e-mail is his)
        tomas = ask(("email", "Tomas@Example.IE"))
        assert places(tomas) == {("crm", "customers", "email"), ("cards", "cards", "holder")}
        # the card alone, with separators the store never used
        assert places(ask(("card", "-".join(CARD[i : i + 4] for i in range(0, 16, 4))))) == {("cards", "cards", "card")}
        # nobody: an empty answer that says where the index is partial
        nobody = ask(("email", "nobody@example.org")).to_json()
        assert nobody["found"] is False and nobody["matches"] == [] and nobody["complete"] is False
        sampled = "crm: 1 item(s) holding personal data were read only in part (sampled)"
        assert any(c.startswith(sampled) for c in nobody["caveats"]), nobody["caveats"]
        # Erin was erased but her replica row remains: DSR-002 fails on her request, not on Tomás's
        dsr2 = {c["subject"]: c for c in checks if c["id"] == "DSR-002"}
        assert dsr2["subject:DSR-7"]["status"] == "fail" and "crm-replica" in dsr2["subject:DSR-7"]["evidence"]
        assert dsr2["subject:DSR-8"]["status"] == "fail"  # Tomás is still in the CRM and the card table
        dsr1 = {c["subject"]: c["status"] for c in checks if c["id"] == "DSR-001"}
        assert dsr1["store:crm"] == "fail" and dsr1["store:payments"] == "pass"
        # --verify reads only the candidate items again: all still hold her; then one no longer does
        opened: list[str] = []
        scan_item = crawl.scan_item
        monkeypatch.setattr(
            crawl, "scan_item", lambda src, it, *a, **k: opened.append(it.location.uri) or scan_item(src, it, *a, **k)
        )
        locate.verify(config, store, secret, anna)
        assert {m.verified for m in anna.matches} == {True}
        assert sorted(opened) == sorted({m.uri for m in anna.matches})
        (tmp_path / "files" / "notes" / "call.txt").write_text("Call back the customer about the renewal.\n")
        locate.verify(config, store, secret, anna)
        assert {(m.source, m.verified) for m in anna.matches if m.source in ("files", "crm")} == {
            ("files", False),
            ("crm", True),
        }
    finally:
        store.close()
    raw = b"".join(p.read_bytes() for p in config.state_dir.iterdir() if p.name.startswith("state.db"))
    assert b"anna.byrne" not in raw.lower() and b"5550142" not in raw and b"AIBK" not in raw
