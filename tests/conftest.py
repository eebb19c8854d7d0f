"""Suite-wide rule for tests that need PostgreSQL or Chromium (see ``required_services``)."""

from __future__ import annotations

import pytest
from required_services import PROBES, required

_deselected: dict[str, tuple[int, str]] = {}


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
