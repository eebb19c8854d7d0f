"""One meaning for every outcome: skipped is never pass, a required gap makes a run incomplete.

Runs small procedures through the real engine (fake instruments) and checks the step and run
verdicts, the messages derived from them, and that skip reasons are fit for a customer report.
"""

from __future__ import annotations

import pytest
from procedure_fakes import Bench, run

from instruments.units import Q_
from procedures.context import StepContext
from procedures.diagnosis.skipped import covered_by, customer_text, record_not_measured
from procedures.engine import Procedure
from procedures.measurements import CategoricalMeasurement, Measurement
from procedures.records import MISSING_HEAD, Verdict

VOLTAGE = Measurement("pack_voltage", "V", low=Q_(3.0, "V"), high=Q_(4.25, "V"))
CUT = CategoricalMeasurement("short_cut", ("cut", "not_cut"), passing=("cut",))


def test_verdict_order_puts_incomplete_between_marginal_and_fail() -> None:
    order = [v.name for v in sorted(Verdict)]
    assert order == ["SKIPPED", "PASS", "MARGINAL", "INCOMPLETE", "FAIL", "ERROR", "ABORTED"]
    assert Verdict.worst([Verdict.PASS, Verdict.INCOMPLETE, Verdict.MARGINAL]) is (
        Verdict.INCOMPLETE
    )
    assert Verdict.worst([Verdict.INCOMPLETE, Verdict.FAIL]) is Verdict.FAIL


def test_a_required_test_not_performed_makes_step_and_run_incomplete() -> None:
    def protections(ctx: StepContext) -> None:
        ctx.measure(VOLTAGE, Q_(3.8, "V"))
        record_not_measured(ctx, "short_cut", "the load has no short function", required=True)

    result, recorder = run(Procedure("diag", "1", [protections]), Bench())
    step = recorder.steps[0]
    assert step.verdict is Verdict.INCOMPLETE
    assert step.message == f"{MISSING_HEAD}: short_cut (the load has no short function)"
    record = result.measurement("short_cut")
    assert record.verdict is Verdict.SKIPPED
    assert record.comparison.startswith(MISSING_HEAD)
    assert result.verdict is Verdict.INCOMPLETE
    assert result.outcome.message == f"{MISSING_HEAD}: protections/short_cut"


def test_a_failure_outranks_missing_evidence_but_the_gap_is_still_named() -> None:
    def protections(ctx: StepContext) -> None:
        ctx.measure(VOLTAGE, Q_(2.0, "V"))
        record_not_measured(ctx, "short_cut", "not performed after the fail", required=True)

    result, recorder = run(Procedure("diag", "1", [protections]), Bench())
    assert recorder.steps[0].verdict is Verdict.FAIL
    assert result.verdict is Verdict.FAIL
    assert result.outcome.message == (
        f"failed in protections; {MISSING_HEAD}: protections/short_cut"
    )


def test_an_optional_gap_is_recorded_but_does_not_change_the_verdict() -> None:
    def delays(ctx: StepContext) -> None:
        ctx.measure(CUT, "cut")
        record_not_measured(ctx, "short_cut_time", "the station cannot resolve 380 us")

    result, recorder = run(Procedure("diag", "1", [delays]), Bench())
    assert recorder.steps[0].verdict is Verdict.PASS
    assert result.measurement("short_cut_time").verdict is Verdict.SKIPPED
    assert result.measurement("short_cut_time").comparison.startswith("not measured:")
    assert result.verdict is Verdict.PASS and result.outcome.message == ""


def test_a_step_that_measured_nothing_but_skips_is_skipped_not_ok() -> None:
    def nothing(ctx: StepContext) -> None:
        record_not_measured(ctx, "temperature", "no thermometer on this station")

    _, recorder = run(Procedure("diag", "1", [nothing]), Bench())
    step = recorder.steps[0]
    assert step.verdict is Verdict.SKIPPED
    assert "temperature" in step.message and "no thermometer" in step.message


def test_covered_by_names_a_judged_alternative_only() -> None:
    seen: list[str | None] = []

    def pack(ctx: StepContext) -> None:
        ctx.measure(CUT, "cut")
        record_not_measured(ctx, "skipped_one", "not done")

    def board(ctx: StepContext) -> None:
        seen.append(covered_by(ctx, "skipped_one", "short_cut"))
        seen.append(covered_by(ctx, "skipped_one", "never_taken"))

    run(Procedure("diag", "1", [pack, board]), Bench())
    assert seen == ["pack/short_cut", None]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (
            "TCPIP::127.0.0.1::37279::SOCKET: OCP level 28.8 A is outside the E36312A channel 1 "
            "rating (0 .. 5 A); nothing was sent. Fix: choose a OCP level within 0 .. 5 A.",
            "OCP level 28.8 A is outside the E36312A channel 1 rating (0 .. 5 A)",
        ),
        (
            "the source refused it (TCPIP0::bench-3.lan::inst0::INSTR: level too high)",
            "the source refused it (level too high)",
        ),
        ("ASRL/dev/pts/7::INSTR: no reply", "no reply"),
        ("socket://localhost:5025 dropped the link", "dropped the link"),
        ("connection to 10.0.0.12:5025 refused", "connection to refused"),
        ("station cannot resolve µA; declare a finer source", None),
    ],
)
def test_customer_text_drops_resources_hosts_ports_and_engineer_advice(
    raw: str, clean: str | None
) -> None:
    text = customer_text(raw)
    assert text == (raw if clean is None else clean)
    for leak in ("TCPIP", "ASRL", "/dev/", "127.0.0.1", "localhost", ".lan", ":5025", "Fix:"):
        assert leak not in text


def test_skip_reasons_are_sanitised_at_the_source() -> None:
    def step(ctx: StepContext) -> None:
        record_not_measured(
            ctx, "short_cut", "refused (TCPIP::127.0.0.1::4000::SOCKET: too much)", required=True
        )

    result, recorder = run(Procedure("diag", "1", [step]), Bench())
    record = result.measurement("short_cut")
    for text in (record.comparison, record.description, recorder.steps[0].message):
        assert "TCPIP" not in text and "127.0.0.1" not in text and "4000" not in text
