"""Atomic output and the tidy tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import crossings
from crossings.atomic import atomic_directory
from crossings.executors.runs import shard_ranges


def test_failed_write_leaves_no_directory_and_keeps_the_old_one(tmp_path: Path) -> None:
    out = tmp_path / "res"

    def boom(d: Path) -> None:
        (d / "half.txt").write_text("partial")
        raise RuntimeError("killed halfway")

    with pytest.raises(RuntimeError):
        atomic_directory(out, boom)
    assert not out.exists()
    assert not list(tmp_path.iterdir())  # no temporary leftovers either
    atomic_directory(out, lambda d: (d / "a.txt").write_text("old"))
    with pytest.raises(RuntimeError):
        atomic_directory(out, boom)
    assert (out / "a.txt").read_text() == "old"


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=64))
def test_shard_ranges_cover_ids_exactly_once(total: int, shards: int) -> None:
    ranges = shard_ranges(total, shards)
    assert ranges[0][0] == 0 and ranges[-1][1] == total
    assert all(a <= b for a, b in ranges)
    assert all(ranges[i][1] == ranges[i + 1][0] for i in range(len(ranges) - 1))


def test_tables_are_tidy_and_consistent() -> None:
    res = crossings.simulate(
        "example", runs=2, seed=3, workers=1, overrides=["time.end=2004-12-31"]
    )
    stocks = res.to_frame("stocks")
    flows = res.to_frame("flows")
    outcomes = res.to_frame("outcomes")
    assert set(stocks["run"]) == {0, 1}
    # everyone who entered is somewhere at the end, in both tables
    for r in (0, 1):
        entered = flows[(flows.run == r) & (flows.from_state == "outside")]["count"].sum()
        assert outcomes[outcomes.run == r]["count"].sum() == entered
        last = stocks[(stocks.run == r) & (stocks.date == stocks.date.max())]["count"].sum()
        assert last == entered
    with pytest.raises(ValueError, match="unknown table"):
        res.to_frame("nope")


def test_cohort_flows_and_hazard_counts_add_up() -> None:
    res = crossings.simulate("example", runs=1, seed=2, overrides=["time.end=2006-12-31"])
    raw = res.runs[0]
    assert raw.cohort_flows.sum() == raw.flows.sum()
    # moves out of 'outside' by cohort = people entering in that year
    assert (raw.cohort_flows[:, -1, :].sum(axis=1) == raw.flows[:, -1].sum(axis=(1, 2))).all()
    hz = res.hazards_frame()
    bribes = int(hz.loc[hz.hazard == "bribe_release", "count"].sum())
    m = res.model
    left = int(raw.flows[:, m.state_index("reeducation"), m.state_index("released")].sum())
    assert 0 < bribes < left  # some re-education ends in a bribe, the rest at term end
    assert hz["count"].sum() == res.hazards_frame("cohort")["count"].sum()
