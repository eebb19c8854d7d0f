"""The API refuses what it cannot honour: unknown JSON keys, unknown query values, unknown
product models (the CLI's own check), each 422 naming the key or parameter."""

from __future__ import annotations

from typing import Any

import pytest
from documents import complaint_payload
from service_support import Service

from results.errors import ValidationError
from results.product_models import check_product_model, known_models


def _json_objects(schema: Any, components: dict[str, Any], seen: set[str]) -> Any:
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if ref is not None:
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                yield from _json_objects(components[name], components, seen)
            return
        if schema.get("type") == "object" and "properties" in schema:
            yield schema
        for value in schema.values():
            yield from _json_objects(value, components, seen)
    elif isinstance(schema, list):
        for value in schema:
            yield from _json_objects(value, components, seen)


def test_every_json_body_of_the_api_forbids_unknown_keys(service: Service) -> None:
    """Walks the OpenAPI document: every object of every JSON request body, nested ones too."""
    spec = service.client.get("/openapi.json").json()
    components = spec["components"]["schemas"]
    checked = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            body = content.get("application/json")
            if body is None:
                continue
            for obj in _json_objects(body["schema"], components, set()):
                checked += 1
                assert obj.get("additionalProperties") is False, (method, path, obj.get("title"))
    assert checked > 30


def test_an_unknown_key_is_422_naming_it(service: Service) -> None:
    c = service.client
    number = c.post(
        "/api/complaints", json=complaint_payload(), headers=service.auth("wang.wei")
    ).json()["number"]
    r = c.post(
        f"/api/complaints/{number}/transition",
        json={"target": "handling_reported", "reson": "typo"},
        headers=service.auth("zhao.min"),
    )
    assert r.status_code == 422
    [error] = r.json()["detail"]
    assert error["loc"] == ["body", "reson"] and "'reson'" in error["msg"]
    shown = c.get(f"/api/complaints/{number}", headers=service.auth("viewer")).json()
    assert shown["status"] == "registered"  # nothing was done


@pytest.mark.parametrize(
    ("url", "parameter", "allowed"),
    [
        ("/api/complaints?status=bogus", "status", "'closed'"),
        ("/api/complaints?channel=pigeon", "channel", "'e-mail'"),
        ("/api/complaints?sla=late", "sla", "'overdue'"),
        ("/api/analytics/pareto?dimension=colour", "dimension", "'root_cause'"),
    ],
)
def test_a_bad_query_value_is_422_naming_the_parameter_and_the_allowed_values(
    service: Service, url: str, parameter: str, allowed: str
) -> None:
    r = service.client.get(url, headers=service.auth("viewer"))
    assert r.status_code == 422, r.text
    [error] = r.json()["detail"]
    assert error["loc"] == ["query", parameter]
    assert parameter in error["msg"] and allowed in error["msg"]


def test_a_bad_status_on_the_list_page_is_422_not_an_empty_list(service: Service) -> None:
    service.login("viewer")
    r = service.client.get("/?status=bogus")
    assert r.status_code == 422 and "status" in r.text and "closed" in r.text
    assert r.headers["content-type"].startswith("text/html")


def test_an_unknown_product_model_is_refused_like_the_cli_does(service: Service) -> None:
    c = service.client
    payload = complaint_payload() | {"product_model": "PB-NO-SUCH"}
    r = c.post("/api/complaints", json=payload, headers=service.auth("wang.wei"))
    assert r.status_code == 422
    with pytest.raises(ValidationError) as same_check:
        check_product_model("PB-NO-SUCH")
    assert r.json()["field"] == "product_model"
    assert r.json()["detail"] == str(same_check.value)
    assert known_models()[0] in r.json()["detail"]
    custom = c.post(
        "/api/complaints?custom_model=true", json=payload, headers=service.auth("wang.wei")
    )
    assert custom.status_code == 201, custom.text
    number = custom.json()["number"]
    unit = {"serial": "SN-9", "received_at": "2026-03-01T08:00:00Z", "product_model": "PB-X"}
    bad_unit = c.post(
        f"/api/complaints/{number}/units", json=unit, headers=service.auth("wang.wei")
    )
    assert bad_unit.status_code == 422 and bad_unit.json()["field"] == "product_model"


def test_an_offset_beyond_what_a_database_counts_is_422_naming_it(service: Service) -> None:
    """Found by the every-route fuzzing: 2**63 reached SQLite's driver and overflowed (a 500)."""
    r = service.client.get(f"/api/complaints?offset={2**63}", headers=service.auth("viewer"))
    assert r.status_code == 422, r.text
    [error] = r.json()["detail"]
    assert error["loc"] == ["query", "offset"] and "offset" in error["msg"]
    fits = service.client.get("/api/complaints?offset=2147483647", headers=service.auth("viewer"))
    assert fits.status_code == 200 and fits.json()["items"] == []


def test_every_refusal_the_fuzzing_found_unnamed_now_names_its_field(service: Service) -> None:
    """422s that said what was wrong but not where (found by fuzzing every route): an unknown
    report language in either report body, a naive date of the Pareto, a multipart form of too
    many parts; each now carries ``field`` as every other refusal does."""
    c = service.client
    number = c.post(
        "/api/complaints", json=complaint_payload(), headers=service.auth("wang.wei")
    ).json()["number"]
    writer = service.auth("wang.wei")
    for url, body in (
        (f"/api/complaints/{number}/reports", {"locale": "xx"}),
        (f"/api/complaints/{number}/outgoing-reports", {"serial": "SN-1", "locale": "xx"}),
    ):
        r = c.post(url, json=body, headers=writer)
        assert r.status_code == 422 and r.json()["field"] == "locale", (url, r.text)
    naive = c.get(
        "/api/analytics/pareto?received_from=2026-03-01T00:00:00",
        headers=service.auth("viewer"),
    )
    assert naive.status_code == 422 and naive.json()["field"] == "received_from", naive.text
    parts = [("note", (None, "x")) for _ in range(9)] + [("file", ("a.csv", b"a,b\n", "text/csv"))]
    many = c.post(f"/api/complaints/{number}/attachments", files=parts, headers=writer)
    assert many.status_code == 422 and many.json()["field"] == "file", many.text
