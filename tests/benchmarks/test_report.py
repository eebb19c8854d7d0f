"""``make bench``'s verdict per figure: a missed target fails the run, except an open issue's
goal not reached yet, which says so and which issue holds it."""

from __future__ import annotations

from benchmarks.report import Result


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
