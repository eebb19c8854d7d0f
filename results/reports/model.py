"""The data of one complaint analysis report, as plain frozen values.

Renderers (HTML, PDF) and the content hash work on this and nothing else, so a report renders the
same bytes for the same data whatever the database looks like today, and a signature can bind to a
hash of exactly what was shown. ``results.reports.assemble`` builds it from the database.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import types
import typing
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from procedures.records import Verdict
from results.verdict_names import verdict_named


def is_primary_procedure(procedure: str) -> bool:
    """The diagnosis (``returned-pack-diagnosis``) speaks for a unit as a whole: its conclusion
    proposes the disposition, so it leads every per-unit summary."""
    return "diagnosis" in procedure


__all__ = ["verdict_named"]  # re-exported: the report modules read stored verdicts through it


def report_number(complaint_no: str, product_no: str) -> str:
    """The manual names an analysis report ``<complaint-no>-<product-no>``."""
    return f"{complaint_no}-{product_no}"


def report_file_name(report_no: str, locale: str, ext: str, version: int | None = None) -> str:
    """``<report-no>[-v<version>]-<locale>.<ext>``: the English and the Chinese report of one
    complaint (and two versions of one) never share a path, so writing one never overwrites the
    other."""
    versioned = "" if version is None else f"-v{version}"
    return f"{report_no}{versioned}-{locale}.{ext}"


def measurement_anchor(run_id: str, step: str, measurement: str) -> str:
    """A stable, HTML-safe id for a measurement row, so evidence links survive re-rendering."""
    digest = hashlib.sha256(f"{run_id}/{step}/{measurement}".encode()).hexdigest()[:16]
    return f"m-{digest}"


@dataclass(frozen=True, slots=True)
class ComplaintSummary:
    number: str
    product_no: str
    customer: str
    project: str = ""
    product_model: str = ""
    product_spec: str = ""
    lot: str = ""
    severity: str = ""
    symptom: str = ""
    symptom_text: str = ""
    received_at: datetime | None = None
    shipment_date: date | None = None
    shipped_qty: int | None = None
    defect_qty: int | None = None
    usage_temperature: str = ""
    time_in_use: str = ""
    usage_location: str = ""
    stock_on_hand_qty: int | None = None
    customer_demands: str = ""


@dataclass(frozen=True, slots=True)
class MeasurementRow:
    run_id: str
    step: str
    name: str
    value: float | None
    unit: str
    low: float | None
    high: float | None
    low_inclusive: bool
    high_inclusive: bool
    verdict: Verdict
    instrument: str | None
    timestamp: datetime
    text_value: str | None = None
    comparison: str = ""
    nominal: float | None = None
    marginal_low: float | None = None
    marginal_high: float | None = None
    """The marginal band inside the limits (a value beyond it passes, marked marginal)."""

    @property
    def anchor(self) -> str:
        return measurement_anchor(self.run_id, self.step, self.name)


@dataclass(frozen=True, slots=True)
class TraceChannel:
    name: str
    unit: str
    values: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class TraceData:
    name: str
    time_s: tuple[float, ...]
    channels: tuple[TraceChannel, ...]


@dataclass(frozen=True, slots=True)
class StepData:
    index: int
    name: str
    verdict: Verdict
    started: datetime
    ended: datetime
    measurements: tuple[MeasurementRow, ...] = ()
    traces: tuple[TraceData, ...] = ()
    message: str = ""


@dataclass(frozen=True, slots=True)
class ConclusionData:
    kind: str
    value: str
    explanation: str
    evidence: tuple[str, ...] = ()
    """``"<step name>/<measurement name>"`` within the same run, as ``procedures`` cites them."""


@dataclass(frozen=True, slots=True)
class RunData:
    run_id: str
    procedure: str
    procedure_version: str
    station: str
    operator: str
    started: datetime
    ended: datetime | None
    verdict: Verdict
    steps: tuple[StepData, ...] = ()
    conclusions: tuple[ConclusionData, ...] = ()

    def find_measurement(self, ref: str) -> MeasurementRow | None:
        step_name, _, name = ref.partition("/")
        for step in self.steps:
            if step.name == step_name:
                for row in step.measurements:
                    if row.name == name:
                        return row
        return None


@dataclass(frozen=True, slots=True)
class UnitData:
    serial: str
    lot: str = ""
    product_model: str = ""
    disposition: str = ""
    runs: tuple[RunData, ...] = ()

    @property
    def results(self) -> tuple[RunData, ...]:
        """Each procedure's latest run (the report holds valid runs only), diagnosis first:
        a unit's summary is built from these, each procedure on its own, never a mix."""
        latest: dict[str, RunData] = {}
        for run in self.runs:  # assembled oldest first
            latest[run.procedure] = run
        return tuple(
            sorted(
                latest.values(), key=lambda r: (not is_primary_procedure(r.procedure), r.procedure)
            )
        )

    @property
    def verdict(self) -> Verdict:
        """The worst of the procedures' latest verdicts (superseded re-runs do not count)."""
        return Verdict.worst(tuple(run.verdict for run in self.results))


