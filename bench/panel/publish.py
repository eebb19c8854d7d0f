"""A ``packbench run`` at the terminal, shown on the station's running operator panel too.

``packbench station serve`` leaves a small file in the user data directory (``panel-<station
id>.json``, readable by this account only) naming its address and its token; ``packbench run
--panel`` reads it and publishes the run's events there through the panel's token-protected
``/api/publish``, so the panel's pages show the terminal's run (steps, plot, values, verdict) and
its abort button stops it (the answer to each publish carries the abort request, which trips the
run's ``AbortSwitch``). Questions stay at the terminal: they are answered where the run is.

Publishing is display only (and uses the standard library's HTTP client: httpx is a development
dependency only): a panel that stops answering costs the run nothing but one notice on
the terminal; the events are sent from a background thread, never from the run's.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.abort_switch import AbortSwitch
from bench.errors import InputError
from bench.panel.controller import ended_fields
from bench.panel.hub import Event
from bench.panel.words import refusal_words
from bench.paths import data_dir
from bench.runner import UnitOutcome

TOKEN_HEADER = "X-Panel-Token"
BATCH_WAIT_S = 0.05
HEARTBEAT_S = 0.5
"""An idle publisher still calls every half second: the abort button's answer rides on it."""
SEND_TIMEOUT_S = 2.0
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""The panel is on this machine: never through an ``http_proxy`` the environment may set."""


def panel_file(station_id: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in station_id)
    return data_dir() / f"panel-{safe}.json"


def write_panel_file(station_id: str, url: str, token: str) -> Path:
    """Where ``packbench run --panel`` finds this panel; readable by this account only."""
    path = panel_file(station_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        json.dump({"url": url, "token": token, "pid": os.getpid()}, file)
    return path


def find_panel(station_id: str) -> tuple[str, str]:
    """(address, token) of the panel serving ``station_id``; ``InputError`` when none does."""
    path = panel_file(station_id)
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
        url, token, pid = str(found["url"]), str(found["token"]), int(found["pid"])
        os.kill(pid, 0)
    except (OSError, ValueError, KeyError, TypeError):
        raise InputError(
            f"--panel: no operator panel is serving station {station_id} ({path}); start one "
            "with `packbench station serve` (same station file), or drop --panel"
        ) from None
    return url, token


class RemoteHub:
    """The ``EventHub`` side of a terminal run: its events go to the panel's ``/api/publish``."""

    def __init__(
        self,
        url: str,
        token: str,
        switch: AbortSwitch | None = None,
        notice: Callable[[str], None] | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.switch = switch
        self._notice = notice
        self._queue: queue.Queue[Event | None] = queue.Queue()
        self._failed = False
        self._thread = threading.Thread(
            target=self._send_forever, name="panel-publish", daemon=True
        )
        self._thread.start()

    def publish(self, event_type: str, /, **fields: Any) -> Event:
        event: Event = {"type": event_type, **fields, "sent_at": time.time()}
        self._queue.put(event)
        return event

    def close(self, timeout: float = SEND_TIMEOUT_S) -> None:
        """Send what is queued, then stop."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _send_forever(self) -> None:
        while True:
            batch: list[Event] = []
            closing = False
            try:
                first = self._queue.get(timeout=HEARTBEAT_S)
            except queue.Empty:
                first = {}
            if first is None:
                closing = True
            elif first:
                batch.append(first)
                while True:  # everything already waiting goes in the same request
                    try:
                        more = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        closing = True
                        break
                    batch.append(more)
            if batch or not closing:
                self._send(batch)
            if closing:
                return

    def _send(self, batch: list[Event]) -> None:
        request = urllib.request.Request(
            f"{self.url}/api/publish",
            data=json.dumps({"events": batch}).encode(),
            headers={TOKEN_HEADER: self.token, "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with DIRECT.open(request, timeout=SEND_TIMEOUT_S) as response:
                answer = json.loads(response.read())
        except (OSError, ValueError) as exc:  # URLError and HTTPError are OSErrors
            if not self._failed and self._notice is not None:
                self._notice(
                    f"the operator panel at {self.url} does not answer ({exc}); the "
                    "run goes on and is recorded as usual"
                )
            self._failed = True
            return
        self._failed = False
        abort = answer.get("abort") if isinstance(answer, dict) else None
        if abort and self.switch is not None:
            self.switch.trip(str(abort))


class PanelRelay:
    """One ``packbench run --panel``: its view publishes on the panel, each unit announced."""

    def __init__(self, station_id: str, operator: str, procedure: str, complaint: str) -> None:
        url, token = find_panel(station_id)
        self.station_id = station_id
        self.operator = operator
        self.procedure = procedure
        self.complaint = complaint
        self.hub = RemoteHub(url, token, notice=_say)

    @contextmanager
    def unit(self, serial: str) -> Iterator[Shown]:
        """Announce the unit's run, give it an abort switch the panel's button trips, and
        announce its end (also when it ends by Ctrl-C or a refusal)."""
        shown = Shown(AbortSwitch())
        self.hub.switch = shown.switch
        self.hub.publish(
            "run_started",
            operator=self.operator,
            complaint=self.complaint,
            unit=serial,
            procedure=self.procedure,
            station=self.station_id,
            source="terminal",
        )
        try:
            yield shown
        except BaseException as exc:
            refused = str(exc) if isinstance(exc, Exception) else "Ctrl-C"
            words = refusal_words(exc) if isinstance(exc, Exception) else {}
            self.hub.publish("run_ended", verdict=None, refused=refused, run_id=None, shown=words)
            raise
        if shown.outcome is not None:
            self.hub.publish("run_ended", **ended_fields(shown.outcome))

    def close(self) -> None:
        self.hub.close()


@dataclass
class Shown:
    """A unit's run on the panel: the switch its abort button trips, and how it ended."""

    switch: AbortSwitch | None
    outcome: UnitOutcome | None = None


@contextmanager
def shown_on(relay: PanelRelay | None, serial: str) -> Iterator[Shown]:
    """``relay.unit(serial)``, or nothing to show (no ``--panel``): no switch, no events."""
    if relay is None:
        yield Shown(None)
        return
    with relay.unit(serial) as shown:
        yield shown


def _say(text: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        print(f"packbench: {text}", file=sys.stderr, flush=True)
