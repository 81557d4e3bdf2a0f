"""A labeled mixed corpus of mails, logs and CSV exports, generated with a fixed seed.

Each record is {"id", "text", "kind", "spans": [{"start", "end", "label"}]}, the format of the
shared labeled sets, so the same scorer reads it. Mails are in English, French, German and
Spanish; phone numbers follow each country's numbering plan; IBANs and cards pass their checksums.
"""

from __future__ import annotations

import json
import random
import unicodedata
from collections.abc import Callable
from pathlib import Path

import phonenumbers
from stdnum import iban, luhn

FIRST = {
    "en": "Aoife Liam Emma Oliver Grace Noah Chloe Jack Sophie Harry Ella Thomas Megan Daniel Ruth".split(),
    "fr": "Camille Louis Chloé Hugo Léa Lucas Manon Julien Inès Mathieu Claire Antoine Élodie".split(),
    "de": "Lukas Anna Jonas Lea Felix Marie Paul Sophie Leon Hannah Jürgen Katrin Stefan".split(),
    "es": "Lucía Hugo Martina Pablo Sofía Alejandro Carmen Javier Elena Diego Marta Sergio".split(),
}
LAST = {
    "en": "Murphy Walsh Byrne Smith Taylor Brown Wilson Evans Hughes Clarke Kelly Doyle".split(),
    "fr": "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Lefèvre".split(),
    "de": "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Hoffmann Schäfer".split(),
    "es": "García Fernández González Rodríguez López Martínez Sánchez Pérez Gómez Ruiz".split(),
}
CITIES = {
    "en": "Dublin Cork London Manchester Leeds Bristol Galway Edinburgh".split(),
    "fr": "Paris Lyon Marseille Toulouse Nantes Bordeaux Lille Strasbourg".split(),
    "de": "Berlin Hamburg München Köln Frankfurt Stuttgart Leipzig Dresden".split(),
    "es": "Madrid Barcelona Valencia Sevilla Bilbao Málaga Zaragoza Granada".split(),
}
REGION = {"en": "IE", "fr": "FR", "de": "DE", "es": "ES"}
DOMAINS = "mailbox.ie post.de orange.fr gmx.net correo.es fastmail.com proton.me web.de".split()
COMPANY = "Harbour Media|Northwind Studios|Lumen Pictures|Blue Fjord Films|Atelier Nord".split("|")
TOPICS = {
    "en": [
        "I attached the signed release for the shoot. Could you confirm the invoice amount before Friday?",
        "The upload failed twice last night, so I sent the files again from the office connection.",
        "We moved the meeting to next week because the studio is booked for the whole day.",
        "Please find the contract below; the payment terms are the same as last year.",
    ],
    "fr": [
        "Je vous envoie le contrat signé pour le tournage. Pouvez-vous confirmer le montant de la facture ?",
        "Le téléversement a échoué deux fois hier soir, j'ai donc renvoyé les fichiers depuis le bureau.",
        "Nous avons déplacé la réunion à la semaine prochaine car le studio est réservé toute la journée.",
    ],
    "de": [
        "Anbei der unterschriebene Vertrag für das Shooting. Können Sie den Rechnungsbetrag bestätigen?",
        "Der Upload ist gestern Abend zweimal fehlgeschlagen, daher habe ich die Dateien erneut gesendet.",
        "Wir haben das Treffen auf nächste Woche verschoben, weil das Studio ganztägig belegt ist.",
    ],
    "es": [
        "Le envío el contrato firmado para el rodaje. ¿Puede confirmar el importe de la factura?",
        "La subida falló dos veces anoche, así que volví a enviar los archivos desde la oficina.",
        "Hemos movido la reunión a la semana que viene porque el estudio está reservado todo el día.",
    ],
}
WORDS = {
    "en": ("Hi", "Best regards", "Phone", "You can reach me on", "I am travelling to", "next week with"),
    "fr": ("Bonjour", "Cordialement", "Tél.", "Vous pouvez me joindre au", "Je pars à", "la semaine prochaine avec"),
    "de": ("Hallo", "Viele Grüße", "Tel.", "Sie erreichen mich unter", "Ich reise nach", "nächste Woche mit"),
    "es": ("Hola", "Saludos", "Tel.", "Puede llamarme al", "Viajo a", "la semana que viene con"),
}


def ascii_mail(first: str, last: str, domain: str) -> str:
    local = unicodedata.normalize("NFKD", f"{first}.{last}".lower()).encode("ascii", "ignore").decode()
    return f"{local}@{domain}"


