"""Every sentence of a report that summarises, generated from the recorded verdicts.

A report that says "every test passed" above a skipped protection test, or "the pack meets its
specification" above a failed measurement, cannot be signed. So the report never prints such a
sentence as a constant: ``run_sentences`` counts the run's tests (measurements) by verdict, names
the steps not performed or not completed, and says "every test passed" only when every step and
every test did (``claim_holds``); ``unit_sentence`` lists each procedure's latest valid result on
its own. Recorded conclusion explanations are written by the diagnosis rules for
the bench; a summarising clause in them ("Every test passed: ...") is replaced by the generated
summary (``without_summary_claims``), and the consistency check (``results.reports.consistency``)
proves that no summarising claim survives that the verdicts do not support.
"""

from __future__ import annotations

import re
from collections import Counter

from procedures.records import Verdict
from results.reports.labels import DEFAULT_LOCALE, Catalogue
from results.reports.model import RunData, UnitData
from results.reports.names import step_label
from results.reports.recorded import said
from results.reports.sanitise import customer_text

#: Order the counts are stated in: the worst news is never hidden at the end of a long list.
_COUNT_ORDER = ("fail", "error", "aborted", "incomplete", "skipped", "marginal", "pass")

#: Summarising claims as the rules and templates phrase them, in English and Chinese. A claim is
#: only true of a run whose every step passed (``claim_holds``).
CLAIMS: tuple[re.Pattern[str], ...] = (
    re.compile(
        r"\b(?:every|all)(?:\s+(?:later|other|remaining))?\s+tests?\s+(?:have\s+)?passed\b", re.I
    ),
    re.compile(r"\bevery\s+step\s+passed\b", re.I),
    re.compile(r"\b(?:meets?|met|meeting)\s+(?:its|their|the)\s+specifications?\b", re.I),
    re.compile(r"\b(?:is|are)\s+within\s+(?:its|their)\s+specifications?\b", re.I),
    re.compile(
        r"(?:所有|全部|各项)[^。；，,]{0,12}(?:测试|检测|项目)[^。；，,]{0,6}(?:均|都|全部)?(?:已)?通过"
    ),
    re.compile(r"符合(?:其|产品)?规格"),
    re.compile(
        r"\b(?:the\s+)?(?:unit|units|pack|packs|complaint)\s+(?:has\s+|have\s+)?passed\b", re.I
    ),
)


def verdict_name(verdict: Verdict) -> str:
    return verdict.name.lower()


def measurement_counts(run: RunData) -> Counter[str]:
    """The run's measurements (its tests) by verdict name."""
    return Counter(verdict_name(m.verdict) for step in run.steps for m in step.measurements)


def claim_holds(run: RunData) -> bool:
    """A run of which "every test passed" is true: every step ran and passed, and every
    measurement it took passed (a step can pass with a test inside it not measured)."""
    return (
        bool(run.steps)
        and all(step.verdict is Verdict.PASS for step in run.steps)
        and all(m.verdict is Verdict.PASS for step in run.steps for m in step.measurements)
    )


def has_claim(text: str) -> bool:
    return any(p.search(text) for p in CLAIMS)


def _counted(counts: Counter[str], t: Catalogue) -> str:
    ordered = sorted(
        counts.items(),
        key=lambda kv: _COUNT_ORDER.index(kv[0]) if kv[0] in _COUNT_ORDER else -1,
    )
    parts = [
        t.format(f"summary.count.{name}", n=n)
        if f"summary.count.{name}" in t.messages
        else f"{n} {t.enum('verdict', name)}"
        for name, n in ordered
    ]
    return t["summary.separator"].join(parts)


