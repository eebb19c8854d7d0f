"""The administrator's page: users and their API tokens, with create, issue and revoke forms.

The raw text of a new token is in the answer to the POST that issued it and nowhere else (not in
a redirect URL, which browsers keep in history and proxies log); the store keeps only its hash.
Every form carries the session's CSRF token and every change is audited by ``accounts``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from results.accounts import (
    Principal,
    Role,
    ServiceToken,
    ServiceUser,
    create_user,
    issue_token,
    revoke_token,
)
from service.api.params import RowId
from service.auth import ADMIN, check_role, store_of
from service.pages.render import page, page_user
from service.pages.routes import posted_form

router = APIRouter(include_in_schema=False)


def _admin_page(
    request: Request, user: Principal, token: str, *, status_code: int = 200, **extra: object
) -> HTMLResponse:
    with store_of(request).sessions() as session:
        users = list(session.scalars(select(ServiceUser).order_by(ServiceUser.name)))
        tokens = list(session.scalars(select(ServiceToken).order_by(ServiceToken.id)))
    return page(
        request,
        "admin.html",
        user=user,
        session_token=token,
        status_code=status_code,
        users=users,
        tokens=tokens,
        all_roles=[r.value for r in Role],
        message=request.query_params.get("done"),
        **extra,
    )


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request) -> HTMLResponse:
    user, token = page_user(request)
    check_role(user, ADMIN)
    return _admin_page(request, user, token)


@router.post("/admin/users")
async def add_user_page(request: Request) -> Response:
    user, fields = await posted_form(request)
    check_role(user, ADMIN)

    def write() -> None:
        with store_of(request).sessions.begin() as session:
            create_user(
                session,
                fields.get("name", ""),
                role=fields.get("role", ""),
                printed_name=fields.get("printed_name", ""),
                actor=user.name,
            )

    await run_in_threadpool(write)
    return RedirectResponse("/admin?done=user_created#users", status_code=303)


@router.post("/admin/tokens")
async def issue_token_page(request: Request) -> Response:
    """Answers with the page itself, showing the new token once (201, no redirect)."""
    user, fields = await posted_form(request)
    check_role(user, ADMIN)

    def write() -> tuple[str, int]:
        with store_of(request).sessions.begin() as session:
            return issue_token(
                session, fields.get("user", ""), actor=user.name, label=fields.get("label", "")
            )

    raw, token_id = await run_in_threadpool(write)
    _user, session_token = page_user(request)
    response = _admin_page(
        request,
        user,
        session_token,
        status_code=201,
        new_token=raw,
        new_token_id=token_id,
        new_token_user=fields.get("user", ""),
    )
    response.headers["Cache-Control"] = "no-store"  # the token must not sit in a cache
    return response


@router.post("/admin/tokens/{token_id}/revoke")
async def revoke_token_page(token_id: RowId, request: Request) -> Response:
    user, fields = await posted_form(request)
    check_role(user, ADMIN)

    def write() -> None:
        with store_of(request).sessions.begin() as session:
            revoke_token(session, token_id, actor=user.name, reason=fields.get("reason", ""))

    await run_in_threadpool(write)
    return RedirectResponse("/admin?done=token_revoked#tokens", status_code=303)
