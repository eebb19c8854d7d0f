"""Schemathesis over every route the service serves, the pages (HTML forms, filtered lists) too.

The published ``/openapi.json`` describes the API only: the pages are left out of it on purpose
(they are not an interface for programs, and a map of every form is no help to a client, ASVS
V14). So this test builds its own document from the app's routers, every route included, and
adds what a page's signature does not say: the fields of each form and the filter of each GET
form, read from the forms the pages themselves render for a store with a complaint, a unit, a
run and a report. Path parameters may take those records' keys as well as anything else, so the
fuzzing reaches the records' pages and forms and not only their 404.

Every request carries a page session (a QA user's) and the API token of a user whose role the
operation admits: the QA user's where QA may call it, else the first user holding an admitted
role (a bench for the run uploads, an admin for the accounts), read from the route's own
``require(...)`` dependency. With one token for all, every bench or admin operation stopped at
its 403 and nothing behind it was fuzzed; a role refusal is now itself a finding. Every page
form post carries its CSRF token (without it every post would stop at the 403 too; the CSRF
check itself is ``test_sessions``'). Each answer is checked:

* never a 5xx, and on the API never a refusal of the caller's role (the pages run in the QA
  user's session: an admin page answers its 403 page, checked like any other answer);
* ``X-Content-Type-Options: nosniff`` on every answer;
* an HTML answer carries the pages' or the report's Content-Security-Policy;
* a JSON error is a 4xx with a ``detail``; a 422 names the field it refuses (``loc`` of each
  entry, or ``field``, or the name in the message).

Deterministic (``derandomize``, no example database) and bounded (``MAX_EXAMPLES`` per
operation). Logging out would end the session every later request uses, so ``/logout`` is
fuzzed with a session of its own.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from service_support import Service
from starlette.routing import Match
from test_api import _run

from benchmarks.service_accounts import USERS
from results.accounts import Role, create_user, issue_token
from service.auth import CSRF_FIELD, SESSION_COOKIE
from service.security_headers import PAGE_CSP, REPORT_CSP

USER = "zhao.min"
MAX_EXAMPLES = 6
SHARDS = 4
HEAVY = {"POST /api/sync/runs/batch": 2}
"""Operations whose bodies take hypothesis long to build (a batch of whole run documents: 45 s
for six on a loaded 2-core machine), with their own example count; they share a test of their
own so that no test runs much over 30 s."""


def app_routes(app: FastAPI) -> Iterator[APIRoute]:
    """Every ``APIRoute`` the app serves, through included routers (FastAPI keeps them as
    ``_IncludedRouter`` entries since 0.160, plain routes before)."""

    def walk(routes: list[Any]) -> Iterator[APIRoute]:
        for route in routes:
            if isinstance(route, APIRoute):
                yield route
            original = getattr(route, "original_router", None)
            if original is not None:
                yield from walk(original.routes)

    yield from walk(list(app.router.routes))


def admitted_roles(route: APIRoute) -> frozenset[Role] | None:
    """The roles the route's ``require(allowed)`` dependency admits (``None``: no role check)."""
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        pending.extend(dependant.dependencies)
        call = dependant.call
        names = getattr(getattr(call, "__code__", None), "co_freevars", ())
        if "allowed" in names and call is not None and call.__closure__ is not None:
            allowed = call.__closure__[names.index("allowed")].cell_contents
            assert isinstance(allowed, frozenset)
            return allowed
    return None


def caller_role(route: APIRoute) -> Role:
    """The role whose token calls ``route``: the QA user's where QA is admitted, else the first
    admitted role in the enum's order (deterministic)."""
    allowed = admitted_roles(route)
    if allowed is None or Role.QA in allowed:
        return Role.QA
    return next(role for role in Role if role in allowed)


