"""A small demo estate modelled on a media SaaS with EU and US storage, and its config.

The company is drawn from a 2018 privacy policy: controller for its own customers and processor
for their uploads, storage "within the European Union and in the United States", processors for
payments, email and analytics, affiliates in the US and Israel, and a US subsidiary that was
self-certified to the Privacy Shield and never moved to anything else.

Everything is generated from a fixed seed: fake people, Luhn-valid card numbers and
checksum-valid IBANs that belong to no one. `privmap demo DIR` writes it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sqlite3
from contextlib import closing
from pathlib import Path

from PIL import Image

FIRST = [
    "Aoife",
    "Liam",
    "Sofia",
    "Lukas",
    "Chiara",
    "Mateo",
    "Emma",
    "Jakub",
    "Noor",
    "Olivia",
    "Hugo",
    "Zofia",
    "Daniel",
    "Maja",
    "Sean",
    "Elena",
    "Tomasz",
    "Clara",
    "Pieter",
    "Ines",
]
LAST = [
    "Murphy",
    "Schneider",
    "Rossi",
    "Garcia",
    "Dubois",
    "Kowalski",
    "Jansen",
    "Byrne",
    "Novak",
    "Fischer",
    "Moreau",
    "Silva",
    "Walsh",
    "Bauer",
    "Romano",
    "Lopez",
    "Nowak",
    "Visser",
    "Kelly",
    "Lambert",
]
DOMAINS = ["mailbox.ie", "post-mail.de", "courriel.fr", "correo.es", "inbox.pl", "webpost.nl"]
CITIES = ["Dublin", "Berlin", "Lyon", "Madrid", "Warsaw", "Rotterdam", "Milan", "Cork", "Seattle", "Austin"]


def luhn_card(rng: random.Random, prefix: str = "4") -> str:
    digits = [int(c) for c in prefix] + [rng.randrange(10) for _ in range(15 - len(prefix))]
    total = 0
    for i, d in enumerate(reversed(digits)):
        d = d * 2 if i % 2 == 0 else d
        total += d - 9 if d > 9 else d
    digits.append((10 - total % 10) % 10)
    s = "".join(map(str, digits))
    return f"{s[:4]} {s[4:8]} {s[8:12]} {s[12:]}"


def iban(rng: random.Random, country: str = "DE", length: int = 18) -> str:
    bban = "".join(str(rng.randrange(10)) for _ in range(length))
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(numeric) % 97
    return f"{country}{check:02d}{bban}"


def person(rng: random.Random) -> dict[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return {
        "first": first,
        "last": last,
        "name": f"{first} {last}",
        "email": f"{first.lower()}.{last.lower()}{rng.randrange(100)}@{rng.choice(DOMAINS)}",
        "phone": f"+353 87 {rng.randrange(100, 999)} {rng.randrange(1000, 9999)}",
        "city": rng.choice(CITIES),
    }


ERASED = 33  # the person whose erasure the demo's DSR log records as completed (privmap locate, DSR-002)


def build(dest: Path, seed: int = 2018) -> Path:
    """Write the estate under `dest` and return the path of its config."""
    rng = random.Random(seed)
    dest.mkdir(parents=True, exist_ok=True)
    people = [person(rng) for _ in range(60)]

    folders = ("uploads-eu", "uploads-us", "weblogs", "exports", "transcode-cache")
    eu, us, logs, exports, cache = (dest / d for d in folders)
    for folder in (eu, us, logs, exports, cache):
        folder.mkdir(exist_ok=True)
    for i, p in enumerate(people[:6]):
        (eu / f"caption-{i:03d}.txt").write_text(
            f"Photo shoot in {p['city']} with {p['name']}. Contact: {p['email']} or {p['phone']}.\n", encoding="utf-8"
        )
    (eu / "gallery-manifest.json").write_text(
        json.dumps(
            {"album": "Summer", "assets": [{"id": f"img{i}", "width": 1920, "height": 1080} for i in range(20)]}
        ),
        encoding="utf-8",
    )
    Image.frombytes("L", (32, 16), bytes(rng.randrange(256) for _ in range(512))).save(eu / "logo.png")
    (us / "model-release.txt").write_text(
        f"I, {people[10]['name']}, living in {people[10]['city']}, consent to the publication of my image.\n"
        f"Signed by {people[10]['name']} ({people[10]['email']}).\n",
        encoding="utf-8",
    )
    (cache / "job-0042-subtitles.srt").write_text(
        "".join(
            f"{i}\n00:00:0{i},000 --> 00:00:0{i + 1},000\n{p['name']}: send the cut to {p['email']}\n\n"
            for i, p in enumerate(people[12:15], 1)
        ),
        encoding="utf-8",
    )
    (us / "transcode-settings.json").write_text(json.dumps({"codec": "h264", "bitrate": 4000}), encoding="utf-8")

    lines = []
    for i in range(400):
        ip = f"{rng.randrange(11, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        user = rng.choice(people)["email"] if i % 5 == 0 else "-"
        lines.append(
            f'{ip} - {user} [12/Mar/2024:10:{i % 60:02d}:00 +0000] "GET /v1/assets/{i} HTTP/1.1" 200 '
            f"{rng.randrange(9999)}"
        )
    (logs / "access-2024-03-12.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (logs / "incident-2025-01").mkdir(exist_ok=True)
    (logs / "incident-2025-01" / "access-2025-01-17.log").write_text("\n".join(lines[:40]) + "\n", encoding="utf-8")
    # the files' ages are what the retention checks read: the logs are as old as the days they record
    for path, day in (
        (logs / "access-2024-03-12.log", dt.datetime(2024, 3, 13, tzinfo=dt.UTC)),
        (logs / "incident-2025-01" / "access-2025-01-17.log", dt.datetime(2025, 1, 18, tzinfo=dt.UTC)),
    ):
        os.utime(path, (day.timestamp(), day.timestamp()))
    (logs / "build-info.txt").write_text("service=media-api version=4.2.1 commit=9f3e2a1\n", encoding="utf-8")

    rows = ["email,full_name,phone,signup_city"] + [
        f"{p['email']},{p['name']},{p['phone']},{p['city']}" for p in people[20:50]
    ]
    (exports / "newsletter-leads.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")

    crm = dest / "crm.sqlite"
    crm.unlink(missing_ok=True)
    with closing(sqlite3.connect(crm)) as db:
        db.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT, email TEXT, company TEXT, created TEXT)")
        db.execute("CREATE TABLE billing (account_id INTEGER, card_number TEXT, iban TEXT, amount_eur REAL)")
        db.execute("CREATE TABLE contacts (account_id INTEGER, phone TEXT, city TEXT, notes TEXT)")
        db.execute("CREATE TABLE plans (code TEXT, monthly_eur REAL)")
        for i, p in enumerate(people):
            db.execute(
                "INSERT INTO accounts VALUES (?,?,?,?,?)",
                # sign-ups over nine years: the newsletter's retention rule is judged on these dates
                (i, p["name"], p["email"], "Studio " + p["last"], f"{2017 + i % 9}-{1 + i % 12:02d}-{1 + i % 28:02d}"),
            )
            db.execute("INSERT INTO billing VALUES (?,?,?,?)", (i, luhn_card(rng), iban(rng), rng.randrange(10, 500)))
            db.execute(
                "INSERT INTO contacts VALUES (?,?,?,?)", (i, p["phone"], p["city"], f"Call {p['first']} after 5pm")
            )
        db.executemany("INSERT INTO plans VALUES (?,?)", [("free", 0), ("plus", 89), ("advanced", 224)])
        # an erasure request carried out in the CRM only: the export and the logs still hold her
        for table, column in (("accounts", "id"), ("billing", "account_id"), ("contacts", "account_id")):
            db.execute(f"DELETE FROM {table} WHERE {column} = ?", (ERASED,))
        db.commit()
    erased = people[ERASED]
    (dest / "erasure-log.csv").write_text(
        "subject,kind,value,erased_on\n"
        f"DSR-2026-031,email,{erased['email']},2026-10-01\nDSR-2026-031,phone,{erased['phone']},2026-10-01\n",
        encoding="utf-8",
    )

    config = dest / "privmap.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    return config


CONFIG = """\
# privmap demo: a media SaaS (controller for its own customers, processor for their uploads)
# that promises storage in the EU and the US. Paths are relative to this file.
version: 1
organization:
  name: Pixelcloud Media Ltd
  country: IE
  address: 1 Harbour Square, Dublin 2, Ireland
  contact: privacy@pixelcloud.example
  dpo: {name: Dana Quinn, email: dpo@pixelcloud.example}
  # California customers: the US site discloses newsletter data to the US subsidiary for its own
  # marketing (Shine the Light), and analytics data to Google with ads features on (a "sharing")
  california:
    limit_use_link: https://pixelcloud.example/privacy/limit-use
    shine_the_light:
      contact: california-privacy@pixelcloud.example
      disclosures:
        - {year: 2025, recipient: Pixelcloud Inc, address: "500 Market St, San Francisco, CA",
           categories: [user.name, user.contact.email]}
