"""The one pint registry of packbench.

Every layer shares this registry because pint refuses to combine quantities from two registries;
a second registry would turn a perfectly good reading into a runtime error far from its source.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

import pint


def _registry() -> pint.UnitRegistry:  # type: ignore[type-arg]
    """The registry, built from pint's on-disk cache of its parsed definitions when it can.

    Parsing pint's definitions takes about a quarter of a second on an idle 2-core machine and
    every process pays it: each ``packbench`` command, its safety watchdog, each simulator. The
    cache (pint's own, in the user's cache folder, keyed by the definitions' content) cuts it to a
    few hundredths; a folder that cannot be written falls back to parsing, never to an error.
    """
    try:
        return pint.UnitRegistry(cache_folder=":auto:")
    except Exception:  # an unwritable folder, a damaged cache file: parse as without a cache
        return pint.UnitRegistry()


ureg: pint.UnitRegistry = _registry()  # type: ignore[type-arg]
ureg.formatter.default_format = "~P"
pint.set_application_registry(ureg)  # type: ignore[no-untyped-call]

Q_ = ureg.Quantity
if TYPE_CHECKING:
    Quantity: TypeAlias = pint.Quantity[Any]
else:
    Quantity = pint.Quantity

VOLT = ureg.volt
AMPERE = ureg.ampere
OHM = ureg.ohm
WATT = ureg.watt
SECOND = ureg.second
KELVIN = ureg.kelvin
DEGC = ureg.degC
AMPERE_HOUR = ureg.ampere * ureg.hour


class UnitMismatchError(TypeError):
    """A quantity was given in a dimension the receiver cannot use (amps where volts are due)."""


def as_magnitude(value: Any, unit: str | pint.Unit, *, name: str = "value") -> float:
    """Return ``value`` expressed in ``unit`` as a float.

    Drivers and limits accept quantities only: a bare number would hide whether ``0.5`` meant
    volts or millivolts, which is exactly the bug a unit system exists to stop.
    """
    target = ureg.Unit(unit) if isinstance(unit, str) else unit
    if not isinstance(value, pint.Quantity):
        raise UnitMismatchError(
            f"{name}: expected a quantity in {target:~P}, got the bare number {value!r}; "
            f"write it as Q_({value!r}, '{target:~P}')"
        )
    if not value.is_compatible_with(target):
        raise UnitMismatchError(
            f"{name}: {value:~P} has dimension {value.dimensionality}, expected one compatible "
            f"with {target:~P} ({target.dimensionality})"
        )
    return float(value.to(target).magnitude)
