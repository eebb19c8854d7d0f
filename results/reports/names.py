"""Step names, measurement names and operator answers as the reports and pages show them.

The records keep the procedures' names (``voltage_check``, ``cell2_voltage``) and an operator's
answer as the option's value (``1_to_12_months``): they are what the CLI, the anchors, the
evidence references and QA's searches use, and a record's hash covers them, so they stay as
recorded. A reader gets a label in its language instead: step and measurement names from the
report catalogue (``step_name.<step>``, ``measurement_name.<name>``; a per-cell name is declared
with ``{cell}`` and labelled with the cell's number), answers from the procedures' prompt
catalogue (the words the operator chose from), and a reading's category (``charge_end =
cut_off``) from the report catalogue (``category.<value>``, or ``category.<measurement>.<value>``
where the word depends on what was read: a board's output ``none`` is no output, a swelling
``none`` no bulge). A name or value no catalogue knows is shown as recorded, so a report of a
newer procedure still renders; ``tests/results/test_record_names_labelled.py`` and
``tests/results/test_category_labels.py`` fail on a name or value of a shipped procedure without
its label in either language.
"""

from __future__ import annotations

import re

from procedures.declared import CELL
from procedures.diagnosis.skipped import NOT_MEASURED
from procedures.questions import definition, option_label, prompt_messages
from results.reports.labels import Catalogue

STEP_GROUP = "step_name"
MEASUREMENT_GROUP = "measurement_name"
CATEGORY_GROUP = "category"
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


def _family(name: str) -> str:
    """The declared name of a record name (``cell3_swelling`` -> ``cell{cell}_swelling``)."""
    cell = _PER_CELL.fullmatch(name)
    return f"cell{CELL}_{cell[2]}" if cell is not None else name


def _option_of(name: str, value: str) -> bool:
    """``value`` is one of the options of the question that recorded ``name``."""
    for prefix in ANSWER_PREFIXES:
        question = definition(prefix + name)
        if question is not None and value in question.options:
            return True
    return False


def _category_key(t: Catalogue, name: str, value: str) -> str | None:
    for key in (f"{CATEGORY_GROUP}.{_family(name)}.{value}", f"{CATEGORY_GROUP}.{value}"):
        if key in t.messages:
            return key
    return None


def value_label(t: Catalogue, name: str, value: str) -> str:
    """A recorded text value of measurement ``name`` in ``t``'s language: the marker of a
    reading the step could not take by its words, an operator's choice as the option reads, a
    reading's category by the report catalogue; any other value (free text, a reference) as
    recorded. ``name`` may be empty where it is not known (the category's own word is used)."""
    if value == NOT_MEASURED:
        return t[f"reading.{NOT_MEASURED}"]
    if name and _option_of(name, value):
        return option_label(value, t.locale)
    key = _category_key(t, name, value)
    return t.messages[key] if key is not None else value


def has_value_label(t: Catalogue, name: str, value: str) -> bool:
    """A catalogue holds words for ``value`` (its English words may read as the code)."""
    if value == NOT_MEASURED:
        return f"reading.{NOT_MEASURED}" in t.messages
    if name and _option_of(name, value):
        return f"option.{value}" in prompt_messages(t.locale)
    return _category_key(t, name, value) is not None


def record_label(t: Catalogue, ref: str) -> str:
    """A ``<step>/<measurement>`` reference (or a bare name) by the measurement's label, or the
    step's where the measurement has none; as recorded when neither has one."""
    step, _, name = ref.rpartition("/")
    label = measurement_label(t, name)
    if label == name and step:
        shown_step = step_label(t, step)
        return ref if shown_step == step else f"{shown_step}/{name}"
    return label


def with_code(t: Catalogue, label: str, code: str) -> str:
    """``label [code]``: a record named in running text, traceable by its code."""
    return code if label == code else t.format("name.with_code", label=label, code=code)


def labelled(label: str, code: str) -> str:
    """The code to show under a label (QA searches by it), or nothing when they are the same."""
    return "" if label == code else code
