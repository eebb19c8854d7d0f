"""The protection board: IC state machine, charge and discharge MOSFETs, fuse.

Behaviour follows battery-domain §5 (DW01A / S-8261 for one cell, S-8254A for several: the same
per-cell thresholds, any cell trips, all cells must be back in range to release):

* over-charge: a cell above VCU for tCU turns CO (charge FET) off; released below VCL, or below
  VCU while a load draws current (discharge runs through the charge FET's body diode);
* over-discharge: a cell below VDL for tDL turns DO (discharge FET) off, and with the power-down
  option the IC sleeps (a charger on the terminals wakes it). Released in two ways, as the
  datasheets define them (``protection_ics``): with a charger detected (VM at or below the IC's
  charger-detect voltage VCHA, which a charge through the discharge FET's body diode gives) as
  soon as every cell is back at VDL; otherwise when every cell is above VDU, and a sleeping IC
  additionally needs the terminals unloaded (a connected device does not wake it);
* discharge over-current / short: VM = I x 2·R_on(VGS) above VIOV1 for tIOV1, above VIOV2 for
  tIOV2 (ICs with a second level) or above VSHORT for tSHORT turns DO off; released when the
  load is removed (> ~500 kOhm across P+/P-) or a charger is connected;
* charge over-current (abnormal charge current, ICs that have it): DO on and VM at or below its
  (negative) level for its delay turns CO off; released when the charger is removed;
* latched ("self-locked") board: DO off until a charger is connected;
* 0 V charge: with the option "inhibited" CO stays off while a cell is below V0INH; below ~1.2 V
  of supply the IC does not run at all and both FETs are off.

Thresholds carry a per-unit spread within half the IC's tolerance, drawn from the bench seed.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Literal

from simulators.physics.parameters import ProtectionParameters
from simulators.physics.protection_ics import ic_parameters

FetCondition = Literal["ok", "open", "short"]
InitialIcState = Literal["normal", "power_down", "latched", "overcurrent"]

DIODE_DROP = 0.7
DIODE_RESISTANCE = 0.02
MOSFET_SPREAD = 0.05
"""Healthy MOSFET pairs sit up to this fraction below the on-resistance the spec's over-current
trip implies (its datasheet figure), never above it: the over-current trip stays within the
spec's tolerance and the main loop within its limit, the same figures the judge uses."""
SHORTED_FET_RESISTANCE = 0.005
IC_SUPPLY_MINIMUM = 1.2
"""Below this supply the IC does not run: both gate outputs low, both FETs off."""
LOAD_RELEASE_RESISTANCE = 500e3
FUSE_MELT_I2T = 200.0
"""A^2·s above the rating's square before the fuse opens (~0.25 s at 3x rating)."""
POWER_DOWN_CURRENT = 0.1e-6
GATE_DRIVE_CLAMP = 12.0


def mosfet_resistance_shape(vgs: float) -> float:
    """R_on(VGS) relative to R_on at 4.5 V (FS8205A: 25 mOhm at 4.5 V, ~36 at 2.5 V).

    Linear between 2 and 4.5 V as the datasheet points suggest, flattening above; below 2 V the
    channel closes fast, so a FET driven from a nearly empty cell looks open.
    """
    if vgs >= 4.5:
        return max(0.85, 1.0 - 0.05 * (vgs - 4.5))
    if vgs >= 2.0:
        return 1.0 + 0.225 * (4.5 - vgs)
    if vgs > IC_SUPPLY_MINIMUM:
        return (1.0 + 0.225 * 2.5) * (1.0 / (vgs - 1.0))
    return 1e6


@dataclass(frozen=True)
class BoardCondition:
    """How a board differs from a good one (the data a fault scenario carries)."""

    initial_state: InitialIcState = "normal"
    charge_fet: FetCondition = "ok"
    discharge_fet: FetCondition = "ok"
    fuse_open: bool = False
    overcurrent_detection: bool = True
    """False: the IC never trips on discharge over-current or short (a failed board)."""
    zero_volt_charge: bool | None = None
    """Override of the spec's 0 V charge option (``None``: as the spec says)."""


