"""Hypothesis: no input crashes an emulator, and unknown input is always reported."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from live_bench import FakeBench

from simulators.emulators import EMULATORS
from simulators.scpi import ScpiEmulator

SCPI_MODELS = ["34461A", "E36312A", "DP832", "DL3021"]
words = st.sampled_from(
    [
        "VOLT",
        "CURR",
        "MEAS",
        "OUTP",
        "SOUR",
        "SENS",
        "*IDN",
        "*RST",
        "SYST",
        "ERR",
        "CONF",
        "FUNC",
        "READ",
        "APPL",
        "INST",
        "PROT",
        "NPLC",
        "(@1",
        "(@1:3)",
        "CH1",
        "ON",
        "1e9",
        '"x',
        "?",
        ";",
        ":",
        ",",
        " ",
    ]
)
scpi_like = st.lists(words, max_size=12).map("".join)
anything = st.one_of(
    st.text(max_size=60), scpi_like, st.binary(max_size=60).map(lambda b: b.decode("latin-1"))
)


def fresh(model: str) -> ScpiEmulator:
    emulator = EMULATORS[model](FakeBench(), seed=0)
    assert isinstance(emulator, ScpiEmulator)
    return emulator


@settings(max_examples=150, deadline=None)
@given(model=st.sampled_from([*SCPI_MODELS, "BT3562"]), text=anything)
def test_no_input_crashes_an_emulator(model: str, text: str) -> None:
    emulator = fresh(model)
    reply = emulator.receive(text.encode("latin-1", "replace") + b"\n")
    assert isinstance(reply, bytes)
    assert emulator.internal_errors == []
    assert emulator.receive(b"*IDN?\n").startswith(emulator.identity().encode())


@settings(max_examples=100, deadline=None)
@given(model=st.sampled_from(SCPI_MODELS), word=st.from_regex(r"[A-Z]{5,9}Q", fullmatch=True))
def test_unknown_header_is_queued(model: str, word: str) -> None:
    emulator = fresh(model)
    emulator.receive(f"{word} 1\n".encode())
    assert emulator.receive(b":SYST:ERR?\n").lstrip(b"+").startswith(b'-113,"Undefined header"')


@settings(max_examples=60, deadline=None)
@given(word=st.from_regex(r"[A-Z]{5,9}Q", fullmatch=True))
def test_unknown_header_sets_cme_on_hioki(word: str) -> None:
    emulator = fresh("BT3562")
    emulator.receive(b"*CLS\n")
    assert emulator.receive(f":{word}\r\n".encode()) == b""
    assert emulator.receive(b"*ESR?\r\n") == b"32\r\n"
