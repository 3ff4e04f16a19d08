"""The layers import in one direction only, and no module imports itself in a circle.

Every ``import`` of every module under ``src/crossings`` counts, module-level
or inside a function (an import inside a function closes a cycle just as
well); imports under ``if TYPE_CHECKING:`` do not (they never run).

The allowed direction (CONTRIBUTING.md, "How the layers fit")::

    scenario → compile → tallies, measure → engine, expected → executors
      → calibrate → results (tables, bundle) → runs → report, web, CLI
    evidence beside, on the scenario only

and readers of results (the report, ``results.journeys``) never load or
compile a scenario: they read the results bundle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "crossings"

BASE = {"crossings", "crossings.atomic", "crossings.console"}
"""Small modules every layer may use (the package root only holds lazy names)."""

ALLOWED: dict[str, set[str]] = {
    "scenario": {"scenario"},
    "compile": {"scenario", "compile"},
    "tallies": {"compile", "tallies"},
    "measure": {"scenario", "compile", "tallies", "measure"},
    "engine": {"compile", "tallies", "engine"},
    "expected": {"compile", "tallies", "expected"},
    "executors": {"compile", "tallies", "engine", "executors"},
    "calibrate": {"scenario", "compile", "tallies", "measure", "expected", "calibrate"},
    "results": {"scenario", "compile", "tallies", "measure", "results"},
    "runs": {
        "scenario",
        "compile",
        "tallies",
        "measure",
        "engine",
        "expected",
        "executors",
        "calibrate",
        "results",
        "runs",
    },
    "api": {"scenario", "executors", "results", "runs", "api"},
    "report": {"results", "report"},
    "summary": {"results", "summary"},
    "evidence": {"scenario", "evidence"},
    "web": {
        "scenario",
        "compile",
        "tallies",
        "measure",
        "executors",
        "calibrate",
        "results",
        "runs",
        "api",
        "report",
        "evidence",
        "web",
    },
    "cli": {"*"},
    "__main__": {"cli"},
}
"""Layer → the layers its modules may import (``*``: any)."""

READERS = (
    "crossings.report",
    "crossings.summary",
    "crossings.results.journeys",
    "crossings.results.bundle",
    "crossings.results.views",
)
NOT_FOR_READERS = (
    "crossings.scenario.load",
    "crossings.compile",
    "crossings.engine",
    "crossings.expected",
    "crossings.calibrate",
    "crossings.runs",
)


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        if "migrations" in parts:
            continue  # Alembic's scripts run inside Alembic
        out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING"
    )


def _imports(module: str, path: Path) -> set[str]:
    """The ``crossings`` modules ``module`` imports at run time (any depth)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            for sub in node.body:
                skip.update(id(n) for n in ast.walk(sub))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("crossings"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            if name.startswith("crossings"):
                found.add(name)
                # "from crossings.x import y" may import the submodule crossings.x.y
                found.update(f"{name}.{a.name}" for a in node.names)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    mods = _modules()
    return {m: {i for i in _imports(m, p) if i in mods} for m, p in mods.items()}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_layers_import_in_the_allowed_direction(graph: dict[str, set[str]]) -> None:
    bad = []
    for mod, deps in sorted(graph.items()):
        if mod in BASE:
            continue
        layer = _layer(mod)
        allowed = ALLOWED.get(layer)
        assert allowed is not None, f"{mod}: no layer declared for '{layer}' in ALLOWED"
        for dep in sorted(deps):
            if dep in BASE or "*" in allowed or _layer(dep) in allowed:
                continue
            bad.append(f"{mod} imports {dep}")
    assert not bad, "imports against the layering:\n" + "\n".join(bad)


def test_readers_of_results_never_load_or_compile_a_scenario(
    graph: dict[str, set[str]],
) -> None:
    bad = [
        f"{mod} imports {dep}"
        for mod, deps in graph.items()
        if mod.startswith(READERS)
        for dep in deps
        if dep.startswith(NOT_FOR_READERS)
    ]
    assert not bad, "\n".join(bad)


def test_no_import_cycles(graph: dict[str, set[str]]) -> None:
    # Tarjan's strongly connected components; a package importing its own
    # submodules (its __init__) is not a cycle of behaviour, so parents are ignored
    edges = {
        m: {d for d in deps if not m.startswith(d + ".") and d != m} for m, deps in graph.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"
