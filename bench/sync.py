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
import queue
import tempfile
import threading
import time
from collections.abc import Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any, Literal
from urllib.parse import SplitResult, urlsplit

import pybase64
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bench.config import StationConfig
from bench.errors import EXIT_STORE, BenchError, InputError
from results.attachments import EvidenceStore
from results.db import read_session_factory
from results.models import Run, RunStatus
from results.run_transfer import (
    BLOB_FROM_BYTES,
    INLINE_BLOB_BYTES,
    MAX_CARRIED_BLOBS,
    SyncParts,
    run_uuid,
    sync_parts_of,
)

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
        self.mark_all({uuid: entry})

    def mark_all(self, answers: dict[str, Entry]) -> None:
        """Record a batch's answers with one write of the file: the file holds every run ever
        sent, so a write per run made a backlog of n runs write O(n**2) bytes. Losing a batch's
        marks in a crash costs repeats the service acknowledges, never a duplicate."""
        if not answers:
            return
        self.entries.update(answers)
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


_LINKS = threading.local()
"""This thread's open connections, by (scheme, host:port): one per uploading thread."""


def _connection(parts: SplitResult, timeout: float) -> tuple[http.client.HTTPConnection, bool]:
    """(this thread's kept-alive connection to the service, whether it is new)."""
    pool: dict[tuple[str, str], http.client.HTTPConnection] = _LINKS.__dict__.setdefault("pool", {})
    key = (parts.scheme, parts.netloc)
    connection = pool.get(key)
    fresh = connection is None
    if connection is None:
        kind = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = kind(parts.hostname or "localhost", parts.port, timeout=timeout)
        pool[key] = connection
    connection.timeout = timeout
    if connection.sock is not None:
        connection.sock.settimeout(timeout)
    return connection, fresh


def _drop(parts: SplitResult) -> None:
    pool: dict[tuple[str, str], http.client.HTTPConnection] = _LINKS.__dict__.get("pool", {})
    connection = pool.pop((parts.scheme, parts.netloc), None)
    if connection is not None:
        connection.close()


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

    The connection is kept open for the thread's next request (a new TCP connection, and with
    HTTPS a handshake, per request was most of a small run's sync). A kept connection the
    service has closed meanwhile (idle timeout, restart) fails before any answer: the request is
    sent once more on a new connection at once. Sending twice is harmless here: every request
    of the sync is idempotent (runs by UUID, blob chunks by offset, state queries). A service
    that dies after its headers leaves a reply shorter than it announced
    (``http.client.IncompleteRead``, not an ``OSError``): that is a dead link as well, so that
    the caller retries it instead of ending the sync with a software error.
    """
    parts = urlsplit(target.url.rstrip("/") + path)
    where = parts.path + (f"?{parts.query}" if parts.query else "")
    sent = {"Authorization": f"Bearer {target.token}"} | (headers or {})
    while True:
        connection, fresh = _connection(parts, timeout)
        try:
            connection.request(method, where, body=data, headers=sent)
            answer = connection.getresponse()
            raw = answer.read()
        except OSError:
            _drop(parts)
            if fresh:
                raise
            continue
        except http.client.HTTPException as exc:
            _drop(parts)
            if fresh:
                raise ConnectionError(f"the reply was cut short ({exc!r})") from exc
            continue
        if answer.will_close:
            _drop(parts)
        return Reply(answer.status, _json(raw, answer.reason), dict(answer.headers.items()))


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


BATCH_RUNS = 50
"""Runs per ``POST /api/sync/runs/batch``: a backlog of small runs drains without a request
(and a transaction's fixed costs on the service) per run."""
BATCH_BYTES = 8 * 1024 * 1024
"""A batch ends early at this many bytes of documents and blobs: one big run goes alone."""
READ_RUNS = 16
"""Runs read back from the store together (one statement per table for all of them): reading
a realistic run alone cost a dozen statements' building and running, a quarter of the bench's
CPU per synced run. Fewer when runs are big (``_read_chunk``)."""


def _read_chunk(bytes_read: int, runs_read: int, batch_runs: int) -> int:
    """How many runs to read next: ``READ_RUNS`` (at most a batch) when the runs read so far
    would fit ``BATCH_BYTES`` that many at a time, fewer for big runs, one to begin with (so a
    store of big runs never holds more than a batch's worth in memory)."""
    if runs_read == 0:
        return 1
    fits = BATCH_BYTES // max(1, bytes_read // runs_read)
    return max(1, min(READ_RUNS, max(1, batch_runs), fits))


@dataclass(frozen=True)
class Prepared:
    """A pending run ready to send: its parts and its document already encoded."""

    item: Item
    parts: SyncParts
    body: bytes


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
    batch_runs: int = BATCH_RUNS,
) -> Summary:
    """Send every pending run (oldest first) in batches of ``batch_runs``, marking the answers
    of each batch as they come.

    A batch's trace arrays and files of ``inline_below`` bytes or more travel as blobs: those
    the service lacks go inside the batch's request when small (``_deliver_batch``), else are
    uploaded first in ``chunk_bytes`` chunks (``upload``); then its run documents, in one
    request.
    Batches go one after another, in the store's order, and the service records a batch's runs
    in order: a complaint or unit registered at the bench still arrives with (and so before)
    its first run. Meanwhile a reader thread reads and encodes the next batch from the store.
    A service without the batch route gets the runs one request each.
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
    batches = _prepared(sessions, evidence, todo, inline_below, batch_runs)
    one_by_one = batch_runs <= 1
    inline = True
    try:
        for batch in batches:
            replies = None
            if not one_by_one:
                replies = _deliver_batch(link, batch, chunk_bytes, echo, inline=inline)
            if replies is NO_INLINE_BLOBS:
                inline = False
                replies = _deliver_batch(link, batch, chunk_bytes, echo, inline=False)
            if replies is NO_BATCH_ROUTE:
                one_by_one = True
            if isinstance(replies, list):
                done = [r.item for r in batch]
                _answered(outbox, summary, list(zip(done, replies, strict=True)), echo)
                continue
            for ready in batch:  # marked one at a time, as each answer comes
                reply = _authorised(_deliver(link, ready.parts, chunk_bytes, echo))
                _answered(outbox, summary, [(ready.item, reply)], echo)
    finally:
        batches.close()
    return summary


def _answered(
    outbox: Outbox, summary: Summary, answers: list[tuple[Item, Reply]], echo: Callable[[str], None]
) -> None:
    """Record the service's answers to some runs (one write of the state file), then say them."""
    entries: dict[str, Entry] = {}
    for item, reply in answers:
        if reply.status in (200, 201):
            entry = Entry(item.run_id, "sent", _now(), service_id=int(reply.body["id"]))
            (summary.sent if reply.status == 201 else summary.repeated).append(item)
        else:
            reason = f"HTTP {reply.status}: {reply.body.get('detail', reply.body)}"
            entry = Entry(item.run_id, "refused", _now(), reason=reason)
            summary.refused.append(item)
        entries[item.uuid] = entry
    outbox.mark_all(entries)
    for item, _reply in answers:
        entry = entries[item.uuid]
        echo(f"run {item.run_id} ({item.uuid}): {entry.state} {entry.reason}".rstrip())


