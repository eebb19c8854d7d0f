"""The read model names every column of its table, in the table's order, then its children."""

from __future__ import annotations

from dataclasses import fields

import pytest

from results.measurement_schema import TABLE_COLUMNS
from results.models import (
    Attachment,
    Complaint,
    ReturnedUnit,
    Run,
    Step,
    Trace,
    TraceChannel,
)
from results.read_model import (
    AttachmentRead,
    ChannelRead,
    ComplaintRead,
    MeasurementRead,
    RunRead,
    StepRead,
    TraceRead,
    UnitRead,
)

CASES = [
    (ComplaintRead, Complaint, ("units", "runs")),
    (UnitRead, ReturnedUnit, ("runs",)),
    (RunRead, Run, ("steps",)),
    (StepRead, Step, ("measurements", "traces", "attachments")),
    (TraceRead, Trace, ("channels",)),
    (ChannelRead, TraceChannel, ()),
    (AttachmentRead, Attachment, ()),
]


@pytest.mark.parametrize(("read", "model", "children"), CASES)
def test_read_class_has_every_column_then_its_children(
    read: type, model: type, children: tuple[str, ...]
) -> None:
    columns = tuple(c.name for c in model.__table__.columns)  # type: ignore[attr-defined]
    assert tuple(f.name for f in fields(read)) == (*columns, *children)


def test_measurement_read_is_the_table() -> None:
    assert MeasurementRead._fields == TABLE_COLUMNS
