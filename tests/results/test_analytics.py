"""Pareto counts, percentages, ordering and filters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from reports_store import T0, new_complaint, record_unit
from sqlalchemy.orm import Session, sessionmaker

from results.errors import ValidationError
from results.reports.analytics import Filters, pareto


@pytest.fixture
def populated(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    c1, _ = new_complaint(sessions, customer="甲公司", symptom="no_power_on")
    record_unit(sessions, c1, "A1", lot="L1")
    record_unit(sessions, c1, "A2", lot="L1")
    record_unit(
        sessions, c1, "A3", lot="L2", root_cause="mosfet_latched", disposition="repair_board"
    )
    c2, _ = new_complaint(
        sessions, customer="乙公司", symptom="no_power_on", received_at=T0 + timedelta(days=40)
    )
    record_unit(sessions, c2, "B1", lot="L2", root_cause="dead_cell", disposition="scrap")
    c3, _ = new_complaint(
        sessions,
        customer="甲公司",
        symptom="leakage",
        product_model="PB-4S1P-26650-LFP",
        received_at=T0 + timedelta(days=41),
    )
    record_unit(sessions, c3, "C1", lot="L3", root_cause="dead_cell", disposition=None)
    return sessions


def test_pareto_counts_and_cumulative_percent(populated: sessionmaker[Session]) -> None:
    with populated() as session:
        causes = pareto(session, "root_cause")
        symptoms = pareto(session, "symptom")
        dispositions = pareto(session, "disposition")
    assert [(r.category, r.count, r.percent, r.cumulative_percent) for r in causes] == [
        ("dead_cell", 2, 40.0, 40.0),
        ("over_discharge_protection", 2, 40.0, 80.0),
        ("mosfet_latched", 1, 20.0, 100.0),
    ]
    assert [(r.category, r.count) for r in symptoms] == [("no_power_on", 2), ("leakage", 1)]
    assert symptoms[0].percent == pytest.approx(66.67)
    assert [(r.category, r.count) for r in dispositions] == [
        ("recharge_and_return", 2),
        ("(none)", 1),
        ("repair_board", 1),
        ("scrap", 1),
    ]


def test_filters(populated: sessionmaker[Session]) -> None:
    with populated() as session:
        by_customer = pareto(session, "root_cause", Filters(customer="甲公司"))
        by_lot = pareto(session, "root_cause", Filters(lot="L2"))
        by_model = pareto(session, "symptom", Filters(product_model="PB-4S1P-26650-LFP"))
        period = pareto(
            session,
            "symptom",
            Filters(received_from=T0 + timedelta(days=30), received_to=T0 + timedelta(days=41)),
        )
        empty = pareto(session, "symptom", Filters(customer="nobody"))
        with pytest.raises(ValidationError):
            pareto(session, "colour")  # type: ignore[arg-type]
    assert {(r.category, r.count) for r in by_customer} == {
        ("over_discharge_protection", 2),
        ("mosfet_latched", 1),
        ("dead_cell", 1),
    }
    assert [(r.category, r.count) for r in by_lot] == [("dead_cell", 1), ("mosfet_latched", 1)]
    assert [(r.category, r.count) for r in by_model] == [("leakage", 1)]
    assert [(r.category, r.count) for r in period] == [("no_power_on", 1)]  # end exclusive
    assert empty == []
    assert by_customer[-1].cumulative_percent == 100.0
