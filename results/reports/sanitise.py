"""Instrument addresses are the bench's business, never a customer's.

Step messages (why a step was skipped or errored) are written by drivers and procedures for the
bench, and may quote a VISA resource (``TCPIP::127.0.0.1::5025::SOCKET``), a host, a port, a
serial device or a database URL. The report renders every such free text through ``customer_text``
(a second line of defence behind the messages' own wording), and the consistency check
(``results.reports.consistency``) uses ``leaks`` to prove none is left. What an address looks like
is defined once, in ``procedures.redaction``, for these and for the run's recorded reasons.
"""

from __future__ import annotations

from procedures.redaction import find_addresses, redact_addresses

WITHHELD = "[instrument]"


def leaks(text: str) -> list[tuple[str, str]]:
    """Every (kind, matched text) of an instrument address, host or port found in ``text``."""
    return find_addresses(text)


def customer_text(text: str) -> str:
    """``text`` with every instrument address, host and port replaced by ``WITHHELD``."""
    return redact_addresses(text, WITHHELD)
