"""One sanitiser: the run's reasons, a skipped test's reason and the report withhold the same
addresses, because all three use ``procedures.redaction``."""

from __future__ import annotations

import pytest

from procedures.diagnosis.skipped import customer_text as skip_reason
from procedures.redaction import PLACEHOLDER, find_addresses, redact_addresses
from results.reports.sanitise import WITHHELD, leaks
from results.reports.sanitise import customer_text as report_text

ADDRESSES = [
    "TCPIP0::bench-7.lab::INSTR",
    "ASRL/dev/pts/4::INSTR",
    "/dev/usbtmc0",
    "socket://bench-7:5025",
    "postgresql://qa@db.example/packbench",
    "10.0.0.12:5025",
    "bench-3.lan",
]


@pytest.mark.parametrize("address", ADDRESSES)
def test_every_reader_of_a_text_withholds_the_same_address(address: str) -> None:
    text = f"no reply from {address} after 2 s"
    assert [found for _, found in find_addresses(text)] == [address]
    assert leaks(text) == find_addresses(text)
    assert redact_addresses(text) == f"no reply from {PLACEHOLDER} after 2 s"
    assert report_text(text) == f"no reply from {WITHHELD} after 2 s"
    assert skip_reason(text) == "no reply from after 2 s"


def test_ordinary_text_is_left_alone_by_all_three() -> None:
    text = "OCP level 28.8 A is outside the E36312A channel 1 rating (0 .. 5 A)"
    assert redact_addresses(text) == report_text(text) == skip_reason(text) == text
