"""Board fixture: the source emulating the cells never goes above what the cells could reach.

Issue 3, safety audit: the board tests sweep and step the source past the protection IC's
thresholds. Every command the real source driver sends is recorded on the wire (a transport
wrapper around the driver's own transport), and for each shipped pack spec:

* no voltage setpoint exceeds the spec's per-cell maximum, ``overcharge_detect + tolerance +
  0.25 V``, times the series count;
* the hardware OVP level is not above that maximum either (it is the last line of defence);
* OVP was programmed (and, where the model has an enable, enabled) before every output on.

``healthy`` cuts at its threshold; ``charge_fet_short`` never cuts, so the sweep runs to its top.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from test_diagnosis_matrix import SimRun, simulated_bench
from test_diagnosis_steps import FAST, run_steps

from instruments.transport import Transport
from instruments.units import Q_
from procedures.specs import SPEC_DIR, PackSpec, load_spec

SPECS = sorted(path.stem for path in SPEC_DIR.glob("*.toml"))
MARGIN_PER_CELL = Q_(0.25, "V")

#: (pattern, event) per source model; groups: channel, value (where there is one).
COMMANDS = {
    "E36312A": [
        (re.compile(r"^VOLT:PROT ([^,]+),\(@(\d)\)$"), "ovp"),
        (re.compile(r"^VOLT ([^,]+),\(@(\d)\)$"), "setpoint"),
        (re.compile(r"^OUTP ON,\(@(\d)\)$"), "on"),
    ],
    "DP832": [
        (re.compile(r"^:OUTP:OVP:VAL CH(\d),(\S+)$"), "ovp_level"),
        (re.compile(r"^:OUTP:OVP CH(\d),ON$"), "ovp_enable"),
        (re.compile(r"^:SOUR(\d):VOLT (\S+)$"), "setpoint"),
        (re.compile(r"^:OUTP CH(\d),ON$"), "on"),
    ],
}


@dataclass
class WireLog:
    """Forwards to the driver's transport and keeps every command written, in order."""

    inner: Transport
    sent: list[str] = field(default_factory=list)

    @property
    def resource(self) -> str:
        return self.inner.resource

    @property
    def timeout(self) -> float:
        return self.inner.timeout

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        self.inner.timeout = seconds

    def write(self, message: str) -> None:
        self.sent.append(message)
        self.inner.write(message)

    def read(self) -> str:
        return self.inner.read()

    def query(self, message: str) -> str:
        self.sent.append(message)
        return self.inner.query(message)

    def write_raw(self, data: bytes) -> None:
        self.inner.write_raw(data)

    def read_raw(self, size: int) -> bytes:
        return self.inner.read_raw(size)

    def close(self) -> None:
        self.inner.close()


def source_model(spec: PackSpec) -> str:
    """The E36312A's 6 V channel serves one cell; several in series need the DP832's 32 V."""
    return "E36312A" if spec.product.series == 1 else "DP832"


def events(model: str, sent: list[str]) -> list[tuple[str, int, float | None]]:
    """``(event, channel, volts)`` for the commands that matter here, in the order sent."""
    found: list[tuple[str, int, float | None]] = []
    for command in sent:
        for pattern, event in COMMANDS[model]:
            match = pattern.match(command)
            if match is None:
                continue
            groups = match.groups()
            if model == "E36312A" and event != "on":
                found.append((event, int(groups[1]), float(groups[0])))
            elif event in ("on", "ovp_enable"):
                found.append((event, int(groups[0]), None))
            else:
                found.append((event, int(groups[0]), float(groups[1])))
            break
    return found


