"""Instrument addresses taken out of text that people outside the lab read: the one sanitiser.

A driver's or a store's message may quote where an instrument or a server was reached
(``TCPIP::10.1.2.3::5025::SOCKET``, ``/dev/ttyUSB0``, ``socket://bench-7:5025``, a database URL):
useful in the developers' log, which keeps the full text, but noise at best and an internal host
name at worst in a run's recorded reason, a skipped test's reason or a report, which reach QA
pages and customers. Every such text goes through this module, so there is one list of what an
address looks like:

* ``redact_addresses``: a software error's recorded reason (``<instrument address>``);
* ``procedures.diagnosis.skipped.customer_text``: a skipped test's reason (addresses removed);
* ``results.reports.sanitise``: report text (``[instrument]``) and the report consistency check,
  which uses ``find_addresses`` to prove none is left.
"""

from __future__ import annotations

import re

PLACEHOLDER = "<instrument address>"

ADDRESS_KINDS: tuple[tuple[str, str], ...] = (
    (
        "resource string",
        r"\b(?:(?:TCPIP|USB|GPIB|VXI|PXI|VICP)\d*|ASRL[^\s,;'\")]*?)::[^\s,;)\]'\"]*",
    ),
    ("url", r"\b[a-z][a-z0-9+.-]*://[^\s,;)\]'\"]+"),
    ("ip address", r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?(?![\d.])"),
    ("host and port", r"\b(?:localhost|[A-Za-z][\w-]*(?:\.[\w-]+)+):\d{1,5}\b"),
    ("localhost", r"\blocalhost\b"),
    ("port", r"\bport\s*[=:#]?\s*\d{2,5}\b"),
    ("serial device", r"/dev/[\w./-]+|\bCOM\d{1,3}\b"),
    ("host name", r"\b[\w-]+(?:\.[\w-]+)*\.(?:local|lan|internal)\b"),
)
"""(kind, pattern) of everything that is an address; earlier kinds win where two overlap (a
resource string holds a host, a URL a host and port)."""

_ADDRESSES = re.compile(
    "|".join(f"(?P<k{i}>{pattern})" for i, (_, pattern) in enumerate(ADDRESS_KINDS)),
    re.IGNORECASE,
)


def find_addresses(text: str) -> list[tuple[str, str]]:
    """Every (kind, matched text) of an instrument address, host or port found in ``text``."""
    found: list[tuple[str, str]] = []
    for match in _ADDRESSES.finditer(text):
        group = match.lastgroup or "k0"
        found.append((ADDRESS_KINDS[int(group[1:])][0], match.group(0)))
    return found


def redact_addresses(text: str, placeholder: str = PLACEHOLDER) -> str:
    """``text`` with every instrument or host address replaced by ``placeholder``."""
    return _ADDRESSES.sub(placeholder, text)
