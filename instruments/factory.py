"""Open an instrument from its resource string and return the right driver for what answers.

Transport choice, from the resource string:

* VISA resource strings (``TCPIP…``, ``USB…``, ``GPIB…``, ``ASRL…``, ``VXI…``, ``PXI…``) go to
  ``VisaTransport`` (pyvisa, pyvisa-py backend by default; ``ASRL`` serial through pyvisa).
* Device paths and pyserial URLs (``/dev/ttyUSB0``, ``COM3``, ``socket://host:port``,
  ``rfc2217://…``, ``loop://``) go to ``SerialTransport`` (CR+LF and 9600 baud by default, the
  Hioki BT356x settings; pass ``baudrate=`` etc. to change them).

Terminations: raw sockets use ``\n`` both ways, except port 23 (the Hioki BT356xA's LAN port),
which gets CR+LF from the start. Whatever the port, once ``*IDN?`` names a model whose driver
module declares ``LINE_TERMINATION`` (the Hioki: CR+LF), the transport switches to it, unless the
caller chose terminations explicitly. The ``*IDN?`` itself reads fine either way: a CR left
before the LF is stripped by ``parse_identity``.

The identity is read with ``*IDN?`` and looked up in ``instruments.drivers.DRIVERS``. Binary
instruments answer no ``*IDN?`` (IT8511): name them with ``model=`` and the driver identifies
itself with its own frame (0x6A), which the factory then checks against ``model``.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable
from typing import Any, Literal

from instruments.drivers import DriverEntry, find_entry, known_models, load_driver
from instruments.errors import InstrumentError, TransportError, UnknownInstrument
from instruments.roles import (
    DCSource,
    ElectronicLoad,
    Identity,
    Instrument,
    Multimeter,
    ResistanceMeter,
    TemperatureChamber,
    Thermometer,
)
from instruments.safety import SafetyLimits
from instruments.scpi import ScpiInstrument, parse_identity
from instruments.transport import Transport

ROLES: dict[str, type[object]] = {
    "dmm": Multimeter,
    "source": DCSource,
    "load": ElectronicLoad,
    "rmeter": ResistanceMeter,
    "temperature": Thermometer,
    "chamber": TemperatureChamber,
}

_VISA = re.compile(r"^((TCPIP|USB|GPIB|VXI|PXI)\d*|ASRL[^:]*)::\S", re.IGNORECASE)
_SERIAL = re.compile(r"^(/dev/\S|COM\d+$|(socket|rfc2217|loop|spy)://)", re.IGNORECASE)

ResourceKind = Literal["visa", "serial"]
TransportOpener = Callable[..., Transport]
"""``open_transport``'s signature: ``(resource, *, timeout, **options) -> Transport``."""


def classify_resource(resource: str) -> ResourceKind | None:
    """Which transport ``open_transport`` would give ``resource``; None if it would refuse it.

    Public so that a station file can name the bad field before anything is opened, with the very
    rules the factory applies (no second copy of them to drift apart).
    """
    if _VISA.match(resource):
        return "visa"
    if _SERIAL.match(resource):
        return "serial"
    return None


HIOKI_LAN_PORT = 23
"""Telnet port the Hioki BT356xA serves its CR+LF command set on."""
_TERMINATIONS = ("read_termination", "write_termination")
_SOCKET_PORT = re.compile(r"^TCPIP\d*::[^:]+::(\d+)::SOCKET$", re.IGNORECASE)


def default_terminations(resource: str) -> dict[str, str]:
    """Terminations a VISA resource gets before its identity is known (rule in the docstring)."""
    match = _SOCKET_PORT.match(resource)
    if match is not None and int(match.group(1)) == HIOKI_LAN_PORT:
        return dict.fromkeys(_TERMINATIONS, "\r\n")
    return {}


def model_termination(entry: DriverEntry) -> str | None:
    """``LINE_TERMINATION`` of the driver module of ``entry``, or None for the ``\n`` default."""
    module_name = entry.target.partition(":")[0]
    termination = getattr(importlib.import_module(module_name), "LINE_TERMINATION", None)
    return termination if isinstance(termination, str) else None


def open_transport(resource: str, *, timeout: float = 2.0, **options: Any) -> Transport:
    """The transport for ``resource`` (rules in the module docstring)."""
    kind = classify_resource(resource)
    if kind == "visa":
        # Imported here: pyvisa is heavy and only VISA resources need it.
        from instruments.transports.visa import VisaTransport

        options = {**default_terminations(resource), **options}
        return VisaTransport.open(resource, timeout=timeout, **options)
    if kind == "serial":
        # Imported here: pyserial is only needed for serial resources.
        from instruments.transports.serial_port import SerialTransport

        return SerialTransport.open(resource, timeout=timeout, **options)
    raise TransportError(
        f"{resource!r} is neither a VISA resource string (TCPIP0::host::5025::SOCKET, USB0::…, "
        "GPIB0::…, ASRL/dev/ttyS0::INSTR) nor a serial port or URL (/dev/ttyUSB0, COM3, "
        "socket://host:port); check the station configuration"
    )


