"""What a protection IC does beyond the thresholds a pack spec states: its datasheet's own rules.

A pack spec (``[protection]``) states the board vendor's thresholds and delays (over-charge,
over-discharge, over-current 1, short) with their tolerances; the simulated board spreads those
per unit. The IC named by ``[protection].ic`` adds what only its datasheet says, chosen here:

* **charger detection**: in the over-discharge status a charger pulls VM (P- against B-) negative
  through the discharge FET's body diode. With VM at or below the charger-detect voltage VCHA the
  IC releases the over-discharge status as soon as every cell is back at the over-discharge
  *detect* voltage VDL; without it (VM above VCHA) only at the *release* voltage VDU
  (VDL + hysteresis). S-8261: "provided that the VM pin voltage is lower than the charger
  detection voltage (VCHA), the S-8261 Series releases the overdischarge status when the battery
  voltage becomes equal to or higher than the overdischarge detection voltage (VDL)"; UMW DW01A:
  "overdischarge release voltage 2" 2.30/2.40/2.50 V with VM at the charger voltage, i.e. VDL.
* **abnormal charge current** (charge over-current): with the discharge FET on, VM at or below
  the detect level for the delay turns the charge FET off; released when the charger is removed
  (S-8211D/S-8261: the level is VCHA and the delay tCU).
* **over-current 2**: a second discharge level between over-current 1 and the load short, with
  its own delay (S-8261: 0.5 V +- 0.1 V, tIOV2 by grade). ICs whose spec already uses its fast
  level as the "short" entry (S-8254A: VIOV2 0.5 V) have none here.

Tolerances are the datasheet's (min/typ/max, stated as +- around typ); the board draws each unit
within half of them from the bench seed, as it does for the spec's thresholds.

Sources (battery-domain §5.1/§5.2 and the pages it cites):

* S-8261 datasheet Rev.1.9 (SII), tables 6, 9, 10 (datasheetandpdf.com/EN/SII/10/S-8261.htm,
  datasheetq.com .../596892/SII/12page/S-8261.html): VCHA -1.2/-0.7/-0.2 V; VIOV2 0.5 V +- 0.1 V
  (25 °C); tIOV2 1.8/2.24/2.7 ms (S-8261AAU/AAX/ABA), 3.6/4.5/5.4 ms (S-8261AAV); tSHORT
  220/320/380 us and 450/600/720 us. Charger detection and abnormal charge current: S-8261
  Rev.5.3 p.19-21, S-8211D Rev.6.5 p.18.
* DW01A: H&M Semiconductor and UMW datasheets (VODR 3.0 +- 0.1 V without, 2.40 +- 0.10 V with a
  charger). Neither states a charger-detect VM level: the S-8261 figure is used, marked [E].
  Neither lists abnormal charge current detection, so the DW01A set has none. (With it, a
  board whose discharge FET failed open would stop its own diode charge after tCU, since the
  IC drives DO high and sees VM at a diode drop below B-: an S-8261 board does exactly that.)
* S-8254A (3S/4S, also used for the 2S S-8252 class and the 4S LFP board): the datasheet summary
  in battery-domain §5.2 gives no charger-detect figure; the S-8261 rule and level are assumed
  [E], with no abnormal charge current detection and no separate over-current 2 (the spec's
  0.5 V "short" entry is its VIOV2).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class IcParameters:
    """One IC family (or grade): the datasheet rules the spec does not state."""

    part: str
    charger_detect: float
    """VCHA, volts (negative): VM at or below it means "a charger is connected"."""
    charger_detect_tolerance: float
    release_at_detect_with_charger: bool
    """With a charger detected, over-discharge releases at VDL (not VDU)."""
    charge_overcurrent: float | None
    """VM level (negative) of abnormal charge current detection; ``None``: the IC has none."""
    charge_overcurrent_tolerance: float
    charge_overcurrent_delay: float | None
    """Seconds; ``None``: the spec's over-charge delay (tCU), as the S-8261 uses."""
    charge_overcurrent_delay_tolerance: float
    """Fraction of the delay (S-8261: +-20 %)."""
    overcurrent2: float | None
    """VIOV2 volts; ``None``: no level between over-current 1 and the short."""
    overcurrent2_tolerance: float
    overcurrent2_delay: float
    overcurrent2_delay_tolerance: float
    sources: str
    estimated: tuple[str, ...] = ()
    """Field names whose value is an estimate [E], not the IC's datasheet figure."""


