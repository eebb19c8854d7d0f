"""Instrument emulators by model name, for the launcher (``simulators.launcher``)."""

from __future__ import annotations

from simulators.emulators.espec_su import EspecSU241
from simulators.emulators.hioki_bt356x import HiokiBT3562, HiokiBT3563
from simulators.emulators.keysight_34461a import Keysight34461A
from simulators.emulators.keysight_e36312a import KeysightE36312A
from simulators.emulators.rigol_dl3021 import RigolDL3021
from simulators.emulators.rigol_dp832 import RigolDP832

EMULATORS: dict[str, type] = {
    "34461A": Keysight34461A,
    "E36312A": KeysightE36312A,
    "DP832": RigolDP832,
    "DL3021": RigolDL3021,
    "BT3562": HiokiBT3562,
    "BT3563": HiokiBT3563,
    "SU-241": EspecSU241,
}

try:  # engineer C's binary-protocol load; registered when present
    from simulators.emulators.itech_it8511 import ItechIT8511
except ImportError:  # pragma: no cover - only while that module is being written
    pass
else:
    EMULATORS["IT8511"] = ItechIT8511

__all__ = ["EMULATORS"]
