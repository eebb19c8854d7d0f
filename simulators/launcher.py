"""Start a simulated bench and learn where its instruments and its control endpoint live.

This is the only module of ``simulators`` that ``bench`` (or any test) may import: everything
else is reached over the wire, through the resource strings and the control endpoint below.

    with start_bench(fault="deep_discharge_uv") as sim:
        dmm = rm.open_resource(sim.instruments["dmm"].resource, read_termination="\\n")
        clock = ControlClient(sim.control_address)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from simulators.control import ControlClient, ControlError, ControlProtocol
from simulators.servers import HOST, ServerError, SimulatorServer, World
from simulators.wiring import Emulator, FixtureName

__all__ = [
    "MODELS",
    "ControlClient",
    "ControlError",
    "InstrumentEndpoint",
    "LaunchError",
    "ServerError",
    "SimulatedBenchServer",
    "check_fault",
    "fault_catalogue",
    "resolve_fault",
    "start_bench",
]

MODELS: dict[str, tuple[str, ...]] = {
    "dmm": ("34461A",),
    "source": ("E36312A", "DP832"),
    "load": ("DL3021", "IT8511"),
    "rmeter": ("BT3562", "BT3563"),
    "temperature": ("34461A",),
    "chamber": ("SU-241",),
}
"""Role -> models a simulated bench can put in that role; the first is the default."""
SOURCE_CHANNELS: dict[str, tuple[int, ...]] = {"E36312A": (1, 2, 3), "DP832": (1, 2, 3)}
"""Output channels of each simulated source model (either may be wired to the fixture)."""
PROBE_SERIAL = "MY53067890"
"""Serial number of the second 34461A (on the pack's NTC), so the two DMMs differ in *IDN?."""
SERIAL_MODELS = frozenset({"BT3562", "BT3563", "IT8511", "SU-241"})
"""Models that also get a pseudo-terminal (RS-232 instruments)."""


class LaunchError(ValueError):
    """A simulated bench was asked for a model, fault or fixture that does not exist."""


@dataclass(frozen=True)
class InstrumentEndpoint:
    role: str
    model: str
    resource: str
    """VISA resource string over TCP: ``TCPIP::127.0.0.1::<port>::SOCKET``."""
    port: int
    pty: str | None
    """Pseudo-terminal slave path (``/dev/pts/N``) of serial instruments, else ``None``."""

    @property
    def serial_resource(self) -> str | None:
        """``ASRL/dev/pts/N::INSTR`` for pyvisa-py, when the instrument has a pty."""
        return None if self.pty is None else f"ASRL{self.pty}::INSTR"


def fault_catalogue() -> Mapping[str, Any]:
    """The physics fault catalogue (``simulators.faults.CATALOGUE``)."""
    from simulators.faults import CATALOGUE

    catalogue: Mapping[str, Any] = CATALOGUE
    return catalogue


def resolve_fault(name: str, spec: str | Path | None = None) -> Any:
    """The scenario of ``name`` (a catalogue name or ``a+b``) as the bench would build it on
    ``spec`` (default: the reference pack); ``LaunchError`` with the reason when it is unknown,
    cannot exist physically, or does not fit the pack (``simulators.combine``)."""
    from simulators.combine import resolve_for
    from simulators.physics.parameters import DEFAULT_PACK
    from simulators.spec_file import load_pack_parameters

    try:
        pack = DEFAULT_PACK if spec is None else load_pack_parameters(spec)
        return resolve_for(name, pack)
    except ValueError as error:
        raise LaunchError(str(error)) from None


def combination_problem(name: str) -> str | None:
    """Why ``name`` (a catalogue name or ``a+b``) names no scenario, whatever the pack: an
    unknown or repeated name, or a combination that cannot exist (``None``: it does).

    For a station file, read before the units' specs are known: whether the fault fits a
    unit's pack (imbalance needs 2S) is checked when that unit's bench is built."""
    from simulators.combine import resolve

    try:
        resolve(name)
    except ValueError as error:
        return str(error)
    return None


def check_fault(name: str, spec: str | Path | None = None) -> str:
    """``name`` if the bench can build it on ``spec``, else ``LaunchError`` naming why."""
    resolve_fault(name, spec)
    return name


def _emulator_class(model: str) -> Callable[..., Emulator]:
    from simulators.emulators import EMULATORS

    registry: Mapping[str, Callable[..., Emulator]] = EMULATORS
    if model in registry:
        return registry[model]
    if model == "IT8511":
        from simulators.emulators.itech_it8511 import ItechIT8511

        return ItechIT8511
    raise LaunchError(f"no emulator registered for model {model!r}; registered: {sorted(registry)}")


class SimulatedBenchServer:
    """A running simulated bench: one loop thread serving every instrument and the control port.

    Use as a context manager, or call :meth:`stop` yourself: either way every socket and pty is
    closed and the thread joined.
    """

    def __init__(
        self,
        build: Callable[[], World],
        *,
        catalogue: Mapping[str, Any],
        serial_roles: frozenset[str] = frozenset(),
        speed: float | None = None,
        seed: int = 0,
        ports: Mapping[str, int] | None = None,
        control_port: int = 0,
    ) -> None:
        self._server = SimulatorServer(
            build,
            serial_roles=serial_roles,
            ports=ports,
            control_port=control_port,
            speed=speed,
            seed=seed,
        )
        self._server.control_handler = ControlProtocol(self._server, catalogue).handle_line
        self.instruments: dict[str, InstrumentEndpoint] = {}

    def start(self) -> SimulatedBenchServer:
        self._server.start()
        self.instruments = {
            role: InstrumentEndpoint(
                role, served.model, f"TCPIP::{HOST}::{served.port}::SOCKET", served.port, served.pty
            )
            for role, served in self._server.instruments.items()
        }
        return self

    @property
    def control(self) -> tuple[str, int]:
        return self._server.control_address

    @property
    def control_address(self) -> str:
        host, port = self._server.control_address
        return f"{host}:{port}"

    @property
    def emulator_errors(self) -> list[str]:
        """Exceptions emulators raised while serving (empty on a healthy run)."""
        return list(self._server.emulator_errors)

    def client_socket_options(self) -> list[tuple[str | None, int]]:
        """``(role, TCP_NODELAY)`` of every accepted connection (the server's side)."""
        return self._server.client_socket_options()

    def client(self, timeout: float = 10.0) -> ControlClient:
        """A new control-endpoint client (close it, or use it as a context manager)."""
        return ControlClient(self.control, timeout=timeout)

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> SimulatedBenchServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _wiring(role: str) -> dict[str, Any]:
    """Constructor options that say where an emulator's inputs are wired (the probe DMM)."""
    if role == "temperature":
        return {"inputs": "probe", "serial_number": PROBE_SERIAL}
    return {}


def start_bench(
    *,
    fault: str = "healthy",
    spec: str | Path | None = None,
    fixture: FixtureName = "pack",
    source_model: str = "E36312A",
    load_model: str = "DL3021",
    rmeter_model: str = "BT3562",
    temperature_model: str | None = "34461A",
    chamber_model: str | None = None,
    seed: int = 0,
    serial: bool = True,
    speed: float | None = None,
    ports: Mapping[str, int] | None = None,
    control_port: int = 0,
    source_channel: int = 1,
) -> SimulatedBenchServer:
    """Build and start a simulated bench; returns it running (``with`` stops it).

    ``speed``: ``None`` for virtual time (moves only on ADVANCE), else the factor by which the
    bench follows the wall clock (1 = real time). ``serial``: also open ptys for RS-232 models.
    ``ports``: fixed TCP port per role (default: ephemeral). ``source_channel``: the source
    channel wired to the fixture (the others stay open circuit). ``temperature_model``: the DMM
    whose leads sit on the pack's NTC probe (``None``: the bench has no temperature channel).
    ``chamber_model``: a temperature chamber around the cell fixture (``None``: none).
    """
    models = {"dmm": "34461A", "source": source_model, "load": load_model, "rmeter": rmeter_model}
    if temperature_model is not None:
        models["temperature"] = temperature_model
    if chamber_model is not None:
        models["chamber"] = chamber_model
    for role, model in models.items():
        if model not in MODELS[role]:
            raise LaunchError(f"{role} model {model!r} not simulated; valid: {MODELS[role]}")
    catalogue = fault_catalogue()
    check_fault(fault, spec)
    if fixture not in ("pack", "board", "cell"):
        raise LaunchError(f"unknown fixture {fixture!r}; valid: pack, board, cell")
    if source_channel not in SOURCE_CHANNELS[source_model]:
        raise LaunchError(
            f"source channel {source_channel} does not exist on the {source_model}; valid: "
            f"{', '.join(str(c) for c in SOURCE_CHANNELS[source_model])}"
        )
    classes = {role: _emulator_class(model) for role, model in models.items()}

    def build() -> World:
        from simulators.fixtures import build_bench

        bench = build_bench(
            fault=fault, spec=spec, fixture=fixture, seed=seed, source_channel=source_channel
        )
        emulators = {
            role: classes[role](bench, seed=seed + index, **_wiring(role))
            for index, role in enumerate(models)
        }
        return World(bench, emulators)

    serial_roles = frozenset(r for r, m in models.items() if serial and m in SERIAL_MODELS)
    server = SimulatedBenchServer(
        build,
        catalogue=catalogue,
        serial_roles=serial_roles,
        speed=speed,
        seed=seed,
        ports=ports,
        control_port=control_port,
    )
    return server.start()
