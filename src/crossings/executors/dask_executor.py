"""Tasks on a Dask distributed cluster.

``distributed`` is imported only when a :class:`DaskExecutor` is created, so
importing :mod:`crossings` stays fast and needs no cluster.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from crossings.executors.base import Executor, ProgressFn, check_shared_indices

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S")

DEFAULT_TIMEOUT = 10.0
"""Seconds to wait for the scheduler (and, before the first task, for a worker)."""


class SchedulerConnectionError(ConnectionError):
    """The Dask scheduler cannot be reached (or has no workers)."""


def _distributed() -> Any:
    """The ``distributed`` module, imported on first use (typed loosely: it is not typed)."""
    return importlib.import_module("distributed")


def _connect(address: str, timeout: float) -> Any:
    """A client connected to ``address``, or :class:`SchedulerConnectionError`."""
    try:
        return _distributed().Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise SchedulerConnectionError(
            f"cannot reach the Dask scheduler at {address} within {timeout:g} s ({exc}). "
            f"Is it running and is the address right? Start one with `dask scheduler` "
            f"and workers with `dask worker {address}`."
        ) from exc


def read_scheduler_file(path: str | os.PathLike[str]) -> str:
    """The scheduler address written in a Dask scheduler file.

    Args:
        path: A file written by ``dask scheduler --scheduler-file PATH``.

    Returns:
        The address, e.g. ``tcp://10.0.0.5:8786``.

    Raises:
        SchedulerConnectionError: If the file is missing or has no address.
    """
    p = Path(path)
    hint = f"start a scheduler with `dask scheduler --scheduler-file {p}`"
    try:
        info = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SchedulerConnectionError(f"no Dask scheduler file at {p}; {hint}") from exc
    except (OSError, ValueError) as exc:
        raise SchedulerConnectionError(
            f"cannot read the Dask scheduler file {p} ({exc}); {hint}"
        ) from exc
    address = info.get("address") if isinstance(info, dict) else None
    if not isinstance(address, str) or not address:
        raise SchedulerConnectionError(f"the Dask scheduler file {p} has no address; {hint}")
    return address


class DaskExecutor(Executor):
    """Run tasks on a Dask distributed cluster.

    Give exactly one of ``address``, ``scheduler_file`` or ``client``. Shared
    inputs (:meth:`map_shared`) are scattered to the workers once and the
    tasks refer to them; results are gathered in input order. The executor
    closes only what it created (the client, and the cluster of
    :meth:`local`), never a client that was passed in.

    Args:
        address: Scheduler address, e.g. ``tcp://10.0.0.5:8786``.
        scheduler_file: A scheduler file (``dask scheduler --scheduler-file``).
        client: An existing :class:`distributed.Client` to use.
        timeout: Seconds to wait for the scheduler, and for a first worker
            when the cluster has none.

    Raises:
        ValueError: If not exactly one of ``address``, ``scheduler_file``, ``client`` is given.
        SchedulerConnectionError: If the scheduler cannot be reached within ``timeout``.
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        scheduler_file: str | os.PathLike[str] | None = None,
        client: Any = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if sum(x is not None for x in (address, scheduler_file, client)) != 1:
            raise ValueError("DaskExecutor needs exactly one of address, scheduler_file, client")
        self._timeout = timeout
        self._cluster: Any = None
        if client is not None:
            self._client: Any = client
            self._owns_client = False
        else:
            if scheduler_file is not None:
                address = read_scheduler_file(scheduler_file)
            assert address is not None
            self._client = _connect(address, timeout)
            self._owns_client = True
        self.address: str = str(self._client.scheduler.address)
        log.info(
            "connected to the Dask scheduler at %s (%d worker thread(s))",
            self.address,
            self.n_workers,
        )

    @classmethod
    def local(
        cls, n_workers: int | None = None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> DaskExecutor:
        """Start a Dask cluster on this machine, owned (and closed) by the executor.

        Args:
            n_workers: Worker processes of one thread each (default: one per CPU).
            timeout: Seconds to wait for the scheduler.

        Returns:
            The executor.

        Raises:
            ValueError: If ``n_workers`` is less than 1.
        """
        if n_workers is not None and n_workers < 1:
            raise ValueError(f"n_workers must be at least 1, not {n_workers}")
        n = n_workers or os.cpu_count() or 1
        dist = _distributed()
        # no dashboard; the scheduler's own HTTP endpoint on a free local port, not 8787
        # the temporary cluster runs in this process: keep its INFO chatter out of the output
        for name in (
            "distributed",
            "distributed.scheduler",
            "distributed.nanny",
            "distributed.core",
            "distributed.batched",
            "distributed.http.proxy",
        ):
            logging.getLogger(name).setLevel(logging.WARNING)
        cluster = dist.LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        )
        try:
            client = dist.Client(cluster, timeout=timeout, set_as_default=False)
        except BaseException:
            cluster.close()
            raise
        ex = cls(client=client, timeout=timeout)
        ex._owns_client = True
        ex._cluster = cluster
        return ex

    def __repr__(self) -> str:
        return f"DaskExecutor({self.address!r})"

    @property
    def client(self) -> Any:
        """The :class:`distributed.Client`."""
        return self._client

    @property
    def n_workers(self) -> int:
        """Worker threads on the cluster now (tasks that can run at once)."""
        return int(sum(self._client.nthreads().values()))

    def map(
        self, fn: Callable[[T], R], items: Sequence[T], *, progress: ProgressFn | None = None
    ) -> list[R]:
        """Apply ``fn`` to every item on the cluster; results in the order of ``items``.

        Args:
            fn: A picklable function of one item.
            items: The inputs, one task each.
            progress: Called with the fraction of tasks done as they finish.

        Returns:
            ``[fn(item) for item in items]``.
        """
        return self._run(fn, [list(items)], progress)

    def map_shared(
        self,
        fn: Callable[[S, T], R],
        shared: Sequence[S],
        items: Sequence[tuple[int, T]],
        *,
        progress: ProgressFn | None = None,
    ) -> list[R]:
        """Apply ``fn(shared[i], item)`` to every ``(i, item)``, scattering ``shared`` once.

        A single shared input is broadcast to every worker; several are
        scattered once each and copied between workers as tasks need them.

        Args:
            fn: A picklable function of a shared input and an item.
            shared: The shared inputs.
            items: ``(index into shared, item)`` pairs, one task each.
            progress: Called with the fraction of tasks done as they finish.

        Returns:
            The results in the order of ``items``.
        """
        check_shared_indices(shared, items)
        if not items:
            return self._run(fn, [[], []], progress)
        used = sorted({i for i, _ in items})
        self._wait_for_workers()
        # a list is scattered element by element: one future per shared input
        futs = self._client.scatter([shared[i] for i in used], broadcast=len(used) == 1, hash=False)
        by_index = dict(zip(used, futs, strict=True))
        try:
            return self._run(fn, [[by_index[i] for i, _ in items], [x for _, x in items]], progress)
        finally:
            self._client.cancel(futs)

    def close(self) -> None:
        """Close the client and cluster this executor created (idempotent)."""
        if self._owns_client:
            self._client.close()
            self._owns_client = False
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def _wait_for_workers(self) -> None:
        if self.n_workers:
            return
        log.info("waiting up to %g s for a Dask worker at %s", self._timeout, self.address)
        try:
            self._client.wait_for_workers(1, timeout=self._timeout)
        except (TimeoutError, OSError) as exc:
            raise SchedulerConnectionError(
                f"no Dask worker joined the scheduler at {self.address} within "
                f"{self._timeout:g} s; start some with `dask worker {self.address}`"
            ) from exc

    def _run(
        self, fn: Callable[..., R], columns: list[list[Any]], progress: ProgressFn | None
    ) -> list[R]:
        """Submit ``fn(*args)`` for every row of ``columns``; gather in order."""
        n = len(columns[0])
        if n == 0:
            if progress is not None:
                progress(1.0)
            return []
        self._wait_for_workers()
        name = getattr(fn, "__name__", type(fn).__name__).strip("_<>") or "task"
        batch = uuid.uuid4().hex[:12]
        keys = [f"crossings-{name}-{batch}-{k}" for k in range(n)]
        log.debug("running %d task(s) on the Dask cluster at %s", n, self.address)
        futures = self._client.map(fn, *columns, key=keys, pure=False)
        try:
            if progress is not None:
                as_completed = _distributed().as_completed
                completed = as_completed(futures, loop=self._client.loop)
                for done, fut in enumerate(completed, start=1):
                    if fut.status == "error":
                        fut.result()  # raises the task's exception
                    progress(done / n)
            return list(self._client.gather(futures))
        except BaseException:
            self._client.cancel(futures)
            raise
