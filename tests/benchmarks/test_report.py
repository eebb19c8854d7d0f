"""``make bench``'s verdict per figure: a missed target fails the run, except an open issue's
goal not reached yet, which says so and which issue holds it."""

from __future__ import annotations

from collections.abc import Callable

from benchmarks.report import ATTEMPTS, Result, confirmed


def test_a_missed_target_fails_the_run() -> None:
    missed = Result("list page", 120.0, "ms", 100.0)
    assert missed.line() == "MISSED list page: 120 ms  (target <= 100 ms)"
    assert missed.fails_the_run


def test_an_open_issues_goal_not_reached_yet_is_printed_open_and_does_not_fail() -> None:
    goal = Result("submissions", 43.0, "runs/s", 150.0, at_least=True, open_in="#18")
    assert goal.line() == (
        "OPEN   submissions: 43 runs/s  (target >= 150 runs/s; not reached yet, open in issue #18)"
    )
    assert goal.met is False and not goal.fails_the_run


def test_an_open_goal_once_reached_is_met_like_any_other() -> None:
    reached = Result("fixed cost", 0.4, "ms", 0.5, open_in="#18")
    assert reached.line() == "MET    fixed cost: 0.4 ms  (target <= 0.5 ms)"
    assert reached.met and not reached.fails_the_run


def _attempts(
    *values: float, target: float = 100.0, open_in: str = ""
) -> tuple[list[int], Callable[[], list[Result]]]:
    """A module measuring one figure per call, ``values`` in turn, and a count of its calls."""
    calls: list[int] = []

    def measure() -> list[Result]:
        calls.append(1)
        value = values[len(calls) - 1]
        return [
            Result("list page", value, "ms", target, open_in=open_in),
            Result("info", value, "ms"),
        ]

    return calls, measure


def test_a_miss_is_measured_again_and_a_later_attempt_that_meets_says_so() -> None:
    calls, measure = _attempts(120.0, 90.0)
    said: list[str] = []
    figure, info = confirmed(measure, say=said.append)
    assert len(calls) == 2 and len(said) == 1 and "attempt 1 of 3" in said[0]
    assert figure.met and not figure.fails_the_run
    assert figure.line() == (
        "MET    list page: 90 ms  (target <= 100 ms)  [the best of 2 attempts: 120, 90 ms]"
    )
    assert info.value == 120.0, "a figure without a target keeps its first attempt"


def test_a_target_missed_in_every_attempt_fails_the_run_with_every_value_shown() -> None:
    calls, measure = _attempts(120.0, 130.0, 110.0)
    figure, _info = confirmed(measure, say=lambda _line: None)
    assert len(calls) == ATTEMPTS == 3
    assert figure.fails_the_run and figure.value == 110.0
    assert figure.line().endswith("[the best of 3 attempts: 120, 130, 110 ms]")


def test_the_best_attempt_is_kept_when_a_later_one_is_worse() -> None:
    _calls, measure = _attempts(120.0, 150.0, 140.0)
    figure, _info = confirmed(measure, say=lambda _line: None)
    assert figure.value == 120.0 and figure.attempts == (120.0, 150.0, 140.0)
    assert figure.fails_the_run


def test_figures_met_or_open_are_measured_once() -> None:
    for values, open_in in (((90.0, 80.0), ""), ((120.0, 80.0), "#18")):
        calls, measure = _attempts(*values, open_in=open_in)
        confirmed(measure, say=lambda _line: None)
        assert len(calls) == 1


def test_a_rate_keeps_its_highest_attempt() -> None:
    rates = iter((100.0, 140.0, 160.0))

    def measure() -> list[Result]:
        return [Result("submissions", next(rates), "runs/s", 150.0, at_least=True)]

    (figure,) = confirmed(measure, say=lambda _line: None)
    assert figure.met and figure.value == 160.0 and figure.attempts == (100.0, 140.0, 160.0)
