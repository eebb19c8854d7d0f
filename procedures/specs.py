"""Pack specs: the data a diagnosis judges against, loaded from TOML and validated on load.

A spec is data, not code, so that quality engineers can add a pack model without a release; the
price is that nothing checks it at import time, so this loader checks every field (present, known,
right dimension, positive, ordered as physics demands) and names the file, the field and the fix.
The simulator reads the same files with its own reader, so the format must not drift.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StrictStr,
    ValidationError,
    create_model,
)

from instruments.quantity_field import Problem, QuantityProblem, QuantityRule, Range
from instruments.units import Quantity, ureg
from procedures.errors import SpecError

SPEC_DIR = Path(__file__).with_name("specs")
CHEMISTRIES = ("NMC", "LCO", "LFP")
SCHEMA = 1
CHARGE_TEMPERATURE_MAX_C = 45.0
DISCHARGE_TEMPERATURE_MAX_C = 60.0
"""Cell temperature windows of the chemistries shipped (NMC, LCO, LFP 18650/26650 datasheets):
charge 0..45 degC, discharge -20..60 degC (battery-domain §6). Not per spec file yet: every
shipped cell states the same window, and the over-temperature abort needs one now."""


@dataclass(frozen=True, slots=True)
class ProductSpec:
    model: str
    description: str
    chemistry: str
    series: int
    parallel: int


@dataclass(frozen=True, slots=True)
class CellSpec:
    model: str
    capacity: Quantity
    nominal_voltage: Quantity
    charge_voltage: Quantity
    discharge_cutoff: Quantity
    ac_resistance_new: Quantity
    ac_resistance_warn_factor: float
    ac_resistance_reject_factor: float
    self_discharge_per_month: float


@dataclass(frozen=True, slots=True)
class PackLimits:
    ac_resistance_max: Quantity
    voltage_low: Quantity
    voltage_high: Quantity
    voltage_zero: Quantity


@dataclass(frozen=True, slots=True)
class ChargeSpec:
    voltage: Quantity
    current: Quantity
    taper_current: Quantity
    precharge_below: Quantity
    precharge_current: Quantity
    zero_volt_min: Quantity
    max_time: Quantity


@dataclass(frozen=True, slots=True)
class ProtectionSpec:
    ic: str
    overcharge_detect: Quantity
    overcharge_detect_tolerance: Quantity
    overcharge_release: Quantity
    overcharge_release_tolerance: Quantity
    overcharge_delay: Quantity
    overcharge_delay_tolerance: Quantity
    overdischarge_detect: Quantity
    overdischarge_detect_tolerance: Quantity
    overdischarge_release: Quantity
    overdischarge_release_tolerance: Quantity
    overdischarge_delay: Quantity
    overdischarge_delay_tolerance: Quantity
    overcurrent_detect_voltage: Quantity
    overcurrent_trip: Quantity
    overcurrent_trip_tolerance: Quantity
    overcurrent_delay: Quantity
    overcurrent_delay_tolerance: Quantity
    short_circuit_detect_voltage: Quantity
    short_circuit_delay: Quantity
    short_circuit_delay_max: Quantity
    mosfet_on_resistance: Quantity
    main_loop_resistance_max: Quantity
    fuse_resistance: Quantity
    """Cold resistance of the board's fuse: part of the main loop (the simulator's too)."""
    trace_resistance: Quantity
    """Copper and joints B- to P- besides the MOSFETs and the fuse."""
    self_consumption_max: Quantity
    zero_volt_charge: bool
    power_down_after_overdischarge: bool
    fuse_rating: Quantity


@dataclass(frozen=True, slots=True)
class HealthSpec:
    """How much of its rated capacity a returned pack must still hold (state of health).

    Judged on the charge a complete CC-CV puts in from the under-voltage release, and on the
    optional discharge capacity check: below ``capacity_warn_share`` of the pack's rated
    capacity is marginal (worn), below ``capacity_min_share`` fails (end of life).
    """

    capacity_min_share: float
    capacity_warn_share: float


@dataclass(frozen=True, slots=True)
class OutgoingLimits:
    """What a reworked or replacement pack must show before it ships (outgoing inspection).

    Stricter than ``[pack]``, which says what a *returned* pack may show and still be judged:
    goods leaving the factory sit at a storage charge (``voltage_min``..``voltage_max``, pack
    values at P+/P-) and measure like a new pack at the connector (``ac_resistance_max``, 1 kHz).
    """

    voltage_min: Quantity
    voltage_max: Quantity
    ac_resistance_max: Quantity


@dataclass(frozen=True, slots=True)
class Dimension:
    """One outline dimension of the drawing: ``nominal - minus <= measured <= nominal + plus``."""

    name: str
    nominal: Quantity
    minus: Quantity
    plus: Quantity

    @property
    def low(self) -> Quantity:
        low: Quantity = self.nominal - self.minus
        return low

    @property
    def high(self) -> Quantity:
        high: Quantity = self.nominal + self.plus
        return high


@dataclass(frozen=True, slots=True)
class PackSpec:
    """One pack model. Cell and protection thresholds are per cell; pack and charge per pack.

    ``dimensions`` (the outline drawing, in file order) is optional: a spec written before the
    appearance inspection existed still loads, and that inspection then says what is missing.
    ``outgoing`` (the outgoing inspection's limits) is optional for the same reason: without it
    the outgoing inspection is refused, naming the section to add.
    """

    source: Path
    schema: int
    product: ProductSpec
    cell: CellSpec
    pack: PackLimits
    charge: ChargeSpec
    protection: ProtectionSpec
    health: HealthSpec
    dimensions: tuple[Dimension, ...] = ()
    outgoing: OutgoingLimits | None = None

    def dimension(self, name: str) -> Dimension:
        for item in self.dimensions:
            if item.name == name:
                return item
        raise KeyError(
            f"spec {self.model!r} has no dimension {name!r}; "
            f"known: {[d.name for d in self.dimensions]}"
        )

    @property
    def model(self) -> str:
        return self.product.model

    @property
    def max_charge_temperature(self) -> Quantity:
        """Above this cell temperature a charge must stop (the cells' charge window)."""
        return ureg.Quantity(CHARGE_TEMPERATURE_MAX_C, "degC")

    @property
    def max_discharge_temperature(self) -> Quantity:
        """Above this cell temperature a discharge test must stop."""
        return ureg.Quantity(DISCHARGE_TEMPERATURE_MAX_C, "degC")

    @property
    def capacity(self) -> Quantity:
        """Pack capacity: cell capacity times the cells in parallel."""
        capacity: Quantity = self.cell.capacity * self.product.parallel
        return capacity

    @property
    def nominal_voltage(self) -> Quantity:
        voltage: Quantity = self.cell.nominal_voltage * self.product.series
        return voltage


# The unit each quantity field is written in names its dimension; ``int``/``float``/``str``/
# ``bool`` are plain TOML values (``_PLAIN_TYPES``). Field order is the file's order.
_SECTIONS: dict[str, type] = {
    "product": ProductSpec,
    "cell": CellSpec,
    "pack": PackLimits,
    "charge": ChargeSpec,
    "protection": ProtectionSpec,
    "health": HealthSpec,
}
_DIMENSION_UNIT: dict[str, str] = {
    "capacity": "A*h",
    "max_time": "s",
    "fuse_rating": "A",
    "self_consumption_max": "A",
}


def _dimension_for(field: str) -> str:
    """The unit whose dimension a quantity field must have, from its name."""
    if field in _DIMENSION_UNIT:
        return _DIMENSION_UNIT[field]
    if "resistance" in field:
        return "ohm"
    if "delay" in field:
        return "s"
    if "voltage" in field:
        return "V"
    if "current" in field:
        return "A"
    return "V"


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, field: str, problem: str) -> SpecError:
        return SpecError(self.path, field, problem)

    def section(self, data: dict[str, Any], name: str, cls: type) -> Any:
        table = data.get(name)
        if not isinstance(table, dict):
            raise self.fail(f"[{name}]", f"section missing; add a [{name}] table")
        try:
            values = _section_model(cls).model_validate(table)
        except ValidationError as refused:
            raise self.refusal(name, cls, table, refused) from None
        return cls(**dict(values))

    def refusal(
        self, name: str, cls: type, table: dict[str, Any], refused: ValidationError
    ) -> SpecError:
        """Our wording for the first field pydantic refused (an unknown field before all else)."""
        hints = {f.name: str(f.type) for f in dataclasses.fields(cls)}
        errors = refused.errors()
        unknown = [e for e in errors if e["type"] == "extra_forbidden"]
        error = unknown[0] if unknown else errors[0]
        field = str(error["loc"][0])
        where = f"{name}.{field}"
        if unknown:
            near = difflib.get_close_matches(field, list(hints), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else f"; known fields: {list(hints)}"
            return self.fail(where, f"unknown field{hint}")
        if error["type"] == "missing":
            return self.fail(where, "missing; every field of the schema is required")
        problem = error.get("ctx", {}).get("problem")
        if isinstance(problem, QuantityProblem):
            unit = _dimension_for(field)
            return self.fail(where, _quantity_message(problem, unit, _EXAMPLE[unit]))
        raw, type_name = table[field], hints[field]
        if type_name == "int":
            return self.fail(where, f"expected a whole number >= 1, got {raw!r}")
        if type_name == "float":
            return self.fail(where, f"expected a number >= 0, got {raw!r}")
        return self.fail(where, f"expected a {type_name}, got {raw!r}")


_EXAMPLE = {"V": "4.30 V", "A": "2.6 A", "ohm": "25 mohm", "s": "144 ms", "A*h": "2.6 Ah"}
"""What a quantity of each dimension looks like, for the fix in a refusal."""

_PLAIN_TYPES: dict[str, Any] = {
    "str": StrictStr,
    "bool": StrictBool,
    "int": Annotated[int, Strict(), Field(ge=1)],
    "float": Annotated[float, Strict(), Field(ge=0)],
}


@cache
def _section_model(cls: type) -> type[BaseModel]:
    """The pydantic model of one spec section: every field required, no unknown field.

    A quantity field's dimension comes from its name (``_dimension_for``), so a new field
    named ``..._voltage`` is checked as volts without a second declaration.
    """
    fields: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        type_name = str(field.type)
        if type_name in _PLAIN_TYPES:
            fields[field.name] = (_PLAIN_TYPES[type_name], ...)
        else:
            rule = QuantityRule(_dimension_for(field.name), Range.POSITIVE)
            fields[field.name] = (Annotated[Quantity, rule], ...)
    model: type[BaseModel] = create_model(
        f"{cls.__name__}Table", __config__=ConfigDict(extra="forbid"), **fields
    )
    return model


def _quantity_message(problem: QuantityProblem, unit: str, example: str) -> str:
    """The spec reader's wording for what the shared quantity check found."""
    raw = problem.raw
    if problem.kind is Problem.NOT_TEXT:
        return f'{raw!r} has no unit; write it as a string, e.g. "{example}"'
    if problem.kind is Problem.UNREADABLE:
        return f'cannot read {raw!r}; write it as "{example}"'
    if problem.kind is Problem.NO_UNIT:
        return f'{raw!r} has no unit; write it as "{example}"'
    if problem.kind is Problem.WRONG_DIMENSION:
        return (
            f"{raw!r} is not a {unit} quantity (dimension {problem.parsed.dimensionality}); "
            f'write it as "{example}"'
        )
    return f"{raw!r} must be positive"


_OPTIONAL_SECTIONS = ("dimensions", "outgoing")
_DIMENSION_KEYS = ("nominal", "tolerance", "plus", "minus")
_DIMENSION_NAME = re.compile(r"[a-z][a-z0-9_]{0,60}")


def _length(path: Path, where: str, raw: object, *, zero_ok: bool) -> Quantity:
    rule = QuantityRule("mm", Range.NON_NEGATIVE if zero_ok else Range.POSITIVE)
    try:
        return rule.parse(raw)
    except QuantityProblem as problem:
        if problem.kind is Problem.NOT_TEXT:
            fix = f'{raw!r} has no unit; write it as a string, e.g. "0.5 mm"'
        elif problem.kind is Problem.UNREADABLE:
            fix = f'cannot read {raw!r}; write it as "0.5 mm"'
        elif problem.kind is Problem.OUT_OF_RANGE:
            fix = f"{raw!r} must be positive"
        else:
            fix = f'{raw!r} is not a length; write it as "0.5 mm"'
        raise SpecError(path, where, fix) from None


def _read_dimensions(path: Path, table: object) -> tuple[Dimension, ...]:
    """The optional outline drawing: ``name = { nominal = "69 mm", tolerance = "1 mm" }``.

    ``tolerance`` is symmetric; ``plus``/``minus`` state an asymmetric one (both, instead of it).
    """
    if table is None:
        return ()
    if not isinstance(table, dict) or not table:
        raise SpecError(path, "[dimensions]", "must be a table of name = { nominal, tolerance }")
    dims: list[Dimension] = []
    for name, entry in table.items():
        where = f"dimensions.{name}"
        if not _DIMENSION_NAME.fullmatch(name):
            raise SpecError(path, where, "name it in lower case with underscores (lead_length)")
        if not isinstance(entry, dict):
            raise SpecError(
                path,
                where,
                f'write it as {{ nominal = "10 mm", tolerance = "0.2 mm" }}, got {entry!r}',
            )
        stray = [key for key in entry if key not in _DIMENSION_KEYS]
        if stray:
            raise SpecError(path, f"{where}.{stray[0]}", f"unknown key; use {_DIMENSION_KEYS}")
        if "nominal" not in entry:
            raise SpecError(path, f"{where}.nominal", "missing; give the drawing's nominal value")
        nominal = _length(path, f"{where}.nominal", entry["nominal"], zero_ok=False)
        has_sym = "tolerance" in entry
        has_asym = "plus" in entry or "minus" in entry
        if has_sym == has_asym or (has_asym and not ("plus" in entry and "minus" in entry)):
            raise SpecError(path, where, "give either tolerance (symmetric) or both plus and minus")
        if has_sym:
            plus = minus = _length(path, f"{where}.tolerance", entry["tolerance"], zero_ok=False)
        else:
            plus = _length(path, f"{where}.plus", entry["plus"], zero_ok=True)
            minus = _length(path, f"{where}.minus", entry["minus"], zero_ok=True)
            if plus.magnitude == 0 and minus.magnitude == 0:
                raise SpecError(path, where, "plus and minus are both zero; no part would pass")
        if minus >= nominal:
            raise SpecError(
                path, where, f"tolerance {minus:~P} is not smaller than the nominal {nominal:~P}"
            )
        dims.append(Dimension(name, nominal, minus, plus))
    return tuple(dims)


def _check(ok: bool, path: Path, field: str, problem: str) -> None:
    if not ok:
        raise SpecError(path, field, problem)


def _check_physics(spec: PackSpec) -> None:
    """Cross-field rules: a spec violating them would make the diagnosis judge nonsense. The
    groups run in this order, so the first rule broken is the one reported."""
    _check_voltage_ladder(spec)
    _check_charge(spec)
    _check_pack_window(spec)
    _check_ageing_limits(spec)
    _check_protection(spec)


def _check_voltage_ladder(spec: PackSpec) -> None:
    """The chemistry, and the cell and protection voltages in their order."""
    p, c, pr, path = spec.product, spec.cell, spec.protection, spec.source
    _check(
        p.chemistry in CHEMISTRIES,
        path,
        "product.chemistry",
        f"{p.chemistry!r} is not one of {', '.join(CHEMISTRIES)}",
    )
    ordered = [
        ("protection.overdischarge_detect", pr.overdischarge_detect),
        ("protection.overdischarge_release", pr.overdischarge_release),
        ("protection.overcharge_release", pr.overcharge_release),
        ("protection.overcharge_detect", pr.overcharge_detect),
    ]
    for (a_name, a), (b_name, b) in itertools.pairwise(ordered):
        _check(a < b, path, b_name, f"{b:~P} must be above {a_name} ({a:~P})")
    _check(
        c.discharge_cutoff < c.nominal_voltage < c.charge_voltage,
        path,
        "cell.nominal_voltage",
        f"need discharge_cutoff < nominal_voltage < charge_voltage, got "
        f"{c.discharge_cutoff:~P} / {c.nominal_voltage:~P} / {c.charge_voltage:~P}",
    )
    _check(
        c.charge_voltage < pr.overcharge_detect,
        path,
        "cell.charge_voltage",
        f"{c.charge_voltage:~P} reaches the overcharge detection "
        f"({pr.overcharge_detect:~P}): every normal charge would trip the board",
    )


def _check_charge(spec: PackSpec) -> None:
    """The charge settings against the cell, the pack's capacity and each other."""
    p, c, k, path = spec.product, spec.cell, spec.charge, spec.source
    per_cell = k.voltage / p.series
    _check(
        abs(per_cell - c.charge_voltage) <= ureg.Quantity(0.05, "V"),
        path,
        "charge.voltage",
        f"{k.voltage:~P} is {per_cell:.3f~P} per cell for {p.series} in series, but "
        f"cell.charge_voltage is {c.charge_voltage:~P}; write {c.charge_voltage * p.series:~P}",
    )
    _check(
        k.taper_current < k.current,
        path,
        "charge.taper_current",
        f"{k.taper_current:~P} must be below charge.current ({k.current:~P})",
    )
    _check(
        k.precharge_current <= k.current,
        path,
        "charge.precharge_current",
        f"{k.precharge_current:~P} must not exceed charge.current ({k.current:~P})",
    )
    _check(
        k.current <= (spec.capacity / ureg.Quantity(1, "h")),
        path,
        "charge.current",
        f"{k.current:~P} is above 1C of the {spec.capacity:~P} pack",
    )
    _check(
        k.zero_volt_min < k.precharge_below <= c.charge_voltage,
        path,
        "charge.precharge_below",
        f"need zero_volt_min < precharge_below <= cell charge voltage, got "
        f"{k.zero_volt_min:~P} / {k.precharge_below:~P}",
    )


def _check_pack_window(spec: PackSpec) -> None:
    """The pack voltages the diagnosis judges by: ordered, and the high one between the charge
    voltage and the board's overcharge trip."""
    p, k, pr, pk, path = spec.product, spec.charge, spec.protection, spec.pack, spec.source
    _check(
        pk.voltage_zero < pk.voltage_low < pk.voltage_high,
        path,
        "pack.voltage_low",
        f"need voltage_zero < voltage_low < voltage_high, got {pk.voltage_zero:~P} / "
        f"{pk.voltage_low:~P} / {pk.voltage_high:~P}",
    )
    trip_level = (pr.overcharge_detect + pr.overcharge_detect_tolerance) * p.series
    _check(
        k.voltage < pk.voltage_high <= trip_level,
        path,
        "pack.voltage_high",
        f"{pk.voltage_high:~P} must lie above charge.voltage ({k.voltage:~P}) and at most at "
        f"the pack's overcharge trip ({trip_level:~P})",
    )


def _check_ageing_limits(spec: PackSpec) -> None:
    """The resistance factors, the self-discharge and the capacity shares of a worn pack."""
    c, h, path = spec.cell, spec.health, spec.source
    _check(
        c.ac_resistance_reject_factor > c.ac_resistance_warn_factor > 1.0,
        path,
        "cell.ac_resistance_reject_factor",
        "need 1 < ac_resistance_warn_factor < ac_resistance_reject_factor",
    )
    _check(
        c.self_discharge_per_month < 1.0,
        path,
        "cell.self_discharge_per_month",
        f"{c.self_discharge_per_month} is a fraction of capacity per month; write e.g. 0.02",
    )
    _check(
        0.0 < h.capacity_min_share < h.capacity_warn_share <= 1.0,
        path,
        "health.capacity_warn_share",
        f"need 0 < capacity_min_share < capacity_warn_share <= 1 (shares of the rated "
        f"capacity, e.g. 0.80 and 0.85), got {h.capacity_min_share} / {h.capacity_warn_share}",
    )


def _check_protection(spec: PackSpec) -> None:
    """The protection board's delays, trips, loop resistance and tolerances."""
    k, pr, path = spec.charge, spec.protection, spec.source
    _check(
        pr.short_circuit_delay <= pr.short_circuit_delay_max,
        path,
        "protection.short_circuit_delay_max",
        f"{pr.short_circuit_delay_max:~P} is below short_circuit_delay "
        f"({pr.short_circuit_delay:~P})",
    )
    _check(
        pr.overcurrent_detect_voltage < pr.short_circuit_detect_voltage,
        path,
        "protection.short_circuit_detect_voltage",
        f"{pr.short_circuit_detect_voltage:~P} must be above overcurrent_detect_voltage "
        f"({pr.overcurrent_detect_voltage:~P})",
    )
    _check(
        k.current < pr.overcurrent_trip < pr.fuse_rating,
        path,
        "protection.overcurrent_trip",
        f"need charge.current < overcurrent_trip < fuse_rating, got {k.current:~P} / "
        f"{pr.overcurrent_trip:~P} / {pr.fuse_rating:~P}",
    )
    healthy_loop = pr.fuse_resistance + pr.trace_resistance + 2 * pr.mosfet_on_resistance
    _check(
        healthy_loop <= pr.main_loop_resistance_max,
        path,
        "protection.main_loop_resistance_max",
        f"{pr.main_loop_resistance_max:~P} is below a healthy board's own parts: fuse "
        f"{pr.fuse_resistance:~P} + traces {pr.trace_resistance:~P} + two MOSFETs "
        f"(2 x {pr.mosfet_on_resistance:~P}) = {healthy_loop.to('mohm'):.1f~P}, so every good "
        "board would fail; correct the limit or the parts' figures from their datasheets",
    )
    for name in (
        "overcharge_detect",
        "overcharge_release",
        "overcharge_delay",
        "overdischarge_detect",
        "overdischarge_release",
        "overdischarge_delay",
        "overcurrent_trip",
        "overcurrent_delay",
    ):
        nominal, tolerance = getattr(pr, name), getattr(pr, f"{name}_tolerance")
        _check(
            tolerance < nominal,
            path,
            f"protection.{name}_tolerance",
            f"{tolerance:~P} is not smaller than the value it qualifies ({nominal:~P})",
        )


def _check_outgoing(spec: PackSpec) -> None:
    """The outgoing window must lie inside what the diagnosis calls a normal pack, below the
    charge voltage, and its resistance limit may not be looser than the returned-pack one."""
    out = spec.outgoing
    if out is None:
        return
    path, pack, charge = spec.source, spec.pack, spec.charge
    _check(
        pack.voltage_low <= out.voltage_min < out.voltage_max <= charge.voltage,
        path,
        "outgoing.voltage_min",
        f"need pack.voltage_low <= outgoing.voltage_min < outgoing.voltage_max <= "
        f"charge.voltage, got {pack.voltage_low:~P} <= {out.voltage_min:~P} < "
        f"{out.voltage_max:~P} <= {charge.voltage:~P}",
    )
    _check(
        out.ac_resistance_max <= pack.ac_resistance_max,
        path,
        "outgoing.ac_resistance_max",
        f"{out.ac_resistance_max:~P} is looser than pack.ac_resistance_max "
        f"({pack.ac_resistance_max:~P}); an outgoing pack must measure at least as well as a "
        "returned one may",
    )


def load_spec(path: Path | str) -> PackSpec:
    """Read and validate one spec file; raise ``SpecError`` naming file, field and fix."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError(path, "", f"cannot read the file ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(path, "", f"not valid TOML: {exc}") from exc
    reader = _Reader(path)
    schema = data.get("schema")
    if schema != SCHEMA:
        raise SpecError(path, "schema", f"expected schema = {SCHEMA}, got {schema!r}")
    known = [*_SECTIONS, *_OPTIONAL_SECTIONS]
    unknown = [key for key in data if key != "schema" and key not in known]
    if unknown:
        raise SpecError(path, f"[{unknown[0]}]", f"unknown section; known: {known}")
    sections = {name: reader.section(data, name, cls) for name, cls in _SECTIONS.items()}
    dimensions = _read_dimensions(path, data.get("dimensions"))
    outgoing = reader.section(data, "outgoing", OutgoingLimits) if "outgoing" in data else None
    spec = PackSpec(
        source=path, schema=SCHEMA, **sections, dimensions=dimensions, outgoing=outgoing
    )
    _check_physics(spec)
    _check_outgoing(spec)
    return spec


@cache
def load_builtin_specs() -> dict[str, PackSpec]:
    """Every spec shipped in ``procedures/specs``, by model. Cached: specs are immutable."""
    specs: dict[str, PackSpec] = {}
    for path in sorted(SPEC_DIR.glob("*.toml")):
        spec = load_spec(path)
        if spec.model in specs:
            raise SpecError(
                path,
                "product.model",
                f"{spec.model!r} is also defined in {specs[spec.model].source.name}",
            )
        specs[spec.model] = spec
    return specs


def builtin_spec(model: str) -> PackSpec:
    specs = load_builtin_specs()
    try:
        return specs[model]
    except KeyError:
        raise KeyError(f"no built-in pack spec {model!r}; known: {sorted(specs)}") from None