class Doc:
    """A text built piece by piece, remembering where each labeled value went."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.spans: list[dict[str, object]] = []

    def add(self, text: str, label: str | None = None) -> Doc:
        if label:
            self.spans.append({"start": self.size, "end": self.size + len(text), "label": label})
        self.parts.append(text)
        self.size += len(text)
        return self

    def record(self, rid: str, kind: str) -> dict[str, object]:
        return {"id": rid, "kind": kind, "text": "".join(self.parts), "spans": self.spans}


def phone(rng: random.Random, region: str, international: bool) -> str:
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    national = str(example.national_number)
    for _ in range(50):
        candidate = national[:-4] + f"{rng.randrange(10000):04d}"
        number = phonenumbers.parse(candidate, region)
        if phonenumbers.is_valid_number(number):
            break
    fmt = phonenumbers.PhoneNumberFormat.INTERNATIONAL if international else phonenumbers.PhoneNumberFormat.NATIONAL
    return phonenumbers.format_number(number, fmt)


def make_iban(rng: random.Random) -> str:
    for _ in range(1000):
        country, digits = rng.choice([("DE", 18), ("NL", 10), ("GB", 14), ("IE", 14)])
        bank = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4)) if country in "NLGBIE" else ""
        bban = bank + "".join(str(rng.randrange(10)) for _ in range(digits))
        number = country + iban.calc_check_digits(country + "00" + bban) + bban
        if iban.is_valid(number):
            return " ".join(number[i : i + 4] for i in range(0, len(number), 4)) if rng.random() < 0.5 else number
    raise RuntimeError("no valid IBAN generated")


def card(rng: random.Random) -> str:
    prefix = rng.choice(["4", "51", "52", "55"])
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(15 - len(prefix)))
    number = body + luhn.calc_check_digit(body)
    return " ".join(number[i : i + 4] for i in range(0, 16, 4)) if rng.random() < 0.5 else number


def ip(rng: random.Random) -> str:
    """A public unicast IPv4 address (no loopback, multicast or reserved block)."""
    first = rng.choice([n for n in range(1, 224) if n not in (10, 127)])
    return ".".join([str(first), *(str(rng.randrange(1, 255)) for _ in range(3))])


def mail(rng: random.Random) -> Doc:
    lang = rng.choices(["en", "fr", "de", "es"], weights=[6, 2, 1, 1])[0]
    hi, bye, tel, reach, travel, with_ = WORDS[lang]
    sender = (rng.choice(FIRST[lang]), rng.choice(LAST[lang]))
    to = (rng.choice(FIRST[lang]), rng.choice(LAST[lang]))
    other = f"{rng.choice(FIRST[lang])} {rng.choice(LAST[lang])}"
    address = ascii_mail(*sender, rng.choice(DOMAINS))
    d = Doc().add("From: ").add(f"{sender[0]} {sender[1]}", "PERSON").add(" <").add(address, "EMAIL_ADDRESS")
    d.add(">\nTo: ").add(ascii_mail(to[0], to[1], rng.choice(DOMAINS)), "EMAIL_ADDRESS")
    d.add(f"\nDate: Tue, {rng.randrange(1, 28)} May 2025 10:{rng.randrange(60):02d}:00 +0200\n")
    d.add(f"Subject: {rng.choice(['Contract', 'Invoice', 'Upload', 'Shoot'])} {rng.randrange(100, 999)}\n\n")
    d.add(f"{hi} ").add(to[0], "PERSON").add(",\n\n")
    for _ in range(rng.randrange(2, 5)):
        d.add(rng.choice(TOPICS[lang]) + " ")
    d.add(f"{travel} ").add(rng.choice(CITIES[lang]), "LOCATION").add(f" {with_} ").add(other, "PERSON").add(".\n")
    if rng.random() < 0.3:
        d.add("IBAN: ").add(make_iban(rng), "IBAN_CODE").add("\n")
    if rng.random() < 0.15:
        d.add("Card: ").add(card(rng), "CREDIT_CARD").add("\n")
    d.add(f"{reach} ").add(phone(rng, REGION[lang], rng.random() < 0.5), "PHONE_NUMBER").add(".\n\n")
    d.add(f"{bye},\n").add(f"{sender[0]} {sender[1]}", "PERSON").add(f"\n{rng.choice(COMPANY)}\n{tel} ")
    d.add(phone(rng, REGION[lang], True), "PHONE_NUMBER").add("\n")
    return d


def log(rng: random.Random) -> Doc:
    d = Doc()
    for n in range(rng.randrange(80, 160)):
        ts = f"2025-05-{rng.randrange(1, 28):02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:{n % 60:02d}Z"
        kind = rng.random()
        if kind < 0.6:
            d.add(ip(rng), "IP_ADDRESS").add(f' - - [{ts}] "GET /api/v2/media/{rng.randrange(10**6)}/thumb HTTP/1.1" ')
            d.add(
                f'{rng.choice([200, 200, 304, 404])} {rng.randrange(100, 90000)} "-" '
                '"Mozilla/5.0 (X11; Linux x86_64)"\n'
            )
        elif kind < 0.85:
            lang = rng.choice(list(FIRST))
            user = ascii_mail(rng.choice(FIRST[lang]), rng.choice(LAST[lang]), rng.choice(DOMAINS))
            d.add(f"{ts} INFO auth: login ok user=").add(user, "EMAIL_ADDRESS").add(" src=").add(ip(rng), "IP_ADDRESS")
            d.add(f" session={rng.randrange(16**12):012x}\n")
        else:
            d.add(f"{ts} WARN worker-{rng.randrange(8)}: job {rng.randrange(10**5)} retry {rng.randrange(1, 4)}/3 ")
            d.add(f"after timeout ({rng.randrange(1000, 30000)} ms), queue depth {rng.randrange(500)}\n")
    return d


def export(rng: random.Random) -> Doc:
    d = Doc().add("id,first_name,last_name,email,phone,city,plan,signup_date,iban\n")
    for n in range(rng.randrange(60, 140)):
        lang = rng.choice(list(FIRST))
        first, last = rng.choice(FIRST[lang]), rng.choice(LAST[lang])
        d.add(f"{1000 + n},").add(first, "PERSON").add(",").add(last, "PERSON").add(",")
        d.add(ascii_mail(first, last, rng.choice(DOMAINS)), "EMAIL_ADDRESS").add(",")
        d.add(phone(rng, REGION[lang], True), "PHONE_NUMBER").add(",").add(rng.choice(CITIES[lang]), "LOCATION")
        d.add(f",{rng.choice(['free', 'pro', 'team'])},2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 28):02d},")
        d.add(make_iban(rng).replace(" ", ""), "IBAN_CODE").add("\n")
    return d


KINDS: dict[str, tuple[Callable[[random.Random], Doc], float]] = {
    "mail": (mail, 0.4),
    "log": (log, 0.35),
    "csv": (export, 0.25),
}


def generate(size: int = 1_000_000, seed: int = 20250501) -> list[dict[str, object]]:
    """Records of each kind until each holds its share of `size` characters."""
    rng = random.Random(seed)
    records = []
    for kind, (make, share) in KINDS.items():
        total = 0
        while total < size * share:
            record = make(rng).record(f"mixed:{kind}:{len(records)}", kind)
            total += len(str(record["text"]))
            records.append(record)
    rng.shuffle(records)
    return records


TOKENS = "ok done retry queued 200 404 sent open closed pending yes no null true false n/a tbd".split()
PHRASES = [
    "user logged in from web",
    "payment ok",
    "search: cheap flights to the coast",
    "open ticket {n}",
    "cache miss for key {h}",
    "order {n} shipped",
    "password reset requested",
    "export finished in {n} ms",
    "item {n} moved to archive",
]


def caseless_line(rng: random.Random, d: Doc) -> None:
    """One short line of text typed without capitals: mostly tokens and log phrases, and now and
    then a name that a cue makes findable (a greeting, a title, a known given name and surname,
    'my name is'): the 5.4 MB file of 700,000 such lines that once took 201 s."""
    kind = rng.random()
    if kind < 0.45:
        d.add(rng.choice(TOKENS) if rng.random() < 0.6 else f"{rng.randrange(16**6):06x}")
    elif kind < 0.9:
        d.add(rng.choice(PHRASES).format(n=rng.randrange(10**5), h=f"{rng.randrange(16**8):08x}"))
    else:
        lang = rng.choice(list(FIRST))
        first, last = rng.choice(FIRST[lang]).lower(), rng.choice(LAST[lang]).lower()
        form = rng.randrange(4)
        if form == 0:
            d.add("hi ").add(first, "PERSON").add(", see you at ten")
        elif form == 1:
            d.add("dear mr ").add(last, "PERSON").add(",")
        elif form == 2:
            d.add("please call ").add(f"{first} {last}", "PERSON").add(" tomorrow")
        else:
            d.add("my name is ").add(f"{first} {last}", "PERSON")
    d.add("\n")


def caseless(size: int = 500_000, seed: int = 20250502, chunk: int = 20_000) -> list[dict[str, object]]:
    """Records of about `chunk` characters (a scan's chunk) of short lines typed without capitals."""
    rng = random.Random(seed)
    records: list[dict[str, object]] = []
    total = 0
    while total < size:
        d = Doc()
        while d.size < chunk:
            caseless_line(rng, d)
        records.append(d.record(f"caseless:{len(records)}", "caseless"))
        total += d.size
    return records


def write(path: Path, size: int = 1_000_000, make: Callable[[int], list[dict[str, object]]] = generate) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for record in make(size):
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


if __name__ == "__main__":
    import sys

    print(write(Path(sys.argv[1] if len(sys.argv) > 1 else "mixed.jsonl")))
