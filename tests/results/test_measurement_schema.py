"""``MeasurementRecord`` is the one definition of a measurement: every stored shape follows it.

Each test here fails when a field is added to ``MeasurementRecord`` (or ``LimitsRecord``) and a
shape that must carry it does not (docs/measurement-schema.md): the table needs a migration, the
read model a field. The recorder, the run import, ``verify`` and ``load_run`` derive their columns
from ``results.measurement_schema`` and need no edit.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime

import numpy as np

from procedures.records import LimitsRecord, MeasurementRecord, StepRecord, Verdict
from results.measurement_schema import (
    RECORD_COLUMNS,
    TABLE_COLUMNS,
    record_of,
    stored_row,
    stored_values,
)
from results.models import Measurement
from results.read_model import MeasurementRead as MeasurementView
from results.recorder import DatabaseRecorder
from results.verdict_names import verdict_named

WHEN = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
OCV = MeasurementRecord(
    name="ocv",
    value=np.float64(3.71),  # as a driver hands it over
    unit="V",
    limits=LimitsRecord(
        low=2.4,
        high=4,  # an int limit from a spec file
        low_inclusive=False,
        nominal=3.7,
        marginal_low=2.6,
        marginal_high=np.float64(4.1),
    ),
    verdict=Verdict.MARGINAL,
    comparison="2.40 < 3.71 <= 4.00 V",
    timestamp=WHEN,
    instrument="KEITHLEY,2000",
    description="open-circuit voltage",
)
LABEL = MeasurementRecord(
    name="label",
    value=None,
    unit="",
    limits=LimitsRecord(),
    verdict=Verdict.SKIPPED,
    comparison="",
    timestamp=WHEN,
    text_value="missing 'x'\n",
)


def test_row_hashes_are_those_of_records_stored_before_the_schema_was_derived() -> None:
    # Computed by the hand-written row builder this module replaced (commit 18fc3b2): a store
    # written before must still verify, so the hash input may not change by one byte.
    step = StepRecord(
        name="open circuit",
        index=3,
        started=WHEN,
        ended=WHEN,
        verdict=Verdict.MARGINAL,
        measurements=[OCV, LABEL],
    )
    assert [r["row_hash"] for r in DatabaseRecorder.measurement_rows(7, step)] == [
        "1a94f16eef927832a68fd551cfb3b605a30ccf1e945f5ce0c00eb30d934c39cd",
        "97c1234db54b660b220ddde079157466dae8f76f8f276f783507de9e113dcb65",
    ]


def test_values_become_plain_floats_once_at_the_recorder() -> None:
    row = stored_row(stored_values(0, OCV))
    for column in ("value", "high", "marginal_high"):
        assert type(row[column]) is float, column
    assert row["verdict"] == "MARGINAL"
    assert row["measured_at"] is WHEN


def test_every_record_field_is_a_column_of_the_table() -> None:
    table = Measurement.__table__.c.keys()
    assert sorted(table) == sorted(TABLE_COLUMNS)


def test_the_read_model_has_every_column_in_table_order() -> None:
    assert MeasurementView._fields == TABLE_COLUMNS


def test_the_limits_reach_the_read_model() -> None:
    for limit in (f.name for f in fields(LimitsRecord)):
        assert limit in MeasurementView._fields
    assert {"nominal", "marginal_low", "marginal_high"} <= set(RECORD_COLUMNS)


def test_a_stored_row_reads_back_as_the_record_that_went_in() -> None:
    for idx, record in enumerate((OCV, LABEL)):
        values = stored_values(idx, record)
        view = MeasurementView(1, 2, *values, "hash")
        assert record_of(view, verdict_named) == record
