"""Station files: which instruments sit where, the fixture wiring, safety limits and the store.

A station file is TOML written by a bench engineer, read by every command; a mistake in it must
stop the command before anything is opened or written, with a message naming the field and the
fix (``ConfigError``, exit 2). Physical values are ``"<number> <unit>"`` strings so that a limit
in mA where A was meant is refused instead of being read a thousand times too high.

    [station]
    id = "lab-01"
    operator = "j.doe"
    simulated = false                      # true: no hardware, the bench starts a simulator
    database = "postgresql+psycopg://..."  # optional, default: SQLite in the user data dir
    evidence_dir = "/srv/packbench/evidence"

    [fixture]
    source_channel = 1                     # the source channel wired to the pack / board
                                           # (checked against the source model's channels)

    [limits]
    max_voltage = "9 V"
    max_current = "3 A"
    max_temperature = "60 degC"            # the over-temperature abort uses min(this, cells)
    # allow_charge_without_temperature = true   # only without [instruments.temperature]

    [instruments.dmm]
    model = "34461A"                       # or "auto": whatever *IDN? says
    resource = "TCPIP::192.168.10.21::5025::SOCKET"

    [instruments.temperature]              # optional: a 344xx on the pack's NTC / a probe
    model = "34461A"
    resource = "TCPIP::192.168.10.25::5025::SOCKET"

    [instruments.chamber]                  # optional: a chamber around the cell fixture
    model = "SU-241"                       # ESPEC SU/SH (no *IDN?: name the model)
    resource = "/dev/ttyUSB1"
    [recording]                            # optional: when the store is busy, down or full
    journal_dir = "/var/lib/packbench/journal"  # default: user data dir; keep off the store disk
    on_store_unavailable = "continue"      # or "stop": end the run safely at the next step
    retry_for = "30 s"                     # how long the run's end (or "stop") retries the store

    [notifications]                        # optional: the major-complaint emergency path
    emergency_group = ["qa.lead@example.com", "plant.manager@example.com"]
    channel = "smtp"                       # or "log" (tests, a bench without mail)
    smtp_host = "mail.example.com"
    smtp_port = 25
    sender = "packbench@example.com"
    starttls = false
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StrictBool, ValidationError

from bench import paths
from bench.errors import ConfigError
from instruments.drivers import find_entry, known_models, load_driver
from instruments.factory import ROLES, classify_resource
from instruments.quantity_field import Problem, QuantityProblem, QuantityRule, Range
from instruments.safety import SafetyLimits
from instruments.units import Q_, Quantity
from results.journaled_recorder import POLICIES, StorePolicy

STATIONS_DIR = Path(__file__).with_name("stations")
SIMULATED_STATION = STATIONS_DIR / "simulated.toml"
OPTIONAL_ROLES = ("temperature", "chamber")
"""Roles a station may lack: without ``temperature`` it charges only if the file allows it;
without ``chamber`` (a temperature chamber around the cell fixture) the cells are not read cold,
so lithium plating is not told from ageing (``procedures.diagnosis.cold_resistance``)."""
ROLE_NAMES = tuple(role for role in ROLES if role not in OPTIONAL_ROLES)
"""``dmm``, ``source``, ``load``, ``rmeter``: every diagnosis needs all four."""
SIM_MODELS: dict[str, tuple[str, ...]] = {
    "dmm": ("34461A",),
    "source": ("E36312A", "DP832"),
    "load": ("DL3021", "IT8511"),
    "rmeter": ("BT3562", "BT3563"),
    "temperature": ("34461A",),
    "chamber": ("SU-241",),
}
"""What a simulated station can put in each role (mirrors ``simulators.launcher.MODELS``,
checked against it in the tests: config must not start a simulator just to validate a file)."""

_SECTIONS = {
    "station",
    "fixture",
    "limits",
    "instruments",
    "simulation",
    "notifications",
    "recording",
}
CHANNELS = ("log", "smtp")
_NOTIFICATION_KEYS = {
    "emergency_group",
    "channel",
    "smtp_host",
    "smtp_port",
    "sender",
    "starttls",
    "language",
}
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+$")
_INSTRUMENT_KEYS = {
    "model",
    "resource",
    "timeout",
    "baudrate",
    "read_termination",
    "write_termination",
}
_ADDRESS = re.compile(r"^[A-Za-z0-9_.-]+:\d{1,5}$")


@dataclass(frozen=True)
class InstrumentConfig:
    role: str
    model: str
    """A driver model (``34461A``) or ``auto`` (identify by ``*IDN?``)."""
    resource: str | None
    """``None`` only on a simulated station that starts its own simulator."""
    timeout_s: float = 2.0
    options: Mapping[str, Any] = field(default_factory=dict)
    """Transport options handed to ``open_instrument`` (``baudrate``, terminations)."""
    current_resolution: Quantity | None = None
    """Source only: its current readback resolution (the role cannot tell it); fine enough,
    it lets the board test judge the board's µA self-consumption instead of skipping it."""