@dataclass(frozen=True, slots=True)
class SetAsideRun:
    """A run kept in the record but not used as evidence in this report, and why."""

    unit_serial: str
    run_id: str
    procedure: str
    standing: str
    """``invalid`` (QA's decision, ``reason`` says why) or ``aborted`` (did not finish)."""
    reason: str = ""


# --- 8D --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EvidenceRef:
    """A pointer to proof: ``kind`` is ``measurement`` (ref ``<run>/<step>/<name>``), ``run``
    (ref = run id) or ``attachment`` (ref = attachment id, with its SHA-256)."""

    kind: str
    ref: str
    sha256: str = ""


@dataclass(frozen=True, slots=True)
class TeamMember:
    name: str
    department: str = ""
    role: str = "member"


@dataclass(frozen=True, slots=True)
class ProblemDescription:
    """D2 in 5W2H form; ``from_complaint`` fills it from the complaint form."""

    what: str = ""
    where: str = ""
    when: str = ""
    who: str = ""
    why: str = ""
    how: str = ""
    how_many: str = ""

    @classmethod
    def from_complaint(cls, complaint: ComplaintSummary) -> ProblemDescription:
        what = complaint.symptom if not complaint.symptom_text else complaint.symptom_text
        qty = ""
        if complaint.defect_qty is not None:
            shipped = "?" if complaint.shipped_qty is None else str(complaint.shipped_qty)
            qty = f"{complaint.defect_qty}/{shipped}"
        when = complaint.received_at.date().isoformat() if complaint.received_at else ""
        return cls(
            what=what,
            where=complaint.usage_location,
            when=when,
            who=complaint.customer,
            how=f"{complaint.usage_temperature} {complaint.time_in_use}".strip(),
            how_many=qty,
        )


@dataclass(frozen=True, slots=True)
class ContainmentAction:
    location: str
    qty_checked: int
    qty_ng: int
    frozen: bool = False
    method: str = ""
    owner: str = ""
    due: date | None = None
    done: date | None = None


@dataclass(frozen=True, slots=True)
class RootCause:
    kind: str
    """``occurrence`` or ``escape``."""
    description: str
    status: str = "hypothesis"
    method: str = ""
    category: str = ""
    """One of the manual's causes (``design``, ``manufacturing``...), for the Pareto."""
    evidence: tuple[EvidenceRef, ...] = ()


@dataclass(frozen=True, slots=True)
class ActionItem:
    phase: str
    """``d5``, ``d6`` or ``d7``."""
    description: str
    owner: str
    due: date | None = None
    done: date | None = None
    verification: str = ""
    evidence: tuple[EvidenceRef, ...] = ()


@dataclass(frozen=True, slots=True)
class Closure:
    criteria: str = ""
    closed_by: str = ""
    closed_at: datetime | None = None
    customer_acceptance: bool | None = None


@dataclass(frozen=True, slots=True)
class EightD:
    team: tuple[TeamMember, ...] = ()
    problem: ProblemDescription = ProblemDescription()
    containment: tuple[ContainmentAction, ...] = ()
    causes: tuple[RootCause, ...] = ()
    actions: tuple[ActionItem, ...] = ()
    closure: Closure = Closure()


