"""A software error's recorded reason: readable, without instrument or host addresses, and no
traceback among the run's evidence (the developers' log keeps it)."""

from __future__ import annotations

import pytest
from procedure_fakes import Bench, run

from procedures.context import StepContext
from procedures.engine import Procedure
from procedures.redaction import PLACEHOLDER, redact_addresses


@pytest.mark.parametrize(
    "address",
    [
        "TCPIP::10.1.2.3::5025::SOCKET",
        "TCPIP0::bench-7.lab::INSTR",
        "ASRL/dev/pts/4::INSTR",
        "/dev/ttyUSB0",
        "/dev/pts/12",
        "COM3",
        "socket://bench-7:5025",
        "192.168.10.21:5555",
        "localhost:5050",
    ],
)
def test_addresses_are_redacted(address: str) -> None:
    text = f"no reply from {address}, giving up"
    redacted = redact_addresses(text)
    assert address not in redacted
    assert redacted == f"no reply from {PLACEHOLDER}, giving up"


def test_plain_words_and_numbers_are_kept() -> None:
    text = "software error: KeyError: 'voltage_rested' at 4.2 V after 3 s (step 2)"
    assert redact_addresses(text) == text


def test_software_error_reason_has_no_address_and_no_traceback_evidence() -> None:
    def broken(ctx: StepContext) -> None:
        raise ValueError("unexpected reply from TCPIP::10.1.2.3::5025::SOCKET")

    result, recorder = run(Procedure("diag", "1", [broken]), Bench())
    step = recorder.steps[0]
    assert step.message == f"software error: ValueError: unexpected reply from {PLACEHOLDER}"
    assert "10.1.2.3" not in result.outcome.message
    assert step.attachments == []