def _model_agrees(wanted: str, actual: str) -> bool:
    """``wanted`` may be a pattern (``BT356*``) or a prefix of a variant name (BT3562-01)."""
    entry = DriverEntry(wanted, "")
    return entry.matches(actual) or actual.upper().startswith(wanted.upper())


def _unknown(identity: str, resource: str) -> UnknownInstrument:
    return UnknownInstrument(
        f"{resource}: no driver for {identity}; known models: {', '.join(known_models())}. "
        "Add an entry to instruments.drivers.DRIVERS or call register_driver()."
    )


def _construct(
    cls: type[Instrument], transport: Transport, model: str, limits: SafetyLimits | None
) -> Instrument:
    """Pass ``model`` and the station's ``limits`` to the drivers whose constructor takes them."""
    parameters = inspect.signature(cls).parameters
    options: dict[str, Any] = {}
    if "model" in parameters:
        options["model"] = model
    if limits is not None and "limits" in parameters:
        options["limits"] = limits
    instrument: Instrument = cls(transport, **options)  # type: ignore[call-arg]
    return instrument


def identify(
    transport: Transport, *, model: str | None = None
) -> tuple[type[Instrument], Identity | None]:
    """The driver class for what answers on ``transport``, and its identity when read here."""
    hinted = find_entry(model) if model else None
    if hinted is not None and hinted.binary:
        return load_driver(hinted), None
    identity = parse_identity(transport.query("*IDN?"))
    if model is not None and not _model_agrees(model, identity.model):
        raise UnknownInstrument(
            f"{transport.resource}: expected model {model} but the instrument says it is "
            f"{identity}; check the resource string in the station configuration"
        )
    entry = find_entry(identity.model)
    if entry is None:
        raise _unknown(str(identity), transport.resource)
    return load_driver(entry), identity


def _adopt_model_termination(transport: Transport, model: str, chosen: bool) -> None:
    """Switch a VISA transport to the identified model's line termination (see docstring)."""
    entry = find_entry(model)
    termination = model_termination(entry) if entry is not None else None
    set_terminations = getattr(transport, "set_terminations", None)
    if chosen or termination is None or set_terminations is None:
        return
    set_terminations(termination, termination)


def open_instrument(
    resource: str,
    *,
    role: str | None = None,
    model: str | None = None,
    timeout: float = 2.0,
    limits: SafetyLimits | None = None,
    opener: TransportOpener | None = None,
    **transport_options: Any,
) -> Instrument:
    """Open ``resource``, identify it, and return its driver (a role interface).

    ``limits`` are the station's safety limits, handed to every source and load driver so that a
    setting beyond them raises before anything is sent.

    ``role`` ("dmm", "source", "load", "rmeter", "temperature", "chamber") is checked against
    the driver; ``model`` is checked against the identity and is required for binary
    instruments. The transport is closed again if anything after opening it fails.

    ``opener`` replaces ``open_transport`` (a session recording wraps what it opens, a replay
    serves a transcript instead); the driver and its checks are the same either way.
    """
    if role is not None and role not in ROLES:
        raise ValueError(f"role {role!r}: use one of {', '.join(ROLES)}")
    transport = (opener or open_transport)(resource, timeout=timeout, **transport_options)
    try:
        cls, identity = identify(transport, model=model)
        if identity is not None:
            chosen = any(name in transport_options for name in _TERMINATIONS)
            _adopt_model_termination(transport, identity.model, chosen)
        if role is not None and not issubclass(cls, ROLES[role]):
            raise UnknownInstrument(
                f"{resource}: {identity or model} is a {cls.__name__}, which cannot serve as "
                f"{role} ({ROLES[role].__name__}); check which resource the station maps to {role}"
            )
        instrument = _construct(cls, transport, identity.model if identity else str(model), limits)
        if identity is None:
            identity = instrument.identity  # binary drivers identify themselves
            if model is not None and not _model_agrees(model, identity.model):
                instrument.close()
                raise UnknownInstrument(
                    f"{resource}: expected model {model} but the instrument says it is {identity}"
                )
        elif isinstance(instrument, ScpiInstrument):
            instrument.identity = identity
        return instrument
    except (InstrumentError, ValueError, TypeError, ImportError):
        transport.close()
        raise
