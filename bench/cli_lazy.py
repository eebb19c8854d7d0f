"""A click group whose sub-commands are imported when one of them runs, not when ``packbench``
starts.

Every ``packbench`` process used to import every command module, and through them the service
(FastAPI), the report renderers (reportlab, fontTools), the simulators' catalogue, pint, the
ORM and the migrations: about 1.5 s of CPU before ``--help`` printed a line, paid again by every
command, runner and demo the test suite starts as a subprocess (docs/ci.md, "Where the time
goes"). A ``LazyGroup`` names each sub-command by the module and attribute that define it and
imports that module only when the command is looked up to run (click's "Lazily loading
subcommands" pattern).

The group's own ``--help`` lists every command with its one-line summary; the summaries are
kept here (``Lazy.summary``), the first paragraph of each command's help, so that listing them
imports nothing. ``tests/bench/test_cli_lazy.py`` checks each against the command's own help.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import click


@dataclass(frozen=True, slots=True)
class Lazy:
    """Where a sub-command lives (``module``'s ``attribute``) and its help's first paragraph."""

    module: str
    attribute: str
    summary: str

    def load(self) -> click.Command:
        """The command itself (importing its module and whatever that imports)."""
        command = getattr(importlib.import_module(self.module), self.attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.module}.{self.attribute} is not a click command")
        return command


class LazyGroup(click.Group):
    """A ``click.Group`` with sub-commands imported on first use (``lazy``: name -> where)."""

    def __init__(self, *args: Any, lazy: Mapping[str, Lazy] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, Lazy] = dict(lazy or {})
        self.after_load: Callable[[], None] | None = None
        """Called once a command's module is imported: ``bench.cli.main`` settles a command's
        own process's heap there (``results.heap``), once everything it runs with is imported."""
        self._listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            entry = self.lazy[cmd_name]
            if self._listing:  # the help's command list: the summary alone, nothing imported
                return click.Command(cmd_name, help=entry.summary)
            self.add_command(entry.load(), cmd_name)
            if self.after_load is not None:
                self.after_load()
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._listing = False
