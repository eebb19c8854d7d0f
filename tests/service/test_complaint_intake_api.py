"""The API body is the CLI's complaint form (intake fields) and the list has the CLI's filters."""

from __future__ import annotations

from documents import complaint_payload
from service_support import Service


def test_intake_fields_are_taken_and_listed_by_channel(service: Service) -> None:
    c = service.client
    tech = service.auth("wang.wei")
    numbers = []
    for channel, kind in (("hotline", "product"), ("fax", "transport"), ("hotline", "service")):
        body = complaint_payload(channel=channel, complaint_type=kind, samples_returned=True)
        r = c.post("/api/complaints", json=body, headers=tech)
        assert r.status_code == 201, r.text
        assert (r.json()["channel"], r.json()["complaint_type"]) == (channel, kind)
        numbers.append(r.json()["number"])
    viewer = service.auth("viewer")
    r = c.get("/api/complaints?channel=hotline&sort=number&limit=1", headers=viewer)
    assert r.json()["total"] == 2
    assert [i["number"] for i in r.json()["items"]] == [numbers[0]]
    r = c.get("/api/complaints?channel=hotline&sort=number&limit=1&offset=1", headers=viewer)
    assert [i["number"] for i in r.json()["items"]] == [numbers[2]]
    r = c.get("/api/complaints?sort=colour", headers=viewer)
    assert r.status_code == 422 and r.json()["field"] == "sort"


def test_unknown_channel_is_422_naming_the_field_and_writes_nothing(service: Service) -> None:
    c = service.client
    r = c.post(
        "/api/complaints",
        json=complaint_payload(channel="pigeon"),
        headers=service.auth("wang.wei"),
    )
    assert r.status_code == 422
    assert "channel" in r.text
    assert c.get("/api/complaints", headers=service.auth("viewer")).json()["total"] == 0
