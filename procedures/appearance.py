"""The complaint manual's appearance and dimension inspection, as an ordinary procedure.

The manual's steps: prepare calipers and a magnifier; look the pack over; look up the lot's
shipment records and production reports; measure against the drawing; judge; photograph
everything. Nothing here needs an instrument: the operator is the instrument, so every answer
comes through the prompt interface (scripted in CI) and is recorded like any reading, with limits
and a verdict, so the report shows it in the same table as a voltage. The caliper's identity is
asked once and stored as the instrument of every dimension, which keeps the reading traceable to
a calibrated tool.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from procedures.context import RunView, StepContext
from procedures.declared import DIMENSION, Declared, LimitFactory
from procedures.engine import Procedure, Step
from procedures.errors import PromptError
from procedures.measurements import CategoricalMeasurement, Measurement
from procedures.phrases import say
from procedures.records import Conclusion, Verdict

NAME = "appearance_inspection"
VERSION = "1.0"
DIMENSION_UNIT = "mm"
PHOTO_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


class PhotoError(PromptError):
    """A 'photo' answer is not a JPEG or PNG: an entry mistake, not a finding on the pack."""


@dataclass(frozen=True, slots=True)
class VisualItem:
    """One line of the visual checklist: the question and how each answer is judged."""

    name: str
    question: str
    options: tuple[str, ...]
    passing: tuple[str, ...]
    marginal: tuple[str, ...] = ()
    safety: bool = False
    """A fail here (swelling, leakage) is a safety symptom: the major-complaint path follows."""

    def measurement(self) -> CategoricalMeasurement:
        return CategoricalMeasurement(
            self.name,
            allowed=self.options,
            passing=self.passing,
            marginal=self.marginal,
            description=self.question,
        )


CHECKLIST: tuple[VisualItem, ...] = (
    VisualItem(
        "dents",
        "Dents or deformation of the case?",
        ("none", "minor", "severe"),
        ("none",),
        ("minor",),
    ),
    VisualItem("swelling", "Swelling of cells or case?", ("none", "present"), ("none",), (), True),
    VisualItem(
        "scratches",
        "Scratches on the case or wrap?",
        ("none", "minor", "deep"),
        ("none",),
        ("minor",),
    ),
    VisualItem(
        "label",
        "Label present, legible and matching the model?",
        ("ok", "damaged", "missing", "wrong"),
        ("ok",),
    ),
    VisualItem(
        "leakage_marks",
        "Electrolyte leakage marks or smell?",
        ("none", "present"),
        ("none",),
        (),
        True,
    ),
    VisualItem(
        "corrosion",
        "Corrosion of terminals, nickel strips or leads?",
        ("none", "terminals", "extensive"),
        ("none",),
    ),
)
REQUIRED_PHOTOS: tuple[tuple[str, str], ...] = (
    ("overall_front", "Photograph the whole pack, front side, with a scale"),
    ("overall_back", "Photograph the whole pack, back side, with a scale"),
    ("label", "Photograph the label so the lot and date code are legible"),
    ("terminals", "Photograph the terminals / connector and leads under the magnifier"),
)
DEFECT_PHOTO = ("defect_closeup", "Photograph every defect found, close up under the magnifier")

_RECORD_STATUS = ("linked", "not_found")
LOT_RECORDS = ("shipment_record", "production_report")
CALIPER_ID = "caliper_id"
UNIDENTIFIED = "unidentified"
"""Recorded as the caliper when the operator typed none (the reports give it words)."""
_PREPARED = CategoricalMeasurement(
    "tools_prepared", ("yes",), ("yes",), description="calipers and magnifier at hand"
)


def _record_status(name: str) -> CategoricalMeasurement:
    # A lot record that cannot be found does not fail the pack, but the report must show it.
    return CategoricalMeasurement(
        f"{name}_status", _RECORD_STATUS, ("linked",), ("not_found",), f"{name} of the lot"
    )


def _status_name(record: str) -> str:
    return f"{record}_status"


def _reference_name(record: str) -> str:
    return f"{record}_ref"


def _photo_name(photo: str) -> str:
    return f"photo_{photo}"


_PHOTO_MEASUREMENT = {
    name: CategoricalMeasurement(_photo_name(name), ("attached",), ("attached",), description=text)
    for name, text in (*REQUIRED_PHOTOS, DEFECT_PHOTO)
}


def _fixed(measurement: CategoricalMeasurement) -> LimitFactory:
    """The limits of an answer that do not depend on the spec, as a declared factory."""
    return lambda spec: measurement


# What each step records (``procedures.declared``): every answer is owed, except a lot record's
# reference (only when found) and the defect close-up (only when the checklist found something).
PREPARE_MEASURES = (
    Declared(_PREPARED.name, required=True, limits=_fixed(_PREPARED)),
    Declared(CALIPER_ID, required=True, description="caliper used for the dimensions"),
)
LOT_MEASURES = tuple(
    item
    for record in LOT_RECORDS
    for item in (
        Declared(_status_name(record), required=True, limits=_fixed(_record_status(record))),
        Declared(_reference_name(record), description=f"{record} document number"),
    )
)
VISUAL_MEASURES = tuple(
    Declared(item.name, required=True, limits=_fixed(item.measurement())) for item in CHECKLIST
)
DIMENSION_MEASURES = (
    Declared(DIMENSION, DIMENSION_UNIT, required=True, description="each drawing dimension"),
)
PHOTO_MEASURES = tuple(
    Declared(m.name, required=name != DEFECT_PHOTO[0], limits=_fixed(m))
    for name, m in _PHOTO_MEASUREMENT.items()
)


def dimension_measurements(view: RunView) -> list[Measurement]:
    """One measurement per drawing dimension, with the spec's tolerance as limits."""
    return [
        Measurement(
            d.name,
            DIMENSION_UNIT,
            low=d.low,
            high=d.high,
            nominal=d.nominal,
            description=f"{d.name.replace('_', ' ')}: {d.nominal:~P} -{d.minus:~P}/+{d.plus:~P}",
        )
        for d in view.spec.dimensions
    ]