@dataclass(frozen=True, slots=True)
class Path:
    """One direction through the board: does it conduct, with what offset and resistance."""

    conducts: bool
    offset: float
    resistance: float


_BLOCKED = Path(False, 0.0, math.inf)


class Board:
    def __init__(
        self,
        protection: ProtectionParameters,
        series: int,
        nominal_gate_voltage: float,
        condition: BoardCondition,
        seed: int,
    ) -> None:
        self.protection = protection
        self.series = series
        self.condition = condition
        rng = random.Random(seed)

        def spread(value: float, tolerance: float) -> float:
            return value + tolerance * rng.uniform(-0.5, 0.5)

        p = protection
        self.vcu = [
            spread(p.overcharge_detect, p.overcharge_detect_tolerance) for _ in range(series)
        ]
        self.vcl = [
            spread(p.overcharge_release, p.overcharge_release_tolerance) for _ in range(series)
        ]
        self.vdl = [
            spread(p.overdischarge_detect, p.overdischarge_detect_tolerance) for _ in range(series)
        ]
        self.vdu = [
            spread(p.overdischarge_release, p.overdischarge_release_tolerance)
            for _ in range(series)
        ]
        self.t_cu = spread(p.overcharge_delay, p.overcharge_delay_tolerance)
        self.t_dl = spread(p.overdischarge_delay, p.overdischarge_delay_tolerance)
        self.t_iov1 = spread(p.overcurrent_delay, p.overcurrent_delay_tolerance)
        self.t_short = spread(
            p.short_circuit_delay, 2 * (p.short_circuit_delay_max - p.short_circuit_delay)
        )
        self.v_iov1 = p.overcurrent_detect_voltage
        self.v_short = p.short_circuit_detect_voltage
        # Calibrate R_on so the pair trips at the spec's current at the nominal gate drive
        # when at its datasheet figure; a healthy pair lies within MOSFET_SPREAD below that.
        pair_nominal = p.overcurrent_detect_voltage / p.overcurrent_trip
        self._r_on_45 = (0.5 * pair_nominal / mosfet_resistance_shape(nominal_gate_voltage)) * (
            1.0 - MOSFET_SPREAD * rng.uniform(0.0, 1.0)
        )
        # The IC's own datasheet rules, drawn after the spec's so a seed keeps its thresholds.
        ic = ic_parameters(p.ic, series)
        self.ic = ic
        self.v_cha = spread(ic.charger_detect, ic.charger_detect_tolerance)
        self.v_coc = (
            None
            if ic.charge_overcurrent is None
            else spread(ic.charge_overcurrent, ic.charge_overcurrent_tolerance)
        )
        coc_delay = (
            p.overcharge_delay
            if ic.charge_overcurrent_delay is None
            else (ic.charge_overcurrent_delay)
        )
        self.t_coc = spread(coc_delay, ic.charge_overcurrent_delay_tolerance * coc_delay)
        self.v_iov2 = (
            None if ic.overcurrent2 is None else spread(ic.overcurrent2, ic.overcurrent2_tolerance)
        )
        self.t_iov2 = spread(ic.overcurrent2_delay, ic.overcurrent2_delay_tolerance)
        self.fixed_loop = p.fuse_resistance + p.trace_resistance
        """Fuse and traces: the loop's parts besides the MOSFETs (the spec's figures)."""
        self.zero_volt_charge = (
            p.zero_volt_charge if condition.zero_volt_charge is None else condition.zero_volt_charge
        )
        self.fuse_open = condition.fuse_open
        self.fuse_i2t = 0.0
        self.unpowered = False
        self.overcharge = False
        self.overdischarge = False
        self.power_down = condition.initial_state == "power_down"
        self.overdischarge = self.power_down
        self.overcurrent = condition.initial_state == "overcurrent"
        self.short_circuit = False
        self.latched = condition.initial_state == "latched"
        self.charge_overcurrent = False
        self.zero_volt_inhibit = False
        self.last_release: dict[str, object] | None = None
        """The last over-discharge release: when, at which cell voltages, by which rule."""
        self.co_on = True
        self.do_on = not (self.power_down or self.overcurrent or self.latched)
        self._timers: dict[str, float] = {}
        self._last_time: float | None = None
        self._last_margins: dict[str, float] = {}

    # --- FETs and paths --------------------------------------------------------------------
    def mosfet_resistance(self, vgs: float) -> float:
        return self._r_on_45 * mosfet_resistance_shape(vgs)

    def gate_voltage(self, vdd: float) -> float:
        return min(vdd, GATE_DRIVE_CLAMP)

    def _channel(self, fet: FetCondition, gate_on: bool) -> bool:
        return fet == "short" or (fet == "ok" and gate_on)

    def _fet_resistance(self, fet: FetCondition, vgs: float) -> float:
        return SHORTED_FET_RESISTANCE if fet == "short" else self.mosfet_resistance(vgs)

    def pair_resistance(self, vdd: float) -> float:
        """Both channels on: what VM divides the current by."""
        vgs = self.gate_voltage(vdd)
        return self._fet_resistance(self.condition.charge_fet, vgs) + self._fet_resistance(
            self.condition.discharge_fet, vgs
        )

    def paths(self, vdd: float) -> tuple[Path, Path]:
        """(charge path, discharge path) at supply ``vdd`` (the gates' drive voltage).

        Charging (into P+, out of P-) needs the charge FET's channel; with DO off it still
        passes the discharge FET's body diode. Discharging mirrors it.
        """
        cfet, dfet = self.condition.charge_fet, self.condition.discharge_fet
        c_on = self._channel(cfet, self.co_on)
        d_on = self._channel(dfet, self.do_on)
        if self.fuse_open or not (c_on or d_on):
            return _BLOCKED, _BLOCKED
        r_on = self.mosfet_resistance(self.gate_voltage(vdd))
        rc = SHORTED_FET_RESISTANCE if cfet == "short" else r_on
        rd = SHORTED_FET_RESISTANCE if dfet == "short" else r_on
        base = self.fixed_loop
        if c_on and d_on:
            both = Path(True, 0.0, base + rc + rd)
            return both, both
        if c_on:
            return Path(True, DIODE_DROP, base + rc + DIODE_RESISTANCE), _BLOCKED
        return _BLOCKED, Path(True, DIODE_DROP, base + rd + DIODE_RESISTANCE)

    def charge_path(self, vdd: float) -> Path:
        return self.paths(vdd)[0]

    def discharge_path(self, vdd: float) -> Path:
        return self.paths(vdd)[1]

    def loop_resistance(self, vdd: float) -> float:
        """B- to P- plus fuse: what a 1 kHz meter adds to the cells (``inf`` when not closed)."""
        vgs = self.gate_voltage(vdd)
        cfet, dfet = self.condition.charge_fet, self.condition.discharge_fet
        if (
            self.fuse_open
            or not self._channel(cfet, self.co_on)
            or not self._channel(dfet, self.do_on)
        ):
            return math.inf
        return self.fixed_loop + self._fet_resistance(cfet, vgs) + self._fet_resistance(dfet, vgs)

    def supply_current(self) -> float:
        if self.unpowered:
            return 0.0
        if self.power_down:
            return POWER_DOWN_CURRENT
        return self.protection.self_consumption

    # --- state machine ---------------------------------------------------------------------
    @property
    def state(self) -> str:
        """One name for logs and the control endpoint; the flags say the rest."""
        for name, active in (
            ("unpowered", self.unpowered),
            ("short_circuit", self.short_circuit),
            ("overcurrent", self.overcurrent),
            ("latched", self.latched),
            ("power_down", self.power_down),
            ("overdischarge", self.overdischarge),
            ("overcharge", self.overcharge),
            ("charge_overcurrent", self.charge_overcurrent),
            ("zero_volt_inhibit", self.zero_volt_inhibit),
        ):
            if active:
                return name
        return "normal"

    def _timer(self, name: str, active: bool, start: float, delay: float, now: float) -> bool:
        """Run a detection delay; True once the condition has held for ``delay``."""
        if not active:
            self._timers.pop(name, None)
            return False
        begun = self._timers.setdefault(name, start)
        if now >= begun + delay - 1e-12:
            del self._timers[name]
            return True
        return False

    def _crossing(self, name: str, margin: float, now: float) -> float:
        """When ``margin`` crossed zero since the last evaluation (linear interpolation)."""
        previous = self._last_margins.get(name)
        self._last_margins[name] = margin
        last = self._last_time
        if previous is None or last is None or previous >= 0.0 or margin <= previous:
            return now
        return last + (now - last) * (-previous) / (margin - previous)

    def evaluate(
        self,
        now: float,
        cells: list[float],
        vm: float,
        charger: bool,
        loaded: bool,
    ) -> bool:
        """Apply the IC's rules at ``now``; True when a gate output changed (re-solve the circuit).

        ``cells``: cell voltages as the IC sees them; ``vm``: discharge current x pair
        resistance; ``charger``: a charger would push current in; ``loaded``: something draws
        current from P+/P-.
        """
        before = (self.co_on, self.do_on)
        vdd = sum(cells)
        if vdd < IC_SUPPLY_MINIMUM:
            if not self.unpowered:
                self._reset()
            self.unpowered = True
            # Below its supply minimum a 0 V charge capable IC still lets a charger through.
            self.co_on = self.zero_volt_charge and charger
            self.do_on = False
            self._last_time = now
            return before != (self.co_on, self.do_on)
        if self.unpowered:
            self.unpowered = False
        self.zero_volt_inhibit = (not self.zero_volt_charge) and min(cells) < (
            self.protection.zero_volt_inhibit
        )

        high = low = -math.inf
        for v, vcu, vdl in zip(cells, self.vcu, self.vdl, strict=True):
            high = max(high, v - vcu)
            low = max(low, vdl - v)
        start = self._crossing("cu", high, now)
        if not self.overcharge:
            self.overcharge = self._timer("cu", high > 0.0, start, self.t_cu, now)
        elif all(v < vcl for v, vcl in zip(cells, self.vcl, strict=True)) or (
            high < 0.0 and loaded
        ):
            self.overcharge = False

        start = self._crossing("dl", low, now)
        if not self.overdischarge:
            if self._timer("dl", low > 0.0, start, self.t_dl, now):
                self.overdischarge = True
                self.power_down = self.protection.power_down_after_overdischarge
        else:
            self._release_overdischarge(now, cells, vm, charger, loaded)

        if self.condition.overcurrent_detection and not (self.overcurrent or self.short_circuit):
            self.short_circuit = self._timer("sc", vm > self.v_short, now, self.t_short, now)
            if self.short_circuit:
                self._timers.pop("oc", None)
                self._timers.pop("oc2", None)
            else:
                if self.v_iov2 is not None:
                    self.overcurrent = self._timer("oc2", vm > self.v_iov2, now, self.t_iov2, now)
                if self.overcurrent:
                    self._timers.pop("oc", None)
                else:
                    self.overcurrent = self._timer("oc", vm > self.v_iov1, now, self.t_iov1, now)
        elif (self.overcurrent or self.short_circuit) and not loaded:
            self.overcurrent = self.short_circuit = False

        if self.v_coc is not None and not self.charge_overcurrent:
            # Abnormal charge current: only watched while DO is on (S-8211D/S-8261).
            watched = self.do_on and self.co_on and vm <= self.v_coc
            self.charge_overcurrent = self._timer("coc", watched, now, self.t_coc, now)
        elif self.charge_overcurrent and not charger:
            self.charge_overcurrent = False

        if self.latched and charger:
            self.latched = False

        self.co_on = not (self.overcharge or self.zero_volt_inhibit or self.charge_overcurrent) or (
            self.zero_volt_charge and charger and not (self.overcharge or self.charge_overcurrent)
        )
        self.do_on = not (
            self.overdischarge or self.overcurrent or self.short_circuit or self.latched
        )
        self._last_time = now
        return before != (self.co_on, self.do_on)

    def _release_overdischarge(
        self, now: float, cells: list[float], vm: float, charger: bool, loaded: bool
    ) -> None:
        """The datasheets' two releases: at VDL with a charger detected, else above VDU.

        A charger wakes a sleeping IC (S-8261: VDD - VM above 1.3 V); the charge it pushes
        through the discharge FET's body diode pulls VM below VCHA, which is "charger detected".
        """
        if charger:
            self.power_down = False
        detected = self.ic.release_at_detect_with_charger and vm <= self.v_cha
        if detected and all(v >= vdl for v, vdl in zip(cells, self.vdl, strict=True)):
            rule = "charger_detect"
        elif all(v >= vdu for v, vdu in zip(cells, self.vdu, strict=True)) and not (
            self.power_down and loaded
        ):
            rule = "release_voltage"
        else:
            return
        self.overdischarge = False
        self.power_down = False
        self._timers.pop("dl", None)
        self.last_release = {"time": now, "cells": list(cells), "vm": vm, "rule": rule}

    def _reset(self) -> None:
        self.overcharge = self.overdischarge = self.power_down = False
        self.overcurrent = self.short_circuit = self.latched = False
        self.charge_overcurrent = False
        self._timers.clear()
        self._last_margins.clear()

    def next_deadline(self) -> float:
        """Virtual time of the earliest pending delay expiry (``inf`` when none runs)."""
        if not self._timers:
            return math.inf
        deadlines = []
        delays = {
            "cu": self.t_cu,
            "dl": self.t_dl,
            "oc": self.t_iov1,
            "oc2": self.t_iov2,
            "sc": self.t_short,
            "coc": self.t_coc,
        }
        for name, begun in self._timers.items():
            deadlines.append(begun + delays[name])
        return min(deadlines, default=math.inf)

    # --- fuse ------------------------------------------------------------------------------
    def fuse_time_left(self, current: float) -> float:
        """Seconds until the fuse melts at this current (``inf`` under its rating)."""
        excess = current * current - self.protection.fuse_rating**2
        if self.fuse_open or excess <= 0.0:
            return math.inf
        return max(FUSE_MELT_I2T - self.fuse_i2t, 0.0) / excess

    def heat_fuse(self, current: float, dt: float) -> None:
        excess = current * current - self.protection.fuse_rating**2
        if excess > 0.0 and not self.fuse_open:
            self.fuse_i2t += excess * dt
            if self.fuse_i2t >= FUSE_MELT_I2T - 1e-9:
                self.fuse_open = True
        elif excess <= 0.0:
            self.fuse_i2t = max(0.0, self.fuse_i2t - 10.0 * dt)

    def snapshot(self) -> dict[str, object]:
        return {
            "state": self.state,
            "charge_fet_on": self.co_on,
            "discharge_fet_on": self.do_on,
            "charge_fet": self.condition.charge_fet,
            "discharge_fet": self.condition.discharge_fet,
            "fuse_open": self.fuse_open,
            "latched": self.latched,
            "power_down": self.power_down,
            "overcharge": self.overcharge,
            "overdischarge": self.overdischarge,
            "overcurrent": self.overcurrent,
            "short_circuit": self.short_circuit,
            "charge_overcurrent": self.charge_overcurrent,
            "zero_volt_inhibit": self.zero_volt_inhibit,
            "ic": self.ic.part,
            "last_release": self.last_release,
            "thresholds": {
                "overcharge_detect": self.vcu,
                "overcharge_release": self.vcl,
                "overdischarge_detect": self.vdl,
                "overdischarge_release": self.vdu,
                "overcharge_delay": self.t_cu,
                "overdischarge_delay": self.t_dl,
                "overcurrent_delay": self.t_iov1,
                "short_circuit_delay": self.t_short,
                "charger_detect": self.v_cha,
                "charge_overcurrent": self.v_coc,
                "charge_overcurrent_delay": self.t_coc,
                "overcurrent2": self.v_iov2,
                "overcurrent2_delay": self.t_iov2,
            },
        }
