"""``packbench``'s commands are imported when they run (``bench.cli_lazy``), and its help reads
as if they had all been imported."""

from __future__ import annotations

import inspect
import json
import subprocess
from pathlib import Path

import click
import pytest
from bench_helpers import PYTHON, child_env

from bench.cli import COMMANDS, cli
from bench.cli_lazy import Lazy, LazyGroup

HEAVY = (
    "sqlalchemy",
    "alembic",
    "pint",
    "numpy",
    "pydantic",
    "reportlab",
    "fontTools",
    "fastapi",
    "uvicorn",
    "pyvisa",
    "bench.config",
    "bench.runner",
    "instruments.drivers",
    "results.models",
    "service",
)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_summary_is_the_first_paragraph_of_its_commands_help(name: str) -> None:
    entry = COMMANDS[name]
    command = entry.load()
    assert command.name == name
    assert not command.hidden and not command.short_help and not command.deprecated
    first = inspect.cleandoc(command.help or "").split("\n\n")[0]
    assert " ".join(first.split()) == entry.summary
    stub = click.Command(name, help=entry.summary)
    for limit in (20, 45, 60, 79, 150):  # what `packbench --help` prints at any terminal width
        assert stub.get_short_help_str(limit) == command.get_short_help_str(limit)


def test_every_command_of_the_group_is_listed() -> None:
    assert set(cli.list_commands(click.Context(cli))) == set(COMMANDS)


def test_the_help_lists_summaries_without_importing_the_commands() -> None:
    group = LazyGroup("g", lazy={"x": Lazy("no.such.module", "x", "Does x. More.")})
    with click.Context(group, info_name="g") as context:
        assert "x  Does x." in group.get_help(context)
        with pytest.raises(ModuleNotFoundError):
            group.get_command(context, "x")


def test_a_command_runs_from_its_module() -> None:
    group = LazyGroup("g", lazy={"kpi": COMMANDS["kpi"]})
    with click.Context(group, info_name="g") as context:
        assert group.get_command(context, "kpi") is COMMANDS["kpi"].load()
        assert group.get_command(context, "nosuch") is None


def test_packbench_help_imports_no_heavy_module(tmp_path: Path) -> None:
    """The process's help (and its parsing of any command line) imports neither the store, the
    units, the reports nor the service: every command and runner starts faster by that."""
    script = (
        "import json, sys\n"
        "from bench.cli import main\n"
        "code = main(['--help'])\n"
        f"heavy = {HEAVY!r}\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy)\n"
        "print(json.dumps({'code': code, 'loaded': loaded}), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [PYTHON, "-c", script], env=child_env(tmp_path), capture_output=True, text=True, check=True
    )
    said = json.loads(done.stderr.strip().splitlines()[-1])
    assert said == {"code": 0, "loaded": []}
    assert "Commands:" in done.stdout and "  run " in done.stdout


def test_a_commands_own_process_settles_its_heap_after_importing_the_command(
    tmp_path: Path,
) -> None:
    """``results.heap``: what a command's process imported, its command's module included, is
    frozen out of the collector's reach (its module is imported after ``main`` starts)."""
    script = (
        "import gc, sys\n"
        "from bench import cli\n"
        "sys.argv = ['packbench', 'kpi', '--help']\n"
        "try:\n"
        "    cli.main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "command = sys.modules['bench.cli_clocks'].kpi.callback\n"
        "tracked = any(o is command for o in gc.get_objects())\n"
        "print(tracked, gc.get_threshold()[0], file=sys.stderr)\n"
    )
    done = subprocess.run(
        [PYTHON, "-c", script], env=child_env(tmp_path), capture_output=True, text=True, check=True
    )
    assert done.stderr.split() == ["False", "10000"]