def run_board_tests(spec_name: str, fault: str) -> tuple[SimRun, list[str], str]:
    spec = load_spec(SPEC_DIR / f"{spec_name}.toml")
    model = source_model(spec)
    with simulated_bench(fault, spec_name=spec_name, models=(model, "DL3021")) as run:
        source = run.instruments.source
        log = WireLog(source.transport)  # type: ignore[attr-defined]
        source.transport = log  # type: ignore[attr-defined]
        result = run_steps(run, ("board_tests",), FAST)
        with run.sim.client() as control:
            output_on = any(c["output_on"] for c in control.state()["source"].values())
    assert not output_on, "the board step must leave the source off"
    assert result.steps[-1].name == "board_tests", result.outcome.message
    return run, log.sent, model


def violations(spec: PackSpec, model: str, sent: list[str]) -> list[str]:
    """What the audit forbids in ``sent``: setpoints above the cells' ceiling, an output switched
    on before its OVP was programmed (and enabled, where the model has an enable)."""
    p = spec.protection
    per_cell = p.overcharge_detect + p.overcharge_detect_tolerance + MARGIN_PER_CELL
    ceiling = (per_cell * spec.product.series).m_as("V")
    found = events(model, sent)
    problems = [
        f"setpoint {volts:g} V > {ceiling:.3f} V ({per_cell:~P}/cell x {spec.product.series})"
        for event, _, volts in found
        if event == "setpoint" and volts is not None and volts > ceiling + 1e-9
    ]
    problems += [
        f"OVP level {volts:g} V > {ceiling:.3f} V ({per_cell:~P}/cell x {spec.product.series})"
        for event, _, volts in found
        if event in ("ovp", "ovp_level") and volts is not None and volts > ceiling + 1e-9
    ]
    for index, (event, channel, _) in enumerate(found):
        if event != "on":
            continue
        before = [(name, ch) for name, ch, _ in found[:index] if ch == channel]
        armed = ("ovp", channel) in before or (
            ("ovp_level", channel) in before and ("ovp_enable", channel) in before
        )
        if not armed:
            problems.append(f"channel {channel} on (event {index}) before OVP was programmed")
    return problems


def test_the_check_sees_a_high_setpoint_and_an_unarmed_output() -> None:
    one_cell = load_spec(SPEC_DIR / "PB-1S1P-18650-2600.toml")
    e363 = ["VOLT 4.2,(@1)", "OUTP ON,(@1)", "VOLT:PROT 4.65,(@1)", "VOLT 4.61,(@1)"]
    assert violations(one_cell, "E36312A", e363) == [
        "setpoint 4.61 V > 4.600 V (4.6 V/cell x 1)",
        "OVP level 4.65 V > 4.600 V (4.6 V/cell x 1)",
        "channel 1 on (event 1) before OVP was programmed",
    ]
    four = load_spec(SPEC_DIR / "PB-4S1P-26650-LFP.toml")  # ceiling 4 x 4.025 V = 16.1 V
    dp = [":OUTP:OVP:VAL CH1,16", ":OUTP CH1,ON", ":SOUR1:VOLT 16.2", ":SOUR1:VOLT 16.1"]
    assert violations(four, "DP832", dp) == [
        "setpoint 16.2 V > 16.100 V (4.025 V/cell x 4)",
        "channel 1 on (event 1) before OVP was programmed",
    ]
    assert violations(four, "DP832", [dp[0], ":OUTP:OVP CH1,ON", *dp[1:2], dp[3]]) == []


@pytest.mark.parametrize("fault", ["healthy", "charge_fet_short"])
@pytest.mark.parametrize("spec_name", SPECS)
def test_board_fixture_source_stays_within_the_cells_limit(spec_name: str, fault: str) -> None:
    spec = load_spec(SPEC_DIR / f"{spec_name}.toml")
    _, sent, model = run_board_tests(spec_name, fault)
    found = events(model, sent)
    assert any(event == "setpoint" for event, _, _ in found), f"no setpoint in {sent[:20]}"
    assert any(event == "on" for event, _, _ in found), "the board step never switched it on"
    assert violations(spec, model, sent) == [], f"{spec_name} ({fault})"
