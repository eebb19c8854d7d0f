"""A simulated station: the bench's side of ``simulators.launcher`` (the only simulator import).

Two ways to simulate, chosen by the station file:

* no ``[simulation] control``: start a simulated bench for each run, with the unit's fault
  scenario and pack spec, and stop it afterwards (``packbench demo``, CI);
* ``control = "host:port"``: attach to a simulator already serving (``python -m simulators``),
  whose instruments the ``[instruments]`` resources point at, and apply the unit's fault through
  the control endpoint. The simulator then outlives the bench process, so a test can read its
  true state after killing the runner.

Either way the procedure's clock is the simulator's virtual time; ``speed`` paces it against the
wall clock so a person (or a signal test) can watch a recharge happen.
"""

from __future__ import annotations

import json
import time
from contextlib import ExitStack
from typing import Any

from bench.config import StationConfig
from bench.endpoints import Endpoint
from bench.errors import ConfigError, InputError, StationError
from procedures.clock import Clock, SimulatedClock
from procedures.diagnosis.fixtures import ControlFixtures, FixtureChanger
from procedures.errors import ClockError
from simulators.launcher import LaunchError, SimulatedBenchServer, fault_catalogue, start_bench
from simulators.launcher import check_fault as launcher_check_fault

SERIAL_ROLES = {"rmeter", "chamber"}
"""Roles opened over the simulator's pseudo-terminal, as the real RS-232 instruments are."""


class PacedClock:
    """Virtual time that also takes ``1/speed`` of each wait in wall time.

    The simulator's own ``SPEED`` mode cannot do this: an ``ADVANCE`` still jumps. The wall-time
    part is a plain ``time.sleep``, so Ctrl-C and SIGTERM land in it like on a real bench.
    """

    def __init__(self, inner: SimulatedClock, speed: float) -> None:
        self.inner = inner
        self.speed = speed

    def now(self) -> float:
        return self.inner.now()

    def monotonic(self) -> float:
        return self.inner.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds) / self.speed)
        self.inner.sleep(seconds)

    def request(self, line: str) -> dict[str, Any]:
        return self.inner.request(line)


def check_fault(name: str, spec_source: str | None = None) -> str:
    """``name`` (a catalogue fault or ``a+b``) if the simulator can build it on the spec's pack.

    Refused (exit 2, before anything is opened or written) when unknown, physically impossible
    as a combination, or not fitting the pack (series imbalance on a 1S spec), with the reason.
    """
    try:
        return launcher_check_fault(name, spec_source)
    except LaunchError as exc:
        text = str(exc)
        if text.startswith("unknown fault"):
            raise InputError(text.replace("unknown fault", "unknown simulated fault", 1)) from None
        raise InputError(f"simulated fault {name!r}: {text}") from None


def fault_descriptions() -> dict[str, str]:
    return {name: str(s.description) for name, s in fault_catalogue().items()}


def _clock(address: str, speed: float | None, stack: ExitStack) -> tuple[Clock, SimulatedClock]:
    inner = SimulatedClock(address)
    stack.callback(inner.close)
    return (inner if speed is None else PacedClock(inner, speed)), inner


def start_simulation(
    config: StationConfig,
    stack: ExitStack,
    *,
    unit_serial: str,
    fault: str | None = None,
    spec_source: str | None = None,
    source_model: str | None = None,
) -> tuple[dict[str, Endpoint], Clock, FixtureChanger, SimulatedClock]:
    """Endpoints, clock, fixture changer and control client of a simulated run.

    Everything started is registered on ``stack`` (simulator stop, clock close).
    """
    sim_config = config.simulation
    assert sim_config is not None, "start_simulation needs a simulated station"
    chosen = check_fault(sim_config.fault_for(unit_serial, fault), spec_source)
    if sim_config.control is not None:
        return _attach(config, sim_config.control, sim_config.speed, chosen, stack)
    models = {role: entry.model for role, entry in config.instruments.items()}
    if source_model is not None:
        models["source"] = source_model  # bench.source_choice's pick for this spec
    try:
        sim = start_bench(
            fault=chosen,
            spec=spec_source,
            source_model=models["source"],
            load_model=models["load"],
            rmeter_model=models["rmeter"],
            temperature_model=models.get("temperature"),
            chamber_model=models.get("chamber"),
            seed=sim_config.seed,
            source_channel=config.source_channel,
        )
    except LaunchError as exc:
        raise InputError(f"cannot start the simulated bench: {exc}") from exc
    stack.callback(sim.stop)
    endpoints = _served_endpoints(config, sim)
    clock, control = _clock(sim.control_address, sim_config.speed, stack)
    return endpoints, clock, ControlFixtures(control), control


