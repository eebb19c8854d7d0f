"""``import_run``: a finished run written whole in the caller's transaction, or not at all."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from store_builders import PNG_BYTES, outcome, register, run_info, step

from results import run_import
from results.attachments import EvidenceStore
from results.audit import history
from results.errors import ValidationError
from results.models import Attachment, AuditEvent, Measurement, Run, RunStatus, Step, Trace
from results.readback import load_run
from results.verify import verify_store

_COUNTED = (Run, Step, Measurement, Trace, Attachment, AuditEvent)


def _counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return {
            m.__name__: session.scalar(select(func.count()).select_from(m)) or 0 for m in _COUNTED
        }


def test_imported_run_reads_back_and_verifies(
    sessions: sessionmaker[Session], evidence_dir: Path
) -> None:
    _complaint_id, number, unit_id = register(sessions)
    evidence = EvidenceStore(evidence_dir)
    info = run_info(complaint_number=number)
    steps = [
        step(0, n_measurements=5),
        step(1, samples=501, attachments=[("photo.png", PNG_BYTES)]),
        step(2, n_measurements=0),
    ]
    steps[1].traces[0].channels["voltage"][0][3] = np.nan
    with sessions.begin() as session:
        run_id = run_import.import_run(
            session, info, steps, outcome(), unit_id=unit_id, evidence=evidence
        )
    with sessions() as session:
        back = load_run(session, run_id, evidence=evidence)
        report = verify_store(session, evidence_dir)
        actions = [e.action for e in history(session, "run", run_id)]
        run = session.get(Run, run_id)
        assert run is not None and run.steps_recorded == 3
    assert report.ok, report.problems
    assert report.sealed_runs == 1 and report.steps == 3 and report.measurements == 10
    assert actions == ["run.started", "run.finished"]
    assert back.status is RunStatus.FINISHED and back.info == info and back.outcome == outcome()
    for original, stored in zip(steps, back.steps, strict=True):
        assert dataclasses.replace(stored, traces=[]) == dataclasses.replace(original, traces=[])
        for t_orig, t_back in zip(original.traces, stored.traces, strict=True):
            assert t_back.time_s.tobytes() == t_orig.time_s.tobytes()


def test_failure_after_the_steps_leaves_nothing(
    sessions: sessionmaker[Session], evidence_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _complaint_id, number, unit_id = register(sessions)
    before = _counts(sessions)
    sealed: list[int] = []

    def failing_seal(session: Session, run_id: int, *args: Any, **kwargs: Any) -> None:
        # Every step, measurement and trace is in the transaction by now.
        assert session.scalar(select(func.count()).select_from(Step)) == before["Step"] + 2
        sealed.append(run_id)
        raise RuntimeError("database went away while sealing")

    monkeypatch.setattr(run_import, "seal_steps", failing_seal)
    with pytest.raises(RuntimeError, match="went away"), sessions.begin() as session:
        run_import.import_run(
            session,
            run_info(complaint_number=number),
            [step(0), step(1, samples=50)],
            outcome(),
            unit_id=unit_id,
            evidence=EvidenceStore(evidence_dir),
        )
    assert sealed, "the injected failure never ran"
    assert _counts(sessions) == before
    with sessions() as session:
        assert verify_store(session, evidence_dir).ok


def test_refusals_write_nothing(sessions: sessionmaker[Session], evidence_dir: Path) -> None:
    _complaint_id, number, unit_id = register(sessions)
    before = _counts(sessions)
    cases = [
        (run_info(serial="SN-OTHER", complaint_number=number), [step(0)], "unit_serial"),
        (run_info(complaint_number="2026-999"), [step(0)], "complaint_number"),
        (run_info(complaint_number=number), [step(0), step(0)], "steps"),
    ]
    for info, steps, field in cases:
        with pytest.raises(ValidationError) as caught, sessions.begin() as session:
            run_import.import_run(session, info, steps, outcome(), unit_id=unit_id)
        assert caught.value.field == field
    assert _counts(sessions) == before
