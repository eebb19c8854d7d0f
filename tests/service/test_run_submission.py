"""``POST /api/runs`` is one transaction; complaint temperatures accept degC and °C."""

from __future__ import annotations

import base64
import json
from dataclasses import fields
from typing import Any

import numpy as np
import pytest
from documents import complaint_payload, packed, run_document
from service_support import Service
from sqlalchemy import func, select
from starlette.requests import Request

from procedures.records import LimitsRecord, MeasurementRecord
from results import run_import
from results.models import AuditEvent, Measurement, Run, Step, Trace, TraceChannel
from results.verify import verify_store
from service.run_document import LimitsIn, MeasurementIn, RunDocument


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


def _recharge(doc: dict[str, Any]) -> dict[str, Any]:
    trace: dict[str, Any] = doc["steps"][1]["traces"][0]
    return trace


def _traces_stored(svc: Service) -> list[tuple[str, list[tuple[str, str, bytes]]]]:
    with svc.store.sessions() as session:
        return [
            (t.sha256, [(c.name, c.dtype, c.data) for c in t.channels])
            for t in session.scalars(select(Trace).order_by(Trace.id))
        ]


def test_a_packed_trace_is_stored_bit_for_bit_as_the_same_trace_in_numbers(
    service: Service,
) -> None:
    """Awkward doubles (a third, the smallest subnormal, the largest finite, -0.0) sent once as
    JSON numbers and once packed (``f64le_base64``): the same stored bytes and trace hash, and
    ``verify`` passes."""
    number, unit = _unit(service)
    values = [1 / 3, 5e-324, 1.7976931348623157e308, -0.0]
    plain = run_document(unit["id"], unit["serial"], number)
    _recharge(plain)["channels"]["voltage"]["values"] = values
    twin = run_document(unit["id"], unit["serial"], number)
    _recharge(twin)["time_s"] = packed(_recharge(twin)["time_s"])
    _recharge(twin)["channels"] = {
        name: {"unit": channel["unit"], "values": packed(channel["values"])}
        for name, channel in _recharge(plain)["channels"].items()
    }
    for doc in (plain, twin):
        r = service.client.post("/api/runs", json=doc, headers=service.auth("bench-3"))
        assert r.status_code == 201, r.text
    first, second = _traces_stored(service)
    assert first == second
    stored = dict((name, data) for name, _dtype, data in first[1])
    assert stored["voltage"] == np.asarray(values, dtype="<f8").tobytes()
    with service.store.sessions() as session:
        report = verify_store(session, service.settings.evidence_dir)
    assert report.ok, report.problems


@pytest.mark.parametrize(
    ("where", "samples", "said"),
    [
        ("voltage", {"f64le_base64": "not base64!"}, "is not base64"),
        # base64 of a str with a non-ASCII letter raises ValueError, not binascii.Error (a 500
        # until schemathesis sent one)
        ("voltage", {"f64le_base64": "AAAAAAAAéAAAAAAA"}, "is not base64"),
        ("voltage", {"f64le_base64": base64.b64encode(b"\0" * 8).decode()}, "1 samples against 4"),
        ("voltage", {"f64le_base64": base64.b64encode(b"\0" * 28).decode()}, "not a whole number"),
        ("voltage", packed([1.0, float("nan"), 2.0, 3.0]), "NaN or infinite"),
        ("current", packed([1.0, 2.0, float("inf"), 3.0]), "NaN or infinite"),
        ("voltage", packed([1.0, 2.0, 3.0]), "3 samples against 4 time points"),
    ],
)
def test_a_bad_packed_array_is_refused_naming_its_place(
    service: Service, where: str, samples: dict[str, str], said: str
) -> None:
    """What the numbers form refuses (non-finite values, a count that is not the time axis's),
    the packed form refuses too, with the trace channel named; nothing is stored."""
    number, unit = _unit(service)
    doc = run_document(unit["id"], unit["serial"], number)
    _recharge(doc)["channels"][where]["values"] = samples
    before = _counts(service)
    r = service.client.post("/api/runs", json=doc, headers=service.auth("bench-3"))
    assert r.status_code == 422, r.text
    assert said in r.text and f"recharge.{where}" in r.text, r.text
    assert _counts(service) == before


