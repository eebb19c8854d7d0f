"""``packbench demo``: the simulated station end to end (``bench.demo``)."""

from __future__ import annotations

from pathlib import Path

import click

from bench.cli_common import json_option, store_options
from bench.demo import run_demo


@click.command()
@json_option
@store_options
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="HTML report path.")
@click.option(
    "--record",
    "record_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep each unit's session in DIR/<serial> (as `run --record`).",
)
@click.option(
    "--station",
    "station_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A simulated station file (its language, store and instruments). Default: the "
    "built-in simulated station ($PACKBENCH_STATION is not read: the demo needs a simulator).",
)
def demo(
    as_json: bool, out: Path | None, record_dir: Path | None, station_file: Path | None
) -> int:
    """Simulated station, one sample complaint with returned packs in different faults, the
    full diagnosis of each, a verdict table and the complaint's HTML report, in the station's
    language."""
    return run_demo(out=out, as_json=as_json, record=record_dir, station_file=station_file)