@dataclass(frozen=True, slots=True)
class EvidenceFile:
    """One evidence file of the complaint, for the annex: the hash binds the signed report to
    the exact bytes, so the photo itself need not be copied into the frozen content."""

    attachment_id: str
    name: str
    media_type: str
    size: int
    sha256: str
    unit_serial: str = ""
    run_id: str = ""
    step: str = ""
    """Empty for a file attached to the complaint itself rather than to a run."""

    @property
    def is_photo(self) -> bool:
        return self.media_type in PHOTO_TYPES


PHOTO_TYPES = ("image/png", "image/jpeg")


# --- approvals and the report ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Signature:
    name: str
    meaning: str
    """``authored``, ``reviewed`` or ``approved`` (21 CFR 11.50)."""
    signed_at: datetime
    content_sha256: str


@dataclass(frozen=True, slots=True)
class AmendmentRef:
    report_no: str
    version: int
    reason: str


@dataclass(frozen=True, slots=True)
class ReportData:
    report_no: str
    version: int
    locale: str
    complaint: ComplaintSummary
    units: tuple[UnitData, ...] = ()
    eightd: EightD | None = None
    signatures: tuple[Signature, ...] = ()
    amends: AmendmentRef | None = None
    issued_at: datetime | None = None
    """Date printed on the report and used as the PDF creation date; from the data, never now."""
    evidence: tuple[EvidenceFile, ...] = ()
    set_aside: tuple[SetAsideRun, ...] = ()
    eightd_draft: bool = False
    """The 8D shown is the latest draft (no signed version exists); the report says so."""
    """Invalid and aborted runs: listed so the record is complete, never used as evidence."""

    @property
    def document_date(self) -> datetime:
        """The one timestamp the PDF metadata carries: issue, else last signature, else receipt."""
        if self.issued_at is not None:
            return self.issued_at
        if self.signatures:
            return max(s.signed_at for s in self.signatures)
        if self.complaint.received_at is not None:
            return self.complaint.received_at
        return datetime(2000, 1, 1, tzinfo=UTC)

    def measurement_ref_anchor(self, ref: str) -> str | None:
        """Anchor of the row a ``run/step/measurement`` evidence reference names, or ``None``
        when the report holds no such row (the renderers then mark the reference as missing)."""
        run_id, _, rest = ref.partition("/")
        step, _, name = rest.partition("/")
        known = any(
            run.run_id == run_id and run.find_measurement(rest) is not None
            for unit in self.units
            for run in unit.runs
        )
        return measurement_anchor(run_id, step, name) if known else None


def to_plain(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.name.lower()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [to_plain(v) for v in value]
    return value


def canonical_json(data: ReportData) -> bytes:
    """The report's content in one canonical byte form, signatures left out (they sign it).

    Floats go through ``repr`` so that the hash is exact and does not depend on the JSON encoder.
    """
    content = to_plain(dataclasses.replace(data, signatures=()))
    assert isinstance(content, dict)
    if not content["evidence"]:
        del content["evidence"]  # reports frozen before the annex existed keep their hash
    if not content["set_aside"]:
        del content["set_aside"]  # likewise for reports frozen before runs could be set aside
    if not content["eightd_draft"]:
        del content["eightd_draft"]  # likewise for reports frozen before 8D versions existed
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def content_sha256(data: ReportData) -> str:
    return hashlib.sha256(canonical_json(data)).hexdigest()


def from_plain(kind: Any, value: Any) -> Any:
    origin: Any = typing.get_origin(kind)
    if origin in (types.UnionType, typing.Union):
        if value is None:
            return None
        (inner,) = [a for a in typing.get_args(kind) if a is not type(None)]
        return from_plain(inner, value)
    if origin is tuple:
        item = typing.get_args(kind)[0]
        return tuple(from_plain(item, v) for v in value)
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    if kind is float:
        return float(value)
    if kind is Verdict:
        return verdict_named(value)
    if dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        fields = {
            f.name: from_plain(hints[f.name], value[f.name])
            for f in dataclasses.fields(kind)
            if f.name in value  # a field newer than the stored content takes its default
        }
        return kind(**fields)  # type: ignore[operator]
    return value


def report_from_json(content: bytes | str, signatures: tuple[Signature, ...] = ()) -> ReportData:
    """Rebuild the ``ReportData`` that ``canonical_json`` froze (signatures are stored apart)."""
    data = from_plain(ReportData, json.loads(content))
    assert isinstance(data, ReportData)
    return dataclasses.replace(data, signatures=signatures)
