"""Scenario → compiled model (flat arrays read by every engine)."""

from crossings.compile.compiler import compile_scenario, preflight
from crossings.compile.model import NEVER, CompiledModel
from crossings.compile.preflight import MemoryEstimate, estimate_memory

__all__ = [
    "NEVER",
    "CompiledModel",
    "MemoryEstimate",
    "compile_scenario",
    "estimate_memory",
    "preflight",
]
