"""Security findings from the data itself (Art. 32; PCI DSS): what is stored, judged by its form.

Plaintext passwords and weakly hashed ones (SEC-009), full card numbers (SPC-005) and
government identifiers (SPC-004), per store, from the run's findings. A store passes only
when it was read and holds personal data; stores with no findings are not claimed clean here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from privmap.checks.base import Evidence, Outcome, check
from privmap.detectors.credentials import WEAK_SCHEMES

PLAINTEXT = ("PASSWORD", "CREDENTIAL")


def _where(findings: list[dict[str, Any]]) -> str:
    """`uri field (n)` for each finding, e.g. `postgres://db:5432/crm#public.users password (40)`."""
    return ", ".join(sorted({f"{f['uri']} {f['field']}".strip() + f" ({f['count']})" for f in findings}))


def _scheme(finding: dict[str, Any]) -> str:
    """The hash scheme the detector named in `why` ('column name ...; bcrypt hash')."""
    return finding["why"].rpartition("; ")[2].removesuffix(" hash")


@check("SEC-009")
def plaintext_credentials(ev: Evidence) -> Iterator[Outcome]:
    for (_, store), findings in sorted(ev.findings_by_store().items()):
        plain = [f for f in findings if f["entity"] in PLAINTEXT]
        hashes = [f for f in findings if f["entity"] == "PASSWORD_HASH"]
        weak = [f for f in hashes if _scheme(f) in WEAK_SCHEMES]
        if plain:
            yield Outcome(f"store:{store}", "fail", f"plaintext passwords or credentials in {_where(plain)}")
        elif weak:
            schemes = ", ".join(sorted({_scheme(f) for f in weak}))
            yield Outcome(f"store:{store}", "fail", f"passwords hashed with weak schemes ({schemes}) in {_where(weak)}")
        elif hashes:
            schemes = ", ".join(sorted({_scheme(f) for f in hashes}))
            yield Outcome(f"store:{store}", "pass", f"password columns hold {schemes} hashes: {_where(hashes)}")


@check("SPC-005")
def card_numbers(ev: Evidence) -> Iterator[Outcome]:
    for (_, store), findings in sorted(ev.findings_by_store().items()):
        cards = [f for f in findings if f["entity"] == "CREDIT_CARD"]
        if cards:
            yield Outcome(f"store:{store}", "fail", f"full card numbers (PAN) in {_where(cards)}")
        else:
            yield Outcome(f"store:{store}", "pass", "no card numbers found in the personal data read")


@check("SPC-004")
def government_identifiers(ev: Evidence) -> Iterator[Outcome]:
    for (_, store), findings in sorted(ev.findings_by_store().items()):
        ids = [f for f in findings if f["category"].startswith("user.government_id")]
        if ids:
            kinds = ", ".join(sorted({f["entity"] for f in ids}))
            yield Outcome(f"store:{store}", "fail", f"{kinds} in {_where(ids)}")
        else:
            yield Outcome(f"store:{store}", "pass", "no government identifiers found in the personal data read")
