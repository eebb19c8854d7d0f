"""Suite-wide rules: tests that need PostgreSQL or Chromium (see ``required_services``), and the
report consistency check on every report the suite renders.

The suite runs under pytest-xdist (``-n`` in ``addopts``): each worker collects, and so probes and
deselects, on its own; the workers send what they deselected back to the controller
(``workeroutput``), which prints the one summary line per marker as a plain run does.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile
from contextlib import closing
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from required_services import PROBES, required

import results.store
from results.heap import settle_startup_heap
from results.migrations import upgrade

_deselected: dict[str, tuple[int, str]] = {}

# Every report rendered under the suite (in this process and in the CLI subprocesses it starts,
# which inherit the environment) goes through ``results.reports.consistency.enforce``: a report
# that contradicts its verdicts, leaks an instrument address or cites nothing fails its test.
os.environ["PACKBENCH_CHECK_REPORTS"] = "1"
# One cache folder for the whole run, fixed before any test moves HOME: the processes the suite
# starts (CLI commands, watchdogs, simulators) read pint's parsed definitions from it
# (``instruments.units``) instead of each parsing them again under its own fresh HOME.
os.environ.setdefault("XDG_CACHE_HOME", os.path.expanduser("~/.cache"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Tests marked slow first (a stable sort: the rest keep their order). Under xdist the
    # longest tests then start at once instead of being dealt last and running alone at the end.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
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
    workeroutput = getattr(config, "workeroutput", None)  # set in an xdist worker only
    if workeroutput is not None:
        workeroutput["packbench_deselected"] = dict(_deselected)


@cache
def _head_store_template() -> Path:
    """A SQLite store migrated to head by the real migrations, once per test process."""
    folder = Path(tempfile.mkdtemp(prefix="packbench-store-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = folder / "store.sqlite3"
    upgrade(path)
    return path


def _no_tables_yet(path: Path) -> bool:
    """No file, or a SQLite file with no schema yet and no journal beside it (``at_head``'s
    connection creates the file before ``upgrade`` is called)."""
    if not path.exists():
        return True
    if any(path.with_name(path.name + end).exists() for end in ("-wal", "-journal")):
        return False
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            return connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
    except sqlite3.Error:
        return False


def _new_store_from_template(target: str | Path, revision: str = "head") -> None:
    """``results.store.upgrade`` in the suite: a new, empty SQLite file at head is a copy of
    the template instead of twenty migrations run again.

    Why: about 250 tests open a store in a fresh ``HOME`` (the command line in-process), and
    each migration run from empty costs about 0.25 s of CPU (0.8 s the first in a process),
    about a minute over the suite. The copy is the same schema, made by the same migrations, in
    the same process; the migrations themselves stay tested where they are the subject
    (``tests/results/test_migration*.py`` call ``results.migrations.upgrade`` directly,
    untouched) and in every command the suite runs as a subprocess. Anything else (a URL, a
    file that already has tables, another revision, a folder that cannot take the copy) runs
    the real upgrade.
    """
    text = str(target)
    path = (
        Path(text.removeprefix("sqlite:///")).expanduser()
        if "://" not in text or (text.startswith("sqlite:///") and "?" not in text)
        else None
    )
    if (
        revision != "head"
        or path is None
        or not _no_tables_yet(path)
        or not path.parent.is_dir()
        or not os.access(path.parent, os.W_OK)
    ):
        upgrade(target, revision)
        return
    template = _head_store_template()
    try:
        shutil.copyfile(template, path)
    except OSError:
        path.unlink(missing_ok=True)
        upgrade(target, revision)


results.store.upgrade = _new_store_from_template  # type: ignore[assignment]


SAME_WORKER = (
    # the kill matrix: its cases share the module's simulator, and several at once on a 2-core
    # machine starve the paced runners they time
    "tests/bench/test_watchdog_kill.py::",
    "tests/bench/test_watchdog_kill_cold_soak.py::",
    # both locales read one `packbench demo` run (a module fixture)
    "tests/results/test_reports_consistency.py::test_every_demo_report_is_consistent",
)
"""Node id prefixes whose tests run on one xdist worker, one after the other. (xdist's own
``xdist_group`` mark does nothing under pytest 9: xdist 3.8 renames ``item._nodeid``, which
pytest 9 no longer reads.)"""


def same_worker_scope(nodeid: str) -> str:
    return next((prefix for prefix in SAME_WORKER if nodeid.startswith(prefix)), nodeid)


class _Controller:
    """The controller's side under xdist: the scheduler, and each worker's deselections."""

    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> Any:
        # xdist is imported only here: the suite also runs without it (serially).
        from xdist.scheduler import LoadScopeScheduling

        class SameWorkerScheduling(LoadScopeScheduling):  # type: ignore[misc]
            """``--dist load`` except for the ``SAME_WORKER`` groups (sent first: the
            scheduler deals larger scopes first)."""

            def _split_scope(self, nodeid: str) -> str:
                return same_worker_scope(nodeid)

        return SameWorkerScheduling(config, log)

    def pytest_testnodedown(self, node: Any, error: object | None) -> None:
        reported = getattr(node, "workeroutput", {}).get("packbench_deselected", {})
        for marker, (count, problem) in reported.items():
            _deselected.setdefault(marker, (count, problem))


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("xdist") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_Controller(), "packbench_xdist_controller")


def pytest_collection_finish(session: pytest.Session) -> None:
    """The collector settled once the test modules are imported, as a service worker or a
    command is after its imports (``results.heap``): a worker holds every module of the project
    and of the suite, and without this a fifth of its CPU went to generation-2 collections that
    walked them again and again (14.8 of 72.5 s over the verify-tamper, capacity and process-page
    tests; 5.4 to 6.9 s with it)."""
    settle_startup_heap()


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
