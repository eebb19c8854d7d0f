"""Reply formats shared by several models (each model's own oddities stay in its module)."""

from __future__ import annotations

import math

import numpy as np

#: The overload code Keysight instruments print instead of a reading.
OVERLOAD = 9.9e37


def nr3(value: float, digits: int = 8) -> str:
    """Keysight NR3, ``+3.85012345E+00`` (SD.DDDDDDDDESDD); infinities print as the overload."""
    if math.isnan(value):
        value = OVERLOAD
    elif math.isinf(value):
        value = math.copysign(OVERLOAD, value)
    return f"{value:+.{digits}E}"


def quantize(value: float, resolution: float) -> float:
    """Round a reading to the instrument's last digit."""
    if resolution <= 0 or not math.isfinite(value):
        return value
    return round(value / resolution) * resolution


def reading(
    rng: np.random.Generator, true: float, *, gain: float, offset: float, resolution: float
) -> float:
    """What an instrument reads for ``true``: noise within its stated accuracy, its last digit.

    ``gain`` (fraction of reading) and ``offset`` (absolute) are the data-sheet accuracy; we draw
    with that as a 3-sigma bound so nearly every reading stays inside the specification.
    """
    if not math.isfinite(true):
        return true
    sigma = (gain * abs(true) + offset) / 3.0
    return quantize(true + float(rng.normal(0.0, sigma)), resolution)
