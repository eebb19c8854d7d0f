"""One series position of the pack: a Thevenin cell (R0 + two RC pairs) with leak and heat.

The DC dynamics (R0, R1/C1, R2/C2) come from tables fitted to a DFN reference
(``cell_tables``), against SOC and temperature and scaled to the cell's capacity; the 1 kHz AC
resistance a resistance meter reads is a separate figure (the spec's, ``CellParameters.r0``):
a DC pulse also sees charge transfer and diffusion, which a 1 kHz signal does not. LFP adds
a one-state hysteresis (the OCV a resting cell settles to depends on whether it was last
charged or discharged), and solid diffusion where the fit found it (LFP): the particle surfaces
run ahead of the mean SOC under current, and the cell shows the OCV of that surface SOC
(``lead``), which is what makes LFP's overpotential follow the steps and steep ends of its
OCV and its CV taper last. Where the fit found slow charge transfer (LFP near empty) it is
Butler-Volmer kinetics, ``eta = (2RT/F) asinh(I / 2 i0)`` with the exchange current i0 looked
up at the surface SOC, so the overpotential there grows with the log of the current rather than
in proportion (the circuit sees its chord ``eta / I``; ``r0``). Heat is the irreversible loss
``I (V - OCV)`` (ohmic plus polarisation) plus the reversible entropic term ``-I T dOCV/dT``,
into one lumped thermal mass with convection to the surroundings.

Parallel cells share one terminal voltage and equalise among themselves, so a parallel group is
modelled as one equivalent cell (capacity times P, resistance divided by P). A per-cell fault on
a parallel pack therefore affects the whole group it sits in: that is what the bench can see,
since the resistance meter's probes on a cell of a P group see the group.

Sign convention of the whole physics package: current is positive INTO the cell (charging).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simulators.physics.cell_tables import ChemistryTables, tables
from simulators.physics.ocv import OcvCurve

SECONDS_PER_MONTH = 30 * 86400.0
_R_TEMPERATURE_COEFF = math.log(2.0) / 25.0
"""Resistance roughly doubles from 25 °C to 0 °C (battery-domain §6.2): the AC reading's law."""
DOUBLE_LAYER_TAU = 0.01
"""Seconds: how fast the charge-transfer part of R0 builds up behind the ohmic part (R_ct times
the double-layer capacitance, ~1 F per Ah, is milliseconds). A short circuit that the IC cuts
in 300 us therefore meets the ohmic resistance, the one a 1 kHz meter reads; a pulse, after
0.1 s, the full R0 of the DFN fit (the DFN has no double layer: it lumps the two).

The bench solves its circuit explicitly, then steps the cells, often by seconds: a branch that
fast would lag a whole step behind the current and make the terminal overshoot a CV source.
So while a charge flows over steps longer than ``QUASI_STATIC_AFTER`` the branch is settled
and counted in ``r0()`` (quasi-static); otherwise (at rest, discharging, short sub-steps) it is a
state, so the next current step, a short included, meets the ohmic part at once. A discharge
needs no such care: a load sets its current, it does not regulate a voltage against the pack."""
QUASI_STATIC_AFTER = 5 * DOUBLE_LAYER_TAU
GAS_CONSTANT = 8.314462618
FARADAY = 96485.33212
"""J/(mol K) and C/mol: the thermal voltage of the Butler-Volmer overpotential."""
_RETABLE_SOC = 0.002
_RETABLE_KELVIN = 0.1
"""The fitted tables are looked up again when SOC or temperature moved this much (cheap steps)."""


@dataclass(frozen=True)
class CellParameters:
    capacity_ah: float
    r0: float
    """What a 1 kHz AC meter reads at 25 °C (ohmic resistance). Also the DC R0 when not fitted."""
    r1: float
    """R1, tau1, R2, tau2: the RC pairs at 25 °C, used only when ``fitted`` is False."""
    tau1: float
    r2: float
    tau2: float
    self_discharge_current: float
    """Amps drawn inside the cell by ordinary self-discharge."""
    leak_resistance: float = math.inf
    """Internal (soft) short across the cell; ``inf`` when healthy."""
    thermal_mass: float = 45.0
    """J/K (an 18650 weighs ~45 g at ~1 J/(g·K)), times the parallel count."""
    thermal_resistance: float = 30.0
    """K/W to ambient by natural convection, divided by the parallel count."""
    ambient_c: float = 25.0
    fitted: bool = True
    """DC dynamics from the chemistry's fitted tables (``cell_tables``) when it has them."""
    resistance_factor: float = 1.0
    """How far this cell's DC resistances sit above a fresh cell's (ageing, faults)."""
    nominal_capacity_ah: float = 0.0
    """Capacity the fitted resistances scale with (0: ``capacity_ah``); a faded cell keeps
    its electrode area, so its resistance does not rise just because capacity fell."""