def run_sentences(run: RunData, t: Catalogue) -> list[str]:
    """The run's result, its tests counted by verdict and the steps not performed, each from
    the records; "every test passed" only when ``claim_holds``."""
    verdict = t.enum("verdict", verdict_name(run.verdict))
    sentences = [t.format("summary.run", procedure=run.procedure, run=run.run_id, verdict=verdict)]
    tests = measurement_counts(run)
    if claim_holds(run):
        sentences.append(t.format("summary.all_passed", n=sum(tests.values())))
    elif tests:
        sentences.append(t.format("summary.tests", counts=_counted(tests, t)))
    joiner = t["summary.separator"]
    missing = [step_label(t, s.name) for s in run.steps if s.verdict is Verdict.SKIPPED]
    if missing:
        sentences.append(t.format("summary.missing", steps=joiner.join(missing)))
    broken = [
        step_label(t, s.name) for s in run.steps if s.verdict in (Verdict.ERROR, Verdict.ABORTED)
    ]
    if broken:
        sentences.append(t.format("summary.broken", steps=joiner.join(broken)))
    return sentences


def unit_sentence(unit: UnitData, t: Catalogue) -> str:
    """Each procedure's latest valid result on its own: never one verdict over mixed runs."""
    if not unit.results:
        return t["summary.unit_none"]
    parts = [
        t.format(
            "summary.unit_result",
            procedure=run.procedure,
            verdict=t.enum("verdict", verdict_name(run.verdict)),
            run=run.run_id,
        )
        for run in unit.results
    ]
    return t.format("summary.unit", results=t["summary.separator"].join(parts))


_SENTENCE = re.compile(r".+?(?:[.!?](?=\s|$)|[。！？]|$)", re.S)
"""A sentence ends at ``.``/``!``/``?`` before a space or the end (not in ``2.4 V``), or at a
Chinese full stop."""


def without_summary_claims(text: str) -> str:
    """``text`` without its summarising clauses (the report states those from the verdicts).

    ``"Every test passed: the complaint does not reproduce"`` keeps ``"The complaint does not
    reproduce"``; ``"..., and every later test passed."`` loses the clause; any other sentence
    that makes a claim is dropped whole.
    """
    if not has_claim(text):
        return text
    out = []
    for sentence in _SENTENCE.findall(text):
        if not has_claim(sentence):
            out.append(sentence)
            continue
        kept = _strip(sentence)
        if kept and not has_claim(kept):
            out.append(kept)
    return " ".join(s.strip() for s in out if s.strip())


def _strip(sentence: str) -> str:
    for pattern in CLAIMS:
        match = pattern.search(sentence)
        if match is None:
            continue
        head, tail = sentence[: match.start()], sentence[match.end() :]
        colon = re.match(r"^[^:：]*[:：]\s*", tail)
        if colon is not None and not re.search(r"[:：]", head):
            rest = tail[colon.end() :]
            sentence = rest[:1].upper() + rest[1:]
            continue
        joined = re.search(r"(?:,\s*|\s+)(?:and|while|but)\s+$|[,，、]\s*$", head)
        if joined is not None:
            end = re.match(r"^[^.。!！?？]*", tail)
            sentence = head[: joined.start()] + tail[end.end() if end else 0 :]
            continue
        return ""
    return sentence


def shown_explanation(explanation: str, locale: str = DEFAULT_LOCALE) -> str:
    """A recorded explanation as the report prints it: in the report's language (the recorded
    English read back to its catalogue sentence, ``procedures.phrases``, the codes it quotes
    labelled, ``results.reports.recorded``), summarising clauses left to the generated summary,
    instrument addresses withheld."""
    return customer_text(without_summary_claims(said(explanation, locale)))


def shown_note(message: str, locale: str = DEFAULT_LOCALE) -> str:
    """A step's message (why it was skipped or errored) as a customer may read it, in the
    report's language where it is a catalogue sentence (the codes it quotes labelled)."""
    return customer_text(said(message, locale))


def diagnosis_runs(unit: UnitData) -> tuple[RunData, ...]:
    """The runs whose conclusions the diagnosis section shows: each procedure's latest, so a
    superseded re-run never adds a second, older diagnosis beside the current one."""
    return unit.results


def shown_value(t: Catalogue, kind: str, value: str) -> str:
    """A conclusion's value as printed: coded values labelled; free-text values (advice) are
    sentences, so their summarising clauses go the way of explanations."""
    label = t.conclusion(kind, value)
    return shown_explanation(label, t.locale) if label == value else label
