"""The executor interface: run many independent tasks, get the results in input order.

Every many-run job (ensembles, calibration batches, scenario sweeps) goes through
an :class:`Executor`. A task is a picklable top-level function applied to one
item; results come back in the order of the items whatever order the tasks
finish in. Large read-only inputs shared by many tasks (a compiled model) go
through :meth:`Executor.map_shared`, which lets an executor send each of them
to a worker once instead of once per task.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Generic, Self, TypeVar

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S")

ProgressFn = Callable[[float], None]
"""Called with the fraction of tasks done (0–1); the last call is with 1.0."""


class Executor(abc.ABC):
    """Where tasks run: this process, local worker processes or a Dask cluster.

    Functions given to :meth:`map` and :meth:`map_shared` must be picklable
    (top-level functions or instances of top-level classes), and so must the
    items and the results. An executor may hold resources (processes, a
    connection); use it as a context manager or call :meth:`close`.
    """

    @property
    @abc.abstractmethod
    def n_workers(self) -> int:
        """How many tasks can run at once."""

    @abc.abstractmethod
    def map(
        self, fn: Callable[[T], R], items: Sequence[T], *, progress: ProgressFn | None = None
    ) -> list[R]:
        """Apply ``fn`` to every item.

        Args:
            fn: A picklable function of one item.
            items: The inputs, one task each.
            progress: Called with the fraction of tasks done as they finish.

        Returns:
            ``[fn(item) for item in items]``, in the order of ``items``.

        Raises:
            Exception: The first exception raised by a task (the others are cancelled).
        """

    def map_shared(
        self,
        fn: Callable[[S, T], R],
        shared: Sequence[S],
        items: Sequence[tuple[int, T]],
        *,
        progress: ProgressFn | None = None,
    ) -> list[R]:
        """Apply ``fn(shared[i], item)`` to every ``(i, item)``.

        ``shared`` holds large read-only inputs used by many tasks (compiled
        models). This default sends ``shared[i]`` along with every task that
        uses it; distributed executors override it to send each shared input
        to the workers once.

        Args:
            fn: A picklable function of a shared input and an item.
            shared: The shared inputs.
            items: ``(index into shared, item)`` pairs, one task each.
            progress: Called with the fraction of tasks done as they finish.

        Returns:
            The results in the order of ``items``.

        Raises:
            IndexError: If an index is outside ``shared``.
        """
        check_shared_indices(shared, items)
        return self.map(CallShared(fn), [(shared[i], item) for i, item in items], progress=progress)

    def in_process(self, n_items: int) -> bool:
        """Whether ``n_items`` tasks would run in this process (and can report finer progress).

        Args:
            n_items: Number of tasks.
        """
        del n_items
        return False

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release the executor's resources (idempotent)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class CallShared(Generic[S, T, R]):
    """A picklable adapter: ``CallShared(fn)((shared, item)) == fn(shared, item)``.

    Args:
        fn: A picklable function of a shared input and an item.
    """

    def __init__(self, fn: Callable[[S, T], R]) -> None:
        self.fn = fn

    def __call__(self, pair: tuple[S, T]) -> R:
        """Call the function on the pair's two parts."""
        return self.fn(pair[0], pair[1])


def check_shared_indices(shared: Sequence[object], items: Sequence[tuple[int, object]]) -> None:
    """Check that every item refers to an existing shared input.

    Args:
        shared: The shared inputs.
        items: ``(index, item)`` pairs.

    Raises:
        IndexError: If an index is outside ``shared``.
    """
    for i, _ in items:
        if not 0 <= i < len(shared):
            raise IndexError(f"shared input {i} does not exist ({len(shared)} given)")
