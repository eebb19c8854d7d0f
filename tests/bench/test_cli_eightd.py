"""``packbench eightd``: draft (pre-filled or from a file), edit, sign with separation of duties,
amend; bad content refused with the field named and nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench_helpers import cli, dump, register

from results.reports.labels import catalogue


def eightd(capsys: pytest.CaptureFixture[str], station: Path, *args: str) -> tuple[int, str, str]:
    return cli(capsys, "eightd", *args, "--station", str(station))


def test_draft_edit_sign_amend_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "U-1")
    code, out, err = eightd(capsys, sim_station, "draft", number, "--json")
    assert code == 0, err
    drafted = json.loads(out)
    assert drafted["version"] == 1 and drafted["status"] == "draft"
    assert drafted["content"]["problem"]["who"] == "ACME"
    content = tmp_path / "8d.toml"
    content.write_text(
        '[problem]\nwhat = "no power"\nhow_many = "1/10"\n\n'
        '[[team]]\nname = "Wang Fang"\nrole = "leader"\n\n'
        '[[actions]]\nphase = "d7"\ndescription = "SOP update"\nowner = "Li"\n'
        "due = 2030-01-31\n\n[closure]\ncustomer_acceptance = true\n",
        encoding="utf-8",
    )
    code, out, err = eightd(capsys, sim_station, "edit", number, "--from", str(content))
    assert code == 0, err
    assert '"what": "no power"' in out
    code, _, err = eightd(
        capsys, sim_station, "sign", number, "--name", "Tester", "--meaning", "approved"
    )
    assert code == 2 and "separation of duties" in err
    approver = tmp_path / "approver.toml"
    approver.write_text(
        sim_station.read_text().replace('operator = "tester"', 'operator = "qa.manager"')
    )
    code, out, err = eightd(
        capsys, approver, "sign", number, "--name", "QA Manager", "--meaning", "approved"
    )
    assert code == 0, err
    code, _, err = eightd(capsys, sim_station, "edit", number, "--from", str(content))
    assert code == 2 and "amend" in err
    code, out, err = eightd(
        capsys, sim_station, "amend", number, "--reason", "new due date", "--json"
    )
    assert code == 0, err
    amended = json.loads(out)
    assert amended["version"] == 2 and amended["amended_from_version"] == 1
    assert amended["content"]["actions"][0]["due"] == "2030-01-31"
    code, out, err = eightd(capsys, sim_station, "show", number, "--version", "1", "--json")
    shown = json.loads(out)
    assert shown["status"] == "signed" and shown["signatures"][0]["printed_name"] == "QA Manager"


def test_bad_content_names_the_field_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "U-1")
    database = tmp_path / "store.sqlite3"
    before = dump(database)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"causes": [{"kind": "guess", "description": "x"}]}))
    code, _, err = eightd(capsys, sim_station, "draft", number, "--from", str(bad))
    assert code == 2 and "causes.0.kind" in err
    foreign = tmp_path / "foreign.json"
    foreign.write_text(
        json.dumps(
            {
                "causes": [
                    {
                        "kind": "occurrence",
                        "description": "x",
                        "evidence": [{"kind": "run", "ref": "987654"}],
                    }
                ]
            }
        )
    )
    code, _, err = eightd(capsys, sim_station, "draft", number, "--from", str(foreign))
    assert code == 2 and "not a run of this complaint" in err
    assert dump(database) == before


def test_a_draft_pre_filled_in_chinese_writes_labels(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    """--lang zh_CN: the saved draft reads in Chinese (the symptom and the receipt date by the
    catalogue's words), not the codes and English of the default draft."""
    number = register(capsys, sim_station, "U-1")
    code, out, err = eightd(capsys, sim_station, "draft", number, "--lang", "zh_CN", "--json")
    assert code == 0, err
    problem = json.loads(out)["content"]["problem"]
    zh = catalogue("zh_CN")
    assert zh.enum("symptom", "no_power_on") in problem["what"]
    assert "no_power_on" not in problem["what"] and "收到客诉" in problem["when"]
    assert "received" not in problem["when"]
