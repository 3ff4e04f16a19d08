"""One executor interface: local processes and a real Dask LocalCluster give identical results."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import base_scenario, compile_dict, rate, same_tallies
from crossings.compile.model import CompiledModel
from crossings.executors import (
    DaskExecutor,
    Executor,
    ExecutorSpec,
    LocalExecutor,
    SchedulerConnectionError,
    get_executor,
    parse_executor_spec,
    run_models,
    run_seeds,
)
from crossings.tallies import Tallies

SEEDS = [1, 2, 3]


# --- task functions: top level, so that worker processes can unpickle them


def _slow_identity(x: int) -> tuple[int, float]:
    """Sleep longer for earlier items, so tasks finish in reverse order."""
    time.sleep(0.04 * (6 - x))
    return x, time.time()


def _square(x: int) -> int:
    return x * x


def _add_shared(shared: int, x: int) -> int:
    return shared + x


def _fail_on_two(x: int) -> int:
    if x == 2:
        raise ValueError("task 2 failed")
    return x


# --- fixtures


def _small_model(rate_per_year: float) -> CompiledModel:
    d = base_scenario(3000, days=120)
    d["states"][0]["hazards"] = [{"to": "b", "rate": rate(rate_per_year)}]
    return compile_dict(d)


def _warm_up() -> None:
    """Import crossings and load its compiled kernels (a tiny run)."""
    run_seeds(_small_model(1.0), [1], workers=1)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A real LocalCluster: 2 worker processes of 1 thread, no dashboard."""
    from distributed import Client, LocalCluster  # noqa: PLC0415

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        ) as c,
        Client(c, set_as_default=False) as client,
    ):
        # the workers warm up while the reference runs in this process
        warm = [client.submit(_warm_up, workers=[w], pure=False) for w in client.nthreads()]
        yield c
        del warm


@pytest.fixture(scope="module")
def dask_address(cluster: Any) -> str:
    address = cluster.scheduler_address
    assert address.startswith("tcp://")
    return "dask://" + address.removeprefix("tcp://")


