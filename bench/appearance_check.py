"""Before an appearance inspection starts: the answers it needs and cannot make up.

A caliper reading or a photo is evidence: ``--yes`` may answer "done" to an instruction, but a
run that invented a length or a picture would pass for the wrong reason. So an unattended run
(``--yes``) is refused before anything is written unless the answers file gives every reading and
every photo, and a photo file the answers name must exist. The message names the question id and
shows the line to add, which is what the person fixing the CI job needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from bench.errors import InputError
from bench.terminal_prompts import photo_path
from procedures.appearance import CHECKLIST, DEFECT_PHOTO, DIMENSION_UNIT, REQUIRED_PHOTOS
from procedures.specs import PackSpec


def _defects_expected(answers: Mapping[str, object]) -> bool:
    """Whether the checklist answers will find a defect (then a close-up photo is required).

    An item without a scripted answer gets ``--yes``'s answer, its first option, which passes.
    """
    for item in CHECKLIST:
        answer = answers.get(f"appearance.visual.{item.name}", item.options[0])
        if answer not in item.passing:
            return True
    return False


def evidence_questions(spec: PackSpec, answers: Mapping[str, object]) -> list[tuple[str, str]]:
    """(question id, what it is) of every reading and photo the inspection will ask for."""
    wanted = [
        (f"appearance.dim.{d.name}", f"caliper reading ({DIMENSION_UNIT})") for d in spec.dimensions
    ]
    photos = list(REQUIRED_PHOTOS)
    if _defects_expected(answers):
        photos.append(DEFECT_PHOTO)
    wanted += [(f"appearance.photo.{name}", "photo") for name, _ in photos]
    return wanted


def check_answers(
    spec: PackSpec, answers: Mapping[str, object], *, yes: bool, base_dir: Path | None
) -> None:
    """Raise ``InputError`` (exit 2, nothing written) for a reading or photo that cannot come."""
    for question_id, kind in evidence_questions(spec, answers):
        answer = answers.get(question_id)
        if answer is None:
            if yes:
                example = '"69.0 mm"' if kind != "photo" else '"photos/front.jpg"'
                raise InputError(
                    f"--yes cannot invent the {kind} {question_id!r} of spec {spec.model}; give "
                    f'it in --answers, e.g. "{question_id}" = {example} (TOML) or run without '
                    "--yes and answer at the terminal"
                )
            continue
        if kind == "photo" and isinstance(answer, str):
            path = photo_path(answer, base_dir)
            if not path.is_file():
                raise InputError(
                    f"--answers: photo {question_id!r} names {path}, which is not a file; give "
                    "the picture's path relative to the answers file"
                )