S8261_FAST = IcParameters(
    part="S-8261 (AAU/AAX/ABA delay grade)",
    charger_detect=-0.7,
    charger_detect_tolerance=0.5,
    release_at_detect_with_charger=True,
    charge_overcurrent=-0.7,
    charge_overcurrent_tolerance=0.5,
    charge_overcurrent_delay=None,
    charge_overcurrent_delay_tolerance=0.2,
    overcurrent2=0.5,
    overcurrent2_tolerance=0.1,
    overcurrent2_delay=2.24e-3,
    overcurrent2_delay_tolerance=0.45e-3,
    sources="S-8261 datasheet Rev.1.9 tables 6 and 9",
)
S8261_SLOW = dataclasses.replace(
    S8261_FAST,
    part="S-8261 (AAV delay grade)",
    overcurrent2_delay=4.5e-3,
    overcurrent2_delay_tolerance=0.9e-3,
    sources="S-8261 datasheet Rev.1.9 tables 6 and 10",
)
"""The slower delay grade: the same levels, the over-current 2 delay of table 10."""
DW01A = IcParameters(
    part="DW01A (board vendor table)",
    charger_detect=-0.7,
    charger_detect_tolerance=0.5,
    release_at_detect_with_charger=True,
    charge_overcurrent=None,
    charge_overcurrent_tolerance=0.0,
    charge_overcurrent_delay=None,
    charge_overcurrent_delay_tolerance=0.0,
    overcurrent2=None,
    overcurrent2_tolerance=0.0,
    overcurrent2_delay=0.0,
    overcurrent2_delay_tolerance=0.0,
    sources="H&M and UMW DW01A datasheets; charger-detect VM level as S-8261 [E]",
    estimated=("charger_detect",),
)
MULTI_CELL = IcParameters(
    part="S-8254A class (2S-4S)",
    charger_detect=-0.7,
    charger_detect_tolerance=0.5,
    release_at_detect_with_charger=True,
    charge_overcurrent=None,
    charge_overcurrent_tolerance=0.0,
    charge_overcurrent_delay=None,
    charge_overcurrent_delay_tolerance=0.0,
    overcurrent2=None,
    overcurrent2_tolerance=0.0,
    overcurrent2_delay=0.0,
    overcurrent2_delay_tolerance=0.0,
    sources="S-8254A datasheet summary (battery-domain 5.2); charger detect as S-8261 [E]",
    estimated=("charger_detect", "release_at_detect_with_charger"),
)

S8261_GRADES: dict[str, IcParameters] = {
    "AAU": S8261_FAST,
    "AAX": S8261_FAST,
    "ABA": S8261_FAST,
    "AAV": S8261_SLOW,
}


def ic_parameters(ic: str, series: int) -> IcParameters:
    """The parameter set the spec's ``[protection].ic`` names (several cells: the S-8254A class).

    An S-8261 part number picks its delay grade from the three letters after ``S-8261``
    (``S-8261AAVMD-...``: AAV); an unknown grade or an unknown one-cell IC gets the DW01A set,
    the most common board in returns.
    """
    name = ic.strip().upper()
    if series > 1:
        return MULTI_CELL
    if name.startswith("S-8261"):
        return S8261_GRADES.get(name[6:9], S8261_FAST)
    return DW01A


__all__ = ["DW01A", "MULTI_CELL", "S8261_GRADES", "IcParameters", "ic_parameters"]