@pytest.fixture(scope="module")
def scheduler_file(cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scheduler file as ``dask scheduler --scheduler-file`` writes it."""
    path = tmp_path_factory.mktemp("dask") / "scheduler.json"
    ident = cluster.scheduler.identity()
    # the fields a scheduler file holds (the live "workers" entry can carry tuple keys)
    info = {k: ident[k] for k in ("type", "id", "address", "services", "started") if k in ident}
    info["workers"] = {}
    path.write_text(json.dumps(info, default=str), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def dask_ex(dask_address: str) -> Iterator[Executor]:
    with get_executor(dask_address) as ex:
        yield ex


@pytest.fixture(scope="module")
def reference(example_model: CompiledModel, cluster: Any) -> list[Tallies[np.int64]]:
    """The seeds run in this process, unsplit."""
    return run_seeds(example_model, SEEDS, executor=LocalExecutor(1), shards=1)


_same = same_tallies


# --- identical results on every executor


@pytest.mark.parametrize(
    ("where", "shards"),
    [
        # ("local:1", 1) is the reference
        ("local:1", 2),
        ("local:2", 1),
        ("local:2", 2),
        ("dask-address", 1),
        ("dask-address", 2),
        ("scheduler-file", 1),
        ("scheduler-file", 2),
    ],
)
def test_results_identical_on_every_executor(
    where: str,
    shards: int,
    example_model: CompiledModel,
    reference: list[Tallies[np.int64]],
    request: pytest.FixtureRequest,
) -> None:
    spec = {
        "local:1": "local:1",
        "local:2": "local:2",
        "dask-address": request.getfixturevalue("dask_address"),
        "scheduler-file": str(request.getfixturevalue("scheduler_file")),
    }[where]
    fractions: list[float] = []
    with get_executor(spec) as ex:
        assert isinstance(
            ex, DaskExecutor if where.startswith(("dask", "sched")) else LocalExecutor
        )
        raws = run_seeds(
            example_model, SEEDS, shards=shards, executor=ex, progress=fractions.append
        )
    assert len(raws) == len(SEEDS)
    for got, want in zip(raws, reference, strict=True):
        _same(got, want)
    assert fractions[-1] == 1.0


def test_run_models_batch_on_dask(dask_ex: Executor) -> None:
    """Several models in one batch (calibration): each is scattered once, results by model."""
    models = [_small_model(2.0), _small_model(6.0)]
    seeds = [5, 6]
    out = run_models(models, seeds, executor=dask_ex, shards=2)
    assert [len(per_model) for per_model in out] == [2, 2]
    for model, per_model in zip(models, out, strict=True):
        for got, want in zip(per_model, run_seeds(model, seeds, workers=1), strict=True):
            _same(got, want)
    assert not np.array_equal(out[0][0].stocks, out[1][0].stocks)


def test_default_executor_is_local(
    example_model: CompiledModel, reference: list[Tallies[np.int64]]
) -> None:
    fractions: list[float] = []
    (raw,) = run_seeds(example_model, SEEDS[:1], progress=fractions.append)
    _same(raw, reference[0])
    assert len(fractions) > 2  # finer progress from the single in-process run
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


# --- the executor interface


def _executors(dask_ex: Executor) -> list[Executor]:
    return [LocalExecutor(1), LocalExecutor(2), dask_ex]


def test_results_in_input_order_when_tasks_finish_out_of_order(dask_ex: Executor) -> None:
    items = list(range(6))
    with LocalExecutor(2) as local:
        for ex in (local, dask_ex):
            out = ex.map(_slow_identity, items)
            assert [x for x, _ in out] == items, ex
            finished = [t for _, t in out]
            assert finished != sorted(finished), f"{ex}: tasks did not finish out of order"


def test_progress_reaches_one(dask_ex: Executor) -> None:
    for ex in _executors(dask_ex):
        fractions: list[float] = []
        assert ex.map(_square, range(5), progress=fractions.append) == [0, 1, 4, 9, 16]
        assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) == 5
        empty: list[float] = []
        assert ex.map(_square, [], progress=empty.append) == []
        assert empty == [1.0]
        if isinstance(ex, LocalExecutor):
            ex.close()


def test_map_shared(dask_ex: Executor) -> None:
    items = [(0, 1), (1, 2), (0, 3), (2, 4)]
    for ex in _executors(dask_ex):
        assert ex.map_shared(_add_shared, [10, 20, 30], items) == [11, 22, 13, 34]
        assert ex.map_shared(_add_shared, [100], [(0, k) for k in range(4)]) == [100, 101, 102, 103]
        with pytest.raises(IndexError):
            ex.map_shared(_add_shared, [1], [(1, 0)])
        if isinstance(ex, LocalExecutor):
            ex.close()


def test_task_errors_propagate(dask_ex: Executor) -> None:
    for ex in _executors(dask_ex):
        with pytest.raises(ValueError, match="task 2 failed"):
            ex.map(_fail_on_two, range(4), progress=lambda f: None)
        with pytest.raises(ValueError, match="task 2 failed"):
            ex.map(_fail_on_two, range(4))
        assert ex.map(_square, [3]) == [9]  # still usable afterwards
        if isinstance(ex, LocalExecutor):
            ex.close()


def test_given_client_is_not_closed(cluster: Any) -> None:
    from distributed import Client  # noqa: PLC0415

    with Client(cluster, set_as_default=False) as client:
        with DaskExecutor(client=client) as ex:
            assert ex.n_workers == 2
            assert ex.map(_square, [2]) == [4]
        assert client.status == "running"
        assert client.submit(_square, 5).result() == 25


def test_dask_local_cluster_is_owned_and_closed() -> None:
    with get_executor("dask-local:1") as ex:
        assert isinstance(ex, DaskExecutor)
        assert ex.n_workers == 1
        assert ex.map(abs, [-3, 4]) == [3, 4]
        client = ex.client
    assert client.status == "closed"


def test_local_executor_basics() -> None:
    assert LocalExecutor(3).n_workers == 3
    assert LocalExecutor(1).in_process(10)
    assert LocalExecutor(4).in_process(1)
    assert not LocalExecutor(4).in_process(2)
    with pytest.raises(ValueError, match="at least 1"):
        LocalExecutor(0)


# --- choosing an executor


@pytest.mark.parametrize(
    ("spec", "want"),
    [
        (None, ExecutorSpec("local")),
        ("local", ExecutorSpec("local")),
        (" LOCAL:4 ", ExecutorSpec("local", workers=4)),
        ("dask://10.0.0.5:8786", ExecutorSpec("dask", address="tcp://10.0.0.5:8786")),
        ("dask://sched.example.org", ExecutorSpec("dask", address="tcp://sched.example.org:8786")),
        ("tcp://127.0.0.1:9000", ExecutorSpec("dask", address="tcp://127.0.0.1:9000")),
        ("dask://[::1]:9000", ExecutorSpec("dask", address="tcp://[::1]:9000")),
        (
            "cluster/scheduler.json",
            ExecutorSpec("dask", scheduler_file=Path("cluster/scheduler.json")),
        ),
        ("dask-scheduler-file:/sh/sched", ExecutorSpec("dask", scheduler_file=Path("/sh/sched"))),
        ("dask-local", ExecutorSpec("dask-local")),
        ("dask-local:3", ExecutorSpec("dask-local", workers=3)),
    ],
)
def test_parse_executor_spec(spec: str | None, want: ExecutorSpec) -> None:
    assert parse_executor_spec(spec) == want


def test_get_executor_local() -> None:
    assert isinstance(get_executor(None), LocalExecutor)
    assert get_executor("local", workers=3).n_workers == 3
    assert get_executor("local:2", workers=3).n_workers == 2
    assert get_executor(None, workers=1).n_workers == 1


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "  ",
        "nope",
        "local:0",
        "local:x",
        "local:-1",
        "dask://",
        "dask://host:notaport",
        "dask://host:99999",
        "dask://host:1/path",
        "http://host:8786",
        "dask-local:0",
        "dask-scheduler-file:",
        "scheduler.yaml",
    ],
)
def test_bad_spec_lists_accepted_forms(spec: str) -> None:
    with pytest.raises(ValueError) as info:
        get_executor(spec)
    msg = str(info.value)
    assert repr(spec) in msg
    for form in (
        "local:N",
        "dask://HOST[:PORT]",
        "tcp://HOST[:PORT]",
        "PATH.json",
        "dask-scheduler-file:PATH",
        "dask-local:N",
    ):
        assert form in msg, form


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_scheduler_fails_fast_and_clearly() -> None:
    address = f"127.0.0.1:{_unused_port()}"
    t0 = time.perf_counter()
    with pytest.raises(ConnectionError) as info:
        get_executor(f"dask://{address}", timeout=1)
    assert time.perf_counter() - t0 < 8
    assert isinstance(info.value, SchedulerConnectionError)
    assert f"tcp://{address}" in str(info.value) and "dask scheduler" in str(info.value)


def test_missing_or_bad_scheduler_file(tmp_path: Path) -> None:
    with pytest.raises(SchedulerConnectionError, match="no Dask scheduler file"):
        get_executor(str(tmp_path / "missing.json"), timeout=1)
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    with pytest.raises(SchedulerConnectionError, match="has no address"):
        get_executor(f"dask-scheduler-file:{bad}", timeout=1)


def test_importing_crossings_does_not_import_dask() -> None:
    code = (
        "import sys, crossings, crossings.executors; "
        "sys.exit(any(m.split('.')[0] in ('dask', 'distributed') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_run_models_takes_one_seed_list_per_model(example_model: CompiledModel) -> None:
    """Seeds per model give the same runs as the same seeds of one model."""
    together = run_models([example_model, example_model], [[1], [2]], executor=LocalExecutor(1))
    alone = run_seeds(example_model, [1, 2], executor=LocalExecutor(1))
    for got, want in zip([together[0][0], together[1][0]], alone, strict=True):
        same_tallies(got, want)
    with pytest.raises(ValueError, match="seed lists"):
        run_models([example_model], [[1], [2]], executor=LocalExecutor(1))
