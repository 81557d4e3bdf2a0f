"""The pattern recognizers: one row per identifier, with its validator and context words.

`core` is the shape of the value, written in the regex subset that both hyperscan and Python
accept (no lookarounds), so one hyperscan database can prefilter every recognizer in one pass;
Python's `re` then confirms each candidate with the boundaries, and the validator decides.
`score` is the confidence of a valid match with no context word near it; weak shapes (nine
digits could be anything) score below the default threshold and need a context word or a
column name to be reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Context words, in English, German, French, Spanish, Italian, Dutch and Polish. Single lower-case
# tokens: text near a candidate and column names are split into such tokens before the lookup.
CONTEXT: dict[str, frozenset[str]] = {
    "EMAIL_ADDRESS": _words("email e-mail mail courriel correo posta adres adresse address"),
    # with the abbreviations people write on letterheads and in signatures (Tél., Ph:, Mob., Tfno.)
    "PHONE_NUMBER": _words(
        "phone ph telephone tel tele mob mobile cell cellphone fax call ring contact whatsapp sms vcard "
        "telefon telefonnummer tel-nr handy mobil fon rufnummer anrufen "
        "téléphone tél portable port appeler joindre "
        "teléfono telefono tfno telf tlf móvil movil celular cel llamar "
        "cellulare cell chiamare "
        "telefoon mobiel gsm bellen "
        "telefonu tel. komórka komorka kom zadzwoń "
        "telemóvel telemovel telefone"
    ),
    "CREDIT_CARD": _words(
        "card credit debit visa mastercard amex cc pan payment "
        "karte kreditkarte zahlung carte crédit credit paiement cb "
        "tarjeta crédito pago carta pagamento kaart creditcard betaling karta kredytowa płatność"
    ),
    "IBAN_CODE": _words("iban account bank konto bankverbindung compte rib cuenta conto rekening rachunek conta"),
    "IP_ADDRESS": _words("ip ipv4 ipv6 address host client remote addr src dst source adresse ip_address"),
    "US_SSN": _words("ssn social security ss#"),
    "US_ITIN": _words("itin taxpayer tax"),
    "US_PASSPORT": _words("passport passeport reisepass pass pasaporte passaporto paspoort paszport"),
    "US_DRIVER_LICENSE": _words(
        "driver driver's drivers driving license licence dl lic permit "
        "führerschein fuhrerschein permis conduire licencia conducir patente guida rijbewijs prawo jazdy"
    ),
    "UK_NINO": _words("nino national insurance ni"),
    "UK_NHS": _words("nhs health patient"),
    "DE_TAX_ID": _words(
        "steuer-id steueridentifikationsnummer steuerid idnr identifikationsnummer steuernummer tin tax"
    ),
    "FR_NIR": _words("nir sécurité securite sociale sécu secu insee assuré assure"),
    "ES_NIF": _words("dni nif documento identidad"),
    "ES_NIE": _words("nie extranjero extranjería identidad"),
    "IT_FISCAL_CODE": _words("codice fiscale cf"),
    "NL_BSN": _words("bsn burgerservicenummer sofinummer sofi"),
    "PL_PESEL": _words("pesel"),
    "GPS_COORDINATES": _words("gps latitude longitude lat lon lng coordinates geo geolocation location position"),
    "EU_VAT": _words("vat ust ust-idnr umsatzsteuer tva iva btw nip moms alv dph dic p.iva"),
    # a date is personal data when it is someone's birth date: 'DOB', 'Geburtsdatum', 'née le'
    "DATE_OF_BIRTH": _words(
        "dob d.o.b birth birthdate birthday born bday "
        "geburtsdatum geburtstag geb geboren gebdat "
        "né née nee naissance "
        "nacimiento nacido nacida nac "
        "nascita nato nata "
        "geboortedatum geb.datum "
        "urodzenia urodzony urodzona urodz "
        "nascimento nascido nascida"
    ),
}


@dataclass(frozen=True)
class Recognizer:
    entity: str
    core: str  # the value's shape: no lookarounds (hyperscan and Python both compile it)
    score: float  # confidence of a valid match without context
    validator: str | None = None  # a name in validators.VALIDATORS, or "phone", "iban"
    max_len: int = 40  # longest match, so the Python regex only runs near prefilter hits
    before: str = r"(?<![\w@.+-])"  # boundaries checked by Python only
    after: str = r"(?![\w@]|[.-]\w)"
    context: frozenset[str] = field(default=frozenset())
    # the value's shape for Python when it is wider than hyperscan's byte-level `core` can say
    # (Unicode letters); `core` must then match a superset of it
    confirm: str | None = None

    def regex(self) -> re.Pattern[str]:
        return re.compile(f"{self.before}(?:{self.confirm or self.core}){self.after}")

    def with_context(self) -> Recognizer:
        return Recognizer(**{**self.__dict__, "context": CONTEXT.get(self.entity, frozenset())})


_DOMAIN = r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}"
# between digit groups people type one space or hyphen, but also dots, slashes, two spaces or ' - ';
# the validators decide (a card's groups use one separator throughout)
_GROUP_SEP = r"(?:[ ./-]|  | - | / )?"
_MONTHS = (
    "jan|january|feb|february|mar|march|apr|april|may|jun|june|jul|july|aug|august|sep|sept|september|oct|october|"
    "nov|november|dec|december|janvier|février|fevrier|févr|mars|avril|avr|mai|juin|juillet|juil|août|aout|"
    "septembre|octobre|novembre|décembre|decembre|januar|jänner|februar|märz|maerz|juni|juli|oktober|okt|dezember|"
    "dez|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre|ene|"
    "abr|ago|dic|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|gen|mag|giu|lug|ott|"
    "januari|februari|maart|mei|augustus|stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|września|"
    "wrzesnia|października|pazdziernika|listopada|grudnia|janeiro|fevereiro|março|marco|maio|junho|julho|"
    "setembro|outubro|novembro|dezembro|fev|out"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th|er|º|o|\.)?"
RECOGNIZERS: tuple[Recognizer, ...] = tuple(
    r.with_context()
    for r in (
        Recognizer(
            "EMAIL_ADDRESS",
            # local parts may hold any letter (RFC 6531: 'anna.müller@...'); hyperscan reads bytes,
            # so its shape takes any non-ASCII byte there and Python's takes letters
            r"[A-Za-z0-9\x80-\xff][A-Za-z0-9._%+\x80-\xff-]*" + _DOMAIN,
            0.9,
            max_len=254,
            before=r"(?<![\w.%+-])",
            after=r"(?![\w-]|\.[A-Za-z0-9])",
            confirm=r"[^\W_][\w.%+-]*" + _DOMAIN,
        ),
        Recognizer(
            "IP_ADDRESS",
            r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}",
            0.75,
            "ip",
            max_len=15,
            before=r"(?<![\w.])",
            after=r"(?![\w]|\.\d)",
        ),
        Recognizer(
            "IP_ADDRESS",
            r"(?:[0-9A-Fa-f]{1,4}:){2,7}:?[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){1,7}:",
            0.75,
            "ip",
            max_len=45,
            before=r"(?<![\w:.])",
            after=r"(?![\w:])",
        ),
        Recognizer("CREDIT_CARD", rf"\d(?:{_GROUP_SEP}\d){{12,18}}", 0.9, "luhn", max_len=19 * 4),
        Recognizer(
            "IBAN_CODE", rf"[A-Za-z]{{2}}\d{{2}}(?:{_GROUP_SEP}[A-Za-z0-9]){{11,30}}", 0.95, "iban", max_len=34 * 4
        ),
        Recognizer(
            "PHONE_NUMBER",
            r"(?:\+|00)?(?:\(\+?\d{1,4}\)|\d{1,5})(?:[ .\/-]{0,2}(?:\(0\)|\(\d{1,5}\)|\d{1,6})){1,7}",
            0.0,  # scored by the phone validator
            "phone",
            max_len=30,
            # glued to a label ('Phone:+1...', 'tel:+33...', vCard 'TEL;TYPE=cell:+49...'), never to
            # digits ('12:30', IPv6) or inside a longer number
            before=r"(?<![\w@.+/-])(?<![\d:]:)",
            after=r"(?![\w@/]|[.:-]\w)",
        ),
        Recognizer("US_SSN", r"\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4}|\d{3}\.\d{2}\.\d{4}", 0.6, "ssn", max_len=11),
        Recognizer("US_SSN", r"\d{9}", 0.2, "ssn", max_len=9),
        Recognizer("US_ITIN", r"9\d{2}[ -]?[5-9]\d[ -]?\d{4}", 0.6, "itin", max_len=11),
        Recognizer("US_PASSPORT", r"[A-Z]?\d{8,9}", 0.2, "passport", max_len=10),
        Recognizer(
            "US_DRIVER_LICENSE",
            r"[A-Z]{1,2}\d{5,14}|[A-Z]\d{3}-\d{3,4}-\d{3,4}(?:-\d{1,3})?|\d{7,12}|\d{3,4}-\d{2,3}-\d{4}",
            0.2,
            "driver_license",
            max_len=20,
        ),
        Recognizer(
            "UK_NINO", r"[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]|[A-Z]{2}-\d{2}-\d{2}-\d{2}-[A-D]", 0.6, "nino", max_len=13
        ),
        Recognizer("UK_NHS", r"\d{3}[ -]?\d{3}[ -]?\d{4}", 0.3, "nhs", max_len=12),
        Recognizer("DE_TAX_ID", r"\d{2} ?\d{3} ?\d{3} ?\d{3}|\d{11}", 0.35, "idnr", max_len=14),
        Recognizer(
            "FR_NIR",
            r"[12] ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}",
            0.75,
            "nir",
            max_len=21,
        ),
        Recognizer("ES_NIF", r"\d{8}-?[A-Z]", 0.8, "dni", max_len=10),
        Recognizer("ES_NIE", r"[XYZ]-?\d{7}-?[A-Z]", 0.85, "nie", max_len=11),
        Recognizer(
            "IT_FISCAL_CODE",
            r"[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]",
            0.95,
            "codicefiscale",
            max_len=16,
        ),
        Recognizer("NL_BSN", r"\d{9}|\d{4}\.\d{2}\.\d{3}", 0.3, "bsn", max_len=11),
        Recognizer("PL_PESEL", r"\d{11}", 0.4, "pesel", max_len=11),
        Recognizer(
            "EU_VAT",
            r"(?:AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI)"
            r" ?[0-9A-Z](?:[ .]?[0-9A-Z]){7,13}",
            0.8,
            "vat",
            max_len=24,
        ),
        # dates scored low: only a birth-date word or column name makes one a DATE_OF_BIRTH
        Recognizer(
            "DATE_OF_BIRTH",
            r"\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})|\d{4}[./-]\d{1,2}[./-]\d{1,2}",
            0.3,
            "date",
            max_len=10,
            before=r"(?<![\w.+/:-])",
            after=r"(?![\w/]|[.:-]\d)",
        ),
        Recognizer(
            "DATE_OF_BIRTH",
            rf"(?i:{_DAY}\s?(?:de\s|of\s)?(?:{_MONTHS})\.?,?\s(?:de\s)?\d{{4}}|(?:{_MONTHS})\.?\s{_DAY},?\s\d{{4}})",
            0.3,
            "date",
            max_len=40,
            before=r"(?<![\w.])",
            after=r"(?![\w])",
        ),
        # decimal degrees "lat, lon" (how media metadata is handed over: extractors/media.py); weak alone
        Recognizer("GPS_COORDINATES", r"[+-]?\d{1,2}\.\d{4,8}, ?[+-]?\d{1,3}\.\d{4,8}", 0.3, "gps", max_len=30),
        Recognizer("URL", r"(?:https?://|www\.)[^\s<>\"'()]+[^\s<>\"'().,;:!?]", 0.6, None, max_len=2048),
    )
)