def tokens_by_role(service: Service) -> dict[Role, str]:
    """An API token of every role: the named users' (``USERS``), and a user made here for each
    role they lack (the sales managers and the QA manager sign off claims and majors)."""
    tokens = {role: service.tokens[name] for name, (_, role) in reversed(USERS.items())}
    tokens[Role.QA] = service.tokens[USER]
    with service.store.sessions.begin() as session:
        for role in Role:
            if role not in tokens:
                name = f"fuzz-{role.value}".replace("_", "-")
                create_user(session, name, role=role.value, printed_name=name, actor="test")
                tokens[role], _ = issue_token(session, name, actor="test")
    return tokens


def every_route_spec(app: FastAPI) -> dict[str, Any]:
    """An OpenAPI document of every route, the pages' too (copies: the app's stay hidden)."""
    routes = []
    for route in app_routes(app):
        shown = copy.copy(route)
        shown.include_in_schema = True
        routes.append(shown)
    return get_openapi(title="every route", version="test", routes=routes)


class _Forms(HTMLParser):
    """The forms of a page: method, action and the names of their inputs (with the values a
    select or a radio offers)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, str, dict[str, list[str]]]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((a.get("method", "get").lower(), a.get("action", ""), {}))
        elif tag in ("input", "select", "textarea", "button") and self.forms and a.get("name"):
            values = self.forms[-1][2].setdefault(a["name"], [])
            if a.get("type") in ("radio", "checkbox", "hidden", "submit") and a.get("value"):
                values.append(a["value"])
            self._select = a["name"] if tag == "select" else None
        elif tag == "option" and self._select and self.forms:
            self.forms[-1][2].setdefault(self._select, []).append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def _route_of(app: FastAPI, method: str, path: str) -> str | None:
    scope = {"type": "http", "method": method.upper(), "path": path}
    for route in app_routes(app):
        if route.matches(scope)[0] is Match.FULL:
            return route.path
    return None


def _fill(path: str, keys: dict[str, str]) -> str | None:
    names = re.findall(r"{([^}:]+)(?::[^}]*)?}", path)
    if any(n not in keys for n in names):
        return None
    return re.sub(r"{([^}:]+)(?::[^}]*)?}", lambda m: keys[m.group(1)], path)


def seed(service: Service) -> dict[str, str]:
    """A complaint with a unit, a run and a report: the keys the path parameters may take."""
    number, unit, run_id = _run(service)
    c = service.client
    report = c.post(f"/api/complaints/{number}/reports", json={}, headers=service.auth("wang.wei"))
    assert report.status_code == 201, report.text
    run = c.get(f"/api/runs/{run_id}", headers=service.auth(USER)).json()
    trace_ids = [t["id"] for s in run["steps"] for t in s.get("traces", [])]
    keys = {
        "number": number,
        "unit_id": str(unit["id"]),
        "run_id": str(run_id),
        "report_id": str(report.json()["id"]),
    }
    if trace_ids:
        keys["trace_id"] = str(trace_ids[0])
    return keys


def scraped_forms(
    service: Service, spec: dict[str, Any], keys: dict[str, str]
) -> dict[tuple[str, str], dict[str, list[str]]]:
    """(method, route path) -> field name -> values offered, from every page reachable with
    the seeded keys."""
    app = service.client.app
    assert isinstance(app, FastAPI)
    found: dict[tuple[str, str], dict[str, list[str]]] = {}
    for path, operations in spec["paths"].items():
        url = _fill(path, keys)
        if "get" not in operations or path.startswith("/api") or url is None:
            continue
        answer = service.client.get(url, follow_redirects=False)
        if not answer.headers.get("content-type", "").startswith("text/html"):
            continue
        parser = _Forms()
        parser.feed(answer.text)
        for method, action, fields in parser.forms:
            target = urlsplit(action).path or url
            route = _route_of(app, method, target)
            if route is not None:
                merged = found.setdefault((method, route), {})
                for name, values in fields.items():
                    merged.setdefault(name, [])
                    merged[name] += [v for v in values if v not in merged[name]]
    return found


def _text_field(values: list[str]) -> dict[str, Any]:
    text: dict[str, Any] = {"type": "string"}
    return {"anyOf": [{"enum": values}, text]} if values else text


def with_page_inputs(
    spec: dict[str, Any],
    forms: dict[tuple[str, str], dict[str, list[str]]],
    keys: dict[str, str],
) -> dict[str, Any]:
    """``spec`` with the pages' form fields as bodies (POST) or query parameters (GET), and
    every path parameter named like a seeded key able to take that key."""
    spec = copy.deepcopy(spec)
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                key = keys.get(parameter["name"])
                if parameter["in"] == "path" and key is not None:
                    original = parameter["schema"]
                    parameter["schema"] = {"anyOf": [{"enum": [key]}, original]}
            if path.startswith("/api"):
                continue
            fields = forms.get((method, path), {})
            if method == "get":
                known = {p["name"] for p in operation.get("parameters", [])}
                operation.setdefault("parameters", []).extend(
                    {"name": n, "in": "query", "required": False, "schema": _text_field(v)}
                    for n, v in fields.items()
                    if n not in known
                )
            elif method == "post":
                properties = {n: _text_field(v) for n, v in fields.items() if n != CSRF_FIELD}
                schema = {
                    "type": "object",
                    "properties": properties,
                    "additionalProperties": {"type": "string"},
                }
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/x-www-form-urlencoded": {"schema": schema}},
                }
    return spec


def role_refused(response: Any) -> bool:
    """An API answer refusing the caller's role: the operation's handler was never reached."""
    return response.status_code == 403 and "this needs one of" in response.text


def problems(response: Any, method: str) -> list[str]:
    """What is wrong with one answer (empty when nothing is)."""
    headers = {k.lower(): v[-1] if isinstance(v, list) else v for k, v in response.headers.items()}
    status = response.status_code
    found = []
    if status >= 500:
        found.append(f"{status}: {response.text[:300]}")

    if headers.get("x-content-type-options") != "nosniff":
        found.append(f"{status} without nosniff")
    kind = headers.get("content-type", "")
    if kind.startswith("text/html") and headers.get("content-security-policy") not in (
        PAGE_CSP,
        REPORT_CSP,
    ):
        found.append(
            f"{status} HTML without the pages' CSP: {headers.get('content-security-policy')}"
        )
    if kind.startswith("application/json") and status >= 400 and method != "HEAD":
        found.extend(json_error_problems(status, response.text))
    return found


def json_error_problems(status: int, text: str) -> list[str]:
    """A JSON error must be a 4xx with a ``detail``; a 422 must name what it refuses."""
    if not 400 <= status < 500:
        return [f"JSON error {status}"]
    try:
        body = json.loads(text)
    except ValueError:
        return [f"{status} JSON error that is not JSON: {text[:200]}"]
    detail = body.get("detail") if isinstance(body, dict) else None
    if not detail:
        return [f"{status} JSON error without a detail: {text[:200]}"]
    if status != 422:
        return []
    if isinstance(detail, list):
        unnamed = [e for e in detail if not (isinstance(e, dict) and e.get("loc") and e.get("msg"))]
        return [f"422 entries naming no field: {unnamed}"] if unnamed else []
    if body.get("field"):
        return []
    return [f"422 naming no field: {text[:200]}"]


def _operations(service: Service, keys: dict[str, str]) -> list[Any]:
    app = service.client.app
    assert isinstance(app, FastAPI)
    spec = every_route_spec(app)
    forms = scraped_forms(service, spec, keys)
    schema = schemathesis.openapi.from_dict(with_page_inputs(spec, forms, keys))
    schema.app = app
    results: list[Any] = list(schema.get_all_operations())  # Ok or Err: an Err raises here
    return [result.ok() for result in results]


def fuzz(
    service: Service, operation: Any, cookie: str, csrf: str, tokens: dict[Role, str]
) -> list[str]:
    """``MAX_EXAMPLES`` requests of ``operation`` in ``USER``'s page session ``cookie`` (whose
    forms take ``csrf``) and with the API token of a user it admits; what was wrong with the
    answers."""
    app = service.client.app
    assert isinstance(app, FastAPI)
    route = next(
        r
        for r in app_routes(app)
        if r.path == operation.path and operation.method.upper() in (r.methods or ())
    )
    headers = {"Authorization": f"Bearer {tokens[caller_role(route)]}"}
    page_post = operation.method.lower() == "post" and not operation.path.startswith("/api")
    found: list[str] = []

    @settings(
        max_examples=HEAVY.get(operation.label, MAX_EXAMPLES),
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        session_cookie, token = cookie, csrf
        if operation.path == "/logout":
            token = service.login(USER)  # a session of its own, ended by this post
            session_cookie = service.client.cookies.get(SESSION_COOKIE)
        if page_post and isinstance(case.body, dict):
            case.body[CSRF_FIELD] = token
        try:
            response = case.call(
                headers=headers, cookies={SESSION_COOKIE: session_cookie}, allow_redirects=False
            )
        except Exception as exc:  # the app raised: what a server answers with a 500
            wrong = [f"raised {type(exc).__name__}: {str(exc)[:200]}"]
        else:
            wrong = problems(response, case.method)
            if operation.path.startswith("/api") and role_refused(response):
                wrong.append(f"the caller's role was refused, nothing fuzzed: {response.text}")
        where = f"{case.method} {case.formatted_path} {case.query or ''}"
        found.extend(f"{where}: {p}" for p in wrong)

    given(case=operation.as_strategy())(check)()
    return found


@pytest.mark.slow
@pytest.mark.parametrize("shard", [*range(SHARDS), "heavy"])
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_route_answers_without_5xx_with_nosniff_csp_and_named_refusals(
    service: Service, shard: int | str
) -> None:
    keys = seed(service)
    csrf = service.login(USER)
    cookie = service.client.cookies.get(SESSION_COOKIE)
    assert cookie is not None
    operations = _operations(service, keys)
    tokens = tokens_by_role(service)
    if isinstance(shard, int):
        mine = [op for op in operations if op.label not in HEAVY][shard::SHARDS]
    else:
        mine = [op for op in operations if op.label in HEAVY]
    failures = {
        op.label: wrong for op in mine if (wrong := fuzz(service, op, cookie, csrf, tokens))
    }
    report = "\n".join(
        f"{label}:\n  " + "\n  ".join(sorted(set(p))[:5]) for label, p in failures.items()
    )
    assert not failures, report


def test_the_spec_covers_every_route_and_the_pages_forms(service: Service) -> None:
    """Every route of the app is an operation of the test's document, the pages' forms have
    their fields, and the published document still leaves the pages out."""
    keys = seed(service)
    service.login(USER)
    app = service.client.app
    assert isinstance(app, FastAPI)
    spec = every_route_spec(app)
    served = {(m.lower(), r.path) for r in app_routes(app) for m in r.methods or ()}
    described = {(m, p) for p, ops in spec["paths"].items() for m in ops}
    assert {(m, p) for m, p in served if m != "head"} <= described  # HEAD rides on GET
    assert len({p for _, p in served}) > 100
    forms = scraped_forms(service, spec, keys)
    assert ("get", "/complaints") in forms and "customer" in forms[("get", "/complaints")]
    assert ("post", "/complaints/new") in forms
    public = service.client.get("/openapi.json").json()["paths"]
    assert "/dashboards" not in public and "/complaints/new" not in public


def test_each_operation_is_called_by_a_role_it_admits(service: Service) -> None:
    """The role reader finds each route's ``require(...)``: the run uploads go out with a bench's
    token, the accounts with an admin's, the claim sign-offs with a sales manager's, the rest
    with the QA user's where QA is admitted; every role has a token."""
    app = service.client.app
    assert isinstance(app, FastAPI)
    roles = {
        (method, route.path): caller_role(route)
        for route in app_routes(app)
        for method in route.methods or ()
    }
    assert roles[("POST", "/api/sync/runs/batch")] is Role.BENCH
    assert {Role.QA, Role.BENCH, Role.ADMIN, Role.REGIONAL_SALES_MANAGER} <= set(roles.values())
    for route in app_routes(app):
        allowed = admitted_roles(route)
        if allowed is not None:
            assert caller_role(route) in allowed, route.path
    assert set(tokens_by_role(service)) == set(Role)
