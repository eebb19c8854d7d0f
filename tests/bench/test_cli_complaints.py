"""``complaint new`` with the intake fields and ``--from``, ``complaint edit`` and the filtered
``complaint list`` with ``--json`` and ``--csv``, as a technician types them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from bench_helpers import cli

GOOD = [
    "--customer",
    "ACME",
    "--model",
    "PB-1S2P-18650-5200",
    "--shipped",
    "100",
    "--defect",
    "3",
    "--symptom",
    "no_power_on",
    "--severity",
    "general",
    "--received-by",
    "tom",
]


def _new(capsys: pytest.CaptureFixture[str], station: Path, *extra: str) -> tuple[int, str, str]:
    return cli(capsys, "complaint", "new", "--station", str(station), *GOOD, *extra)


def _list(capsys: pytest.CaptureFixture[str], station: Path, *extra: str) -> tuple[int, str, str]:
    return cli(capsys, "complaint", "list", "--station", str(station), *extra)


def test_new_takes_every_intake_option(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    code, out, err = _new(
        capsys,
        sim_station,
        "--channel",
        "hotline",
        "--type",
        "packing",
        "--fault-stage",
        "field_use",
        "--customer-tests",
        "drop test",
        "--assembly-process",
        "glued",
        "--replacement-needed",
        "--no-samples-returned",
        "--ship-date",
        "2025-01-02",
        "--stock-on-hand",
        "7",
        "--temperature",
        "40 degC",
        "--time-in-use",
        "3 month",
        "--location",
        "Shenzhen",
    )
    assert code == 0, err
    code, out, err = _list(capsys, sim_station, "--channel", "hotline", "--json")
    rows = json.loads(out)
    assert [r["channel"] for r in rows] == ["hotline"]


def test_unknown_channel_names_the_option_and_writes_nothing(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    code, out, err = _new(capsys, sim_station, "--channel", "pigeon")
    assert code == 2 and out == ""
    assert "--channel" in err and "'pigeon'" in err and "on-site" in err
    code, out, _ = _list(capsys, sim_station)
    assert "CC-" not in out


def test_form_file_with_options_overriding(
    capsys: pytest.CaptureFixture[str], sim_station: Path, tmp_path: Path
) -> None:
    form = tmp_path / "form.toml"
    form.write_text(
        'customer = "Beta"\nproduct_model = "PB-1S2P-18650-5200"\nshipped_qty = 10\n'
        'defect_qty = 1\nsymptom = "no_power_on"\nseverity = "general"\nreceived_by = "amy"\n'
        'channel = "fax"\n'
    )
    code, out, err = cli(
        capsys, "complaint", "new", "--station", str(sim_station), "--from", str(form)
    )
    assert code == 0, err
    code, out, err = cli(
        capsys,
        "complaint",
        "new",
        "--station",
        str(sim_station),
        "--from",
        str(form),
        "--channel",
        "visit",
    )
    assert code == 0, err
    code, out, _ = _list(capsys, sim_station, "--customer", "Beta", "--json")
    assert [r["channel"] for r in json.loads(out)] == ["visit", "fax"]
    form.write_text('customer = "Beta"\ncolour = "red"\n')
    code, out, err = cli(
        capsys, "complaint", "new", "--station", str(sim_station), "--from", str(form)
    )
    assert code == 2 and "colour" in err and "no field" in err


def test_edit_then_refused_after_cancel(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    code, out, err = _new(capsys, sim_station, "--channel", "phone")
    number = out.strip()
    edit = ["complaint", "edit", number, "--station", str(sim_station)]
    code, out, err = cli(capsys, *edit, "--field", "channel", "--value", "fax", "--reason", "typo")
    assert code == 0, err
    assert f"{number}: channel changed" in out
    code, out, err = cli(capsys, *edit, "--field", "channel", "--value", "owl", "--reason", "x")
    assert code == 2 and "'owl'" in err
    code, out, _ = _list(capsys, sim_station, "--channel", "fax", "--json")
    assert [r["complaint"] for r in json.loads(out)] == [number]


def test_list_pages_sorts_and_writes_csv(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    numbers = [_new(capsys, sim_station, "--channel", "letter")[1].strip() for _ in range(3)]
    code, out, err = _list(capsys, sim_station, "--sort", "number", "--limit", "2", "--csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["complaint"] for r in rows] == numbers[:2]
    assert rows[0]["channel"] == "letter" and rows[0]["units"] == "0"
    assert "2 of 3" in err
    code, out, err = _list(capsys, sim_station, "--sort", "number", "--offset", "2", "--json")
    assert [r["complaint"] for r in json.loads(out)] == numbers[2:]
    code, out, err = _list(capsys, sim_station, "--from", "yesterday")
    assert code == 2 and "--from" in err
    code, out, err = _list(capsys, sim_station, "--json", "--csv")
    assert code == 2
