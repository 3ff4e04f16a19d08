"""Scenario format: schema, loading with positions, validation, built-ins."""

from crossings.scenario.errors import Issue, Location, ScenarioError
from crossings.scenario.load import LoadedScenario, builtin_names, load_scenario
from crossings.scenario.schema import Scenario

__all__ = [
    "Issue",
    "LoadedScenario",
    "Location",
    "Scenario",
    "ScenarioError",
    "builtin_names",
    "load_scenario",
]
