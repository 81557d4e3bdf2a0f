"""The CSV consent ledger's errors name the line and the kind of fault, never the cell they choked on."""

from __future__ import annotations

import pytest

from privmap.consent import CsvLedger, LedgerError


@pytest.mark.parametrize(
    "cell",
    ["jan.kowalski@przyklad.pl", "María José Carrasco", "+49 30 901820", "30/11/2026 aujourd'hui"],
)
def test_a_cell_that_is_no_time_is_described_not_quoted(tmp_path, cell):
    ledger = tmp_path / "consents.csv"
    ledger.write_text(
        f'consent_id,purpose,given_at,withdrawn_at\nc-1,marketing,2026-01-02T00:00:00Z,\nc-2,marketing,"{cell}",\n',
        encoding="utf-8",
    )
    with pytest.raises(LedgerError) as info:
        CsvLedger(ledger)
    message = str(info.value)
    assert message.startswith("consent ledger line 3: not an ISO 8601 time (a value of")
    assert cell not in message and cell.split()[0] not in message
