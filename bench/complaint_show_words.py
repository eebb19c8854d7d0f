"""What ``packbench complaint show`` prints for a person, in the station's language.

The header's labels, the verdict table's cells and the lines of the runs set aside are the
command line's sentences (``complaint_show.*`` of ``bench/locale``); coded values (symptom,
severity, status, verdict, disposition, a run's standing) are said by the report catalogue's
labels, as ``complaint list`` and the pages say them (``bench.cli_words.Words.enum``). Root cause
and symptom of a row are labelled by the verdict table itself (``bench.live.LiveView``). English
prints what the command printed before this catalogue existed, codes included (tests and scripts
match it); ``--json`` is not printed here and keeps the codes.
"""

from __future__ import annotations

from typing import Any

from bench.cli_words import Words, columns
from bench.live import TableRow

HEADER = ("complaint", "customer", "product_model", "symptom", "severity", "status")
"""The header's fields, in the order printed (``complaint_show.field.*``)."""
CODED = ("symptom", "severity", "status")
"""Header fields holding a code, said by the report catalogue's label of that group."""
LABEL_WIDTH = 14
"""The header's labels are right-aligned to this many terminal columns (as printed in English)."""


def header_lines(header: dict[str, Any], say: Words) -> list[str]:
    """``     complaint: CC-2026-0001``: one line per header field, its label right-aligned."""
    lines = []
    for key in HEADER:
        label = say(f"complaint_show.field.{key}")
        value = header[key]
        shown = say.enum(key, value) if key in CODED and value is not None else value
        lines.append(" " * max(0, LABEL_WIDTH - columns(label)) + f"{label}: {shown}")
    return lines


def unit_rows(unit: dict[str, Any], say: Words) -> list[TableRow]:
    """One row per procedure, each from that procedure's latest valid run alone."""
    if not unit["results"]:
        state = in_progress(unit, say) or (
            say("complaint_show.no_valid_run")
            if unit["set_aside"]
            else say("complaint_show.not_run")
        )
        return [TableRow(unit["unit"], state, "-", "-", disposition_cell(unit, None, say), None)]
    return [
        TableRow(
            unit["unit"],
            say(
                "complaint_show.result",
                procedure=r["procedure"],
                verdict=say.enum("verdict", r["verdict"]),
            ),
            r["diagnosis"].get("root_cause") or "-",
            r["diagnosis"].get("symptom") or "-",
            disposition_cell(unit, r, say),
            r["run_id"],
        )
        for r in unit["results"]
    ]


def in_progress(unit: dict[str, Any], say: Words) -> str:
    """``running``, or ``unknown`` for a run recording on another host (its process cannot be
    seen from here); empty when none of the unit's runs is still recording."""
    states = [r["process"] for r in unit.get("in_progress", [])]
    if not states:
        return ""
    return say("complaint_show.unknown" if "unknown" in states else "complaint_show.running")


def disposition_cell(unit: dict[str, Any], result: dict[str, Any] | None, say: Words) -> str:
    """The disposition on a row: QA's confirmed one on the unit's primary row; otherwise that
    run's own proposal, marked *proposed* when it is the one stored on the unit. A proposal of a
    run that is no longer evidence (invalid) is not shown."""
    primary = result is None or result["run_id"] == unit["run_id"]
    if unit["run_id"] is None and result is not None:
        primary = result is unit["results"][0]
    if primary and unit["disposition"] and unit["disposition_state"] == "confirmed":
        shown = say.conclusion("disposition", unit["disposition"])
        return say("complaint_show.disposition.confirmed", disposition=shown)
    own = None if result is None else result["diagnosis"].get("disposition")
    if own and own == unit["disposition"]:
        state = unit["disposition_state"]
        shown = say.conclusion("disposition", own)
        return say(f"complaint_show.disposition.{state}", disposition=shown)
    return str(own or "-")


def set_aside_lines(unit: dict[str, Any], say: Words) -> list[str]:
    """``  U-1: run 7 (diagnosis) is invalid, not evidence: wrong pack``: the unit's runs that
    stay in the record but are not evidence, the reason as QA typed it."""
    lines = []
    for aside in unit["set_aside"]:
        values = {
            "unit": unit["unit"],
            "run": aside["run_id"],
            "procedure": aside["procedure"],
            "standing": say.enum("standing", aside["standing"]),
        }
        if aside["reason"]:
            lines.append(say("complaint_show.set_aside_reason", reason=aside["reason"], **values))
        else:
            lines.append(say("complaint_show.set_aside", **values))
    return lines
