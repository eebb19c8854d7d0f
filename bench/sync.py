"""Hand the bench's finished and interrupted runs to the QA service, each exactly once.

The bench always records into its own store first; this outbox sends what is there afterwards,
whenever the link allows. Each run goes with its evidence files, its complaint and unit (which
may have been registered here offline; the service creates them in the run's own transaction,
so they always arrive first) and what the bench's audit log vouches for (the step seal, the run's
audit events). The service answers 201 (recorded), 200 (already had it: a retry after a lost
answer) or refuses it with a reason (4xx). Connection failures and 5xx answers are retried with
exponential backoff; after the last attempt the sync stops and the rest stays pending.

What was sent or refused is kept in a small JSON state file beside the store (written atomically
after each run), keyed by the run's UUID (``results.run_transfer.run_uuid``): the store needs no
new table, and a state file lost or out of date only costs a repeat the service acknowledges.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bench.config import StationConfig
from bench.errors import EXIT_STORE, BenchError, InputError
from results.attachments import EvidenceStore
from results.models import Run, RunStatus
from results.run_transfer import run_uuid, sync_document

State = Literal["sent", "refused"]
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
"""Answers that say "not now": the same request may succeed later."""


class ServiceUnreachable(BenchError):
    """The service did not answer (or only with "not now") after every attempt."""

    exit_code = EXIT_STORE


@dataclass(frozen=True)
class Target:
    url: str
    token: str


@dataclass(frozen=True)
class Backoff:
    """``attempts`` tries per run, waiting ``first``, 2x``first``... (at most ``longest``)."""

    attempts: int = 8
    first: float = 0.5
    longest: float = 30.0

    def waits(self) -> list[float]:
        return [min(self.first * 2**i, self.longest) for i in range(self.attempts - 1)]


@dataclass(frozen=True)
class Entry:
    run_id: int
    state: State
    at: str
    service_id: int | None = None
    reason: str = ""


@dataclass
class Outbox:
    """The state file: which run UUIDs were sent (and as which service run) or refused."""

    path: Path
    entries: dict[str, Entry] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Outbox:
        if not path.exists():
            return cls(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            entries = {key: Entry(**value) for key, value in raw["runs"].items()}
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(
                f"{path}: the sync state file is unreadable ({exc}); move it aside and run "
                "'packbench sync' again (runs already sent are acknowledged, not duplicated)"
            ) from None
        return cls(path, entries)

    def mark(self, uuid: str, entry: Entry) -> None:
        """Record one answer and write the file atomically (a crash leaves old or new, whole)."""
        self.entries[uuid] = entry
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"runs": {k: vars(v) for k, v in sorted(self.entries.items())}}, indent=1)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".sync-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def state_path(config: StationConfig) -> Path:
    """Beside the SQLite file (one state per store); else beside the evidence folder."""
    if "://" not in config.database:
        store = Path(config.database).expanduser()
        return store.with_name(store.name + ".sync.json")
    return config.evidence_dir.parent / "sync-state.json"


@dataclass(frozen=True)
class Item:
    uuid: str
    run_id: int
    entry: Entry | None

    @property
    def state(self) -> str:
        return "pending" if self.entry is None else self.entry.state


def items(session: Session, outbox: Outbox) -> list[Item]:
    """Every finished or interrupted run of the store, oldest first, with its sync state."""
    runs = session.scalars(
        select(Run).where(Run.status != RunStatus.RUNNING.value).order_by(Run.id)
    )
    return [Item(run_uuid(r), r.id, outbox.entries.get(run_uuid(r))) for r in runs]


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]


def post(target: Target, path: str, payload: dict[str, Any], *, timeout: float) -> Reply:
    """One HTTP POST; an HTTP error status is a reply, a dead link raises ``OSError``."""
    request = urllib.request.Request(
        target.url.rstrip("/") + path,
        data=json.dumps(payload).encode(),
        headers={"Authorization": f"Bearer {target.token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return Reply(answer.status, json.loads(answer.read() or b"{}"))
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read() or b"{}")
        except ValueError:
            body = {"detail": exc.reason}
        return Reply(exc.code, body if isinstance(body, dict) else {"detail": str(body)})


def send(
    target: Target,
    payload: dict[str, Any],
    backoff: Backoff,
    *,
    sleep: Callable[[float], None] = time.sleep,
    timeout: float = 60.0,
) -> Reply:
    """POST with retries on a dead link or a "not now" answer; ``ServiceUnreachable`` at last."""
    waits = backoff.waits()
    while True:
        try:
            reply = post(target, "/api/sync/runs", payload, timeout=timeout)
            if reply.status not in RETRY_STATUSES:
                return reply
            problem = f"HTTP {reply.status}: {reply.body.get('detail', '')}"
        except OSError as exc:
            problem = str(getattr(exc, "reason", None) or exc)
        if not waits:
            raise ServiceUnreachable(
                f"the QA service at {target.url} did not take the run ({problem}); it stays "
                "pending: run 'packbench sync' again when the service is reachable"
            )
        sleep(waits.pop(0))


@dataclass
class Summary:
    sent: list[Item] = field(default_factory=list)
    repeated: list[Item] = field(default_factory=list)
    refused: list[Item] = field(default_factory=list)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def sync_now(
    config: StationConfig,
    sessions: sessionmaker[Session],
    target: Target,
    *,
    backoff: Backoff = Backoff(),
    retry_refused: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    echo: Callable[[str], None] = lambda line: None,
) -> Summary:
    """Send every pending run (oldest first), marking each answer as it comes."""
    outbox = Outbox.load(state_path(config))
    evidence = EvidenceStore(config.evidence_dir)
    summary = Summary()
    with sessions() as session:
        todo = [
            i
            for i in items(session, outbox)
            if i.entry is None or (retry_refused and i.entry.state == "refused")
        ]
        for item in todo:
            reply = send(
                target, sync_document(session, item.run_id, evidence), backoff, sleep=sleep
            )
            session.expunge_all()  # one run's traces and files at a time in memory
            if reply.status in (200, 201):
                entry = Entry(item.run_id, "sent", _now(), service_id=int(reply.body["id"]))
                (summary.sent if reply.status == 201 else summary.repeated).append(item)
            elif reply.status in (401, 403):
                raise InputError(
                    f"--token: the QA service refused the bench's token (HTTP {reply.status}: "
                    f"{reply.body.get('detail', '')}); ask an admin for a 'bench' account's token"
                )
            else:
                reason = f"HTTP {reply.status}: {reply.body.get('detail', reply.body)}"
                entry = Entry(item.run_id, "refused", _now(), reason=reason)
                summary.refused.append(item)
            outbox.mark(item.uuid, entry)
            echo(f"run {item.run_id} ({item.uuid}): {entry.state} {entry.reason}".rstrip())
    return summary


def status(config: StationConfig, sessions: sessionmaker[Session]) -> list[Item]:
    """Every run of the store with its sync state (pending, sent, refused)."""
    outbox = Outbox.load(state_path(config))
    with sessions() as session:
        return items(session, outbox)
