"""``POST /api/runs`` is one transaction; complaint temperatures accept degC and °C."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest
from documents import complaint_payload, run_document
from service_support import Service
from sqlalchemy import func, select

from procedures.records import LimitsRecord, MeasurementRecord
from results import run_import
from results.models import AuditEvent, Measurement, Run, Step, Trace, TraceChannel
from results.verify import verify_store
from service.run_document import LimitsIn, MeasurementIn


def _unit(svc: Service) -> tuple[str, dict[str, Any]]:
    r = svc.client.post("/api/complaints", json=complaint_payload(), headers=svc.auth("wang.wei"))
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    r = svc.client.post(
        f"/api/complaints/{number}/units",
        json={"serial": "SN-0001", "received_at": "2026-03-02T01:30:00Z"},
        headers=svc.auth("wang.wei"),
    )
    assert r.status_code == 201, r.text
    return number, r.json()


def _counts(svc: Service) -> dict[str, int]:
    with svc.store.sessions() as session:
        return {
            m.__name__: session.scalar(select(func.count()).select_from(m)) or 0
            for m in (Run, Step, Measurement, Trace, TraceChannel, AuditEvent)
        }


def test_a_database_failure_half_way_leaves_no_run(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The trace of the second step has a NULL in a NOT NULL column: refused only by the
    database, at INSERT time, after the first step and its measurements were written."""
    number, unit = _unit(service)
    before = _counts(service)
    original = run_import.trace_rows_of
    broken: list[str] = []

    def trace_rows_with_a_null(trace: Any) -> Any:
        sha, meta, channels = original(trace)
        channels[-1]["data"] = None
        broken.append(trace.name)
        return sha, meta, channels

    monkeypatch.setattr(run_import, "trace_rows_of", trace_rows_with_a_null)
    r = service.client.post(
        "/api/runs",
        json=run_document(unit["id"], unit["serial"], number),
        headers=service.auth("bench-3"),
    )
    assert broken == ["recharge"], "the injected failure never ran"
    assert r.status_code == 409, r.text
    assert _counts(service) == before
    monkeypatch.undo()
    r = service.client.post(
        "/api/runs",
        json=run_document(unit["id"], unit["serial"], number),
        headers=service.auth("bench-3"),
    )
    assert r.status_code == 201, r.text
    after = _counts(service)
    assert (after["Run"], after["Step"], after["Trace"]) == (1, 2, 1)
    with service.store.sessions() as session:
        report = verify_store(session, service.settings.evidence_dir)
    assert report.ok, report.problems


@pytest.mark.parametrize(
    ("text", "celsius"), [("35 degC", 35.0), ("35 °C", 35.0), ("35°C", 35.0), (" -5.5 degC ", -5.5)]
)
def test_complaint_temperature_in_celsius_is_accepted(
    service: Service, text: str, celsius: float
) -> None:
    r = service.client.post(
        "/api/complaints",
        json=complaint_payload(usage_temperature=text),
        headers=service.auth("wang.wei"),
    )
    assert r.status_code == 201, r.text
    assert r.json()["usage_temperature_c"] == pytest.approx(celsius)


@pytest.mark.parametrize("text", ["35 A", "35 V", "warm", "35 degC * 2"])
def test_complaint_temperature_in_another_unit_is_422_naming_the_field(
    service: Service, text: str
) -> None:
    r = service.client.post(
        "/api/complaints",
        json=complaint_payload(usage_temperature=text),
        headers=service.auth("wang.wei"),
    )
    assert r.status_code == 422, r.text
    body = r.json()
    named = body.get("field") or str(body.get("detail"))
    assert "usage_temperature" in named, body


def test_the_measurement_schema_of_the_api_is_the_record() -> None:
    """A field added to ``MeasurementRecord`` must be accepted by the API too (and no other)."""
    assert set(MeasurementIn.model_fields) == {f.name for f in fields(MeasurementRecord)}
    assert set(LimitsIn.model_fields) == {f.name for f in fields(LimitsRecord)}


@pytest.mark.parametrize("text", ["warm", "35 degC * 2", "10**10**10 degC"])
def test_unreadable_complaint_temperature_is_refused_with_the_fix(
    service: Service, text: str
) -> None:
    r = service.client.post(
        "/api/complaints",
        json=complaint_payload(usage_temperature=text),
        headers=service.auth("wang.wei"),
    )
    assert r.status_code == 422, r.text
    (error,) = r.json()["detail"]
    assert error["loc"] == ["body", "usage_temperature"]
    assert error["msg"] == f"{text!r} is not a quantity; write it like '25 degC'"
