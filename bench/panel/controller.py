"""One unit at a time, started from the panel and run like ``packbench run`` runs it.

The station file is read again at each start, as each ``packbench run`` reads it (a corrected
instrument address or pace applies to the next unit without restarting the panel); the store is
the one opened when the panel started. The web server answers requests in its own thread; the
run itself goes on in the main thread,
through ``bench.runner.run_unit`` with the engine's signal guard installed, exactly as
``packbench run`` does: Ctrl-C at the terminal that started the panel aborts the run as it
always has, and the panel's abort button trips the run's ``AbortSwitch``, which ends it through
the same safe state. The operator named at the panel is the run's operator (recorded with it).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bench.abort_switch import AbortSwitch
from bench.config import StationConfig
from bench.errors import BenchError, InputError
from bench.panel.hub import EventHub
from bench.panel.i18n import panel_messages
from bench.panel.prompts import WebPrompts
from bench.panel.view import PanelView
from bench.panel.words import refusal_words
from bench.runner import PROCEDURES, UnitOutcome, diagnosis_of, run_unit
from bench.store_setting import shown
from procedures.prompts import Photo
from results.errors import ResultsError

IDLE_POLL_S = 0.2
TERMINAL_SILENCE_S = 10.0
"""A terminal run that published nothing for this long is gone (killed): the panel is free."""
RELAYED = frozenset(
    {
        "run_started",
        "unit_started",
        "step_started",
        "progress",
        "step_finished",
        "notice",
        "run_finished",
        "run_ended",
    }
)
"""Events a terminal run may publish on the panel (its questions stay at the terminal)."""


class PanelRefusal(RuntimeError):
    """A request the panel cannot do now; ``key`` words it in the panel catalogue (the page is
    told in its language, ``bench.panel.app``), the message is the English text."""

    def __init__(self, key: str) -> None:
        super().__init__(panel_messages("en")[key])
        self.key = key


class PanelBusy(PanelRefusal):
    """A run is going on (one bench, one unit at a time)."""


class NotRunning(PanelRefusal):
    """Nothing to abort or answer: no run is going on."""


@dataclass(frozen=True)
class StartRequest:
    operator: str
    complaint: str
    unit: str
    procedure: str


def ended_fields(outcome: UnitOutcome) -> dict[str, Any]:
    """The ``run_ended`` event of a unit's outcome (panel runs and terminal runs alike)."""
    diagnosis = diagnosis_of(outcome.conclusions)
    return {
        "verdict": outcome.verdict.name.lower(),
        "message": outcome.message,
        "run_id": outcome.run_id,
        "root_cause": diagnosis["root_cause"],
        "disposition": diagnosis["disposition"],
        "journal": outcome.journal,
    }


@dataclass
class _Terminal:
    """A ``packbench run --panel`` being shown: when it last spoke, and an abort for it."""

    seen: float
    abort: str | None = None


@dataclass
class _Current:
    request: StartRequest
    switch: AbortSwitch
    prompts: WebPrompts


