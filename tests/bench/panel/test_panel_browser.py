"""The operator panel in the system Chromium against a simulated bench, in English and Chinese.

The simulator runs in its own process (``python -m simulators``) and the station attaches to it
with a pace, so a recharge takes a few seconds of wall time and its true state (``STATE?`` on
the control endpoint) can be read after the abort: every output must be off. Then the unit is
diagnosed again to the end, and the appearance inspection answers a number, a checklist, texts
and photos through the page. Every question must read as the prompt catalogue words it in the
page's language (Chinese characters on the Chinese page), every view to photograph and every
dimension must show its picture, loaded and decoded by the browser; last, the sync status shows
the three runs pending, then a refusal with its reason once the sync state file records one.
"""

from __future__ import annotations

import re
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from bench_helpers import PYTHON, child_env, register
from catalogue_leaks import leaks, raw_codes
from live_runner import Simulator, energised, start_simulator
from required_services import CHROMIUM
from sqlalchemy import select

from bench.cli_common import station as station_config
from bench.runner import open_store_for
from bench.sync import Entry, Outbox, state_path
from bench.sync import status as sync_status
from benchmarks.service_documents import png_bytes
from procedures.appearance import NAME as APPEARANCE
from procedures.diagnosis.sequence import NAME as DIAGNOSIS
from procedures.questions import definition, prompt_messages
from results.models import Run
from results.store import open_store

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
SPEED = 1200
"""Virtual seconds per wall second of the first run: a sample each 50 ms, the recharge in about
5 s, time to watch the plot grow and to abort it."""
ANSWERS = {
    "usage_device": "handheld scanner",
    "usage_charger": "original",
    "usage_temperature": "normal",
    "usage_time_in_use": "1_to_12_months",
    "usage_location": "indoor",
    "known_good_pack_works": "yes",
    "pack_swelling": "none",
}
LABELS = {
    "en": {
        "title": "Operator panel",
        "abort": "ABORT",
        "pass": "pass",
        "aborted": "aborted",
        "refused": "refused",
        "counts": "2 pending, 0 sent, 1 refused",
    },
    "zh_CN": {
        "title": "操作员面板",
        "abort": "中止",
        "pass": "合格",
        "aborted": "中止",
        "refused": "被拒",
        "counts": "待上传 2 条，已上传 0 条，被拒 1 条",
    },
}


def assert_worded_in(lang: str, asked: list[Seen]) -> None:
    """Each question's text and choices read as the catalogue writes them in ``lang``."""
    words = prompt_messages(lang)
    assert asked
    for seen in asked:
        found = definition(seen.question)
        assert found is not None, seen.question
        if found.pattern is None:  # a fixed question: the whole text is the catalogue's
            assert seen.text == words[f"prompt.{found.key}"], seen
        assert seen.options == [words[f"option.{o}"] for o in found.options], seen
        assert seen.help == (words[f"prompt.{found.key}.help"] if found.help else ""), seen
        image = found.image
        assert seen.caption == (words[image.key] if image is not None else ""), seen
        if lang == "zh_CN":
            assert re.search(r"[\u4e00-\u9fff]", seen.text), seen  # drawn in Chinese


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[Simulator]:
    yield from start_simulator(tmp_path)


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


