"""``python -m simulators``: serve a simulated bench until Ctrl-C or SIGTERM.

``python -m simulators conformance DIR``: judge the emulators by a recorded session instead
(``simulators.conformance``).

Prints where each instrument lives (``--json``: exactly one JSON object on the first line, for
scripts that start the bench as a subprocess), then serves. Exit status: 0 on a signal, 2 on a
bad argument (unknown fault, model or fixture), 1 if the bench cannot be served.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from types import FrameType

from simulators.launcher import (
    MODELS,
    LaunchError,
    ServerError,
    check_fault,
    fault_catalogue,
    start_bench,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m simulators", description=__doc__)
    parser.add_argument(
        "--fault",
        default="healthy",
        help="catalogue fault, or faults joined by + (deep_discharge_uv+aged_cell); "
        "see --list-faults",
    )
    parser.add_argument("--spec", default=None, help="pack spec TOML (default: reference pack)")
    parser.add_argument("--fixture", default="pack", choices=("pack", "board", "cell"))
    parser.add_argument("--source-model", default=MODELS["source"][0], choices=MODELS["source"])
    parser.add_argument("--load-model", default=MODELS["load"][0], choices=MODELS["load"])
    parser.add_argument("--rmeter-model", default=MODELS["rmeter"][0], choices=MODELS["rmeter"])
    parser.add_argument(
        "--no-temperature",
        action="store_true",
        help="no temperature channel (the second 34461A on the pack's NTC probe)",
    )
    parser.add_argument(
        "--chamber",
        action="store_true",
        help="also serve a temperature chamber around the cell fixture (ESPEC SU-241, role "
        "chamber, RS-232 on a pty): a station attached with [instruments.chamber] needs it",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--source-channel",
        type=int,
        default=1,
        help="source channel wired to the fixture (the station's fixture.source_channel)",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=None,
        help="follow the wall clock times this factor (1: real time); default: virtual time",
    )
    parser.add_argument("--no-serial", action="store_true", help="no pseudo-terminals")
    parser.add_argument("--json", action="store_true", help="one JSON object on the first line")
    parser.add_argument("--list-faults", action="store_true", help="list the fault catalogue")
    return parser


def _list_faults() -> int:
    for name, scenario in fault_catalogue().items():
        print(f"{name}\n    {scenario.description}\n    symptom: {scenario.symptom}")
    return 0


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    if words[:1] == ["conformance"]:
        from simulators.conformance import main as conformance

        return conformance(words[1:])
    args = _parser().parse_args(words)
    if args.list_faults:
        return _list_faults()
    try:
        check_fault(args.fault, args.spec)
    except LaunchError as error:
        print(f"python -m simulators: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(number: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        sim = start_bench(
            fault=args.fault,
            spec=args.spec,
            fixture=args.fixture,
            source_model=args.source_model,
            load_model=args.load_model,
            rmeter_model=args.rmeter_model,
            temperature_model=None if args.no_temperature else MODELS["temperature"][0],
            chamber_model=MODELS["chamber"][0] if args.chamber else None,
            seed=args.seed,
            serial=not args.no_serial,
            speed=args.speed,
            source_channel=args.source_channel,
        )
    except LaunchError as error:
        print(f"python -m simulators: {error}", file=sys.stderr)
        return 2
    except (ServerError, OSError) as error:
        print(f"python -m simulators: cannot serve the bench: {error}", file=sys.stderr)
        return 1
    with sim:
        if args.json:
            document = {
                "instruments": {
                    role: {"model": e.model, "resource": e.resource, "pty": e.pty}
                    for role, e in sim.instruments.items()
                },
                "control": sim.control_address,
            }
            print(json.dumps(document), flush=True)
        else:
            for role, e in sim.instruments.items():
                pty = f"  pty {e.pty}" if e.pty else ""
                print(f"{role:7} {e.model:8} {e.resource}{pty}")
            print(f"control {sim.control_address}  (ADVANCE <s>, STATE?, FAULT <name>, ...)")
            print("serving; Ctrl-C or SIGTERM stops", flush=True)
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
