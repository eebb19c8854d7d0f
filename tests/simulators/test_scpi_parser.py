"""The SCPI parser at the receive() level: header forms, paths, parameters, error queue."""

from __future__ import annotations

import pytest

from simulators.scpi import CommandTree, Params, ScpiEmulator, ScpiError, parse_number, split_params
from simulators.scpi.tree import Mnemonic


class Toy(ScpiEmulator):
    def identity(self) -> str:
        return "ACME,TOY,0,1"

    def register(self) -> None:
        self.values: dict[str, float] = {"v": 0.0, "i": 0.0, "n": 10.0}
        self.add_error_query()

        def setter(key: str):  # type: ignore[no-untyped-def]
            return lambda c: (
                c.params.expect(1),
                self.values.__setitem__(key, c.params.number(0, unit="V", minimum=0, maximum=30)),
            )[0]

        self.tree.add(
            "[SOURce:]VOLTage[:LEVel][:IMMediate][:AMPLitude]",
            setter("v"),
            lambda c: f"{self.values['v']:g}",
        )
        self.tree.add("[SOURce:]CURRent[:LEVel]", setter("i"), lambda c: f"{self.values['i']:g}")
        self.tree.add("[SENSe:]VOLTage[:DC]:NPLC", setter("n"), lambda c: f"{self.values['n']:g}")
        self.tree.add(
            "STATus:QUEStionable:INSTrument:ISUMmary#:CONDition", query=lambda c: str(c.suffix(0))
        )


def ask(emulator: ScpiEmulator, text: str) -> str:
    return emulator.receive(text.encode() + b"\n").decode()


@pytest.mark.parametrize(
    "header",
    [
        "SOURce:VOLTage:LEVel:IMMediate:AMPLitude",
        "SOUR:VOLT",
        "volt",
        "Voltage:Level",
        "sour:volt:lev:imm:ampl",
    ],
)
def test_long_short_and_optional_forms_reach_the_same_command(header: str) -> None:
    toy = Toy()
    toy.receive(f"{header} 4.2\n".encode())
    assert ask(toy, f"{header}?") == "4.2\n"
    assert ask(toy, "SYST:ERR?") == '+0,"No error"\n'


def test_neither_short_nor_long_form_is_undefined() -> None:
    toy = Toy()
    assert ask(toy, "VOLTA 1") == ""
    assert ask(toy, "SYST:ERR?") == '-113,"Undefined header"\n'


def test_compound_message_is_relative_to_the_previous_path_and_colon_returns_to_root() -> None:
    toy = Toy()
    assert ask(toy, "SOUR:VOLT 4.2;CURR 1;:VOLT:NPLC 1;:SOUR:VOLT?;CURR?") == "4.2;1\n"
    assert toy.values["n"] == 1.0
    # Relative to SENSe:VOLTage:DC, 'VOLT' is not a child: the real parser refuses it.
    assert ask(toy, "SENS:VOLT:DC:NPLC 10;VOLT 1") == ""
    assert ask(toy, "SYST:ERR?") == '-113,"Undefined header"\n'


def test_numeric_suffix_is_passed_to_the_handler() -> None:
    assert ask(Toy(), "STAT:QUES:INST:ISUM3:COND?") == "3\n"


@pytest.mark.parametrize("text", ["1", "1.0", "10.000000", "4.2E+0", " +4.2e0", ".5"])
def test_numbers_in_every_decimal_form(text: str) -> None:
    assert parse_number(text) == pytest.approx(float(text))


def test_unit_suffixes_scale_and_mohm_is_mega() -> None:
    assert parse_number("100mV", "V") == pytest.approx(0.1)
    assert parse_number("2MOHM", "OHM") == pytest.approx(2e6)
    with pytest.raises(ScpiError) as info:
        parse_number("1V")
    assert info.value.code == -138


def test_channel_lists_with_and_without_spaces_and_ranges() -> None:
    assert split_params("4.2, (@1, 2)") == ["4.2", "(@1, 2)"]
    assert Params(["(@1:3)"]).channels(0) == [1, 2, 3]
    assert Params(["(@1,2)"]).channels(0) == [1, 2]
    with pytest.raises(ScpiError) as info:
        Params(["(@4)"]).channels(0, {1, 2, 3})
    assert info.value.code == -222


@pytest.mark.parametrize(
    ("token", "value"), [("on", True), ("OFF", False), ("1", True), ("0", False)]
)
def test_booleans_in_any_case(token: str, value: bool) -> None:
    assert Params([token]).boolean(0) is value


def test_min_max_def_and_quoted_strings() -> None:
    p = Params(["MIN", "maximum", "DEF", '"VOLT ""x"""'])
    assert p.number(0, minimum=0.02, maximum=100) == 0.02
    assert p.number(1, minimum=0.02, maximum=100) == 100
    assert p.number(2, default=10) == 10
    assert p.string(3) == 'VOLT "x"'


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("VOLT", -109),
        ("VOLT 1,2", -108),
        ("VOLT abc", -104),
        ("VOLT 99", -222),
        ("VOLT::LEV 1", -102),
    ],
)
def test_error_numbers(message: str, code: int) -> None:
    toy = Toy()
    toy.receive(message.encode() + b"\n")
    assert ask(toy, "SYST:ERR?").startswith(f"{code:+d},")
    assert ask(toy, "SYST:ERR?") == '+0,"No error"\n'


def test_queue_overflow_replaces_the_newest_entry() -> None:
    toy = Toy()
    toy.receive(b"BAD\n" * 25)
    replies = [ask(toy, "SYST:ERR?") for _ in range(21)]
    assert replies[:19] == ['-113,"Undefined header"\n'] * 19
    assert replies[19] == '-350,"Queue overflow"\n'
    assert replies[20] == '+0,"No error"\n'


def test_common_commands_and_status() -> None:
    toy = Toy()
    assert ask(toy, "*IDN?") == "ACME,TOY,0,1\n"
    assert ask(toy, "*ESR?") == "128\n"  # power-on
    toy.receive(b"BAD\n")
    assert ask(toy, "*STB?") == "4\n"  # error queue not empty
    assert ask(toy, "*ESR?") == "32\n"  # command error
    assert ask(toy, "*CLS;*OPC?;*TST?") == "1;+0\n"
    assert ask(toy, "*ESE 32;*ESE?") == "32\n"
    assert ask(toy, "SYST:ERR?") == '+0,"No error"\n'


def test_partial_lines_are_buffered() -> None:
    toy = Toy()
    assert toy.receive(b"*ID") == b""
    assert toy.receive(b"N?\n") == b"ACME,TOY,0,1\n"


def test_mnemonic_needs_capitals_as_prefix() -> None:
    assert Mnemonic.parse("ISUMmary#") == Mnemonic("ISUM", "ISUMMARY", True)
    with pytest.raises(ValueError):
        Mnemonic.parse("volTage")
    with pytest.raises(ValueError):
        CommandTree().add("[OPT]")
