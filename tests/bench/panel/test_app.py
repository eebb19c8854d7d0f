"""The panel's event stream and its three calls, against a fake run (no bench, no store).

The fake stands in for ``bench.runner.run_unit`` only: the controller, the prompts, the live
view, the hub, the abort switch and the web application are the real ones.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fontTools.ttLib import TTFont
from latin_only_chromium import cjk_pair, latin_only_chromium, two_strings
from panel_support import TOKEN, EventReader, LiveServer, free_socket, serving

from bench.abort_switch import AbortableClock, AbortSwitch
from bench.config import load_station
from bench.panel import controller as controller_module
from bench.panel.app import create_app
from bench.panel.cli import host_names
from bench.panel.controller import PanelController
from bench.panel.font import ROUTE, chinese_words
from bench.panel.hub import EventHub
from bench.panel.prompts import WebPrompts
from bench.panel.view import PanelView
from bench.runner import UnitOutcome
from benchmarks.service_documents import png_bytes
from instruments.units import Q_
from procedures.clock import RealClock
from procedures.errors import AbortRequested
from procedures.records import RunOutcome, StepRecord, Verdict
from results.reports.webfont import FAMILY

Fake = dict[str, Any]


def fake_run_unit(seen: Fake):  # type: ignore[no-untyped-def]
    def run_unit(config, *, procedure, complaint, unit, prompts, view, sessions, abort):  # type: ignore[no-untyped-def]
        view.unit_started(unit, "fake")
        view.step_started("questions")
        seen["operator"] = config.operator
        seen["length"] = prompts.number("dim.length", "Measure the length", "mm")
        seen["photo"] = prompts.photo("photo.front", "Photograph the front")
        seen["charger"] = prompts.choice("usage_charger", "Which charger?", ("original", "other"))
        now = datetime.now(UTC)
        view.step_finished(StepRecord("questions", 0, now, now, Verdict.PASS))
        view.step_started("charge")
        clock = AbortableClock(RealClock(), abort)
        verdict, message = Verdict.PASS, ""
        try:
            for k in range(seen.get("samples", 10_000)):
                view.progress(
                    "charge",
                    k / 10_000,
                    {"elapsed_s": 60.0 * k, "voltage": Q_(3.9, "V"), "current": Q_(1.0, "A")},
                )
                clock.sleep(3600 if k == 5 else 0.001)  # a long wait: the abort must cut it
        except AbortRequested as exc:
            verdict, message = Verdict.ABORTED, exc.reason
        ended = datetime.now(UTC)
        view.step_finished(StepRecord("charge", 1, ended, ended, verdict, message=message))
        view.run_finished(RunOutcome(verdict, ended, message))
        return UnitOutcome(complaint, unit, 7, verdict, message)

    return run_unit


@pytest.fixture
def panel(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[LiveServer, Fake]]:
    seen: Fake = {}
    monkeypatch.setattr(controller_module, "run_unit", fake_run_unit(seen))
    hub = EventHub()
    controller = PanelController(
        load_station(None),
        None,
        hub,
        PanelView(hub, io.StringIO(), tty=False),  # type: ignore[arg-type]
    )
    sock = free_socket()
    port = sock.getsockname()[1]
    app = create_app(controller, hub, token=TOKEN, hosts=host_names("127.0.0.1", port))
    stop = threading.Event()
    runner = threading.Thread(target=controller.serve_forever, args=(stop,), daemon=True)
    runner.start()
    with serving(app, sock, hub) as server:
        yield server, seen
    stop.set()
    runner.join(10)


START = {"operator": "Li Na", "complaint": "CC-2026-0001", "unit": "U-1", "procedure": "diagnosis"}


def test_two_watchers_see_the_same_run_and_answers_are_checked_on_the_server(
    panel: tuple[LiveServer, Fake],
) -> None:
    server, seen = panel
    first = EventReader(server.url)
    with server.client() as client:
        assert client.post("/api/start", json=START, headers=server.headers).status_code == 202
        assert client.post("/api/start", json=START, headers=server.headers).status_code == 409
        question = first.wait_for("prompt")
        assert (question["kind"], question["unit"]) == ("number", "mm")
        url = f"/api/prompts/{question['id']}"
        refused = client.post(url, data={"answer": "3 V"}, headers=server.headers)
        assert refused.status_code == 422 and "mm" in refused.json()["detail"]
        assert client.post(url, data={"answer": "6.91 cm"}, headers=server.headers).status_code
        assert client.post(url, data={"answer": "70"}, headers=server.headers).status_code == 409
        photo = first.wait_for("prompt", 2)  # asked once the length was taken
        assert seen["length"] == Q_(6.91, "cm")
        url = f"/api/prompts/{photo['id']}"
        text_file = {"photo": ("notes.txt", b"not a picture", "text/plain")}
        refused = client.post(url, files=text_file, headers=server.headers)
        assert refused.status_code == 422 and "JPEG or PNG" in refused.json()["detail"]
        picture = png_bytes(32, 24)
        answer = client.post(
            url, files={"photo": ("front.png", picture, "image/png")}, headers=server.headers
        )
        assert answer.status_code == 204

        # a second tab opened now gets the run so far, then the same live events
        second = EventReader(server.url)
        choice = second.wait_for("prompt", 3)
        assert seen["photo"].data == picture
        assert choice["options"] == ["original", "other"]
        assert (
            client.post(
                f"/api/prompts/{choice['id']}", data={"answer": "third"}, headers=server.headers
            ).status_code
            == 422
        )
        assert (
            client.post(
                f"/api/prompts/{choice['id']}", data={"answer": "original"}, headers=server.headers
            ).status_code
            == 204
        )
        first.wait_for("step_finished")  # told once the fake has its three answers
        assert seen["charger"] == "original" and seen["operator"] == "Li Na"

        for reader in (first, second):
            sample = reader.wait_for("progress", 3)
            assert sample["values"]["voltage"] == {"text": "3.900 V", "number": 3.9, "unit": "V"}
            assert sample["limit_s"] is None and sample["to_go_s"] is not None
        # the fake waits an hour at sample 5: only the abort ends it
        first.wait_for("progress", 6)
        aborted = client.post("/api/abort", json={"operator": "Li Na"}, headers=server.headers)
        assert aborted.status_code == 202
        for reader in (first, second):
            ended = reader.wait_for("run_ended")
            assert ended["verdict"] == "aborted" and ended["run_id"] == 7
            step = reader.wait_for("step_finished", 2)
            assert step["message"] == "aborted from the operator panel by Li Na"
        assert first.types() == second.types()
        assert client.post("/api/abort", json={}, headers=server.headers).status_code == 409
    first.close()
    second.close()


def test_state_changing_requests_need_the_token_and_this_origin(
    panel: tuple[LiveServer, Fake],
) -> None:
    server, _ = panel
    with server.client() as client:
        page = client.get("/")
        assert page.status_code == 200 and TOKEN in page.text
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert client.post("/api/start", json=START).status_code == 403
        wrong = {"X-Panel-Token": "guess"}
        assert client.post("/api/start", json=START, headers=wrong).status_code == 403
        evil = server.headers | {"Origin": "http://evil.example"}
        assert client.post("/api/start", json=START, headers=evil).status_code == 403
        rebound = {"Host": "evil.example"}
        assert client.get("/", headers=rebound).status_code == 421
        assert client.get("/api/state", headers=rebound).status_code == 421
        assert client.post("/api/abort", json={}, headers=server.headers).status_code == 409
        assert client.get("/api/state").json()["busy"] is False


def test_chinese_page_has_every_label_in_chinese(panel: tuple[LiveServer, Fake]) -> None:
    server, _ = panel
    with server.client() as client:
        zh = client.get("/", params={"lang": "zh_CN"}).text
        assert "操作员面板" in zh and "中止" in zh and 'lang="zh-CN"' in zh
        # the choice is remembered for the next visit (cookie)
        assert "操作员面板" in client.get("/").text
        assert "Operator panel" in client.get("/", params={"lang": "en"}).text


def test_web_prompt_waiting_for_an_answer_ends_aborted_when_the_switch_trips() -> None:
    switch = AbortSwitch()
    prompts = WebPrompts(EventHub(), switch)
    threading.Timer(0.2, switch.trip, args=("aborted from the operator panel by X",)).start()
    with pytest.raises(AbortRequested, match="by X"):
        prompts.text("usage_device", "Which device?")
    assert prompts.current is None


def test_abortable_clock_cuts_a_long_wait_and_refuses_to_start_one_after_the_trip() -> None:
    switch = AbortSwitch()
    clock = AbortableClock(RealClock(), switch)
    threading.Timer(0.1, switch.trip, args=("stop",)).start()
    with pytest.raises(AbortRequested):
        clock.sleep(3600)
    with pytest.raises(AbortRequested):
        clock.sleep(0)
    event = threading.Event()
    switch.attach(event)
    assert event.is_set()


def test_the_panel_serves_a_font_with_every_chinese_character_it_can_show(
    panel: tuple[LiveServer, Fake],
) -> None:
    """A bench PC without CJK fonts: the page names the panel's own font, served from the panel
    (the content policy loads nothing from elsewhere), and that font has a glyph for every
    character of every Chinese word the panel can show."""
    server, _ = panel
    with server.client() as client:
        page = client.get("/", params={"lang": "zh_CN"}).text
        served = client.get(ROUTE)
    assert f'font-family:"{FAMILY}";src:url("{ROUTE}")' in page
    assert f'"{FAMILY}", sans-serif' in page
    assert served.status_code == 200 and served.headers["content-type"] == "font/woff"
    cmap = TTFont(io.BytesIO(served.content)).getBestCmap()
    chinese = {c for c in chinese_words() if ord(c) > 0x2E7F}
    assert len(chinese) > 300, "the catalogues hold the panel's Chinese words"
    assert sorted(c for c in chinese if ord(c) not in cmap) == []


@pytest.mark.browser
def test_chinese_renders_on_the_panel_without_system_fonts(
    panel: tuple[LiveServer, Fake], tmp_path: Path
) -> None:
    """The pixel check (``latin_only_chromium``): in a Chromium that has no CJK font, two
    different Chinese words of the page render differently in the page's fonts, and the same
    words in a font the page does not serve (the control) render as identical boxes."""
    server, _ = panel
    with latin_only_chromium(tmp_path) as browser:
        page = browser.new_page()
        page.goto(f"{server.url}?lang=zh_CN")
        first, second = cjk_pair(page.inner_text("body"))
        boxes = two_strings(page, first, second, "font-family:monospace")
        assert boxes[0] == boxes[1], "control: without the served font the glyphs are boxes"
        page.goto(f"{server.url}?lang=zh_CN")
        glyphs = two_strings(page, first, second)
        assert glyphs[0] != glyphs[1], "the Chinese panel renders as boxes"
