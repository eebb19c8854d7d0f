"""Property-based fuzzing of every API operation from the published OpenAPI spec: no 500s."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from service_support import Service


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_no_operation_answers_500(service: Service) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", service.client.app)
    headers = service.auth("zhao.min")
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.method, case.formatted_path, response.text)

        try:
            given(case=operation.as_strategy())(check)()
        except Exception as exc:
            failures.append(f"{operation.label}: {str(exc)[:300]}")
    assert not failures, "\n".join(failures)
