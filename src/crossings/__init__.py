"""Crossings: model how people escape, are caught, sent back and punished.

Public API::

    import crossings
    sc = crossings.load_scenario("example")       # validate (ScenarioError on mistakes)
    res = crossings.simulate(sc, runs=10)          # run 10 seeds
    res.observations_frame()                       # observed vs simulated
    res.to_frame("stocks")                         # tidy tables

The names below are imported on first use, so ``import crossings`` (and the
command line's ``--help`` or ``check``) does not load numba, pandas or the engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "CompiledModel": "crossings.compile.model",
    "compile_scenario": "crossings.compile.compiler",
    "LoadedScenario": "crossings.scenario.load",
    "Scenario": "crossings.scenario.schema",
    "ScenarioError": "crossings.scenario.errors",
    "load_scenario": "crossings.scenario.load",
    "Results": "crossings.results.results",
    "write_results": "crossings.results.io",
    "Simulation": "crossings.api",
    "simulate": "crossings.api",
}

if TYPE_CHECKING:
    from crossings.api import Simulation, simulate
    from crossings.compile.compiler import compile_scenario
    from crossings.compile.model import CompiledModel
    from crossings.results.io import write_results
    from crossings.results.results import Results
    from crossings.scenario.errors import ScenarioError
    from crossings.scenario.load import LoadedScenario, load_scenario
    from crossings.scenario.schema import Scenario

__all__ = [
    "CompiledModel",
    "LoadedScenario",
    "Results",
    "Scenario",
    "ScenarioError",
    "Simulation",
    "__version__",
    "compile_scenario",
    "load_scenario",
    "simulate",
    "write_results",
]


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'crossings' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
