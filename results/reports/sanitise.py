"""Instrument addresses are the bench's business, never a customer's.

Step messages (why a step was skipped or errored) are written by drivers and procedures for the
bench, and may quote a VISA resource (``TCPIP::127.0.0.1::5025::SOCKET``), a host, a port, a
serial device or a database URL. The report renders every such free text through ``customer_text``
(a second line of defence behind the messages' own wording), and the consistency check
(``results.reports.consistency``) uses the same patterns to prove none is left.
"""

from __future__ import annotations

import re

WITHHELD = "[instrument]"

LEAKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "resource string",
        re.compile(r"\b(?:TCPIP|USB|GPIB|ASRL|VXI|PXI|VICP)\d*::[^\s,;)\]'\"]*", re.I),
    ),
    ("url", re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s,;)\]'\"]+", re.I)),
    ("ip address", re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?(?![\d.])")),
    ("host and port", re.compile(r"\b(?:localhost|[A-Za-z][\w-]*(?:\.[\w-]+)+):\d{1,5}\b")),
    ("localhost", re.compile(r"\blocalhost\b", re.I)),
    ("port", re.compile(r"\bport\s*[=:#]?\s*\d{2,5}\b", re.I)),
    ("serial device", re.compile(r"(?:/dev/(?:tty|pts|cu\.)[\w./-]*|\bCOM\d{1,3}\b)")),
)


def leaks(text: str) -> list[tuple[str, str]]:
    """Every (kind, matched text) of an instrument address, host or port found in ``text``."""
    found: list[tuple[str, str]] = []
    for kind, pattern in LEAKS:
        found.extend((kind, m.group(0)) for m in pattern.finditer(text))
    return found


def customer_text(text: str) -> str:
    """``text`` with every instrument address, host and port replaced by ``WITHHELD``."""
    for _, pattern in LEAKS:
        text = pattern.sub(WITHHELD, text)
    return text
