"""Opening a station: every configured instrument identified, checked, and closed safely again.

Opening is also the *safe start* (``bench.safe_start``): every source and load is asked what it is
doing and switched off with confirmation before the station is handed out, so no measurement can
run through an output a crashed run left on.

The station is the one object that owns opened instruments, so it is the one place that must
guarantee the safe state: ``close()`` asks every instrument (``Instrument.close`` makes it safe
first), whatever failed before, and is safe to call twice. Opening is all-or-nothing: if the
third instrument cannot be reached, the first two are closed again before the error is raised.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, Protocol

from bench.config import (
    OPTIONAL_ROLES,
    ROLE_NAMES,
    StationConfig,
    channel_problem,
)
from bench.endpoints import Endpoint
from bench.errors import ConfigError, StationError
from bench.safe_start import SafeStartError, bring_to_safe_state
from bench.simulated import start_simulation
from instruments.drivers.hioki_bt356x import ESR_ERRORS, HiokiBT356x, describe_esr
from instruments.errors import InstrumentError, TransportError, UnknownInstrument
from instruments.factory import TransportOpener, open_instrument
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
from instruments.scpi import ScpiInstrument
from procedures.clock import Clock, RealClock
from procedures.context import BenchInstruments
from procedures.diagnosis.fixtures import FixtureChanger, OperatorFixtures
from procedures.prompts import Prompts


class StationTap(Protocol):
    """Records or replays a session (``bench.session_record``, ``bench.session_replay``).

    ``bench`` replaces the whole bench (endpoints, clock, fixture changer) for a replay, or
    returns ``None`` to keep the station's own; ``opener`` opens the transport of one endpoint
    (a recording wraps the real one, a replay serves a transcript); ``clock`` and ``fixtures``
    wrap the station's. Everything else (identification, safe start, channel check) runs as on
    any station, so what is recorded and replayed is exactly what a run does.
    """

    def bench(
        self, config: StationConfig
    ) -> tuple[dict[str, Endpoint], Clock, FixtureChanger] | None: ...

    def opener(self, endpoint: Endpoint) -> TransportOpener: ...

    def clock(self, clock: Clock) -> Clock: ...

    def fixtures(self, fixtures: FixtureChanger) -> FixtureChanger: ...


@dataclass
class Station:
    """Opened instruments by role, the clock and fixture changer of this bench."""

    config: StationConfig
    instruments: BenchInstruments
    opened: dict[str, Instrument]
    endpoints: dict[str, Endpoint]
    clock: Clock
    fixtures: FixtureChanger
    control: Any = None
    """The simulator's control endpoint client (``request(line)``) on simulated stations."""
    _stack: ExitStack = field(default_factory=ExitStack)
    found_on: tuple[str, ...] = ()
    """What the safe start found on at open (switched off and confirmed since)."""

    def identities(self) -> dict[str, Identity]:
        return {role: inst.identity for role, inst in self.opened.items()}

    def close(self) -> None:
        """Safe state and release for everything opened (instruments first), exactly once."""
        self._stack.close()

    def __enter__(self) -> Station:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _fix_for(exc: Exception, endpoint: Endpoint) -> str:
    if isinstance(exc, UnknownInstrument):
        return (
            f"check that instruments.{endpoint.role}.resource points at the {endpoint.role} and "
            f'that instruments.{endpoint.role}.model names what answers there (or use "auto")'
        )
    if isinstance(exc, TransportError):
        return (
            "check that the instrument is on and connected, and the resource string "
            f"(instruments.{endpoint.role}.resource = {endpoint.resource!r}); "
            "`packbench instruments check` tries every instrument"
        )
    return f"check instruments.{endpoint.role} in the station file"


