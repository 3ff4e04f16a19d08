"""Where runs execute: in this process or in local worker processes."""

from crossings.executors.local import run_seeds

__all__ = ["run_seeds"]
