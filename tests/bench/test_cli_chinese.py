"""The QA commands speak the station's language (``[station] language``, ``bench.cli_words``):
on a zh_CN station, what they print for a person has no English sentence of any catalogue's
English side (``catalogue_leaks``, the command line's own catalogue included) and shows coded
values (status, symptom, report and 8D status, signature meaning) by their labels; English
stations print what they printed before; ``--json``/``--csv`` keep the codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from bench_helpers import cli, register
from catalogue_leaks import leaks

from results.reports.labels import catalogue

CODES = (
    "registered",
    "no_power_on",
    "draft",
    "authored",
    "approved",
    "general",
    "qa_reacted",
    "running",
    "overdue",
    "not_started",
    "investigated",
    "finished_stock",
    "freeze_outgoing_stock",
    "labour_paid_in_goods",
    "open",
    "sales_approval",
    "rejected",
)
"""Codes the sequence below puts on screen: complaint status, symptom and class, report and 8D
status, a signature's meaning, a clock event, clock states and names."""


def _chinese(station: Path) -> Path:
    text = station.read_text(encoding="utf-8")
    station.write_text(
        text.replace('operator = "tester"', 'operator = "tester"\nlanguage = "zh_CN"', 1),
        encoding="utf-8",
    )
    return station


def _session(capsys: pytest.CaptureFixture[str], station: Path) -> list[tuple[str, str, str]]:
    """A QA engineer's morning: the list, a report and its versions, an 8D drafted, shown and
    signed, a reply drafted and checked, a refused QA token; (command, stdout, stderr) each."""
    number = register(capsys, station, "U-1")
    s = ("--station", str(station))
    commands = [
        ("complaint", "list", *s),
        ("complaint", "list", "--limit", "1", "--offset", "0", *s),
        ("report", number, "--lang", "zh_CN", *s),
        ("report-version", "create", number, "--lang", "zh_CN", *s),
        ("report-version", "list", number, *s),
        (
            "report-version",
            "approve",
            number,
            "--lang",
            "zh_CN",
            "--name",
            "赵敏",
            "--token",
            "nonsense",
            *s,
        ),
        ("eightd", "draft", number, "--lang", "zh_CN", *s),
        ("eightd", "sign", number, "--name", "王伟", "--meaning", "authored", *s),
        ("eightd", "show", number, *s),
        ("reply", "draft", number, "--lang", "zh_CN", *s),
        ("reply", "check", number, *s),
        ("kpi", "--from", "2026-01-01", "--to", "2030-12-31", *s),
        ("complaint", "class", number, *s),
        (
            "complaint",
            "pause",
            "start",
            number,
            "--kind",
            "test",
            "--reason",
            "温度循环",
            "--sales-informed",
            "--customer-not-informed",
            *s,
        ),
        ("complaint", "pause", "end", number, *s),
        ("complaint", "pause", "event", number, "--kind", "qa_reacted", *s),
        ("complaint", "clocks", number, *s),
        (
            "containment",
            "check",
            number,
            "--area",
            "finished_stock",
            "--checked",
            "40",
            "--bad",
            "1",
            *s,
        ),
        (
            "containment",
            "action",
            number,
            "--kind",
            "freeze_outgoing_stock",
            "--owner",
            "吴",
            "--qty",
            "40",
            *s,
        ),
        ("containment", "show", number, *s),
        ("containment", "release", "1", "--note", "已处理", *s),
        (
            "claim",
            "new",
            number,
            "--amount",
            "38000.50",
            "--basis",
            "返工费",
            "--way",
            "labour_paid_in_goods",
            "--case-description",
            "客户停线两天",
            *s,
        ),
        ("claim", "list", number, *s),
        ("claim", "reject", "1", "--reason", "证据不足", *s),
    ]
    seen = []
    for args in commands:
        code, out, err = cli(capsys, *args)
        assert code == (2 if args[1] == "approve" else 0), (args, out, err)  # a bad token
        seen.append((" ".join(args[:3] if args[1] == "pause" else args[:2]), out, err))
    return seen


def test_a_chinese_station_s_commands_print_no_english_sentence_and_no_code(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    seen = _session(capsys, _chinese(sim_station))
    found = {cmd: leaks(out + "\n" + err) for cmd, out, err in seen}
    assert {k: v for k, v in found.items() if v} == {}
    zh = catalogue("zh_CN")
    shown = "\n".join(out + err for cmd, out, err in seen if cmd != "eightd draft")
    assert zh.enum("status", "registered") in shown and zh.enum("meaning", "authored") in shown
    words = shown.replace("zh_CN", " ").split()
    assert [c for c in CODES if any(w.strip("()（）:：,，") == c for w in words)] == []


def test_an_english_station_prints_as_before_and_machines_keep_the_codes(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    seen = dict((cmd, (out, err)) for cmd, out, err in _session(capsys, sim_station))
    assert (
        " registered " in seen["complaint list"][0] and "(no_power_on)" in seen["complaint list"][0]
    )
    assert (
        "DRAFT - not approved: no report version has been created yet"
        in seen["report CC-2026-0001"][1]
    )
    assert "created as a draft, id" in seen["report-version create"][0]
    assert "--token: the token is unknown or revoked" in seen["report-version approve"][1]
    assert "signed authored by 王伟" in seen["eightd show"][0]
    assert "OK, no forbidden phrase and no unapproved promise" in seen["reply check"][0]
    assert "general: 1 complaint(s)" in seen["kpi --from"][0]
    assert (
        " (sales and customer not both informed: no clock stops)"
        in (seen["complaint pause start"][0])
    )
    assert ": qa_reacted at " in seen["complaint pause event"][0]
    assert ": finished_stock checked 40, bad 1" in seen["containment check"][0]
    assert "containment action 1 (freeze_outgoing_stock) released" in seen["containment release"][0]
    assert "(labour_paid_in_goods) open" in seen["claim new"][0]
    assert "open; missing: the regional sales manager" in seen["claim list"][0]
    assert "claim 1 rejected" in seen["claim reject"][0]


def test_json_and_csv_lists_keep_the_codes_on_a_chinese_station(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    station = _chinese(sim_station)
    register(capsys, station, "U-1")
    code, out, _ = cli(capsys, "complaint", "list", "--json", "--station", str(station))
    assert code == 0 and json.loads(out)[0]["status"] == "registered"
    code, out, _ = cli(capsys, "complaint", "list", "--csv", "--station", str(station))
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert (row["status"], row["symptom"]) == ("registered", "no_power_on")