store: {path: .privmap/state.db}
scan: {rows_per_table: 500, max_bytes_per_object: 2MB}
# erasures recorded as completed: every scan checks they are no longer found (DSR-002)
dsr: {erased_list: erasure-log.csv}
sources:
  - {name: uploads-eu, type: local, region: eu-west-1, role: processor, uploads: true, options: {path: uploads-eu}}
  - {name: uploads-us, type: local, region: us-east-1, role: processor, uploads: true, options: {path: uploads-us}}
  - {name: crm, type: sqlite, region: eu-west-1, role: controller, options: {path: crm.sqlite}}
  - {name: web-logs, type: local, region: us-east-1, role: controller, logs: true, options: {path: weblogs}}
  # an export folder nobody declared: the scan finds it holds contact data
  - {name: exports, type: local, region: eu-central-1, options: {path: exports}}
  # a transcoding cache left in Singapore, outside the "EU and US" of the privacy notice
  - {name: transcode-cache, type: local, region: ap-southeast-1, role: processor, options: {path: transcode-cache}}
  # Google Cloud Storage (pip install 'privmap[gcs]'): every bucket of a project, each at its location
  # - {name: media-gcp, type: gcs, role: processor, uploads: true, options: {project: pixelcloud-media}}
inventory:
  storage_locations: [EEA, US]   # "we store and process information within the EU and in the US"
  affiliates:
    # runs the US site; self-certified to the Privacy Shield in 2018 and never moved to the DPF or SCCs;
    # it also mails its own offers to the newsletter list
    - {name: Pixelcloud Inc, country: US, relationship: subsidiary, accounts: ["111122223333"],
       transfer_mechanism: privacy_shield, own_purposes: [marketing.communications.email]}
    - {name: Pixelcloud Israel Ltd, country: IL, relationship: sister, intra_group_agreement: true}
  recipients:
    - {name: PayFlow, kind: processor, country: US, purpose: payment processing,
       transfer_mechanism: dpf, dpf_certified: true, dpa_signed_on: 2023-09-01}
    - {name: MailRelay, kind: processor, country: US, purpose: email delivery,
       transfer_mechanism: scc_2021_m2, dpa_signed_on: 2021-10-04}
    # Google Signals is on: Google uses the data for its own advertising too
    - {name: Google Analytics, kind: processor, country: US, purpose: web analytics, transfer_mechanism: dpf,
       own_purposes: [marketing.advertising]}
    - {name: HelpDeskly, kind: processor, country: IE, purpose: customer support, dpa_signed_on: 2022-02-14}
    - {name: CallBridge, kind: sub_processor, processor_of: HelpDeskly, country: US, purpose: support telephony}
    - {name: FrameWorks, kind: sub_processor, country: IE, purpose: video transcoding, dpa_signed_on: 2023-05-02}
  transfers:
    # the US storage is run by the US subsidiary, under its Privacy Shield certification
    - {source: uploads-us, recipient: Pixelcloud Inc, data_categories: [user.content, user.name]}
    - {source: web-logs, recipient: Pixelcloud Inc, data_categories: [user.device]}
  controllers:  # customers whose uploads we host: one Art. 30(2) processor record each
    - {name: Studio Nord GmbH, country: DE, contact: privacy@studionord.example, contract: DPA v3 signed 2024-02-01,
       sub_processors: [FrameWorks]}
    - {name: Lumen Weddings SARL, country: FR, contact: hello@lumen-weddings.example,
       dpo: {name: Camille Roux, email: dpo@lumen-weddings.example}, contract: DPA v3 signed 2024-06-12}
  # retention per data category, for activities without a rule of their own
  retention:
    - {category: user.contact.email, period: P3Y, from: last_activity, text: 3 years after the last interaction}
  legal_holds:
    - {store: web-logs, prefixes: [incident-2025-01/], reason: "incident INC-2025-014 under investigation",
       until: 2027-06-30}
  activities:
    # three activities share the CRM database: each scopes itself to its tables
    - name: Customer accounts
      purposes: [essential.service, essential.service.authentication]
      lawful_basis: contract
      data_subjects: [customer]
      data_categories: [user.name, user.contact]
      stores: [crm]
      scopes: [{store: crm, tables: [accounts, contacts]}]
      recipients: [HelpDeskly, Pixelcloud Israel Ltd]
      retention: {period: P90D, from: end_of_relationship, text: life of the account + 90 days}
      security_measures: encryption at rest, SSO with MFA for staff, quarterly access review
      owner: Head of Customer Success
      last_reviewed: 2026-02-10
    - name: Billing
      purposes: [essential.service.payment_processing, finance, essential.legal_obligation]
      lawful_basis: contract
      data_subjects: [customer]
      data_categories: [user.name, user.contact.email, user.financial]
      stores: [crm]
      scopes: [{store: crm, tables: [billing, accounts]}]
      recipients: [PayFlow]
      retention: {period: P8Y, from: fiscal_year_end, text: 8 years after the end of the fiscal year (tax law)}
      security_measures: encryption at rest, card data only through PayFlow's hosted fields
      owner: Finance Director
      last_reviewed: 2025-11-20
    # no scope: the newsletter reads e-mail addresses from the accounts table
    - name: Newsletter
      purposes: [marketing.communications.email]
      lawful_basis: consent
      data_subjects: [customer, prospect]
      data_categories: [user.contact.email]
      stores: [crm]
      recipients: [MailRelay, Pixelcloud Inc]
      retention: {period: P2Y, from: created, text: "2 years from sign-up, then renewed consent or deletion"}
      owner: Marketing Lead
    - name: Web analytics and security logs
      purposes: [analytics.reporting, essential.service.security]
      lawful_basis: legitimate_interests
      data_subjects: [visitor, customer]
      data_categories: [user.device.ip_address]
      stores: [web-logs]
      recipients: [Google Analytics]
      retention: {period: P13M, from: created, text: 13 months from the request}
      owner: Head of Security
      last_reviewed: 2024-09-30
    - name: Media hosting for customers
      role: processor
      controller: each customer (tenant), under the subscription agreement
      purposes: [essential.service, functional.storage]
      data_subjects: [customer_end_user, depicted_person]
      data_categories: [user.content, user.name, user.contact]
      stores: [uploads-eu, uploads-us, transcode-cache]
      recipients: [Pixelcloud Inc, FrameWorks]
      retention: {period: P30D, from: end_of_relationship, text: deleted within 30 days of contract end}
      security_measures: per-tenant encryption keys, signed URLs for delivery
      owner: VP Platform
      last_reviewed: 2026-03-02
"""
