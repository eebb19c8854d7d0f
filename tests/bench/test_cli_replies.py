"""``packbench reply``: drafting, the rule check on the command line, approved terms, export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench_helpers import cli, register

from results.reports.labels import catalogue

BAD_LETTER = (
    "Dear ACME,\n"
    "We are sorry for the trouble. That is not our business. "
    "We will refund USD 500 for the returned packs.\n"
)
BAD_LETTER_ZH = "尊敬的客户：\n这是公司的规定，我也没办法。我们会尽快处理。\n"


def reply(capsys: pytest.CaptureFixture[str], station: Path, *args: str) -> tuple[int, str, str]:
    return cli(capsys, "reply", *args, "--station", str(station))


def test_drafted_letter_passes_the_check_and_exports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "U-1")
    code, out, err = reply(
        capsys, sim_station, "draft", number, "--lang", "zh_CN", "--follow-up", "2030-01-15"
    )
    assert code == 0, err
    document_code, document, _ = reply(capsys, sim_station, "draft", number, "--json")
    assert document_code == 0
    drafted = json.loads(document)
    assert drafted["language"] == "en" and drafted["issues"] == []
    assert number in drafted["body"]
    code, out, err = reply(capsys, sim_station, "check", number)
    assert code == 0, err
    assert f"reply {drafted['reply']}: OK" in out
    target = tmp_path / "out" / "reply.txt"
    code, out, err = reply(capsys, sim_station, "export", number, "--out", str(target))
    assert code == 0, err
    assert target.read_text(encoding="utf-8").strip() == drafted["body"].strip()
    code, out, err = reply(
        capsys, sim_station, "check", number, "--reply", str(drafted["reply"] - 1)
    )
    assert code == 0, err  # the Chinese draft, asked for by id


def test_forbidden_phrase_and_unapproved_amount_are_refused_sentence_by_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "U-1")
    letter = tmp_path / "letter.txt"
    letter.write_text(BAD_LETTER, encoding="utf-8")
    code, _, err = reply(capsys, sim_station, "draft", number, "--body", str(letter))
    assert code == 0 and "breaks 3 rule(s)" in err  # a draft may be wrong; it is kept
    code, _, err = reply(capsys, sim_station, "check", number)
    assert code == 2
    assert "'That is not our business.'" in err
    assert "'We will refund USD 500 for the returned packs.'" in err
    assert "not approved" in err
    target = tmp_path / "reply.txt"
    code, _, err = reply(capsys, sim_station, "export", number, "--out", str(target))
    assert code == 2 and "refused, 3 problem(s)" in err
    assert "unapproved_compensation" in err  # a refund nobody approved
    assert not target.exists()

    code, out, err = reply(
        capsys, sim_station, "approve-promise", number, "--amount", "500", "--currency", "usd"
    )
    assert code == 0, err
    assert "approved amount USD 500.00" in out
    code, _, err = reply(capsys, sim_station, "check", number)
    assert code == 2
    assert "USD 500" not in err and "'That is not our business.'" in err


def test_chinese_forbidden_phrase_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "U-1")
    letter = tmp_path / "letter-zh.txt"
    letter.write_text(BAD_LETTER_ZH, encoding="utf-8")
    assert (
        reply(capsys, sim_station, "draft", number, "--lang", "zh_CN", "--body", str(letter))[0]
        == 0
    )
    code, _, err = reply(capsys, sim_station, "check", number)
    assert code == 2 and "这是公司的规定" in err


def test_reply_commands_refuse_unknown_complaints_and_missing_replies(
    capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "U-1")
    code, _, err = reply(capsys, sim_station, "check", number)
    assert code == 2 and f"reply draft {number}" in err
    code, _, err = reply(capsys, sim_station, "draft", "CC-1999-0001")
    assert code == 2 and "CC-1999-0001 does not exist" in err
    code, _, err = reply(capsys, sim_station, "approve-promise", number, "--days", "0")
    assert code == 2 and "days" in err


def test_the_demo_complaints_own_draft_is_ok_and_an_edited_one_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], home: Path
) -> None:
    """The demo's seven packs (five dispositions): each language's draft states every pack's
    disposition, passes ``reply check``; the same draft with a forbidden phrase is refused."""
    from bench.demo import FAULTS
    from results.reply_rules import explanations
    from simulators.faults import CATALOGUE

    code, _, err = cli(capsys, "demo", "--json")
    assert code == 0, err[-2000:]
    number = "CC-" + err.split("complaint CC-", 1)[1].split(":", 1)[0]
    labels = {lang: catalogue(lang) for lang in ("en", "zh_CN")}
    for language in ("en", "zh_CN"):
        code, out, err = cli(capsys, "reply", "draft", number, "--lang", language, "--json")
        assert code == 0, err
        drafted = json.loads(out)
        assert drafted["issues"] == []
        lines = [line for line in drafted["body"].splitlines() if "DEMO-" in line]
        assert len(lines) == len(FAULTS)  # no two demo packs share an outcome
        for line, fault in zip(lines, FAULTS, strict=True):
            disposition = CATALOGUE[fault].expected_disposition
            assert labels[language].enum("disposition", disposition) in line, (fault, line)
        code, out, err = cli(capsys, "reply", "check", number)
        assert code == 0, err
        assert f"reply {drafted['reply']}: OK" in out

        edited = tmp_path / f"edited-{language}.txt"
        phrase = "We will inform you another day." if language == "en" else "改天再通知您！"
        edited.write_text(drafted["body"].replace("\n\n", f"\n{phrase}\n", 1), encoding="utf-8")
        code, _, err = cli(
            capsys, "reply", "draft", number, "--lang", language, "--body", str(edited)
        )
        assert code == 0
        code, _, err = cli(capsys, "reply", "check", number)
        assert code == 2
        assert repr(phrase) in err and "some_other_day" in err
        assert explanations(language)["rule.some_other_day"] in err


def test_an_offer_in_kind_is_approved_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sim_station: Path
) -> None:
    number = register(capsys, sim_station, "U-1")
    letter = tmp_path / "letter.txt"
    letter.write_text("尊敬的客户：\n我们将免费更换退回的电池包。\n", encoding="utf-8")
    reply(capsys, sim_station, "draft", number, "--lang", "zh_CN", "--body", str(letter))
    code, _, err = reply(capsys, sim_station, "check", number)
    assert code == 2 and "unapproved_compensation" in err
    code, out, err = reply(capsys, sim_station, "approve-promise", number, "--offer", "免费更换")
    assert code == 0 and "approved offer 免费更换" in out, err
    code, out, err = reply(capsys, sim_station, "check", number)
    assert code == 0, err
