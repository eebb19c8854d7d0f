"""Who runs the test: ``--operator NAME`` or asked; the station file gives only a default.

A station file is shared by every technician at that bench, so its ``operator`` says who set the
bench up, not who tested the unit. The run records the name given here; the station's value is
used only when nobody is there to ask (no terminal, ``--yes`` or scripted answers).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

import click

from bench.cli_common import CleanText
from bench.config import StationConfig

F = TypeVar("F", bound=Callable[..., object])

OPERATOR_LENGTH = 100
"""The run row's ``operator`` column is 100 characters."""


def operator_option(function: F) -> F:
    return click.option(
        "--operator",
        type=CleanText(max_length=OPERATOR_LENGTH),
        envvar="PACKBENCH_OPERATOR",
        default=None,
        help="Who runs the test, recorded with the run (default: $PACKBENCH_OPERATOR; asked at "
        "a terminal; else the station file's operator).",
    )(function)


def with_operator(config: StationConfig, given: str | None, *, may_ask: bool) -> StationConfig:
    """``config`` with the run's operator: given, else asked (at a terminal), else the file's."""
    if given is not None:
        return replace(config, operator=given)
    if may_ask and sys.stdin.isatty():
        answer = click.prompt(
            "Operator (your name)",
            default=config.operator,
            type=CleanText(max_length=OPERATOR_LENGTH),
            err=True,
        )
        return replace(config, operator=str(answer))
    return config
