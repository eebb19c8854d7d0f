"""Step 1: how the pack was used, asked as the manual asks it and kept as categorical records;
and a look at the pack as received.

The usage answers are recorded, not judged (every allowed answer passes): they feed the customer
advice and the cause category, and an engineer reading the report needs them beside the
measurements. The look is judged: a swollen pack (the appearance checklist's question, asked of
the closed pack before anything is connected) fails ``pack_swelling``, and the sequence then
neither charges nor loads it (a swollen cell may vent or burn) but opens it to find the cell.
"""

from __future__ import annotations

from procedures.context import StepContext
from procedures.declared import Declared
from procedures.diagnosis.vocabulary import Measured
from procedures.measurements import CategoricalMeasurement

CHARGERS = ("original", "third_party", "unknown")
TEMPERATURES = ("normal", "hot", "cold", "unknown")
TIME_IN_USE = ("under_1_month", "1_to_12_months", "over_12_months", "unknown")
LOCATIONS = ("indoor", "vehicle", "outdoor", "storage", "unknown")
KNOWN_GOOD = ("yes", "no", "not_tried")
SWELLING = ("none", "present")
PACK_SWELLING_QUESTION = (
    "Look at the pack before connecting anything: is it swollen (case or wrap bulging)?"
)

DEVICE = CategoricalMeasurement("usage_device", description="device the pack powered")
CHARGER = CategoricalMeasurement("usage_charger", CHARGERS, description="charger used")
TEMPERATURE = CategoricalMeasurement("usage_temperature", TEMPERATURES)
TIME = CategoricalMeasurement("usage_time_in_use", TIME_IN_USE)
LOCATION = CategoricalMeasurement("usage_location", LOCATIONS)
PACK_SWELLING = CategoricalMeasurement(
    "pack_swelling",
    SWELLING,
    passing=("none",),
    description="operator's look at the closed pack, before any energy",
)
KNOWN_GOOD_PACK = CategoricalMeasurement(
    "known_good_pack_works",
    KNOWN_GOOD,
    description="does a known-good pack of the same model work in the customer's device",
)


def intake(ctx: StepContext) -> None:
    """Ask the usage questions of the complaint manual (device, charger, environment, time)."""
    ask = ctx.prompt
    ctx.measure(DEVICE, ask.text("usage_device", "Which device did the customer use the pack in?"))
    ctx.measure(CHARGER, ask.choice("usage_charger", "Which charger was used?", CHARGERS))
    ctx.measure(
        TEMPERATURE,
        ask.choice(
            "usage_temperature",
            "Ambient temperature in use? (cold: below 0 °C, normal: 0–45 °C, hot: above 45 °C;"
            " the cell charge window is 0–45 °C)",
            TEMPERATURES,
        ),
    )
    ctx.measure(TIME, ask.choice("usage_time_in_use", "How long was the pack in use?", TIME_IN_USE))
    ctx.measure(LOCATION, ask.choice("usage_location", "Where was it used or stored?", LOCATIONS))
    ctx.measure(
        KNOWN_GOOD_PACK,
        ask.choice(
            "known_good_pack_works",
            "Does a known-good pack of the same model work in the customer's device?",
            KNOWN_GOOD,
        ),
    )
    ctx.measure(PACK_SWELLING, ask.choice("pack_swelling", PACK_SWELLING_QUESTION, SWELLING))


MEASURES = (
    Declared("usage_device", required=True, description=DEVICE.description),
    Declared(Measured.USAGE_CHARGER, required=True, description=CHARGER.description),
    Declared(Measured.USAGE_TEMPERATURE, required=True),
    Declared(Measured.USAGE_TIME_IN_USE, required=True),
    Declared(Measured.USAGE_LOCATION, required=True),
    Declared("known_good_pack_works", required=True, description=KNOWN_GOOD_PACK.description),
    Declared(Measured.PACK_SWELLING, required=True, limits=lambda spec: PACK_SWELLING),
)
"""Every question is asked and answered on every intake."""
