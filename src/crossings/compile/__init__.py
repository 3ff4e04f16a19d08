"""Scenario → compiled model (flat arrays read by every engine)."""

from crossings.compile.compiler import compile_scenario
from crossings.compile.model import NEVER, CompiledModel

__all__ = ["NEVER", "CompiledModel", "compile_scenario"]
