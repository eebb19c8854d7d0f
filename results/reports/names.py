"""Step names, measurement names and operator answers as the reports and pages show them.

The records keep the procedures' names (``voltage_check``, ``cell2_voltage``) and an operator's
answer as the option's value (``1_to_12_months``): they are what the CLI, the anchors, the
evidence references and QA's searches use, and a record's hash covers them, so they stay as
recorded. A reader gets a label in its language instead: step and measurement names from the
report catalogue (``step_name.<step>``, ``measurement_name.<name>``; a per-cell name is declared
with ``{cell}`` and labelled with the cell's number), answers from the procedures' prompt
catalogue (the words the operator chose from). A name no catalogue knows is shown as recorded,
so a report of a newer procedure still renders; ``tests/results/test_record_names_labelled.py``
fails on a name of a shipped procedure without its label in either language.
"""

from __future__ import annotations

import re

from procedures.declared import CELL
from procedures.diagnosis.skipped import NOT_MEASURED
from procedures.questions import definition, option_label, prompt_messages
from results.reports.labels import Catalogue

STEP_GROUP = "step_name"
MEASUREMENT_GROUP = "measurement_name"
_PER_CELL = re.compile(r"cell(\d+)_(\w+)")
ANSWER_PREFIXES = ("", "appearance.visual.")
"""Where a recorded answer's question lives: its measurement name is the question id (the
intake), or the question id under the appearance checklist's prefix."""


def step_label(t: Catalogue, step: str) -> str:
    """The step's label in ``t``'s language, or its name as recorded."""
    return t.enum(STEP_GROUP, step)


def measurement_label(t: Catalogue, name: str) -> str:
    """The measurement's label in ``t``'s language (a per-cell one with its cell's number; a
    drawing dimension by the prompt catalogue's word), or its name as recorded."""
    key = f"{MEASUREMENT_GROUP}.{name}"
    if key in t.messages:
        return t.messages[key]
    cell = _PER_CELL.fullmatch(name)
    if cell is not None:
        template = t.messages.get(f"{MEASUREMENT_GROUP}.cell{CELL}_{cell[2]}")
        if template is not None:
            return template.format(cell=cell[1])
    return prompt_messages(t.locale).get(f"dimension.{name}", name)


def answer_label(t: Catalogue, name: str, value: str) -> str:
    """An operator's choice (the value of measurement ``name``) as the option reads in ``t``'s
    language, and the marker of a reading the step could not take by its words; any other value
    (a reading's category, free text) as recorded."""
    if value == NOT_MEASURED:
        return t[f"reading.{NOT_MEASURED}"]
    for prefix in ANSWER_PREFIXES:
        question = definition(prefix + name)
        if question is not None and value in question.options:
            return option_label(value, t.locale)
    return value


def labelled(label: str, code: str) -> str:
    """The code to show under a label (QA searches by it), or nothing when they are the same."""
    return "" if label == code else code