def _prepared(
    sessions: sessionmaker[Session],
    evidence: EvidenceStore,
    todo: list[Item],
    inline_below: int,
    batch_runs: int,
) -> Generator[list[Prepared], None, None]:
    """The pending runs in batches, read and encoded by a thread of their own one or two
    batches ahead of the sending (reading a run back and encoding it costs as much as the
    service's recording of it: overlapped, neither waits for the other). Each chunk of runs
    (``_read_chunk``) is read in a short read-only transaction (``read_session_factory``: on
    SQLite a deferred ``BEGIN``), so a sync never holds the store's write lock that a run
    recording meanwhile on this bench needs. Closing the generator stops the reader."""
    ready: queue.Queue[list[Prepared] | BaseException | None] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def hand_over(value: list[Prepared] | BaseException | None) -> None:
        while not stop.is_set():
            try:
                ready.put(value, timeout=0.1)
                return
            except queue.Full:
                continue

    bind = sessions.kw.get("bind")
    reads = read_session_factory(bind) if isinstance(bind, Engine) else sessions

    def read() -> None:
        try:
            batch: list[Prepared] = []
            size = read_bytes = done = 0
            while done < len(todo):
                if stop.is_set():
                    return
                chunk = todo[done : done + _read_chunk(read_bytes, done, batch_runs)]
                with reads() as session:
                    read_parts = sync_parts_of(
                        session, [i.run_id for i in chunk], evidence, from_bytes=inline_below
                    )
                done += len(chunk)
                for item, parts in zip(chunk, read_parts, strict=True):
                    body = json.dumps(parts.document).encode()
                    batch.append(Prepared(item, parts, body))
                    run_bytes = len(body) + sum(len(b) for b in parts.blobs.values())
                    size += run_bytes
                    read_bytes += run_bytes
                    if len(batch) >= max(1, batch_runs) or size >= BATCH_BYTES:
                        hand_over(batch)
                        batch, size = [], 0
            if batch:
                hand_over(batch)
            hand_over(None)
        except BaseException as exc:  # handed to the sender, which raises it
            hand_over(exc)

    reader = threading.Thread(target=read, name="sync-reader", daemon=True)
    reader.start()
    try:
        while True:
            got = ready.get()
            if got is None:
                return
            if isinstance(got, BaseException):
                raise got
            yield got
    finally:
        stop.set()
        reader.join()


NO_BATCH_ROUTE = "no batch route"
"""``_deliver_batch``'s answer from a service older than the batch route."""
NO_INLINE_BLOBS = "no inline blobs"
"""``_deliver_batch``'s answer when the service refused the blobs a batch carried (a service
older than the batch's ``blobs`` refuses the key; or it found a blob's bytes wrong): the batch
goes again with its blobs uploaded apart, and so do the rest of this sync's."""


