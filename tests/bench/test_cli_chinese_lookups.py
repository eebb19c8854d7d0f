"""The store's refusals that carry no sentence template of their own, on a zh_CN station: a
record that does not exist (``NotFound``), a status change the workflow refuses
(``InvalidTransition``, its statuses by their labels) and a sign-off by a user without the role
(the role by its label, the field by its name); the English station prints the store's text."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench_helpers import cli, refusals, register
from catalogue_leaks import leaks
from test_cli_chinese import _chinese
from test_cli_containment import users

from results.reports.labels import catalogue
from results.store_words import store_messages


def _refused(capsys: pytest.CaptureFixture[str], station: Path) -> dict[str, str]:
    """name -> stderr of each refused command (each must exit 2 and print nothing on stdout)."""
    number = register(capsys, station, "U-1")
    users(station.with_name("store.sqlite3"))
    s = ("--station", str(station))
    claim = ("claim", "new", number, "--amount", "100", "--basis", "rework")
    assert cli(capsys, *claim, "--way", "labour_paid_in_goods", *s)[0] == 0
    assert cli(capsys, "feedback", "write", number, "--solution", "更换电芯", *s)[0] == 0
    commands = {
        "missing": ("containment", "show", "CC-1999-0001", *s),
        "transition": ("claim", "confirm", "1", "--by", "wu.sgm", *s),
        "wrong_role": ("feedback", "approve", number, "--by", "zhou.rsm", *s),
        "no_user": ("feedback", "approve", number, "--by", "nobody", *s),
    }
    return refusals(capsys, commands)


def test_a_chinese_station_says_missing_records_refused_changes_and_roles_in_chinese(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    said = _refused(capsys, _chinese(sim_station))
    zh, labels = store_messages("zh_CN"), catalogue("zh_CN")
    assert said["missing"].startswith("packbench: 客诉 'CC-1999-0001' 不存在；"), said
    assert labels.enum("claim_status", "open") in said["transition"]
    assert labels.enum("claim_status", "confirmed") in said["transition"]
    assert zh["record.claim"] in said["transition"]
    assert f"{zh['field.approved_by']}: " in said["wrong_role"]
    assert zh["account_role.qa_manager"] in said["wrong_role"]
    assert zh["account_role.regional_sales_manager"] in said["wrong_role"]
    assert zh["account_role.qa_manager"] in said["no_user"]
    everything = "\n".join(said.values())
    assert leaks(everything) == {}
    for english in ("does not exist", "cannot go from", "has role", "not an active user"):
        assert english not in everything
    for code in ("qa_manager", "regional_sales_manager", "'open'", "'confirmed'", "approved_by"):
        assert code not in everything


def test_an_english_station_prints_the_store_s_own_text(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    said = _refused(capsys, sim_station)
    assert said["missing"] == (
        "packbench: complaint 'CC-1999-0001' does not exist; check the id or register it first\n"
    )
    assert said["transition"].startswith("packbench: claim 1 of complaint CC-")
    assert ": cannot go from 'open' to 'confirmed'; allowed from 'open': " in said["transition"]
    assert said["wrong_role"] == (
        "packbench: approved_by: user 'zhou.rsm' has role 'regional_sales_manager'; "
        "this needs a user with role 'qa_manager'\n"
    )
    assert "is not an active user" in said["no_user"]
