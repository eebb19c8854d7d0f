"""``authenticate``: the principal of a valid, unrevoked token of an active user, else ``None``
(every API request runs it; its query reads only the columns it checks)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from results.accounts import Role, authenticate, create_user, issue_token, revoke_token
from results.service_models import ServiceUser


def test_a_token_authenticates_until_revoked_or_its_user_is_deactivated(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        create_user(session, "bench-3", role=Role.BENCH.value, printed_name="Bench 3", actor="t")
        create_user(session, "zhao.min", role=Role.QA.value, printed_name="Zhao Min", actor="t")
        bench, bench_id = issue_token(session, "bench-3", actor="t")
        qa, _qa_id = issue_token(session, "zhao.min", actor="t")
    with sessions() as session:
        who = authenticate(session, bench)
        assert who is not None
        assert (who.name, who.printed_name, who.role) == ("bench-3", "Bench 3", Role.BENCH)
        assert who.token_id == bench_id
        assert authenticate(session, bench + "x") is None
        assert authenticate(session, "") is None
    with sessions.begin() as session:
        revoke_token(session, bench_id, actor="admin", reason="bench retired")
        session.execute(
            update(ServiceUser).where(ServiceUser.name == "zhao.min").values(active=False)
        )
    with sessions() as session:
        assert authenticate(session, bench) is None
        assert authenticate(session, qa) is None


def test_a_core_connection_authenticates_alike(sessions: sessionmaker[Session]) -> None:
    """The API checks tokens on a Core connection (``service.auth.principal_for``): the same
    principal, and a revoked token refused on the next request."""
    with sessions.begin() as session:
        create_user(session, "bench-3", role=Role.BENCH.value, printed_name="Bench 3", actor="t")
        bench, bench_id = issue_token(session, "bench-3", actor="t")
    engine = sessions.kw["bind"]
    with engine.connect() as connection:
        who = authenticate(connection, bench)
    with sessions() as session:
        assert who == authenticate(session, bench) is not None
    with sessions.begin() as session:
        revoke_token(session, bench_id, actor="admin", reason="bench retired")
    with engine.connect() as connection:
        assert authenticate(connection, bench) is None
