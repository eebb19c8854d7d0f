"""The store's refusals on the command line (``packbench: ...``, exit 2) in the station's
language: on a zh_CN station the sentence comes from the refusal catalogue
(``results.store_words``, the one the pages use), with no English catalogue sentence left
(``catalogue_leaks``); an English station prints the store's words as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench_helpers import cli, register
from catalogue_leaks import leaks, raw_codes
from test_cli_chinese import _chinese

from results.store_words import store_messages


def _refusals(capsys: pytest.CaptureFixture[str], station: Path) -> dict[str, str]:
    """Three refusals QA meets: ending a pause none was started of (raised by the store inside
    the command), a usage temperature out of range and more defective than shipped (the
    registration's form check, said for its option); key -> stderr."""
    number = register(capsys, station, "U-1")
    s = ("--station", str(station))
    new = ("complaint", "new", "--customer", "ACME", "--model", "PB-1S2P-18650-5200")
    new += ("--received-by", "li", *s)
    commands = {
        "store_error.no_running_pause": ("complaint", "pause", "end", number, *s),
        "store_error.temperature_range": (
            *new, "--shipped", "10", "--defect", "1", "--symptom", "no_power_on",
            "--severity", "general", "--temperature", "500 degC",
        ),
        "store_error.defect_qty": (
            *new, "--shipped", "10", "--defect", "900", "--symptom", "no_power_on",
            "--severity", "general",
        ),
    }  # fmt: skip
    said = {}
    for key, args in commands.items():
        code, out, err = cli(capsys, *args)
        assert code == 2 and out == "", (args, out, err)
        said[key] = err
    return said


def _tail(text: str, separator: str) -> str:
    return text.rsplit(separator, 1)[1].split("{")[0].strip()


def test_a_chinese_station_says_the_store_s_refusals_in_chinese(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    said = _refusals(capsys, _chinese(sim_station))
    en, zh = store_messages("en"), store_messages("zh_CN")
    for key, err in said.items():
        assert err.startswith("packbench: "), err
        assert _tail(zh[key], "；") in err and _tail(en[key], "; ") not in err, (key, err)
    everything = "\n".join(said.values())
    assert leaks(everything) == {}
    assert raw_codes(everything) == set()


def test_an_english_station_says_them_as_the_store_wrote_them(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    said = _refusals(capsys, sim_station)
    assert said["store_error.no_running_pause"].endswith(
        "has no running pause; start a pause before ending one\n"
    )
    assert said["store_error.no_running_pause"].startswith("packbench: pause: CC-")
    assert said["store_error.temperature_range"].startswith("packbench: --temperature: 500")
    assert said["store_error.temperature_range"].endswith("; check the value and its unit\n")
    assert "defective cannot exceed shipped" in said["store_error.defect_qty"]