def prepare_tools(ctx: StepContext) -> None:
    """Calipers and magnifier at hand; the caliper's identity goes with every dimension."""
    ctx.prompt.confirm("appearance.prepare", "Prepare calipers and a magnifier")
    ctx.measure(_PREPARED, "yes")
    caliper = ctx.prompt.text(
        "appearance.caliper_id", "Caliper asset number (as on its calibration sticker)"
    ).strip()
    ctx.measure(
        CategoricalMeasurement(CALIPER_ID, description="caliper used for the dimensions"),
        caliper or UNIDENTIFIED,
    )


def lot_records(ctx: StepContext) -> None:
    """Shipment record and production report of the lot: linked by reference or noted missing."""
    for name, question in zip(
        LOT_RECORDS,
        (
            "Shipment record of the lot (document number), empty if not found",
            "Production report of the lot (document number), empty if not found",
        ),
        strict=True,
    ):
        reference = ctx.prompt.text(f"appearance.{name}", question).strip()
        ctx.measure(_record_status(name), "linked" if reference else "not_found")
        if reference:
            ctx.measure(
                CategoricalMeasurement(_reference_name(name), description=question), reference
            )


def visual_check(ctx: StepContext) -> None:
    """The checklist item by item, each answer judged (none passes; minor is marginal)."""
    for item in CHECKLIST:
        answer = ctx.prompt.choice(f"appearance.visual.{item.name}", item.question, item.options)
        ctx.measure(item.measurement(), answer)