def open_endpoint(
    endpoint: Endpoint, config: StationConfig, opener: TransportOpener | None = None
) -> Instrument:
    """One instrument, its identity checked against the station file, or ``StationError``."""
    try:
        return open_instrument(
            endpoint.resource,
            role=endpoint.role,
            model=endpoint.model,
            timeout=endpoint.timeout_s,
            limits=config.limits,
            opener=opener,
            **endpoint.options,
        )
    except (InstrumentError, ValueError, TypeError, OSError) as exc:
        raise StationError(
            f"instruments.{endpoint.role} ({endpoint.resource}): cannot open it: "
            f"{type(exc).__name__}: {exc}. Fix: {_fix_for(exc, endpoint)}"
        ) from exc


def _close_quietly(instrument: Instrument) -> None:
    with contextlib.suppress(Exception):  # every instrument gets its close, whatever one raises
        instrument.close()


def _bench_instruments(opened: dict[str, Instrument]) -> BenchInstruments:
    def typed(role: str, kind: type[Any]) -> Any:
        instrument = opened.get(role)
        return instrument if isinstance(instrument, kind) else None

    return BenchInstruments(
        multimeter=typed("dmm", Multimeter),
        source=typed("source", DCSource),
        load=typed("load", ElectronicLoad),
        resistance_meter=typed("rmeter", ResistanceMeter),
        thermometer=typed("temperature", Thermometer),
        chamber=typed("chamber", TemperatureChamber),
    )


def open_instruments(
    endpoints: dict[str, Endpoint],
    config: StationConfig,
    stack: ExitStack,
    tap: StationTap | None = None,
) -> dict[str, Instrument]:
    """Open every role in turn; each one's close (safe state) is pushed on ``stack`` at once."""
    opened: dict[str, Instrument] = {}
    for role in (*ROLE_NAMES, *OPTIONAL_ROLES):
        if role in endpoints:
            endpoint = endpoints[role]
            opener = tap.opener(endpoint) if tap is not None else None
            instrument = (
                open_endpoint(endpoint, config)
                if opener is None
                else open_endpoint(endpoint, config, opener)
            )
            stack.callback(_close_quietly, instrument)
            opened[role] = instrument
    return opened


def check_source_channel(config: StationConfig, source: Instrument | None) -> None:
    """``fixture.source_channel`` against the channels the opened source really has.

    The validator checks it for a named model; a source named ``auto`` is known only now, and
    a recharge on a channel that does not exist must be refused before any output goes on.
    """
    if not isinstance(source, DCSource) or config.source_channel in source.channels:
        return
    problem, fix = channel_problem(config.source_channel, source.identity.model, source.channels)
    raise ConfigError(config.source, "fixture.source_channel", problem, fix)


def open_station(
    config: StationConfig,
    *,
    prompts: Prompts,
    unit_serial: str = "",
    sim_fault: str | None = None,
    spec_source: str | None = None,
    source_model: str | None = None,
    tap: StationTap | None = None,
) -> Station:
    """Open the configured station (a simulated one starts or attaches to its simulator).

    ``source_model``: the model ``bench.source_choice`` chose for the spec (a simulated station
    that starts its own simulator emulates it; ``None``: the configured one). ``tap``: record
    the session, or replay one instead of the bench (``StationTap``).
    """
    stack = ExitStack()
    try:
        control: Any = None
        replaced = tap.bench(config) if tap is not None else None
        if replaced is not None:
            endpoints, clock, fixtures = replaced
        elif config.simulation is not None:
            sim = start_simulation(
                config,
                stack,
                unit_serial=unit_serial,
                fault=sim_fault,
                spec_source=spec_source,
                source_model=source_model,
            )
            endpoints, clock, fixtures, control = sim
        else:
            endpoints = {
                r: Endpoint.from_config(config.instruments[r])
                for r in (*ROLE_NAMES, *OPTIONAL_ROLES)
                if r in config.instruments
            }
            clock = RealClock()
            fixtures = OperatorFixtures(prompts)
        if tap is not None:
            clock, fixtures = tap.clock(clock), tap.fixtures(fixtures)
        opened = open_instruments(endpoints, config, stack, tap)
        check_source_channel(config, opened.get("source"))
        try:
            found_on = bring_to_safe_state(opened)
        except SafeStartError as exc:
            raise StationError(
                f"safe start: outputs NOT confirmed off when the station was opened ({exc}); "
                "nothing was measured. Fix: switch the outputs off at the front panel and check "
                "the links, then run again"
            ) from exc
        return Station(
            config,
            _bench_instruments(opened),
            opened,
            endpoints,
            clock,
            fixtures,
            control,
            stack,
            tuple(found_on),
        )
    except BaseException:
        stack.close()
        raise


