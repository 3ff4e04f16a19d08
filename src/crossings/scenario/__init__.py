"""Scenario format: schema, loading with positions, validation, built-ins.

Names are imported on first use, so importing :mod:`crossings.scenario.errors`
(as the command line does before it knows what it will run) does not build the
pydantic schema.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    "Issue": "crossings.scenario.errors",
    "Location": "crossings.scenario.errors",
    "ScenarioError": "crossings.scenario.errors",
    "LoadedScenario": "crossings.scenario.load",
    "builtin_names": "crossings.scenario.load",
    "load_scenario": "crossings.scenario.load",
    "Scenario": "crossings.scenario.schema",
}

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'crossings.scenario' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
