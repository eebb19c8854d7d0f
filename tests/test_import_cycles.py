"""No import cycles between our modules, counting the imports inside functions too.

An import moved into a function hides a cycle from Python's loader but not from a reader: the two
modules still cannot be understood (or tested) apart. import-linter's contracts check layers, not
cycles, so this test walks grimp's graph (grimp comes with import-linter) for strongly connected
groups of modules. Imports under ``TYPE_CHECKING`` are left out: they never run.
"""

from __future__ import annotations

import grimp
import pytest

PACKAGES = ("bench", "service", "results", "procedures", "instruments", "simulators")


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every group of two or more modules that import each other, directly or around a loop
    (Tarjan's strongly connected components, iterative so deep graphs need no recursion)."""
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    work: list[tuple[str, list[str]]] = []
    """Depth-first path: each module with the imports it has still to visit."""

    def enter(module: str) -> None:
        index[module] = lowlink[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        work.append((module, sorted(graph.find_modules_directly_imported_by(module))))

    for root in sorted(graph.modules):
        if root in index:
            continue
        enter(root)
        while work:
            module, pending = work[-1]
            if pending:
                target = pending.pop()
                if target not in index:
                    enter(target)
                elif target in on_stack:
                    lowlink[module] = min(lowlink[module], index[target])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                lowlink[parent] = min(lowlink[parent], lowlink[module])
            if lowlink[module] == index[module]:
                group: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == module:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return sorted(groups)


def test_the_finder_sees_a_cycle_hidden_in_a_function() -> None:
    graph = grimp.ImportGraph()
    for module in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(module)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.c")
    graph.add_import(importer="pkg.c", imported="pkg.a")
    assert import_cycles(graph) == [["pkg.a", "pkg.b", "pkg.c"]]


@pytest.mark.parametrize(
    "cycle",
    [
        ("results.audit", "results.verify"),
        ("results.verify", "results.verify_documents"),
        ("results.complaints", "results.workflow"),
        ("results.db", "results.migrations"),
        ("bench.station", "bench.simulated"),
        ("bench.cli", "bench.demo"),
    ],
)
def test_the_cycles_once_hidden_in_functions_stay_gone(cycle: tuple[str, str]) -> None:
    first, second = cycle
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True)
    assert not (
        graph.chain_exists(importer=first, imported=second)
        and graph.chain_exists(importer=second, imported=first)
    )


def test_no_module_of_ours_takes_part_in_an_import_cycle() -> None:
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True)
    assert import_cycles(graph) == []