@dataclass(frozen=True)
class SimulationConfig:
    """A simulated station: start a simulator per run, or attach to one already serving.

    ``control`` set: attach to the simulator whose control endpoint is there (resources come from
    ``[instruments]``); unset: start one per run with the models of ``[instruments]``.
    ``speed``: virtual seconds per wall second of every wait (``None``: as fast as possible).
    """

    control: str | None = None
    speed: float | None = None
    fault: str = "healthy"
    units: Mapping[str, str] = field(default_factory=dict)
    seed: int = 0
    source_models: tuple[str, ...] = ()
    """Further source models the simulator may emulate when ``[instruments.source]`` cannot
    serve a spec (``bench.source_choice``); only for a station that starts its simulator."""

    def fault_for(self, serial: str, override: str | None = None) -> str:
        return override or self.units.get(serial, self.fault)


@dataclass(frozen=True)
class NotificationsConfig:
    """Who hears of a major complaint, and how: the station's emergency group and channel.

    Kept in the station file because the bench that registers a fire complaint at 3 a.m. is the
    one that must raise the alarm; ``channel = "log"`` writes to the log only (tests, no mail).
    """

    emergency_group: tuple[str, ...]
    channel: str = "log"
    smtp_host: str | None = None
    smtp_port: int = 25
    sender: str | None = None
    starttls: bool = False
    language: str = "en"
    """``[notifications] language``: the language the emergency group's alert is written in
    (``en`` or ``zh_CN``); the group's readers', not the operator's (``[station] language``)."""


@dataclass(frozen=True)
class RecordingConfig:
    """Where a run's journal lives and what a run does while the store is unavailable."""

    journal_dir: Path = field(default_factory=paths.default_journal_dir)
    policy: StorePolicy = field(default_factory=StorePolicy)


@dataclass(frozen=True)
class StationConfig:
    station_id: str
    operator: str
    instruments: Mapping[str, InstrumentConfig]
    source_channel: int
    limits: SafetyLimits
    max_temperature: Quantity | None
    database: str
    evidence_dir: Path
    simulation: SimulationConfig | None
    source: str
    """The file it came from (or ``<builtin>``), for messages."""
    notifications: NotificationsConfig | None = None
    """``None``: no ``[notifications]``; major complaints are refused until it is added."""
    database_from_file: bool = False
    """Whether ``database`` was written in the file (else it is the user data dir default)."""
    database_origin: str = "station.database"
    """Where ``database`` came from, as messages name it (``bench.store_setting``)."""
    allow_charge_without_temperature: bool = False
    """``[limits]``: the file's explicit consent to energise packs with no temperature channel."""

    @property
    def has_temperature(self) -> bool:
        return "temperature" in self.instruments

    recording: RecordingConfig = field(default_factory=RecordingConfig)
    language: str = "en"
    """``[station] language``: the operator's questions at the terminal, and the panel's default
    language (``en`` or ``zh_CN``)."""

    @property
    def simulated(self) -> bool:
        return self.simulation is not None


