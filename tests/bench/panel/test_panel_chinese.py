"""The operator panel in Chinese: what a run publishes (step names, step and run messages, the
failed readings' comparisons) travels with its words in each language, and an answer the panel
refuses is explained in the page's language; no English sentence of a catalogue's English side
and no raw category code in the Chinese words (the leak checks of ``catalogue_leaks``)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from catalogue_leaks import leaks, raw_codes
from panel_support import EventReader, LiveServer
from test_app import START, Fake, panel  # noqa: F401  (the fixture)

from bench.panel.font import chinese_words
from bench.panel.hub import EventHub
from bench.panel.i18n import labels
from bench.panel.view import PanelView
from bench.runner import PROCEDURES
from benchmarks.service_documents import png_bytes
from procedures.phrases import messages as procedure_messages
from procedures.records import LimitsRecord, MeasurementRecord, RunOutcome, StepRecord, Verdict
from results.reports.labels import catalogue

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ADVICE = "advice.cell_imbalance"
COMPARISON = "'cut_off' not in passing ['taper']"


def _published() -> dict[str, dict[str, Any]]:
    """A failed recharge step and its run, as a ``PanelView`` publishes them; type -> event."""
    hub = EventHub()
    view = PanelView(hub, io.StringIO(), tty=False)
    advice = procedure_messages("en")[ADVICE]
    reading = MeasurementRecord(
        "charge_end",
        None,
        "",
        LimitsRecord(None, None),
        Verdict.FAIL,
        COMPARISON,
        T0,
        text_value="cut_off",
    )
    view.step_started("wake_recharge")
    view.progress("wake_recharge", 0.5, {"elapsed_s": 60.0})
    view.step_finished(
        StepRecord("wake_recharge", 1, T0, T0, Verdict.FAIL, [reading], message=advice)
    )
    view.run_finished(RunOutcome(Verdict.FAIL, T0, advice))
    return {e["type"]: e for e in hub.backlog()}


def test_run_events_carry_their_words_in_each_language() -> None:
    events = _published()
    zh, en = catalogue("zh_CN"), catalogue("en")
    for kind in ("step_started", "progress", "step_finished"):
        assert events[kind]["shown"]["zh_CN"]["step"] == zh["step_name.wake_recharge"], kind
        assert events[kind]["shown"]["en"]["step"] == en["step_name.wake_recharge"], kind
    step = events["step_finished"]["shown"]
    assert step["zh_CN"]["message"] == procedure_messages("zh_CN")[ADVICE]
    assert step["en"]["message"] == procedure_messages("en")[ADVICE]  # as recorded
    (finding,) = step["zh_CN"]["findings"]
    assert finding["name"] == zh["measurement_name.charge_end"]
    assert finding["comparison"] != COMPARISON
    assert step["en"]["findings"] == [
        {"name": en["measurement_name.charge_end"], "comparison": COMPARISON}
    ]
    run = events["run_finished"]["shown"]
    assert run["zh_CN"]["message"] == procedure_messages("zh_CN")[ADVICE]
    words = " ".join(
        str(v) for e in events.values() for v in _values(e.get("shown", {}).get("zh_CN", {}))
    )
    assert leaks(words) == {} and raw_codes(words) == set(), words
    served = set(chinese_words())  # the panel's font is cut to these: no empty boxes
    assert sorted(c for c in words if ord(c) > 0x2E7F and c not in served) == []


def _values(value: object) -> list[object]:
    if isinstance(value, dict):
        return [x for v in value.values() for x in _values(v)]
    if isinstance(value, list):
        return [x for v in value for x in _values(v)]
    return [value]


def test_a_refused_answer_is_explained_in_the_page_s_language(
    panel: tuple[LiveServer, Fake],  # noqa: F811
) -> None:
    server, _ = panel
    reader = EventReader(server.url)
    with server.client() as client:
        assert client.get("/", params={"lang": "zh_CN"}).status_code == 200  # the page's cookie
        assert client.post("/api/start", json=START, headers=server.headers).status_code == 202
        question = reader.wait_for("prompt")
        url = f"/api/prompts/{question['id']}"
        refused = client.post(url, data={"answer": "3 V"}, headers=server.headers)
        assert refused.status_code == 422
        said = refused.json()["detail"]
        assert "mm" in said and leaks(said) == {} and "is not in" not in said, said
        busy = client.post("/api/start", json=START, headers=server.headers)
        assert busy.status_code == 409 and "run is going on" not in busy.json()["detail"]
        assert client.get("/", params={"lang": "en"}).status_code == 200
        refused = client.post(url, data={"answer": "3 V"}, headers=server.headers)
        assert "'3 V' is not in mm" in refused.json()["detail"]  # English as before
        # the fake run then goes on to its hour-long wait, which only the abort ends
        assert client.post(url, data={"answer": "70"}, headers=server.headers).status_code == 204
        photo = reader.wait_for("prompt", 2)
        picture = {"photo": ("front.png", png_bytes(32, 24), "image/png")}
        sent = client.post(f"/api/prompts/{photo['id']}", files=picture, headers=server.headers)
        assert sent.status_code == 204
        choice = reader.wait_for("prompt", 3)
        assert client.get("/", params={"lang": "zh_CN"}).status_code == 200
        refused = client.post(
            f"/api/prompts/{choice['id']}", data={"answer": "third"}, headers=server.headers
        )
        assert refused.status_code == 422 and leaks(refused.json()["detail"]) == {}
        assert "answer one of" not in refused.json()["detail"], refused.json()
        chosen = {"answer": "original"}
        assert (
            client.post(
                f"/api/prompts/{choice['id']}", data=chosen, headers=server.headers
            ).status_code
            == 204
        )
        reader.wait_for("progress", 6)
        assert client.post("/api/abort", json={}, headers=server.headers).status_code == 202
        reader.wait_for("run_ended")
        gone = client.post(url, data={"answer": "70"}, headers=server.headers)
        assert gone.status_code == 409 and leaks(gone.json()["detail"]) == {}
        assert "no longer open" not in gone.json()["detail"]
    reader.close()


def test_every_procedure_the_panel_starts_has_a_name_in_both_languages() -> None:
    for locale in ("en", "zh_CN"):
        named = {
            k.removeprefix("panel.procedure.")
            for k in labels(locale)
            if k.startswith("panel.procedure.")
        }
        assert named == set(PROCEDURES), locale
