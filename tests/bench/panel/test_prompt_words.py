"""The panel's questions in the page's language with their pictures, and the sync status.

Every word of a question comes from the procedures' prompt catalogue and travels with the
event in both languages (a Chinese and an English tab may watch one run); the picture is served
by name from the shipped files only, with its own type; ``/api/sync`` says what
``packbench sync status`` says.
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bench_helpers import cli, register, write_sim_station
from panel_support import TOKEN, LiveServer, free_socket, serving

from bench.abort_switch import AbortSwitch
from bench.cli_common import station
from bench.config import load_station
from bench.panel.app import create_app
from bench.panel.cli import host_names
from bench.panel.controller import PanelController
from bench.panel.hub import EventHub
from bench.panel.i18n import LOCALES, panel_messages
from bench.panel.prompts import WebPrompts
from bench.panel.sync_view import SHOWN_RUNS, sync_snapshot
from bench.panel.view import PanelView
from bench.runner import open_store_for
from bench.sync import Entry, Outbox, state_path
from procedures.phrases import placeholders
from procedures.questions import images, prompt_messages

BOARD = "Place the unit on the board fixture (bare protection board, source on B+/B-)."
SYNC = {"available": True, "counts": {"pending": 1, "sent": 0, "refused": 0}, "runs": []}


@pytest.fixture
def server() -> Iterator[LiveServer]:
    hub = EventHub()
    controller = PanelController(
        load_station(None),
        None,  # type: ignore[arg-type]  # no store: the fake sync status stands in
        hub,
        PanelView(hub, io.StringIO(), tty=False),
    )
    sock = free_socket()
    port = sock.getsockname()[1]
    app = create_app(
        controller,
        hub,
        token=TOKEN,
        hosts=host_names("127.0.0.1", port),
        sync_status=lambda: SYNC,
    )
    with serving(app, sock, hub) as live:
        yield live


def asked(hub: EventHub, ask: Any) -> dict[str, Any]:
    """The ``prompt`` event ``ask(prompts)`` publishes (the question is then aborted)."""
    switch = AbortSwitch()
    prompts = WebPrompts(hub, switch)
    worker = threading.Thread(target=lambda: _quietly(ask, prompts), daemon=True)
    worker.start()
    deadline = time.monotonic() + 5
    while not [e for e in hub.backlog() if e["type"] == "prompt"]:
        assert time.monotonic() < deadline, "no prompt published"
        time.sleep(0.01)
    switch.trip("test over")
    worker.join(5)
    return next(e for e in hub.backlog() if e["type"] == "prompt")


def _quietly(ask: Any, prompts: WebPrompts) -> None:
    try:
        ask(prompts)
    except Exception:  # the abort that ends the question
        return


def test_a_question_carries_its_words_in_both_languages_and_its_picture() -> None:
    event = asked(EventHub(), lambda p: p.confirm("fixture_board_0", BOARD))
    assert event["image"] == "/prompt-images/board_fixture.svg"
    zh, en = event["shown"]["zh_CN"], event["shown"]["en"]
    assert en["text"] == BOARD
    assert zh["text"] == prompt_messages("zh_CN")["prompt.fixture_board"]
    assert zh["help"] == prompt_messages("zh_CN")["prompt.fixture_board.help"]
    assert zh["image_text"] == prompt_messages("zh_CN")["image.board_fixture"]

    choice = asked(
        EventHub(),
        lambda p: p.choice("appearance.visual.corrosion", "Corrosion of terminals, nickel strips "
                           "or leads?", ("none", "terminals", "extensive")),
    )  # fmt: skip
    assert choice["image"] is None
    assert [o["label"] for o in choice["shown"]["zh_CN"]["options"]] == ["无", "仅端子", "大面积"]
    assert [o["value"] for o in choice["shown"]["zh_CN"]["options"]] == choice["options"]

    number = asked(
        EventHub(),
        lambda p: p.number("appearance.dim.width", "Measure the width (drawing width: 37 mm "
                           "-0.5 mm/+0.5 mm)", "mm"),
    )  # fmt: skip
    assert number["shown"]["zh_CN"]["unit"] == "毫米" and number["unit"] == "mm"
    assert number["shown"]["zh_CN"]["text"] == "测量宽度（图纸：width: 37 mm -0.5 mm/+0.5 mm）"
    assert number["image"] == "/prompt-images/caliper_dimensions.svg"


@pytest.mark.parametrize("name", sorted(images()))
def test_every_picture_is_served_with_its_type_and_a_closed_policy(
    server: LiveServer, name: str
) -> None:
    with server.client() as client:
        response = client.get(f"/prompt-images/{name}")
    assert response.status_code == 200
    assert response.content == images()[name].data()
    assert response.headers["content-type"] == images()[name].media_type
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/prompt-images/page.html",  # a file of the panel's own package
        "/prompt-images/..%2fapp.py",
        "/prompt-images/%2e%2e/%2e%2e/pyproject.toml",
        "/prompt-images/../locale/en.json",
        "/prompt-images/BOARD_FIXTURE.SVG",
        "/prompt-images/",
    ],
)
def test_nothing_but_a_shipped_picture_is_served(server: LiveServer, path: str) -> None:
    with server.client() as client:
        response = client.get(path)
    assert response.status_code == 404, response.text
    assert b"<svg" not in response.content and b"[project]" not in response.content


def test_the_page_reads_the_sync_status(server: LiveServer) -> None:
    with server.client() as client:
        assert client.get("/api/sync").json() == SYNC


def test_both_panel_catalogues_hold_the_same_keys_and_placeholders() -> None:
    en, zh = panel_messages("en"), panel_messages("zh_CN")
    assert sorted(set(en) ^ set(zh)) == []
    for key, text in en.items():
        assert sorted(placeholders(text)) == sorted(placeholders(zh[key])), key
        assert text != zh[key], f"{key} is not translated"
    assert set(LOCALES) == {"en", "zh_CN"}


def test_sync_snapshot_says_what_sync_status_says(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    bench_file = write_sim_station(tmp_path / "bench.toml", tmp_path / "bench")
    number = register(capsys, bench_file, "U-1", "U-2", "U-3")
    code, _, err = cli(
        capsys, "run", "diagnosis", "-c", number, "-u", "U-1", "-u", "U-2", "-u", "U-3",
        "--station", str(bench_file), "--yes", "--operator", "li.wei",
    )  # fmt: skip
    assert code in (0, 1), err
    config = station(bench_file)
    sessions = open_store_for(config)
    before = sync_snapshot(config, sessions)
    assert before["counts"] == {"pending": 3, "sent": 0, "refused": 0}
    first, second, _third = reversed(before["runs"])  # newest first
    outbox = Outbox.load(state_path(config))
    outbox.mark(first["uuid"], Entry(first["run_id"], "sent", "2026-12-06T10:00:00Z", 41))
    reason = "hash chain broken at step 3: the run was changed after recording"
    outbox.mark(second["uuid"], Entry(second["run_id"], "refused", "2026-12-06T10:00:01Z",
                                      reason=reason))  # fmt: skip

    shown = sync_snapshot(config, sessions)
    code, out, err = cli(capsys, "sync", "status", "--station", str(bench_file), "--json")
    assert code == 0, err
    told = json.loads(out)
    assert shown["counts"] == {"pending": 1, "sent": 1, "refused": 1}
    assert {r["uuid"]: (r["state"], r["service_id"], r["reason"]) for r in told["runs"]} == {
        r["uuid"]: (r["state"], r["service_id"], r["reason"]) for r in shown["runs"]
    }
    assert [r["run_id"] for r in shown["runs"]] == sorted(
        (r["run_id"] for r in told["runs"]), reverse=True
    )
    assert SHOWN_RUNS >= 3


def test_sync_snapshot_lists_the_newest_runs_and_every_refused_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bench.panel.sync_view.SHOWN_RUNS", 1)
    monkeypatch.setenv("HOME", str(tmp_path))
    bench_file = write_sim_station(tmp_path / "bench.toml", tmp_path / "bench")
    number = register(capsys, bench_file, "U-1", "U-2", "U-3")
    code, _, err = cli(
        capsys, "run", "diagnosis", "-c", number, "-u", "U-1", "-u", "U-2", "-u", "U-3",
        "--station", str(bench_file), "--yes",
    )  # fmt: skip
    assert code in (0, 1), err
    config = station(bench_file)
    sessions = open_store_for(config)
    oldest = sync_snapshot(config, sessions)
    assert len(oldest["runs"]) == 1 and oldest["total"] == 3
    from bench.sync import status

    first = status(config, sessions)[0]
    Outbox.load(state_path(config)).mark(
        first.uuid, Entry(first.run_id, "refused", "2026-12-06T10:00:01Z", reason="tampered")
    )
    shown = sync_snapshot(config, sessions)
    assert [(r["run_id"], r["state"]) for r in shown["runs"]] == [
        (oldest["runs"][0]["run_id"], "pending"),
        (first.run_id, "refused"),
    ]
