"""The temperature probe on the pack: a 5 kOhm NTC thermistor, and the conversions a DMM applies.

The simulated probe is a 5 kOhm (at 25 degC) NTC of the YSI 44007 curve, the one thermistor the
Keysight Truevolt DMMs convert (``TEMP:TRAN:THER:TYPE 5000``). Its resistance follows the
Steinhart-Hart equation ``1/T = A + B ln R + C (ln R)^3`` with the coefficients commonly published
for that curve; the emulated DMM converts back with the same equation, so a correctly configured
meter reads the probe's temperature, and a wrongly configured one (an RTD conversion of a
thermistor) reads what a real one would: nonsense or an overload.
"""

from __future__ import annotations

import math

KELVIN_OFFSET = 273.15
STEINHART_HART_5K = (1.285e-3, 2.362e-4, 9.285e-8)
"""A, B, C of the 5 kOhm YSI 44007 curve (R in ohm, T in kelvin)."""
THERMISTOR_RANGE_C = (-80.0, 150.0)
"""Where the Truevolt converts a thermistor; outside it reads the overload code."""
RTD_ALPHA_385 = (3.9083e-3, -5.775e-7)
"""Callendar-Van Dusen A, B of an alpha 0.00385 RTD (IEC 60751), for 0 .. 850 degC."""
RTD_RANGE_C = (-200.0, 850.0)


def thermistor_resistance(celsius: float) -> float:
    """Resistance (ohm) of the 5 kOhm probe at ``celsius`` (Steinhart-Hart solved for ln R)."""
    a, b, c = STEINHART_HART_5K
    y = (a - 1.0 / (celsius + KELVIN_OFFSET)) / c
    x = math.sqrt((b / (3.0 * c)) ** 3 + y * y / 4.0)
    return math.exp(math.cbrt(x - y / 2.0) - math.cbrt(x + y / 2.0))


def thermistor_celsius(ohms: float) -> float:
    """What a DMM set to the 5 kOhm thermistor reads for ``ohms`` (NaN outside its range)."""
    if not ohms > 0.0 or not math.isfinite(ohms):
        return math.nan
    a, b, c = STEINHART_HART_5K
    ln_r = math.log(ohms)
    celsius = 1.0 / (a + b * ln_r + c * ln_r**3) - KELVIN_OFFSET
    low, high = THERMISTOR_RANGE_C
    return celsius if low <= celsius <= high else math.nan


def rtd_celsius(ohms: float, reference: float) -> float:
    """What a DMM set to an alpha 0.00385 RTD of ``reference`` ohm at 0 degC reads for ``ohms``.

    Callendar-Van Dusen without its C term (exact above 0 degC, within 0.2 K down to -200 degC):
    solved for t. NaN (the overload) outside -200 .. 850 degC.
    """
    a, b = RTD_ALPHA_385
    ratio = ohms / reference
    discriminant = a * a - 4.0 * b * (1.0 - ratio)
    if discriminant < 0.0:
        return math.nan
    celsius = (-a + math.sqrt(discriminant)) / (2.0 * b)
    low, high = RTD_RANGE_C
    return celsius if low <= celsius <= high else math.nan