class _Reader:
    """Typed access to one TOML table that names ``file: field`` in every complaint."""

    def __init__(self, source: str, table: Mapping[str, Any], prefix: str) -> None:
        self.source = source
        self.table = table
        self.prefix = prefix

    def where(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def fail(self, key: str, problem: str, fix: str) -> ConfigError:
        return ConfigError(self.source, self.where(key), problem, fix)

    def only(self, allowed: set[str]) -> None:
        for key in self.table:
            if key not in allowed:
                raise self.fail(
                    key, "unknown key", f"remove it or use one of: {', '.join(sorted(allowed))}"
                )

    def text(self, key: str, *, default: str | None = None) -> str:
        value = self.table.get(key, default)
        if value is None:
            raise self.fail(key, "is missing", f'add {key} = "..." to [{self.prefix}]')
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"{value!r} is not a non-empty string", 'write it as "text"')
        return value.strip()

    def boolean(self, key: str, default: bool) -> bool:
        value = self.table.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, f"{value!r} is not true/false", "write true or false")
        return value

    def integer(self, key: str, default: int, minimum: int) -> int:
        value = self.table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"{value!r} is not a whole number >= {minimum}", f"e.g. {default}")
        number: int = value
        return number

    def quantity(self, key: str, unit: str, example: str) -> Quantity | None:
        value = self.table.get(key)
        if value is None:
            return None
        try:
            parsed = _station_quantity(unit).parse(value)
        except QuantityProblem as problem:
            raise self.fail(key, *_quantity_problem_text(problem, unit, example)) from None
        # The split "number unit" reading always gave a float magnitude; keep it so.
        result: Quantity = Q_(float(parsed.magnitude), parsed.units)
        return result


def _quantity_problem_text(problem: QuantityProblem, unit: str, example: str) -> tuple[str, str]:
    """The station file's wording (problem, fix) for what the shared quantity check found."""
    value = problem.raw
    if problem.kind is Problem.NOT_TEXT:
        return f"{value!r} has no unit", f'write it as a string with its unit: "{example}"'
    if problem.kind is Problem.UNREADABLE:
        return f"{value!r} is not a quantity", f'write it like "{example}"'
    if problem.kind is Problem.NO_UNIT:
        return f"{value!r} has no unit", f'write it like "{example}"'
    if problem.kind is Problem.WRONG_DIMENSION:
        return (
            f"{value!r} is in {problem.parsed.units:~P}, which is not a unit of {unit!r}",
            f'give it in {unit} or a compatible unit, e.g. "{example}"',
        )
    return f"{value!r} must be a positive finite value", f'e.g. "{example}"'


def _resource_problem(resource: str) -> str | None:
    if classify_resource(resource) is not None:
        return None
    return (
        f"{resource!r} is neither a VISA resource string nor a serial port: use "
        "TCPIP::<host>::<port>::SOCKET (LAN, raw SCPI), TCPIP::<host>::INSTR (VXI-11), "
        "USB0::<vendor>::<product>::<serial>::INSTR, GPIB0::<address>::INSTR, "
        "/dev/ttyUSB0 or COM3 (RS-232), socket://<host>:<port>"
    )


def _instrument(
    source: str, role: str, table: Any, simulated: bool, attach: bool
) -> InstrumentConfig:
    if not isinstance(table, Mapping):
        raise ConfigError(
            source,
            f"instruments.{role}",
            "is not a table",
            f'write [instruments.{role}] with model = "..." and resource = "..."',
        )
    r = _Reader(source, table, f"instruments.{role}")
    r.only(_INSTRUMENT_KEYS | ({"current_resolution"} if role == "source" else set()))
    model = r.text("model", default="auto" if not simulated else SIM_MODELS[role][0])
    if simulated:
        if model.upper() not in SIM_MODELS[role]:
            raise r.fail(
                "model",
                f"{model!r} is not simulated in the {role} role",
                f"use one of {', '.join(SIM_MODELS[role])}",
            )
        model = model.upper()
    elif model.lower() == "auto" and role == "chamber":
        raise r.fail(
            "model",
            "cannot be auto: a temperature chamber speaks no *IDN?",
            f"name its model ({', '.join(m for m in known_models() if m.startswith('S'))})",
        )
    elif model.lower() == "auto":
        model = "auto"
    else:
        entry = find_entry(model)
        if entry is None:
            raise r.fail(
                "model",
                f"unknown model {model!r}",
                f'use "auto" or a model with a driver ({", ".join(known_models())}); for '
                "another model add a driver (docs/adding-a-driver.md)",
            )
        driver = load_driver(entry)
        if not issubclass(driver, ROLES[role]):
            raise r.fail(
                "model",
                f"{model} is a {driver.__name__}, which cannot serve as {role}",
                f"put a {ROLES[role].__name__} here, or move {model} to its own role",
            )
        if (
            entry.binary
            and "resource" in table
            and classify_resource(str(table["resource"])) != "serial"
        ):
            raise r.fail(
                "resource", f"{model} speaks binary frames over RS-232", "give its serial port"
            )
    resource: str | None = None
    if simulated and not attach and "resource" in table:
        raise r.fail(
            "resource",
            "is given, but this simulated station starts its own simulator and would not use it",
            "remove it, or attach to a running simulator with [simulation] control = "
            '"host:port" (then every instrument needs its resource)',
        )
    if "resource" in table or not simulated or attach:
        resource = r.text("resource")
        problem = _resource_problem(resource)
        if problem:
            raise r.fail("resource", problem, "correct the resource string (docs/stations.md)")
    timeout = r.quantity("timeout", "s", "2 s")
    options: dict[str, Any] = {}
    if "baudrate" in table:
        options["baudrate"] = r.integer("baudrate", 9600, 300)
    for key in ("read_termination", "write_termination"):
        if key in table:
            value = table[key]
            if not isinstance(value, str) or value not in ("\n", "\r\n", "\r"):
                raise r.fail(key, f"{value!r} is not a line ending", 'use "\\n" or "\\r\\n"')
            options[key] = value
    return InstrumentConfig(
        role,
        model,
        resource,
        2.0 if timeout is None else timeout.m_as("s"),
        options,
        r.quantity("current_resolution", "A", "0.1 uA") if role == "source" else None,
    )


