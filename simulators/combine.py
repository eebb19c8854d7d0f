"""Combined faults (``deep_discharge_uv+aged_cell``) and the check that a fault fits a pack.

A returned unit often has more than one thing wrong: a pack stored into under-voltage whose
cell was already aged, an imbalanced pack with a shorted charge FET. A combination is written
as catalogue names joined by ``+``; it is resolved into one ``FaultScenario`` by merging what
each component changes:

* the pack-wide start state: a component that states a start *voltage* (a level relative to
  the protection thresholds, e.g. cells below the under-voltage threshold) decides it; two
  different start voltages cannot both hold and are refused. Without one, the state of
  charge of a component that sets a series cell's own SOC is used (series imbalance: its
  cell's SOC is stated against the rest, so the 35 % gap that defines it is kept), else the
  first component's (as written: the primary's storage state);
* per series cell: changes to the same position are merged field by field; a field two
  components set to different values (two different start voltages of one cell, two
  resistance factors) is refused, since one cell has one value;
* the board: each field that a component changes from a good board's value is taken; two
  different values (a charge FET both open and shorted, the IC both latched and in
  power-down) are refused, as is an IC held in over-current protection by a board whose
  over-current detection has failed.

The answer key of a combination: the first component's symptom and root cause (the primary as
written), ``expected_findings`` every component's root cause, and the most severe of the
components' dispositions (an aged cell behind a deep discharge is ``replace_cells``, not
``recharge_and_return``), except that a unit needing both a new board and new cells keeps
nothing of the pack and is ``scrap`` (the diagnosis rules decide the same way). Which finding
the rules rank first is their business; a test compares the set of findings and the
disposition.

``fit_problem`` says why a scenario cannot be built on a pack (series imbalance on a 1S pack):
the bench refuses it instead of quietly building a different pack than the spec declares.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import fields, replace
from typing import Any

from simulators.faults import (
    CATALOGUE,
    CellChange,
    Disposition,
    FaultScenario,
    Level,
    scenario,
)
from simulators.physics.board import BoardCondition
from simulators.physics.parameters import PackParameters

SEPARATOR = "+"
DISPOSITION_SEVERITY: tuple[Disposition, ...] = (
    "no_fault_found",
    "recharge_and_return",
    "repair_board",
    "replace_board",
    "replace_cells",
    "scrap",
)
"""Least to most severe: the combination's disposition is the most severe of its parts."""
_GOOD_BOARD = BoardCondition()
_FRESH_CELL = CellChange()


class FaultCombinationError(ValueError):
    """A fault name that is unknown, repeated, or a combination that cannot exist physically."""


def component_names(name: str) -> tuple[str, ...]:
    """``"a+b"`` -> ``("a", "b")``; unknown, empty or repeated names raise, naming the fix."""
    parts = tuple(part.strip() for part in name.split(SEPARATOR))
    if any(not part for part in parts):
        raise FaultCombinationError(
            f"fault {name!r}: an empty name around {SEPARATOR!r}; write names joined by "
            f"{SEPARATOR!r}, e.g. deep_discharge_uv+aged_cell"
        )
    for part in parts:
        if part not in CATALOGUE:
            raise FaultCombinationError(
                f"unknown fault {part!r}; valid: {', '.join(sorted(CATALOGUE))} "
                f"(combine them with {SEPARATOR!r}, e.g. deep_discharge_uv+aged_cell)"
            )
    repeated = sorted({p for p in parts if parts.count(p) > 1})
    if repeated:
        raise FaultCombinationError(
            f"fault {name!r}: {', '.join(repeated)} given twice; name each fault once"
        )
    return parts


def resolve(name: str) -> FaultScenario:
    """The scenario of a catalogue name or a ``+`` combination; raises with the reason."""
    parts = component_names(name)
    chosen = [scenario(p) for p in parts if p != "healthy" or len(parts) == 1]
    if len(chosen) == 1:
        return chosen[0]
    if not chosen:
        return scenario("healthy")
    return _combine("+".join(parts), chosen)


def _combine(name: str, parts: list[FaultScenario]) -> FaultScenario:
    voltages = {p.voltage for p in parts if p.voltage is not None}
    if len(voltages) > 1:
        stated = ", ".join(f"{p.name} ({_level_text(p)})" for p in parts if p.voltage)
        raise FaultCombinationError(
            f"fault {name!r} cannot exist: the cells cannot start at two voltages at once "
            f"({stated}); combine at most one fault that sets the pack's start voltage"
        )
    return FaultScenario(
        name=name,
        description=" + ".join(p.description for p in parts),
        symptom=parts[0].symptom,
        expected_root_cause=parts[0].expected_root_cause,
        expected_disposition=combined_disposition(p.expected_disposition for p in parts),
        soc=_pack_soc(parts),
        voltage=next(iter(voltages), None),
        cells=_merge_cells(name, parts),
        board=_merge_board(name, parts),
        min_series=max(p.min_series for p in parts),
        min_parallel=max(p.min_parallel for p in parts),
        components=tuple(p.name for p in parts),
        expected_findings=tuple(p.expected_root_cause for p in parts),
    )


