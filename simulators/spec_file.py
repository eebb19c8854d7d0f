"""Reading a pack spec TOML (the format of procedures/specs/*.toml) into ``PackParameters``.

The simulator parses the file itself rather than importing ``procedures``: a simulator that
shared the judging side's parser could not catch that parser's bugs. Physical values are
strings "<number> <unit>"; a unit of the wrong dimension or an unknown one is an error that
names the file and the field, so a typo in a spec never silently becomes a different pack.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

from simulators.physics.parameters import CHEMISTRIES, PackParameters, ProtectionParameters

_UNITS: dict[str, tuple[str, float]] = {
    "V": ("V", 1.0),
    "mV": ("V", 1e-3),
    "A": ("A", 1.0),
    "mA": ("A", 1e-3),
    "uA": ("A", 1e-6),
    "Ah": ("Ah", 1.0),
    "mAh": ("Ah", 1e-3),
    "ohm": ("ohm", 1.0),
    "mohm": ("ohm", 1e-3),
    "s": ("s", 1.0),
    "ms": ("s", 1e-3),
    "us": ("s", 1e-6),
    "h": ("s", 3600.0),
}

# protection field -> dimension; fields missing here are plain values (bool, str) or absent
_PROTECTION_DIMENSIONS: dict[str, str] = {
    "overcharge_detect": "V",
    "overcharge_detect_tolerance": "V",
    "overcharge_release": "V",
    "overcharge_release_tolerance": "V",
    "overcharge_delay": "s",
    "overcharge_delay_tolerance": "s",
    "overdischarge_detect": "V",
    "overdischarge_detect_tolerance": "V",
    "overdischarge_release": "V",
    "overdischarge_release_tolerance": "V",
    "overdischarge_delay": "s",
    "overdischarge_delay_tolerance": "s",
    "overcurrent_detect_voltage": "V",
    "overcurrent_trip": "A",
    "overcurrent_delay": "s",
    "overcurrent_delay_tolerance": "s",
    "short_circuit_detect_voltage": "V",
    "short_circuit_delay": "s",
    "short_circuit_delay_max": "s",
    "mosfet_on_resistance": "ohm",
    "main_loop_resistance_max": "ohm",
    "fuse_resistance": "ohm",
    "trace_resistance": "ohm",
    "zero_volt_inhibit": "V",
    "fuse_rating": "A",
}
_PROTECTION_RENAMES: dict[str, str] = {}
"""Spec names that differ from the physics' (``self_consumption_max`` is a limit, not the
typical drain the model uses, so it is deliberately not mapped)."""


class _Reader:
    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data

    def _raw(self, table: str, key: str) -> Any:
        try:
            return self.data[table][key]
        except KeyError:
            raise ValueError(f"{self.path}: missing field [{table}].{key}") from None

    def has(self, table: str, key: str) -> bool:
        return key in self.data.get(table, {})

    def quantity(self, table: str, key: str, dimension: str) -> float:
        return parse_quantity(self._raw(table, key), dimension, f"{self.path}: [{table}].{key}")

    def number(self, table: str, key: str) -> float:
        value = self._raw(table, key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{self.path}: [{table}].{key} must be a plain number, got {value!r}")
        return float(value)

    def integer(self, table: str, key: str) -> int:
        value = self._raw(table, key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{self.path}: [{table}].{key} must be an integer >= 1, got {value!r}")
        return int(value)

    def text(self, table: str, key: str) -> str:
        value = self._raw(table, key)
        if not isinstance(value, str):
            raise ValueError(f"{self.path}: [{table}].{key} must be a string, got {value!r}")
        return value

    def flag(self, table: str, key: str) -> bool:
        value = self._raw(table, key)
        if not isinstance(value, bool):
            raise ValueError(f"{self.path}: [{table}].{key} must be true or false, got {value!r}")
        return value


def parse_quantity(text: object, dimension: str, where: str) -> float:
    """``"4.2 V"`` -> 4.2 in the SI unit of ``dimension`` (V, A, Ah, ohm, s)."""
    if not isinstance(text, str):
        raise ValueError(f"{where}: expected a string '<number> <unit>', got {text!r}")
    parts = text.split()
    if len(parts) != 2:
        raise ValueError(f"{where}: expected '<number> <unit>', got {text!r}")
    number, unit = parts
    if unit not in _UNITS:
        raise ValueError(f"{where}: unit {unit!r} not understood; use one of {', '.join(_UNITS)}")
    unit_dimension, factor = _UNITS[unit]
    if unit_dimension != dimension:
        raise ValueError(
            f"{where}: {text!r} is in {unit_dimension}, expected a value in {dimension}"
        )
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"{where}: {number!r} is not a number") from None
    # Divide by the exact integer for sub-units, so "144 ms" is 0.144, not 0.14400000000000002.
    return value / round(1.0 / factor) if factor < 1.0 else value * factor


def load_pack_parameters(path: str | os.PathLike[str]) -> PackParameters:
    """Parse a pack spec file; every error names the file and the offending field."""
    file = Path(path)
    try:
        with file.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise ValueError(f"{file}: cannot read pack spec ({error.strerror})") from None
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{file}: not valid TOML ({error})") from None
    r = _Reader(file, data)
    chemistry = r.text("product", "chemistry")
    if chemistry not in CHEMISTRIES:
        raise ValueError(
            f"{file}: [product].chemistry {chemistry!r} is not simulated; "
            f"use one of {', '.join(CHEMISTRIES)}"
        )
    protection: dict[str, Any] = {}
    known = {f.name for f in fields(ProtectionParameters)}
    for key in data.get("protection", {}):
        name = _PROTECTION_RENAMES.get(key, key)
        if name not in known:
            continue  # judging-side fields the physics has no use for
        if name in _PROTECTION_DIMENSIONS:
            protection[name] = r.quantity("protection", key, _PROTECTION_DIMENSIONS[name])
        elif name == "self_consumption":
            protection[name] = r.quantity("protection", key, "A")
        elif name == "ic":
            protection[name] = r.text("protection", key)
        else:
            protection[name] = r.flag("protection", key)
    if "zero_volt_inhibit" not in protection and r.has("charge", "zero_volt_min"):
        protection["zero_volt_inhibit"] = r.quantity("charge", "zero_volt_min", "V")
    return PackParameters(
        model=r.text("product", "model"),
        chemistry=chemistry,
        series=r.integer("product", "series"),
        parallel=r.integer("product", "parallel"),
        cell_capacity_ah=r.quantity("cell", "capacity", "Ah"),
        cell_nominal_voltage=r.quantity("cell", "nominal_voltage", "V"),
        cell_charge_voltage=r.quantity("cell", "charge_voltage", "V"),
        cell_discharge_cutoff=r.quantity("cell", "discharge_cutoff", "V"),
        cell_ac_resistance_new=r.quantity("cell", "ac_resistance_new", "ohm"),
        self_discharge_per_month=r.number("cell", "self_discharge_per_month"),
        charge_voltage=r.quantity("charge", "voltage", "V"),
        charge_current=r.quantity("charge", "current", "A"),
        protection=ProtectionParameters(**protection),
    )
