"""The outgoing inspection: its spec section, its decision rule and the procedure on fakes."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from pathlib import Path

import pytest
from procedure_fakes import Bench

from instruments.errors import OverloadError
from instruments.roles import Identity, ResistanceMeter, ResistanceReading, SampleRate
from instruments.units import Q_, Quantity
from procedures.appearance import CHECKLIST
from procedures.clock import RealClock
from procedures.context import BenchInstruments
from procedures.engine import RunResult, run_order, run_procedure
from procedures.errors import SpecError
from procedures.memory_recorder import MemoryRecorder
from procedures.outgoing import (
    DECISION_KIND,
    Decision,
    decide,
    ocv_limit,
    outgoing_procedure,
    resistance_limit,
)
from procedures.prompts import ScriptedPrompts
from procedures.records import Verdict
from procedures.specs import PackSpec, builtin_spec, load_builtin_specs, load_spec

SPECS = sorted(load_builtin_specs())


class FakeMeter(ResistanceMeter):
    def __init__(self, resistance: Quantity | None) -> None:
        self.resistance = resistance
        self.configured: tuple[Quantity, Quantity] | None = None

    @property
    def identity(self) -> Identity:
        return Identity("HIOKI", "BT3562", "1", "V1")

    def make_safe(self) -> None:
        pass

    def close(self) -> None:
        pass

    def configure(
        self,
        resistance_range: Quantity,
        voltage_range: Quantity,
        rate: SampleRate = SampleRate.MEDIUM,
    ) -> None:
        self.configured = (resistance_range, voltage_range)

    def read(self) -> ResistanceReading:
        if self.resistance is None:
            raise OverloadError("OF")
        return ResistanceReading(self.resistance, Q_(0.0, "V"))


def good_answers(**overrides: str) -> dict[str, object]:
    answers: dict[str, object] = {
        f"appearance.visual.{item.name}": item.passing[0] for item in CHECKLIST
    }
    answers.update({f"appearance.visual.{k}": v for k, v in overrides.items()})
    return answers


def inspect(
    spec: PackSpec,
    *,
    volts: float | None = None,
    mohm: float | None = None,
    open_path: bool = False,
    answers: dict[str, object] | None = None,
) -> RunResult:
    out = spec.outgoing
    assert out is not None or (volts is not None and mohm is not None)
    bench = Bench()
    middle = (out.voltage_min + out.voltage_max) / 2 if out is not None else Q_(0, "V")
    bench.dmm.reading = Q_(volts, "V") if volts is not None else middle
    fair = out.ac_resistance_max * 0.8 if out is not None else Q_(0, "mohm")
    meter = FakeMeter(None if open_path else (Q_(mohm, "mohm") if mohm is not None else fair))
    procedure = outgoing_procedure()
    return run_procedure(
        procedure,
        instruments=BenchInstruments(multimeter=bench.dmm, resistance_meter=meter),
        recorder=MemoryRecorder(),
        prompts=ScriptedPrompts(answers if answers is not None else good_answers()),
        clock=RealClock(),
        spec=spec,
        run_info=procedure.run_info(
            station="oqc", operator="li", spec=spec.model, unit_serial="SN1"
        ),
        handle_signals=False,
    )


def decision(result: RunResult) -> str:
    found = [c for c in result.outcome.conclusions if c.kind == DECISION_KIND]
    assert len(found) == 1
    return found[0].value


@pytest.mark.parametrize("model", SPECS)
def test_every_shipped_spec_states_outgoing_limits_inside_its_pack_limits(model: str) -> None:
    spec = builtin_spec(model)
    out = spec.outgoing
    assert out is not None
    assert spec.pack.voltage_low <= out.voltage_min < out.voltage_max <= spec.charge.voltage
    assert out.ac_resistance_max <= spec.pack.ac_resistance_max
    # the derivation the spec file states: cells at their new maximum, loop, 2 mohm joints and
    # 10 mohm leads (its comment); the limit is that sum, rounded up to at most 1 mohm
    p, c, pr = spec.product, spec.cell, spec.protection
    loop = pr.fuse_resistance + pr.trace_resistance + 2 * pr.mosfet_on_resistance
    built = (
        c.ac_resistance_new * p.series / p.parallel
        + Q_(2, "mohm") * (p.series - 1)
        + loop
        + Q_(10, "mohm")
    )
    assert Q_(0, "mohm") <= out.ac_resistance_max - built < Q_(1, "mohm")


@pytest.mark.parametrize("model", SPECS)
def test_a_pack_inside_the_window_is_released(model: str) -> None:
    result = inspect(builtin_spec(model))
    assert result.verdict is Verdict.PASS
    assert decision(result) == Decision.RELEASE
    assert result.measurement("pack_ocv").limits.low == pytest.approx(
        builtin_spec(model).outgoing.voltage_min.m_as("V")  # type: ignore[union-attr]
    )


@pytest.mark.parametrize(
    ("case", "kwargs", "bad"),
    [
        ("flat", {"volts": 0.4}, "pack_ocv"),
        ("overcharged", {"volts": 1e3}, "pack_ocv"),
        ("high resistance", {"mohm": 500.0}, "pack_ac_resistance"),
        ("open path", {"open_path": True}, "pack_path"),
        ("swollen", {"answers": good_answers(swelling="present")}, "swelling"),
        ("minor scratch", {"answers": good_answers(scratches="minor")}, "scratches"),
    ],
)
def test_any_reading_not_passed_holds_the_pack(
    case: str, kwargs: dict[str, object], bad: str
) -> None:
    result = inspect(builtin_spec("PB-2S1P-18650-2600"), **kwargs)  # type: ignore[arg-type]
    assert decision(result) == Decision.HOLD, case
    held = next(c for c in result.outcome.conclusions if c.kind == DECISION_KIND)
    assert any(ref.endswith(f"/{bad}") for ref in held.evidence)
    assert bad in held.explanation
    assert result.measurement(bad).verdict in (Verdict.FAIL, Verdict.MARGINAL)


def test_a_spec_without_outgoing_limits_skips_the_electrical_steps_and_holds() -> None:
    spec = replace(builtin_spec("PB-1S1P-18650-2600"), outgoing=None)
    result = inspect(spec, volts=3.8, mohm=50.0)
    skipped = {s.name for s in result.steps if s.verdict is Verdict.SKIPPED}
    assert skipped == {"outgoing_ocv", "outgoing_resistance"}
    assert "[outgoing]" in result.step("outgoing_ocv").message
    assert decision(result) == Decision.HOLD


def test_the_resistance_meter_is_ranged_from_the_outgoing_limit() -> None:
    spec = builtin_spec("PB-3S1P-18650-3000")
    meter = FakeMeter(Q_(60.0, "mohm"))
    bench = Bench()
    bench.dmm.reading = Q_(11.2, "V")
    procedure = outgoing_procedure()
    run_procedure(
        procedure,
        instruments=BenchInstruments(multimeter=bench.dmm, resistance_meter=meter),
        recorder=MemoryRecorder(),
        prompts=ScriptedPrompts(good_answers()),
        clock=RealClock(),
        spec=spec,
        run_info=procedure.run_info(station="s", operator="o", spec=spec.model, unit_serial="1"),
        handle_signals=False,
    )
    assert meter.configured is not None
    assert meter.configured[0] == spec.outgoing.ac_resistance_max * 2  # type: ignore[union-attr]


def test_no_source_load_or_thermometer_is_touched() -> None:
    """Every source, load and thermometer call would raise MissingInstrument (an error run)."""
    result = inspect(builtin_spec("PB-1S2P-18650-5200"))
    assert result.verdict is Verdict.PASS
    assert all(s.verdict is Verdict.PASS for s in result.steps)


def test_decide_releases_only_a_clean_run() -> None:
    verdicts = list(Verdict)
    assert decide([Verdict.PASS] * 3, [Verdict.PASS] * 5) is Decision.RELEASE
    assert decide([], []) is Decision.HOLD
    for step, measured in itertools.product(verdicts, verdicts):
        expected = step is Verdict.PASS and measured is Verdict.PASS
        got = decide([Verdict.PASS, step], [Verdict.PASS, measured])
        assert (got is Decision.RELEASE) is expected, (step, measured)


def test_declared_limits_build_the_declared_measurements() -> None:
    procedure = outgoing_procedure()
    spec = builtin_spec("PB-4S1P-26650-LFP")
    declared = {d.name: d for s in run_order(procedure) for d in s.measures}
    assert declared["pack_ocv"].checked(spec).name == ocv_limit(spec).name  # type: ignore[union-attr]
    checked = declared["pack_ac_resistance"].checked(spec)
    assert checked is not None and checked.name == resistance_limit(spec).name
    assert {item.name for item in CHECKLIST} <= set(declared)


def _spec_with(tmp_path: Path, outgoing: str) -> Path:
    text = builtin_spec("PB-2S1P-18650-2600").source.read_text(encoding="utf-8")
    head, _, tail = text.partition("[outgoing]")
    rest = tail[tail.index("\n[") :]
    path = tmp_path / "spec.toml"
    path.write_text(f"{head}[outgoing]\n{outgoing}\n{rest}", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "field", "fix"),
    [
        (
            'voltage_min = "5.0 V"\nvoltage_max = "8.0 V"\nac_resistance_max = "120 mohm"',
            "outgoing.voltage_min",
            "pack.voltage_low",
        ),
        (
            'voltage_min = "7.0 V"\nvoltage_max = "9.0 V"\nac_resistance_max = "120 mohm"',
            "outgoing.voltage_min",
            "charge.voltage",
        ),
        (
            'voltage_min = "7.0 V"\nvoltage_max = "8.0 V"\nac_resistance_max = "200 mohm"',
            "outgoing.ac_resistance_max",
            "looser than pack.ac_resistance_max",
        ),
        (
            'voltage_min = "7.0 V"\nvoltage_max = "8.0 V"\nac_resistance_max = "120 mV"',
            "outgoing.ac_resistance_max",
            "ohm",
        ),
        (
            'voltage_min = "7.0 V"\nvoltage_max = "8.0 V"',
            "outgoing.ac_resistance_max",
            "missing",
        ),
        (
            'voltage_min = "7.0 V"\nvoltage_max = "8.0 V"\nac_resistance_max = "120 mohm"\n'
            'ocv_max = "8 V"',
            "outgoing.ocv_max",
            "unknown field",
        ),
    ],
)
def test_a_bad_outgoing_section_is_refused_naming_the_field(
    tmp_path: Path, body: str, field: str, fix: str
) -> None:
    with pytest.raises(SpecError, match=re.escape(field)) as refused:
        load_spec(_spec_with(tmp_path, body))
    assert fix in str(refused.value)


def test_a_spec_without_the_section_still_loads(tmp_path: Path) -> None:
    text = builtin_spec("PB-2S1P-18650-2600").source.read_text(encoding="utf-8")
    head, _, tail = text.partition("[outgoing]")
    path = tmp_path / "old.toml"
    path.write_text(head + tail[tail.index("\n[") :], encoding="utf-8")
    assert load_spec(path).outgoing is None