def dimensions(ctx: StepContext) -> None:
    """Caliper readings against the drawing; a bare number is taken in millimetres."""
    if not ctx.spec.dimensions:
        ctx.skip(say("appearance.no_dimensions", model=repr(ctx.spec.model)))
    caliper = ctx.measurement(CALIPER_ID).text_value if ctx.has(CALIPER_ID) else None
    instrument = f"caliper {caliper}" if caliper else None
    for measurement, dim in zip(dimension_measurements(ctx), ctx.spec.dimensions, strict=True):
        value = ctx.prompt.number(
            f"appearance.dim.{dim.name}",
            f"Measure the {dim.name.replace('_', ' ')} (drawing {measurement.description})",
            DIMENSION_UNIT,
        )
        ctx.measure(measurement, value, instrument=instrument)


def _defects_found(view: RunView) -> bool:
    return any(
        view.has(item.name) and view.measurement(item.name).verdict > Verdict.PASS
        for item in CHECKLIST
    )


def photographs(ctx: StepContext) -> None:
    """Every required view, and a close-up when the checklist found something; kept as evidence."""
    wanted = list(REQUIRED_PHOTOS)
    if _defects_found(ctx):
        wanted.append(DEFECT_PHOTO)
    for name, instruction in wanted:
        photo = ctx.prompt.photo(f"appearance.photo.{name}", instruction)
        if not photo.data.startswith(PHOTO_MAGIC):
            raise PhotoError(
                f"photo {name!r} ({photo.name}) is not a JPEG or PNG image; take the photo again"
            )
        extension = ".png" if photo.data.startswith(PHOTO_MAGIC[1]) else ".jpg"
        ctx.attach(f"{name}{extension}", photo.data)
        ctx.measure(_PHOTO_MEASUREMENT[name], "attached")


def _refs(view: RunView, names: Iterable[str]) -> tuple[str, ...]:
    return tuple(view.ref(n) for n in names if view.has(n))


def _graded(view: RunView, names: Iterable[str], verdict: Verdict) -> list[str]:
    return [n for n in names if view.has(n) and view.measurement(n).verdict is verdict]


def _answers(view: RunView, names: Sequence[str]) -> str:
    return ", ".join(f"{n} = {view.measurement(n).text_value}" for n in names)


def _readings(view: RunView, names: Sequence[str]) -> str:
    return "; ".join(f"{n} {view.measurement(n).comparison}" for n in names)


def _defect_photo(view: RunView) -> tuple[str, tuple[str, ...]]:
    """The close-up's name (``defect_closeup``) and its reference, when it was taken."""
    name = _photo_name(DEFECT_PHOTO[0])
    if not view.has(name):
        return "", ()
    return DEFECT_PHOTO[0], (view.ref(name),)


def _with_photo(key: str, answers: str, photo: str) -> str:
    """``key``'s sentence, naming the close-up photo when there is one (``key``_photo)."""
    if photo:
        return say(f"{key}_photo", answers=answers, photo=photo)
    return say(key, answers=answers)


def judge(view: RunView) -> list[Conclusion]:
    """The inspection's findings, each following the verdicts of the records it cites.

    A failed item is a defect; a marginal one (a minor dent or scratch) is reported as marginal,
    with the close-up photo, never folded into "free of defects"; a lot record that could not be
    found is noted. "No fault found" is said only when nothing was marginal or failed, and its
    sentence counts what was judged (dimensions that were not measured are named as such).
    """
    visual = [item.name for item in CHECKLIST]
    dims = [d.name for d in view.spec.dimensions]
    bad_visual = _graded(view, visual, Verdict.FAIL)
    conclusions = [*_visual_findings(view, visual), *_dimension_findings(view, dims)]
    conclusions.extend(_advice(view, bad_visual))
    if not any(c.kind == "symptom" for c in conclusions):
        conclusions.append(_no_defect(view, visual, dims))
    return conclusions


