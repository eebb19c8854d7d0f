"""Before an outgoing inspection starts: the limits it judges by and the answers it cannot invent.

A release is a promise to the customer, so it must rest on what was looked at: ``--yes`` answers
an unanswered checklist item with its first option (``none``, ``ok``), which would pass a pack
nobody looked at. An unattended run (``--yes``) is therefore refused, before anything is opened
or written, unless the answers file gives every checklist item; and a spec without an
``[outgoing]`` section is refused, since there is nothing to judge the pack against.
"""

from __future__ import annotations

from collections.abc import Mapping

from bench.errors import InputError
from procedures.appearance import CHECKLIST
from procedures.outgoing import MissingOutgoingLimits, limits_of
from procedures.specs import PackSpec


def check_outgoing(spec: PackSpec, answers: Mapping[str, object], *, yes: bool) -> None:
    """Raise ``InputError`` (exit 2, nothing written) for limits or answers a run cannot get."""
    try:
        limits_of(spec)
    except MissingOutgoingLimits as exc:
        raise InputError(f"--spec: {exc}") from None
    if not yes:
        return
    for item in CHECKLIST:
        question = f"appearance.visual.{item.name}"
        if question not in answers:
            raise InputError(
                f"--yes cannot invent the appearance answer {question!r} of an outgoing "
                f'inspection; give it in --answers, e.g. "{question}" = "{item.passing[0]}" '
                "(TOML), or run without --yes and answer at the terminal"
            )
