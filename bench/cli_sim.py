"""``packbench sim``: a standalone simulated bench (``bench.simulated``)."""

from __future__ import annotations

import click

from bench.cli_common import Count, Positive, json_option
from bench.errors import EXIT_PASS
from bench.simulated import check_fault, fault_descriptions
from bench.simulated import serve as serve_simulation


@click.command()
@click.option(
    "--fault",
    default="healthy",
    help="Fault scenario (see --list-faults); combine with + (deep_discharge_uv+aged_cell).",
)
@click.option("--spec", default=None, help="Pack spec TOML (default: the reference pack).")
@click.option("--source-model", default="E36312A", type=click.Choice(["E36312A", "DP832"]))
@click.option("--load-model", default="DL3021", type=click.Choice(["DL3021", "IT8511"]))
@click.option("--rmeter-model", default="BT3562", type=click.Choice(["BT3562", "BT3563"]))
@click.option("--seed", type=Count(0, 2**32 - 1), default=0, help="Noise seed.")
@click.option("--speed", type=Positive(), default=None, help="Follow the wall clock times this.")
@click.option("--list-faults", is_flag=True, help="List the fault catalogue and exit.")
@json_option
def sim(
    fault: str,
    spec: str | None,
    source_model: str,
    load_model: str,
    rmeter_model: str,
    seed: int,
    speed: float | None,
    list_faults: bool,
    as_json: bool,
) -> int:
    """Serve a standalone simulated bench until Ctrl-C (like python -m simulators)."""
    if list_faults:
        for name, text in fault_descriptions().items():
            click.echo(f"{name}\n    {text}")
        return EXIT_PASS
    check_fault(fault, spec)
    return serve_simulation(
        fault=fault,
        spec=spec,
        source_model=source_model,
        load_model=load_model,
        rmeter_model=rmeter_model,
        seed=seed,
        speed=speed,
        as_json=as_json,
    )