def _attach(
    config: StationConfig, control_address: str, speed: float | None, fault: str, stack: ExitStack
) -> tuple[dict[str, Endpoint], Clock, FixtureChanger, SimulatedClock]:
    """A simulator started elsewhere (``[simulation] control``): its instruments are reached at
    the station file's resources; it is told the fault and must wire the configured channel."""
    endpoints = {role: Endpoint.from_config(entry) for role, entry in config.instruments.items()}
    clock, control = _clock(control_address, speed, stack)
    try:
        control.request(f"FAULT {fault}")
        wired = control.request("STATE?").get("state", {}).get("wired_channel", 1)
    except ClockError as exc:
        raise StationError(
            f"simulation.control ({control_address}): {exc}. Fix: start the simulator "
            "(python -m simulators) or correct simulation.control in the station file"
        ) from exc
    if wired != config.source_channel:
        raise ConfigError(
            config.source,
            "fixture.source_channel",
            f"{config.source_channel} is not the channel the simulator at "
            f"{control_address} wires to the fixture (channel {wired})",
            f"set source_channel = {wired}, or start the simulator with "
            f"--source-channel {config.source_channel}",
        )
    return endpoints, clock, ControlFixtures(control), control


def _served_endpoints(config: StationConfig, sim: SimulatedBenchServer) -> dict[str, Endpoint]:
    """Where each instrument of a simulator started here is served (pseudo-terminal for serial
    models), with the station file's transport settings as on hardware."""
    endpoints: dict[str, Endpoint] = {}
    for role, served in sim.instruments.items():
        serial = role in SERIAL_ROLES or served.model == "IT8511"
        if serial and served.pty is None:
            raise StationError(f"simulated {role} {served.model} has no pseudo-terminal")
        entry = config.instruments[role]
        options: dict[str, Any] = {"baudrate": 9600} if served.model == "IT8511" else {}
        options.update(entry.options)  # the station file's transport settings, as on hardware
        endpoints[role] = Endpoint(
            role,
            served.model,
            str(served.pty) if serial else served.resource,
            entry.timeout_s,
            options,
        )
    return endpoints


def serve(
    *,
    fault: str,
    spec: str | None,
    source_model: str,
    load_model: str,
    rmeter_model: str,
    seed: int,
    speed: float | None,
    as_json: bool,
) -> int:
    """``packbench sim``: serve a simulated bench until Ctrl-C/SIGTERM (``KeyboardInterrupt``).

    Prints the same first line as ``python -m simulators`` (``--json``: one JSON object), so a
    station file can be pointed at it with ``[simulation] control``.
    """
    try:
        sim = start_bench(
            fault=fault,
            spec=spec,
            source_model=source_model,
            load_model=load_model,
            rmeter_model=rmeter_model,
            seed=seed,
            speed=speed,
        )
    except LaunchError as exc:
        raise InputError(f"cannot start the simulated bench: {exc}") from exc
    with sim:
        if as_json:
            document = {
                "instruments": {
                    role: {"model": e.model, "resource": e.resource, "pty": e.pty}
                    for role, e in sim.instruments.items()
                },
                "control": sim.control_address,
            }
            print(json.dumps(document), flush=True)
        else:
            for role, e in sim.instruments.items():
                pty = f"  pty {e.pty}" if e.pty else ""
                print(f"{role:7} {e.model:8} {e.resource}{pty}")
            print(f"control {sim.control_address}; Ctrl-C stops", flush=True)
        try:
            while True:
                time.sleep(0.5)
        except KeyboardInterrupt:
            return 0