@contextmanager
def panel(station: Path, home: Path, lang: str) -> Iterator[str]:
    command = ["station", "serve", "--station", str(station), "--port", "0", "--lang", lang]
    process = subprocess.Popen(
        [PYTHON, "-m", "bench.cli", *command],
        stdout=(home / f"panel-{lang}.log").open("w"),  # the terminal's view of the runs
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(home),
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        found = re.search(r"http://\S+/", line)
        assert found, line + process.stderr.read()
        yield found.group(0)
    except BaseException:
        process.kill()
        process.communicate()
        raise
    # Ctrl-C with no run going on: how a technician stops the panel
    process.send_signal(signal.SIGINT)
    try:
        _, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
        raise AssertionError(f"the panel did not stop on Ctrl-C: {err}") from None
    assert "operator panel stopped" in err, err


@dataclass
class Seen:
    """One question as the page drew it."""

    kind: str
    question: str
    text: str
    image: str | None
    """The picture's address, once the browser has loaded and decoded it (else ``None``)."""
    options: list[str]
    help: str = ""
    caption: str = ""


PICTURE_LOADED = (
    "() => { const i = document.querySelector('#prompt-image'); "
    "return i.complete && i.naturalWidth > 0; }"
)


def answer_prompts(page: Any, photo: Path, *, until: str) -> list[Seen]:
    """Answer each question the page shows until ``until`` (a selector) appears."""
    seen: list[Seen] = []
    while True:
        page.wait_for_selector(f"#prompt:not([hidden]), {until}", timeout=60_000)
        if page.locator(until).count():
            return seen
        prompt = page.locator("#prompt")
        kind = str(prompt.get_attribute("data-kind"))
        question = prompt.get_attribute("data-question") or ""
        image = None
        if page.locator("#prompt-figure").is_visible():
            page.wait_for_function(PICTURE_LOADED)
            image = page.locator("#prompt-image").get_attribute("src")
        labels = page.locator("#prompt-form button[data-option]").all_text_contents()
        text = page.locator("#prompt-text").text_content() or ""
        helped = page.locator("#prompt-help")
        help_text = (helped.locator("span").text_content() or "") if helped.is_visible() else ""
        caption = (page.locator("#prompt-caption").text_content() or "") if image else ""
        seen.append(Seen(kind, question, text, image, labels, help_text, caption))
        if kind == "confirm":
            page.click("#answer-done")
        elif kind == "choice":
            wanted = ANSWERS.get(question)
            buttons = page.locator("#prompt-form button[data-option]")
            if wanted:
                page.click(f"#prompt-form button[data-option='{wanted}']")
            else:
                buttons.first.click()  # the checklist's first answer: none, ok
        elif kind == "number":
            page.fill("#answer-number", "65.1")
            page.click("#answer-send")
        elif kind == "text":
            page.fill("#answer-text", ANSWERS.get(question, "DOC-17"))
            page.click("#answer-send")
        elif kind == "photo":
            page.set_input_files("#answer-photo", str(photo))
            page.click("#answer-send")
        else:
            raise AssertionError(f"unexpected prompt kind {kind}")
        page.wait_for_function(
            "q => document.querySelector('#prompt').hidden || "
            "document.querySelector('#prompt').dataset.question !== q "
            "|| !document.querySelector('#prompt-error').hidden",
            arg=question,
        )
        error = page.locator("#prompt-error")
        assert error.is_hidden(), error.text_content()


def start(page: Any, number: str, unit: str, procedure: str) -> None:
    page.wait_for_selector("#start:not([hidden])")
    page.fill("#complaint", number)
    page.fill("#unit", unit)
    page.select_option("#procedure", procedure)
    page.click("#start-button")
    page.wait_for_selector("#run[data-state=running]")


def runs(database: Path) -> list[tuple[str, str, str]]:
    sessions = open_store(str(database))
    with sessions() as session:
        return [
            (r.procedure, r.verdict or "", r.operator)
            for r in session.scalars(select(Run).order_by(Run.id))
        ]


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_panel_drives_a_diagnosis_abort_and_finish_and_an_inspection(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    simulator: Simulator,
    browser: Any,
    lang: str,
) -> None:
    station = simulator.station(tmp_path, speed=SPEED, fault="healthy")
    number = register(capsys, station, "U-1")
    photo = tmp_path / "front.png"
    photo.write_bytes(png_bytes(64, 48))
    words = LABELS[lang]
    with panel(station, tmp_path, lang) as url:
        # the page's own CSP forbids eval, which wait_for_function needs: the driving tab
        # bypasses it, the watching tab below runs under it
        page = browser.new_page(bypass_csp=True)
        page.goto(url)
        assert words["title"] in page.title()
        page.fill("#operator-name", "王伟" if lang == "zh_CN" else "Li Na")
        page.click("#sign-in-button")
        assert page.locator("#abort").text_content() == words["abort"]

        # 1. a diagnosis aborted in the middle of the recharge
        start(page, number, "U-1", "diagnosis")
        answer_prompts(page, photo, until="#steps li[data-step=wake_recharge]")
        page.wait_for_function("Number(document.querySelector('#plot').dataset.points) >= 2")
        first = int(page.locator("#plot").get_attribute("data-points") or 0)
        page.wait_for_function(
            f"Number(document.querySelector('#plot').dataset.points) > {first}"
        )  # the plot keeps growing while the pack charges
        assert page.locator("#v-voltage").text_content().endswith("V")
        assert page.locator("#v-mode").text_content() in ("CC", "CV")
        page.click("#abort")
        page.wait_for_selector("#run[data-state=ended]", timeout=30_000)
        assert page.locator("#verdict").get_attribute("data-verdict") == "aborted"
        assert words["aborted"] in page.locator("#verdict").text_content()
        step = page.locator("#steps li[data-step=wake_recharge]")
        assert step.get_attribute("data-verdict") == "aborted"
        assert energised(simulator.state()) == []  # the simulator's true state: all off
        page.screenshot(path=tmp_path / f"aborted-{lang}.png", full_page=True)

        # 2. the same unit again, to the end (a second tab watches the same run); the panel
        # reads the station file at each start: unpaced now, so the day's rests take no time
        station.write_text(station.read_text().replace(f"speed = {SPEED}\n", ""))
        start(page, number, "U-1", "diagnosis")
        watcher = browser.new_page()
        watcher.goto(url)
        asked = answer_prompts(page, photo, until="#run[data-state=ended]")
        assert_worded_in(lang, asked)
        assert page.locator("#verdict").get_attribute("data-verdict") == "pass"
        assert words["pass"] in page.locator("#verdict").text_content()
        watcher.wait_for_selector("#run[data-state=ended]")
        assert watcher.locator("#steps li").count() == page.locator("#steps li").count()
        assert int(watcher.locator("#plot").get_attribute("data-points") or 0) > 2
        assert energised(simulator.state()) == []
        if lang == "zh_CN":  # every step, message, finding and result in Chinese words
            shown = page.locator("#run").inner_text()
            assert leaks(shown) == {} and raw_codes(shown) == set(), shown
            assert "wake_recharge" not in shown and "diagnosis" not in shown, shown

        # 3. the appearance inspection: confirm, texts, checklist, numbers, photos
        start(page, number, "U-1", "appearance")
        asked = answer_prompts(page, photo, until="#run[data-state=ended]")
        assert {"confirm", "text", "choice", "number", "photo"} <= {a.kind for a in asked}
        assert_worded_in(lang, asked)
        pictures = {a.question: a.image for a in asked if a.kind in ("photo", "number")}
        assert pictures["appearance.photo.overall_front"] == "/prompt-images/view_overall_front.svg"
        assert pictures["appearance.dim.length"] == "/prompt-images/caliper_dimensions.svg"
        assert all(pictures.values()), pictures  # every view and dimension showed its picture
        page.screenshot(path=tmp_path / f"finished-{lang}.png", full_page=True)

        # 4. the sync status: three runs pending; one refused by the service, with its reason
        sync = page.locator("#sync")
        page.wait_for_function("document.querySelector('#sync').dataset.pending === '3'")
        assert sync.is_visible()
        config = station_config(station)
        oldest = sync_status(config, open_store_for(config))[0]
        reason = "hash chain broken at step 3: the run was changed after recording"
        Outbox.load(state_path(config)).mark(
            oldest.uuid, Entry(oldest.run_id, "refused", "2026-12-06T10:00:01Z", reason=reason)
        )
        refused = page.locator(f"#sync tr[data-run='{oldest.run_id}'][data-state=refused]")
        refused.wait_for(timeout=15_000)  # the page asks again every few seconds
        assert refused.locator(".state").text_content() == words["refused"]
        assert refused.locator(".detail").text_content() == reason
        assert words["counts"] in (page.locator("#sync-counts").text_content() or "")
        assert page.locator("#verdict").get_attribute("data-verdict") not in ("error", "aborted")

    recorded = runs(tmp_path / "store.sqlite3")
    operator = "王伟" if lang == "zh_CN" else "Li Na"
    assert [(p, v.lower()) for p, v, _ in recorded] == [
        (DIAGNOSIS, "aborted"),
        (DIAGNOSIS, "pass"),
        (APPEARANCE, "fail"),  # 65.1 mm for every dimension: most are out of the drawing
    ]
    assert {o for _, _, o in recorded} == {operator}  # the signed-in name, not the file's
