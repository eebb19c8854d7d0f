"""A stored trace drawn with the report's own chart code, so page and report plots agree."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from results import traces
from results.errors import NotFound
from results.models import Trace
from results.reports import plots
from results.reports.model import TraceChannel, TraceData


def trace_data(session: Session, trace_id: int) -> TraceData:
    trace = session.scalars(
        select(Trace).where(Trace.id == trace_id).options(selectinload(Trace.channels))
    ).one_or_none()
    if trace is None:
        raise NotFound("trace", trace_id)
    arrays = {
        c.name: (c.unit, np.asarray(traces.decode(c.data, c.dtype, c.shape), dtype=np.float64))
        for c in trace.channels
    }
    _unit, time = arrays.pop("time", ("s", np.zeros(0)))
    return TraceData(
        trace.name,
        tuple(time.tolist()),
        tuple(TraceChannel(name, unit, tuple(v.tolist())) for name, (unit, v) in arrays.items()),
    )


def trace_svg(
    session: Session, trace_id: int, x_label: str, channel_label: Callable[[str], str] = str
) -> str:
    return plots.svg(
        plots.layout(trace_data(session, trace_id), x_label, channel_label=channel_label)
    )
