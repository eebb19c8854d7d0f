"""The outgoing inspection report from data alone: decision, sentence, glyph check, both media."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

import pytest
from report_sample import COMPLAINT

from procedures.outgoing import Decision
from procedures.records import Verdict
from results.reports.consistency import html_text
from results.reports.errors import FontError
from results.reports.labels import catalogue
from results.reports.model import MeasurementRow, RunData, StepData, UnitData
from results.reports.names import value_label
from results.reports.outgoing import (
    OutgoingReportData,
    decision_of,
    outgoing_sentence,
    render_outgoing_html,
    render_outgoing_pdf,
)

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _row(
    step: str, name: str, value: float | None, verdict: Verdict, text: str = ""
) -> MeasurementRow:
    return MeasurementRow(
        run_id="7",
        step=step,
        name=name,
        value=value,
        unit="V" if name == "pack_ocv" else ("mΩ" if value is not None else ""),
        low=7.0 if name == "pack_ocv" else None,
        high=8.0 if name == "pack_ocv" else (127.0 if value is not None else None),
        low_inclusive=True,
        high_inclusive=True,
        verdict=verdict,
        instrument=None,
        timestamp=AT,
        text_value=text or None,
        comparison=f"{name} {verdict.name.lower()}",
    )


def _data(
    ocv: Verdict = Verdict.PASS, dents: str = "none", locale: str = "en"
) -> OutgoingReportData:
    dents_verdict = Verdict.PASS if dents == "none" else Verdict.MARGINAL
    steps = (
        StepData(1, "outgoing_ocv", ocv, AT, AT, (_row("outgoing_ocv", "pack_ocv", 7.4, ocv),)),
        StepData(
            2,
            "outgoing_resistance",
            Verdict.PASS,
            AT,
            AT,
            (
                _row("outgoing_resistance", "pack_path", None, Verdict.PASS, "closed"),
                _row("outgoing_resistance", "pack_ac_resistance", 110.0, Verdict.PASS),
            ),
        ),
        StepData(
            3,
            "outgoing_appearance",
            dents_verdict,
            AT,
            AT,
            (_row("outgoing_appearance", "dents", None, dents_verdict, dents),),
        ),
    )
    run = RunData(
        "7",
        "outgoing_inspection",
        "1.0",
        "oqc",
        "li",
        AT,
        AT,
        Verdict.worst(tuple(s.verdict for s in steps)),
        steps,
    )
    unit = UnitData("SN-1", "L2601", "PB-2S1P-18650-2600", runs=(run,))
    return OutgoingReportData("CC-1-PB-OQC-SN-1", locale, COMPLAINT, unit, "dispositioned", AT)


@pytest.mark.parametrize(
    ("ocv", "dents", "expected"),
    [
        (Verdict.PASS, "none", Decision.RELEASE),
        (Verdict.FAIL, "none", Decision.HOLD),
        (Verdict.PASS, "minor", Decision.HOLD),
    ],
)
@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_decision_and_sentence_follow_the_verdicts(
    ocv: Verdict, dents: str, expected: Decision, lang: str
) -> None:
    data = _data(ocv, dents, lang)
    t = catalogue(lang)
    assert decision_of(data.run) is expected
    sentence = outgoing_sentence(data, t)
    if expected is Decision.RELEASE:
        assert sentence == t.format("outgoing.summary.release", serial="SN-1", n=4, run="7")
    else:
        assert sentence.startswith(t.format("outgoing.summary.hold", serial="SN-1", run="7"))
        bad = "pack_ocv" if ocv is Verdict.FAIL else "dents"
        label = t[f"measurement_name.{bad}"]
        assert f"{label} [{bad}]" in sentence or label == bad  # by its label, its code kept
    page = html_text(render_outgoing_html(data))
    other = Decision.HOLD if expected is Decision.RELEASE else Decision.RELEASE
    assert t[f"outgoing_decision.{expected}"] in page
    assert t[f"outgoing_decision.{other}"] not in page
    assert sentence in page


def test_pdf_renders_both_languages_and_refuses_text_the_font_cannot_show() -> None:
    for lang in ("en", "zh_CN"):
        assert render_outgoing_pdf(_data(locale=lang)).startswith(b"%PDF")
    korean = dataclasses.replace(_data(), complaint=dataclasses.replace(COMPLAINT, customer="한국"))
    with pytest.raises(FontError, match="PACKBENCH_REPORT_FONT"):
        render_outgoing_pdf(korean)


def test_the_chinese_outgoing_report_reads_recorded_categories_by_their_words() -> None:
    """The outgoing report shows its run as the analysis report does: ``closed`` and
    ``minor`` read by their words in Chinese, the failed check by its label."""
    html = render_outgoing_html(_data(Verdict.FAIL, "minor", "zh_CN"))
    page = re.sub(r"<[^>]+>", " ", html)  # the text shown; a hover text may keep the code
    zh = catalogue("zh_CN")
    assert value_label(zh, "pack_path", "closed") in page
    assert value_label(zh, "dents", "minor") in page
    words = set(re.findall(r"(?<![\w/\[])[a-z][a-z_]*(?![\w/\]])", page))
    assert not words & {"closed", "minor"}, words
    assert 'title="minor"' in html  # QA traces the reading by its recorded code