def source_channels(model: str) -> tuple[int, ...] | None:
    """The output channels of a DC-source model (from its driver), ``None`` if not known here.

    ``auto`` (and a model without a driver) is known only once the instrument answers; the
    station then checks the channel when it opens the source (``bench.station``).
    """
    entry = None if model == "auto" else find_entry(model)
    if entry is None:
        return None
    ratings = getattr(load_driver(entry), "RATINGS", None)
    return tuple(sorted(ratings)) if isinstance(ratings, Mapping) else None


def channel_problem(channel: int, model: str, channels: tuple[int, ...]) -> tuple[str, str]:
    """(problem, fix) of a source channel the model does not have: one wording for both checks."""
    listed = ", ".join(str(c) for c in channels)
    return (
        f"{channel} is not a channel of the {model} (it has channels {listed})",
        f"set source_channel to the {model} channel wired to the pack fixture ({listed})",
    )


def _check_source_channel(fx: _Reader, entry: InstrumentConfig, channel: int) -> None:
    channels = source_channels(entry.model)
    if channels is not None and channel not in channels:
        problem, fix = channel_problem(channel, entry.model, channels)
        raise fx.fail("source_channel", problem, fix)


def _simulation(source: str, table: Any) -> SimulationConfig:
    if table is None:
        return SimulationConfig()
    if not isinstance(table, Mapping):
        raise ConfigError(source, "simulation", "is not a table", "write [simulation]")
    r = _Reader(source, table, "simulation")
    r.only({"control", "speed", "fault", "units", "seed", "source_models"})
    control = None
    if "control" in table:
        control = r.text("control")
        if not _ADDRESS.match(control):
            raise r.fail("control", f"{control!r} is not host:port", 'e.g. "127.0.0.1:5050"')
    speed = table.get("speed")
    if speed is not None and (
        isinstance(speed, bool) or not isinstance(speed, int | float) or not speed > 0
    ):
        raise r.fail("speed", f"{speed!r} is not a positive number", "e.g. 600, or leave it out")
    units = table.get("units", {})
    if not isinstance(units, Mapping) or not all(isinstance(v, str) for v in units.values()):
        raise r.fail(
            "units", "is not a table of serial = fault", '[simulation.units] "SN1" = "..."'
        )
    fault = r.text("fault", default="healthy")
    _check_fault(r, "fault", fault)
    for serial, unit_fault in units.items():
        _check_fault(r, f"units.{serial}", unit_fault)
    seed = r.integer("seed", 0, 0)
    if seed > 2**32 - 1:
        raise r.fail("seed", f"{seed} is too large", "give a seed in 0 .. 4294967295")
    source_models = table.get("source_models", [])
    if not isinstance(source_models, list) or any(
        not isinstance(m, str) or m.upper() not in SIM_MODELS["source"] for m in source_models
    ):
        raise r.fail(
            "source_models",
            f"{source_models!r} is not a list of simulated source models",
            f'list some of {", ".join(SIM_MODELS["source"])}, e.g. ["DP832"]',
        )
    return SimulationConfig(
        source_models=tuple(m.upper() for m in source_models),
        control=control,
        speed=None if speed is None else float(speed),
        fault=fault,
        units=dict(units),
        seed=seed,
    )


