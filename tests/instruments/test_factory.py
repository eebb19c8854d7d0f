"""Factory: transport choice, identification, registry lookup, model and role checks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import instruments.drivers as drivers
from instruments import factory
from instruments.drivers import DRIVERS, find_entry, load_driver, register_driver
from instruments.drivers.keysight_34461a import Keysight34461A
from instruments.errors import SettingOutOfRange, TransportError, UnknownInstrument
from instruments.roles import Multimeter
from instruments.safety import SafetyLimits
from instruments.scpi import ScpiInstrument
from instruments.transport import Transport
from instruments.transports.replay import ReplayTransport
from instruments.transports.serial_port import SerialTransport
from instruments.transports.visa import VisaTransport
from instruments.units import Q_, Quantity

IDN_34465A = "Keysight Technologies,34465A,MY5,A.03"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[ReplayTransport]]:
    """Make ``open_transport`` hand out the next scripted replay instead of opening a port."""
    queue: list[ReplayTransport] = []
    opened: list[tuple[str, dict[str, object]]] = []

    def fake_open(resource: str, **options: object) -> Transport:
        opened.append((resource, options))
        return queue.pop(0)

    monkeypatch.setattr(factory, "open_transport", fake_open)
    yield queue
    for transport in queue:
        transport.assert_finished()


@pytest.mark.parametrize(
    ("model", "driver_name"),
    [
        ("34461A", "Keysight34461A"),
        ("34460A", "Keysight34461A"),
        ("34470A", "Keysight34461A"),
        ("E36312A", "KeysightE36312A"),
        ("DP832", "RigolDP832"),
        ("DP832A", "RigolDP832"),
        ("DL3021", "RigolDL3021"),
        ("DL3021A", "RigolDL3021"),
        ("BT3562", "HiokiBT356x"),
        ("BT3563-01", "HiokiBT356x"),
        ("IT8511", "ItechIT8511"),
    ],
)
def test_registry_resolves_every_listed_model(model: str, driver_name: str) -> None:
    entry = find_entry(model)
    assert entry is not None
    assert load_driver(entry).__name__ == driver_name


def test_registry_does_not_match_other_models() -> None:
    assert find_entry("34401A") is None
    assert find_entry("DP711") is None


def test_open_identifies_the_dmm_and_keeps_its_identity(served: list[ReplayTransport]) -> None:
    transport = ReplayTransport.from_script(
        "TCPIP::dmm::SOCKET", [(">", "*IDN?"), ("<", IDN_34465A)]
    )
    served.append(transport)
    instrument = factory.open_instrument("TCPIP::dmm::SOCKET", role="dmm", model="34465A")
    assert isinstance(instrument, Keysight34461A)
    assert instrument.model == "34465A"  # the model-specific NPLC set was selected
    assert 0.06 in instrument.nplc_values
    assert instrument.identity.serial == "MY5"  # no second *IDN? (the replay would diverge)
    transport.assert_finished()


def test_unknown_identity_names_it_and_the_known_models(served: list[ReplayTransport]) -> None:
    transport = ReplayTransport.from_script("R", [(">", "*IDN?"), ("<", "Fluke,8846A,1,1.0")])
    served.append(transport)
    with pytest.raises(UnknownInstrument) as caught:
        factory.open_instrument("R")
    assert "Fluke 8846A" in str(caught.value)
    assert "344[67][0156]A" in str(caught.value)
    with pytest.raises(TransportError, match="after close"):
        transport.write("x")  # the factory closed the transport it opened


def test_model_disagreement_names_both(served: list[ReplayTransport]) -> None:
    served.append(ReplayTransport.from_script("R", [(">", "*IDN?"), ("<", IDN_34465A)]))
    with pytest.raises(UnknownInstrument, match=r"expected model E36312A.*34465A"):
        factory.open_instrument("R", model="E36312A")


def test_role_disagreement_is_refused(served: list[ReplayTransport]) -> None:
    served.append(ReplayTransport.from_script("R", [(">", "*IDN?"), ("<", IDN_34465A)]))
    with pytest.raises(UnknownInstrument, match="cannot serve as source"):
        factory.open_instrument("R", role="source")


def test_unknown_role_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="role 'psu'"):
        factory.open_instrument("TCPIP::x::SOCKET", role="psu")


def test_binary_load_identifies_with_its_own_frame(served: list[ReplayTransport]) -> None:
    from instruments.drivers.itech_it8511 import IDENTIFY, REMOTE, build_frame

    status_ok = build_frame(0, 0x12, b"\x80")
    identify = build_frame(0, IDENTIFY, b"8511\x00" + bytes([0, 1]) + b"SN42".ljust(10, b"\x00"))
    transport = ReplayTransport.from_script(
        "/dev/ttyUSB0",
        [
            (">>", build_frame(0, REMOTE, b"\x01")),
            ("<<", status_ok),
            (">>", build_frame(0, IDENTIFY)),
            ("<<", identify),
        ],
    )
    served.append(transport)
    load = factory.open_instrument("/dev/ttyUSB0", role="load", model="IT8511")
    assert load.identity.model == "IT8511"
    assert load.identity.serial == "SN42"
    transport.assert_finished()


def test_register_driver_adds_a_model(served: list[ReplayTransport]) -> None:
    class Custom(ScpiInstrument, Multimeter):
        def configure_dc_voltage(self, range_: object = None, nplc: object = None) -> None:
            raise NotImplementedError

        def dc_voltage(self) -> Quantity:
            raise NotImplementedError

        def make_safe(self) -> None:
            pass

    served.append(ReplayTransport.from_script("R", [(">", "*IDN?"), ("<", "ACME,X1,1,1")]))
    register_driver("X1", Custom)
    try:
        with factory.open_instrument("R", role="dmm") as meter:
            assert type(meter) is Custom
            assert isinstance(meter, Multimeter)
            assert meter.identity.maker == "ACME"
    finally:
        DRIVERS.pop("X1")
        drivers._RESOLVED.pop("X1", None)


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("TCPIP::127.0.0.1::5025::SOCKET", VisaTransport),
        ("tcpip0::127.0.0.1::inst0::INSTR", VisaTransport),
        ("USB0::0x2A8D::0x1301::MY1::INSTR", VisaTransport),
        ("GPIB0::22::INSTR", VisaTransport),
        ("ASRL/dev/ttyS0::INSTR", VisaTransport),
        ("/dev/ttyUSB0", SerialTransport),
        ("COM3", SerialTransport),
        ("socket://127.0.0.1:5025", SerialTransport),
    ],
)
def test_transport_choice(monkeypatch: pytest.MonkeyPatch, resource: str, expected: type) -> None:
    chosen: list[type] = []
    monkeypatch.setattr(VisaTransport, "open", classmethod(lambda cls, r, **o: chosen.append(cls)))
    monkeypatch.setattr(
        SerialTransport, "open", classmethod(lambda cls, r, **o: chosen.append(cls))
    )
    factory.open_transport(resource)
    assert chosen == [expected]


def test_unrecognised_resource_string_explains_the_forms() -> None:
    with pytest.raises(TransportError, match=r"neither a VISA resource string.*socket://"):
        factory.open_transport("dmm.local:5025")


def test_station_limits_reach_the_source_driver(sim_bench):
    """A setting beyond the station's limits is refused by the driver the factory returns."""
    limits = SafetyLimits(max_voltage=Q_(5, "V"), max_current=Q_(3, "A"))
    source = factory.open_instrument(
        sim_bench.instruments["source"].resource, role="source", limits=limits
    )
    try:
        with pytest.raises(SettingOutOfRange, match="5"):
            source.set_voltage(1, Q_(5.5, "V"))
    finally:
        source.close()