class Cell:
    """State and dynamics of one series position (a cell or a parallel group)."""

    def __init__(
        self,
        parameters: CellParameters,
        ocv: OcvCurve,
        soc: float,
        dynamics: ChemistryTables | None = None,
    ) -> None:
        """``dynamics``: tables to use instead of the chemistry's fitted ones (the fit's trials)."""
        self.parameters = parameters
        self.ocv_curve = ocv
        self.tables: ChemistryTables | None = None
        if parameters.fitted:
            self.tables = dynamics or tables(ocv.chemistry)
        self._soc = soc
        self._ocv = ocv.voltage(soc)
        self.lead = 0.0
        """Surface SOC minus mean SOC (solid diffusion; stays 0 without a diffusion table)."""
        self._surface_ocv = self._ocv
        self._diffusion = (0.0, 1.0)
        """(lead gain in SOC per amp, time constant in s) at the current temperature."""
        self._kinetic = (0.0, 1.0)
        """(2RT/F in volts, twice the exchange current in amps) of the Butler-Volmer
        overpotential now; (0, 1) without nonlinear kinetics."""
        self._through = 0.0
        """Current of the last step: the linear view (``r0``) uses the kinetics' chord at it."""
        self._kinetic_at = (math.nan, math.nan)
        """(surface SOC, temperature) the kinetics were looked up at (cheap steps, as the
        tables: again only when either moved by ``_RETABLE_SOC`` / ``_RETABLE_KELVIN``)."""
        self._chord_at = (math.nan, self._kinetic, 0.0)
        """(current, kinetics, chord): a CC phase steps at one current thousands of times."""
        self._scale = 1.0
        self.u1 = 0.0
        self.u2 = 0.0
        self.u_ct = 0.0
        """Charge-transfer overpotential (R0 beyond the ohmic part, behind the double layer)."""
        self._resolved = True
        """The charge-transfer branch is a state (True) or settled inside ``r0()`` (False)."""
        self._settled_current = 0.0
        self.hysteresis = 0.0
        """Volts added to the OCV by hysteresis (between -H and +H; 0 without hysteresis)."""
        self.temperature_c = parameters.ambient_c
        self.coulombs_in_ah = 0.0
        """Integral of terminal current (what an ideal coulomb counter on the cell reads)."""
        self.heat_w = 0.0
        """Heat generated during the last step (W)."""
        self._looked_up = (math.nan, math.nan)
        self._decays = (math.nan, math.nan, math.nan, 1.0, 1.0)
        """(dt, tau1, tau2, decay1, decay2): a recharge steps by the same dt thousands of times."""
        self._dc = (parameters.r0, parameters.r1, parameters.tau1, parameters.r2, parameters.tau2)
        self._ohmic = parameters.r0
        self._ac = parameters.r0
        self._full = parameters.r0
        """R0 plus the kinetics' chord at the last current: the whole DC series resistance."""
        self._lookup()

    # --- electrical view -------------------------------------------------------------------
    # OCV, the temperature scale and the DC parameters are cached: the circuit solver asks for
    # them several times per sub-step and they only change when ``step`` (or a test setting
    # ``soc``) moves them.
    @property
    def soc(self) -> float:
        return self._soc

    @soc.setter
    def soc(self, value: float) -> None:
        self._soc = value
        self._ocv = self.ocv_curve.voltage(value)
        lead = self.lead
        self._surface_ocv = self._ocv if lead == 0.0 else self.ocv_curve.voltage(value + lead)
        if abs(value - self._looked_up[0]) >= _RETABLE_SOC:
            self._lookup()

    def ocv(self) -> float:
        return self._ocv

    def resistance_scale(self) -> float:
        """Cold cells are more resistive; clipped so a frozen or hot cell stays plausible."""
        return self._scale

    def _update_scale(self) -> None:
        scale = math.exp(_R_TEMPERATURE_COEFF * (25.0 - self.temperature_c))
        self._scale = min(max(scale, 0.5), 8.0)

    def _lookup(self) -> None:
        """Refresh the DC parameters from the tables (or the temperature law when not fitted)."""
        p = self.parameters
        self._looked_up = (self._soc, self.temperature_c)
        if self.tables is None:
            s = self._scale
            self._dc = (p.r0 * s, p.r1 * s, p.tau1, p.r2 * s, p.tau2)
            self._ohmic = self._full = self._dc[0]
            return
        r0, r1, tau1, r2, tau2 = self.tables.values(self._soc, self.temperature_c)
        area = p.nominal_capacity_ah or p.capacity_ah
        factor = p.resistance_factor / area
        lead_s, lead_tau = self.tables.diffusion(self._soc, self.temperature_c)
        self._diffusion = (lead_s / (3600.0 * p.capacity_ah), lead_tau)
        self._update_kinetics()
        self._dc = (r0 * factor, r1 * factor, tau1, r2 * factor, tau2)
        self._ac = self.ac_resistance()
        self._refresh_series()

    def _update_kinetics(self) -> None:
        """Butler-Volmer parameters at the surface SOC (``soc + lead``) and temperature.

        The exchange current depends on the concentration at the particle surfaces (i0 ~
        sqrt(x (1 - x)) of the surface stoichiometry), so a surface that runs ahead of the mean
        under a larger current also lowers the overpotential sooner. It scales with the
        electrode area (the nominal capacity); an aged cell's raised resistance lowers it alike,
        so its small-signal resistance scales with the rest.
        """
        if self.tables is None or not self.tables.exchange_warm:
            return
        p = self.parameters
        surface = self._soc + self.lead
        self._kinetic_at = (surface, self.temperature_c)
        exchange = self.tables.exchange_c_rate(surface, self.temperature_c)
        volts = 2.0 * GAS_CONSTANT * (self.temperature_c + 273.15) / FARADAY
        area = p.nominal_capacity_ah or p.capacity_ah
        self._kinetic = (volts, 2.0 * exchange * area / p.resistance_factor)

    def _chord(self, current: float) -> float:
        """Butler-Volmer overpotential over the current, ``eta(I) / I`` (ohm), where
        ``eta = (2RT/F) asinh(I / (2 i0))`` (symmetric transfer, alpha = 0.5); at zero current
        its small-signal value ``(2RT/F) / (2 i0)``. 0 without nonlinear kinetics."""
        kinetic = self._kinetic
        volts, two_i0 = kinetic
        if volts == 0.0:
            return 0.0
        last_current, last_kinetic, last_chord = self._chord_at
        if current == last_current and kinetic is last_kinetic:
            return last_chord
        x = current / two_i0
        chord = volts / two_i0 if abs(x) < 1e-9 else volts * math.asinh(x) / current
        self._chord_at = (current, kinetic, chord)
        return chord

    def _refresh_series(self) -> None:
        """The whole DC series resistance and the part of it a current step meets at once (no
        more than the 1 kHz reading), both at the last step's current."""
        self._full = self._dc[0] + self._chord(self._through)
        self._ohmic = min(self._full, self._ac)

    def dc_parameters(self) -> tuple[float, float, float, float, float]:
        """R0, R1, tau1, R2, tau2 now (ohm, ohm, s, ohm, s)."""
        return self._dc

    def emf(self) -> float:
        """Terminal voltage at zero current now (the OCV at the particle surfaces, plus the
        polarisation still relaxing)."""
        return self._surface_ocv + self.hysteresis + self.u_ct + self.u1 + self.u2

    def diffusion_overpotential(self) -> float:
        """Volts the surface SOC's OCV sits above the mean SOC's (0 without diffusion)."""
        return self._surface_ocv - self._ocv

    def r0(self) -> float:
        """Series resistance a current step sees at once (what the circuit solver uses): the
        ohmic part of the DC R0 (no more than the 1 kHz reading); the rest follows within
        ``DOUBLE_LAYER_TAU`` (while current keeps flowing over long steps: all of R0).

        With nonlinear kinetics the charge transfer enters as its chord ``eta(I) / I`` at the
        last step's current: the circuit is solved linearly, and the current of a CC or CV
        phase moves little from step to step (``terminal_voltage`` is exact in the current)."""
        return self._ohmic if self._resolved else self._full

    def ac_resistance(self) -> float:
        """What a 1 kHz AC meter reads: the ohmic part, with its own temperature law."""
        return self.parameters.r0 * self._scale

    def dc_resistance(self, seconds: float) -> float:
        """Resistance a constant-current pulse of ``seconds`` shows from rest (ΔV / I)."""
        r0, r1, tau1, r2, tau2 = self._dc
        r0 += self._chord(-self.parameters.capacity_ah)  # at a 1C pulse, as the reference's
        return r0 + r1 * (1.0 - math.exp(-seconds / tau1)) + r2 * (1.0 - math.exp(-seconds / tau2))

    def terminal_voltage(self, current: float) -> float:
        """Terminal voltage while ``current`` flows now (exact in the current, kinetics too)."""
        if self._kinetic[0] == 0.0:
            return self.emf() + self.r0() * current
        full = self._dc[0] + self._chord(current)
        return self.emf() + (min(full, self._ac) if self._resolved else full) * current

    def step_response(self, dt: float) -> tuple[float, float]:
        """``(emf, resistance)``: a current ``I`` held for ``dt`` seconds (as ``step`` holds it)
        leaves the terminal at ``emf + resistance * I`` at the end of the step (the SOC's own
        drift aside).

        The branches' exact exponential solution, so a parallel group can share its current so
        that its cells end the step at one terminal voltage (implicit in the fast branches):
        sharing by the instantaneous resistance alone let the charge-transfer branch, a state
        over steps near ``DOUBLE_LAYER_TAU``, overshoot each step and the exchange grow.
        """
        _, r1, tau1, r2, tau2 = self._dc
        r_ct = self._full - self._ohmic
        u_ct = self.u_ct if self._resolved else r_ct * self._settled_current
        decay_ct = math.exp(-dt / DOUBLE_LAYER_TAU) if dt < QUASI_STATIC_AFTER else 0.0
        decay1 = math.exp(-dt / tau1)
        decay2 = math.exp(-dt / tau2)
        emf = (
            self._surface_ocv
            + self.hysteresis
            + u_ct * decay_ct
            + self.u1 * decay1
            + self.u2 * decay2
        )
        resistance = (
            self._ohmic + r_ct * (1.0 - decay_ct) + r1 * (1.0 - decay1) + r2 * (1.0 - decay2)
        )
        gain, lead_tau = self._diffusion
        if gain > 0.0:
            # The surface lead is a first-order branch in SOC; through the OCV's slope at the
            # surface it acts as an RC pair of resistance slope * gain (linearised over dt).
            slope = self.ocv_curve.slope(self._soc + self.lead)
            grown = 1.0 - math.exp(-dt / lead_tau)
            emf -= slope * self.lead * grown
            resistance += slope * gain * grown
        return emf, resistance

    def leak_current(self) -> float:
        """Current lost inside the cell: self-discharge plus any internal short."""
        ocv = self._ocv
        leak = self.parameters.self_discharge_current if ocv > 0.0 else 0.0
        if ocv > 0.0 and self.parameters.leak_resistance != math.inf:
            leak += ocv / self.parameters.leak_resistance
        return leak

    @property
    def charge_ah(self) -> float:
        return self.soc * self.parameters.capacity_ah

    # --- dynamics ----------------------------------------------------------------------------
    def step(self, current: float, dt: float, drain: float = 0.0) -> None:
        """Hold ``current`` (into the cell) for ``dt`` seconds; ``drain``: external quiescent load.

        RC branches, hysteresis and temperature use their exact exponential solution for a
        constant input, so a long step is stable; only SOC is integrated explicitly (it is
        linear in current). A ``thermal_resistance`` of 0 holds the cell at ambient
        (isothermal, as the DFN reference is run).
        """
        p = self.parameters
        ocv = self._ocv
        leak = self.leak_current()
        r0, r1, tau1, r2, tau2 = self._dc
        self.coulombs_in_ah += current * dt / 3600.0
        self.soc = max(self._soc + (current - leak - drain) * dt / (3600.0 * p.capacity_ah), -0.2)
        kelvin = self.temperature_c + 273.15
        if self._kinetic[0] == 0.0:
            full, ohmic = r0, self._ohmic
        else:  # the kinetics at this step's own current
            full = r0 + self._chord(current)
            ohmic = min(full, self._ac)
        polarisation = self.u_ct + self.u1 + self.u2 + self.hysteresis
        series = ohmic if self._resolved else full
        heat = current * (current * series + polarisation + self._surface_ocv - ocv)
        if self.tables is not None:
            heat -= current * kelvin * self.tables.entropic_v_per_k
            swing = self.tables.hysteresis_v
            if swing > 0.0 and current != 0.0:
                target = swing if current > 0.0 else -swing
                rate = self.tables.hysteresis_rate * abs(current) * dt / (3600.0 * p.capacity_ah)
                self.hysteresis = target + (self.hysteresis - target) * math.exp(-rate)
        if p.leak_resistance != math.inf and ocv > 0.0:
            heat += ocv * ocv / p.leak_resistance
        self.heat_w = heat
        if self._decays[0] != dt or self._decays[1] != tau1 or self._decays[2] != tau2:
            self._decays = (dt, tau1, tau2, math.exp(-dt / tau1), math.exp(-dt / tau2))
        decay1, decay2 = self._decays[3], self._decays[4]
        r_ct = full - ohmic
        if dt < QUASI_STATIC_AFTER or current <= 0.0:
            if not self._resolved:  # settled at the charging current until now
                self.u_ct = r_ct * self._settled_current
                self._resolved = True
            decay_ct = math.exp(-dt / DOUBLE_LAYER_TAU) if dt < QUASI_STATIC_AFTER else 0.0
            self.u_ct = self.u_ct * decay_ct + r_ct * current * (1.0 - decay_ct)
        else:
            self.u_ct = 0.0
            self._resolved = False
            self._settled_current = current
        self.u1 = self.u1 * decay1 + r1 * current * (1.0 - decay1)
        self.u2 = self.u2 * decay2 + r2 * current * (1.0 - decay2)
        gain, lead_tau = self._diffusion
        if gain > 0.0 or self.lead != 0.0:
            # The current through the electrodes (a leak or drain discharges them too).
            through = current - leak - drain
            decay_d = math.exp(-dt / lead_tau)
            self.lead = self.lead * decay_d + gain * through * (1.0 - decay_d)
            self._surface_ocv = self.ocv_curve.voltage(self._soc + self.lead)
        if p.thermal_resistance > 0.0:
            steady = p.ambient_c + max(heat, 0.0) * p.thermal_resistance
            decay_t = math.exp(-dt / (p.thermal_mass * p.thermal_resistance))
            self.temperature_c = steady + (self.temperature_c - steady) * decay_t
        else:
            self.temperature_c = p.ambient_c
        self._update_scale()
        if self._kinetic[0] != 0.0:
            self._through = current
            surface, kelvin_at = self._kinetic_at
            if (
                abs(self._soc + self.lead - surface) >= _RETABLE_SOC
                or abs(self.temperature_c - kelvin_at) >= _RETABLE_KELVIN
            ):
                self._update_kinetics()
            self._refresh_series()
        if abs(self.temperature_c - self._looked_up[1]) >= _RETABLE_KELVIN:
            self._lookup()

    def snapshot(self, current: float) -> dict[str, float]:
        return {
            "voltage": self.terminal_voltage(current),
            "ocv": self.ocv(),
            "soc": self.soc,
            "temperature_c": self.temperature_c,
            "ac_resistance": self.ac_resistance(),
            "dc_resistance_10s": self.dc_resistance(10.0),
            "hysteresis": self.hysteresis,
            "charge_ah": self.charge_ah,
            "coulombs_in_ah": self.coulombs_in_ah,
            "current": current,
        }
