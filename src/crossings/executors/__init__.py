"""Where runs execute: this process, local worker processes or a Dask cluster.

Every many-run job goes through one :class:`Executor` interface;
:func:`get_executor` picks one from a short text (``local``, ``local:4``,
``dask://HOST:PORT``, ``scheduler.json``, ``dask-local:4``). Dask is imported
only when a Dask executor is created.
"""

from crossings.executors.base import Executor, ProgressFn
from crossings.executors.dask_executor import (
    DaskExecutor,
    SchedulerConnectionError,
    read_scheduler_file,
)
from crossings.executors.process import LocalExecutor
from crossings.executors.runs import ShardTask, run_models, run_seeds, run_shard, shard_ranges
from crossings.executors.spec import (
    ACCEPTED_FORMS,
    ExecutorSpec,
    get_executor,
    parse_executor_spec,
)

__all__ = [
    "ACCEPTED_FORMS",
    "DaskExecutor",
    "Executor",
    "ExecutorSpec",
    "LocalExecutor",
    "ProgressFn",
    "SchedulerConnectionError",
    "ShardTask",
    "get_executor",
    "parse_executor_spec",
    "read_scheduler_file",
    "run_models",
    "run_seeds",
    "run_shard",
    "shard_ranges",
]