def _deliver_batch(
    link: Link,
    batch: list[Prepared],
    chunk_bytes: int,
    echo: Callable[[str], None],
    *,
    inline: bool = True,
) -> list[Reply] | str | None:
    """Post a batch's documents in one request, with the blobs the service lacks; one reply
    per run, as the service would have answered each alone.

    With ``inline``, a missing blob of at most ``INLINE_BLOB_BYTES`` (and one chunk) of which
    the service holds nothing yet travels inside the batch request (``MAX_CARRIED_BLOBS`` of
    them at most); the others are uploaded
    first, each in requests of its own (``upload``: chunked, resumable). A run answered 409 (a
    blob gone from the service since) goes again alone through ``_deliver``, which uploads what
    is missing. ``NO_BATCH_ROUTE``: the service is older than the batch route (the runs go one
    request each from now on); ``NO_INLINE_BLOBS``: it refused the blobs carried; ``None``:
    it refused the batch as a whole (e.g. one document it cannot read): its runs go one request
    each, so only a bad run is refused."""
    blobs = {sha: data for ready in batch for sha, data in ready.parts.blobs.items()}
    missing = _missing(link, blobs)
    small = (
        sha
        for sha, received in missing.items()
        if inline and received == 0 and len(blobs[sha]) <= min(INLINE_BLOB_BYTES, chunk_bytes)
    )
    carried = {sha: blobs[sha] for sha in islice(small, MAX_CARRIED_BLOBS)}
    _upload(link, blobs, {s: r for s, r in missing.items() if s not in carried}, chunk_bytes, echo)
    body = b'{"runs":[' + b",".join(r.body for r in batch) + b"]"
    if carried:
        encoded = {sha: pybase64.b64encode(data).decode("ascii") for sha, data in carried.items()}
        body += b',"blobs":' + json.dumps(encoded).encode()
    reply = _authorised(
        link.call(
            "POST",
            "/api/sync/runs/batch",
            data=body + b"}",
            headers={"Content-Type": "application/json"},
        )
    )
    if reply.status in (404, 405):
        return NO_BATCH_ROUTE
    if reply.status == 422 and carried and _refuses_blobs(reply):
        return NO_INLINE_BLOBS
    answers = reply.body.get("runs")
    if reply.status != 200 or not isinstance(answers, list) or len(answers) != len(batch):
        return None
    replies = [Reply(int(a.get("status", 0)), a) for a in answers]
    return [
        _authorised(_deliver(link, ready.parts, chunk_bytes, echo)) if r.status == 409 else r
        for ready, r in zip(batch, replies, strict=True)
    ]


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


def _refuses_blobs(reply: Reply) -> bool:
    """The service's 422 is about the batch's ``blobs`` (the key unknown to it, or a blob's
    bytes not matching its name), not about a run."""
    if str(reply.body.get("field", "")).startswith("blobs"):
        return True
    detail = reply.body.get("detail")
    return isinstance(detail, list) and any(
        isinstance(error, dict) and list(error.get("loc", []))[1:2] == ["blobs"] for error in detail
    )


def _upload_missing(
    link: Link, blobs: dict[str, bytes], chunk_bytes: int, echo: Callable[[str], None]
) -> None:
    """Upload the blobs the service lacks (``UPLOADS_AT_ONCE`` side by side)."""
    _upload(link, blobs, _missing(link, blobs), chunk_bytes, echo)


def _upload(
    link: Link,
    blobs: dict[str, bytes],
    missing: dict[str, int],
    chunk_bytes: int,
    echo: Callable[[str], None],
) -> None:
    """Upload ``missing`` (sha -> bytes the service holds) of ``blobs``, side by side."""
    if not missing:
        return
    with ThreadPoolExecutor(UPLOADS_AT_ONCE) as pool:
        sent = [
            pool.submit(
                upload,
                link,
                sha,
                blobs[sha],
                chunk_bytes=chunk_bytes,
                echo=echo,
                received=received,
            )
            for sha, received in missing.items()
        ]
        for future in sent:
            future.result()  # the first failure (link down after every retry) is raised


def _deliver(link: Link, parts: SyncParts, chunk_bytes: int, echo: Callable[[str], None]) -> Reply:
    """Upload the run's blobs, then its document; a 409 (a blob gone from the service since,
    e.g. cleaned up) uploads the missing ones again, once."""
    for attempt in range(2):
        _upload_missing(link, parts.blobs, chunk_bytes, echo)
        reply = link.post_run(parts.document)
        if reply.status != 409 or attempt:
            return reply
    return reply


def status(config: StationConfig, sessions: sessionmaker[Session]) -> list[Item]:
    """Every run of the store with its sync state (pending, sent, refused)."""
    outbox = Outbox.load(state_path(config))
    with sessions() as session:
        return items(session, outbox)
