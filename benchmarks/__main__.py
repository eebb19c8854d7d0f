"""Run every ``benchmarks/bench_*.py`` module's ``run()`` and print its results.

Exit status 1 when a target is missed in every attempt of its module (``report.confirmed``: a
module with a miss is measured again, up to three times, since this machine's speed swings), so a
regression is visible in a shell loop or CI job; a target that an open issue sets and does not
reach yet prints ``OPEN`` and does not fail the run (``Result.open_in``).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import benchmarks
from benchmarks.report import Result, confirmed


def main(selected: list[str]) -> int:
    missed = 0
    for module_info in sorted(pkgutil.iter_modules(benchmarks.__path__), key=lambda m: m.name):
        if not module_info.name.startswith("bench_"):
            continue
        if selected and module_info.name.removeprefix("bench_") not in selected:
            continue
        module = importlib.import_module(f"benchmarks.{module_info.name}")
        print(f"== {module_info.name}", flush=True)
        results: list[Result] = confirmed(module.run, say=lambda line: print(line, flush=True))
        for result in results:
            print(result.line(), flush=True)
            missed += result.fails_the_run
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
