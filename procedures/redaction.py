"""Instrument addresses taken out of text that people outside the lab read.

A software error's message may quote where an instrument was reached
(``TCPIP::10.1.2.3::5025::SOCKET``, ``/dev/ttyUSB0``, ``socket://bench-7:5025``): useful in the
developers' log, which keeps the full text, but noise at best and an internal host name at worst
in a run's recorded reason, which reaches QA pages and customer reports.
"""

from __future__ import annotations

import re

PLACEHOLDER = "<instrument address>"
_ADDRESSES = re.compile(
    r"""
      \b(?:TCPIP|USB|GPIB|VXI|PXI)\d*::[^\s,;'")]+      # VISA resource strings
    | \bASRL[^\s,;'")]*::INSTR\b
    | \b(?:socket|rfc2217)://[^\s,;'")]+                 # pyserial URLs
    | /dev/(?:tty|pts/)[^\s,;'")]*                       # serial devices, pseudo-terminals
    | \bCOM\d+\b
    | \b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b           # IPv4 addresses, with a port
    | \blocalhost(?::\d{1,5})?\b
    """,
    re.VERBOSE,
)


def redact_addresses(text: str) -> str:
    """``text`` with every instrument or host address replaced by ``<instrument address>``."""
    return _ADDRESSES.sub(PLACEHOLDER, text)
