"""Suite-wide rules: tests that need PostgreSQL or Chromium (see ``required_services``), and the
report consistency check on every report the suite renders."""

from __future__ import annotations

import os

import pytest
from required_services import PROBES, required

_deselected: dict[str, tuple[int, str]] = {}

# Every report rendered under the suite (in this process and in the CLI subprocesses it starts,
# which inherit the environment) goes through ``results.reports.consistency.enforce``: a report
# that contradicts its verdicts, leaks an instrument address or cites nothing fails its test.
os.environ["PACKBENCH_CHECK_REPORTS"] = "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if required():
        return  # CI: run them, and let a missing service fail them
    for marker, probe in PROBES.items():
        marked = [item for item in items if item.get_closest_marker(marker) is not None]
        problem = probe() if marked else None
        if problem is None:
            continue
        config.hook.pytest_deselected(items=marked)
        items[:] = [item for item in items if item.get_closest_marker(marker) is None]
        _deselected[marker] = (len(marked), problem)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for marker, (count, problem) in _deselected.items():
        terminalreporter.write_line(
            f"{count} {marker} test(s) deselected: {problem}. "
            "Provide it, or set CI=true to make these tests required.",
            yellow=True,
        )


@pytest.fixture(autouse=True)
def _report_consistency(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Off only for a test marked ``inconsistent_report`` (one that renders broken data on
    purpose, e.g. a dangling evidence reference, to see how the renderer marks it)."""
    if request.node.get_closest_marker("inconsistent_report") is not None:
        monkeypatch.delenv("PACKBENCH_CHECK_REPORTS", raising=False)
