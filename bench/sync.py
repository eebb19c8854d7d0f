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

import http.client
import json
import os
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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
from results.run_transfer import BLOB_FROM_BYTES, SyncParts, run_uuid, sync_parts

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
    headers: dict[str, str] = field(default_factory=dict)


def request(
    target: Target,
    method: str,
    path: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float,
) -> Reply:
    """One HTTP request; an HTTP error status is a reply, a dead link raises ``OSError``.

    A service that dies after its headers leaves a reply shorter than it announced
    (``http.client.IncompleteRead``, not an ``OSError``): that is a dead link as well, so that
    the caller retries it instead of ending the sync with a software error."""
    call = urllib.request.Request(
        target.url.rstrip("/") + path,
        data=data,
        headers={"Authorization": f"Bearer {target.token}"} | (headers or {}),
        method=method,
    )
    try:
        with urllib.request.urlopen(call, timeout=timeout) as answer:
            raw = answer.read()
            return Reply(answer.status, _json(raw), dict(answer.headers.items()))
    except urllib.error.HTTPError as exc:
        try:
            return Reply(exc.code, _json(exc.read(), exc.reason), dict(exc.headers.items()))
        except http.client.HTTPException as cut:
            raise ConnectionError(f"the reply was cut short ({cut!r})") from cut
    except http.client.HTTPException as exc:
        raise ConnectionError(f"the reply was cut short ({exc!r})") from exc


def _json(raw: bytes, reason: str = "") -> dict[str, Any]:
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return {"detail": reason or raw[:200].decode("utf-8", "replace")}
    return body if isinstance(body, dict) else {"detail": str(body)}


def post(target: Target, path: str, payload: dict[str, Any], *, timeout: float) -> Reply:
    """One JSON POST (see ``request``)."""
    return request(
        target,
        "POST",
        path,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        timeout=timeout,
    )


@dataclass
class Link:
    """Requests to one service with retries: a dead link or a "not now" answer is tried again
    after the backoff's waits; after the last ``ServiceUnreachable``, the run stays pending."""

    target: Target
    backoff: Backoff = Backoff()
    sleep: Callable[[float], None] = time.sleep
    timeout: float = 60.0

    def call(
        self,
        method: str,
        path: str,
        *,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        waits = self.backoff.waits()
        while True:
            try:
                reply = request(
                    self.target, method, path, data=data, headers=headers, timeout=self.timeout
                )
                if reply.status not in RETRY_STATUSES:
                    return reply
                problem = f"HTTP {reply.status}: {reply.body.get('detail', '')}"
            except OSError as exc:
                problem = str(getattr(exc, "reason", None) or exc)
            if not waits:
                raise ServiceUnreachable(
                    f"the QA service at {self.target.url} did not take the run ({problem}); it "
                    "stays pending: run 'packbench sync' again when the service is reachable"
                )
            self.sleep(waits.pop(0))

    def post_run(self, payload: dict[str, Any]) -> Reply:
        return self.call(
            "POST",
            "/api/sync/runs",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )


def send(
    target: Target,
    payload: dict[str, Any],
    backoff: Backoff,
    *,
    sleep: Callable[[float], None] = time.sleep,
    timeout: float = 60.0,
) -> Reply:
    """POST one run document with retries (``Link``); ``ServiceUnreachable`` at last."""
    return Link(target, backoff, sleep, timeout).post_run(payload)


CHUNK_BYTES = 4 * 1024 * 1024


class UploadRefused(BenchError):
    """The service would not take a blob (a refusal, not a dead link)."""

    exit_code = EXIT_STORE


def _authorised(reply: Reply) -> Reply:
    """The reply, unless it says the token may not do this (no retry can change that)."""
    if reply.status in (401, 403):
        raise InputError(
            f"--token: the QA service refused the bench's token (HTTP {reply.status}: "
            f"{reply.body.get('detail', '')}); ask an admin for a 'bench' account's token"
        )
    return reply


def _offset(reply: Reply) -> int:
    value = {k.lower(): v for k, v in reply.headers.items()}.get("upload-offset", "0")
    return int(value) if value.isdigit() else 0


def upload(
    link: Link,
    sha: str,
    data: bytes,
    *,
    chunk_bytes: int = CHUNK_BYTES,
    echo: Callable[[str], None] = lambda line: None,
    received: int | None = None,
) -> int:
    """Make sure the service holds blob ``sha``; return how many bytes had to be sent.

    ``HEAD`` first (unless ``received`` already says where the service's copy ends): a blob
    already whole is skipped, a partial one resumes where it ends. A chunk whose answer was lost
    is sent again; the service answers 409 with where the blob ends now, and the upload goes on
    from there.
    """
    path = f"/api/sync/blobs/{sha}"
    if received is None:
        head = _authorised(link.call("HEAD", path))
        if head.status == 200:
            return 0
        received = _offset(head)
    elif received >= len(data):
        return 0
    offset = received
    if offset:
        echo(f"blob {sha}: resuming at byte {offset} of {len(data)}")
    sent = 0
    restarts = 0
    while True:
        piece = data[offset : offset + chunk_bytes]
        reply = link.call(
            "PUT",
            path,
            data=piece,
            headers={
                "Content-Type": "application/octet-stream",
                "Upload-Offset": str(offset),
                "Upload-Length": str(len(data)),
            },
        )
        if reply.status == 201:
            return sent + len(piece)
        if reply.status == 202:
            sent += len(piece)
            offset = _offset(reply)
            continue
        if reply.status == 409:  # an earlier answer was lost: the service says where it is
            head = link.call("HEAD", path)
            if head.status == 200:
                return sent
            offset = _offset(head)
            continue
        _authorised(reply)
        restarts += 1
        if reply.status == 422 and restarts < 3:  # bytes damaged on the way: from the start
            offset = 0
            continue
        raise UploadRefused(
            f"the QA service refused blob {sha} (HTTP {reply.status}: "
            f"{reply.body.get('detail', '')})"
        )


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
    inline_below: int = BLOB_FROM_BYTES,
    chunk_bytes: int = CHUNK_BYTES,
) -> Summary:
    """Send every pending run (oldest first), marking each answer as it comes.

    A run's trace arrays and files of ``inline_below`` bytes or more are uploaded first, each
    as a blob in ``chunk_bytes`` chunks (``upload``); then the run document that names them.
    """
    outbox = Outbox.load(state_path(config))
    link = Link(target, backoff, sleep)
    evidence = EvidenceStore(config.evidence_dir)
    summary = Summary()
    with sessions() as session:
        todo = [
            i
            for i in items(session, outbox)
            if i.entry is None or (retry_refused and i.entry.state == "refused")
        ]
        for item in todo:
            parts = sync_parts(session, item.run_id, evidence, from_bytes=inline_below)
            session.expunge_all()  # one run's traces and files at a time in memory
            reply = _authorised(_deliver(link, parts, chunk_bytes, echo))
            if reply.status in (200, 201):
                entry = Entry(item.run_id, "sent", _now(), service_id=int(reply.body["id"]))
                (summary.sent if reply.status == 201 else summary.repeated).append(item)
            else:
                reason = f"HTTP {reply.status}: {reply.body.get('detail', reply.body)}"
                entry = Entry(item.run_id, "refused", _now(), reason=reason)
                summary.refused.append(item)
            outbox.mark(item.uuid, entry)
            echo(f"run {item.run_id} ({item.uuid}): {entry.state} {entry.reason}".rstrip())
    return summary