def _check_fault(r: _Reader, key: str, name: str) -> None:
    """A fault the simulator does not know would stop the run later; name it now."""
    from simulators.launcher import combination_problem, fault_catalogue

    catalogue = fault_catalogue()
    for part in name.split("+"):
        if part.strip() and part.strip() not in catalogue:
            raise r.fail(
                key,
                f"unknown simulated fault {part.strip()!r}",
                f"use one of: {', '.join(sorted(catalogue))}, or several joined by '+' "
                "(packbench sim --list-faults)",
            )
    problem = combination_problem(name)
    if problem is not None:
        raise r.fail(key, problem, "combine faults that can exist together, each named once")


def _notifications(source: str, table: Any) -> NotificationsConfig | None:
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise ConfigError(source, "notifications", "is not a table", "write [notifications]")
    r = _Reader(source, table, "notifications")
    r.only(_NOTIFICATION_KEYS)
    group = table.get("emergency_group")
    example = 'emergency_group = ["qa.lead@example.com"]'
    if not isinstance(group, list) or not group:
        raise r.fail("emergency_group", f"{group!r} is not a non-empty list", example)
    members: list[str] = []
    for address in group:
        if not isinstance(address, str) or not _EMAIL.match(address.strip()):
            raise r.fail(
                "emergency_group", f"{address!r} is not an e-mail address", "give name@host"
            )
        if address.strip() not in members:
            members.append(address.strip())
    channel = r.text("channel", default="log")
    if channel not in CHANNELS:
        raise r.fail("channel", f"unknown channel {channel!r}", f"use one of {', '.join(CHANNELS)}")
    host = r.text("smtp_host") if "smtp_host" in table else None
    sender = r.text("sender") if "sender" in table else None
    if channel == "smtp":
        if host is None:
            raise r.fail("smtp_host", "is missing for channel smtp", 'add smtp_host = "mail.host"')
        if sender is None:
            raise r.fail("sender", "is missing for channel smtp", 'add sender = "bench@host"')
    if sender is not None and not _EMAIL.match(sender):
        raise r.fail("sender", f"{sender!r} is not an e-mail address", "give name@host")
    port = r.integer("smtp_port", 25, 1)
    if port > 65535:
        raise r.fail("smtp_port", f"{port} is not a TCP port", "give 1..65535, e.g. 25 or 587")
    language = r.text("language", default="en")
    if language not in STATION_LANGUAGES:
        raise r.fail(
            "language",
            f"{language!r} is not a language the alert is written in",
            f"use one of: {', '.join(STATION_LANGUAGES)}",
        )
    return NotificationsConfig(
        emergency_group=tuple(members),
        channel=channel,
        smtp_host=host,
        smtp_port=port,
        sender=sender,
        starttls=r.boolean("starttls", False),
        language=language,
    )


def _allows_without_temperature(data: Mapping[str, Any]) -> bool:
    """``[limits] allow_charge_without_temperature = true`` (its type is checked later)."""
    limits = data.get("limits")
    return isinstance(limits, Mapping) and limits.get("allow_charge_without_temperature") is True


def _recording(source: str, table: Any) -> RecordingConfig:
    if table is None:
        return RecordingConfig()
    if not isinstance(table, Mapping):
        raise ConfigError(source, "recording", "is not a table", "write [recording]")
    r = _Reader(source, table, "recording")
    r.only({"journal_dir", "on_store_unavailable", "retry_for"})
    policy = r.text("on_store_unavailable", default=StorePolicy.on_unavailable)
    if policy not in POLICIES:
        raise r.fail(
            "on_store_unavailable",
            f"{policy!r} is not a policy",
            'use "continue" (keep measuring, steps kept in the journal) or "stop" (end the run '
            "safely at the next step)",
        )
    retry = r.quantity("retry_for", "s", "30 s")
    journal = table.get("journal_dir")
    return RecordingConfig(
        journal_dir=(
            Path(r.text("journal_dir")).expanduser()
            if journal is not None
            else paths.default_journal_dir()
        ),
        policy=StorePolicy(
            on_unavailable=policy,
            retry_for_s=StorePolicy.retry_for_s if retry is None else float(retry.m_as("s")),
        ),
    )


