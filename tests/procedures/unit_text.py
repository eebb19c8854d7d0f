"""Checks that the unit text a run stores is the compact form and reads back with the registry.

The text is what reports, exports and the service print and what a reader (or a re-import)
parses again, so a form pint cannot parse, or the spaced short form ('h * mA', 'mV / d'), is a
defect in every table the run appears in.
"""

from __future__ import annotations

from instruments.units import ureg
from procedures.engine import RunResult


def unit_texts(result: RunResult) -> set[str]:
    """Every non-empty unit text of the run: measurements and trace channels."""
    texts = {m.unit for s in result.steps for m in s.measurements if m.unit}
    for step in result.steps:
        for trace in step.traces:
            texts.update(unit for _, unit in trace.channels.values() if unit)
    return texts


def assert_unit_texts_round_trip(result: RunResult) -> None:
    texts = unit_texts(result)
    assert texts, "the run recorded no unit at all"
    for text in sorted(texts):
        parsed = ureg.Unit(text)
        assert format(parsed, "~C") == text, f"{text!r} is not pint's compact form"
        assert " " not in text, f"{text!r} is spaced out"
