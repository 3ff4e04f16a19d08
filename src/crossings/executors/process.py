"""Tasks in this process or in local worker processes (the default executor)."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from crossings.executors.base import Executor, ProgressFn

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

PARENT_CHECK_SECONDS = 0.2
"""How often a worker process checks that the process that started it is alive."""


def _exit_when_orphaned(parent: int) -> None:
    """Worker initializer: end this worker as soon as its parent process is gone.

    A parent killed outright (``SIGKILL``, a crash, ``SIGTERM`` without a
    handler) cannot shut its pool down, and the workers would wait for tasks
    forever. A daemon thread polls the parent id; when the worker has been
    re-parented it exits at once, without running Python's clean-up.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="crossings-parent-watch", daemon=True).start()


class LocalExecutor(Executor):
    """Run tasks in this process or in a pool of worker processes on this machine.

    With one worker (or one task) everything runs in this process; otherwise a
    :class:`~concurrent.futures.ProcessPoolExecutor` with at most ``workers``
    processes (and no more than there are tasks) runs them. The pool is kept
    between calls to :meth:`map` and shut down by :meth:`close`. Workers end
    by themselves when this process dies without closing the pool (killed).

    Args:
        workers: Worker processes (default: one per CPU); 1 runs tasks in this process.
        mp_context: Multiprocessing start method for the pool (``"fork"``,
            ``"spawn"``, ``"forkserver"``; default: the platform's).

    Raises:
        ValueError: If ``workers`` is less than 1.
    """

    def __init__(self, workers: int | None = None, *, mp_context: str | None = None) -> None:
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        self._workers = workers or os.cpu_count() or 1
        self._mp_context = mp_context
        self._pool: ProcessPoolExecutor | None = None
        self._pool_size = 0

    def __repr__(self) -> str:
        return f"LocalExecutor(workers={self._workers})"

    @property
    def n_workers(self) -> int:
        """Worker processes (1: this process)."""
        return self._workers

    def in_process(self, n_items: int) -> bool:
        """Whether ``n_items`` tasks run in this process (one worker or one task)."""
        return min(self._workers, n_items) <= 1

    def map(
        self, fn: Callable[[T], R], items: Sequence[T], *, progress: ProgressFn | None = None
    ) -> list[R]:
        """Apply ``fn`` to every item; results in the order of ``items``.

        Args:
            fn: A picklable function of one item.
            items: The inputs, one task each.
            progress: Called with the fraction of tasks done as they finish.

        Returns:
            ``[fn(item) for item in items]``.
        """
        n = len(items)
        if self.in_process(n):
            out = []
            for k, item in enumerate(items, start=1):
                out.append(fn(item))
                if progress is not None:
                    progress(k / n)
            if n == 0 and progress is not None:
                progress(1.0)
            return out
        pool = self._get_pool(min(self._workers, n))
        log.debug("running %d task(s) on %d local worker processes", n, self._pool_size)
        futures: dict[Future[R], int] = {pool.submit(fn, item): k for k, item in enumerate(items)}
        results: dict[int, R] = {}
        try:
            for done, fut in enumerate(as_completed(futures), start=1):
                results[futures[fut]] = fut.result()
                if progress is not None:
                    progress(done / n)
        except BrokenProcessPool:
            self._discard_pool()
            raise
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise
        return [results[k] for k in range(n)]

    def close(self) -> None:
        """Shut the worker processes down (idempotent)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
            self._pool_size = 0

    def _get_pool(self, size: int) -> ProcessPoolExecutor:
        if self._pool is None or self._pool_size < size:
            self.close()
            ctx = (
                multiprocessing.get_context(self._mp_context)
                if self._mp_context is not None
                else None
            )
            self._pool = ProcessPoolExecutor(
                max_workers=size,
                mp_context=ctx,
                initializer=_exit_when_orphaned,
                initargs=(os.getpid(),),
            )
            self._pool_size = size
        return self._pool

    def _discard_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
            self._pool_size = 0
