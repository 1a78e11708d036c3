"""No import cycles among the packages (components, queries, metric_engine, core, data): the
layers of docs/architecture.md run one way, and within a layer no two modules need each other.
The graph is grimp's (the one `lint-imports` checks the layer contracts on); imports inside
functions and under TYPE_CHECKING count, since they tie the modules together all the same."""

from __future__ import annotations

from functools import cache

import grimp

PACKAGES = ("components", "queries", "metric_engine", "core", "data")


@cache
def _graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def import_cycles(graph: grimp.ImportGraph) -> list[frozenset[str]]:
    """Every set of modules that import one another, directly or round a loop (strongly
    connected components of two or more modules, and modules importing themselves)."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in sorted(graph.modules)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[frozenset[str]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]  # iterative Tarjan: no recursion limit on deep chains
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(edges[succ])))
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1 or node in edges[node]:
                        cycles.append(frozenset(component))
    return cycles


def describe(graph: grimp.ImportGraph, cycles: list[frozenset[str]]) -> str:
    """Each cycle with its imports and their line numbers, to know which import to remove."""
    lines = []
    for cycle in cycles:
        lines.append(" <-> ".join(sorted(cycle)))
        for importer in sorted(cycle):
            for imported in sorted(graph.find_modules_directly_imported_by(importer) & cycle):
                details = graph.get_import_details(importer=importer, imported=imported)
                at = ", ".join(f"l.{d['line_number']}" for d in details)
                lines.append(f"    {importer} -> {imported} ({at})")
    return "\n".join(lines)


def test_the_graph_covers_every_package() -> None:
    """Guards the test itself: a package missing from the graph would have no cycles."""
    modules = _graph().modules
    for package in PACKAGES:
        assert package in modules
    assert {"components.db", "queries.regions", "metric_engine.units", "core.metrics"} <= modules


def test_cycles_are_found() -> None:
    """Guards the finder: a two-module loop, a longer loop and a self-import are each reported;
    a diamond (two paths, no loop) is not."""
    graph = grimp.ImportGraph()
    for importer, imported in [
        ("p.a", "p.b"),
        ("p.b", "p.a"),
        ("p.c", "p.d"),
        ("p.d", "p.e"),
        ("p.e", "p.c"),
        ("p.f", "p.f"),
        ("p.g", "p.h"),
        ("p.g", "p.i"),
        ("p.h", "p.j"),
        ("p.i", "p.j"),
    ]:
        graph.add_import(importer=importer, imported=imported)
    assert sorted(map(sorted, import_cycles(graph))) == [
        ["p.a", "p.b"],
        ["p.c", "p.d", "p.e"],
        ["p.f"],
    ]


def test_no_import_cycles() -> None:
    graph = _graph()
    cycles = import_cycles(graph)
    assert not cycles, "import cycles:\n" + describe(graph, cycles)