@dataclass(frozen=True)
class CheckResult:
    role: str
    resource: str
    identity: str
    self_test: str
    """``pass``, ``fail: <code>``, ``not supported`` or ``error: ...``."""
    ok: bool


def self_test(instrument: Instrument) -> str:
    """The instrument's own check, by what the model offers.

    SCPI models run ``*TST?`` (0 means passed). The ITECH IT8511 (binary frames) has no
    self-test command: its identify frame (read when it was opened) and one read of V/I/P show
    that it answers and measures; an ESPEC chamber likewise its ``TYPE?`` and one ``TEMP?``. The
    Hioki BT356x is checked by ``*ESR?``: its error bits must be
    clear (it has no error queue).
    """
    try:
        if isinstance(instrument, ScpiInstrument):
            return _tst(instrument)
        if isinstance(instrument, HiokiBT356x):
            status = instrument.event_status() & ESR_ERRORS
            if status:
                return f"fail: *ESR? error bits {status} ({describe_esr(status)})"
            return "pass (*ESR? error bits clear)"
        if isinstance(instrument, ElectronicLoad):
            reading = instrument.measure()
            return (
                f"pass (no self-test command; identify frame and V/I read answered: "
                f"{reading.voltage.m_as('V'):.3f} V, {reading.current.m_as('A'):.4f} A)"
            )
        if isinstance(instrument, TemperatureChamber):
            air = instrument.air_temperature()
            return f"pass (no self-test command; TYPE? and TEMP? answered: air {air:.1f~P})"
    except InstrumentError as exc:
        return f"error: {exc}"
    return "not supported"


def _tst(instrument: ScpiInstrument) -> str:
    reply = instrument.query("*TST?").strip()
    try:
        code = int(float(reply))
    except ValueError:
        return f"error: unexpected reply {reply!r}"
    return "pass" if code == 0 else f"fail: code {code}"


def check_station(
    config: StationConfig, *, prompts: Prompts, report: Callable[[CheckResult], None]
) -> list[CheckResult]:
    """Open each instrument alone, identify and self-test it; unreachable ones are reported, not
    raised, so one check shows every problem of the station."""
    results: list[CheckResult] = []
    with ExitStack() as stack:
        if config.simulation is not None:
            endpoints = start_simulation(config, stack, unit_serial="")[0]
        else:
            endpoints = {}
            for role in (*ROLE_NAMES, *OPTIONAL_ROLES):
                if role not in config.instruments:
                    continue
                try:
                    endpoints[role] = Endpoint.from_config(config.instruments[role])
                except StationError as exc:
                    results.append(CheckResult(role, "", "", f"error: {exc}", False))
                    report(results[-1])
        for role, endpoint in endpoints.items():
            try:
                instrument = open_endpoint(endpoint, config)
            except StationError as exc:
                result = CheckResult(role, endpoint.resource, "", f"error: {exc}", False)
            else:
                try:
                    test = self_test(instrument)
                    result = CheckResult(
                        role,
                        endpoint.resource,
                        str(instrument.identity),
                        test,
                        not test.startswith(("fail", "error")),
                    )
                finally:
                    _close_quietly(instrument)
            results.append(result)
            report(result)
    return results
