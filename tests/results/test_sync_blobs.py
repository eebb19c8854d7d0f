"""Staged blobs shared by several benches' runs: uploads that meet, and the sweep (#18)."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

import pytest

from results.integrity import sha256_hex
from results.sync_blobs import (
    KEEP_PART_S,
    KEEP_WHOLE_S,
    LOCKS,
    STAGING,
    BlobStage,
    OffsetMismatch,
)

UPLOADERS = 6
BLOBS = 20


def _blobs() -> list[bytes]:
    """Time axes of 8,000 samples at 20 sampling steps: each the same bytes in every run of
    that length and step."""
    return [
        b"".join(int(i * step).to_bytes(8, "little") for i in range(8000))
        for step in range(1, BLOBS + 1)
    ]


def _upload(root: str, start: Any, chunk: int) -> list[str]:
    """One bench's uploads of the blobs, as ``bench.sync.upload`` goes on after a 409: from the
    offset the service reports."""
    stage = BlobStage(root)
    start.wait()
    answers = []
    for data in _blobs():
        sha, offset = sha256_hex(data), 0
        while True:
            try:
                state = stage.append(
                    sha, offset=offset, total=len(data), data=data[offset : offset + chunk]
                )
            except OffsetMismatch as exc:
                offset = exc.expected
                continue
            if state.complete:
                answers.append("complete")
                break
            offset = state.received
    return answers


@pytest.mark.parametrize("chunk", [64_000, 4096], ids=["one chunk", "in chunks"])
def test_benches_uploading_the_same_blobs_at_once_leave_them_whole(
    tmp_path: Path, chunk: int
) -> None:
    """Without a blob's lock, two uploads at one offset both appended their bytes to its
    partial file: the blob was refused as not matching its name, or kept twice its size, or
    its rename failed (HTTP 500); and runs naming it were refused. The uploads in chunks fail
    reliably without the lock; a whole blob in one chunk is written so fast that they may not
    meet, so that case checks only that the later uploads are acknowledged as whole."""
    context = multiprocessing.get_context("spawn")  # as uvicorn's worker processes
    with context.Manager() as manager, context.Pool(UPLOADERS) as pool:
        start = manager.Event()
        answers = pool.starmap_async(_upload, [(str(tmp_path), start, chunk)] * UPLOADERS)
        time.sleep(0.5)  # every process started and waiting
        start.set()
        assert answers.get(timeout=120) == [["complete"] * BLOBS] * UPLOADERS
    for data in _blobs():
        assert BlobStage(tmp_path).read(sha256_hex(data)) == data
    assert not list((tmp_path / STAGING).glob("*.part"))


def _staged(tmp_path: Path) -> set[str]:
    return {p.name for p in (tmp_path / STAGING).iterdir() if p.name != LOCKS}


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_blob_stays_after_a_run_used_it_until_left_alone_for_an_hour(tmp_path: Path) -> None:
    """Another bench may have been told a blob is here and be about to post a run naming it:
    the blob stays while benches ask about it, and goes once left alone for KEEP_WHOLE_S."""
    stage = BlobStage(tmp_path)
    used, asked, idle = (bytes([n]) * 100 for n in (1, 2, 3))
    for data in (used, asked, idle):
        stage.append(sha256_hex(data), offset=0, total=len(data), data=data)
    assert stage.read(sha256_hex(used)) == used  # a run recorded with it
    for data in (used, asked, idle):
        _age(tmp_path / STAGING / sha256_hex(data), KEEP_WHOLE_S + 60)
    # a bench asks: that blob's hour starts again, and the service sweeps (its first question)
    assert stage.state(sha256_hex(asked)).complete
    assert _staged(tmp_path) == {sha256_hex(asked)}
    assert stage.sweep() == 0
    assert stage.sweep(now=time.time() + KEEP_WHOLE_S + 60) == 1
    assert _staged(tmp_path) == set()


def test_a_partial_upload_waits_a_week_for_its_bench(tmp_path: Path) -> None:
    stage = BlobStage(tmp_path)
    data = bytes(range(200))
    sha = sha256_hex(data)
    stage.append(sha, offset=0, total=len(data), data=data[:50])
    part = tmp_path / STAGING / f"{sha}.part"
    _age(part, KEEP_WHOLE_S + 60)
    assert stage.sweep() == 0
    assert stage.append(sha, offset=50, total=len(data), data=data[50:]).complete
    stage.append(sha256_hex(b"x" * 9), offset=0, total=9, data=b"x" * 3)
    stray = tmp_path / STAGING / ("not a digest" + "z" * 52)  # not the stage's: left alone
    stray.write_bytes(b"")
    assert stage.sweep(now=time.time() + KEEP_PART_S + 60) == 2
    assert _staged(tmp_path) == {stray.name}


def test_the_service_sweeps_at_most_every_ten_minutes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stage = BlobStage(tmp_path)
    old, new = b"old" * 10, b"new" * 10
    stage.append(sha256_hex(old), offset=0, total=len(old), data=old)
    _age(tmp_path / STAGING / sha256_hex(old), KEEP_WHOLE_S + 60)
    stage.state(sha256_hex(new))  # the first question of this process sweeps
    assert _staged(tmp_path) == set()
    stage.append(sha256_hex(old), offset=0, total=len(old), data=old)
    _age(tmp_path / STAGING / sha256_hex(old), KEEP_WHOLE_S + 60)
    stage.state(sha256_hex(new))
    assert _staged(tmp_path) == {sha256_hex(old)}  # swept a moment ago: not again yet
    clock = time.monotonic() + 601
    monkeypatch.setattr("results.sync_blobs.time.monotonic", lambda: clock)
    stage.state(sha256_hex(new))
    assert _staged(tmp_path) == set()