def test_a_valid_run_is_validated_from_its_bytes_in_one_pass(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``JsonBodyRoute``: a valid body is validated by pydantic from its bytes once, never
    parsed by the standard library first (issue #18: that parse cost more than the validation)."""
    number, unit = _unit(service)
    validated: list[int] = []
    parsed: list[int] = []
    own = RunDocument.model_validate_json
    stdlib_json = Request.json

    def counting_validate(data: Any, **kwargs: Any) -> RunDocument:
        validated.append(len(data))
        return own(data, **kwargs)

    async def counting_json(self: Request) -> Any:
        parsed.append(1)
        return await stdlib_json(self)

    monkeypatch.setattr(RunDocument, "model_validate_json", counting_validate)
    monkeypatch.setattr(Request, "json", counting_json)
    doc = run_document(unit["id"], unit["serial"], number)
    r = service.client.post("/api/runs", json=doc, headers=service.auth("bench-3"))
    assert r.status_code == 201, r.text
    assert len(validated) == 1 and not parsed
    shown = service.client.get(r.json()["url"], headers=service.auth("viewer")).json()
    assert [s["name"] for s in shown["steps"]] == [s["name"] for s in doc["steps"]]


@pytest.mark.parametrize("bad", ["nan", "misspelt", "not json"])
def test_a_refused_body_is_named_as_fastapi_names_it(service: Service, bad: str) -> None:
    """A body the one-pass validation refuses is handed back to FastAPI's own parse and
    validation, so the 422 names the offending place as on every other route."""
    number, unit = _unit(service)
    doc = run_document(unit["id"], unit["serial"], number)
    measurement = doc["steps"][0]["measurements"][0]
    if bad == "nan":
        measurement["value"] = float("nan")  # json.dumps writes NaN, which only Python reads
    elif bad == "misspelt":
        measurement["valeu"] = measurement.pop("value")
    body = json.dumps(doc).encode() if bad != "not json" else b'{"unit_id": 1,'
    before = _counts(service)
    r = service.client.post(
        "/api/runs",
        content=body,
        headers=service.auth("bench-3") | {"Content-Type": "application/json"},
    )
    assert r.status_code == 422, r.text
    locs = [e["loc"] for e in r.json()["detail"]]
    expected = {
        "nan": ["body", "steps", 0, "measurements", 0, "value"],
        "misspelt": ["body", "steps", 0, "measurements", 0, "valeu"],
        "not json": ["body", 14],
    }[bad]
    assert expected in locs, locs
    assert _counts(service) == before


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_the_run_import_s_statements_stay_prepared_from_one_submission_to_the_next(
    service: Service,
) -> None:
    """psycopg prepares a statement on its fifth run on a connection and forgets every prepared
    statement at a ROLLBACK. The API's token check before each submission ended in one, so the
    import's statements were parsed and planned anew every time (#18: 4.5 -> 2.5 ms of the
    PostgreSQL backend's CPU per realistic submission once they stay prepared)."""
    number, unit = _unit(service)
    for _ in range(7):
        r = service.client.post(
            "/api/runs",
            json=run_document(unit["id"], unit["serial"], number),
            headers=service.auth("bench-3"),
        )
        assert r.status_code == 201, r.text
    with service.store.engine.connect() as connection:  # the submissions' pooled connection
        prepared = list(
            connection.exec_driver_sql("SELECT statement FROM pg_prepared_statements").scalars()
        )
    assert any(s.startswith("INSERT INTO run ") for s in prepared), prepared
    assert any(s.startswith("SELECT service_token.id") for s in prepared), prepared
