"""Crossings: model how people escape, are caught, sent back and punished.

Public API::

    import crossings
    sc = crossings.load_scenario("example")       # validate (ScenarioError on mistakes)
    res = crossings.simulate(sc, runs=10)          # run 10 seeds
    res.observations_frame()                       # observed vs simulated
    res.to_frame("stocks")                         # tidy tables
"""

from crossings.api import Simulation, simulate
from crossings.compile import CompiledModel, compile_scenario
from crossings.results import Results, write_results
from crossings.scenario import LoadedScenario, Scenario, ScenarioError, load_scenario

__version__ = "0.1.0"

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