UPLOADS_AT_ONCE = 4
"""Blobs sent side by side: each request's fixed cost (auth, fsync) overlaps the others'."""


def _missing(link: Link, blobs: dict[str, bytes]) -> dict[str, int]:
    """The blobs the service lacks, with how many bytes of each it has (one request)."""
    if not blobs:
        return {}
    reply = _authorised(
        link.call(
            "POST",
            "/api/sync/blobs/state",
            data=json.dumps({"sha256": sorted(blobs)}).encode(),
            headers={"Content-Type": "application/json"},
        )
    )
    if reply.status != 200:
        raise UploadRefused(
            f"the QA service did not say which blobs it holds (HTTP {reply.status}: "
            f"{reply.body.get('detail', '')})"
        )
    states = reply.body.get("blobs", {})
    return {
        sha: int(states.get(sha, {}).get("received", 0))
        for sha in blobs
        if not states.get(sha, {}).get("complete", False)
    }


def _deliver(link: Link, parts: SyncParts, chunk_bytes: int, echo: Callable[[str], None]) -> Reply:
    """Upload the run's blobs, then its document; a 409 (a blob gone from the service since,
    e.g. cleaned up) uploads the missing ones again, once."""
    for attempt in range(2):
        missing = _missing(link, parts.blobs)
        with ThreadPoolExecutor(UPLOADS_AT_ONCE) as pool:
            sent = [
                pool.submit(
                    upload,
                    link,
                    sha,
                    parts.blobs[sha],
                    chunk_bytes=chunk_bytes,
                    echo=echo,
                    received=received,
                )
                for sha, received in missing.items()
            ]
            for future in sent:
                future.result()  # the first failure (link down after every retry) is raised
        reply = link.post_run(parts.document)
        if reply.status != 409 or attempt:
            return reply
    return reply


def status(config: StationConfig, sessions: sessionmaker[Session]) -> list[Item]:
    """Every run of the store with its sync state (pending, sent, refused)."""
    outbox = Outbox.load(state_path(config))
    with sessions() as session:
        return items(session, outbox)