def combined_disposition(parts: Iterable[Disposition]) -> Disposition:
    """The most severe disposition; a new board and new cells together leave nothing: scrap."""
    needed = set(parts)
    if {"replace_board", "replace_cells"} <= needed:
        return "scrap"
    return max(needed, key=DISPOSITION_SEVERITY.index)


def _pack_soc(parts: list[FaultScenario]) -> float:
    """The SOC of cells no component states: the one a cell's own SOC was set against."""
    relative = [p.soc for p in parts if any(c.soc is not None for c in p.cells)]
    return relative[0] if relative else parts[0].soc


def _level_text(part: FaultScenario) -> str:
    assert part.voltage is not None
    return _text(part.voltage)


def _text(value: Any) -> str:
    """A value as a person reads it in a refusal (a ``Level`` as "1 V" or "detect -0.3 V")."""
    if isinstance(value, Level):
        if value.reference is None:
            return f"{value.offset:g} V"
        return f"{value.reference} {value.offset:+g} V"
    return repr(value)


def _merge_fields(name: str, what: str, items: list[tuple[str, Any]], default: Any) -> Any:
    """One dataclass from several: each field's non-default value; two different ones clash."""
    merged: dict[str, Any] = {}
    source: dict[str, str] = {}
    for origin, item in items:
        for f in fields(item):
            value = getattr(item, f.name)
            if f.name in ("index", "member") or _same(value, getattr(default, f.name)):
                continue
            if f.name in merged and not _same(merged[f.name], value):
                raise FaultCombinationError(
                    f"fault {name!r} cannot exist: {what} {f.name} would be both "
                    f"{_text(merged[f.name])} ({source[f.name]}) and {_text(value)} ({origin})"
                )
            merged[f.name] = value
            source[f.name] = origin
    return replace(default, **merged)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isinf(a) and math.isinf(b):
        return a == b
    return bool(a == b)


def _merge_cells(name: str, parts: list[FaultScenario]) -> tuple[CellChange, ...]:
    """Changes of the same cell merge (a whole parallel group and one of its cells stay apart:
    ``FaultScenario.cell_conditions`` lays the cell's over its group's)."""
    by_cell: dict[tuple[int, int], list[tuple[str, CellChange]]] = {}
    for part in parts:
        for change in part.cells:
            key = (change.index, -1 if change.member is None else change.member)
            by_cell.setdefault(key, []).append((part.name, change))
    merged = []
    for index, member in sorted(by_cell):
        what = f"series cell {index + 1}" + ("" if member < 0 else f" (parallel cell {member + 1})")
        cell = _merge_fields(name, what, by_cell[(index, member)], _FRESH_CELL)
        merged.append(replace(cell, index=index, member=None if member < 0 else member))
    return tuple(merged)


def _merge_board(name: str, parts: list[FaultScenario]) -> BoardCondition:
    board: BoardCondition = _merge_fields(
        name, "the board's", [(p.name, p.board) for p in parts], _GOOD_BOARD
    )
    if board.initial_state == "overcurrent" and not board.overcurrent_detection:
        raise FaultCombinationError(
            f"fault {name!r} cannot exist: the IC cannot sit in over-current protection when "
            "its over-current detection has failed"
        )
    return board


def fit_problem(chosen: FaultScenario, pack: PackParameters) -> str | None:
    """Why ``chosen`` cannot be built on ``pack`` as its spec declares it (``None``: it fits)."""
    if pack.series < chosen.min_series:
        return (
            f"fault {chosen.name!r} needs at least {chosen.min_series} cells in series, and "
            f"{pack.model} has {pack.series}: it cannot occur in this pack. Fix: choose a spec "
            f"with {chosen.min_series}S or more (e.g. PB-2S1P-18650-2600), or another fault"
        )
    if pack.parallel < chosen.min_parallel:
        return (
            f"fault {chosen.name!r} needs at least {chosen.min_parallel} cells in parallel, and "
            f"{pack.model} has {pack.parallel}: it cannot occur in this pack. Fix: choose a spec "
            f"with {chosen.min_parallel}P or more (e.g. PB-1S2P-18650-5200), or another fault"
        )
    for change in chosen.cells:
        if change.member is not None and change.member >= pack.parallel:
            return (
                f"fault {chosen.name!r} changes parallel cell {change.member + 1}, and "
                f"{pack.model} has {pack.parallel}: choose a spec with more cells in parallel"
            )
        if change.index >= pack.series:
            return (
                f"fault {chosen.name!r} changes series cell {change.index + 1}, and "
                f"{pack.model} has {pack.series}: choose a spec with more cells in series"
            )
    return None


def resolve_for(name: str, pack: PackParameters) -> FaultScenario:
    """``resolve`` plus ``fit_problem``: the scenario, or ``FaultCombinationError`` with why."""
    chosen = resolve(name)
    problem = fit_problem(chosen, pack)
    if problem is not None:
        raise FaultCombinationError(problem)
    return chosen