class PanelController:
    """Queue of one start request, the run in progress, and its abort and answers."""

    def __init__(
        self,
        config: StationConfig,
        sessions: sessionmaker[Session],
        hub: EventHub,
        view: PanelView,
        reload: Callable[[], StationConfig] | None = None,
    ) -> None:
        self.config = config
        self.reload = reload
        """Reads the station file again for each run (``None``: ``config`` as given)."""
        self.sessions = sessions
        self.hub = hub
        self.view = view
        self._lock = threading.Lock()
        self._jobs: queue.Queue[StartRequest] = queue.Queue(maxsize=1)
        self._busy = False
        self._current: _Current | None = None
        self._terminal: _Terminal | None = None

    @property
    def procedures(self) -> list[str]:
        return sorted(PROCEDURES)

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._busy

    def start(self, request: StartRequest) -> None:
        """Queue ``request`` for the main thread; ``PanelBusy`` while a run goes on."""
        if request.procedure not in PROCEDURES:
            raise ValueError(f"unknown procedure {request.procedure!r}")
        with self._lock:
            if self._busy or self._terminal_running():
                raise PanelBusy("panel.busy")
            self._busy = True
        self._jobs.put(request)

    def _terminal_running(self) -> bool:
        """Whether a terminal run is being shown (one silent too long is gone); under the lock."""
        terminal = self._terminal
        if terminal is not None and time.monotonic() - terminal.seen > TERMINAL_SILENCE_S:
            self._terminal = terminal = None
        return terminal is not None

    def relay(self, events: list[dict[str, Any]]) -> str | None:
        """Show a terminal run's events; returns the abort reason once the button was pressed.

        ``PanelBusy`` while the panel runs a unit of its own (the bench has one unit on it)."""
        for event in events:
            if event.get("type") not in RELAYED:
                raise ValueError(f"event type {event.get('type')!r} cannot be published")
        with self._lock:
            if self._busy:
                raise PanelBusy("panel.busy_itself")
            if self._terminal_running() and self._terminal is not None:
                self._terminal.seen = time.monotonic()
        for event in events:
            with self._lock:  # the state changes before a page hears of it
                if event["type"] == "run_started":
                    self._terminal = _Terminal(time.monotonic())
                elif event["type"] == "run_ended":
                    self._terminal = None
            fields = {k: v for k, v in event.items() if k not in ("type", "seq", "sent_at")}
            self.hub.publish(event["type"], **fields)
        with self._lock:
            return None if self._terminal is None else self._terminal.abort

    def abort(self, who: str) -> None:
        """Trip the running unit's abort switch (``NotRunning`` if there is none)."""
        reason = f"aborted from the operator panel by {who or 'the operator'}"
        with self._lock:
            current = self._current
            terminal = self._terminal if self._terminal_running() else None
            if terminal is not None:
                terminal.abort = reason
        if current is None and terminal is None:
            raise NotRunning("panel.no_run")
        if current is not None:
            current.switch.trip(reason)
        self.hub.publish("abort_requested", by=who)

    def answer(self, prompt_id: str, answer: str | None, photo: Photo | None) -> None:
        with self._lock:
            current = self._current
        if current is None:
            raise NotRunning("panel.no_question")
        current.prompts.answer(prompt_id, answer, photo)

    def state(self) -> dict[str, Any]:
        with self._lock:
            current = self._current
            busy = self._busy or self._terminal_running()
        return {
            "busy": busy,
            "station": self.config.station_id,
            "simulated": self.config.simulated,
            "procedures": self.procedures,
            "run": None if current is None else current.request.__dict__,
        }

    def _station(self) -> StationConfig:
        """The station file as it is now, on the store the panel opened."""
        if self.reload is None:
            return self.config
        config = self.reload()
        if config.database != self.config.database:
            raise InputError(
                f"{config.source}: the store changed since the panel started "
                f"({shown(self.config.database)} -> {shown(config.database)}); stop the panel "
                "(Ctrl-C) and start it again to use the new store"
            )
        return config

    def serve_forever(self, stop: threading.Event) -> None:
        """Run each started unit in this (the main) thread until ``stop`` is set."""
        while not stop.is_set():
            try:
                request = self._jobs.get(timeout=IDLE_POLL_S)
            except queue.Empty:
                continue
            self.run(request)

    def run(self, request: StartRequest) -> UnitOutcome | None:
        """One unit, recorded; every way it ends is published (verdict, refusal, error)."""
        switch = AbortSwitch()
        current = _Current(request, switch, WebPrompts(self.hub, switch))
        with self._lock:
            self._busy = True
            self._current = current
        self.hub.publish(
            "run_started", **request.__dict__, station=self.config.station_id, source="panel"
        )
        outcome: UnitOutcome | None = None
        ended: dict[str, Any] = {"verdict": "error", "message": "software error", "run_id": None}
        try:
            config = self._station()
            outcome = run_unit(
                replace(config, operator=request.operator),
                procedure=request.procedure,
                complaint=request.complaint,
                unit=request.unit,
                prompts=current.prompts,
                view=self.view,
                sessions=self.sessions,
                abort=switch,
            )
        except (BenchError, ResultsError) as exc:  # refused before anything ran, or no bench
            ended = {"verdict": None, "refused": str(exc), "run_id": None}
            ended["shown"] = refusal_words(exc)
        except KeyboardInterrupt:  # Ctrl-C at the terminal outside the steps, or a second one
            ended = {"verdict": "aborted", "message": "Ctrl-C", "run_id": None}
            raise
        else:
            ended = ended_fields(outcome)
        finally:  # a bug of ours (any other exception) goes on to the devlog as "error"
            with self._lock:  # free before a page hears of the end: its next start is accepted
                self._busy = False
                self._current = None
            self.hub.publish("run_ended", **ended)
        return outcome
