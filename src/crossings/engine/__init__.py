"""The agent engine: struct-of-arrays agents, an event calendar, one step order."""

from crossings.engine.core import RawResults, Simulation, entry_plan
from crossings.engine.rng import KeyedRNG

__all__ = ["KeyedRNG", "RawResults", "Simulation", "entry_plan"]
