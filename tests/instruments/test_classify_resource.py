from __future__ import annotations

import pytest

from instruments.errors import TransportError
from instruments.factory import classify_resource, open_transport


@pytest.mark.parametrize(
    "resource",
    [
        "TCPIP::127.0.0.1::5025::SOCKET",
        "TCPIP0::192.168.1.20::inst0::INSTR",
        "tcpip::10.0.0.2::5555::socket",
        "USB0::0x2A8D::0x1302::MY57010123::INSTR",
        "GPIB0::22::INSTR",
        "ASRL/dev/ttyS0::INSTR",
        "ASRL3::INSTR",
    ],
)
def test_visa_resource_strings(resource: str) -> None:
    assert classify_resource(resource) == "visa"


@pytest.mark.parametrize(
    "resource",
    ["/dev/ttyUSB0", "/dev/pts/7", "COM3", "com12", "socket://127.0.0.1:23", "loop://"],
)
def test_serial_ports_and_urls(resource: str) -> None:
    assert classify_resource(resource) == "serial"


@pytest.mark.parametrize(
    "resource",
    ["", "127.0.0.1:5025", "TCPIP::", "/dev/", "COM3x", "http://host", "dmm", " TCPIP::h::INSTR"],
)
def test_anything_else_is_refused(resource: str) -> None:
    assert classify_resource(resource) is None


@pytest.mark.parametrize("resource", ["127.0.0.1:5025", "TCPIP::", "/dev/"])
def test_open_transport_refuses_exactly_what_the_classifier_refuses(resource: str) -> None:
    with pytest.raises(TransportError, match="neither a VISA resource string"):
        open_transport(resource)
