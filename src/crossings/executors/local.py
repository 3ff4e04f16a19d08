"""Local execution (kept for existing imports).

:class:`LocalExecutor` lives in :mod:`crossings.executors.process`; the run
helpers, which work on any executor, in :mod:`crossings.executors.runs`.
"""

from crossings.executors.process import LocalExecutor
from crossings.executors.runs import ShardTask, run_models, run_seeds, run_shard, shard_ranges

__all__ = ["LocalExecutor", "ShardTask", "run_models", "run_seeds", "run_shard", "shard_ranges"]
