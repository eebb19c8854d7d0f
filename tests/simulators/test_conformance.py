"""``python -m simulators conformance DIR``: emulator replies judged against a recorded session.

The hand-written session under ``sessions/`` is a real 34461A answering the snapshot of QCoDeS'
344xxA driver, with the reply formats of the Truevolt guide. Before the emulator answered
``TRIG:DEL?``, ``TRIG:SLOP?``, ``SAMP:TIM?`` and ``SAMP:TIM? MIN`` (``PreFix34461A`` below is
that emulator, the four queries left out), conformance listed exactly those four and the error
the emulator then reported; now the session conforms. Every class of difference is shown
detected, by the shape comparison and end to end.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import simulators.emulators as emulators
from simulators.__main__ import main
from simulators.conformance import _frame_differences, check_session
from simulators.emulators.keysight_34461a import Keysight34461A
from simulators.reply_format import error_report_difference, shape_differences

SESSION = Path(__file__).parent / "sessions" / "keysight_34461a_qcodes_snapshot"
FOUR = ("TRIG:DEL?", "TRIG:SLOP?", "SAMP:TIM?", "SAMP:TIM? MIN")


class PreFix34461A(Keysight34461A):
    """The 34461A emulator as it was before issue 17 item 5: no trigger/sample timing queries."""

    def _register_trigger_timing(self) -> None:
        pass


def test_the_hand_written_session_names_the_four_queries_the_old_emulator_missed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(emulators.EMULATORS, "34461A", PreFix34461A)
    (dmm,) = check_session(SESSION)
    missing = [d for d in dmm.differences if d.emulated is None]
    assert [d.command for d in missing] == list(FOUR)
    assert all("no reply within" in d.problems[0] for d in missing)
    assert "number NR3, 8 decimals, 2-digit exponent" in missing[0].problems[0]
    assert "enumeration" in missing[1].problems[0]
    (refused,) = [d for d in dmm.differences if d.emulated is not None]
    assert refused.command == "SYST:ERR?" and refused.emulated.startswith("-113,")
    assert "refused a command the instrument accepted" in refused.problems[0]
    assert main(["conformance", str(SESSION)]) == 1
    out = capsys.readouterr().out
    assert "5 emulator replies differ" in out
    assert "exchange 20 (dmm.jsonl line 21) 'TRIG:DEL?'" in out


def test_the_hand_written_session_conforms_to_the_emulator_now(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["conformance", str(SESSION)]) == 0
    out = capsys.readouterr().out
    assert "34461A   13 replies compared, 0 differ" in out
    assert "every emulator reply has the recorded instruments' format (13 replies)" in out


@pytest.mark.parametrize(
    ("recorded", "emulated", "named"),
    [
        ("NEG", "+0.00000000E+00", "recorded enumeration, emulator number NR3"),
        ("+1.00000000E+00", "NEG", "recorded number NR3"),
        ("+3.74E+00,+3.75E+00", "+3.74E+00", "2 field(s) recorded, 1 from the emulator"),
        ("+1.00000000E+00", "+1.00000000E+000", "exponent digits: recorded 2, emulator 3"),
        ("3.73966E+0", "3.73966E+00", "exponent digits: recorded 1, emulator 2"),
        ("+1.00000000E+010", "+1.00000000E+10", "exponent digits: recorded 3, emulator 2"),
        ("+1.00000000E+00", "+1.000000E+00", "decimals: recorded 8, emulator 6"),
        ("+1.00000000E+00", "1.00000000E+00", "explicit +: recorded True, emulator False"),
        ("+1.00000000E+00", "+1.00000000E00", "exponent +: recorded True, emulator False"),
        ("+1.00000000E+00", "+1.0000", "recorded number NR3"),
        ("+1", "+1.0", "recorded number NR1"),
        ("3.850V", "3.850", "unit: recorded V, emulator none"),
        ("  15.123E-3", "15.123E-3", "width: recorded 11, emulator None"),
        ('"VOLT"', "VOLT", "recorded string, emulator enumeration"),
        ("Keysight Technologies", "KEYSIGHT", "recorded text, emulator enumeration"),
        ("+0", "", "recorded number NR1, explicit +, emulator empty"),
    ],
)
def test_each_class_of_difference_is_named(recorded: str, emulated: str, named: str) -> None:
    assert any(named in problem for problem in shape_differences(recorded, emulated))


@pytest.mark.parametrize(
    ("recorded", "emulated"),
    [
        ("+2.00000806E+00", "+1.00000000E+00"),  # another value, same format
        ("-1.25000000E-03", "+4.00000000E+00"),  # a sign says nothing about style
        ("POS", "NEG"),
        ('+0,"No error"', '-113,"Undefined header"'),  # values; the error itself: see below
        ("  15.123E-3, 3.85000E+0", "  18.004E-3, 3.71111E+0"),
        # the Hioki's fault code has a 2-digit exponent where readings have one, and is wider
        (" 1000.00E+7, 1.00000E+10", "   80.84E-3, 3.73966E+0"),
        ("   10.07E-3,- 0.0003E+0", "   80.59E-3,  3.7399E+0"),  # its sign, then padding
    ],
)
def test_a_different_value_in_the_same_format_conforms(recorded: str, emulated: str) -> None:
    assert shape_differences(recorded, emulated) == []


def test_an_error_the_instrument_did_not_report_is_named() -> None:
    assert error_report_difference("SYST:ERR?", '+0,"No error"', '-113,"Undefined header"')
    assert error_report_difference("*ESR?", "0", "32")
    assert error_report_difference("SYST:ERR?", '-113,"Undefined header"', '+0,"No error"') is None
    assert error_report_difference("READ?", "+0", "+1") is None


def test_binary_frames_are_judged_by_length_header_and_status() -> None:
    ok = bytes([0xAA, 0x00, 0x12, 0x80]) + bytes(22)
    assert _frame_differences(ok, ok) == []
    assert "status 0x80 recorded, 0xC0" in _frame_differences(ok, ok[:3] + b"\xc0" + ok[4:])[0]
    assert "frame of 26 bytes recorded, 25" in _frame_differences(ok, ok[:25])[0]
    assert "no 26-byte frame" in _frame_differences(ok, None)[0]


def _session(tmp_path: Path, exchanges: list[tuple[str, str]]) -> Path:
    folder = tmp_path / "session"
    shutil.copytree(SESSION, folder)
    lines = [{"resource": "TCPIP::192.168.10.21::5025::SOCKET", "format": 1}]
    lines += [{"t": 0.0, "dir": d, "data": text} for d, text in exchanges]
    (folder / "dmm.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return folder


def test_a_reply_to_a_command_the_instrument_did_not_answer_is_named(tmp_path: Path) -> None:
    """The real meter stayed silent after ``*IDN?`` (say, a dropped query); ours answered."""
    folder = _session(
        tmp_path, [("write", "*IDN?"), ("write", "SYST:ERR?"), ("read", '+0,"No error"')]
    )
    (dmm,) = check_session(folder)
    (stray,) = dmm.differences
    assert "answered a command the instrument did not answer" in stray.problems[0]
    assert "'*IDN?'" in stray.problems[0]


def test_an_instrument_without_an_emulator_is_not_compared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "session"
    shutil.copytree(SESSION, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["instruments"][0]["model"] = "34465A"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert main(["conformance", str(folder)]) == 2
    out = capsys.readouterr().out
    assert "not compared: no emulator of 34465A in the dmm role" in out
    assert main(["conformance", str(tmp_path / "nothing")]) == 2
