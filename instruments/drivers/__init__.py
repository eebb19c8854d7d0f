"""Registry of model drivers: which class drives which ``*IDN?`` model.

Entries name their class as ``"module:Class"`` and are imported only when a matching instrument
is opened, so importing the registry never imports every driver (nor fails because one of them
is broken). Patterns are shell-style (``fnmatch``), matched case-insensitively against the model
field of the identity: ``"3446[01]A"`` covers 34460A and 34461A.

``binary`` entries speak no SCPI (no ``*IDN?``): the factory picks them only from an explicit
``model=`` and lets the driver identify itself with its own protocol (IT8511: frame 0x6A).

To add a model, add a line to ``DRIVERS`` or call ``register_driver`` from station code.
"""

from __future__ import annotations

import fnmatch
import importlib
from dataclasses import dataclass

from instruments.roles import Instrument


@dataclass(frozen=True, slots=True)
class DriverEntry:
    pattern: str
    target: str
    """``"package.module:ClassName"`` or, once resolved or registered directly, the class."""
    binary: bool = False

    def matches(self, model: str) -> bool:
        return fnmatch.fnmatchcase(model.upper(), self.pattern.upper())


DRIVERS: dict[str, DriverEntry] = {
    entry.pattern: entry
    for entry in (
        DriverEntry("344[67][0156]A", "instruments.drivers.keysight_34461a:Keysight34461A"),
        DriverEntry("E36312A", "instruments.drivers.keysight_e36312a:KeysightE36312A"),
        DriverEntry("DP83[12]*", "instruments.drivers.rigol_dp832:RigolDP832"),
        DriverEntry("DL302[01]*", "instruments.drivers.rigol_dl3021:RigolDL3021"),
        DriverEntry("BT356[123]*", "instruments.drivers.hioki_bt356x:HiokiBT356x"),
        DriverEntry("IT851[12]", "instruments.drivers.itech_it8511:ItechIT8511", binary=True),
        DriverEntry("S[UH]-[0-9]*", "instruments.drivers.espec_su:EspecSU", binary=True),
    )
}

_RESOLVED: dict[str, type[Instrument]] = {}


def register_driver(
    model_pattern: str, driver: type[Instrument] | str, *, binary: bool = False
) -> None:
    """Add or replace the driver for ``model_pattern`` (a class or ``"module:Class"``)."""
    target = driver if isinstance(driver, str) else f"{driver.__module__}:{driver.__qualname__}"
    DRIVERS[model_pattern] = DriverEntry(model_pattern, target, binary)
    _RESOLVED.pop(model_pattern, None)
    if not isinstance(driver, str):
        _RESOLVED[model_pattern] = driver


def find_entry(model: str) -> DriverEntry | None:
    """The entry whose pattern matches ``model``; the most specific (longest) pattern wins."""
    matching = [entry for entry in DRIVERS.values() if entry.matches(model)]
    return max(matching, key=lambda entry: len(entry.pattern)) if matching else None


def load_driver(entry: DriverEntry) -> type[Instrument]:
    cls = _RESOLVED.get(entry.pattern)
    if cls is None:
        module_name, _, class_name = entry.target.partition(":")
        module = importlib.import_module(module_name)
        cls = getattr(module, class_name)
        if not (isinstance(cls, type) and issubclass(cls, Instrument)):
            raise TypeError(f"{entry.target} is not an Instrument subclass")
        _RESOLVED[entry.pattern] = cls
    return cls


def known_models() -> list[str]:
    return sorted(DRIVERS)