def _station_quantity(unit: str) -> QuantityRule:
    """A station quantity: finite, and positive unless it is a temperature."""
    return QuantityRule(unit, Range.ANY if unit == "degC" else Range.POSITIVE, finite=True)


class LimitsTable(BaseModel):
    """``[limits]``: the bench's hard safety limits, every one optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_voltage: Annotated[Quantity, _station_quantity("V")] | None = None
    max_current: Annotated[Quantity, _station_quantity("A")] | None = None
    max_power: Annotated[Quantity, _station_quantity("W")] | None = None
    max_temperature: Annotated[Quantity, _station_quantity("degC")] | None = None
    allow_short: StrictBool = True
    allow_charge_without_temperature: StrictBool = False


_LIMIT_EXAMPLES = {
    "max_voltage": ("V", "9 V"),
    "max_current": ("A", "3 A"),
    "max_power": ("W", "30 W"),
    "max_temperature": ("degC", "60 degC"),
}


def _limits(lim: _Reader) -> LimitsTable:
    """``[limits]`` validated by ``LimitsTable``; a refusal in the station file's own words."""
    try:
        return LimitsTable.model_validate(dict(lim.table))
    except ValidationError as refused:
        errors = refused.errors()
        unknown = [e for e in errors if e["type"] == "extra_forbidden"]
        error = unknown[0] if unknown else errors[0]
        key = str(error["loc"][0])
        if unknown:
            allowed = ", ".join(sorted(LimitsTable.model_fields))
            raise lim.fail(key, "unknown key", f"remove it or use one of: {allowed}") from None
        problem = error.get("ctx", {}).get("problem")
        if isinstance(problem, QuantityProblem):
            unit, example = _LIMIT_EXAMPLES[key]
            raise lim.fail(key, *_quantity_problem_text(problem, unit, example)) from None
        value = lim.table[key]
        raise lim.fail(key, f"{value!r} is not true/false", "write true or false") from None


def _float_magnitude(value: Quantity | None) -> Quantity | None:
    """The hand-written reader gave float magnitudes ("1.0 A" in messages); keep them."""
    return None if value is None else Q_(float(value.magnitude), value.units)


def parse_station(data: Mapping[str, Any], source: str) -> StationConfig:
    """Validate a parsed station file; the first problem raises ``ConfigError``."""
    top = _Reader(source, data, "")
    top.only(_SECTIONS)
    station_table = data.get("station")
    if not isinstance(station_table, Mapping):
        raise ConfigError(source, "station", "is missing", 'add [station] with id = "..."')
    st = _Reader(source, station_table, "station")
    st.only({"id", "operator", "simulated", "database", "evidence_dir", "language"})
    simulated = st.boolean("simulated", False)
    simulation = _simulation(source, data.get("simulation")) if simulated else None
    if not simulated and "simulation" in data:
        raise ConfigError(
            source, "simulation", "given on a station that is not simulated", "set simulated = true"
        )
    attach = simulation is not None and simulation.control is not None
    instruments = _instruments(source, data, simulated, attach)
    source_channel = _source_channel(source, data, instruments)
    limits = _station_limits(source, data, instruments)
    allow_without = limits.allow_charge_without_temperature
    database = station_table.get("database")
    evidence = station_table.get("evidence_dir")
    return StationConfig(
        station_id=st.text("id"),
        operator=st.text("operator", default="operator"),
        instruments=instruments,
        source_channel=source_channel,
        limits=SafetyLimits(
            max_voltage=_float_magnitude(limits.max_voltage),
            max_current=_float_magnitude(limits.max_current),
            max_power=_float_magnitude(limits.max_power),
            allow_short=limits.allow_short,
        ),
        max_temperature=_float_magnitude(limits.max_temperature),
        database=st.text("database") if database is not None else str(paths.default_database()),
        evidence_dir=(
            Path(st.text("evidence_dir")).expanduser()
            if evidence is not None
            else paths.default_evidence_dir()
        ),
        simulation=simulation,
        source=source,
        notifications=_notifications(source, data.get("notifications")),
        database_from_file=database is not None,
        allow_charge_without_temperature=allow_without,
        recording=_recording(source, data.get("recording")),
        language=_language(st),
    )


