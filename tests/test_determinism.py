"""Same scenario + seed → identical results, however the run is split."""

from __future__ import annotations

import numpy as np

from conftest import same_tallies
from crossings.engine import Simulation
from crossings.engine.rng import KeyedRNG
from crossings.executors.runs import run_seeds, shard_ranges
from crossings.tallies import Tallies

_same = same_tallies


def test_same_seed_same_results(example_model) -> None:  # type: ignore[no-untyped-def]
    _same(Simulation(example_model, seed=4).run(), Simulation(example_model, seed=4).run())


def test_different_seed_different_results(example_model) -> None:  # type: ignore[no-untyped-def]
    a = Simulation(example_model, seed=4).run()
    b = Simulation(example_model, seed=5).run()
    assert not np.array_equal(a.stocks, b.stocks)


def test_split_into_id_ranges_is_bit_identical(example_model) -> None:  # type: ignore[no-untyped-def]
    whole = Simulation(example_model, seed=9).run()
    for shards in (2, 5):
        parts = [
            Simulation(example_model, seed=9, id_range=r).run()
            for r in shard_ranges(int(whole.agents_created), shards)
        ]
        _same(Tallies.merge(parts), whole)


def test_worker_processes_give_identical_results(example_model) -> None:  # type: ignore[no-untyped-def]
    single = run_seeds(example_model, [1, 2], workers=1, shards=1)
    multi = run_seeds(example_model, [1, 2], workers=2, shards=3)
    for a, b in zip(single, multi, strict=True):
        _same(a, b)


def test_keyed_rng_is_uniform_and_independent_across_counters() -> None:
    rng = KeyedRNG(123)
    ids = np.arange(200_000)
    u0 = rng.uniform(ids, 0, 1)
    u1 = rng.uniform(ids, 1, 1)
    u2 = rng.uniform(ids, 0, 2)
    for u in (u0, u1, u2):
        assert u.min() > 0 and u.max() < 1
        counts = np.bincount((u * 20).astype(int), minlength=20)
        expected = len(u) / 20
        chi2 = ((counts - expected) ** 2 / expected).sum()
        assert chi2 < 45  # 19 dof: p ≈ 0.0007
    n = len(ids)
    for a, b in ((u0, u1), (u0, u2), (u0[:-1], u0[1:])):
        assert abs(np.corrcoef(a, b)[0, 1]) < 4.5 / np.sqrt(n)


def test_compiled_and_numpy_draws_are_bit_identical() -> None:
    """The kernels' keyed uniforms equal KeyedRNG.uniform (the engine mixes both)."""
    import numba as nb  # noqa: PLC0415

    from crossings.engine import kernels  # noqa: PLC0415

    @nb.njit
    def draws(key: np.uint64, ids: np.ndarray, ctr: np.ndarray) -> np.ndarray:
        out = np.empty(ids.size)
        for i in range(ids.size):
            out[i] = kernels.keyed_uniform(key, ids[i], ctr[i])
        return out

    rng = KeyedRNG(2024)
    ids = np.arange(0, 50_000, 7, dtype=np.int64)
    ctr = (ids % 13).astype(np.uint32)
    stream = 987654321
    assert np.array_equal(
        draws(rng.key(stream), ids, ctr.astype(np.int64)), rng.uniform(ids, ctr, stream)
    )
