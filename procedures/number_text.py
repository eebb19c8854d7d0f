"""The one text form of a measured number, shared by the engine and every report.

The engine writes a measurement's comparison text (``3.71 < 4.2 V``) when it judges the value,
and the reports print the same value and limits later; both use this form, so a number reads
the same in the comparison text, the report's tables and the service's pages. A fixed format
(six significant digits, never ``str(float)`` or the host's locale) keeps rendered bytes
identical from run to run.
"""

from __future__ import annotations

SIGNIFICANT_DIGITS = 6


def number_text(value: float) -> str:
    return f"{value:.{SIGNIFICANT_DIGITS}g}"