STATION_LANGUAGES = ("en", "zh_CN")


def _language(st: _Reader) -> str:
    language = st.text("language", default="en")
    if language not in STATION_LANGUAGES:
        raise st.fail(
            "language",
            f"{language!r} is not a language the questions are written in",
            f"use one of: {', '.join(STATION_LANGUAGES)}",
        )
    return language


def _instruments(
    source: str, data: Mapping[str, Any], simulated: bool, attach: bool
) -> dict[str, InstrumentConfig]:
    """``[instruments.<role>]``: every required role (a simulated station that starts its own
    simulator fills in the simulated models), and the optional ones given or simulated."""
    instruments_table = data.get("instruments", {})
    if not isinstance(instruments_table, Mapping):
        raise ConfigError(source, "instruments", "is not a table", "write [instruments.<role>]")
    for role in instruments_table:
        if role not in ROLES:
            raise ConfigError(
                source,
                f"instruments.{role}",
                "unknown role",
                f"use the roles {', '.join((*ROLE_NAMES, *OPTIONAL_ROLES))}",
            )
    instruments: dict[str, InstrumentConfig] = {}
    for role in ROLE_NAMES:
        if role not in instruments_table:
            if simulated and not attach:
                instruments[role] = InstrumentConfig(role, SIM_MODELS[role][0], None)
                continue
            raise ConfigError(
                source,
                f"instruments.{role}",
                "is missing (the diagnosis needs a multimeter, a DC source, an electronic load "
                "and a resistance meter)",
                f'add [instruments.{role}] with model = "..." and resource = "..."',
            )
        instruments[role] = _instrument(source, role, instruments_table[role], simulated, attach)
    for role in OPTIONAL_ROLES:
        if role in instruments_table:
            instruments[role] = _instrument(
                source, role, instruments_table[role], simulated, attach
            )
        elif role == "chamber":
            continue  # only where the file puts one: a chamber is a station's choice
        elif simulated and not attach and not _allows_without_temperature(data):
            # the simulator it starts has the probe DMM, unless the file declines it
            instruments[role] = InstrumentConfig(role, SIM_MODELS[role][0], None)
    return instruments


def _source_channel(
    source: str, data: Mapping[str, Any], instruments: Mapping[str, InstrumentConfig]
) -> int:
    """``[fixture]``: the source channel wired to the pack, checked against the source model."""
    fixture = data.get("fixture", {})
    if not isinstance(fixture, Mapping):
        raise ConfigError(source, "fixture", "is not a table", "write [fixture]")
    fx = _Reader(source, fixture, "fixture")
    if "load_channel" in fixture:
        raise fx.fail(
            "load_channel",
            "is not a setting: every supported electronic load (DL3021, IT8511) has one input",
            "remove load_channel; the load's input is wired to P+/P- of the fixture",
        )
    fx.only({"source_channel"})
    source_channel = fx.integer("source_channel", 1, 1)
    _check_source_channel(fx, instruments["source"], source_channel)
    return source_channel


def _station_limits(
    source: str, data: Mapping[str, Any], instruments: Mapping[str, InstrumentConfig]
) -> LimitsTable:
    """``[limits]``; charging without a temperature channel may be allowed only on a station
    that has none."""
    limits_table = data.get("limits", {})
    if not isinstance(limits_table, Mapping):
        raise ConfigError(source, "limits", "is not a table", "write [limits]")
    lim = _Reader(source, limits_table, "limits")
    limits = _limits(lim)
    if limits.allow_charge_without_temperature and "temperature" in instruments:
        raise lim.fail(
            "allow_charge_without_temperature",
            "is true on a station that has [instruments.temperature]",
            "remove it: with a temperature channel the over-temperature abort is always armed",
        )
    return limits


def load_station(path: Path | str | None = None) -> StationConfig:
    """Read and validate a station file (``None``: the built-in simulated station)."""
    file = Path(path) if path is not None else SIMULATED_STATION
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            str(file), "(file)", f"cannot be read ({exc.strerror})", "check the --station path"
        ) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(file), "(syntax)", str(exc), "correct the TOML syntax") from exc
    return parse_station(data, str(file))