def _visual_findings(view: RunView, visual: Sequence[str]) -> list[Conclusion]:
    """Failed checklist items as defects, marginal ones as recorded marginal findings."""
    photo, photo_ref = _defect_photo(view)
    conclusions: list[Conclusion] = []
    bad = _graded(view, visual, Verdict.FAIL)
    worn = _graded(view, visual, Verdict.MARGINAL)
    if bad:
        conclusions.append(
            Conclusion(
                "symptom",
                "appearance",
                _with_photo("appearance.visual_defects", _answers(view, bad), photo),
                _refs(view, bad) + photo_ref,
            )
        )
    if worn:
        conclusions.append(
            Conclusion(
                "symptom",
                "appearance",
                _with_photo("appearance.marginal_visual", _answers(view, worn), photo),
                _refs(view, worn) + photo_ref,
            )
        )
    return conclusions


def _dimension_findings(view: RunView, dims: Sequence[str]) -> list[Conclusion]:
    """Dimensions out of the drawing's tolerance, then marginal ones."""
    conclusions: list[Conclusion] = []
    bad = _graded(view, dims, Verdict.FAIL)
    near = _graded(view, dims, Verdict.MARGINAL)
    if bad:
        conclusions.append(
            Conclusion(
                "symptom",
                "dimensions",
                say("appearance.out_of_tolerance", readings=_readings(view, bad)),
                _refs(view, bad),
            )
        )
    if near:
        conclusions.append(
            Conclusion(
                "symptom",
                "dimensions",
                say("appearance.marginal_dimensions", readings=_readings(view, near)),
                _refs(view, near),
            )
        )
    return conclusions


def _advice(view: RunView, bad_visual: Sequence[str]) -> list[Conclusion]:
    """A safety finding's handling, and the lot records still to be found."""
    conclusions: list[Conclusion] = []
    safety = [n for n in bad_visual if next(i for i in CHECKLIST if i.name == n).safety]
    if safety:
        conclusions.append(
            Conclusion(
                "advice",
                say("advice.isolate"),
                say("appearance.safety_finding", items=", ".join(safety)),
                _refs(view, safety),
            )
        )
    records = [_status_name(name) for name in LOT_RECORDS]
    missing = [n for n in records if view.has(n) and view.measurement(n).verdict > Verdict.PASS]
    if missing:
        conclusions.append(
            Conclusion(
                "advice",
                say("advice.find_lot_records"),
                say("appearance.lot_records_missing", answers=_answers(view, missing)),
                _refs(view, missing),
            )
        )
    return conclusions


def _no_defect(view: RunView, visual: Sequence[str], dims: Sequence[str]) -> Conclusion:
    """ "No fault found", worded from what was judged: never a claim about what was not."""
    looked = [n for n in visual if view.has(n)]
    measured = [n for n in dims if view.has(n)]
    if measured:
        text = say("appearance.no_defect", looked=len(looked), measured=len(measured))
    else:
        step = view.step("dimensions")
        why = step.message if step is not None and step.message else say("skip.not_measured_bare")
        text = say("appearance.no_defect_unmeasured", looked=len(looked), why=why)

    return Conclusion("symptom", "no_fault_found", text, _refs(view, [*looked, *measured]))


def _step(function: Callable[[StepContext], None], measures: tuple[Declared, ...]) -> Step:
    """A step named after its function, as a plain function step is, with its declarations."""
    return Step(
        function.__name__, function, description=(function.__doc__ or "").strip(), measures=measures
    )


def appearance_procedure() -> Procedure:
    """The procedure; needs a pack spec (``spec=`` of ``run_procedure``) and no instruments."""
    return Procedure(
        NAME,
        VERSION,
        [
            _step(prepare_tools, PREPARE_MEASURES),
            _step(lot_records, LOT_MEASURES),
            _step(visual_check, VISUAL_MEASURES),
            _step(dimensions, DIMENSION_MEASURES),
            _step(photographs, PHOTO_MEASURES),
        ],
        conclude=judge,
        description=__doc__ or "",
    )


__all__ = [
    "CHECKLIST",
    "DEFECT_PHOTO",
    "REQUIRED_PHOTOS",
    "PhotoError",
    "VisualItem",
    "appearance_procedure",
    "dimension_measurements",
    "judge",
]
