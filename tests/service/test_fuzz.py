"""Property-based fuzzing of every API operation from the published OpenAPI spec: no 500s.

The operations, in the spec's order, are dealt round-robin into ``SHARDS`` tests so that xdist
workers share the work (one test over every operation was the suite's longest); every operation
falls in exactly one shard.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from service_support import Service

SHARDS = 4


def operations(service: Service) -> list[Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", service.client.app)
    return [result.ok() for result in schema.get_all_operations()]


def shard_of(index: int) -> int:
    return index % SHARDS


@pytest.mark.slow
@pytest.mark.parametrize("shard", range(SHARDS))
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_no_operation_answers_500(service: Service, shard: int) -> None:
    headers = service.auth("zhao.min")
    failures = []
    mine = [op for i, op in enumerate(operations(service)) if shard_of(i) == shard]
    assert mine, f"shard {shard} has no operation"
    for operation in mine:

        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.method, case.formatted_path, response.text)

        try:
            given(case=operation.as_strategy())(check)()
        except Exception as exc:
            failures.append(f"{operation.label}: {str(exc)[:300]}")
    assert not failures, "\n".join(failures)
