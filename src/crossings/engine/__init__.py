"""The agent engine: struct-of-arrays agents, an event calendar, one step order.

It produces :class:`crossings.tallies.Tallies` of integer counts (one run, or one
id range of a run).
"""

from crossings.engine.core import Simulation, entry_plan
from crossings.engine.rng import KeyedRNG

__all__ = ["KeyedRNG", "Simulation", "entry_plan"]
