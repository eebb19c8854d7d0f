from __future__ import annotations

from datetime import timedelta

import pytest
from closure_builders import check_all_areas
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from store_builders import T0, register

from results.containment import (
    ActionKind,
    Area,
    containment_actions,
    containment_blockers,
    containment_completed_at,
    open_action,
    record_check,
    release_action,
)
from results.containment_models import ContainmentAction, ContainmentCheck
from results.errors import NotFound, ValidationError
from results.models import AuditEvent


def counts(session: Session) -> tuple[int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        session.scalar(select(func.count()).select_from(ContainmentCheck)) or 0,
        session.scalar(select(func.count()).select_from(ContainmentAction)) or 0,
    )


def test_documented_lists_are_the_documents() -> None:
    assert [a.value for a in Area] == ["finished_stock", "work_in_progress", "incoming_material"]
    assert {k.value for k in ActionKind} == {
        "freeze_outgoing_stock",
        "stop_production",
        "recall",
        "return_to_warehouse_and_reinspect",
        "seal",
        "change_process_or_inspection_instruction",
        "send_engineer",
        "clear_line",
    }


def test_containment_completes_with_all_areas_and_an_action_where_bad_was_found(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id, _number, _unit = register(sessions)
    with sessions.begin() as session:
        assert containment_completed_at(session, complaint_id) is None
        for hours, area, bad in (
            (1, Area.FINISHED_STOCK, 4),
            (2, Area.WORK_IN_PROGRESS, 0),
            (3, Area.INCOMING_MATERIAL, 0),
        ):
            record_check(
                session,
                complaint_id,
                area=area,
                qty_checked=200,
                qty_bad=bad,
                actor="zhao.qa",
                at=T0 + timedelta(hours=hours),
            )
        # all three areas checked, but bad units were found and nothing was done yet
        assert containment_completed_at(session, complaint_id) is None
        action = open_action(
            session,
            complaint_id,
            kind="freeze_outgoing_stock",
            owner="wu.wh",
            qty_affected=120,
            location="FG warehouse A3",
            actor="zhao.qa",
            at=T0 + timedelta(hours=3, minutes=30),
        )
        assert containment_completed_at(session, complaint_id) == T0 + timedelta(hours=3.5)
        assert containment_blockers(session, complaint_id) == [
            f"containment action {action.id} (freeze_outgoing_stock, owner wu.wh) is still open: "
            "release it"
        ]
        release_action(
            session,
            action.id,
            actor="zhao.qa",
            note="re-inspected, 4 scrapped",
            qty_released=116,
            at=T0 + timedelta(hours=30),
        )
    with sessions() as session:
        [view] = containment_actions(session, complaint_id)
        assert not view.is_open and view.released_by == "zhao.qa" and view.qty_released == 116
        assert containment_completed_at(session, complaint_id) == T0 + timedelta(hours=3.5)
        assert containment_blockers(session, complaint_id) == []
        actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))
    assert actions.count("containment.checked") == 3
    assert actions[-2:] == ["containment.action_opened", "containment.action_released"]


def test_clean_checks_complete_containment_without_an_action(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id, _number, _unit = register(sessions)
    with sessions.begin() as session:
        check_all_areas(session, complaint_id)
        assert containment_completed_at(session, complaint_id) is not None
        assert containment_blockers(session, complaint_id) == []


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s, c: release_action(s, 999_999, actor="qa", note="done"), "never opened"),
        (
            lambda s, c: open_action(s, c, kind="pray", owner="x", qty_affected=1, actor="qa"),
            "kind",
        ),
        (
            lambda s, c: open_action(s, c, kind="recall", owner=" ", qty_affected=1, actor="qa"),
            "owner",
        ),
        (
            lambda s, c: open_action(s, c, kind="seal", owner="wu", qty_affected=-1, actor="qa"),
            "qty_affected",
        ),
        (
            lambda s, c: record_check(
                s, c, area="finished_stock", qty_checked=5, qty_bad=6, actor="qa"
            ),
            "qty_bad",
        ),
        (
            lambda s, c: record_check(s, c, area="canteen", qty_checked=5, qty_bad=0, actor="qa"),
            "area",
        ),
        (
            lambda s, c: record_check(
                s,
                c,
                area="work_in_progress",
                qty_checked=1,
                qty_bad=0,
                actor="qa",
                at=T0 - timedelta(days=1),
            ),
            "before the complaint",
        ),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    sessions: sessionmaker[Session], call: object, field: str
) -> None:
    complaint_id, _number, _unit = register(sessions)
    with sessions() as session:
        before = counts(session)
    with pytest.raises(ValidationError, match=field), sessions.begin() as session:
        call(session, complaint_id)  # type: ignore[operator]
    with sessions() as session:
        assert counts(session) == before


def test_release_twice_is_refused_and_unknown_complaint_is_not_found(
    sessions: sessionmaker[Session],
) -> None:
    complaint_id, _number, _unit = register(sessions)
    with sessions.begin() as session:
        action = open_action(
            session, complaint_id, kind="seal", owner="wu", qty_affected=3, actor="qa"
        )
        release_action(session, action.id, actor="qa", note="cleared")
    with sessions() as session:
        before = counts(session)
    with pytest.raises(ValidationError, match="already released"), sessions.begin() as session:
        release_action(session, action.id, actor="qa", note="again")
    with pytest.raises(NotFound), sessions.begin() as session:
        open_action(session, 424242, kind="seal", owner="wu", qty_affected=3, actor="qa")
    with sessions() as session:
        assert counts(session) == before
