"""``complaint new`` and ``unit add`` as a technician types them: every refusal names the option
the technician typed (not the store's field name) and says what would pass, and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench_helpers import cli

GOOD = {
    "--customer": "ACME",
    "--model": "PB-1S2P-18650-5200",
    "--shipped": "100",
    "--defect": "3",
    "--symptom": "no_power_on",
    "--severity": "general",
    "--received-by": "tom",
}


def new(
    capsys: pytest.CaptureFixture[str], station: Path, **changes: str | None
) -> tuple[int, str, str]:
    fields = GOOD | {f"--{k.replace('_', '-')}": v for k, v in changes.items()}
    args = [item for k, v in fields.items() if v is not None for item in (k, v)]
    return cli(capsys, "complaint", "new", "--station", str(station), *args)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"symptom": "dead"}, ["--symptom", "'dead'", "no_power_on", "leakage"]),
        ({"customer": ""}, ["--customer", "is empty"]),
        ({"severity": None}, ["--severity", "is missing", "general"]),
        ({"severity": "high"}, ["--severity", "'high'", "occasional"]),
        ({"shipped": "3", "defect": "30"}, ["--defect", "cannot exceed shipped"]),
        ({"shipped": "-3"}, ["--shipped", "give 1 or more"]),
        ({"model": "PB-XYZ"}, ["--model", "'PB-XYZ'", "PB-1S2P-18650-5200", "--custom-model"]),
        ({"received_at": "yesterday"}, ["--received-at", "ISO date-time"]),
    ],
)
def test_bad_form_names_the_option_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], sim_station: Path, changes: dict[str, str], words: list[str]
) -> None:
    code, out, err = new(capsys, sim_station, **changes)
    assert code == 2
    assert out == ""
    for word in words:
        assert word in err
    assert "_qty" not in err
    code, out, _ = cli(capsys, "complaint", "list", "--station", str(sim_station))
    assert code == 0 and "CC-" not in out


def test_custom_model_is_accepted_when_asked_for(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    code, out, err = new(capsys, sim_station, model="PB-CUSTOM-1")
    assert code == 2
    code, out, err = cli(
        capsys,
        "complaint",
        "new",
        "--station",
        str(sim_station),
        "--custom-model",
        *[item for k, v in (GOOD | {"--model": "PB-CUSTOM-1"}).items() for item in (k, v)],
    )
    assert code == 0, err
    assert out.strip().startswith("CC-")


def test_unit_add_refuses_unknown_complaint_and_model(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    code, _, err = cli(capsys, "unit", "add", "CC-2026-0099", "SN-1", "--station", str(sim_station))
    assert code == 2
    assert "CC-2026-0099 does not exist" in err and "packbench complaint list" in err
    code, out, err = new(capsys, sim_station)
    number = out.strip()
    code, _, err = cli(
        capsys, "unit", "add", number, "SN-1", "--model", "FOO", "--station", str(sim_station)
    )
    assert code == 2
    assert "--model 'FOO'" in err and "PB-1S2P-18650-5200" in err
    assert "--custom-model" not in err
    code, out, _ = cli(capsys, "complaint", "show", number, "--station", str(sim_station))
    assert "SN-1" not in out
