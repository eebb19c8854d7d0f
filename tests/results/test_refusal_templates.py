"""Every refusal the store words (a ``ValidationError`` or another ``ResultsError`` raised
anywhere in ``results/`` with its words in the source) has a read-back template in
``results/store_locale``: the refusal's text (``problem; fix``, or the whole message), its literal
words as written in the source and each computed part filled with a sample value, comes out in
Chinese with no English catalogue sentence left. The refusals are found by walking the source,
so a refusal added English-only fails here, not at a QA engineer's desk; a new kind of error
fails until it is told how it is worded."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from string import Formatter

import pytest
from catalogue_leaks import leaks
from source_words import call_name, message_format

from results.errors import InvalidTransition
from results.store_words import store_error_text, store_messages, transition_text

RESULTS = Path(__file__).resolve().parents[2] / "results"
CALLED = {
    "ValidationError": (1, 2), "TamperedRun": (1, 2), "DigestMismatch": (1, 2),
    "FileRefused": (3, 4),  # its __init__ hands the call's problem and fix on
    "ResultsError": (0,), "CalendarError": (0,), "EightDStateError": (0,),
    "SeparationOfDuties": (0,), "ReportError": (0,), "ApprovalError": (0,),
    "EvidenceError": (0,), "FontError": (0,),
}  # fmt: skip
"""Refusal kinds raised with their words in the call: name -> positions of the words (problem
and fix of a ``ValidationError``, else the message)."""
WORDED = {"ReconciliationRefused": (1, 2), "OffsetMismatch": (1, 2), "ImmutableReportError": (0,)}
"""Kinds that word the refusal in their ``__init__``: its ``super().__init__`` call is walked."""
OWN_WORDS = {"NotFound", "NoOutgoingRun", "InvalidTransition", "ReplyRefused"}
"""Written from their parts in the reader's language (``results.store_words``; a refused reply
issue by issue, by the command and the pages), not read back."""
NOT_REFUSALS = {"RecorderStateError", "MissingLabelError", "UnknownLocaleError"}
"""A caller's bug or a missing catalogue file: said to the developer, in English."""


def _refusal_kinds() -> set[str]:
    """Every class in ``results/`` that derives from ``ResultsError`` (directly or not)."""
    bases: dict[str, set[str]] = {}
    for path in RESULTS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {b.id for b in node.bases if isinstance(b, ast.Name)}
    kinds = {"ResultsError"}
    while grown := {n for n, b in bases.items() if b & kinds} - kinds:
        kinds |= grown
    return kinds


def _words(call: ast.Call, positions: tuple[int, ...]) -> str:
    args = [*call.args, *(k.value for k in call.keywords)]
    return "; ".join(message_format(args[i]) for i in positions)


def _refusals() -> Iterator[tuple[str, str]]:
    """(where, the refusal's text as a format string) for every refusal worded in ``results/``."""
    for path in sorted(RESULTS.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = str(path.relative_to(RESULTS.parent))
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            for call in ast.walk(cls) if cls.name in WORDED else ():
                if isinstance(call, ast.Call) and call_name(call) == "__init__" and call.args:
                    yield f"{where}:{call.lineno}", _words(call, WORDED[cls.name])
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            positions = CALLED.get(call_name(call))
            if positions is not None and call.args:
                yield f"{where}:{call.lineno}", _words(call, positions)


def _sample(refusal: str) -> str:
    count = iter(range(1000))
    return re.sub(
        r"\{x(!r)?\}",
        lambda m: repr(f"V{next(count)}x") if m.group(1) else f"V{next(count)}x",
        refusal,
    ).format()


REFUSALS = sorted(_refusals())


def test_every_refusal_kind_is_walked() -> None:
    """A new kind of refusal must be told how it is worded before its refusals count as read."""
    assert _refusal_kinds() == {*CALLED, *WORDED, *OWN_WORDS, *NOT_REFUSALS}
    assert len(REFUSALS) > 150  # the walk found the store's refusals, not an empty list


@pytest.mark.parametrize(("where", "refusal"), REFUSALS, ids=[w for w, _ in REFUSALS])
def test_a_refusal_reads_back_in_chinese(where: str, refusal: str) -> None:
    english = _sample(refusal)
    chinese = store_error_text(english, "zh_CN")
    assert store_error_text(english, "en") == english
    assert chinese != english, f"{where}: no store_error.* template reads {english!r}"
    assert re.search(r"[\u4e00-\u9fff]", chinese) and leaks(chinese) == {}, (where, chinese)


REASONS = {"InvalidTransition": 4, "guard": 1, "_refuse": 2}
"""Calls that carry a refused status change's reason: name -> position of the reason (a
``why=`` keyword counts too)."""


def _reasons() -> Iterator[tuple[str, str]]:
    """(where, reason as a format string) for every status change refused in ``results/`` with
    its reason worded in the source, and the closure note's place among the closure blockers."""
    for path in sorted(RESULTS.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = str(path.relative_to(RESULTS.parent))
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            name = call_name(call)
            args = [*call.args, *(k.value for k in call.keywords if k.arg == "why")]
            if name in REASONS and len(args) > REASONS[name]:
                yield f"{where}:{call.lineno}", message_format(args[REASONS[name]])
            elif name == "insert" and "closure" in ast.unparse(call.args[-1]):
                yield f"{where}:{call.lineno}", message_format(call.args[-1])


REASON_LIST = sorted(_reasons())


def test_the_reason_walk_finds_the_workflow_reasons() -> None:
    assert len(REASON_LIST) > 20


@pytest.mark.parametrize(("where", "reason"), REASON_LIST, ids=[w for w, _ in REASON_LIST])
def test_a_refused_change_reads_its_reason_in_chinese(where: str, reason: str) -> None:
    """Each ``; ``-separated part of the reason is said in Chinese (a part that is only a
    computed value, e.g. the closure blockers joined, is read by its own templates)."""
    english = _sample(reason)
    refused = InvalidTransition("complaint CC-1", "decided", "closed", ["reopened"], english)
    chinese = transition_text(refused, "zh_CN")
    assert transition_text(refused, "en") == str(refused)
    worded = [p for p in english.split("; ") if p and not re.fullmatch(r"'?V\d+x'?", p)]
    assert [p for p in worded if p in chinese] == [], (where, chinese)
    assert leaks(chinese) == {}, (where, chinese)


@pytest.mark.parametrize(
    "key",
    sorted(
        k
        for k in store_messages("en")
        if k.startswith(("closure.", "major_blocker.", "transition_why."))
    ),
)
def test_a_reason_template_reads_its_own_sentence(key: str) -> None:
    """The closure blockers, major-complaint blockers and reasons a refused change gives read
    back whole from their own English sentence (none shadowed by another template)."""
    names = [name for _, name, _, _ in Formatter().parse(store_messages("en")[key]) if name]
    english = store_messages("en")[key].format(**{n: f"V{i}x" for i, n in enumerate(names)})
    refused = InvalidTransition("complaint CC-1", "decided", "closed", ["reopened"], english)
    chinese = transition_text(refused, "zh_CN")
    assert english not in chinese and leaks(chinese) == {}, (key, chinese)
